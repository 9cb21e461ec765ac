"""Analytics steps run inside every build, after the SQL marts: each takes the writer connection
of the new version, reads raw/staging/marts, calls pure functions in ``models/`` and writes its
results back as ``marts.*`` tables of the same new file."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from pipelines.contract import TABLES

PROVENANCE = ["_source", "_row", "_batch"]


def read_table(con, relation: str) -> pd.DataFrame:
    """A whole relation as a frame, without provenance columns. ``relation`` is internal."""
    frame = con.execute(f"SELECT * FROM {relation}").df()
    return frame.drop(columns=[c for c in PROVENANCE if c in frame])


def _has(con, schema: str, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = $s "
                            "AND table_name = $t", {"s": schema, "t": name}).fetchall()[0][0])


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
    write_mart(con, "unit_scores", _with_check_source(unit_scores, values, ["unit_id", "indicator", "period"],
                                                      "value_source"))
    status = _with_check_source(cards.task_status(raw["tasks"], raw["task_progress"]), progress,
                                ["task_id", "period"], "pct_source")
    write_mart(con, "task_status", status)
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
    for name, frame in result_frames.items():
        write_mart(con, name, frame)


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
    if not rules or not _has(con, "marts", "anomalies"):
        return pd.DataFrame(columns=["unit_id", "indicator", "period_start", "period_end"]), set()
    live = con.execute("""
        SELECT level, unit_id, indicator, period_start, period_end, task_id FROM marts.anomalies
        WHERE list_has_any(string_split(coalesce(rules, rule), ';'), $rules)
          AND NOT coalesce(suppressed, false) AND coalesce(status, '') NOT IN ('误报', '已说明')
    """, {"rules": list(rules)}).df()
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
    for period, month_end in quarter_ends(as_of_month(con), int(qcfg["trajectory_quarters"])):
        records, shares = attribution_inputs(con, task_roles, until=month_end,
                                             exclude_rules=cfg.get("exclude_flagged_rules"))
        fit = fit_or_none(fit_contributions, records, shares, cfg, cadres)
        if fit is None:
            continue
        x = quadrant_x(fit)
        unit_part = composite.unit_indicator_part(unit_scores, assignments, month_end)
        scores = composite.cadre_scores(tasks, status, ratings, cadres, measures, as_of=month_end,
                                        year=int(month_end[:4]), unit_part=unit_part)
        scores = scores[scores["performance_score"].notna()][["cadre_id", "performance_score", "performance_continuous"]]
        scores = scores.assign(period=period, score=scores["performance_score"],
                               tiebreak=scores["performance_continuous"])
        scores["y"] = quadrant.performance_percentile(scores)
        points = scores[["cadre_id", "period", "y"]].merge(x.rename(columns={"effect": "x"}), on="cadre_id", how="left")
        frames.append(quadrant.assign_quadrants(points, qcfg))
    columns = quadrant.QUADRANT_COLUMNS + ["identified"] + quadrant.EVIDENCE_COLUMNS
    write_mart(con, "quadrants", pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns))


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


def quarter_ends(as_of: str, n: int) -> list[tuple[str, str]]:
    """('YYYY-Qn', 'YYYY-MM' of its last month) for the last ``n`` complete quarters up to as_of."""
    if not as_of:
        return []
    year, month = int(as_of[:4]), int(as_of[5:7])
    q = month // 3  # the last quarter whose final month is reported
    out = []
    while len(out) < n and year > 1990:
        if q == 0:
            year, q = year - 1, 4
            continue
        out.append((f"{year}-Q{q}", f"{year}-{3 * q:02d}"))
        q -= 1
    return out[::-1]


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

    def run(feedback):
        return anomaly.run_anomalies(values, indicators, units, tasks, progress, feedback=feedback,
                                     as_of=as_of_month(con), ratings=read_table(con, "raw.ratings"),
                                     assignments=read_table(con, "raw.assignments"))

    flags = run(marks)
    links = check_links(checks, flags)
    by_check = check_marks(checks, links, flags)
    feedback = marks
    if len(by_check):  # flag ids come from detection: the checks are matched, then applied as marks
        feedback = pd.concat([f for f in (marks, by_check) if f is not None and len(f)], ignore_index=True)
        flags = run(feedback)
    write_mart(con, "anomalies", _with_mark_detail(flags, feedback))
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
    history = read_table(con, "marts.quadrants")[["cadre_id", "period", "quadrant"]]
    targets = anomaly.inspection_targets(flags, cards, history)
    write_mart(con, "inspection_targets", target_links(targets, flags))
    by_check = read_table(con, "marts.check_marks") if _has(con, "marts", "check_marks") else None
    feedback = [f for f in (marks, by_check) if f is not None and len(f)]
    write_mart(con, "rule_precision", anomaly.rule_precision(flags, pd.concat(feedback, ignore_index=True)
                                                             if feedback else None))


def default_steps(home=None) -> list:
    """The build's analytics, in order. ``home`` gives the anomaly step the users' marks."""
    from pipelines.state import read_marks

    marks = read_marks(home) if home is not None else None
    return [assessment_step, lambda con: anomaly_step(con, marks), attribution_step, quadrant_step,
            lambda con: inspection_step(con, marks)]


# --- 核验记录 (checks): on-site results that mark flags and replace reported figures ----------

# A check's result as a desk mark: 进度不实/成效不实 are confirmed findings (属实) that also name
# the wrong figure, so rule precision counts them as hits.
CHECK_MARK = {"属实": "属实", "进度不实": "属实", "成效不实": "属实", "已说明": "已说明", "误报": "误报"}
# An undated check loses against any dated mark of the same flag.
UNDATED = pd.Timestamp("1970-01-01")


def read_checks(con) -> pd.DataFrame:
    """raw.checks with the indicator as a code (the contract accepts the Chinese name too)."""
    cols = TABLES["checks"].column_names
    if not _has(con, "raw", "checks"):
        return pd.DataFrame(columns=cols)
    checks = read_table(con, "raw.checks")
    names = read_table(con, "raw.indicator_dictionary")[["indicator", "name"]]
    lookup = {str(c).lower(): c for c in names["indicator"]}
    lookup.update({str(n).strip().lower(): c for c, n in zip(names["indicator"], names["name"]) if isinstance(n, str)})
    ind = checks["indicator"].astype("string")
    checks["indicator"] = ind.str.lower().map(lookup).fillna(ind).astype(object)
    checks["checked_at"] = pd.to_datetime(checks["checked_at"], errors="coerce")
    return checks


def _given(v) -> bool:
    return v is not None and not (isinstance(v, float) and np.isnan(v)) and not pd.isna(v) and str(v) != ""


def _span(period) -> tuple:
    from pipelines.normalize import period_end, period_start

    return (period_start(str(period)), period_end(str(period))) if _given(period) else (None, None)


def check_links(checks: pd.DataFrame, flags: pd.DataFrame | None) -> pd.DataFrame:
    """(check_id, flag_id) for every flag a check speaks about: the flag it names, else the flags
    of its task, else the series flags of its unit + indicator; a period narrows to the flags
    whose span covers it."""
    rows = []
    if flags is None or flags.empty or checks.empty:
        return pd.DataFrame(columns=["check_id", "flag_id"])
    fl = flags.assign(_fid=flags["flag_id"].astype(str))
    spans = {p: _span(p) for p in pd.concat([fl["period_start"], fl["period_end"]]).dropna().unique()}
    for c in checks.itertuples(index=False):
        if _given(c.flag_id):
            hit = fl[fl["_fid"] == str(c.flag_id)]
        elif _given(c.task_id):
            hit = fl[fl["task_id"].astype(str) == str(c.task_id)]
        elif _given(c.unit_id) and _given(c.indicator):
            hit = fl[(fl["level"] == "series") & (fl["unit_id"].astype(str) == str(c.unit_id))
                     & (fl["indicator"].astype(str) == str(c.indicator))]
        else:
            continue
        if not _given(c.flag_id) and _given(c.period) and len(hit):
            lo, hi = _span(c.period)
            covers = [(spans.get(s, (None, None))[0] or lo) <= hi and (spans.get(e, (None, None))[1] or hi) >= lo
                      for s, e in zip(hit["period_start"], hit["period_end"])]
            hit = hit[covers]
        rows += [(c.check_id, f) for f in hit["_fid"]]
    return pd.DataFrame(rows, columns=["check_id", "flag_id"])


def figure_targets(checks: pd.DataFrame, progress: pd.DataFrame, values: pd.DataFrame,
                   flags: pd.DataFrame | None = None) -> pd.DataFrame:
    """The reported figure each check with a verified figure replaces: a progress report
    (task_id, period) or an indicator value (unit_id, indicator, period). A check naming only a
    flag takes the flag's task or series at its last period; a task check without a period takes
    the task's last report up to the check date. The latest check of a figure wins."""
    cols = ["check_id", "kind", "task_id", "unit_id", "indicator", "period", "figure", "checked_at"]
    if checks.empty:
        return pd.DataFrame(columns=cols)
    has_fig = checks["verified_pct"].notna() | checks["verified_value"].notna()
    by_flag = flags.assign(_fid=flags["flag_id"].astype(str)).set_index("_fid") if flags is not None and len(flags) else None
    prog = progress[["task_id", "period"]].astype(str).copy()
    prog["_end"] = [_span(p)[1] for p in prog["period"]]
    value_keys = set(zip(values["unit_id"].astype(str), values["indicator"].astype(str), values["period"].astype(str)))
    rows = []
    for c in checks[has_fig].itertuples(index=False):
        task, unit, ind, period = (c.task_id, None, None, c.period) if _given(c.task_id) else (None, c.unit_id, c.indicator, c.period)
        if not _given(task) and not (_given(unit) and _given(ind) and _given(period)):
            if not _given(c.flag_id) or by_flag is None or str(c.flag_id) not in by_flag.index:
                continue
            f = by_flag.loc[str(c.flag_id)]
            if isinstance(f, pd.DataFrame):
                f = f.iloc[0]
            period = f["period_end"]
            if f["level"] == "task" and _given(f["task_id"]):
                task = f["task_id"]
            elif f["level"] == "series":
                unit, ind = f["unit_id"], f["indicator"]
            else:
                continue
        if _given(task):
            figure = c.verified_pct if _given(c.verified_pct) else c.verified_value
            mine = prog[prog["task_id"] == str(task)]
            limit = _span(period)[1] if _given(period) else (c.checked_at.date() if _given(c.checked_at) else None)
            if limit is not None:
                mine = mine[mine["_end"] <= limit]
            if mine.empty or not 0 <= float(figure) <= 100:
                continue
            rows.append((c.check_id, "task", str(task), None, None, mine.sort_values("_end")["period"].iloc[-1],
                         float(figure), c.checked_at))
        else:
            figure = c.verified_value if _given(c.verified_value) else c.verified_pct
            if (str(unit), str(ind), str(period)) not in value_keys:
                continue
            rows.append((c.check_id, "series", None, str(unit), str(ind), str(period), float(figure), c.checked_at))
    out = pd.DataFrame(rows, columns=cols)
    out["_at"] = out["checked_at"].fillna(UNDATED)
    out = out.sort_values(["_at", "check_id"], kind="mergesort")
    return out.drop_duplicates(["kind", "task_id", "unit_id", "indicator", "period"], keep="last").drop(columns="_at")


