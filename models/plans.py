"""一人一策: each plan's status and reviews at ``as_of``, and the cadre's indicators before, during
and after the plan (result table ``plans``).

A plan (contract input ``plans``: plan_id, cadre_id, shortfall, measures, mentor_id, start, end,
reviews ``;``-separated dates held, outcome) is reviewed every ``review_every_months`` months
from its start and once at its end (dianjiang.yaml ``plans``). The windows are

* before (实施前): the ``window_months`` months up to the day before ``start``;
* during (实施中): ``start`` .. ``end``;
* after  (实施后): the day after ``end`` .. ``window_months`` months later.

A period of the metrics (a month, quarter or year code) belongs to a window only when it lies
wholly inside it, so a quarter straddling the start is in neither window. This is a comparison,
not an effect of the plan: :data:`CAVEAT` says why, and every summary carries it. Pure functions.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from models.config import load_reference
from models.dictionary import as_list
from models.landmarks import as_day
from models.labels import QUADRANT_CODES, quadrant_names
from models.period import Period

WINDOWS = {"before": "实施前", "during": "实施中", "after": "实施后"}
STATUS_COLUMNS = ["plan_id", "cadre_id", "start", "end", "status", "reviews_held", "last_review", "next_review",
                  "reviews_due", "reviews_overdue", "review_note"]
WINDOW_COLUMNS = ["plan_id", "cadre_id", "window", "window_label", "window_start", "window_end", "metric", "n",
                  "mean", "summary"]
QUADRANT_COLUMNS = ("quadrant_code", "quadrant")
CAVEAT = ("实施前、中、后的对比不是一人一策的因果效应:干部往往在表现低谷时被列入一人一策,之后即使不采取措施也可能回升"
          "(均值回归);同一时期的岗位调整、任务变化和考核口径变化也会影响这些指标。")


def _review_dates(text: Any) -> list[pd.Timestamp]:
    days = [as_day(p) for p in as_list(text)]
    return sorted(d for d in days if not pd.isna(d))


def review_points(start: pd.Timestamp, end: pd.Timestamp, every: int, until: pd.Timestamp) -> list[pd.Timestamp]:
    """Review dates a plan owes: start + k·``every`` months before its end, then the end itself;
    an open-ended plan (no end) owes them up to ``until``."""
    points, k = [], 1
    stop = end if not pd.isna(end) else until
    while not pd.isna(stop):
        point = start + pd.DateOffset(months=every * k)
        if point >= stop:
            break
        points.append(point)
        k += 1
    return points + ([end] if not pd.isna(end) else [])


def plan_status(plans: pd.DataFrame, as_of: Any, config: dict | None = None) -> pd.DataFrame:
    """Status and reviews of every plan at ``as_of``.

    Input: contract ``plans``. Output: plan_id, cadre_id, start, end (Timestamps), status
    (未开始 / 进行中 / 已结束; 日期有误 when the end is before the start or the start is missing),
    reviews_held (review dates on or before as_of), last_review, next_review (the first review owed
    and not yet held; NaT when none is owed), reviews_due (reviews owed by as_of), reviews_overdue
    (owed minus held, at least 0), review_note (Chinese).
    """
    every = int((config or load_reference("dianjiang"))["plans"]["review_every_months"])
    now = as_day(as_of)
    rows = []
    for rec in plans.to_dict("records"):
        start, end = as_day(rec.get("start")), as_day(rec.get("end"))
        row = {"plan_id": rec.get("plan_id"), "cadre_id": rec.get("cadre_id"), "start": start, "end": end}
        if pd.isna(start) or (not pd.isna(end) and end < start):
            why = "缺少开始日期" if pd.isna(start) else f"结束日期 {end:%Y-%m-%d} 早于开始日期 {start:%Y-%m-%d}"
            rows.append({**row, "status": "日期有误", "reviews_held": 0, "last_review": pd.NaT,
                         "next_review": pd.NaT, "reviews_due": 0, "reviews_overdue": 0, "review_note": why})
            continue
        status = "未开始" if now < start else ("已结束" if not pd.isna(end) and now > end else "进行中")
        held = [d for d in _review_dates(rec.get("reviews")) if d <= now]
        points = review_points(start, end, every, now)
        due = sum(p <= now for p in points)
        nxt = points[len(held)] if len(held) < len(points) else pd.NaT
        overdue = max(0, due - len(held))
        if overdue:
            note = f"应复盘 {due} 次,已复盘 {len(held)} 次,逾期 {overdue} 次(最早一次应于 {nxt:%Y-%m-%d})"
        elif not pd.isna(nxt):
            note = f"已复盘 {len(held)} 次,下次复盘 {nxt:%Y-%m-%d}"
        else:
            note = f"已复盘 {len(held)} 次,复盘已完成"
        if pd.isna(end):
            note += ";未填结束日期"
        rows.append({**row, "status": status, "reviews_held": len(held), "last_review": held[-1] if held else pd.NaT,
                     "next_review": nxt, "reviews_due": due, "reviews_overdue": overdue, "review_note": note})
    return pd.DataFrame(rows, columns=STATUS_COLUMNS)


def windows_of(start: pd.Timestamp, end: pd.Timestamp, months: int) -> dict[str, tuple[pd.Timestamp, pd.Timestamp]]:
    """(first day, last day) of the before / during / after windows of a plan."""
    one = pd.Timedelta(days=1)
    return {"before": (start - pd.DateOffset(months=months), start - one), "during": (start, end),
            "after": (end + one, end + pd.DateOffset(months=months))}


def _quadrant_summary(values: pd.Series, names: dict[str, str]) -> tuple[int, str]:
    codes = values.dropna().astype(str)
    placed = codes[codes.isin(QUADRANT_CODES)]
    if codes.empty:
        return 0, "该时段无数据"
    counts = [f"{names.get(c, c)} {int((placed == c).sum())} 期" for c in QUADRANT_CODES if (placed == c).any()]
    text = "、".join(counts) if counts else "无可判定的期次"
    if len(codes) > len(placed):
        text += f"(另有 {len(codes) - len(placed)} 期不可判定,未计入)"
    return len(placed), text


def plan_windows(plans: pd.DataFrame, metrics: pd.DataFrame, as_of: Any = None, config: dict | None = None,
                 metric_names: dict[str, str] | None = None, names: dict | None = None) -> pd.DataFrame:
    """Mean and count of each metric per plan and window (long format).

    ``metrics``: one row per cadre × period: cadre_id, period (YYYY-MM / YYYY-Qn / YYYY) and any
    metric columns: numeric ones (total score, card counts, rating score ...) are averaged;
    ``quadrant_code`` (or ``quadrant``) is counted per code, only determined quadrants counted.
    ``as_of``: windows are cut at it (a window not yet over says so). ``metric_names``: Chinese
    names for the summaries (default: the column names). ``names``: quadrant names.

    Output: plan_id, cadre_id, window (before / during / after), window_label (实施前 / 实施中 /
    实施后), window_start, window_end, metric, n (periods with a value; determined quarters for the
    quadrant), mean (NaN for the quadrant or without data), summary (Chinese, "该时段无数据" when
    empty). A plan without a valid start has no rows; an open-ended plan's during window runs to as_of.
    """
    months = int((config or load_reference("dianjiang"))["plans"]["window_months"])
    now = as_day(as_of) if as_of is not None else pd.NaT
    labels = metric_names or {}
    cols = [c for c in metrics.columns if c not in ("cadre_id", "period")]
    qnames = quadrant_names(names) if any(c in QUADRANT_COLUMNS for c in cols) else {}
    spans = {p: Period.try_parse(p) for p in pd.unique(metrics["period"].astype(str))}
    m = metrics.assign(_start=metrics["period"].astype(str).map(
        lambda p: pd.Timestamp(spans[p].start) if spans[p] else pd.NaT),
        _end=metrics["period"].astype(str).map(lambda p: pd.Timestamp(spans[p].end) if spans[p] else pd.NaT))
    rows = []
    for rec in plans.to_dict("records"):
        start, end = as_day(rec.get("start")), as_day(rec.get("end"))
        if pd.isna(start) or (not pd.isna(end) and end < start):
            continue
        end = end if not pd.isna(end) else (now if not pd.isna(now) else m["_end"].max())
        mine = m[m["cadre_id"].astype(str) == str(rec.get("cadre_id"))]
        for window, (lo, hi) in windows_of(start, end, months).items():
            cut = hi if pd.isna(now) or now >= hi else now
            inside = mine[(mine["_start"] >= lo) & (mine["_end"] <= cut)]
            unfinished = "" if cut == hi else f"(该时段尚未结束,数据截至 {now:%Y-%m-%d})"
            for col in cols:
                name = labels.get(col, col)
                if col in QUADRANT_COLUMNS:
                    n, text = _quadrant_summary(inside[col], qnames)
                    mean = np.nan
                else:
                    vals = pd.to_numeric(inside[col], errors="coerce").dropna()
                    n, mean = len(vals), float(vals.mean()) if len(vals) else np.nan
                    text = f"均值 {mean:.4g}({n} 期)" if n else "该时段无数据"
                rows.append({"plan_id": rec.get("plan_id"), "cadre_id": rec.get("cadre_id"), "window": window,
                             "window_label": WINDOWS[window], "window_start": lo, "window_end": hi, "metric": col,
                             "n": n, "mean": mean, "summary": f"{name}:{text}{unfinished}"})
    return pd.DataFrame(rows, columns=WINDOW_COLUMNS)


def plans_table(status: pd.DataFrame, windows: pd.DataFrame) -> pd.DataFrame:
    """One row per plan for the ``plans`` export: the :func:`plan_status` columns, then before,
    during, after (each window's metric summaries joined by ";", "该时段无数据" when the plan has
    none) and caveat (:data:`CAVEAT`)."""
    out = status.copy()
    for window in WINDOWS:
        part = windows[windows["window"] == window].groupby("plan_id")["summary"].agg(";".join)
        out[window] = out["plan_id"].map(part).fillna("该时段无数据")
    out["caveat"] = CAVEAT
    return out
