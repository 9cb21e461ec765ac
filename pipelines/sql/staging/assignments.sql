-- Assignments with the defaults of the contract applied: share 1, and an open end = still in
-- post. HR systems write an open post as 9999-12-31; any end after the data's as-of month is
-- likewise still in post at the time the data describes.
WITH horizon AS (
    SELECT coalesce(period_end(nullif(value, '')), DATE '9000-01-01') AS as_of_end
    FROM meta.info WHERE key = 'as_of'
),
cleaned AS (
    SELECT
        a.*,
        CASE WHEN a."end" > h.as_of_end OR a."end" >= DATE '9000-01-01' THEN NULL ELSE a."end" END AS end_in_data
    FROM raw.assignments AS a CROSS JOIN horizon AS h
)
SELECT
    cadre_id,
    unit_id,
    post,
    start,
    end_in_data AS "end",
    coalesce(share, 1.0) AS share,
    coalesce(indicators, '') AS indicators,
    end_in_data IS NULL AS in_post
FROM cleaned
