"""Query functions of the analyst pages (实绩象限, 干部画像, 单位档案, 方法说明).

Every statement is a constant of this module; values are bound as ``$params``; every call goes
through :func:`ui.queries.run` with the caller's scope, so results are cached per
(version file, scope, statement, parameters) and filtered to the scope's units inside DuckDB.

Persons follow the rule of :mod:`pipelines.scope`: a cadre's own rows (profile, posts, scores,
tasks, ratings, contributions, quadrants, flags) are returned only when the scope sees the cadre
in full (current or last post in an allowed unit), and then all of them; a unit's rows name a
person who only served there with the post alone (``in_full`` false, nothing else about them).
Rater identities never leave this module: rating queries aggregate or drop ``rater_id``.

Task figures a 核验记录 replaced (issue 13) carry the reported figure beside the verified one
(``reported_pct``, ``check_id``); cards and scores use the verified one.
"""
from __future__ import annotations

import pandas as pd

from models.labels import quadrant_label
from ui.queries import HOME_POSTS, Scope, run, seen_in_full
# The unit page's queries and the catalogue helpers live in their own modules; re-exported here
# because other pages and older tests read them under this name.
from ui.unit_queries import (unit_assignments, unit_cadre_groups, unit_cadres,  # noqa: F401
                             unit_directory, unit_platform_effects, unit_profile, unit_scores, unit_tasks)
from ui.version_queries import as_of, column_or_null, has_column, table_exists  # noqa: F401

# The cadre's current post, else the last one (the unit a cadre is scoped and filtered by).
_CURRENT_POST = HOME_POSTS

_CADRES = f"""
    SELECT c.cadre_id, c.name, c.birth_year, c.rank, c.role_type,
           p.unit_id, u.name AS unit_name, u.unit_type, p.post, p.in_post
    FROM staging.cadres AS c
    LEFT JOIN ({_CURRENT_POST}) AS p USING (cadre_id)
    LEFT JOIN staging.units AS u USING (unit_id)
"""


# --- 实绩象限 ---------------------------------------------------------------------------------

_QUADRANT_POINTS = "SELECT * FROM marts.quadrant_points ORDER BY period, cadre_id"


def quadrant_points(scope: Scope) -> pd.DataFrame:
    """Every cadre × quarter of marts.quadrant_points (built once: the unit and post held in that
    quarter, the cadre's attributes, the current composite estimate x_current, se, ci_low,
    ci_high, band, flags), with ``quadrant``, the name quadrants.yaml gives ``quadrant_code``
    now. A cadre is in a quadrant only when x_status is "determined"; ``ci_applies`` marks the
    quarter whose x is the current estimate (the one ending in the as-of month)."""
    frame = run(scope, _QUADRANT_POINTS, unit_column=None, person_column="cadre_id")
    frame.insert(frame.columns.get_loc("quadrant_code"), "quadrant", quadrant_label(frame["quadrant_code"]))
    frame["ci_applies"] = frame["ci_applies"].astype("boolean").fillna(False).astype(bool)
    return frame


# --- cadres -------------------------------------------------------------------------------------

def cadre_directory(scope: Scope) -> pd.DataFrame:
    """The cadres the scope sees in full, with their current (or last) post (for pickers)."""
    return run(scope, _CADRES + " ORDER BY c.cadre_id", unit_column=None, person_column="cadre_id")


def cadre_profile(scope: Scope, cadre_id: str) -> pd.DataFrame:
    return run(scope, f"SELECT * FROM ({_CADRES}) AS d WHERE d.cadre_id = $cadre", {"cadre": cadre_id},
               unit_column=None, person_column="cadre_id")


_CADRE_ASSIGNMENTS = """
SELECT a.cadre_id, a.unit_id, u.name AS unit_name, u.unit_type, a.post, a.start, a."end", a.share,
       a.indicators, a.in_post
FROM staging.assignments AS a
LEFT JOIN staging.units AS u USING (unit_id)
WHERE a.cadre_id = $cadre
ORDER BY a.start
"""


