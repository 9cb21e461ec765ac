-- Each task's latest month as the profile pages show it (its figures, status, card and the
-- 核验记录 that replaced a figure) with how many 黄/橙/红 cards and how much deduction it has had
-- in all. Latest = the period ending last.
WITH latest AS (
    SELECT task_id, period AS last_period, planned_pct, actual_pct, reported_pct, check_id, gap_pp, status,
           card, card_rule, talk_level
    FROM marts.task_status
    QUALIFY row_number() OVER (
        PARTITION BY task_id ORDER BY period_end(period) DESC, period DESC) = 1
),
cards AS (
    SELECT task_id,
           count(*) FILTER (WHERE card = '黄') AS n_yellow,
           count(*) FILTER (WHERE card = '橙') AS n_orange,
           count(*) FILTER (WHERE card = '红') AS n_red,
           coalesce(sum(deduction), 0) AS deduction
    FROM marts.task_status
    GROUP BY task_id
)
SELECT l.*, c.n_yellow, c.n_orange, c.n_red, c.deduction
FROM latest AS l
JOIN cards AS c USING (task_id)
ORDER BY l.task_id
