"""Task rules of the anomaly detector: exact, configurable (``tasks`` in anomaly.yaml).

Only progress rows with ``period`` up to the as-of month count. ``as_of`` is a date
(``YYYY-MM-DD``) or a month (``YYYY-MM``, meaning its last day); by default the last day of the
latest progress month. "Complete" means actual_pct >= ``complete_pct``. Thresholds are applied
exactly as written below (strict ``>`` where the YAML says "more than", ``>=`` for cut-offs).

* 进度滞后: at the latest row, planned - actual > ``lag_pp``; or the task is not complete and
  as_of - due > ``overdue_grace_days`` days. Severity 红 when >= ``red_pp`` behind or overdue
  > ``red_overdue_days``; 橙 when >= ``orange_pp`` behind or overdue > ``orange_overdue_days``;
  else 黄 (the card thresholds of docs/domain.md §5.4).
* 成效不实: actual - verified > ``tolerance_pp`` in any row with a verified value (only
  over-reporting counts); or, with ``flag_unverified_completion``, complete at the latest row
  and never verified. Severity by the largest excess: >= ``red_pp`` 红, >= ``orange_pp`` 橙.
* 突击完成: the first complete row jumped >= ``jump_pp`` from the previous row (0 when there
  is none), in a month from ``window_before_months`` before to ``window_after_months`` after
  the due month. Severity by the jump: >= ``red_pp`` 红, >= ``orange_pp`` 橙.
* 长期未更新: not complete, planned > 0 at the latest row, and the last *update* is >=
  ``months`` months before the as-of month. An update is a row that was reported (reported_at
  present; every row counts when the column is absent) and changed actual_pct (the first row
  always counts). With no update at all the first row's month is used.
* 无佐证: complete at the latest row and the evidence_count of the rows from the completing
  row on (evidence is counted per period; missing = 0) sums to fewer than ``min_evidence``.
  橙, or 红 with ``red_if_unverified`` when the completing row has no verified value.

One flag per task carries every rule that fired (``rules``); the primary rule is the most
severe (then the largest excess). Score = ``score_base`` of the severity + the excess beyond
the firing threshold relative to it (capped at 1), so the list sorts with the series flags.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from models.period import Period
from models.rules.flags import ALL_COLUMNS, check_hint_for, empty_flags, flag_id, fmt_num

TASK_RULES = ("进度滞后", "成效不实", "突击完成", "长期未更新", "无佐证")
_SEV_RANK = {"红": 3, "橙": 2, "黄": 1}


def _month_index(period: str) -> int:
    """Months since year 0 of the last month of a progress period (month, quarter or year)."""
    return Period.parse(period).last_month_index


def _label(m: int) -> str:
    return Period.from_month_index(m).code


def parse_as_of(as_of, progress: pd.DataFrame) -> pd.Timestamp:
    if as_of is None:
        if not len(progress):
            return pd.Timestamp.today().normalize()
        last = max(progress["period"].astype(str).map(_month_index))
        return pd.Timestamp(_label(last) + "-01") + pd.offsets.MonthEnd(0)
    s = str(as_of)
    if len(s) == 7:
        return pd.Timestamp(s + "-01") + pd.offsets.MonthEnd(0)
    return pd.Timestamp(s).normalize()


def _excess(value: float, threshold: float) -> float:
    if threshold <= 0:
        return 1.0
    return float(min(1.0, max(0.0, value / threshold - 1.0)))


class _Task:
    """One task's rows up to as-of, as plain arrays (slices of the whole progress table)."""

    def __init__(self, task: Mapping, cols: Mapping[str, np.ndarray], sl: slice):
        self.task = task
        self.period = cols["period"][sl]
        self.month = cols["month"][sl]
        self.planned = cols["planned"][sl]
        self.actual = cols["actual"][sl]
        self.verified = cols["verified"][sl]
        self.evidence = cols["evidence"][sl]
        self.reported = cols["reported"][sl]


