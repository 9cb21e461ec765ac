"""Analytics steps run inside every build, after the SQL marts: each takes the writer connection
of the new version, reads raw/staging/marts, calls pure functions in ``models/`` and writes its
results back as ``marts.*`` tables of the same new file."""
from __future__ import annotations

import warnings
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from models.period import complete_quarters
from pipelines.checks import (check_links, check_marks, checks_applied, effective_figures, figure_targets,
                              read_checks, with_check_figures, with_check_source, with_mark_detail)
from pipelines.contract import TABLES
from pipelines.tables import has_table, read_table


def write_mart(con, name: str, frame: pd.DataFrame) -> None:
    """Create ``marts.<name>`` from a frame; list-valued cells become ';'-joined text."""
    out = frame.reset_index(drop=True).copy()
    for col in out.columns:
        if out[col].dtype == object and out[col].map(lambda v: isinstance(v, (list, tuple, set))).any():
            out[col] = out[col].map(lambda v: ";".join(map(str, v)) if isinstance(v, (list, tuple, set)) else v)
    con.register("mart_df", out)
    try:
        con.execute(f"CREATE OR REPLACE TABLE marts.{name} AS SELECT * FROM mart_df")
    finally:
        con.unregister("mart_df")


def raw_tables(con) -> dict[str, pd.DataFrame]:
    return {name: read_table(con, f"raw.{name}") for name in TABLES}


def as_of_month(con) -> str:
    return con.execute("SELECT value FROM meta.info WHERE key = 'as_of'").fetchall()[0][0]


def assessment_step(con) -> None:
    """Issue 3: unit_scores, task_status, ratings, 亩均, funnels, cadre_scores."""
    from models import cards, composite, funnel, mujun, ratings, scoring

    raw = raw_tables(con)
    as_of = as_of_month(con)
    # On-site check figures replace the verified figures; the reported ones stay beside them.
    progress, values, _ = effective_figures(con)
    raw["task_progress"], raw["indicator_values"] = progress.drop(columns="check_id"), values.drop(columns="check_id")
    unit_scores = scoring.score_indicators(raw["indicator_values"], raw["indicators"], raw["units"])
    write_mart(con, "unit_scores", with_check_source(unit_scores, values, ["unit_id", "indicator", "period"],
                                                      "value_source"))
    status = with_check_source(cards.task_status(raw["tasks"], raw["task_progress"]), progress,
                                ["task_id", "period"], "pct_source")
    write_mart(con, "task_status", status)
    write_mart(con, "task_roles", task_roles_mart(raw["tasks"], cards.task_roles))
    rating_scores = ratings.aggregate_ratings(raw["ratings"], by="year")
    write_mart(con, "rating_scores", rating_scores)
    firms = mujun.firm_scores(raw["enterprises"], raw["enterprise_years"])
    write_mart(con, "mujun_firms", firms)
    write_mart(con, "mujun_units", mujun.unit_mujun(firms))
    links = mujun.cadre_links(raw["enterprises"], raw["assignments"], raw["cadres"])
    mujun_cadres = mujun.cadre_mujun(firms, links)
    write_mart(con, "mujun_cadres", mujun_cadres)
    funnel_cadres = funnel.funnel_by_cadre(raw["projects"], as_of=None, assignments=raw["assignments"])
    write_mart(con, "funnel_cadres", funnel_cadres)
    write_mart(con, "funnel_units", funnel.funnel_by_unit(raw["projects"]))
    measures = composite.role_measures(funnel_cadres, mujun_cadres, mujun.county_mujun(firms))
    write_mart(con, "role_measures", measures)
    unit_part = composite.unit_indicator_part(read_table(con, "marts.unit_scores"), raw["assignments"], as_of)
    years = sorted(set(raw["tasks"]["year"].dropna().astype(int)) | set(unit_part["year"].astype(int)))
    # 优秀名额 groups: the level of the unit held longest that year (staging.units carries the level).
    keys = pd.DataFrame([(c, y) for y in years for c in raw["cadres"]["cadre_id"]], columns=["cadre_id", "year"])
    groups = composite.assessment_groups(keys, raw["cadres"], raw["assignments"], read_table(con, "staging.units"))
    scores = [
        composite.cadre_scores(raw["tasks"], status, rating_scores, raw["cadres"], measures, as_of=as_of or None,
                               year=y, unit_part=unit_part, groups=groups)
        for y in years
    ]
    frame = pd.concat(scores, ignore_index=True) if scores else composite.empty_scores()
    write_mart(con, "cadre_scores", frame)
    sql_mart(con, "task_latest")  # each task's latest month and its card counts, from task_status


