"""四将 selection: each label's rule on hand-built cadres, undetermined quadrants not counting,
near misses with what is missing, quotas, and the reserve and promotion-share gauges."""
from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from models.config import load_reference
from models.four_generals import COLUMNS, promotion_share, select, veteran_reserve

RULES = {
    "negative_lookback_months": 24,
    "near_miss_max": 1,
    "labels": {
        "改革闯将": {"quota": 5, "score": {"landmarks": 2, "quadrant": 1}, "conditions": [
            {"name": "改革成果", "kind": "landmarks", "min": 1, "months": 12, "criteria_any": ["c1", "c2"]},
            {"name": "贡献高", "kind": "quadrant", "codes": ["high_high", "high_low"], "quarters": 4, "min": 2},
            {"name": "无红牌", "kind": "red_cards", "max": 0}]},
        "发展干将": {"quota": 1, "score": {"tasks_led": 1, "on_time_share": 2}, "conditions": [
            {"name": "牵头任务", "kind": "tasks_led", "min": 2},
            {"name": "按期", "kind": "on_time_share", "min": 0.8},
            {"name": "高贡献区", "kind": "quadrant", "codes": ["high_high"], "quarters": 4, "min": 2}]},
        "攻坚老将": {"quota": 5, "score": {"tasks_led": 1}, "conditions": [
            {"name": "非领导职务", "kind": "leading", "value": False},
            {"name": "年满50岁", "kind": "age", "min": 50},
            {"name": "牵头任务", "kind": "tasks_led", "min": 1}]},
        "热血小将": {"quota": 5, "score": {"on_time_share": 1}, "conditions": [
            {"name": "不超过35岁", "kind": "age", "max": 35},
            {"name": "按期", "kind": "on_time_share", "min": 0.8},
            {"name": "无红牌", "kind": "red_cards", "max": 0}]},
    },
}
NAMES = {"high_high": "高贡献区", "high_low": "逆势担当区", "low_high": "平台红利区", "low_low": "低效区",
         "unidentified": "不可判定"}
ROUND = "2024-06"  # its last four complete quarters: 2023-Q3 .. 2024-Q2

CADRES = pd.DataFrame([
    # cadre, birth_year, leading
    ("R1", 1975, True), ("R2", 1975, True), ("R3", 1975, True),
    ("D1", 1980, True), ("D2", 1980, True),
    ("V1", 1970, False), ("V2", 1970, True), ("V3", 1970, False), ("V4", 1974, False), ("V5", None, False),
    ("Y1", 1990, False), ("Y2", 1988, False), ("Y3", 1995, False),
], columns=["cadre_id", "birth_year", "leading"])

CREDITS = pd.DataFrame([
    # cadre, claim, round, certified, criteria
    ("R1", "L1", "2024-06", True, "C1,C3,C4"),
    ("R2", "L2", "2024-03", True, "C2,C3,C5"),
    ("R3", "L3", "2024-06", True, "C3,C4,C5"),   # certified, but neither C1 nor C2: not a reform landmark
    ("R3", "L4", "2023-06", True, "C1,C3,C4"),   # 12 months before the round: outside the window
    ("R3", "L5", "2024-06", False, "C1,C2,C3"),  # not certified
], columns=["cadre_id", "claim_id", "round", "certified", "criteria_met"])


def _q(cadre, *quarters):
    return [(cadre, p, code, det) for p, code, det in quarters]


QUADRANTS = pd.DataFrame(
    _q("R1", ("2023-Q4", "high_high", True), ("2024-Q1", "high_low", True), ("2024-Q2", "low_low", True))
    + _q("R2", ("2023-Q4", "high_high", True), ("2024-Q1", "high_low", False), ("2024-Q2", "unidentified", False))
    + _q("R3", ("2023-Q3", "high_high", True), ("2024-Q2", "high_low", True), ("2023-Q2", "high_high", True))
    + _q("D1", ("2024-Q1", "high_high", True), ("2024-Q2", "high_high", True))
    + _q("D2", ("2024-Q1", "high_high", True), ("2024-Q2", "high_high", True)),
    columns=["cadre_id", "period", "quadrant_code", "determined"])

TASKS = pd.DataFrame([
    # cadre, year, tasks_led, on_time_share, red_cards
    ("R1", 2024, 1, 1.0, 0), ("R2", 2024, 1, 1.0, 0), ("R3", 2024, 1, 1.0, 0),
    ("D1", 2024, 3, 0.9, 0), ("D2", 2024, 4, 1.0, 0),
    ("V1", 2024, 1, 1.0, 0), ("V2", 2024, 2, 1.0, 0), ("V3", 2024, 2, 1.0, 0), ("V4", 2024, 0, np.nan, 0),
    ("V5", 2024, 2, 1.0, 0),
    ("Y1", 2024, 1, 0.8, 0), ("Y2", 2024, 1, 1.0, 0), ("Y3", 2024, 1, 1.0, 1),
    ("R1", 2023, 0, np.nan, 5),  # another year: ignored at a 2024 round
], columns=["cadre_id", "year", "tasks_led", "on_time_share", "red_cards"])

