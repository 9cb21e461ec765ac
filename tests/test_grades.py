"""models/grades.py: grade cut-offs, assessment groups and the 优秀 quota per group."""
from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from models.config import ConfigError, load_reference
from models.grades import apply_excellent_quota, assessment_groups, grade_for


def test_grade_cutoffs():
    # The cut-offs of weights.yaml in use; shipped: 90 优秀, 89.99 称职, 75 称职, 74.99 基本称职,
    # 60 基本称职, 59.99 不称职.
    g = load_reference("weights")["grades"]
    levels = g["levels"]
    for upper, lower in zip(levels, levels[1:]):
        assert grade_for(float(upper["min"]), blocked=False) == upper["grade"]
        assert grade_for(float(upper["min"]) - 0.01, blocked=False) == lower["grade"]
    assert grade_for(float(levels[-1]["min"]), blocked=False) == levels[-1]["grade"]
    assert grade_for(np.nan, blocked=False) == g.get("not_assessable", "不可评定")
    assert grade_for(float(levels[0]["min"]), blocked=True) == g["blocked_excellent_to"]


def _quota_policy() -> dict:
    """weights.yaml in use with the grading the quota examples below are worked out for: the
    cut-offs 90/75/60, 优秀 at most 20 % of a group (cap 30 %), groups of fewer than 5 pooled."""
    cfg = copy.deepcopy(load_reference("weights"))
    cfg["grades"].update(
        levels=[{"grade": "优秀", "min": 90}, {"grade": "称职", "min": 75}, {"grade": "基本称职", "min": 60},
                {"grade": "不称职", "min": 0}],
        blocked_excellent_to="称职", excellent_quota=0.2, excellent_quota_cap=0.3)
    cfg["grades"]["assessment_groups"]["min_size"] = 5
    return cfg


POLICY = _quota_policy()


def _graded(rows):
    """Scores as cadre_scores returns them, for the quota alone: (cadre_id, total[, perf, rating, blocked])."""
    out = []
    for r in rows:
        cid, total, perf, rating, blocked = (tuple(r) + (None, None, False))[:5]
        perf = total if perf is None else perf
        rating = total if rating is None else rating
        out.append({"cadre_id": cid, "year": 2025, "performance_score": perf, "rating_score": rating,
                    "total": total, "excellent_blocked": blocked,
                    "grade": grade_for(total, blocked, POLICY), "rule": "r"})
    return pd.DataFrame(out)


def _one_group(frame, name="乡镇街道·平台"):
    return frame[["cadre_id", "year"]].assign(group=name)


def test_quota_keeps_the_top_fifth_of_the_group_by_rank():
    # 20 graded cadres, 10 at or above the 优秀 line (90..99): floor(0.2 × 20) = 4 → the best 4.
    rows = [(f"A{i:02d}", 90.0 + i) for i in range(10)] + [(f"B{i:02d}", 80.0 + i * 0.5) for i in range(10)]
    scores = _graded(rows)
    out = apply_excellent_quota(scores, _one_group(scores), POLICY).set_index("cadre_id")
    assert sorted(out.index[out["grade"] == "优秀"]) == ["A06", "A07", "A08", "A09"]
    assert (out["grade_by_score"] == "优秀").sum() == 10 and (out["excellent_quota_n"] == 4).all()
    assert (out["group_n"] == 20).all() and (out["group"] == "乡镇街道·平台").all()
    assert out.loc["A09", "excellent_rank"] == 1 and out.loc["A05", "excellent_rank"] == 5
    a5 = out.loc["A05"]
    assert a5["grade"] == "称职" and "优秀名额已满(本组 20 人,名额 4 个,排第 5)" in a5["rule"]
    assert a5["rule"].startswith("r;")  # the score rule is kept, the quota appended
    assert pd.isna(out.loc["B09", "excellent_rank"]) and out.loc["B09", "grade"] == "称职"
    assert "优秀名额" not in out.loc["B09", "rule"]
    # The other grades are untouched; the contract column order is kept.
    assert list(out.reset_index().columns[:len(scores.columns)]) == list(scores.columns)


def test_quota_skips_blocked_cadres_and_counts_them_in_the_group():
    # 10 graded: k = 2. X1 (99) and X2 (98) are blocked (red card): they are not ranked; the
    # quota goes to the next two above the line.
    rows = [("X1", 99.0, 99.0, 99.0, True), ("X2", 98.0, 98.0, 98.0, True), ("Y1", 95.0), ("Y2", 94.0),
            ("Y3", 93.0)] + [(f"Z{i}", 70.0 + i) for i in range(5)]
    scores = _graded(rows)
    out = apply_excellent_quota(scores, _one_group(scores), POLICY).set_index("cadre_id")
    assert sorted(out.index[out["grade"] == "优秀"]) == ["Y1", "Y2"]
    assert out.loc["X1", "grade"] == "称职" and pd.isna(out.loc["X1", "excellent_rank"])
    assert out.loc["Y3", "excellent_rank"] == 3 and "排第 3" in out.loc["Y3", "rule"]


