SELECT project_id, unit_id, cadre_id, name, agreed_investment,
       signed, landed, started, producing, at_capacity
FROM raw.projects
