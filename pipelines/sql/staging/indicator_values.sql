-- Indicator values with their period decoded. Periods are canonical: YYYY-MM, YYYY-Qn or YYYY;
-- the period_* macros are models.period's decoding (created by pipelines.build.run_sql).
SELECT
    v.unit_id,
    v.indicator,
    v.period,
    period_year(v.period) AS year,
    period_kind(v.period) AS period_type,
    period_end_month(v.period) AS month_of_year,
    v.value,
    v.target,
    v.verified_value,
    i.direction,
    i.cumulative,
    i.frequency,
    i.kind,
    i.unit
FROM raw.indicator_values AS v
JOIN staging.indicators AS i USING (indicator)
