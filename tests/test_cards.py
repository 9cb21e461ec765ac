"""models/cards.py: thresholds at their edges, escalation, forecast, deductions, overrides."""
from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from models.cards import (
    RESULT_COLUMNS,
    apply_overrides,
    card_deductions,
    split_ids,
    task_roles,
    task_status,
)
from models.config import CARDS, load_reference


def _tasks(ids, due="2024-12-31", lead="C1", co=""):
    return pd.DataFrame({
        "task_id": ids, "year": 2024, "title": "t", "category": "项目攻坚", "unit_id": "U1",
        "lead_cadre_id": lead, "co_cadre_ids": co, "due": due, "difficulty": 1.0,
    })


def _cards() -> dict:
    return load_reference("cards")


def _progress(task_id, periods, planned, actual, verified=None):
    df = pd.DataFrame({"task_id": task_id, "period": periods, "planned_pct": planned, "actual_pct": actual})
    if verified is not None:
        df["verified_pct"] = verified
    return df


def test_contract_columns():
    st = task_status(_tasks(["T"]), _progress("T", ["2024-06"], [50], [50]))
    assert list(st.columns[:7]) == RESULT_COLUMNS == [
        "task_id", "period", "planned_pct", "actual_pct", "gap_pp", "status", "card"]


@pytest.mark.parametrize(
    "edge, offset, card",
    [  # shipped thresholds: yellow below −10, orange at or below −20, red at or below −30
        (None, 5.0, "绿"),                      # gap +5
        (None, 0.0, "绿"),                      # gap 0
        ("yellow_below_pp", 0.0, "绿"),         # gap −10: tolerance edge, not < −10
        ("yellow_below_pp", -0.5, "黄"),        # gap −10.5 < −10
        ("orange_at_or_below_pp", 0.5, "黄"),   # gap −19.5 > −20
        ("orange_at_or_below_pp", 0.0, "橙"),   # gap −20 ≤ −20
        ("red_at_or_below_pp", 0.5, "橙"),      # gap −29.5 > −30
        ("red_at_or_below_pp", 0.0, "红"),      # gap −30 ≤ −30
        ("red_at_or_below_pp", -20.0, "红"),    # gap −50
    ],
)
def test_gap_thresholds_at_their_edges(edge, offset, card):
    # One report per task (no escalation, no forecast: fewer than 3 reports), due far ahead.
    cfg = _cards()
    gap = (float(cfg["thresholds"][edge]) if edge else 0.0) + offset
    planned = 60.0
    st = task_status(_tasks(["T"]), _progress("T", ["2024-06"], [planned], [max(planned + gap, 0.0)]))
    r = st.iloc[0]
    assert r["gap_pp"] == pytest.approx(max(planned + gap, 0.0) - planned)
    assert (r["card"], r["status"]) == (card, cfg["status_by_card"][card])
    assert r["talk_level"] == cfg["talk_levels"][card]


@pytest.mark.parametrize(
    "edge, extra, card",
    [  # shipped: up to 30 days 黄, 31–60 橙, over 60 红
        ("yellow_max_days", 0, "黄"),   # 31 May → 30 Jun = 30 days ≤ 30
        ("yellow_max_days", 1, "橙"),   # 31 days: 31–60 → 橙
        ("orange_max_days", 0, "橙"),   # 60 days ≤ 60
        ("orange_max_days", 1, "红"),   # 61 days > 60
    ],
)
def test_overdue_thresholds_at_their_edges(edge, extra, card):
    # Evaluated at the end of 2024-06 (30 June); gap 0 so only the overdue rule fires.
    days = int(_cards()["overdue"][edge]) + extra
    due = (pd.Timestamp("2024-06-30") - pd.Timedelta(days=days)).strftime("%Y-%m-%d")
    st = task_status(_tasks(["T"], due=due), _progress("T", ["2024-06"], [95.0], [95.0]))
    r = st.iloc[0]
    assert r["overdue_days"] == days
    assert r["card"] == card
    assert f"逾期{days}天" in r["card_rule"]