def cadre_assignments(scope: Scope, cadre_id: str) -> pd.DataFrame:
    """The cadre's posts over time, in every unit (a cadre seen in full is seen with all posts)."""
    return run(scope, _CADRE_ASSIGNMENTS, {"cadre": cadre_id}, unit_column=None, person_column="cadre_id")


def cadre_scores(scope: Scope, cadre_id: str) -> pd.DataFrame:
    """marts.cadre_scores of one cadre, per year."""
    return run(scope, f"""
        SELECT s.*, p.unit_id
        FROM marts.cadre_scores AS s LEFT JOIN ({_CURRENT_POST}) AS p USING (cadre_id)
        WHERE s.cadre_id = $cadre ORDER BY s.year
    """, {"cadre": cadre_id}, unit_column=None, person_column="cadre_id")


_TASKS_OF_CADRE = """
SELECT $cadre AS cadre_id, t.task_id, t.year, t.title, t.category, t.unit_id, u.name AS unit_name, r.role, t.due,
       t.difficulty, l.last_period, l.planned_pct, l.actual_pct, l.reported_pct, l.check_id, l.gap_pp, l.status,
       l.card, l.card_rule, l.talk_level,
       coalesce(l.n_yellow, 0) AS n_yellow, coalesce(l.n_orange, 0) AS n_orange, coalesce(l.n_red, 0) AS n_red,
       coalesce(l.deduction, 0) AS deduction
FROM staging.tasks AS t
JOIN marts.task_roles AS r ON r.task_id = t.task_id AND r.cadre_id = $cadre
LEFT JOIN marts.task_latest AS l ON l.task_id = t.task_id
LEFT JOIN staging.units AS u ON u.unit_id = t.unit_id
ORDER BY t.year DESC, t.task_id
"""


def cadre_tasks(scope: Scope, cadre_id: str) -> pd.DataFrame:
    """Tasks the cadre leads (责任人, role lead) or co-owns (配合, co) by marts.task_roles, with the
    latest status and card counts.
    ``actual_pct`` is the figure the card uses; ``reported_pct`` the report and ``check_id`` the
    核验记录 that replaced it (null where none did); latest figures and card counts from
    marts.task_latest."""
    return run(scope, _TASKS_OF_CADRE, {"cadre": cadre_id}, unit_column=None, person_column="cadre_id")


_CARD_HISTORY = """
SELECT $cadre AS cadre_id, s.task_id, s.period, s.card, s.gap_pp, s.status, s.card_rule, t.title, t.unit_id,
       s.actual_pct, s.reported_pct, {check}
FROM marts.task_status AS s JOIN staging.tasks AS t USING (task_id)
WHERE s.task_id IN (SELECT task_id FROM marts.task_roles WHERE cadre_id = $cadre)
ORDER BY s.task_id, s.period
"""


def cadre_card_history(scope: Scope, cadre_id: str) -> pd.DataFrame:
    """Monthly cards of the cadre's tasks (task × month), with the reported figure and the
    核验记录 of a month a check replaced."""
    check = column_or_null(scope, "marts", "task_status", "check_id", "s")
    return run(scope, _CARD_HISTORY.format(check=check), {"cadre": cadre_id}, unit_column=None,
               person_column="cadre_id")


def cadre_rating_scores(scope: Scope, cadre_id: str) -> pd.DataFrame:
    """The aggregated 评价分 per year (marts.rating_scores) of one cadre."""
    return run(scope, f"""
        SELECT r.*, p.unit_id
        FROM marts.rating_scores AS r LEFT JOIN ({_CURRENT_POST}) AS p USING (cadre_id)
        WHERE r.cadre_id = $cadre ORDER BY r.year
    """, {"cadre": cadre_id}, unit_column=None, person_column="cadre_id")


