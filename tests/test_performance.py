"""models/performance.py: task scores, 实绩分 by category and role share, role indicators, the
units-held part, and periods read through models.period."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.cards import task_status
from models.config import load_reference
from models.performance import (
    performance_scores,
    period_keys,
    role_measures,
    task_scores,
    unit_indicator_part,
)


def _tasks(rows):
    return pd.DataFrame(rows, columns=["task_id", "year", "title", "category", "unit_id", "lead_cadre_id",
                                       "co_cadre_ids", "due", "difficulty"])


def _prog(rows):
    return pd.DataFrame(rows, columns=["task_id", "period", "planned_pct", "actual_pct"])


# Three tasks used in several tests (year-end reports):
#   T1 指标争先, 责任人 C1, 配合 C2;C3, difficulty 1.2, 90 / 100 → score 90
#   T2 项目攻坚, 责任人 C2, no co-cadre, difficulty default 1.0, 100 / 100 → 100
#   T3 改革突破, 责任人 C1, difficulty 0.8, 60 / 100 → 60 (gap −40 → 红, −4)
TASKS = _tasks([
    ("T1", 2024, "a", "指标争先", "U1", "C1", "C2;C3", "2024-12-31", 1.2),
    ("T2", 2024, "b", "项目攻坚", "U1", "C2", "", "2024-12-31", np.nan),
    ("T3", 2024, "c", "改革突破", "U1", "C1", None, "2024-12-31", 0.8),
])
PROG = _prog([("T1", "2024-12", 100, 90), ("T2", "2024-12", 100, 100), ("T3", "2024-12", 100, 60)])


def test_task_scores():
    tasks = _tasks([
        ("A", 2024, "", "项目攻坚", "U1", "C1", "", "2024-12-31", 1.0),
        ("B", 2024, "", "项目攻坚", "U1", "C1", "", "2024-12-31", 1.0),
        ("C", 2024, "", "项目攻坚", "U1", "C1", "", "2024-12-31", 1.0),
        ("D", 2024, "", "项目攻坚", "U1", "C1", "", "2024-12-31", 1.0),
    ])
    prog = _prog([("A", "2024-03", 40, 30), ("A", "2024-06", 80, 60), ("B", "2024-06", 0, 0),
                  ("D", "2024-06", 50, 70)])
    ts = task_scores(task_status(tasks, prog), tasks).set_index("task_id")
    assert ts.loc["A", "task_score"] == pytest.approx(75.0)   # latest report: 100·60/80
    assert ts.loc["B", "task_score"] == 100.0                 # nothing planned yet
    assert ts.loc["C", "task_score"] == 0.0 and "无进度填报" in ts.loc["C", "note"]
    assert ts.loc["D", "task_score"] == 100.0                 # 70/50 capped at 1
    # As of March the March report counts: 100·30/40 = 75 as well; as of February nothing yet.
    ts_mar = task_scores(task_status(tasks, prog), tasks, as_of="2024-03").set_index("task_id")
    assert ts_mar.loc["A", "period"] == "2024-03"
    assert ts_mar.loc["B", "task_score"] == 0.0


def _perf() -> dict:
    return load_reference("weights")["performance"]


def _by_category(scores: dict[str, float]) -> float:
    """Σ w·score / Σ w over the categories, weights from weights.yaml in use."""
    cw = _perf()["category_weights"]
    return sum(float(cw[c]) * v for c, v in scores.items()) / sum(float(cw[c]) for c in scores)


# The task parts of C1 and C2 (shipped weights 指标争先 0.40, 项目攻坚 0.35, 改革突破 0.25):
#   C1: 指标争先 T1 90·1.2 = 108; 改革突破 T3 60·0.8 = 48 → (0.40·108 + 0.25·48) / 0.65 = 84.923
#   C2: 指标争先 T1 (配合) 108; 项目攻坚 T2 100 → (0.40·108 + 0.35·100) / 0.75 = 104.267
C1_TASKS = {"指标争先": 108.0, "改革突破": 48.0}
C2_TASKS = {"指标争先": 108.0, "项目攻坚": 100.0}


def test_performance_categories_difficulty_and_shares():
    ts = task_scores(task_status(TASKS, PROG), TASKS)
    p = performance_scores(ts, TASKS).set_index("cadre_id")
    cap = float(_perf()["performance_cap"])  # shipped 100
    assert p.loc["C1", "performance_score"] == pytest.approx(min(_by_category(C1_TASKS), cap))
    assert p.loc["C2", "task_part"] == pytest.approx(_by_category(C2_TASKS))
    assert p.loc["C2", "performance_score"] == pytest.approx(min(_by_category(C2_TASKS), cap))  # capped
    # C3: only T1 (配合): 108 → capped 100.
    assert p.loc["C3", "performance_score"] == pytest.approx(min(108.0, cap))
    assert p.loc["C1", "n_tasks"] == 2 and p.loc["C3", "n_tasks"] == 1


def test_role_share_weights_tasks_within_a_category():
    # X leads A (score 100, share 1.0) and is the single 配合 on B (score 50, the co share of
    # weights.yaml, shipped 0.4): mean = (1.0·100 + 0.4·50) / 1.4 = 85.714.
    tasks = _tasks([
        ("A", 2024, "", "项目攻坚", "U1", "X", "", "2024-12-31", 1.0),
        ("B", 2024, "", "项目攻坚", "U1", "Y", "X", "2024-12-31", 1.0),
    ])
    prog = _prog([("A", "2024-12", 100, 100), ("B", "2024-12", 100, 50)])
    p = performance_scores(task_scores(task_status(tasks, prog), tasks), tasks).set_index("cadre_id")
    co = float(load_reference("weights")["performance"]["role_shares"]["co"])
    assert p.loc["X", "performance_score"] == pytest.approx((100 + co * 50) / (1 + co))
    assert p.loc["Y", "performance_score"] == pytest.approx(50.0)


def test_role_indicators_for_zhaoshang_and_industrial_cadres():
    cadres = pd.DataFrame({"cadre_id": ["C1", "C2", "C3"], "role_type": ["工业", "招商", "招商"]})
    rm = pd.DataFrame({
        "cadre_id": ["C2", "C2", "C1"], "year": [2024] * 3,
        "measure": ["conversion_rate", "capacity_rate", "mujun_uplift_rate"],
        "value": [0.5, 0.3, 0.24], "benchmark": [np.nan, np.nan, 0.105],
    })
    ts = task_scores(task_status(TASKS, PROG), TASKS)
    p = performance_scores(ts, TASKS, cadres, rm).set_index("cadre_id")
    ri = _perf()["role_indicators"]
    share, cap = float(ri["share"]), float(_perf()["performance_cap"])
    # C2 (招商), shipped targets 0.6: 转化率 0.5/0.6 → 83.333; 转化达产率 0.3/0.6 → 50;
    # role part = 66.667.
    #   实绩分 = 0.8·104.267 + 0.2·66.667 = 83.413 + 13.333 = 96.747
    measures = ri["roles"]["招商"]["measures"]
    role_c2 = sum(float(m["weight"]) * 100 * min(v / float(m["target"]), float(m["cap"]))
                  for m, v in ((measures["conversion_rate"], 0.5), (measures["capacity_rate"], 0.3)))
    assert p.loc["C2", "role_part"] == pytest.approx(role_c2)
    assert p.loc["C2", "performance_score"] == pytest.approx(
        min((1 - share) * _by_category(C2_TASKS) + share * role_c2, cap))
    assert p.loc["C2", "role_share_used"] == share
    # C1 (工业): 提升率 0.24 vs county 0.105, shipped width 0.30: 100·(0.5 + 0.135/0.30) = 95.
    #   实绩分 = 0.8·84.923 + 0.2·95 = 67.938 + 19 = 86.938
    width = float(ri["roles"]["工业"]["measures"]["mujun_uplift_rate"]["width"])
    role_c1 = 100 * min(max(0.5 + (0.24 - 0.105) / width, 0.0), 1.0)
    assert p.loc["C1", "role_part"] == pytest.approx(role_c1)
    assert p.loc["C1", "performance_score"] == pytest.approx(
        min((1 - share) * _by_category(C1_TASKS) + share * role_c1, cap))
    # C3 (招商) has no cohort: the role part is undefined and tasks carry 100 %.
    assert np.isnan(p.loc["C3", "role_part"]) and p.loc["C3", "role_share_used"] == 0.0
    assert "无数据" in p.loc["C3", "role_detail"]


def test_role_measures_use_the_previous_cohort_and_county_benchmark():
    f = pd.DataFrame({"cadre_id": ["Z1", "Z1"], "cohort": ["2023", "2024"], "n_signed": [4, 2],
                      "n_started": [3, 0], "cap_n_producing": [2, 0], "cap_n_at_capacity": [1, 0]})
    m = pd.DataFrame({"cadre_id": ["K1"], "year": [2024], "uplift": [2.5], "uplift_rate": [0.1]})
    c = pd.DataFrame({"county": ["全县"], "year": [2024], "uplift": [1.0], "uplift_rate": [0.04]})
    rm = role_measures(f, m, c).set_index(["cadre_id", "year", "measure"])
    # Assessment year 2024 ← cohort 2023 (lag 1): 3/4 and 1/2.
    assert rm.loc[("Z1", 2024, "conversion_rate"), "value"] == 0.75
    assert rm.loc[("Z1", 2024, "capacity_rate"), "value"] == 0.5
    assert np.isnan(rm.loc[("Z1", 2025, "capacity_rate"), "value"])  # 0 producing → undefined
    assert rm.loc[("K1", 2024, "mujun_uplift_rate"), "benchmark"] == 0.04


def test_unit_indicator_part_by_hand():
    from models.composite import unit_indicator_part

    scores = pd.DataFrame({
        "unit_id": ["U1", "U1", "U1"], "indicator": ["a", "a", "b"], "period": ["2024-03", "2024-06", "2024"],
        "year": [2024, 2024, 2024], "score": [80.0, 90.0, 60.0], "weight": [10.0, 10.0, 30.0]})
    posts = pd.DataFrame({
        "cadre_id": ["C1", "C2"], "unit_id": ["U1", "U1"],
        "start": pd.to_datetime(["2024-01-01", "2024-07-01"]), "end": pd.to_datetime([None, None]),
        "share": [1.0, 0.5], "indicators": ["", "a"]})
    part = unit_indicator_part(scores, posts).set_index("cadre_id")["unit_part"]
    assert part["C1"] == pytest.approx((10 * 90 + 30 * 60) / 40)  # latest score of the year per indicator
    assert part["C2"] == pytest.approx(90.0)  # only the indicator the post covers
    early = unit_indicator_part(scores, posts, as_of="2024-03").set_index("cadre_id")["unit_part"]
    assert early["C1"] == pytest.approx(80.0) and "C2" not in early  # C2 starts after the as-of


def test_unit_indicator_part_as_of_a_quarter_or_year_counts_up_to_its_end():
    # An as-of quarter or year clips the year at the period's last day, like the month it ends in
    # (it used to fail on a quarter and clip a year at January).
    scores = pd.DataFrame({
        "unit_id": ["U1", "U1"], "indicator": ["a", "a"], "period": ["2024-03", "2024-06"],
        "year": [2024, 2024], "score": [80.0, 90.0], "weight": [10.0, 10.0]})
    posts = pd.DataFrame({
        "cadre_id": ["C1", "C2"], "unit_id": ["U1", "U1"],
        "start": pd.to_datetime(["2024-01-01", "2024-05-01"]), "end": pd.to_datetime([None, None]),
        "share": [1.0, 1.0], "indicators": ["", ""]})
    by_month = unit_indicator_part(scores, posts, as_of="2024-06")
    pd.testing.assert_frame_equal(unit_indicator_part(scores, posts, as_of="2024-Q2"), by_month)
    year = unit_indicator_part(scores, posts, as_of="2024").set_index("cadre_id")["unit_part"]
    assert year.to_dict() == pytest.approx({"C1": 90.0, "C2": 90.0})
    march = unit_indicator_part(scores, posts, as_of="2024-Q1").set_index("cadre_id")["unit_part"]
    assert march.to_dict() == {"C1": 80.0}  # C2 starts after the quarter ends


def test_period_keys_order_periods_by_their_last_month():
    keys = period_keys(pd.Series(["2024-02", "2024-Q1", "2024", "2025-Q3"], index=[5, 6, 7, 8]))
    assert keys.to_dict() == {5: 202402, 6: 202403, 7: 202412, 8: 202509}