def test_escalation_over_consecutive_months_and_reset():
    # Plan 50→90, due 31 Dec. Gaps mid-yellow, mid-green (shipped: −15, −15, −15, −5, −15).
    # base cards 黄 黄 黄 绿 黄 → escalated 黄, 橙 (2nd in a row), 红 (3rd), 绿 (reset), 黄.
    # Forecast never fires: in July the pace since May is (55 − 35) / 61 days; 153 days remain
    # → 55 + 20·153/61 = 105 % (capped 100) ≥ 60.
    cfg = _cards()
    t, esc = cfg["thresholds"], cfg["escalation"]
    yellow_gap = (float(t["yellow_below_pp"]) + float(t["orange_at_or_below_pp"])) / 2
    green_gap = float(t["yellow_below_pp"]) / 2
    planned = [50, 60, 70, 80, 90]
    gaps = [yellow_gap, yellow_gap, yellow_gap, green_gap, yellow_gap]
    prog = _progress("T", ["2024-05", "2024-06", "2024-07", "2024-08", "2024-09"],
                     planned, [p + g for p, g in zip(planned, gaps)])
    st = task_status(_tasks(["T"]), prog)
    assert st["base_card"].tolist() == ["黄", "黄", "黄", "绿", "黄"]
    streak = [1, 2, 3, 0, 1]
    cards = ["红" if k >= esc["streak_to_red"] else "橙" if k >= esc["streak_to_orange"] else b
             for k, b in zip(streak, ["黄", "黄", "黄", "绿", "黄"])]
    assert st["card"].tolist() == cards  # shipped: 黄 橙 红 绿 黄
    assert st["streak"].tolist() == streak
    assert st["status"].tolist() == [cfg["status_by_card"][c] for c in cards]
    for k in (2, 3):
        if cards[k - 1] != "黄":
            assert f"连续{k}期黄/橙→{cards[k - 1]}" in st["card_rule"].iloc[k - 1]
    # per_issue deductions on each new or worse card: 黄 1 + 橙 2 + 红 4 + 绿 0 + 黄 1 = 8 (shipped);
    # per_period on every card.
    levels = [CARDS.index(c) for c in cards]
    issued = [cfg["deduction_mode"] == "per_period" or lv > prev for prev, lv in zip([0] + levels, levels)]
    assert st["deduction"].tolist() == [float(cfg["deductions"][c]) * new for c, new in zip(cards, issued)]
    assert st["talk_level"].tolist() == [cfg["talk_levels"][c] for c in cards]


def test_missing_month_neither_breaks_nor_counts_in_streak():
    # Reports in May and July only (June missing): two consecutive reports → 橙.
    prog = _progress("T", ["2024-05", "2024-07"], [50, 70], [38, 58])
    st = task_status(_tasks(["T"]), prog)
    assert st["card"].tolist() == ["黄", "橙"]


def test_deduction_modes():
    # Red twice in a row: per_issue deducts once (shipped 4), per_period every period (4 + 4).
    red = float(_cards()["deductions"]["红"])
    prog = _progress("T", ["2024-05", "2024-06"], [50, 60], [0, 0])
    cfg = copy.deepcopy(load_reference("cards"))
    cfg["deduction_mode"] = "per_issue"
    st = task_status(_tasks(["T"]), prog, config=cfg)
    assert st["card"].tolist() == ["红", "红"]
    assert st["deduction"].sum() == red
    cfg["deduction_mode"] = "per_period"
    assert task_status(_tasks(["T"]), prog, config=cfg)["deduction"].sum() == 2 * red