# Each rater counts once per group and year (their scores averaged first), as in models/ratings.
# Grade words are converted with the policy table passed as two bound lists.
_RATING_GROUPS = f"""
WITH conv AS (
    SELECT unnest($grade_words) AS grade, unnest($grade_values) AS grade_score
),
scored AS (
    SELECT CAST(substr(CAST(r.period AS VARCHAR), 1, 4) AS INTEGER) AS year, r.rater_group, r.rater_id,
           coalesce(r.score_num, conv.grade_score) AS score
    FROM staging.ratings AS r LEFT JOIN conv ON conv.grade = r.grade
    WHERE r.cadre_id = $cadre
),
per_rater AS (
    SELECT year, rater_group, rater_id, avg(score) AS score
    FROM scored WHERE score IS NOT NULL
    GROUP BY ALL
)
SELECT $cadre AS cadre_id, g.year, g.rater_group, g.n_raters, g.mean_score, g.min_score, g.max_score, p.unit_id
FROM (
    SELECT year, rater_group, count(*) AS n_raters, avg(score) AS mean_score,
           min(score) AS min_score, max(score) AS max_score
    FROM per_rater GROUP BY ALL
) AS g
LEFT JOIN (SELECT unit_id FROM ({_CURRENT_POST}) AS cp WHERE cp.cadre_id = $cadre) AS p ON true
ORDER BY g.year, g.rater_group
"""


def cadre_rating_groups(scope: Scope, cadre_id: str, grade_scores: dict[str, float]) -> pd.DataFrame:
    """Per year × rater group: number of raters and their mean / min / max score (no rater ids).
    The page must hide a group's numbers when it has fewer raters than the policy minimum."""
    words = sorted(grade_scores)
    return run(scope, _RATING_GROUPS, {"cadre": cadre_id, "grade_words": words,
                                       "grade_values": [float(grade_scores[w]) for w in words]},
               unit_column=None, person_column="cadre_id")


def cadre_comments(scope: Scope, cadre_id: str) -> pd.DataFrame:
    """Free-text comments on a cadre (year, rater group, text, n, withheld), without rater ids.
    A rater group smaller than its minimum (ratings.yaml) is as identifying by its words as by
    its score: its texts never leave the database; one row per such group says how many comments
    are withheld and why. Plain text: pages show it in dataframes, never as markdown or HTML."""
    from models.ratings import comment_minimums, withheld_note

    default, by_group = comment_minimums()
    frame = run(scope, f"""
        WITH r AS (
            SELECT CAST(substr(CAST(period AS VARCHAR), 1, 4) AS INTEGER) AS year, rater_group, rater_id,
                   trim(CAST(comment AS VARCHAR)) AS comment
            FROM staging.ratings WHERE cadre_id = $cadre
        ),
        g AS (
            SELECT year, rater_group, count(DISTINCT rater_id) AS n_raters,
                   coalesce(list_extract($minima, list_position($groups, rater_group)), $default) AS minimum
            FROM r GROUP BY year, rater_group
        ),
        c AS (
            SELECT r.year, r.rater_group, g.minimum, g.n_raters < g.minimum AS withheld,
                   CASE WHEN g.n_raters < g.minimum THEN NULL ELSE r.comment END AS comment
            FROM r JOIN g ON g.year = r.year AND g.rater_group IS NOT DISTINCT FROM r.rater_group
            WHERE r.comment IS NOT NULL AND r.comment <> ''
        )
        SELECT c.year, c.rater_group, c.comment, count(*) AS n, c.withheld, any_value(c.minimum) AS minimum,
               p.unit_id
        FROM c LEFT JOIN (SELECT unit_id FROM ({_CURRENT_POST}) AS cp WHERE cp.cadre_id = $cadre) AS p ON true
        GROUP BY c.year, c.rater_group, c.comment, c.withheld, p.unit_id
        ORDER BY c.year DESC, c.rater_group, c.withheld, n DESC, c.comment
    """, {"cadre": cadre_id, "default": default, "groups": list(by_group) or [""],
          "minima": list(by_group.values()) or [default]})
    hidden = frame["withheld"].fillna(False).astype(bool)
    frame["withheld"] = hidden
    frame.loc[hidden, "comment"] = [withheld_note(n, m) for n, m in zip(frame.loc[hidden, "n"],
                                                                         frame.loc[hidden, "minimum"])]
    return frame.drop(columns="minimum")


