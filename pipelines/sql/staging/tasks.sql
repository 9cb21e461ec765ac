SELECT task_id, year, title, category, unit_id, lead_cadre_id,
       coalesce(co_cadre_ids, '') AS co_cadre_ids, due, coalesce(difficulty, 1.0) AS difficulty
FROM raw.tasks
