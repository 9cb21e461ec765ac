-- Indicator values with their period decoded. Periods are canonical: YYYY-MM, YYYY-Qn or YYYY.
WITH decoded AS (
    SELECT
        v.*,
        CAST(substr(v.period, 1, 4) AS INTEGER) AS year,
        CASE
            WHEN v.period LIKE '____-Q_' THEN 'quarter'
            WHEN length(v.period) = 4 THEN 'year'
            ELSE 'month'
        END AS period_type
    FROM raw.indicator_values AS v
)
SELECT
    d.unit_id,
    d.indicator,
    d.period,
    d.year,
    d.period_type,
    CASE d.period_type
        WHEN 'month' THEN CAST(substr(d.period, 6, 2) AS INTEGER)
        WHEN 'quarter' THEN 3 * CAST(substr(d.period, 7, 1) AS INTEGER)
        ELSE 12
    END AS month_of_year,
    d.value,
    d.target,
    d.verified_value,
    i.direction,
    i.cumulative,
    i.frequency,
    i.kind,
    i.unit
FROM decoded AS d
JOIN staging.indicators AS i USING (indicator)
