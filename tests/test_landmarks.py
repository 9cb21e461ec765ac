"""标志性成果 certification: the rule, the rounds, the committee's decision and the shares, on
hand-computed claims."""
from __future__ import annotations

import copy

import pandas as pd
import pytest

from models.config import load_reference
from models.landmarks import (certified_per_year, certify, claim_shares, composite_landmarks, criteria_hits,
                              evidence_met, landmark_credits, round_of, rule_met)

CLAIMS = pd.DataFrame({
    "claim_id": ["L1", "L2", "L3", "L4", "L5", "L6"],
    "cadre_ids": ["C1:0.6;C2:0.4", "C3", "C1;C2", "C2", "C4;C5:0.5", ""],
    "unit_id": ["U1"] * 6,
    "title": ["省级试点", "首创", "减负", "批示", "推广", "集体"],
    "submitted_at": ["2024-06-30", "2024-07-01", "2024-12-31", "2024-10-08", "2025-01-02", "2024-03-01"],
    # L1: C1 C3 C4 → rule met, certified. L2: C3 C4 C5, no C1/C2 → rule not met, yet certified.
    # L3: C2 C3 only → rule not met, undecided in a closed round. L4: C2 C3 C5, 未认定 (disagrees).
    # L5: C1 C3 C5 undecided, round 2025-06 not held yet. L6: a unit's claim, C1 C2 C4, certified.
    "c1": ["获省级试点", "", None, "否", "国家级荣誉", "省督查激励"],
    "c2": ["", "", "上级批示", "市委批示", "", "经验推广"],
    "c3": ["排名升 2 位", "达 115%", "排名升 1 位", "达 120%", "达 110%", ""],
    "c4": ["省内首创", "市内首创", "", "", "", "首创"],
    "c5": ["", "满意度 93%", "无", "减负 300 万元", "满意度 95%", ""],
    "status": ["认定", "认定", "申报", "未认定", "申报", "认定"],
    "decided_at": ["2024-07-10", "2024-10-05", None, "2024-12-20", None, "2024-07-01"],
})


def test_evidence_text_counts_and_explicit_no_does_not():
    assert evidence_met("获省级试点") and evidence_met(True) and evidence_met(1)
    for no in ("", "  ", None, float("nan"), "否", "无", "false", "0", False, 0):
        assert not evidence_met(no)
    assert criteria_hits(CLAIMS.iloc[0]) == ["c1", "c3", "c4"]


def test_rule_three_of_five_with_c1_or_c2():
    assert rule_met({"c1": "x", "c3": "y", "c4": "z"})
    assert not rule_met({"c3": "x", "c4": "y", "c5": "z"})  # 3 of 5 but neither C1 nor C2
    assert not rule_met({"c1": "x", "c2": "y"})  # C1 and C2 but only 2 of 5
    assert rule_met({"c2": True, "c3": True, "c5": True})


def test_rule_comes_from_weights_yaml():
    cfg = copy.deepcopy(load_reference("weights"))
    cfg["landmark"]["min_criteria"] = 2
    assert rule_met({"c1": "x", "c2": "y"}, cfg) and not rule_met({"c1": "x", "c2": "y"})
    cfg["landmark"]["required_any"] = ["c5"]
    assert not rule_met({"c1": "x", "c2": "y"}, cfg)


def test_composite_rule_agrees_with_the_one_rule():
    from models.composite import landmark_qualifies

    for row in ({"c1": True, "c3": True, "c4": True}, {"c3": True, "c4": True, "c5": True},
                {"c1": True, "c2": True}, {"c2": True, "c3": True, "c5": True}):
        assert landmark_qualifies(row) == rule_met(row)


@pytest.mark.parametrize("date, expected", [
    ("2024-01-01", "2024-06"), ("2024-06-30", "2024-06"), ("2024-07-01", "2024-09"),
    ("2024-09-30", "2024-09"), ("2024-10-01", "2024-12"), ("2024-12-31", "2024-12"), (None, ""),
])
def test_round_is_the_first_round_month_at_or_after_submission(date, expected):
    assert round_of(date) == expected


def test_round_wraps_into_next_year_when_the_last_round_month_is_earlier():
    assert round_of("2024-11-15", months=[3, 9]) == "2025-03"


def test_committee_decides_and_disagreements_are_shown():
    out = certify(CLAIMS, as_of="2025-01-10").set_index("claim_id")
    assert list(out["round"]) == ["2024-06", "2024-09", "2024-12", "2024-12", "2025-06", "2024-06"]
    assert list(out["criteria_met"]) == ["C1,C3,C4", "C3,C4,C5", "C2,C3", "C2,C3,C5", "C1,C3,C5", "C1,C2,C4"]
    assert list(out["n_criteria"]) == [3, 3, 2, 3, 3, 3]
    assert list(out["rule_met"]) == [True, False, False, True, True, True]
    assert list(out["certified"]) == [True, True, False, False, False, True]
    assert list(out["decision"]) == ["认定", "认定", "待认定", "未认定", "待评审", "认定"]
    assert out.loc["L1", "agrees"] and not out.loc["L2", "agrees"] and not out.loc["L4", "agrees"]
    assert pd.isna(out.loc["L3", "agrees"]) and pd.isna(out.loc["L5", "agrees"])
    assert "与标准不一致" in out.loc["L2", "rule"] and "与标准不一致" in out.loc["L4", "rule"]
    assert "满足 C1、C3、C4 共 3 项" in out.loc["L1", "rule"] and "与标准一致" in out.loc["L1", "rule"]
    assert "尚无认定结论" in out.loc["L3", "rule"] and "待 2025年6月集中考核认定" in out.loc["L5", "rule"]
    assert not out["rule"].str.contains("nan|None").any()
    assert list(out["year"]) == [2024, 2024, 2024, 2024, 2025, 2024]


