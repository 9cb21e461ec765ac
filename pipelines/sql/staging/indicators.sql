-- The indicator dictionary in force (YAML plus the client's `indicators` table).
SELECT
    indicator,
    name,
    unit,
    direction,
    frequency,
    cumulative,
    kind,
    unit_types,
    core,
    valid_min,
    valid_max
FROM raw.indicator_dictionary
