"""Queries of the 异常预警 desk and the 考察准备 page (all scoped, bound, cached by scope).

Flags and targets are listed by unit; a person is named only when the scope sees that person in
full (the rule of :mod:`pipelines.scope`)."""
from __future__ import annotations

import pandas as pd

from ui.queries import HOME_POSTS, Scope, run, seen_in_full

FLAG_COLUMNS = f"""
    f.flag_id, f.level, f.unit_id, u.name AS unit_name,
    CASE WHEN {seen_in_full('f.cadre_id')} THEN f.cadre_id END AS cadre_id, f.task_id, f.indicator,
    coalesce(f.indicator_name, t.title, f.indicator) AS subject, f.period_start, f.period_end,
    f.rule, f.rules, f.severity, f.score, f.rank_score, f.age_months, f.reason, f.check_hint, f.actual, f.expected,
    f.peer_median, f.measure, f.onset, f.iforest_score, f.suppressed, f.budget_demoted,
    f.status, f.check_id, f.check_result
"""


def flags(scope: Scope) -> pd.DataFrame:
    """Every flag of the current version, strongest recent evidence first."""
    return run(scope, f"""
        SELECT {FLAG_COLUMNS}
        FROM marts.anomalies AS f
        LEFT JOIN staging.units AS u USING (unit_id)
        LEFT JOIN staging.tasks AS t USING (task_id)
        ORDER BY CASE f.severity WHEN '红' THEN 0 WHEN '橙' THEN 1 ELSE 2 END, f.rank_score DESC, f.flag_id
    """)


# 核验记录 that replaced a reported figure (marts.check_figures), with the check's own words; a
# version built before checks existed reads as one without any.
_CHECKS = """
    SELECT f.check_id, f.kind, f.task_id, f.unit_id, f.indicator, f.period, f.figure,
           k.result AS check_result, k.note AS check_note, k.checked_by,
           strftime(coalesce(k.checked_at, f.checked_at), '%Y-%m-%d') AS checked_at
    FROM marts.check_figures AS f LEFT JOIN marts.checks AS k USING (check_id)
"""
_NO_CHECKS = """
    SELECT NULL::VARCHAR AS check_id, NULL::VARCHAR AS kind, NULL::VARCHAR AS task_id,
           NULL::VARCHAR AS unit_id, NULL::VARCHAR AS indicator, NULL::VARCHAR AS period,
           NULL::DOUBLE AS figure, NULL::VARCHAR AS check_result, NULL::VARCHAR AS check_note,
           NULL::VARCHAR AS checked_by, NULL::VARCHAR AS checked_at
    WHERE false
"""


def _checks(scope: Scope) -> str:
    from ui.profile_queries import table_exists

    have = table_exists(scope, "marts", "check_figures") and table_exists(scope, "marts", "checks")
    return _CHECKS if have else _NO_CHECKS