def with_check_figures(progress: pd.DataFrame, values: pd.DataFrame, targets: pd.DataFrame):
    """Progress and values with the checks' figures as verified_pct / verified_value (the
    reported actual_pct / value stay as they were) and ``checked_by_check`` naming the check."""
    progress, values = progress.copy(), values.copy()
    for frame, kind, keys, col in ((progress, "task", ["task_id", "period"], "verified_pct"),
                                   (values, "series", ["unit_id", "indicator", "period"], "verified_value")):
        frame["check_id"] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
        t = targets[targets["kind"] == kind]
        if t.empty or frame.empty:
            continue
        fig = dict(zip(map(tuple, t[keys].astype(str).to_numpy()), zip(t["figure"], t["check_id"])))
        hit = [fig.get(k) for k in map(tuple, frame[keys].astype(str).to_numpy())]
        mask = np.array([h is not None for h in hit])
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
        frame.loc[mask, col] = [h[0] for h in hit if h is not None]
        frame.loc[mask, "check_id"] = [h[1] for h in hit if h is not None]
    return progress, values


def check_marks(checks: pd.DataFrame, links: pd.DataFrame, flags: pd.DataFrame) -> pd.DataFrame:
    """The checks as desk marks (the feedback ``run_anomalies`` and ``rule_precision`` read)."""
    from pipelines.state import MARK_COLUMNS

    if links.empty:
        return pd.DataFrame(columns=MARK_COLUMNS + ["check_id", "result"])
    keys = flags.assign(flag_id=flags["flag_id"].astype(str))[["flag_id", "level", "unit_id", "indicator", "task_id", "rule"]]
    m = links.merge(checks[["check_id", "result", "note", "checked_by", "checked_at"]], on="check_id")
    m = m.merge(keys.drop_duplicates("flag_id"), on="flag_id", how="left")
    return m.assign(status=m["result"].map(CHECK_MARK), marked_by=m["checked_by"],
                    marked_at=m["checked_at"].fillna(UNDATED))[MARK_COLUMNS + ["check_id", "result"]]