NEGATIVE = pd.DataFrame({"cadre_id": ["V3", "V1", "Y1"], "date": ["2024-03-01", "2024-05-01", "2021-01-01"],
                         "verified": [True, False, True]})


@pytest.fixture(scope="module")
def result():
    return select([ROUND], CADRES, CREDITS, QUADRANTS, TASKS, NEGATIVE, config=RULES, names=NAMES)


def _rows(frame, label):
    return frame[frame["label"] == label].set_index("cadre_id")


def test_reform_pathbreaker(result):
    sel, near = result
    got = _rows(sel, "改革闯将")
    # R1: L1 (C1) certified this round; 2 determined quarters high (2023-Q4 high_high, 2024-Q1 high_low).
    assert list(got.index) == ["R1"] and got.loc["R1", "status"] == "入选"
    assert got.loc["R1", "score"] == pytest.approx(2 * 1 + 1 * 2)
    assert "近12个月认定成果 1 项" in got.loc["R1", "rule"] and got.loc["R1", "missing"] == ""
    miss = _rows(near, "改革闯将")
    # R2: its 2024-Q1 high_low is undetermined, so only 1 quarter counts.
    assert miss.loc["R2", "missing"].startswith("贡献高:还差 1 个季度")
    assert "可判定 1 个季度" in miss.loc["R2", "missing"]
    # R3: L3 lacks C1/C2, L4 is 12 months old, L5 not certified; the quadrant of 2023-Q2 is too old
    # but 2023-Q3 and 2024-Q2 count.
    assert miss.loc["R3", "missing"] == "改革成果:还差 1 项认定成果(须含 C1 或 C2)"
    assert set(miss["status"]) == {"未入围"}


def test_development_doer_quota_and_rank(result):
    got = _rows(result[0], "发展干将")
    # D2: 4 + 2·1.0 = 6 ranks above D1: 3 + 2·0.9 = 4.8; quota 1.
    assert list(got.index) == ["D2", "D1"] and list(got["rank"]) == [1, 2]
    assert list(got["score"]) == pytest.approx([6.0, 4.8])
    assert list(got["status"]) == ["入选", "候选"]


def test_veteran(result):
    sel, near = result
    got = _rows(sel, "攻坚老将")
    # V1 (54, not leading, 1 task; its negative case is not verified), V4 is 50 but led no task,
    # V2 still leads, V3 has a verified case in the window, V5 has no birth year.
    assert list(got.index) == ["V1"]
    assert "54 岁" in got.loc["V1", "rule"]
    miss = _rows(near, "攻坚老将")
    assert miss.loc["V4", "missing"] == "牵头任务:还差 1 项牵头任务"
    assert "V2" not in miss.index and "V5" not in miss.index  # age and post are not near misses
    assert not ((sel["cadre_id"] == "V3") | (near["cadre_id"] == "V3")).any()  # excluded everywhere


def test_negative_case_known_by_year_only():
    cases = pd.DataFrame({"cadre_id": ["V1"], "year": [2024]})  # no verified column: verified
    sel, _ = select([ROUND], CADRES, CREDITS, QUADRANTS, TASKS, cases, config=RULES, names=NAMES)
    assert "V1" not in set(sel["cadre_id"])
    sel, _ = select(["2023-12"], CADRES, CREDITS, QUADRANTS, TASKS, cases, config=RULES, names=NAMES)
    assert "V1" not in set(sel["cadre_id"])  # 2023 task record: none led


def test_young_blood(result):
    sel, near = result
    got = _rows(sel, "热血小将")
    # Y1 is 34 with on-time share exactly 0.8 (its verified case of 2021 is outside 24 months).
    assert list(got.index) == ["Y1"]
    miss = _rows(near, "热血小将")
    assert miss.loc["Y3", "missing"] == "无红牌:本年度红牌 1 张,上限 0 张"
    assert "Y2" not in miss.index  # 36: beyond the age limit, nothing to work towards


def test_output_columns_and_no_missing_text(result):
    for frame in result:
        assert list(frame.columns) == COLUMNS
        assert not frame[["rule", "missing"]].apply(lambda s: s.str.contains("nan|None")).any().any()


