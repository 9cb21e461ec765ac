-- Units (市, 区/县/县级市, 乡镇街道, 平台, 部门) with their level in the tree (parent_id) and a flag
-- for the town-like units that report local indicators.
SELECT
    unit_id,
    name,
    unit_type,
    parent_id,
    unit_type IN ('街道', '镇', '乡', '平台') AS is_town_level,
    CASE
        WHEN unit_type = '市' THEN 'city'
        WHEN unit_type IN ('区', '县', '县级市') THEN 'county'
        WHEN unit_type IN ('街道', '镇', '乡', '平台') THEN 'town'
        ELSE 'dept'
    END AS level
FROM raw.units
