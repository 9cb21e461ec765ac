"""Task status and 亮牌警示 cards per task × period (DOMAIN.md §5.4, result table `task_status`).

Rules (all thresholds in ``data/reference/cards.yaml``), evaluated for every progress report:

* ``gap_pp = actual_pct − planned_pct`` where actual is 核实进度 (verified_pct) when present and the
  planned milestone falls back to linear time-elapsed progress to the due date when missing;
* gap rule: gap < −10 → 黄, gap ≤ −20 → 橙, gap ≤ −30 → 红 (−10 ≤ gap < 0 stays 绿: tolerance);
* overdue rule (past 完成时限, not done): ≤ 30 days 黄, ≤ 60 days 橙, > 60 days 红;
* forecast rule: behind plan and the pace of the last reports reaches < 60 % by the due date → 红;
* escalation: the n-th consecutive report with a 黄/橙/红 rule card is at least 橙 (n ≥ 2) or 红
  (n ≥ 3); a 绿 report resets the streak;
* status: 已完成 when done, else 绿 正常推进, 黄/橙 进度偏慢, 红 滞后;
* deduction: per card issued or upgraded (``per_issue``) or per period (``per_period``).

Cards are computed, never edited: manual overrides are separate rows with a reason
(``apply_overrides``), and the effective card sits next to the computed one.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from models.config import CARD_LEVEL, CARDS, is_missing, resolve
from models.period import period_frame

RESULT_COLUMNS = ["task_id", "period", "planned_pct", "actual_pct", "gap_pp", "status", "card"]
_EPS = 1e-9


def split_ids(x: Any) -> list[str]:
    """Co-cadre ids from a list or a ';'-separated string (empty/None → [])."""
    if x is None:
        return []
    if isinstance(x, (list, tuple, set, np.ndarray)):
        items = [str(v) for v in x]
    elif is_missing(x):
        return []
    else:
        items = str(x).replace("；", ";").replace(",", ";").split(";")
    out: list[str] = []
    for v in (s.strip() for s in items):
        if v and v not in out:
            out.append(v)
    return out


def task_roles(tasks: pd.DataFrame, config: dict | None = None) -> pd.DataFrame:
    """One row per task × cadre: task_id, year, cadre_id, role (责任人/配合), share.

    Shares from weights.yaml ``performance.role_shares``: 责任人 0.6, 配合干部 share 0.4 evenly;
    a task without co-cadres gives the 责任人 1.0. Shares of one task sum to 1.
    """
    shares = resolve(config, "weights")["performance"]["role_shares"]
    lead_share, co_share = float(shares["lead"]), float(shares["co"])
    rows = []
    for rec in tasks.to_dict("records"):
        lead = str(rec["lead_cadre_id"])
        co = [c for c in split_ids(rec.get("co_cadre_ids")) if c != lead]
        year = rec.get("year")
        if co:
            rows.append((rec["task_id"], year, lead, "责任人", lead_share))
            rows.extend((rec["task_id"], year, c, "配合", co_share / len(co)) for c in co)
        else:
            rows.append((rec["task_id"], year, lead, "责任人", 1.0))
    return pd.DataFrame(rows, columns=["task_id", "year", "cadre_id", "role", "share"])


def _deductions_along(levels: list[int], cfg: dict) -> list[float]:
    ded = cfg["deductions"]
    out, prev = [], 0
    for lv in levels:
        if cfg["deduction_mode"] == "per_period":
            out.append(float(ded[CARDS[lv]]))
        else:
            out.append(float(ded[CARDS[lv]]) if lv > prev and lv > 0 else 0.0)
        prev = lv
    return out


def task_status(
    tasks: pd.DataFrame,
    task_progress: pd.DataFrame,
    config: dict | None = None,
) -> pd.DataFrame:
    """Status and card per task × period (result table ``task_status``).

    Parameters
    ----------
    tasks : contract ``tasks`` (task_id, year, due, lead_cadre_id, unit_id, ...).
    task_progress : contract ``task_progress`` (task_id, period, planned_pct, actual_pct
        [, verified_pct, evidence_count, reported_at]).
    config : parsed cards.yaml (default: load it).

    Returns the contract columns ``task_id, period, planned_pct, actual_pct, gap_pp, status,
    card`` where ``actual_pct`` is the assessed progress (核实 when present), plus:
    reported_pct, pct_source, planned_source, year, period_end, due, overdue_days,
    forecast_pct, base_card, streak, card_rule, deduction, talk_level, unit_id, lead_cadre_id,
    title (the task's title as delivered, so an export reads without a join).
    """
    cfg = resolve(config, "cards")
    th, od, esc, fc = cfg["thresholds"], cfg["overdue"], cfg["escalation"], cfg["forecast"]
    done_at = float(th["done_at_pct"])
    words = cfg["status_words"]

    out_cols = RESULT_COLUMNS + [
        "reported_pct", "pct_source", "planned_source", "year", "period_end", "due",
        "overdue_days", "forecast_pct", "base_card", "streak", "card_rule", "deduction",
        "talk_level", "unit_id", "lead_cadre_id", "title",
    ]
    prog = task_progress.copy()
    if prog.empty:
        return pd.DataFrame(columns=out_cols)
    for col in ("verified_pct", "planned_pct", "actual_pct"):
        if col not in prog.columns:
            prog[col] = np.nan
        prog[col] = pd.to_numeric(prog[col], errors="coerce").astype(float)
    prog["period"] = prog["period"].astype(str)
    pf = period_frame(prog["period"])
    prog["_pyear"], prog["_month"], prog["period_end"] = pf["year"], pf["end_month"], pf["period_end"]
    tcols = [c for c in ("task_id", "year", "due", "unit_id", "lead_cadre_id", "title") if c in tasks.columns]
    t = tasks[tcols].drop_duplicates("task_id").set_index("task_id")
    for col in ("year", "due", "unit_id", "lead_cadre_id", "title"):
        prog[f"_t_{col}"] = prog["task_id"].map(t[col]) if col in t.columns else np.nan
    prog["_t_year"] = pd.to_numeric(prog["_t_year"], errors="coerce").fillna(prog["_pyear"]).astype(int)
    prog["due"] = pd.to_datetime(prog["_t_due"], errors="coerce")
    prog = prog.sort_values(["task_id", "_pyear", "_month"], kind="stable").reset_index(drop=True)

    # Dates as whole days since the epoch: plain integer arithmetic in the loop below.
    epoch = pd.Timestamp("1970-01-01")
    ev_day = ((prog["period_end"] - epoch).dt.days).to_numpy()
    due_day = ((prog["due"] - epoch).dt.days).to_numpy(dtype=float, na_value=np.nan)
    start_day = np.array([(pd.Timestamp(year=int(y), month=1, day=1) - epoch).days for y in prog["_t_year"]])
    dec31 = np.array([(pd.Timestamp(year=int(y), month=12, day=31) - epoch).days for y in prog["_t_year"]])

    red_pp, orange_pp, yellow_pp = (float(th["red_at_or_below_pp"]), float(th["orange_at_or_below_pp"]),
                                    float(th["yellow_below_pp"]))
    y_days, o_days = float(od["yellow_max_days"]), float(od["orange_max_days"])
    to_red, to_orange = int(esc["streak_to_red"]), int(esc["streak_to_orange"])
    fc_on, fc_min, fc_pace = bool(fc["enabled"]), int(fc["min_reports"]), int(fc["pace_reports"])
    fc_red, fc_behind = float(fc["red_below_pct"]), bool(fc["only_when_behind"])
    use_verified = bool(cfg["use_verified"])
    ded = {c: float(v) for c, v in cfg["deductions"].items()}
    per_period = cfg["deduction_mode"] == "per_period"

    n = len(prog)
    cols: dict[str, list] = {k: [None] * n for k in (
        "planned_pct", "actual_pct", "gap_pp", "status", "card", "pct_source", "planned_source",
        "overdue_days", "forecast_pct", "base_card", "streak", "card_rule", "deduction")}
    task_ids = prog["task_id"].to_numpy()
    planned_in = prog["planned_pct"].to_numpy()
    actual_in = prog["actual_pct"].to_numpy()
    verified_in = prog["verified_pct"].to_numpy()
    prev_task = object()
    history: list[tuple[int, float]] = []
    streak = prev_level = 0
    last_assessed = 0.0
    for i in range(n):
        if task_ids[i] != prev_task:  # a new task: reset its running state
            prev_task, history, streak, prev_level, last_assessed = task_ids[i], [], 0, 0, 0.0
        ev, due = int(ev_day[i]), due_day[i]
        has_due = not np.isnan(due)
        rules: list[str] = []
        # Planned milestone, or time-elapsed progress from 1 January to the due date.
        planned, planned_source = planned_in[i], "节点计划"
        if np.isnan(planned):
            horizon = int(due) if has_due else int(dec31[i])
            span = max(horizon - int(start_day[i]), 1)
            planned = 100.0 * min(max((ev - int(start_day[i])) / span, 0.0), 1.0)
            planned_source = "时序进度"
        if use_verified and not np.isnan(verified_in[i]):
            assessed, source = float(verified_in[i]), "核实"
        elif not np.isnan(actual_in[i]):
            assessed, source = float(actual_in[i]), "填报"
        else:
            assessed, source = last_assessed, "未填报(沿用上期)"
        last_assessed = assessed
        gap = assessed - planned
        done = assessed >= done_at - _EPS
        history.append((ev, assessed))

        level, overdue_days, forecast = 0, np.nan, np.nan
        if done:
            rules.append(f"已完成({assessed:g}%)")
        else:
            # Gap rule.
            if gap <= red_pp + _EPS:
                level = 3
                rules.append(f"差距{gap:.1f}pp≤{red_pp:g}pp→红")
            elif gap <= orange_pp + _EPS:
                level = 2
                rules.append(f"差距{gap:.1f}pp≤{orange_pp:g}pp→橙")
            elif gap < yellow_pp - _EPS:
                level = 1
                rules.append(f"差距{gap:.1f}pp<{yellow_pp:g}pp→黄")
            # Overdue rule: past the due date (完成时限) and not done.
            if has_due and ev > due:
                overdue_days = int(ev - due)
                ol = 1 if overdue_days <= y_days else 2 if overdue_days <= o_days else 3
                rules.append(f"逾期{overdue_days}天→{CARDS[ol]}")
                level = max(level, ol)
            # Forecast rule: the pace of the last reports extrapolated to the due date.
            if (fc_on and len(history) >= fc_min and (gap < -_EPS or not fc_behind)
                    and has_due and ev <= due):
                ref_ev, ref_a = history[max(0, len(history) - fc_pace)]
                pace = max((assessed - ref_a) / max(ev - ref_ev, 1), 0.0)
                forecast = min(assessed + pace * (due - ev), 100.0)
                if forecast < fc_red - _EPS:
                    rules.append(f"预计完成{forecast:.1f}%<{fc_red:g}%→红")
                    level = 3
            if level == 0:
                rules.append(f"差距{gap:.1f}pp在容差内→绿" if gap < 0 else f"差距{gap:.1f}pp→绿")
        base_level = level
        # Escalation over consecutive reports with a non-green rule card.
        streak = streak + 1 if base_level > 0 else 0
        if base_level > 0:
            if streak >= to_red and level < 3:
                level = 3
                rules.append(f"连续{streak}期黄/橙→红")
            elif streak >= to_orange and level < 2:
                level = 2
                rules.append(f"连续{streak}期黄/橙→橙")
        card = CARDS[level]
        if per_period:
            deduction = ded[card]
        else:  # per_issue: a card issued or upgraded
            deduction = ded[card] if level > prev_level and level > 0 else 0.0
        prev_level = level
        for k, v in (("planned_pct", float(planned)), ("actual_pct", assessed), ("gap_pp", float(gap)),
                     ("status", words["done"] if done else cfg["status_by_card"][card]), ("card", card),
                     ("pct_source", source), ("planned_source", planned_source),
                     ("overdue_days", overdue_days), ("forecast_pct", forecast),
                     ("base_card", CARDS[base_level]), ("streak", streak),
                     ("card_rule", ";".join(rules)), ("deduction", deduction)):
            cols[k][i] = v

    out = pd.DataFrame({
        "task_id": prog["task_id"], "period": prog["period"], **cols,
        "reported_pct": prog["actual_pct"], "year": prog["_t_year"], "period_end": prog["period_end"],
        "due": prog["due"], "unit_id": prog["_t_unit_id"], "lead_cadre_id": prog["_t_lead_cadre_id"],
        "title": prog["_t_title"],
    })
    out["talk_level"] = out["card"].map(cfg["talk_levels"])
    for c in ("planned_pct", "actual_pct", "gap_pp", "overdue_days", "forecast_pct", "deduction"):
        out[c] = out[c].astype(float)
    out["streak"] = out["streak"].astype(int)
    return out[out_cols]


def apply_overrides(
    status: pd.DataFrame,
    overrides: pd.DataFrame | None,
    config: dict | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Attach manual overrides without touching the computed card.

    ``overrides``: task_id, period, card (绿/黄/橙/红), reason (required)[, overridden_by,
    overridden_at]. Several rows for one task-period are all kept; the last (by overridden_at,
    else by order) is effective.

    Returns ``(status_with_effective, override_log)``: the status frame gains card_effective,
    status_effective, deduction_effective, overridden, override_reason; the log has one row per
    override with the computed card next to the override.
    """
    cfg = resolve(config, "cards")
    st = status.copy()
    st["card_effective"] = st["card"]
    st["status_effective"] = st["status"]
    st["overridden"] = False
    st["override_reason"] = pd.Series([None] * len(st), index=st.index, dtype=object)
    log_cols = ["task_id", "period", "card_computed", "card_override", "reason",
                "overridden_by", "overridden_at"]
    if overrides is None or len(overrides) == 0:
        st["deduction_effective"] = st["deduction"]
        return st, pd.DataFrame(columns=log_cols)

    ov = overrides.copy().reset_index(drop=True)
    ov["period"] = ov["period"].astype(str)
    for col in ("overridden_by", "overridden_at"):
        if col not in ov.columns:
            ov[col] = None
    problems = []
    keys = set(zip(st["task_id"], st["period"].astype(str)))
    for i, r in ov.iterrows():
        if "reason" not in ov.columns or is_missing(r.get("reason")):
            problems.append(f"第{i + 1}行: 人工调整必须填写理由")
        if r.get("card") not in CARDS:
            problems.append(f"第{i + 1}行: 牌色 {r.get('card')!r} 不是 {CARDS} 之一")
        if (r["task_id"], r["period"]) not in keys:
            problems.append(f"第{i + 1}行: 任务 {r['task_id']} 期间 {r['period']} 没有计算结果")
    if problems:
        raise ValueError("亮牌人工调整无效: " + "; ".join(problems))

    ov["_order"] = np.arange(len(ov))
    ov["_at"] = pd.to_datetime(ov["overridden_at"], errors="coerce")
    eff = ov.sort_values(["_at", "_order"], na_position="first").drop_duplicates(
        ["task_id", "period"], keep="last")
    idx = st.set_index(["task_id", st["period"].astype(str)]).index
    lookup = eff.set_index(["task_id", "period"])
    hit = idx.isin(lookup.index)
    matched = lookup.reindex(idx[hit])
    st.loc[hit, "card_effective"] = matched["card"].to_numpy()
    st.loc[hit, "override_reason"] = matched["reason"].to_numpy()
    st.loc[hit, "overridden"] = True
    done = st["status"] == cfg["status_words"]["done"]
    st["status_effective"] = np.where(done, st["status"], st["card_effective"].map(cfg["status_by_card"]))
    levels = st["card_effective"].map(CARD_LEVEL)
    st["deduction_effective"] = np.concatenate([
        _deductions_along(levels.loc[g.index].tolist(), cfg)
        for _, g in st.groupby("task_id", sort=False)
    ])
    comp = st.set_index(["task_id", st["period"].astype(str)])["card"]
    log = ov.assign(
        card_computed=comp.reindex(list(zip(ov["task_id"], ov["period"]))).to_numpy(),
        card_override=ov["card"],
    )[log_cols]
    return st, log.reset_index(drop=True)


def card_deductions(
    status: pd.DataFrame,
    tasks: pd.DataFrame,
    config: dict | None = None,
    weights_config: dict | None = None,
) -> pd.DataFrame:
    """Card deductions and red-card flags per cadre × year.

    Uses ``deduction_effective``/``card_effective`` when overrides were applied. The 责任人 bears
    ``deduction_attribution.lead`` of a task's deductions, each 配合干部 ``.co``.
    Columns: cadre_id, year, deduction, n_yellow, n_orange, n_red (cards issued or upgraded),
    red_card (any effective 红 on a task the cadre leads), red_tasks.
    """
    cfg = resolve(config, "cards")
    attrib = cfg["deduction_attribution"]
    cols = ["cadre_id", "year", "deduction", "n_yellow", "n_orange", "n_red", "red_card", "red_tasks"]
    if status is None or len(status) == 0:
        return pd.DataFrame(columns=cols)
    ded_col = "deduction_effective" if "deduction_effective" in status.columns else "deduction"
    card_col = "card_effective" if "card_effective" in status.columns else "card"
    per_task = status.groupby("task_id")[ded_col].sum().to_frame("deduction")
    issued = status[status[ded_col] > 0]
    for col, card in (("n_yellow", "黄"), ("n_orange", "橙"), ("n_red", "红")):
        per_task[col] = issued[issued[card_col] == card].groupby("task_id").size().reindex(
            per_task.index, fill_value=0)
    per_task["has_red"] = (status[card_col] == "红").groupby(status["task_id"]).any()
    roles = task_roles(tasks, weights_config)
    roles["factor"] = np.where(roles["role"] == "责任人", float(attrib["lead"]), float(attrib["co"]))
    m = roles.merge(per_task, left_on="task_id", right_index=True, how="inner")
    m["deduction"] = m["deduction"] * m["factor"]
    m["red_lead"] = m["has_red"] & (m["role"] == "责任人")
    for c in ("n_yellow", "n_orange", "n_red"):
        m[c] = np.where(m["factor"] > 0, m[c], 0)
    out = m.groupby(["cadre_id", "year"], as_index=False).agg(
        deduction=("deduction", "sum"),
        n_yellow=("n_yellow", "sum"),
        n_orange=("n_orange", "sum"),
        n_red=("n_red", "sum"),
        red_card=("red_lead", "any"),
    )
    red_tasks = m[m["red_lead"]].groupby(["cadre_id", "year"])["task_id"].apply(
        lambda s: ";".join(sorted(map(str, s))))
    out["red_tasks"] = [red_tasks.get((c, y), "") for c, y in zip(out["cadre_id"], out["year"])]
    return out[cols]