def test_forecast_rule():
    # Gaps −5, −8, −9 stay inside tolerance, but the pace is slow. In May (3rd report):
    # pace = (16 − 10) / (31 May − 31 Mar = 61 days); 214 days remain to 31 Dec:
    # forecast = 16 + 6 × 214 / 61 = 37.05 % < 60 % → 红.
    prog = _progress("T", ["2024-03", "2024-04", "2024-05"], [15, 20, 25], [10, 12, 16])
    st = task_status(_tasks(["T"]), prog)
    assert st["card"].tolist() == ["绿", "绿", "红"]
    assert st["forecast_pct"].iloc[2] == pytest.approx(16 + 6 * 214 / 61)
    assert "预计完成37.0%<60%→红" in st["card_rule"].iloc[2]
    # Same pace but on plan (gap ≥ 0): a back-loaded plan is not forecast.
    prog2 = _progress("T", ["2024-03", "2024-04", "2024-05"], [10, 12, 16], [10, 12, 16])
    assert task_status(_tasks(["T"]), prog2)["card"].tolist() == ["绿", "绿", "绿"]


def test_done_is_green_and_complete_even_after_due():
    prog = _progress("T", ["2024-06", "2024-08"], [100, 100], [100, 100])
    st = task_status(_tasks(["T"], due="2024-05-31"), prog)
    assert st["status"].tolist() == ["已完成", "已完成"]
    assert st["card"].tolist() == ["绿", "绿"]
    assert st["deduction"].sum() == 0


def test_verified_progress_wins_over_reported():
    # Reported 80, verified 55, planned 70 → gap −15 → 黄 (on the reported figure it would be 绿).
    st = task_status(_tasks(["T"]), _progress("T", ["2024-06"], [70], [80], verified=[55]))
    r = st.iloc[0]
    assert (r["actual_pct"], r["reported_pct"], r["pct_source"]) == (55.0, 80.0, "核实")
    assert r["gap_pp"] == pytest.approx(-15.0) and r["card"] == "黄"


def test_missing_milestone_uses_time_elapsed_progress():
    # No planned_pct: linear from 1 Jan to the due date 31 Dec 2024.
    # 30 Jun: 181 of 365 days elapsed → 49.59 %.
    st = task_status(_tasks(["T"]), _progress("T", ["2024-06"], [np.nan], [45.0]))
    r = st.iloc[0]
    assert r["planned_source"] == "时序进度"
    assert r["planned_pct"] == pytest.approx(100 * 181 / 365)
    assert r["card"] == "绿"  # gap −4.6: inside tolerance


def test_overrides_are_separate_rows_with_reason():
    prog = _progress("T", ["2024-05", "2024-06"], [50, 60], [10, 20])
    st = task_status(_tasks(["T"]), prog)
    ov = pd.DataFrame({"task_id": ["T", "T"], "period": ["2024-06", "2024-06"], "card": ["橙", "黄"],
                       "reason": ["台风停工,经督查室同意", "复核后再次调整"],
                       "overridden_by": ["督查室", "督查室"],
                       "overridden_at": ["2024-07-02", "2024-07-09"]})
    st2, log = apply_overrides(st, ov)
    # The computed card is untouched; the latest override is effective.
    assert st2["card"].tolist() == ["红", "红"]
    assert st2["card_effective"].tolist() == ["红", "黄"]
    assert st2["overridden"].tolist() == [False, True]
    assert st2["override_reason"].iloc[1] == "复核后再次调整"
    assert st2["status_effective"].tolist() == ["滞后", "进度偏慢"]
    # Both override rows are kept, each next to the computed card.
    assert len(log) == 2 and log["card_computed"].tolist() == ["红", "红"]
    assert log["card_override"].tolist() == ["橙", "黄"]
    # Effective deductions: 红 (shipped 4), then 黄 (better than 红) 0.
    assert st2["deduction_effective"].tolist() == [float(_cards()["deductions"]["红"]), 0.0]