def _columns(prog: pd.DataFrame) -> dict[str, np.ndarray]:
    n = len(prog)

    def num(c):
        return pd.to_numeric(prog[c], errors="coerce").to_numpy(float) if c in prog else np.full(n, np.nan)

    has_reported = "reported_at" in prog.columns and prog["reported_at"].notna().any()
    return {
        "period": prog["period"].to_numpy(),
        "month": prog["period"].map(_month_index).to_numpy(),
        "planned": num("planned_pct"),
        "actual": num("actual_pct"),
        "verified": num("verified_pct"),
        "evidence": np.nan_to_num(num("evidence_count"), nan=0.0),
        # every row counts as reported when the column is absent or empty
        "reported": (pd.to_datetime(prog["reported_at"], errors="coerce").notna().to_numpy() if has_reported
                     else np.ones(n, bool)),
    }


def _rule_lag(t: _Task, as_of: pd.Timestamp, cfg, complete: float, peer_gap: Mapping) -> dict | None:
    c = cfg["进度滞后"]
    behind = round(float(t.planned[-1] - t.actual[-1]), 9)
    due = t.task["due"]
    done = t.actual[-1] >= complete
    overdue = (as_of - due).days if (pd.notna(due) and not done) else 0
    late = overdue > c["overdue_grace_days"]
    if not (behind > c["lag_pp"] or late):
        return None
    if behind >= c["red_pp"] or overdue > c["red_overdue_days"]:
        sev = "红"
    elif behind >= c["orange_pp"] or overdue > c["orange_overdue_days"]:
        sev = "橙"
    else:
        sev = "黄"
    i = len(t.period) - 1
    while i > 0 and t.planned[i - 1] - t.actual[i - 1] > c["lag_pp"]:
        i -= 1
    start = t.period[i] if behind > c["lag_pp"] else _label(due.year * 12 + due.month - 1)
    parts = [f"截至{t.period[-1]}计划进度{fmt_num(t.planned[-1])}%，实际{fmt_num(t.actual[-1])}%"
             + (f"，落后{fmt_num(behind)}个百分点" if behind > 0 else "")]
    if late:
        parts.append(f"已超过完成时限{due.date()}共{overdue}天仍未完成")
    gap = peer_gap.get(t.period[-1], np.nan)
    if np.isfinite(gap):
        # In words, never "为-8个百分点": how far the typical task of the month is from its plan.
        typical = (f"普遍落后计划约{fmt_num(-gap)}个百分点" if gap <= -0.5 else
                   f"普遍超前计划约{fmt_num(gap)}个百分点" if gap >= 0.5 else "普遍按计划推进")
        parts.append(f"同期其他任务{typical}（按此本任务应约{fmt_num(t.planned[-1] + gap)}%）")
    excess = max(_excess(behind, c["lag_pp"]), _excess(overdue, max(c["orange_overdue_days"], 1)) if late else 0.0)
    return {"rule": "进度滞后", "severity": sev, "excess": excess, "start": start, "end": t.period[-1],
            "reason": "，".join(parts), "actual": float(t.actual[-1]), "expected": float(t.planned[-1]),
            "peer_median": float(t.planned[-1] + gap) if np.isfinite(gap) else np.nan, "measure": "进度(%)"}


def _rule_unverified(t: _Task, cfg, complete: float) -> dict | None:
    c = cfg["成效不实"]
    over = t.actual - t.verified
    has_v = np.isfinite(t.verified)
    bad = has_v & (np.round(over, 9) > c["tolerance_pp"])
    if bad.any():
        j = int(np.nanargmax(np.where(bad, over, -np.inf)))
        worst = float(over[j])
        sev = "红" if worst >= c["red_pp"] else "橙" if worst >= c["orange_pp"] else "黄"
        idx = np.where(bad)[0]
        reason = (f"{t.period[j]}填报进度{fmt_num(t.actual[j])}%，核实进度仅{fmt_num(t.verified[j])}%，"
                  f"高出{fmt_num(worst)}个百分点（共{len(idx)}期超过容差{fmt_num(c['tolerance_pp'])}个百分点）")
        return {"rule": "成效不实", "severity": sev, "excess": _excess(worst, c["tolerance_pp"]),
                "start": t.period[idx[0]], "end": t.period[idx[-1]], "reason": reason,
                "actual": float(t.actual[j]), "expected": float(t.verified[j]), "peer_median": np.nan,
                "measure": "进度(%)"}
    if c.get("flag_unverified_completion") and t.actual[-1] >= complete and not has_v.any():
        reason = f"截至{t.period[-1]}填报完成{fmt_num(t.actual[-1])}%，但无任何核实记录"
        return {"rule": "成效不实", "severity": "黄", "excess": 0.0, "start": t.period[0], "end": t.period[-1],
                "reason": reason, "actual": float(t.actual[-1]), "expected": np.nan, "peer_median": np.nan,
                "measure": "进度(%)"}
    return None