def test_quota_ties_broken_by_performance_then_rating_then_id():
    # 10 graded, k = 2; four tie on total 95: P (实绩 96) > Q (实绩 94, 评价 99) > R (实绩 94, 评价 90);
    # S and T tie on everything with R's total but lower: ids break the last tie.
    rows = [("R", 95.0, 94.0, 90.0), ("Q", 95.0, 94.0, 99.0), ("P", 95.0, 96.0, 80.0),
            ("T", 92.0, 90.0, 90.0), ("S", 92.0, 90.0, 90.0)] + [(f"Z{i}", 60.0 + i) for i in range(5)]
    scores = _graded(rows)
    out = apply_excellent_quota(scores, _one_group(scores), POLICY).set_index("cadre_id")
    assert out.loc[["P", "Q", "R", "S", "T"], "excellent_rank"].tolist() == [1, 2, 3, 4, 5]
    assert sorted(out.index[out["grade"] == "优秀"]) == ["P", "Q"]
    # R ties Q on 综合得分: the rule says how the tie was decided.
    assert "与第 2 名综合得分相同" in out.loc["R", "rule"]


def test_quota_pools_small_groups_and_floors_tiny_ones():
    # Groups A (12), B (3), C (3) with min_size 5: B and C are pooled (6 → 1 优秀), A keeps 2.
    rows = ([(f"A{i:02d}", 99.0 - i) for i in range(12)] + [(f"B{i}", 97.5 - i) for i in range(3)]
            + [(f"C{i}", 96.5 - i) for i in range(3)])
    scores = _graded(rows)
    groups = scores[["cadre_id", "year"]].assign(group=scores["cadre_id"].str[0])
    out = apply_excellent_quota(scores, groups, POLICY).set_index("cadre_id")
    assert sorted(out.index[out["grade"] == "优秀"]) == ["A00", "A01", "B0"]
    assert out.loc["C0", "group"] == out.loc["B0", "group"] == "B、C(人数不足 5 人的组合并)"
    assert out.loc["C0", "group_n"] == 6 and out.loc["C0", "excellent_quota_n"] == 1
    # A pool still below the size joins the smallest regular group of the year.
    ab = scores["cadre_id"].str[0].isin(["A", "B"]).to_numpy()
    out2 = apply_excellent_quota(scores[ab], groups[ab], POLICY).set_index("cadre_id")
    assert out2["group"].nunique() == 1 and (out2["group_n"] == 15).all() and (out2["excellent_quota_n"] == 3).all()
    assert out2.loc["B0", "group"] == "A、B(人数不足 5 人的组并入)"
    # A year with only 3 graded cadres has no 优秀名额 at all (floor(0.6) = 0), said in the rule.
    tiny = _graded([("T1", 99.0), ("T2", 95.0), ("T3", 80.0)])
    t = apply_excellent_quota(tiny, config=POLICY).set_index("cadre_id")
    assert (t["grade"] != "优秀").all() and (t["excellent_quota_n"] == 0).all()
    assert "名额 0 个" in t.loc["T1", "rule"] and t.loc["T1", "group"] == "全体参评干部"


def test_quota_above_the_cap_is_refused():

    cfg = _quota_policy()
    cfg["grades"]["excellent_quota"] = 0.4
    with pytest.raises(ConfigError, match="超出允许范围"):
        apply_excellent_quota(_graded([("A", 95.0)]), config=cfg)
    # A looser quota within the cap is applied: 10 graded, 30 % → 3.
    cfg["grades"]["excellent_quota"] = 0.3
    scores = _graded([(f"A{i}", 90.0 + i) for i in range(5)] + [(f"B{i}", 70.0) for i in range(5)])
    assert (apply_excellent_quota(scores, config=cfg)["grade"] == "优秀").sum() == 3


def test_assessment_groups_by_unit_level_of_the_longest_post():
    keys = pd.DataFrame({"cadre_id": ["C1", "C2", "C3", "C4", "C4"], "year": [2025, 2025, 2025, 2023, 2026]})
    units = pd.DataFrame({"unit_id": ["T1", "D1"], "level": ["town", "dept"]})
    posts = pd.DataFrame({
        "cadre_id": ["C1", "C1", "C2", "C4", "C4"], "unit_id": ["T1", "D1", "D1", "D1", "T1"],
        "start": pd.to_datetime(["2020-01-01", "2025-09-01", "2024-01-01", "2024-06-01", "2025-03-01"]),
        "end": pd.to_datetime(["2025-08-31", None, None, "2025-02-28", None])})
    g = assessment_groups(keys, assignments=posts, units=units).set_index(["cadre_id", "year"])["group"]
    # C1 held the town 8 months, the department 4: a 乡镇 cadre for 2025. C3 holds no post.
    # C4 holds none in 2023 (the nearest is the department from 2024-06) and in 2026 is in the town.
    assert g.to_dict() == {("C1", 2025): "乡镇街道·平台", ("C2", 2025): "部门", ("C3", 2025): "无任职记录",
                           ("C4", 2023): "部门", ("C4", 2026): "乡镇街道·平台"}
    keys = keys.iloc[:3]
    cadres = pd.DataFrame({"cadre_id": ["C1", "C2", "C3"], "role_type": ["招商", "综合", None]})
    cfg = copy.deepcopy(load_reference("weights"))
    cfg["grades"]["assessment_groups"]["by"] = ["unit_level", "role_type"]
    g2 = assessment_groups(keys, cadres, posts, units, config=cfg).set_index("cadre_id")["group"]
    assert g2["C1"] == "乡镇街道·平台 · 招商" and g2["C3"] == "无任职记录 · 未填条线"
    cfg["grades"]["assessment_groups"]["by"] = []
    assert (assessment_groups(keys, cadres, posts, units, config=cfg)["group"] == "全体参评干部").all()
