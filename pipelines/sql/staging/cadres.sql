SELECT cadre_id, name, birth_year, rank, role_type
FROM raw.cadres
