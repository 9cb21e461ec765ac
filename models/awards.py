"""一事一奖 timeliness: days per stage, the one-month target, ageing of open items, per unit
(result table ``awards``).

An award goes 申报 (applied_at) → 审核 (reviewed_at) → 审批 (approved_at) → 兑现 (paid_at); an empty
date means the stage is not reached. Days are calendar days (weekends and holidays count): a
stage's days are its date minus the previous stage's date. A missing date is open, never zero:
that stage's days and every later stage's days are empty (NaN).

The target is dianjiang.yaml ``awards.target``: ``months: 1`` (paid on or before the same day of
the next calendar month; a day the next month lacks falls to its last day, so applied 31 January
→ due 28 February, or 29 in a leap year) or ``days: N`` (paid within N days). ``sla_met``:

* ``true``  paid on or before the due date;
* ``false`` paid after it, or not paid and the due date passed at ``as_of`` (overdue);
* ``open``  not paid and not yet due (or no application date to count from).

Dates out of order (a stage dated before an earlier one) or a stage skipped (a later date present
while an earlier one is empty) make the record invalid: it keeps its days and SLA (an SLA of
``open`` if paid before applied), carries the reason in Chinese in ``problem`` and is left out of
the medians. Pure functions on DataFrames.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from models.config import is_missing, load_reference
from models.landmarks import as_day

STAGES = ("applied_at", "reviewed_at", "approved_at", "paid_at")
STAGE_NAMES = {"applied_at": "申报", "reviewed_at": "审核", "approved_at": "审批", "paid_at": "兑现"}
DAY_COLUMNS = ("days_review", "days_approve", "days_pay")  # stage i ends at STAGES[i + 1]
RESULT_COLUMNS = ["award_id", "days_review", "days_approve", "days_pay", "days_total", "sla_met"]
EXTRA_COLUMNS = ["cadre_id", "unit_id", "event", "kind", *STAGES, "due", "sla_status", "valid", "problem",
                 "current_stage", "age_days", "days_in_stage", "overdue_days"]
SUMMARY_COLUMNS = ["unit_id", "n", "met", "missed", "overdue_open", "open", "invalid", "median_days_total",
                   "median_days_review", "median_days_approve", "median_days_pay", "note"]


def due_date(applied: pd.Timestamp, target: dict) -> pd.Timestamp:
    """The last day an award applied on ``applied`` may be paid to meet ``target``
    ({months: n} calendar months, clipped to the month's last day, or {days: n})."""
    if pd.isna(applied):
        return pd.NaT
    if "months" in target:
        return applied + pd.DateOffset(months=int(target["months"]))
    return applied + pd.Timedelta(days=int(target["days"]))


def _target_text(target: dict) -> str:
    return f"{int(target['months'])} 个自然月" if "months" in target else f"{int(target['days'])} 天"


def _problems(dates: dict[str, pd.Timestamp]) -> list[str]:
    out = []
    seen_gap = None
    last_key = None
    for key in STAGES:
        d = dates[key]
        if pd.isna(d):
            seen_gap = seen_gap or key
            continue
        if seen_gap:
            out.append(f"缺少{STAGE_NAMES[seen_gap]}日期但已有{STAGE_NAMES[key]}日期")
            seen_gap = None
        if last_key is not None and d < dates[last_key]:
            out.append(f"{STAGE_NAMES[key]}日期 {d:%Y-%m-%d} 早于{STAGE_NAMES[last_key]}日期 {dates[last_key]:%Y-%m-%d}")
        last_key = key
    return out


def award_stages(awards: pd.DataFrame, as_of: Any, config: dict | None = None) -> pd.DataFrame:
    """Days per stage, end to end, and the SLA of every award at ``as_of``.

    Input: contract ``awards`` (award_id, cadre_id or unit_id, event, kind, applied_at,
    reviewed_at, approved_at, paid_at; missing columns read as empty). ``config``: dianjiang.yaml.

    Output: the contract columns award_id, days_review, days_approve, days_pay, days_total
    (floats, NaN when open), sla_met ("true" / "false" / "open"), then cadre_id, unit_id, event,
    kind, the four dates (Timestamps), due (last day to pay in time), sla_status (按期兑现 /
    超期兑现 / 超期未兑现 / 办理中 / 日期有误), valid (bool), problem (Chinese, "" when none), and
    for unpaid items: current_stage (待审核 / 待审批 / 待兑现; 已兑现 once paid), age_days (as_of −
    applied), days_in_stage (as_of − the last date reached), overdue_days (as_of − due, when past).
    """
    target = (config or load_reference("dianjiang"))["awards"]["target"]
    now = as_day(as_of)
    rows = []
    for rec in awards.to_dict("records"):
        dates = {k: as_day(rec.get(k)) for k in STAGES}
        row = {k: rec.get(k) for k in ("award_id", "cadre_id", "unit_id", "event", "kind")}
        row.update(dates)
        open_from = False
        for i, col in enumerate(DAY_COLUMNS):
            a, b = dates[STAGES[i]], dates[STAGES[i + 1]]
            open_from = open_from or pd.isna(a) or pd.isna(b)
            row[col] = np.nan if open_from else float((b - a).days)
        applied, paid = dates["applied_at"], dates["paid_at"]
        row["days_total"] = float((paid - applied).days) if not (pd.isna(applied) or pd.isna(paid)) else np.nan
        problems = _problems(dates) if not pd.isna(applied) else ["缺少申报日期,无法计算用时"]
        due = due_date(applied, target)
        if pd.isna(applied) or (not pd.isna(paid) and paid < applied):
            sla, status = "open", "日期有误"
        elif not pd.isna(paid):
            sla, status = ("true", "按期兑现") if paid <= due else ("false", "超期兑现")
        elif now > due:
            sla, status = "false", "超期未兑现"
        else:
            sla, status = "open", "办理中"
        if problems:
            status = "日期有误"
        reached = [k for k in STAGES if not pd.isna(dates[k])]
        waiting = next((k for k in STAGES if pd.isna(dates[k])), None)
        unpaid = pd.isna(paid) and not pd.isna(applied)
        row.update({
            "due": due, "sla_met": sla, "sla_status": status, "valid": not problems, "problem": ";".join(problems),
            "current_stage": "已兑现" if not pd.isna(paid) else (f"待{STAGE_NAMES[waiting]}" if waiting else ""),
            "age_days": float((now - applied).days) if unpaid else np.nan,
            "days_in_stage": float((now - dates[reached[-1]]).days) if unpaid and reached else np.nan,
            "overdue_days": float((now - due).days) if unpaid and now > due else np.nan,
        })
        rows.append(row)
    return pd.DataFrame(rows, columns=RESULT_COLUMNS + EXTRA_COLUMNS)


def open_items(stages: pd.DataFrame) -> pd.DataFrame:
    """The unpaid awards for the desk: overdue first (longest overdue on top), then by age."""
    out = stages[stages["paid_at"].isna() & stages["applied_at"].notna()].copy()
    out["_late"] = out["sla_met"].eq("false")
    return out.sort_values(["_late", "overdue_days", "age_days", "award_id"],
                           ascending=[False, False, False, True]).drop(columns="_late").reset_index(drop=True)


def unit_summary(stages: pd.DataFrame, config: dict | None = None) -> pd.DataFrame:
    """Per unit (unit_id; "" when an award names only a cadre): n, met (paid in time), missed
    (sla false: paid late or overdue), overdue_open (not paid and past due), open (sla open), so
    n = met + missed + open; invalid (dates with a problem, counted above too, left out of the medians),
    median days of the valid items per stage and end to end (NaN when none), note (Chinese)."""
    target = _target_text((config or load_reference("dianjiang"))["awards"]["target"])
    unit = stages["unit_id"].map(lambda u: "" if is_missing(u) else str(u))
    rows = []
    for u, g in stages.groupby(unit, sort=True):
        ok = g[g["valid"].astype(bool)]
        row = {"unit_id": u, "n": len(g), "met": int(g["sla_met"].eq("true").sum()),
               "missed": int(g["sla_met"].eq("false").sum()),
               "overdue_open": int((g["sla_met"].eq("false") & g["paid_at"].isna()).sum()),
               "open": int(g["sla_met"].eq("open").sum()),
               "invalid": int((~g["valid"].astype(bool)).sum())}
        for col in ("days_total", *DAY_COLUMNS):
            row[f"median_{col}"] = float(ok[col].median()) if ok[col].notna().any() else np.nan
        note = f"共 {row['n']} 项:按期兑现 {row['met']} 项,超期 {row['missed']} 项(其中未兑现 {row['overdue_open']} 项)," \
               f"办理中 {row['open']} 项;目标 {target} 内兑现"
        med = row["median_days_total"]
        note += f";兑现用时中位数 {med:g} 天" if not np.isnan(med) else ";尚无日期完整的已兑现事项,用时中位数不可计算"
        if row["invalid"]:
            note += f";{row['invalid']} 项日期有误,未计入中位数"
        row["note"] = note
        rows.append(row)
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