def indicator_series(scope: Scope, unit_id: str, indicator: str) -> pd.DataFrame:
    """The unit's series with the median of its peers (same level: towns, districts/counties,
    departments or the city) per period, and the 核验记录 that replaced a reported value:
    ``check_value`` as recorded (year-to-date for a cumulative indicator, like ``value``) and
    ``check_period_value``, the period value it implies, de-cumulated like
    ``marts.indicator_outcomes`` from the figures the scores use (a check replaces its period only)."""
    return run(scope, f"""
        WITH checks AS (
            SELECT * FROM ({_checks(scope)}) AS c
            WHERE c.kind = 'series' AND c.unit_id = $unit AND c.indicator = $indicator
        ),
        mine AS (
            SELECT o.period, o.year, o.month_of_year, o.value, o.period_value, o.target, o.period_type,
                   o.cumulative, i.unit AS measure_unit, c.check_id, c.figure AS check_value,
                   c.check_result, c.check_note, c.checked_by, c.checked_at,
                   coalesce(c.figure, o.verified_value, o.value) AS assessed
            FROM marts.indicator_outcomes AS o
            LEFT JOIN staging.indicators AS i USING (indicator)
            LEFT JOIN checks AS c USING (period)
            WHERE o.unit_id = $unit AND o.indicator = $indicator
        ),
        lagged AS (
            SELECT *, lag(assessed) OVER w AS prev_assessed, lag(month_of_year) OVER w AS prev_month
            FROM mine
            WINDOW w AS (PARTITION BY year, period_type ORDER BY month_of_year)
        ),
        peers AS (
            SELECT o.period, median(o.value) AS peer_median, median(o.period_value) AS peer_period_median
            FROM marts.indicator_outcomes AS o
            JOIN staging.units AS u USING (unit_id)
            WHERE o.indicator = $indicator
              AND u.level = (SELECT level FROM staging.units WHERE unit_id = $unit)
            GROUP BY o.period
        )
        SELECT $unit AS unit_id, m.period, m.year, m.month_of_year, m.value, m.period_value, m.target,
               m.measure_unit, m.cumulative, m.check_id, m.check_value,
               CASE
                   WHEN m.check_value IS NULL THEN NULL
                   WHEN NOT coalesce(m.cumulative, false) THEN m.check_value
                   WHEN m.measure_unit = '%'
                       THEN (m.month_of_year * m.check_value - coalesce(m.prev_month, 0) * coalesce(m.prev_assessed, 0))
                            / (m.month_of_year - coalesce(m.prev_month, 0))
                   ELSE m.check_value - coalesce(m.prev_assessed, 0)
               END AS check_period_value,
               m.check_result, m.check_note, m.checked_by, m.checked_at,
               p.peer_median, p.peer_period_median
        FROM lagged AS m LEFT JOIN peers AS p USING (period)
        ORDER BY m.year, m.month_of_year
    """, {"unit": unit_id, "indicator": indicator})


def task_progress(scope: Scope, task_id: str) -> pd.DataFrame:
    """A task's reports with its cards: ``reported_pct`` as reported, ``actual_pct`` as assessed
    (the card's figure), ``verified_pct`` as delivered with the report, and the 核验记录 that
    replaced a report (``check_id``, ``check_pct``, result, note, who, when)."""
    return run(scope, f"""
        SELECT s.task_id, s.unit_id, s.period, s.planned_pct, s.reported_pct, s.actual_pct, s.gap_pp,
               s.status, s.card, p.verified_pct, p.evidence_count, p.reported_at,
               c.check_id, c.figure AS check_pct, c.check_result, c.check_note, c.checked_by, c.checked_at
        FROM marts.task_status AS s
        LEFT JOIN staging.task_progress AS p USING (task_id, period)
        LEFT JOIN ({_checks(scope)}) AS c ON c.kind = 'task' AND c.task_id = s.task_id AND c.period = s.period
        WHERE s.task_id = $task
        ORDER BY s.period
    """, {"task": task_id})


def inspection_targets(scope: Scope) -> pd.DataFrame:
    """定向考察 list: units and cadres ranked by flags, red cards and long stays in 低效区. Unit
    rows of allowed units; cadre rows of cadres seen in full, wherever their flags arose."""
    return run(scope, f"""
        SELECT i.rank, i.level, i.unit_id, u.name AS unit_name, i.cadre_id, c.name AS cadre_name,
               i.score, i.reasons, i.n_flags, i.n_red_flags, i.n_red_cards, i.low_zone_quarters
        FROM marts.inspection_targets AS i
        LEFT JOIN staging.units AS u USING (unit_id)
        LEFT JOIN staging.cadres AS c USING (cadre_id)
        WHERE CASE WHEN i.cadre_id IS NULL
                   THEN $scope_all OR i.unit_id IN (SELECT unnest($scope_units))
                   ELSE {seen_in_full('i.cadre_id')} END
        ORDER BY i.rank
    """, unit_column=None)


def cadres_in_scope(scope: Scope) -> pd.DataFrame:
    """Cadres the scope sees in full, with their current (or last) unit, for pickers."""
    return run(scope, f"""
        SELECT c.cadre_id, c.name, a.unit_id, u.name AS unit_name, a.post
        FROM staging.cadres AS c
        JOIN ({HOME_POSTS}) AS a ON a.cadre_id = c.cadre_id
        JOIN staging.units AS u ON u.unit_id = a.unit_id
        ORDER BY a.unit_id, c.cadre_id
    """, unit_column=None, person_column="cadre_id")