def _rule_rush(t: _Task, cfg, complete: float) -> dict | None:
    c = cfg["突击完成"]
    done = np.where(t.actual >= complete)[0]
    if done.size == 0 or pd.isna(t.task["due"]):
        return None
    i = int(done[0])
    prev = float(t.actual[i - 1]) if i > 0 else 0.0
    jump = round(float(t.actual[i] - prev), 9)
    due = t.task["due"]
    to_due = int(t.month[i] - (due.year * 12 + due.month - 1))
    if not (jump >= c["jump_pp"] and -c["window_before_months"] <= to_due <= c["window_after_months"]):
        return None
    sev = "红" if jump >= c["red_pp"] else "橙" if jump >= c["orange_pp"] else "黄"
    when = "完成时限当月" if to_due == 0 else (f"完成时限前{-to_due}个月" if to_due < 0 else f"完成时限后{to_due}个月")
    reason = (f"{t.period[i]}（{when}）进度由{fmt_num(prev)}%一次跃升至{fmt_num(t.actual[i])}%，"
              f"单期提升{fmt_num(jump)}个百分点")
    return {"rule": "突击完成", "severity": sev, "excess": _excess(jump, c["jump_pp"]),
            "start": t.period[i - 1] if i > 0 else t.period[i], "end": t.period[i], "reason": reason,
            "actual": float(t.actual[i]), "expected": prev, "peer_median": np.nan, "measure": "进度(%)"}


def _rule_stale(t: _Task, as_of_month: int, cfg, complete: float) -> dict | None:
    c = cfg["长期未更新"]
    if t.actual[-1] >= complete or not t.planned[-1] > 0:
        return None
    changed = np.r_[True, np.diff(t.actual) != 0]
    upd = np.where(t.reported & changed)[0]
    last = int(t.month[upd[-1]]) if upd.size else int(t.month[0])
    stale = as_of_month - last
    if stale < c["months"]:
        return None
    sev = "红" if stale >= c["red_months"] else "橙" if stale >= c["orange_months"] else "黄"
    reason = (f"最近一次进度更新在{_label(last)}（{fmt_num(t.actual[-1])}%），至{_label(as_of_month)}已"
              f"{stale}个月未更新（{c['months']}个月即提示），而计划进度已达{fmt_num(t.planned[-1])}%")
    return {"rule": "长期未更新", "severity": sev, "excess": _excess(stale, c["months"]), "start": _label(last),
            "end": _label(as_of_month), "reason": reason, "actual": float(stale), "expected": float(c["months"]),
            "peer_median": np.nan, "measure": "未更新月数"}


def _rule_no_evidence(t: _Task, cfg, complete: float) -> dict | None:
    c = cfg["无佐证"]
    done = np.where(t.actual >= complete)[0]
    if done.size == 0 or t.actual[-1] < complete:
        return None
    i = int(done[0])
    n_ev = float(t.evidence[i:].sum())
    if n_ev >= c["min_evidence"]:
        return None
    unverified = not np.isfinite(t.verified[i]) or t.verified[i] < complete
    sev = "红" if (c.get("red_if_unverified") and unverified) else "橙"
    reason = f"{t.period[i]}填报完成{fmt_num(t.actual[i])}%，但此后佐证材料{int(n_ev)}件"
    if np.isfinite(t.verified[i]):
        reason += f"，核实进度{fmt_num(t.verified[i])}%"
    else:
        reason += "，且无核实记录"
    return {"rule": "无佐证", "severity": sev, "excess": 0.0, "start": t.period[i], "end": t.period[-1],
            "reason": reason, "actual": float(t.actual[i]), "expected": float(t.verified[i]),
            "peer_median": np.nan, "measure": "进度(%)"}