def attribution_step(con) -> None:
    """Issue 4: contributions and platform effects for every indicator and task category."""
    from models.attribution import fit_contributions
    from models.cards import task_roles
    from models.config import load_reference

    cfg = load_reference("attribution")
    records, shares = attribution_inputs(con, task_roles, exclude_rules=cfg.get("exclude_flagged_rules"))
    cadres = read_table(con, "raw.cadres")[["cadre_id", "role_type"]]
    result = fit_or_none(fit_contributions, records, shares, cfg, cadres)
    if result is None:  # a batch too small for any model still publishes, with empty results
        from models.attribution import empty_results

        result_frames = empty_results()
    else:
        result_frames = {"contributions": result.contributions, "platform_effects": result.platform_effects,
                         "period_effects": result.period_effects,
                         "attribution_indicators": result.indicator_summary()}
    result_frames["task_share_sensitivity"] = task_share_sensitivity(con, records, cfg)
    result_frames["attribution_records"] = attribution_records(records, shares)
    for name, frame in result_frames.items():
        write_mart(con, name, frame)


def attribution_records(records: pd.DataFrame, shares: pd.DataFrame) -> pd.DataFrame:
    """The records the attribution was fitted on, one row per record × cadre with a share
    (indicator, record_id, unit_id, period, y, cadre_id, share): indicator outcomes and one
    record per task, records under a live excluded flag left out. Pages decompose a cadre's
    contribution over exactly these, instead of rebuilding the records."""
    columns = ["indicator", "record_id", "unit_id", "period", "y", "cadre_id", "share"]
    if records.empty or shares.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c in ("y", "share") else "object") for c in columns})
    out = records.merge(shares[shares["share"] > 0], on=["indicator", "record_id"])
    return out[columns].sort_values(["cadre_id", "indicator", "record_id"]).reset_index(drop=True)


def task_roles_mart(tasks: pd.DataFrame, task_roles) -> pd.DataFrame:
    """Who is on each task, as what and with what share (task_id, cadre_id, role lead/co, share):
    the rule the attribution weighs task records by (weights.yaml ``role_shares``), stored so
    that pages read who is on a task and the shares instead of applying the rule again."""
    from models.labels import TASK_ROLES

    roles = task_roles(tasks)
    code = {name: c for c, name in TASK_ROLES.items()}
    roles = roles.assign(role=roles["role"].map(code))  # models.cards names the roles; the mart keeps codes
    return roles[["task_id", "cadre_id", "role", "share"]].sort_values(["task_id", "cadre_id"]).reset_index(drop=True)


def task_share_sensitivity(con, records: pd.DataFrame, cfg: dict) -> pd.DataFrame:
    """The task model refitted with other 责任人 shares (models/share_sensitivity.py)."""
    from models.config import load_reference
    from models.share_sensitivity import COLUMNS, co_share_sensitivity

    task = records[records["indicator"] == "task"]
    if task.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in COLUMNS})
    configured = load_reference("weights")["performance"]["role_shares"]
    level = float(load_reference("quadrants").get("x_side_level", 0.9))
    return co_share_sensitivity(task.drop(columns="indicator"), read_table(con, "raw.tasks"), configured,
                                level=level, **cfg["estimator"])


