"""核验记录 (checks): on-site verification results, delivered as the contract table ``checks``,
that mark flags like the desk does and replace reported figures with verified ones. The build's
steps (pipelines/steps.py) call these; the functions read the writer connection or take frames."""
from __future__ import annotations

import numpy as np
import pandas as pd

from models.period import Period
from pipelines.contract import TABLES
from pipelines.tables import has_table, read_table


# A check's result as a desk mark: 进度不实/成效不实 are confirmed findings (属实) that also name
# the wrong figure, so rule precision counts them as hits.
CHECK_MARK = {"属实": "属实", "进度不实": "属实", "成效不实": "属实", "已说明": "已说明", "误报": "误报"}
# An undated check loses against any dated mark of the same flag.
UNDATED = pd.Timestamp("1970-01-01")


def read_checks(con) -> pd.DataFrame:
    """raw.checks and the checks entered in the app (``meta.app_checks``, copied from the state
    store at the start of the build), with the indicator as a code (the contract accepts the
    Chinese name too)."""
    cols = TABLES["checks"].column_names
    parts = [read_table(con, f"{schema}.{name}")[cols] for schema, name in (("raw", "checks"), ("meta", "app_checks"))
             if has_table(con, schema, name)]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=cols)
    checks = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
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
    return (Period.parse(period).start, Period.parse(period).end) if _given(period) else (None, None)


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
    if flags is None and has_table(con, "marts", "anomalies"):
        flags = read_table(con, "marts.anomalies")
    targets = figure_targets(checks, progress, values, flags)
    progress, values = with_check_figures(progress, values, targets)
    return progress, values, targets


def with_check_source(result: pd.DataFrame, source: pd.DataFrame, keys: list[str], column: str) -> pd.DataFrame:
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


def with_mark_detail(flags: pd.DataFrame, feedback: pd.DataFrame | None) -> pd.DataFrame:
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