def test_a_decision_after_as_of_is_not_known_yet():
    out = certify(CLAIMS, as_of="2024-07-05").set_index("claim_id")
    assert out.loc["L1", "decision"] == "待认定" and not out.loc["L1", "certified"]  # decided 07-10
    assert out.loc["L6", "decision"] == "认定"  # decided 07-01
    assert out.loc["L2", "decision"] == "待评审" and not out.loc["L2", "round_closed"]
    assert certify(CLAIMS).loc[1, "decision"] == "认定"  # no as-of: the whole history is known


def test_shares_default_equal_and_fill_the_rest():
    sh = claim_shares(CLAIMS)
    got = {(c, k): s for c, k, s in zip(sh["claim_id"], sh["cadre_id"], sh["share"])}
    assert got == pytest.approx({("L1", "C1"): 0.6, ("L1", "C2"): 0.4, ("L2", "C3"): 1.0, ("L3", "C1"): 0.5,
                                 ("L3", "C2"): 0.5, ("L4", "C2"): 1.0, ("L5", "C4"): 0.5, ("L5", "C5"): 0.5})
    assert sh.groupby("claim_id")["share"].sum().round(9).eq(1).all()
    assert "L6" not in set(sh["claim_id"])  # a unit's claim names no cadre


@pytest.mark.parametrize("cell, words", [
    ("C1:0.6;C2:0.6", "合计为 1.2"), ("C1:0.5;C2:0.3", "合计为 0.8"), ("C1;C1", "重复"),
    ("C1:abc", "不是数字"), ("C1:1;C2", "分不到份额"), ("C1:1.5", "0 与 1 之间"),
])
def test_bad_shares_are_refused_in_chinese(cell, words):
    bad = pd.DataFrame({"claim_id": ["X", "OK", "Y"], "cadre_ids": [cell, "C9", "C1:0.2;C2:0.2"]})
    with pytest.raises(ValueError) as err:
        claim_shares(bad)
    msg = str(err.value)
    assert "成果 X" in msg and words in msg and "成果 Y" in msg and "成果 OK" not in msg  # every bad claim listed


def test_certified_per_cadre_year_counts_certified_claims_only():
    credits = landmark_credits(certify(CLAIMS, as_of="2025-01-10"), claim_shares(CLAIMS))
    per = certified_per_year(credits).set_index("cadre_id")
    # C1: L1 certified (0.6), L3 undecided → 1. C2: L1 (0.4); L3 undecided, L4 未认定 → 1. C3: L2.
    assert per["n_certified"].to_dict() == {"C1": 1, "C2": 1, "C3": 1}
    assert per.loc["C1", "share_sum"] == pytest.approx(0.6) and per.loc["C2", "share_sum"] == pytest.approx(0.4)
    assert set(per["year"]) == {2024}
    comp = composite_landmarks(credits)
    assert sorted(comp["claim_id"]) == ["L1", "L1", "L2"] and comp["verified"].all()
    assert not any(c in comp.columns for c in ("c1", "c2", "c3", "c4", "c5"))  # certified as decided


def test_composite_counts_certified_landmarks():
    from models.cards import task_status
    from models.composite import cadre_scores

    tasks = pd.DataFrame({"task_id": ["T1"], "year": [2024], "title": ["t"], "category": ["指标争先"],
                          "unit_id": ["U1"], "lead_cadre_id": ["C3"], "due": ["2024-12-31"]})
    prog = pd.DataFrame({"task_id": ["T1"], "period": ["2024-12"], "planned_pct": [100.0], "actual_pct": [100.0]})
    credits = landmark_credits(certify(CLAIMS, as_of="2025-01-10"), claim_shares(CLAIMS))
    out = cadre_scores(tasks, task_status(tasks, prog), landmarks=composite_landmarks(credits)).set_index("cadre_id")
    # L2 is certified by the committee although the rule says no: the bonus follows the decision.
    assert out.loc["C3", "n_landmarks"] == 1 and out.loc["C3", "bonus"] == 2.0


def test_rounds_held_up_to_as_of():
    from models.landmarks import rounds_held

    assert rounds_held("2024-02-10", "2025-01-05") == ["2024-06", "2024-09", "2024-12"]
    assert rounds_held("2024-02-10", "2024-06-30") == []  # the June round closes after its last day
    assert rounds_held("2024-07-01", "2025-07-01", months=[12]) == ["2024-12"]  # 2025-12 not held yet
    assert rounds_held(None, "2025-01-01") == []
