-- Responsibility shares of each indicator outcome record (unit × indicator × period): every
-- assignment of the unit that overlaps the period and covers the indicator (an empty 分管指标
-- list covers all), weighted by the fraction of the period it covers.
WITH records AS (
    SELECT
        unit_id,
        indicator,
        period,
        make_date(year, month_of_year - months_covered + 1, 1) AS record_start,
        last_day(make_date(year, month_of_year, 1)) AS record_end
    FROM marts.indicator_outcomes
    WHERE outcome IS NOT NULL
),
overlapping AS (
    SELECT
        r.unit_id,
        r.indicator,
        r.period,
        a.cadre_id,
        a.share,
        greatest(a.start, r.record_start) AS overlap_start,
        least(coalesce(a."end", r.record_end), r.record_end) AS overlap_end,
        r.record_end - r.record_start + 1 AS record_days
    FROM records AS r
    JOIN staging.assignments AS a
      ON a.unit_id = r.unit_id
     AND a.start <= r.record_end
     AND coalesce(a."end", r.record_end) >= r.record_start
     AND (a.indicators = '' OR list_contains(string_split(a.indicators, ';'), r.indicator))
)
SELECT
    unit_id,
    indicator,
    period,
    cadre_id,
    sum(share * (overlap_end - overlap_start + 1) / record_days) AS share
FROM overlapping
WHERE overlap_end >= overlap_start
GROUP BY unit_id, indicator, period, cadre_id