def effective_figures(con, flags: pd.DataFrame | None = None):
    """raw.task_progress and raw.indicator_values with the checks' verified figures, and the
    figure targets (which check replaced which figure)."""
    progress = read_table(con, "raw.task_progress")
    values = read_table(con, "raw.indicator_values")
    checks = read_checks(con)
    if flags is None and _has(con, "marts", "anomalies"):
        flags = read_table(con, "marts.anomalies")
    targets = figure_targets(checks, progress, values, flags)
    progress, values = with_check_figures(progress, values, targets)
    return progress, values, targets


def _with_check_source(result: pd.DataFrame, source: pd.DataFrame, keys: list[str], column: str) -> pd.DataFrame:
    """``check_id`` of the check whose figure a row uses, and 现场核验 as its figure's source."""
    out = result.copy()
    hit = source[source["check_id"].notna()]
    ids = dict(zip(map(tuple, hit[keys].astype(str).to_numpy()), hit["check_id"]))
    out["check_id"] = [ids.get(k) for k in map(tuple, out[keys].astype(str).to_numpy())] if len(out) else []
    out["check_id"] = out["check_id"].astype(object)
    if column in out and len(out):
        out.loc[out["check_id"].notna(), column] = "现场核验"
    return out


def _with_check_result(flags: pd.DataFrame, feedback: pd.DataFrame | None) -> pd.DataFrame:
    """``check_id`` / ``check_result`` of the check behind a flag's status (when the latest mark
    of the flag is a check): 进度不实/成效不实 stay visible although they count as 属实."""
    out = flags.copy()
    out["check_id"] = pd.Series([None] * len(out), index=out.index, dtype=object)
    out["check_result"] = pd.Series([None] * len(out), index=out.index, dtype=object)
    if feedback is None or not len(feedback) or "check_id" not in feedback or not len(out):
        return out
    fb = feedback.assign(flag_id=feedback["flag_id"].astype(str),
                         _at=pd.to_datetime(feedback["marked_at"], errors="coerce"))
    last = fb.sort_values(["flag_id", "_at"], kind="mergesort").drop_duplicates("flag_id", keep="last")
    last = last[last["check_id"].notna()].set_index("flag_id")
    fid = out["flag_id"].astype(str)
    out["check_id"] = fid.map(last["check_id"]).astype(object)
    out["check_result"] = fid.map(last["result"]).astype(object)
    return out