@pytest.mark.parametrize(
    "row, fragment",
    [
        ({"task_id": "T", "period": "2024-06", "card": "绿", "reason": ""}, "理由"),
        ({"task_id": "T", "period": "2024-06", "card": "蓝", "reason": "x"}, "牌色"),
        ({"task_id": "T", "period": "2024-01", "card": "绿", "reason": "x"}, "没有计算结果"),
    ],
)
def test_invalid_overrides_rejected(row, fragment):
    st = task_status(_tasks(["T"]), _progress("T", ["2024-06"], [50], [20]))
    with pytest.raises(ValueError, match=fragment):
        apply_overrides(st, pd.DataFrame([row]))


def test_roles_and_shares():
    tasks = pd.DataFrame({
        "task_id": ["A", "B", "C"], "year": 2024, "lead_cadre_id": ["L", "L", "M"],
        "co_cadre_ids": ["X;Y", "", ["M", "L", "M"]],
    })
    r = task_roles(tasks)
    shares = load_reference("weights")["performance"]["role_shares"]  # shipped: 0.6 / 0.4
    lead, co = float(shares["lead"]), float(shares["co"])
    a = r[r["task_id"] == "A"].set_index("cadre_id")["share"].to_dict()
    assert a == pytest.approx({"L": lead, "X": co / 2, "Y": co / 2})  # the co share split evenly
    assert r[r["task_id"] == "B"]["share"].tolist() == [1.0]   # no co-cadre: 责任人 1.0
    c = r[r["task_id"] == "C"].set_index("cadre_id")
    assert c["share"].to_dict() == pytest.approx({"M": lead, "L": co})  # lead dropped from co list
    assert r.groupby("task_id")["share"].sum().tolist() == pytest.approx([1.0, 1.0, 1.0])
    assert split_ids("a；b, c;;") == ["a", "b", "c"]


def test_deductions_go_to_the_lead_and_red_blocks():
    tasks = pd.concat([_tasks(["T1"], lead="L", co="X"), _tasks(["T2"], lead="X")])
    prog = pd.concat([
        _progress("T1", ["2024-05", "2024-06"], [50, 60], [38, 48]),   # 黄 → 橙: 1 + 2
        _progress("T2", ["2024-06"], [60], [60]),                       # 绿
    ])
    st = task_status(tasks, prog)
    cfg = _cards()
    d = card_deductions(st, tasks).set_index("cadre_id")
    per_task = float(cfg["deductions"]["黄"]) + float(cfg["deductions"]["橙"])
    attribution = cfg["deduction_attribution"]  # shipped: 责任人 1.0, 配合 0
    assert d.loc["L", "deduction"] == pytest.approx(per_task * float(attribution["lead"]))
    assert d.loc["L", "n_yellow"] == 1 and d.loc["L", "n_orange"] == 1
    assert d.loc["X", "deduction"] == pytest.approx(per_task * float(attribution["co"]))
    assert not d["red_card"].any()


def test_invariants_on_random_progress():
    rng = np.random.default_rng(3)
    tasks, progs = [], []
    for i in range(40):
        tid = f"T{i}"
        tasks.append(_tasks([tid], due=f"2024-{rng.integers(3, 13):02d}-15"))
        planned = np.sort(rng.uniform(0, 100, 11)).round(1)
        actual = np.sort(rng.uniform(0, 100, 11)).round(1)
        progs.append(_progress(tid, [f"2024-{m:02d}" for m in range(2, 13)], planned, actual))
    st = task_status(pd.concat(tasks), pd.concat(progs))
    words = load_reference("cards")["status_by_card"]
    assert np.allclose(st["gap_pp"], st["actual_pct"] - st["planned_pct"])
    assert st["card"].isin(CARDS).all()
    done = st["status"] == "已完成"
    assert (st.loc[done, "card"] == "绿").all()
    assert (st.loc[~done, "status"] == st.loc[~done, "card"].map(words)).all()
    # Deductions happen only on a new or worse card.
    assert (st.loc[st["deduction"] > 0, "card"] != "绿").all()
    assert len(st) == 40 * 11