def detect_tasks(tasks: pd.DataFrame, progress: pd.DataFrame, cfg: Mapping, as_of=None) -> pd.DataFrame:
    if tasks is None or progress is None or len(tasks) == 0 or len(progress) == 0:
        return empty_flags()
    tcfg = cfg["tasks"]
    complete = float(tcfg["complete_pct"])
    as_of_ts = parse_as_of(as_of, progress)
    as_of_month = as_of_ts.year * 12 + as_of_ts.month - 1
    prog = progress.copy()
    prog["task_id"] = prog["task_id"].astype(str)
    prog["period"] = prog["period"].astype(str).str[:7]
    prog = prog[prog["period"].map(_month_index) <= as_of_month]
    prog = prog.sort_values(["task_id", "period"], kind="mergesort")
    gaps = (prog["actual_pct"] - prog["planned_pct"]).groupby(prog["period"]).median()
    peer_gap = gaps.to_dict()
    tk = tasks.copy()
    tk["task_id"] = tk["task_id"].astype(str)
    tk["due"] = pd.to_datetime(tk["due"], errors="coerce")
    info = tk.set_index("task_id").to_dict("index")
    out = []
    cols = _columns(prog)
    ids = prog["task_id"].to_numpy()
    uniq, first = np.unique(ids, return_index=True)
    bounds = list(first) + [len(ids)]
    for k, tid in enumerate(uniq):
        task = info.get(tid)
        if task is None:
            continue
        t = _Task(task, cols, slice(bounds[k], bounds[k + 1]))
        hits = [h for h in (
            _rule_lag(t, as_of_ts, tcfg, complete, peer_gap),
            _rule_unverified(t, tcfg, complete),
            _rule_rush(t, tcfg, complete),
            _rule_stale(t, as_of_month, tcfg, complete),
            _rule_no_evidence(t, tcfg, complete),
        ) if h is not None]
        if hits:
            out.append(_task_flag(tid, task, hits, cfg))
    if not out:
        return empty_flags()
    df = pd.DataFrame(out, columns=ALL_COLUMNS)
    return df.sort_values(["score", "flag_id"], ascending=[False, True], kind="mergesort").reset_index(drop=True)


def _task_flag(tid: str, task: Mapping, hits: list[dict], cfg: Mapping) -> dict:
    base = cfg["tasks"]["score_base"]
    hits.sort(key=lambda h: (-_SEV_RANK[h["severity"]], -h["excess"], TASK_RULES.index(h["rule"])))
    top = hits[0]
    score = base[top["severity"]] + top["excess"] + 0.25 * (len(hits) - 1)
    title = task.get("title")
    head = f"任务“{title}”：" if isinstance(title, str) and title else ""
    reason = head + top["reason"]
    if len(hits) > 1:
        reason += "。另：" + "；".join(f"【{h['rule']}】{h['reason']}" for h in hits[1:])
    reason += "。（需核查）"
    hints = [check_hint_for(h["rule"], [], [], cfg) for h in hits]
    hint = "；".join(dict.fromkeys(x for h in hints for x in h.split("；") if x))
    unit, cadre = task.get("unit_id"), task.get("lead_cadre_id")
    return {
        "flag_id": flag_id("task", unit, cadre, tid, None, top["rule"], top["start"]),
        "level": "task", "unit_id": unit, "cadre_id": cadre, "task_id": tid, "indicator": None,
        "period_start": top["start"], "period_end": top["end"], "rule": top["rule"],
        "severity": top["severity"], "score": round(score, 3), "reason": reason, "check_hint": hint,
        "rules": ";".join(h["rule"] for h in sorted(hits, key=lambda h: TASK_RULES.index(h["rule"]))),
        "actual": top["actual"], "expected": top["expected"], "peer_median": top["peer_median"],
        "measure": top["measure"], "onset": top["start"], "iforest_score": np.nan, "indicator_name": None,
    }
