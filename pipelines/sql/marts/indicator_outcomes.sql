-- One row per unit × indicator × native period with the per-period (non-cumulative) value.
-- Year-to-date series are de-cumulated: levels by differencing, rates ('%') by removing the
-- month-weighted mean of the earlier months (January+February reported together weigh 2).
-- `outcome` is direction-adjusted: higher is always better.
WITH ordered AS (
    SELECT
        v.*,
        lag(v.value) OVER w AS prev_value,
        lag(v.month_of_year) OVER w AS prev_month
    FROM staging.indicator_values AS v
    WINDOW w AS (PARTITION BY v.unit_id, v.indicator, v.year, v.period_type ORDER BY v.month_of_year)
),
decumulated AS (
    SELECT
        *,
        month_of_year - coalesce(prev_month, 0) AS months_covered,
        CASE
            WHEN NOT cumulative THEN value
            WHEN unit = '%' THEN (month_of_year * value - coalesce(prev_month, 0) * coalesce(prev_value, 0))
                                 / (month_of_year - coalesce(prev_month, 0))
            ELSE value - coalesce(prev_value, 0)
        END AS period_value
    FROM ordered
)
SELECT
    unit_id,
    indicator,
    period,
    year,
    period_type,
    month_of_year,
    months_covered,
    value,
    target,
    verified_value,
    period_value,
    direction * period_value AS outcome,
    kind,
    cumulative
FROM decumulated
