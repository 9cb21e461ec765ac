-- Ratings split into a numeric score (0-100) or a grade word; conversion is policy (issue 3).
SELECT
    period,
    cadre_id,
    rater_group,
    rater_id,
    TRY_CAST(score AS DOUBLE) AS score_num,
    CASE WHEN TRY_CAST(score AS DOUBLE) IS NULL THEN score END AS grade,
    comment
FROM raw.ratings