def _with_mark_detail(flags: pd.DataFrame, feedback: pd.DataFrame | None) -> pd.DataFrame:
    """``status_note`` / ``status_by`` / ``status_at``: the note, author and time of the mark
    (desk or check) behind a flag's status, so a briefing can say who settled it, when and why."""
    out = _with_check_result(flags, feedback)
    for col in ("status_note", "status_by", "status_at"):
        out[col] = pd.Series([None] * len(out), index=out.index, dtype=object)
    if feedback is None or not len(feedback) or not len(out):
        return out
    fb = feedback.assign(flag_id=feedback["flag_id"].astype(str),
                         _at=pd.to_datetime(feedback["marked_at"], errors="coerce"))
    last = fb.sort_values(["flag_id", "_at"], kind="mergesort").drop_duplicates("flag_id", keep="last").set_index("flag_id")
    fid = out["flag_id"].astype(str)
    own = fid.map(last["status"]) == out["status"]  # not a repeat settled by another flag's mark
    for col, src in (("status_note", "note"), ("status_by", "marked_by")):
        text = fid.map(last[src]).astype(object)
        out[col] = text.where(own & text.map(lambda v: isinstance(v, str) and v.strip() != ""), None)
    at = fid.map(last["_at"])
    out["status_at"] = at.where(own & at.notna() & (at != UNDATED)).dt.strftime("%Y-%m-%d %H:%M") \
        .str.replace(" 00:00", "", regex=False).astype(object)
    out["status_at"] = out["status_at"].where(out["status_at"].notna(), None)
    return out


def checks_applied(checks: pd.DataFrame, links: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """The checks as delivered, plus ``applied`` (it matched a flag or replaced a figure),
    ``flag_ids`` it marked and the figure it replaced (``figure_kind``/``figure_period``)."""
    out = checks.copy()
    flag_ids = links.groupby("check_id")["flag_id"].agg(";".join) if len(links) else pd.Series(dtype=object)
    out["flag_ids"] = out["check_id"].map(flag_ids).astype(object)
    fig = targets.set_index("check_id")
    out["figure_kind"] = out["check_id"].map(fig["kind"].map({"task": "任务进度", "series": "指标数值"})).astype(object)
    out["figure_period"] = out["check_id"].map(fig["period"]).astype(object)
    out["applied"] = out["flag_ids"].notna() | out["figure_kind"].notna()
    return out


def target_links(targets: pd.DataFrame, flags: pd.DataFrame) -> pd.DataFrame:
    """The 定向考察 list with ``target_type`` (unit/cadre), ``flag_ids`` (its live flags, strongest
    first, ';'-separated) and ``status``: 属实 when a check or mark confirmed one of them, else
    未核查 (误报/已说明 flags are not live and no longer count)."""
    out = targets.copy()
    out["target_type"] = out["level"]
    live = flags
    if len(flags):
        live = flags[~flags["suppressed"].fillna(False).astype(bool) & ~flags["status"].isin(["误报", "已说明"])]
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
