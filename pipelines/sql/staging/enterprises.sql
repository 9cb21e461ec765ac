SELECT enterprise_id, unit_id, land_mu, above_scale, cadre_id
FROM raw.enterprises
