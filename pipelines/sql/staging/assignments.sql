-- Assignments with the defaults of the contract applied: share 1, open end = still in post.
SELECT
    cadre_id,
    unit_id,
    post,
    start,
    "end",
    coalesce(share, 1.0) AS share,
    coalesce(indicators, '') AS indicators,
    "end" IS NULL AS in_post
FROM raw.assignments
