"""Query functions of the 单位档案 page: a unit's profile, posts, indicator scores, tasks,
platform effects and the cadres who served there.

Same rules as :mod:`ui.profile_queries` (constants, bound ``$params``, :func:`ui.queries.run`
with the caller's scope): a unit's rows name a person who only served there with the post alone
(``in_full`` false, nothing else about them).

Figures a 核验记录 replaced (issue 13) come with the reported figure beside them: the marts keep
the verified one (cards and scores use it) and ``check_id``; versions built before checks read
as ones without any.
"""
from __future__ import annotations

import pandas as pd

from models.labels import quadrant_group, quadrant_group_names
from ui.queries import Scope, run, seen_in_full
from ui.version_queries import column_or_null, has_column


def unit_profile(scope: Scope, unit_id: str) -> pd.DataFrame:
    return run(scope, """
        SELECT u.unit_id, u.name, u.unit_type, u.parent_id, pu.name AS parent_name, u.is_town_level
        FROM staging.units AS u LEFT JOIN staging.units AS pu ON pu.unit_id = u.parent_id
        WHERE u.unit_id = $unit
    """, {"unit": unit_id})


def unit_assignments(scope: Scope, unit_id: str) -> pd.DataFrame:
    """Every post held in the unit over time, with the cadre's name; rank and role type only for
    cadres the scope sees in full (``in_full``), the others are the unit's history alone."""
    return run(scope, f"""
        SELECT a.unit_id, a.cadre_id, c.name, CASE WHEN f.in_full THEN c.rank END AS rank,
               CASE WHEN f.in_full THEN c.role_type END AS role_type, a.post, a.start, a."end", a.share,
               a.indicators, a.in_post, f.in_full
        FROM staging.assignments AS a LEFT JOIN staging.cadres AS c USING (cadre_id)
        JOIN (SELECT DISTINCT cadre_id, {seen_in_full('cadre_id')} AS in_full
              FROM staging.assignments WHERE unit_id = $unit) AS f USING (cadre_id)
        WHERE a.unit_id = $unit
        ORDER BY a.start, a.cadre_id
    """, {"unit": unit_id})


def unit_scores(scope: Scope, unit_id: str) -> pd.DataFrame:
    """marts.unit_scores of one unit with the indicator's name and unit. ``value`` is the figure
    the score uses; where a 核验记录 replaced it, ``check_id`` names the check and
    ``reported_value`` is the value the unit reported (else both are null)."""
    check = "s.check_id" if has_column(scope, "marts", "unit_scores", "check_id") else "NULL::VARCHAR"
    return run(scope, f"""
        SELECT s.unit_id, s.indicator, i.name AS indicator_name, i.unit AS indicator_unit, s.period,
               s.period_kind, s.year, s.value, s.target, s.completion, s.rank, s.n_comparable, s.score,
               s.band, s.method_used, s.value_source, s.progress_gap_pp, {check} AS check_id,
               CASE WHEN {check} IS NOT NULL THEN v.value END AS reported_value
        FROM marts.unit_scores AS s LEFT JOIN staging.indicators AS i USING (indicator)
        LEFT JOIN staging.indicator_values AS v USING (unit_id, indicator, period)
        WHERE s.unit_id = $unit
        ORDER BY s.indicator, s.period
    """, {"unit": unit_id})


def unit_tasks(scope: Scope, unit_id: str) -> pd.DataFrame:
    """The unit's tasks with the latest status and card counts; the lead is named only when the
    scope sees that person in full (co-owners are not returned). ``actual_pct`` is the figure the
    card uses; ``reported_pct`` the unit's report, ``check_id`` the 核验记录 that replaced it."""
    return run(scope, f"""
        SELECT t.task_id, t.year, t.title, t.category, t.unit_id,
               CASE WHEN {seen_in_full('t.lead_cadre_id')} THEN t.lead_cadre_id END AS lead_cadre_id,
               CASE WHEN {seen_in_full('t.lead_cadre_id')} THEN c.name END AS lead_name,
               t.due, l.last_period, l.planned_pct, l.actual_pct, l.reported_pct, l.check_id, l.gap_pp,
               l.status, l.card, l.card_rule, coalesce(l.n_yellow, 0) AS n_yellow, coalesce(l.n_orange, 0) AS n_orange,
               coalesce(l.n_red, 0) AS n_red
        FROM staging.tasks AS t
        LEFT JOIN marts.task_latest AS l USING (task_id)
        LEFT JOIN staging.cadres AS c ON c.cadre_id = t.lead_cadre_id
        WHERE t.unit_id = $unit
        ORDER BY t.year DESC, t.task_id
    """, {"unit": unit_id})


