"""models/ratings.py: grade conversion, rater-group weights, dropped groups re-normalised."""
from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from models.config import load_reference
from models.ratings import aggregate_ratings, convert_score, rating_groups



def _cfg() -> dict:
    return load_reference("ratings")


def _grade(word: str) -> float:
    return float(_cfg()["grade_scores"][word])


def _minimum(group: str) -> int:
    cfg = _cfg()
    return int((cfg.get("min_raters_by_group") or {}).get(group, cfg["min_raters"]))


def _enough() -> int:
    """Raters enough for every group to be kept under the policy in use (shipped: 5)."""
    cfg = _cfg()
    return max([int(cfg["min_raters"]), *map(int, (cfg.get("min_raters_by_group") or {}).values())])


def _weighted(means: dict[str, float]) -> float:
    """The hand computation: Σ w·mean / Σ w over the kept groups, weights from ratings.yaml."""
    w = _cfg()["group_weights"]
    return sum(float(w[g]) * m for g, m in means.items()) / sum(float(w[g]) for g in means)


def _ratings(spec, cadre="C1", period="2024"):
    """spec: {group: (n_raters, score or list of scores)}."""
    rows = []
    for group, (n, score) in spec.items():
        scores = score if isinstance(score, list) else [score] * n
        for i in range(n):
            rows.append((period, cadre, group, f"{cadre}-{group}-{i}", scores[i]))
    return pd.DataFrame(rows, columns=["period", "cadre_id", "rater_group", "rater_id", "score"])


def test_grade_words_converted():
    grades = _cfg()["grade_scores"]  # shipped: 100, 80, 60, 40
    words = ("好", "较好", "一般", "差")
    assert [convert_score(w, grades) for w in words] == [_grade(w) for w in words]
    assert convert_score(87.5, grades) == 87.5
    assert convert_score("92", grades) == 92.0
    assert np.isnan(convert_score("优", grades)) and np.isnan(convert_score(None, grades))


def test_all_groups_full_uses_nominal_weights():
    # Shipped: 0.35·100 + 0.15·80 + 0.15·60 + 0.10·90 + 0.25·40 = 35 + 12 + 9 + 9 + 10 = 75.
    n = _enough()
    given = {"上级": "好", "同级": "较好", "下级": "一般", "群众": 90, "服务对象": "差"}
    out = aggregate_ratings(_ratings({g: (n, v) for g, v in given.items()})).iloc[0]
    means = {g: _grade(v) if isinstance(v, str) else float(v) for g, v in given.items()}
    assert out["rating_score"] == pytest.approx(_weighted(means))
    assert out["groups_dropped"] == "" and out["nominal_weight_kept"] == pytest.approx(1.0)
    assert out["rule"] == "五类评价主体齐全,按原权重加权"


def test_dropped_rater_group_and_renormalised_weights():
    # Shipped: 下级 has 3 raters (< 5): dropped. Kept nominal weights 0.35 + 0.15 + 0.10 + 0.25 = 0.85.
    # 评价分 = (0.35·100 + 0.15·80 + 0.10·70 + 0.25·40) / 0.85 = 64 / 0.85 = 75.294.
    n, few = _enough(), _minimum("下级") - 1
    r = _ratings({"上级": (n, "好"), "同级": (n + 1, "较好"), "下级": (few, "一般"), "群众": (n + 3, 70),
                  "服务对象": (n, "差")})
    out = aggregate_ratings(r).iloc[0]
    w = _cfg()["group_weights"]
    kept = sum(float(w[g]) for g in ("上级", "同级", "群众", "服务对象"))
    assert out["rating_score"] == pytest.approx(
        _weighted({"上级": _grade("好"), "同级": _grade("较好"), "群众": 70.0, "服务对象": _grade("差")}))
    assert out["groups_dropped"] == f"下级({few}人<{_minimum('下级')}人,剔除)"
    assert out["groups_used"] == "上级;同级;群众;服务对象"
    assert out["nominal_weight_kept"] == pytest.approx(kept)
    assert "剔除下级" in out["rule"] and f"{kept:.2f}" in out["rule"]
    g = rating_groups(r).set_index("rater_group")
    assert g.loc["上级", "weight_used"] == pytest.approx(float(w["上级"]) / kept)
    assert g.loc["下级", "weight_used"] == 0.0 and not g.loc["下级", "kept"]
    assert g["weight_used"].sum() == pytest.approx(1.0)