# Decomposition of the cadre's records per indicator: observed outcome (direction-adjusted),
# platform effect of the units, period effect of the periods, the cadre's share, then the
# estimate θ with its interval. The records are those the build fitted (marts.attribution_records:
# one per task, flagged records left out), so the decomposition rests on what the estimate did.
_DECOMPOSITION = f"""
WITH recs AS (
    SELECT indicator, unit_id, period, share, y FROM marts.attribution_records WHERE cadre_id = $cadre
),
decomp AS (
    SELECT r.indicator, count(*) AS n_records, avg(r.share) AS mean_share, avg(r.y) AS observed,
           avg(pl.effect) AS platform, count(pl.effect) AS n_platform, avg(pe.effect) AS period_effect,
           string_agg(DISTINCT r.unit_id, ';' ORDER BY r.unit_id) AS units
    FROM recs AS r
    LEFT JOIN marts.platform_effects AS pl ON pl.unit_id = r.unit_id AND pl.indicator = r.indicator
    LEFT JOIN marts.period_effects AS pe ON pe.period = r.period AND pe.indicator = r.indicator
    GROUP BY r.indicator
)
SELECT k.cadre_id, k.indicator, k.effect, k.effect_fe, k.se, k.ci_low, k.ci_high, k.n_obs, k.n_units,
       k.component_id, k.identified, k.band, k.flags,
       d.n_records, d.mean_share, d.observed, d.platform, d.n_platform, d.period_effect, d.units,
       p.unit_id
FROM marts.contributions AS k
LEFT JOIN decomp AS d USING (indicator)
LEFT JOIN (SELECT unit_id FROM ({_CURRENT_POST}) AS cp WHERE cp.cadre_id = $cadre) AS p ON true
WHERE k.cadre_id = $cadre
ORDER BY k.indicator = '*' DESC, k.indicator
"""


_TASK_SHARES = """
SELECT cadre_id, task_id, role, share FROM marts.task_roles WHERE cadre_id = $cadre ORDER BY task_id
"""


def cadre_task_shares(scope: Scope, cadre_id: str) -> pd.DataFrame:
    """task_id, role and share of each task the cadre is on (marts.task_roles: the shares the
    build's attribution weighed the task records by)."""
    frame = run(scope, _TASK_SHARES, {"cadre": cadre_id}, unit_column=None, person_column="cadre_id")
    return frame[["task_id", "role", "share"]].reset_index(drop=True)


def cadre_contributions(scope: Scope, cadre_id: str, lead_share: float | None = None,
                        co_share: float | None = None) -> pd.DataFrame:
    """One row per indicator the cadre has a contribution for ('*' = composite first): the
    estimate with its 95 % interval, band and flags, and the decomposition of the cadre's
    records (observed mean, platform effect, period effect, mean responsibility share).
    Task shares are the build's (marts.task_roles); ``lead_share``/``co_share`` are ignored
    (kept so callers that still pass weights.yaml's shares keep working)."""
    return run(scope, _DECOMPOSITION, {"cadre": cadre_id}, unit_column=None, person_column="cadre_id")


def cadre_quadrants(scope: Scope, cadre_id: str) -> pd.DataFrame:
    """The cadre's quadrant per quarter (the trajectory)."""
    frame = quadrant_points(scope)
    if frame.empty:
        return frame
    return frame[frame["cadre_id"] == cadre_id].sort_values("period").reset_index(drop=True)


# --- anomalies (marts.anomalies may not exist yet) ---------------------------------------------

_ANOMALIES_OF_CADRE = "SELECT * FROM marts.anomalies WHERE cadre_id = $key ORDER BY rank_score DESC NULLS LAST"
# A unit's flags keep the task lead only when the scope sees that person in full.
_ANOMALIES_OF_UNIT = f"""
    SELECT * REPLACE (CASE WHEN {seen_in_full('cadre_id')} THEN cadre_id END AS cadre_id)
    FROM marts.anomalies WHERE unit_id = $key ORDER BY rank_score DESC NULLS LAST
"""


