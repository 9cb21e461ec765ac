-- Every cadre x quarter of marts.quadrants as the 实绩象限 pages show it: the unit and post the
-- cadre held in that quarter (the post covering the quarter's end first, then the larger share,
-- then the later start; the current or last post where none overlaps), the cadre's attributes,
-- and the current composite estimate (x_current with its interval, band and flags).
-- ci_applies marks the quarter whose x is that estimate: the quarter ending in the as-of month,
-- which the build fits on all the data. Built after the model steps (it reads marts.quadrants).
WITH quarters AS (
    SELECT q.*, period_start(q.period) AS q_start, period_end(q.period) AS q_end
    FROM marts.quadrants AS q
),
home AS (
    SELECT cadre_id, unit_id, post
    FROM staging.assignments
    QUALIFY row_number() OVER (
        PARTITION BY cadre_id ORDER BY in_post DESC, start DESC, share DESC NULLS LAST, unit_id) = 1
),
held AS (
    SELECT q.cadre_id, q.period, a.unit_id, a.post
    FROM quarters AS q
    JOIN staging.assignments AS a
      ON a.cadre_id = q.cadre_id AND a.start <= q.q_end AND coalesce(a."end", q.q_end) >= q.q_start
    QUALIFY row_number() OVER (
        PARTITION BY q.cadre_id, q.period
        ORDER BY (coalesce(a."end", q.q_end) >= q.q_end) DESC, a.share DESC, a.start DESC, a.unit_id) = 1
),
composite AS (
    SELECT cadre_id, effect AS x_current, se, ci_low, ci_high, band, flags, component_id,
           identified AS identified_current
    FROM marts.contributions
    WHERE indicator = '*'
),
as_of AS (
    SELECT any_value(value) AS as_of FROM meta.info WHERE key = 'as_of'
)
SELECT q.* EXCLUDE (q_start, q_end),
       c.name,
       coalesce(h.unit_id, p.unit_id) AS unit_id,
       u.name AS unit_name,
       u.unit_type,
       coalesce(h.post, p.post) AS post,
       c.rank,
       c.role_type,
       c.birth_year,
       k.x_current, k.se, k.ci_low, k.ci_high, k.band, k.flags, k.component_id, k.identified_current,
       coalesce(strftime(q.q_end, '%Y-%m') = a.as_of AND q.x IS NOT NULL AND k.x_current IS NOT NULL, false)
           AS ci_applies
FROM quarters AS q
CROSS JOIN as_of AS a
LEFT JOIN staging.cadres AS c USING (cadre_id)
LEFT JOIN home AS p ON p.cadre_id = q.cadre_id
LEFT JOIN held AS h ON h.cadre_id = q.cadre_id AND h.period = q.period
LEFT JOIN staging.units AS u ON u.unit_id = coalesce(h.unit_id, p.unit_id)
LEFT JOIN composite AS k ON k.cadre_id = q.cadre_id
ORDER BY q.period, q.cadre_id
