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


def indicator_series(scope: Scope, unit_id: str, indicator: str) -> pd.DataFrame:
    """The unit's series with the median of its peers (same level: towns, districts/counties,
    departments or the city) per period."""
    return run(scope, """
        WITH mine AS (
            SELECT o.period, o.year, o.month_of_year, o.value, o.period_value, o.target
            FROM marts.indicator_outcomes AS o
            WHERE o.unit_id = $unit AND o.indicator = $indicator
        ),
        peers AS (
            SELECT o.period, median(o.value) AS peer_median, median(o.period_value) AS peer_period_median
            FROM marts.indicator_outcomes AS o
            JOIN staging.units AS u USING (unit_id)
            WHERE o.indicator = $indicator
              AND u.level = (SELECT level FROM staging.units WHERE unit_id = $unit)
            GROUP BY o.period
        )
        SELECT $unit AS unit_id, m.*, p.peer_median, p.peer_period_median
        FROM mine AS m LEFT JOIN peers AS p USING (period)
        ORDER BY m.year, m.month_of_year
    """, {"unit": unit_id, "indicator": indicator})


def task_progress(scope: Scope, task_id: str) -> pd.DataFrame:
    return run(scope, """
        SELECT s.task_id, s.unit_id, s.period, s.planned_pct, s.reported_pct, s.actual_pct, s.gap_pp,
               s.status, s.card, p.verified_pct, p.evidence_count, p.reported_at
        FROM marts.task_status AS s
        LEFT JOIN staging.task_progress AS p USING (task_id, period)
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