def fit_or_none(fit_contributions, records: pd.DataFrame, shares: pd.DataFrame, cfg: dict, cadres: pd.DataFrame):
    """The attribution fit, or None when the data cannot support any model. The estimator's
    per-indicator warnings (too few records, no mover) are not printed: the same facts reach
    users as the contribution flags (few_obs, no_mobility, ...) that the pages explain."""
    if records.empty or shares.empty:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return fit_contributions(records, shares, weights=cfg["composite_weights"], roles=cadres,
                                     **cfg["estimator"])
    except ValueError:
        return None


# The "period" of a task record: its year and category, so the pooled task model has one effect
# per year × category (categories differ in how hard their plans are, years in the county cycle).
TASK_PERIOD = "CAST(t.year AS VARCHAR) || '·' || coalesce(t.category, '未分类')"


def flagged_records(con, rules: list[str]) -> tuple[pd.DataFrame, set[str]]:
    """Series ranges (unit_id, indicator, period_start, period_end) and task ids carrying a live
    flag (not suppressed, not marked 误报/已说明) of one of ``rules``: records a data problem
    may have made, kept out of the attribution."""
    if not rules or not has_table(con, "marts", "anomalies"):
        return pd.DataFrame(columns=["unit_id", "indicator", "period_start", "period_end"]), set()
    from models.flag_status import live_flags

    hit = con.execute("""
        SELECT level, unit_id, indicator, period_start, period_end, task_id, suppressed, status FROM marts.anomalies
        WHERE list_has_any(string_split(coalesce(rules, rule), ';'), $rules)
    """, {"rules": list(rules)}).df()
    live = hit[live_flags(hit)]
    series = live[live["level"] == "series"][["unit_id", "indicator", "period_start", "period_end"]]
    return series, set(live.loc[live["task_id"].notna(), "task_id"])


