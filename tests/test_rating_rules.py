"""360° rating rules (models/rating_rules.py) on synthetic ratings with known truth."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from models.rules.flags import ALL_COLUMNS, load_config
from models.rating_rules import detect_rating_anomalies

GRADES = ((88, "好"), (78, "较好"), (65, "一般"))
COUNTS = {"上级": 4, "同级": 8, "下级": 7, "群众": 12, "服务对象": 8}
WORDS = {"群众", "服务对象"}
# Reasons are read by inspectors: no negative percentages, no statistics words.
BANNED = [r"[的为]-\d+(\.\d+)?%", "稳健", "标准差", "z=", "t=", "MAD", r"\bp\b", "nan", "None"]


def _word(x: float) -> str:
    return next((w for cut, w in GRADES if x >= cut), "差")


def _rows(year, cadre, group, scores, raters=None):
    raters = raters or [f"R{cadre}{group}{i}" for i in range(len(scores))]
    out = []
    for r, x in zip(raters, scores):
        sc = _word(x) if group in WORDS else str(int(round(min(100, max(0, x)))))
        out.append({"period": str(year), "cadre_id": cadre, "rater_group": group, "rater_id": r, "score": sc,
                    "comment": ""})
    return out


def _world(seed=0, n_cadres=80, year=2024):
    """Normal raters (noise SD 6 around a cadre's level); returns rows and the levels."""
    rng = np.random.default_rng(seed)
    rows, level = [], {}
    for k in range(n_cadres):
        c = f"C{k:03d}"
        level[c] = 82 + 5 * rng.standard_normal()
        for g, n in COUNTS.items():
            rows += _rows(year, c, g, level[c] + 6 * rng.standard_normal(n))
    return rows, level


def _detect(rows, **kw):
    return detect_rating_anomalies(pd.DataFrame(rows), load_config(), **kw)


def _replace(rows, cadre, group, scores):
    keep = [r for r in rows if not (r["cadre_id"] == cadre and r["rater_group"] == group)]
    return keep + _rows(rows[0]["period"], cadre, group, scores)


def test_empty_input_gives_the_flag_columns():
    assert list(_detect([]).columns) == ALL_COLUMNS
    assert detect_rating_anomalies(None).empty


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_independent_raters_raise_no_flag(seed):
    assert _detect(_world(seed)[0]).empty


def test_near_identical_inflated_peers_are_found_with_plain_reason():
    rows, level = _world(5)
    c = min(level, key=level.get)  # the demo's case: a middling cadre whose peers all give 95-100
    rng = np.random.default_rng(9)
    rows = _replace(rows, c, "同级", rng.uniform(95, 100, 9))
    rows = _replace(rows, c, "服务对象", rng.uniform(55, 72, 8))
    f = _detect(rows)
    assert list(f["cadre_id"]) == [c]
    r = f.iloc[0]
    assert r["rule"] == "评价雷同" and r["level"] == "cadre" and r["severity"] in ("橙", "红")
    assert r["period_start"] == "2024" and r["measure"].startswith("评价分")
    assert re.search(r"2024年同级评价：9人打分都在9\d–\d+分之间，最高与最低只差\d分（同组打分通常相差约\d+分）", r["reason"])
    assert "其他评价主体给同一人约" in r["reason"] and r["reason"].endswith("（需核查）")
    assert r["actual"] > 94 and r["expected"] < r["actual"] - 8
    assert "评价表原件" in r["check_hint"]
    assert r["indicator_name"] == "2024年360度评价"  # the subject lists show, never empty


def test_near_identical_without_lift_is_not_flagged():
    rows, level = _world(6)
    lv = level["C020"]
    rows = _replace(rows, "C020", "同级", np.linspace(lv + 2, lv + 4, 8))
    assert _detect(rows).empty


def test_identical_scores_fire_alone_but_not_at_the_top_of_the_scale():
    rows, level = _world(7)
    rows = _replace(rows, "C030", "同级", [85.0] * 8)
    # A top cadre: every group near the ceiling, the peers all at 100 (agreement by nature).
    for g, n in COUNTS.items():
        rows = _replace(rows, "C031", g, [100.0] * n if g == "同级" else np.linspace(94, 100, n))
    f = _detect(rows)
    assert list(f["cadre_id"]) == ["C030"]
    assert "2024年同级评价：8人打分完全相同（都是85分）（同组打分通常相差约" in f.iloc[0]["reason"]


def test_grade_words_in_agreement_are_not_flagged():
    rows, _ = _world(8)
    rows = _replace(rows, "C040", "群众", [99.0] * 12)  # twelve times 好
    assert _detect(rows).empty


def test_small_group_close_agreement_alone_does_not_fire():
    rows, level = _world(10)
    lv = level["C050"]
    rows = _replace(rows, "C050", "上级", [lv + 12, lv + 12.5, lv + 13, lv + 13])  # 4 raters
    assert _detect(rows).empty


def _ring(rows, members, score=99.0):
    """Each member rates the next one (and the last the first) with ``score``."""
    out = list(rows)
    for a, b in zip(members, members[1:] + members[:1]):
        out += _rows(rows[0]["period"], b, "同级", [score], raters=[a])
        if len(members) == 2:
            break
    if len(members) == 2:
        out += _rows(rows[0]["period"], members[0], "同级", [score], raters=[members[1]])
    return out


def test_reciprocal_high_ratings_flag_both_cadres():
    rows, level = _world(11)
    rows = _ring(rows, ["C001", "C002"])
    f = _detect(rows)
    assert sorted(f["cadre_id"]) == ["C001", "C002"] and set(f["rule"]) == {"互评抬分"}
    r = f[f["cadre_id"] == "C001"].iloc[0]
    assert re.search(r"2024年与C002互相打高分：C002给本人打99分，其他评价人平均给本人\d+分（高\d+分）", r["reason"])
    assert r["actual"] == 99 and r["expected"] < 90


def test_ring_of_three_is_red_and_one_way_praise_is_not_flagged():
    rows, _ = _world(12)
    rows = _ring(rows, ["C003", "C004", "C005"])
    rows += _rows("2024", "C007", "同级", [99.0], raters=["C006"])  # C007 does not return it
    f = _detect(rows)
    assert sorted(f["cadre_id"]) == ["C003", "C004", "C005"]
    assert (f["severity"] == "红").all() and f["reason"].str.contains("3人环状互相打高分").all()


def test_flag_sits_in_the_unit_served_longest_that_year():
    rows, _ = _world(13)
    rows = _replace(rows, "C010", "同级", [85.0] * 8)
    asg = pd.DataFrame({"cadre_id": ["C010", "C010"], "unit_id": ["U1", "U2"],
                        "start": ["2023-01-01", "2024-05-01"], "end": ["2024-04-30", None]})
    f = _detect(rows, assignments=asg)
    assert f.iloc[0]["unit_id"] == "U2"


def test_flags_are_stable_and_reasons_plain():
    rows, level = _world(14)
    rows = _replace(rows, min(level, key=level.get), "同级", np.random.default_rng(1).uniform(95, 100, 9))
    rows = _ring(rows, ["C001", "C002"])
    a, b = _detect(rows), _detect(list(reversed(rows)))
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 3
    for text in a["reason"]:
        for pat in BANNED:
            assert not re.search(pat, text), (pat, text)


def test_thresholds_come_from_the_config():
    rows, _ = _world(15)
    rows = _replace(rows, "C010", "同级", [85.0] * 8)
    cfg = load_config({"ratings": {"min_identical": 9}})
    assert detect_rating_anomalies(pd.DataFrame(rows), cfg).empty


def test_anonymous_ratings_count_as_separate_raters():
    rows, _ = _world(16)
    rows = _replace(rows, "C010", "同级", [85.0] * 8)
    for r in rows:
        if r["cadre_id"] == "C010" and r["rater_group"] == "同级":
            r["rater_id"] = None
    f = _detect(rows, assignments=pd.DataFrame({"cadre_id": ["C010"], "unit_id": ["U1"], "start": ["2020-01-01"]}))
    assert list(f["cadre_id"]) == ["C010"] and f.iloc[0]["unit_id"] == "U1"
    assert "8人打分完全相同" in f.iloc[0]["reason"]