def test_absent_group_renormalised_too():
    # No 群众 rows at all (shipped): (0.35·90 + 0.15·90 + 0.15·90 + 0.25·60) / 0.90
    #                    = (31.5 + 13.5 + 13.5 + 15) / 0.9 = 73.5 / 0.9 = 81.667.
    n = _enough()
    r = _ratings({"上级": (n, 90), "同级": (n, 90), "下级": (n, 90), "服务对象": (n, 60)})
    out = aggregate_ratings(r).iloc[0]
    assert out["rating_score"] == pytest.approx(
        _weighted({"上级": 90.0, "同级": 90.0, "下级": 90.0, "服务对象": 60.0}))
    assert "缺少群众" in out["rule"]


def test_every_group_too_small_gives_no_score():
    r = _ratings({"上级": (_minimum("上级") - 1, "好"), "同级": (_minimum("同级") - 1, "好")})
    out = aggregate_ratings(r).iloc[0]
    assert np.isnan(out["rating_score"])
    assert "评价分空缺" in out["rule"]


def test_rater_counted_once_per_year():
    # Two quarterly rounds by the same 5 superiors: 上级 mean of rater means.
    q1 = _ratings({"上级": (5, [100, 100, 80, 80, 60])}, period="2024-Q1")
    q2 = _ratings({"上级": (5, [80, 80, 80, 80, 80])}, period="2024-Q2")
    g = rating_groups(pd.concat([q1, q2]), by="year").iloc[0]
    assert g["n_raters"] == 5  # not 10
    # rater means 90, 90, 80, 80, 70 → 82.
    assert g["mean_score"] == pytest.approx(82.0)
    by_period = aggregate_ratings(pd.concat([q1, q2]), by="period")
    assert by_period["period"].tolist() == ["2024-Q1", "2024-Q2"]
    assert by_period["rating_score"].tolist() == pytest.approx([84.0, 80.0])


def test_staging_layout_score_num_and_grade():
    r = _ratings({"上级": (_enough(), "较好"), "服务对象": (_enough(), 70)})
    staged = r.assign(
        score_num=pd.to_numeric(r["score"], errors="coerce"),
        grade=r["score"].where(pd.to_numeric(r["score"], errors="coerce").isna()),
    ).drop(columns="score")
    # Shipped: (0.35·80 + 0.25·70) / 0.60 = 45.5 / 0.6 = 75.833
    assert aggregate_ratings(staged).iloc[0]["rating_score"] == pytest.approx(
        _weighted({"上级": _grade("较好"), "服务对象": 70.0}))


def test_min_raters_is_policy():
    cfg = copy.deepcopy(load_reference("ratings"))
    cfg["min_raters"], cfg["min_raters_by_group"] = 3, {}
    r = _ratings({"上级": (5, "好"), "下级": (3, "一般")})
    # Kept both (shipped weights): (0.35·100 + 0.15·60) / 0.5 = 44 / 0.5 = 88.
    assert aggregate_ratings(r, config=cfg).iloc[0]["rating_score"] == pytest.approx(
        _weighted({"上级": _grade("好"), "下级": _grade("一般")}))


def test_bad_score_rejected():
    r = _ratings({"上级": (5, "优秀")})
    with pytest.raises(ValueError, match="评价得分"):
        aggregate_ratings(r)
    with pytest.raises(ValueError):
        aggregate_ratings(_ratings({"上级": (5, 120)}))