def test_quadrants_from_x_status_and_per_round_post():
    quads = QUADRANTS[QUADRANTS["cadre_id"] == "R2"].drop(columns="determined")
    quads = quads.assign(x_status=["determined", "determined", "uncertain"])
    # V2 leads in general but has left the post by the 2024-06 round (a row for that round).
    cadres = pd.concat([CADRES[CADRES["cadre_id"].isin(["R2", "V2"])],
                        pd.DataFrame({"cadre_id": ["V2"], "birth_year": [1970], "leading": [False],
                                      "round": ["2024-06"]})])
    sel, _ = select([ROUND, "2024-09"], cadres, CREDITS, quads, TASKS, config=RULES, names=NAMES)
    assert list(_rows(sel, "改革闯将").index) == ["R2", "R2"]  # 2024-Q1 now determined: 2 quarters
    vet = sel[sel["label"] == "攻坚老将"]
    assert list(zip(vet["round"], vet["cadre_id"])) == [("2024-06", "V2")]  # still leading at 2024-09


def test_shipped_rules_load():
    cfg = load_reference("archetypes")
    assert set(cfg["labels"]) == {"改革闯将", "发展干将", "攻坚老将", "热血小将"}
    sel, _ = select([ROUND], CADRES, CREDITS, QUADRANTS, TASKS, NEGATIVE, names=NAMES)
    assert set(sel["status"]) <= {"入选", "候选"}


def test_bad_rule_is_reported():
    from models.config import check_reference

    cfg = copy.deepcopy(load_reference("archetypes"))
    cfg["labels"]["改革闯将"]["conditions"][0]["kind"] = "luck"
    cfg["labels"]["发展干将"]["conditions"][2]["codes"] = ["unidentified"]
    paths = [p for p, _ in check_reference("archetypes", cfg)]
    assert "labels.改革闯将.conditions[1].kind" in paths and "labels.发展干将.conditions[3].codes" in paths


# --- gauges -------------------------------------------------------------------------------------

SEL = pd.DataFrame({
    "round": ["2024-06", "2024-09", "2024-06", "2024-12", "2024-09", "2024-06"],
    "label": ["攻坚老将", "攻坚老将", "攻坚老将", "改革闯将", "热血小将", "发展干将"],
    "cadre_id": ["V1", "V2", "V3", "P1", "P3", "P2"],
    "status": ["入选", "入选", "候选", "入选", "入选", "入选"],
})
GAUGES = {"gauges": {"veteran_label": "攻坚老将", "veteran_reserve": 30, "excellent_grade": "优秀",
                     "promotion_target": 2 / 3, "promotion_kinds": ["提拔"]}}


def test_veteran_reserve_counts_selected_veterans_graded_excellent():
    grades = pd.DataFrame({"cadre_id": ["V1", "V2", "V3", "P1"], "year": [2024] * 4,
                           "grade": ["优秀", "称职", "优秀", "优秀"]})
    row = veteran_reserve(SEL, grades, GAUGES).iloc[0]
    # V1 and V2 selected (V3 only a candidate, P1 another label); V1 is 优秀.
    assert (row["year"], row["reserved"], row["selected"], row["used"], row["remaining"]) == (2024, 30, 2, 1, 29)
    tight = copy.deepcopy(GAUGES)
    tight["gauges"]["veteran_reserve"] = 0
    assert "超出 1 个" in veteran_reserve(SEL, grades, tight).iloc[0]["note"]
    none = veteran_reserve(SEL, None, GAUGES).iloc[0]
    assert pd.isna(none["used"]) and "不可计算" in none["note"]


def test_promotion_share_counts_promotions_after_a_selection():
    promos = pd.DataFrame({
        "cadre_id": ["V1", "P2", "P3", "X9", "V2", "P1"],
        "date": ["2024-07-15", "2024-06-30", "2024-08-01", "2024-11-01", "2024-12-01", "2025-02-01"],
        "kind": ["提拔", "提拔", "提拔", "提拔", "晋升职级", "提拔"],
    })
    out = promotion_share(SEL, promos, years=[2024, 2025, 2026], config=GAUGES).set_index("year")
    # 2024 提拔: V1 after 2024-06 ✓; P2 on the round's last day ✗; P3 before its 2024-09 round ✗; X9 ✗.
    # V2 is 晋升职级, not counted. 2025: P1 after 2024-12 ✓.
    assert (out.loc[2024, "promotions"], out.loc[2024, "from_generals"]) == (4, 1)
    assert out.loc[2024, "share"] == pytest.approx(0.25) and not out.loc[2024, "met"]
    assert out.loc[2025, "share"] == 1.0 and out.loc[2025, "met"]
    assert np.isnan(out.loc[2026, "share"]) and pd.isna(out.loc[2026, "met"]) and "不可计算" in out.loc[2026, "note"]
    missing = promotion_share(SEL, None, config=GAUGES)
    assert missing["share"].isna().all() and missing["note"].str.contains("未提供提拔晋升数据").all()
