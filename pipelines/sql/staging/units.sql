-- Units (乡镇街道, 平台, 部门) with a flag for the town-like units that report local indicators.
SELECT
    unit_id,
    name,
    unit_type,
    parent_id,
    unit_type IN ('街道', '镇', '乡', '平台') AS is_town_level
FROM raw.units