def test_several_cadres_independent():
    n = _enough()
    r = pd.concat([_ratings({"上级": (n, "好")}, cadre="A"), _ratings({"上级": (n, "差")}, cadre="B")])
    out = aggregate_ratings(r).set_index("cadre_id")["rating_score"]
    assert out.to_dict() == {"A": _grade("好"), "B": _grade("差")}


# --- comments of rater groups below their minimum are withheld ------------------------------

def test_comment_minimum_and_note_follow_the_policy():
    from models.ratings import comment_minimums, withheld_note

    default, by_group = comment_minimums()
    cfg = _cfg()
    assert default == cfg["min_raters"] and by_group == (cfg.get("min_raters_by_group") or {})
    assert withheld_note(4, 5) == "4 条评语未显示:评价人数不足 5 人,为保护评价人不显示"
    cfg = copy.deepcopy(load_reference("ratings"))
    cfg["min_raters"], cfg["min_raters_by_group"] = 7, {}
    assert comment_minimums(cfg) == (7, {})


def test_cadre_comments_withhold_a_group_below_its_minimum(demo_world, monkeypatch):
    """The demo has 下级 groups of 2–4 raters with comments: their text never reaches the page;
    one row says how many comments are withheld and why. 上级 needs only 3 raters."""
    from pipelines import db
    from pipelines.home import Home
    from ui import profile_queries as pq
    from ui.queries import Scope

    _, home, _ = demo_world
    monkeypatch.setenv("SHIJI_HOME", str(home))
    version = Home(home).current_path()
    groups = db.query(version, """
        SELECT cadre_id, CAST(substr(period, 1, 4) AS INTEGER) AS year, rater_group,
               count(DISTINCT rater_id) AS n_raters,
               count(*) FILTER (WHERE trim(comment) <> '') AS n_comments,
               list(DISTINCT trim(comment)) FILTER (WHERE trim(comment) <> '') AS texts
        FROM staging.ratings GROUP BY ALL""")
    minimum = _minimum("下级")  # shipped: 5
    small = groups[(groups["rater_group"] == "下级") & (groups["n_raters"] < minimum) & (groups["n_comments"] > 0)]
    assert len(small)
    case = small.sort_values(["n_raters", "cadre_id", "year"]).iloc[0]
    shown = pq.cadre_comments(Scope(), case["cadre_id"])
    mine = shown[(shown["year"] == case["year"]) & (shown["rater_group"] == "下级")]
    assert len(mine) == 1 and bool(mine["withheld"].iloc[0])
    assert mine["comment"].iloc[0] == (f"{case['n_comments']} 条评语未显示:评价人数不足 {minimum} 人,"
                                       "为保护评价人不显示")
    assert int(mine["n"].iloc[0]) == case["n_comments"]
    # its texts appear nowhere else in that year (another group may happen to write the same words)
    other = shown[(shown["year"] == case["year"]) & ~shown["withheld"]]
    other_groups = groups[(groups["cadre_id"] == case["cadre_id"]) & (groups["year"] == case["year"])
                          & (groups["rater_group"] != "下级")]
    elsewhere = {t for ts in other_groups["texts"] for t in (ts if ts is not None else [])}
    assert not (set(other["comment"]) & (set(case["texts"]) - elsewhere))
    # 上级 with 3 raters (its own minimum) and groups at the minimum are shown verbatim
    boss = groups[(groups["rater_group"] == "上级") & (groups["n_raters"] == 3) & (groups["n_comments"] > 0)].iloc[0]
    rows = pq.cadre_comments(Scope(), boss["cadre_id"])
    rows = rows[(rows["year"] == boss["year"]) & (rows["rater_group"] == "上级")]
    assert not rows["withheld"].any() and set(rows["comment"]) == set(boss["texts"])
    assert rows["n"].sum() == boss["n_comments"]