def attribution_inputs(con, task_roles, until: str = "9999-12",
                       exclude_rules: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Records (indicator, record_id, unit_id, period, y) and shares (indicator, record_id,
    cadre_id, share) for the indicator outcomes and the task progress gaps, using only data
    of periods ending by ``until`` ('YYYY-MM'). Records under a live flag of ``exclude_rules``
    (figures the anomaly rules find fabricated or broken) are left out: on the demo they
    inflated the estimated cadre spread and flipped the side of placed cadres."""
    params = {"until": until, "until_key": int(until[:4]) * 100 + int(until[5:7])}
    ind = con.execute("""
        SELECT indicator, unit_id || '|' || period AS record_id, unit_id, period, outcome AS y
        FROM marts.indicator_outcomes
        WHERE outcome IS NOT NULL AND year * 100 + month_of_year <= $until_key
    """, {"until_key": params["until_key"]}).df()
    series, flagged_tasks = flagged_records(con, exclude_rules or [])
    if len(series):
        hit = ind.merge(series, on=["unit_id", "indicator"])
        hit = hit[(hit["period"] >= hit["period_start"]) & (hit["period"] <= hit["period_end"])]
        ind = ind[~ind["record_id"].isin(hit["record_id"])]
    ind_shares = con.execute("""
        SELECT s.indicator, s.unit_id || '|' || s.period AS record_id, s.cadre_id, s.share
        FROM marts.attribution_shares AS s
        JOIN marts.indicator_outcomes AS o USING (unit_id, indicator, period)
        WHERE s.share > 0 AND o.year * 100 + o.month_of_year <= $until_key
    """, {"until_key": params["until_key"]}).df()
    tasks = read_table(con, "raw.tasks")
    # One record per task: its mean monthly gap. Monthly gaps of one task are cumulative and
    # strongly autocorrelated; treated as independent records they gave intervals that covered
    # the demo's true effects only 34-62 % of the time (94 % with one record per task).
    # One pooled task model with a year × category effect in place of the period: split by
    # category (136-178 records each on the demo) no category had more records than cadres +
    # units, so none could separate a cadre from the platform.
    gaps = con.execute(f"""
        SELECT 'task' AS indicator, s.task_id AS record_id, t.unit_id,
               {TASK_PERIOD} AS period, avg(s.gap_pp) AS y, s.task_id
        FROM marts.task_status AS s JOIN raw.tasks AS t USING (task_id)
        WHERE s.gap_pp IS NOT NULL AND s.period <= $until
        GROUP BY ALL
    """, {"until": until}).df()
    gaps = gaps[~gaps["task_id"].isin(flagged_tasks)]
    roles = task_roles(tasks)
    task_shares = gaps[["indicator", "record_id", "task_id"]].merge(roles[["task_id", "cadre_id", "share"]], on="task_id")
    records = pd.concat([ind, gaps.drop(columns="task_id")], ignore_index=True)
    ind_shares = ind_shares[ind_shares["record_id"].isin(ind["record_id"])]
    shares = pd.concat([ind_shares, task_shares.drop(columns="task_id")], ignore_index=True)
    return records, shares


def quadrant_step(con) -> None:
    """实绩象限 per quarter: x = composite contribution estimated on the data up to the quarter's
    end, y = percentile of the year-to-date 实绩分 at that quarter's end."""
    from models import composite, quadrant
    from models.attribution import fit_contributions
    from models.cards import task_roles
    from models.config import load_reference

    cfg = load_reference("attribution")
    qcfg = load_reference("quadrants")
    cadres = read_table(con, "raw.cadres")[["cadre_id", "role_type"]]
    tasks = read_table(con, "raw.tasks")
    status = read_table(con, "marts.task_status")
    ratings = read_table(con, "marts.rating_scores")
    measures = read_table(con, "marts.role_measures")
    unit_scores = read_table(con, "marts.unit_scores")
    assignments = read_table(con, "raw.assignments")
    frames = []
    for quarter in complete_quarters(as_of_month(con), int(qcfg["trajectory_quarters"])):
        period, month_end = quarter.code, quarter.last_month.code
        records, shares = attribution_inputs(con, task_roles, until=month_end,
                                             exclude_rules=cfg.get("exclude_flagged_rules"))
        fit = fit_or_none(fit_contributions, records, shares, cfg, cadres)
        if fit is None:
            continue
        x = quadrant_x(fit)
        unit_part = composite.unit_indicator_part(unit_scores, assignments, month_end)
        scores = composite.cadre_scores(tasks, status, ratings, cadres, measures, as_of=month_end,
                                        year=quarter.year, unit_part=unit_part)
        scores = scores[scores["performance_score"].notna()][["cadre_id", "performance_score", "performance_continuous"]]
        scores = scores.assign(period=period, score=scores["performance_score"],
                               tiebreak=scores["performance_continuous"])
        scores["y"] = quadrant.performance_percentile(scores)
        points = scores[["cadre_id", "period", "y"]].merge(x.rename(columns={"effect": "x"}), on="cadre_id", how="left")
        frames.append(quadrant.assign_quadrants(points, qcfg))
    # codes only: the names are quadrants.yaml's labels, put on at render and export time
    columns = quadrant.MART_COLUMNS
    write_mart(con, "quadrants", pd.concat(frames, ignore_index=True)[columns] if frames
               else pd.DataFrame(columns=columns))


def quadrant_x(fit) -> pd.DataFrame:
    """x of the quadrants: the composite row of each cadre (effect, its posterior SD) and df,
    the fewest residual degrees of freedom among the indicators the composite used (the
    cautious choice for its t); the share of the intended weight it stands on, and for a
    cadre without x the cause, with the cause indicator's records and what it needed."""
    rows = fit.contributions
    x = rows[rows["indicator"] == "*"][["cadre_id", "effect", "se", "identified", "df_resid", "weight_identified",
                                        "cause", "cause_indicator", "n_obs"]]
    summary = fit.indicator_summary().set_index("indicator")
    mine = rows.loc[rows["indicator"] != "*", ["cadre_id", "indicator", "n_obs"]].rename(
        columns={"indicator": "cause_indicator", "n_obs": "cause_n_obs"})
    x = x.merge(mine, on=["cadre_id", "cause_indicator"], how="left")
    # the numbers the reason is told with: the cause indicator's records (and what it needed),
    # or the cadre's own records on it (and the minimum)
    x["n_obs"] = x["cause_n_obs"].fillna(x["n_obs"])
    x["cause_records"] = x["cause_indicator"].map(summary["n_records"])
    x["cause_needed"] = np.where(x["cause"] == "few_obs",
                                 x["cause_indicator"].map({k: m.min_obs for k, m in fit.models.items()}),
                                 x["cause_indicator"].map(summary["n_needed"]))
    return x.drop(columns="cause_n_obs").rename(columns={"df_resid": "df"})


def anomaly_step(con, marks: pd.DataFrame | None = None) -> None:
    """Issue 5: flags on series and tasks (marks from the state store applied). Runs before the
    attribution, which leaves out the records that fabricated or broken figures made."""
    from models import anomaly

    values = con.execute("""
        SELECT v.unit_id, v.indicator, v.period, v.value, v.target, v.verified_value, d.cumulative
        FROM raw.indicator_values AS v JOIN raw.indicator_dictionary AS d USING (indicator)
    """).df()
    dictionary = read_table(con, "raw.indicator_dictionary")
    indicators = {
        r["indicator"]: {**r, "unit_types": [t for t in str(r["unit_types"] or "").split(";") if t]}
        for r in dictionary.to_dict("records")
    }
    units = read_table(con, "raw.units")
    tasks = read_table(con, "raw.tasks")
    progress = read_table(con, "raw.task_progress")
    checks = read_checks(con)
    # Check figures that name their task or series directly count in the rules too.
    progress, values = with_check_figures(progress, values, figure_targets(checks, progress, values))
    progress, values = progress.drop(columns="check_id"), values.drop(columns="check_id")

    as_of = as_of_month(con)
    detected = anomaly.detect_anomalies(values, indicators, units, tasks, progress, as_of=as_of,
                                        ratings=read_table(con, "raw.ratings"),
                                        assignments=read_table(con, "raw.assignments"))

    def run(feedback):  # marks never change detection: the rules run once, the marks twice
        return anomaly.finish_flags(detected, feedback, as_of=as_of)

    flags = run(marks)
    links = check_links(checks, flags)
    by_check = check_marks(checks, links, flags)
    feedback = marks
    if len(by_check):  # flag ids come from detection: the checks are matched, then applied as marks
        feedback = pd.concat([f for f in (marks, by_check) if f is not None and len(f)], ignore_index=True)
        flags = run(feedback)
    write_mart(con, "anomalies", with_mark_detail(flags, feedback))
    write_mart(con, "check_marks", by_check)
    _, _, targets = effective_figures(con)
    write_mart(con, "checks", checks_applied(checks, links, targets))
    write_mart(con, "check_figures", targets)  # which check replaced which reported figure
    if (targets["check_id"].isin(checks.loc[checks["task_id"].isna() & checks["unit_id"].isna(), "check_id"])).any():
        assessment_step(con)  # a figure found through its flag only: cards and scores again


def inspection_step(con, marks: pd.DataFrame | None = None) -> None:
    """The ranked 定向考察 list (flags, cards and quadrant history) and confirmed precision per rule."""
    from models import anomaly

    flags = read_table(con, "marts.anomalies")
    cards = con.execute("""
        SELECT task_id, unit_id, lead_cadre_id AS cadre_id, period, card FROM marts.task_status
    """).df()
    from models.labels import quadrant_label

    history = read_table(con, "marts.quadrants")[["cadre_id", "period", "quadrant_code"]]
    history["quadrant"] = quadrant_label(history["quadrant_code"])  # anomaly.yaml names its zone
    targets = anomaly.inspection_targets(flags, cards, history)
    write_mart(con, "inspection_targets", target_links(targets, flags))
    by_check = read_table(con, "marts.check_marks") if has_table(con, "marts", "check_marks") else None
    feedback = [f for f in (marks, by_check) if f is not None and len(f)]
    write_mart(con, "rule_precision", anomaly.rule_precision(flags, pd.concat(feedback, ignore_index=True)
                                                             if feedback else None))


# SQL marts over the model steps' results (pipelines/sql/derived, one file per relation), each
# run by the step that writes its inputs: the pages select from them and compute nothing.
DERIVED_MARTS = ("task_latest", "quadrant_points")


def sql_mart(con, name: str) -> None:
    """Create ``marts.<name>`` from pipelines/sql/derived/<name>.sql (a name of DERIVED_MARTS)."""
    if name not in DERIVED_MARTS:
        raise ValueError(f"unknown derived mart {name}")
    body = (Path(__file__).with_name("sql") / "derived" / f"{name}.sql").read_text(encoding="utf-8")
    con.execute(f"CREATE OR REPLACE TABLE marts.{name} AS\n{body.strip().rstrip(';')}")


def derived_step(con) -> None:
    """The 实绩象限 as pages show it (marts.quadrant_points): the post held in each quarter and
    the current estimate, joined once after the model steps."""
    sql_mart(con, "quadrant_points")


def default_steps(home=None) -> list:
    """The build's analytics, in order. ``home`` gives the build the state store: the users'
    marks and the checks entered in the app, and records how far into the store it read."""
    from pipelines import state
    from pipelines.refresh import record_stamp

    if home is None:
        return [assessment_step, anomaly_step, attribution_step, quadrant_step, inspection_step, derived_step]
    applied = state.stamp(home)  # read first: an entry saved meanwhile counts as pending, never as built
    marks, app_checks = state.read_marks(home), state.read_checks(home)

    def with_state(con):
        if len(app_checks):
            con.register("app_checks_df", app_checks[TABLES["checks"].column_names])
            con.execute("CREATE TABLE meta.app_checks AS SELECT * FROM app_checks_df")
            con.unregister("app_checks_df")
        record_stamp(con, applied)

    return [with_state, assessment_step, partial(anomaly_step, marks=marks), attribution_step, quadrant_step,
            partial(inspection_step, marks=marks), derived_step]


def target_links(targets: pd.DataFrame, flags: pd.DataFrame) -> pd.DataFrame:
    """The 定向考察 list with ``target_type`` (unit/cadre), ``flag_ids`` (its live flags, strongest
    first, ';'-separated) and ``status``: 属实 when a check or mark confirmed one of them, else
    未核查 (误报/已说明 flags are not live and no longer count)."""
    out = targets.copy()
    out["target_type"] = out["level"]
    live = flags
    if len(flags):
        from models.flag_status import live_flags

        live = flags[live_flags(flags)]
        by = "rank_score" if "rank_score" in live else "score"
        live = live.sort_values([by, "flag_id"], ascending=[False, True], kind="mergesort")
    ids, status = [], []
    for t in out.itertuples(index=False):
        col, key = ("cadre_id", t.cadre_id) if t.level == "cadre" else ("unit_id", t.unit_id)
        mine = live[live[col].astype(str) == str(key)] if len(live) else live
        ids.append(";".join(mine["flag_id"].astype(str)) if len(mine) else "")
        status.append("属实" if len(mine) and (mine["status"] == "属实").any() else "未核查")
    out["flag_ids"] = pd.Series(ids, index=out.index, dtype=object)
    out["status"] = pd.Series(status, index=out.index, dtype=object)
    return out