def anomalies(scope: Scope, cadre_id: str | None = None, unit_id: str | None = None) -> pd.DataFrame | None:
    """需核查 flags of a cadre (every unit, when the cadre is seen in full) or of a unit; None when
    the version has no marts.anomalies."""
    if not table_exists(scope, "marts", "anomalies"):
        return None
    if cadre_id is not None:
        return run(scope, _ANOMALIES_OF_CADRE, {"key": cadre_id}, unit_column=None, person_column="cadre_id")
    return run(scope, _ANOMALIES_OF_UNIT, {"key": unit_id})


# --- 方法说明 --------------------------------------------------------------------------------------

def indicator_dictionary(scope: Scope) -> pd.DataFrame:
    """The indicator dictionary in force in this version (YAML plus the client's table)."""
    return run(scope, """
        SELECT indicator, name, unit, direction, frequency, cumulative, kind, unit_types, core,
               valid_min, valid_max
        FROM staging.indicators ORDER BY core DESC, indicator
    """, unit_column=None)


def excellent_line(scope: Scope) -> pd.DataFrame:
    """The latest assessment year's graded cadres seen in full, with their 优秀名额 columns
    (group, group_n, excellent_quota_n, excellent_rank): empty when the version predates them."""
    columns = run(scope, """
        SELECT count(*) AS n FROM information_schema.columns
        WHERE table_schema = 'marts' AND table_name = 'cadre_scores' AND column_name = 'excellent_rank'
    """, unit_column=None)
    if columns.empty or int(columns["n"].iloc[0]) == 0:
        return pd.DataFrame()
    return run(scope, """
        SELECT s.year, s."group", s.group_n, s.excellent_quota_n, s.excellent_rank, s.grade, s.grade_by_score,
               s.excellent_blocked, s.total, s.cadre_id, c.name
        FROM marts.cadre_scores AS s LEFT JOIN staging.cadres AS c USING (cadre_id)
        WHERE s.total IS NOT NULL AND s.year = (SELECT max(year) FROM marts.cadre_scores WHERE total IS NOT NULL)
        ORDER BY s."group", s.excellent_rank NULLS LAST, s.cadre_id
    """, unit_column=None, person_column="cadre_id")


# --- comparison groups (named by ui.groups) -----------------------------------------------------

_COMPARISON_GROUPS = """
WITH plat AS (
    SELECT indicator, component_id, unit_id FROM marts.platform_effects WHERE component_id >= 0
),
members AS (
    SELECT indicator, component_id, count(*) AS group_cadres
    FROM marts.contributions WHERE indicator <> '*' AND identified GROUP BY ALL
),
posted AS (
    SELECT DISTINCT k.indicator, k.component_id, a.unit_id
    FROM marts.contributions AS k JOIN staging.assignments AS a USING (cadre_id)
    WHERE k.indicator <> '*' AND k.identified AND k.component_id >= 0
      AND NOT EXISTS (SELECT 1 FROM plat AS p WHERE p.indicator = k.indicator AND p.component_id = k.component_id)
),
g AS (
    SELECT indicator, component_id, unit_id, true AS platform FROM plat
    UNION ALL
    SELECT indicator, component_id, unit_id, false AS platform FROM posted
)
SELECT g.indicator, g.component_id, g.unit_id, u.name AS unit_name, g.platform,
       count(*) OVER (PARTITION BY g.indicator, g.component_id) AS group_units,
       coalesce(m.group_cadres, 0) AS group_cadres,
       count(*) FILTER (WHERE g.platform) OVER (PARTITION BY g.indicator) AS indicator_units
FROM g
LEFT JOIN staging.units AS u USING (unit_id)
LEFT JOIN members AS m USING (indicator, component_id)
ORDER BY g.indicator, g.component_id, g.unit_id
"""


def comparison_groups(scope: Scope) -> pd.DataFrame:
    """The units of every comparison group (indicator, component_id), for :mod:`ui.groups`: the
    units whose platform effect belongs to the group (``platform``), or, for a group without
    any, the units where its identified cadres held posts. ``group_units``, ``group_cadres`` and
    ``indicator_units`` count the whole version (computed before the scope keeps its units'
    rows), so a label says how large the group is even where the reader sees few of its names."""
    return run(scope, _COMPARISON_GROUPS)