def unit_platform_effects(scope: Scope, unit_id: str) -> pd.DataFrame:
    """The unit's platform effect per indicator (NaN where it cannot be separated)."""
    return run(scope, """
        SELECT unit_id, indicator, effect, se, n_movers, component_id, identified
        FROM marts.platform_effects WHERE unit_id = $unit ORDER BY indicator
    """, {"unit": unit_id})


def unit_cadres(scope: Scope, unit_id: str) -> pd.DataFrame:
    """Cadres who held a post in the unit; for those the scope sees in full (``in_full``) also
    their composite contribution (interval, band, flags), latest quadrant (贡献不确定 where the
    quarter's x is estimated but not determined) and latest 综合得分 /
    grade. The others carry their posts here and nothing else. ``x_low``/``x_high`` are the
    interval the quadrant placed the latest quarter by (quadrants.yaml ``x_side_level``), null
    on versions built before it."""
    evidence = ", ".join(column_or_null(scope, "marts", "quadrants", c, "q0", "DOUBLE") for c in ("x_low", "x_high"))
    frame = run(scope, f"""
        WITH posts AS (
            SELECT cadre_id, min(start) AS first_start, max(coalesce("end", DATE '9999-12-31')) AS last_end,
                   bool_or(in_post) AS in_post, string_agg(DISTINCT post, '、') AS posts
            FROM staging.assignments WHERE unit_id = $unit GROUP BY cadre_id
        ),
        seen AS (SELECT cadre_id FROM posts WHERE {seen_in_full('cadre_id')}),
        lastq AS (
            SELECT q0.cadre_id, q0.period, {evidence}, q0.quadrant_code, q0.x_status
            FROM marts.quadrants AS q0
            QUALIFY row_number() OVER (PARTITION BY cadre_id ORDER BY period DESC) = 1
        ),
        lasts AS (
            SELECT cadre_id, year, total, grade, grade_by_score, excellent_rank, excellent_quota_n
            FROM marts.cadre_scores
            QUALIFY row_number() OVER (PARTITION BY cadre_id ORDER BY year DESC) = 1
        )
        SELECT $unit AS unit_id, p.cadre_id, c.name, CASE WHEN f.cadre_id IS NOT NULL THEN c.rank END AS rank,
               CASE WHEN f.cadre_id IS NOT NULL THEN c.role_type END AS role_type, p.posts, p.first_start,
               nullif(p.last_end, DATE '9999-12-31') AS last_end, p.in_post, f.cadre_id IS NOT NULL AS in_full,
               k.effect, k.se, k.ci_low, k.ci_high, k.band, k.flags, k.identified, k.component_id,
               q.period AS quadrant_period, q.quadrant_code, q.x_status, q.x_low, q.x_high, s.year AS score_year, s.total, s.grade,
               s.grade_by_score, s.excellent_rank, s.excellent_quota_n
        FROM posts AS p
        LEFT JOIN staging.cadres AS c USING (cadre_id)
        LEFT JOIN seen AS f ON f.cadre_id = p.cadre_id
        LEFT JOIN marts.contributions AS k ON k.cadre_id = f.cadre_id AND k.indicator = '*'
        LEFT JOIN lastq AS q ON q.cadre_id = f.cadre_id
        LEFT JOIN lasts AS s ON s.cadre_id = f.cadre_id
        ORDER BY p.in_post DESC, p.first_start DESC, p.cadre_id
    """, {"unit": unit_id})
    group = quadrant_group(frame["quadrant_code"], frame["x_status"]).where(frame["quadrant_code"].notna())
    frame["quadrant"] = group.map(quadrant_group_names())
    return frame.drop(columns="x_status")


def unit_directory(scope: Scope) -> pd.DataFrame:
    """Units with type and the number of cadres currently in post (for pickers)."""
    return run(scope, """
        SELECT u.unit_id, u.name, u.unit_type, u.is_town_level,
               count(DISTINCT a.cadre_id) FILTER (WHERE a.in_post) AS n_in_post
        FROM staging.units AS u LEFT JOIN staging.assignments AS a USING (unit_id)
        GROUP BY ALL ORDER BY u.unit_id
    """)



def unit_cadre_groups(scope: Scope, unit_id: str) -> pd.DataFrame:
    """Per-indicator comparison group (component_id, identified) of the cadres who held a post in
    the unit and whom the scope sees in full (the composite '*' row excluded)."""
    return run(scope, """
        SELECT k.cadre_id, k.indicator, k.component_id, k.identified
        FROM marts.contributions AS k
        WHERE k.indicator <> '*'
          AND k.cadre_id IN (SELECT cadre_id FROM staging.assignments WHERE unit_id = $unit)
        ORDER BY k.cadre_id, k.indicator
    """, {"unit": unit_id}, unit_column=None, person_column="cadre_id")
