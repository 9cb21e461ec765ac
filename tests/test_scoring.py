"""models/scoring.py: hand-computed indicator scores and the cumulative-series invariants."""
from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from models.config import load_reference
from models.scoring import (
    RESULT_COLUMNS,
    check_cumulative,
    period_increments,
    score_indicators,
    scoring_spec,
    unit_totals,
)


def _row(out: pd.DataFrame, unit: str, indicator: str | None = None, period: str | None = None) -> pd.Series:
    m = out["unit_id"] == unit
    if indicator:
        m &= out["indicator"] == indicator
    if period:
        m &= out["period"] == period
    assert m.sum() == 1
    return out[m].iloc[0]


def _cfg(**per_indicator) -> dict:
    """weights.yaml in use, with the method a test examines pinned for the named indicators (the
    numbers, cap, weight, width and bands, stay the client's)."""
    cfg = copy.deepcopy(load_reference("weights"))
    cfg["indicator_scoring"]["use_verified"] = True
    for code, spec in per_indicator.items():
        cfg["indicator_scoring"]["indicators"].setdefault(code, {}).update(spec)
    return cfg


def _completion(*codes: str) -> dict:
    return _cfg(**{c: {"method": "completion", "fallback_method": "rank", "rank_basis": "completion",
                       "target_mode": "auto"} for c in codes})


def _score(completion: float, code: str, cfg: dict) -> float:
    """100 · clip(completion, 0, cap) with the indicator's cap in ``cfg``."""
    return 100.0 * min(max(completion, 0.0), float(scoring_spec(code, cfg)["cap"]))


def _growth_score(gap: float, code: str, cfg: dict) -> float:
    """100 · clip(0.5 + gap / width, 0, 1) with the indicator's width in ``cfg``."""
    return 100.0 * min(max(0.5 + gap / float(scoring_spec(code, cfg)["growth_gap_width"]), 0.0), 1.0)


def _band(share: float) -> str:
    bands = load_reference("weights")["indicator_scoring"]["bands"]
    return next((b["band"] for b in bands if share <= float(b["max_share"]) + 1e-9), bands[-1]["band"])


# A dir −1 indicator the client adds through the `indicators` input table:
# 城乡居民收入倍差 (urban/rural income ratio), lower is better.
INCOME_RATIO = pd.DataFrame({
    "indicator": ["income_ratio"], "name": ["城乡居民收入倍差"], "unit": ["倍"], "direction": [-1],
    "frequency": ["year"], "cumulative": [False], "kind": ["other"], "unit_type": ["街道;镇;乡"],
})


def test_contract_columns_first():
    v = pd.DataFrame({"unit_id": ["A"], "indicator": ["gpb_revenue"], "period": ["2024-06"],
                      "value": [500.0], "target": [1000.0]})
    out = score_indicators(v)
    assert list(out.columns[:8]) == RESULT_COLUMNS == [
        "unit_id", "indicator", "period", "value", "target", "completion", "rank", "score"]


def test_completion_prorated_by_time_elapsed_and_capped():
    # gpb_revenue: cumulative 万元, annual target 1000. At 2024-06 时序进度 = 6/12 = 0.5,
    # so the target to date is 1000 × 0.5 = 500.
    v = pd.DataFrame({
        "unit_id": ["A", "B", "C"], "indicator": ["gpb_revenue"] * 3, "period": ["2024-06"] * 3,
        "value": [450.0, 650.0, 500.0], "target": [1000.0] * 3,
    })
    cfg = _completion("gpb_revenue")
    out = score_indicators(v, config=cfg)
    a, b, c = (_row(out, u) for u in "ABC")
    assert a["target_to_date"] == pytest.approx(500.0)
    # A: 450 / 500 = 0.9 → score 100 × 0.9 = 90; actual share 0.45 vs 0.5 → −5 pp.
    assert a["completion"] == pytest.approx(0.9)
    assert a["score"] == pytest.approx(90.0)
    assert a["expected_share"] == pytest.approx(0.5)
    assert a["progress_gap_pp"] == pytest.approx(-5.0)
    # B: 650 / 500 = 1.3, capped (shipped cap 1.2 → score 120); the completion column keeps 1.3.
    assert b["completion"] == pytest.approx(1.3)
    assert b["score"] == pytest.approx(_score(1.3, "gpb_revenue", cfg))
    weight = float(scoring_spec("gpb_revenue", cfg)["weight"])  # shipped: 10 points
    assert b["weighted_score"] == pytest.approx(weight * _score(1.3, "gpb_revenue", cfg) / 100)
    # C exactly on schedule.
    assert c["completion"] == pytest.approx(1.0) and c["progress_gap_pp"] == pytest.approx(0.0)
    # Ranked by completion: B (1.3) 1, C (1.0) 2, A (0.9) 3.
    assert [b["rank"], c["rank"], a["rank"]] == [1, 2, 3]


def test_jan_feb_merged_first_point_uses_two_twelfths():
    # 2024-02 carries January + February: target to date = 1200 × 2/12 = 200; value 210 → 1.05.
    v = pd.DataFrame({"unit_id": ["A"], "indicator": ["exports"], "period": ["2024-02"],
                      "value": [210.0], "target": [1200.0]})
    cfg = _completion("exports")
    r = score_indicators(v, config=cfg).iloc[0]
    assert r["target_to_date"] == pytest.approx(200.0)
    assert r["completion"] == pytest.approx(1.05)
    assert r["score"] == pytest.approx(_score(1.05, "exports", cfg))


def test_direction_minus_one_completion_and_rank():
    # 城乡居民收入倍差 (dir −1): completion = target / value.
    # A: 1.90 / 1.86 = 1.021505… → 102.15; B: 1.90 / 2.00 = 0.95 → 95;
    # C: 1.90 / 1.50 = 1.2667 → capped (shipped cap 1.2 → 120).
    v = pd.DataFrame({"unit_id": ["A", "B", "C"], "indicator": ["income_ratio"] * 3,
                      "period": ["2024"] * 3, "value": [1.86, 2.00, 1.50], "target": [1.90] * 3})
    cfg = _cfg(income_ratio={"method": "completion", "rank_basis": "value"})
    out = score_indicators(v, indicators=INCOME_RATIO, config=cfg)
    a, b, c = (_row(out, u) for u in "ABC")
    assert a["completion"] == pytest.approx(1.90 / 1.86)
    assert a["score"] == pytest.approx(_score(1.90 / 1.86, "income_ratio", cfg))  # 102.15 under the shipped cap
    assert b["score"] == pytest.approx(95.0)
    assert c["completion"] == pytest.approx(1.90 / 1.50)
    assert c["score"] == pytest.approx(_score(1.90 / 1.50, "income_ratio", cfg))
    # Lower is better: 1.50 first, 1.86 second, 2.00 last.
    assert [c["rank"], a["rank"], b["rank"]] == [1, 2, 3]
    assert (out["direction"] == -1).all()


def test_direction_minus_one_growth_gap():
    # dir −1 under growth gap: s = clip(0.5 + (benchmark − value) / width, 0, 1).
    # values 1.8, 2.0, 2.2 → mean 2.0. Shipped width 20: A 0.5 + 0.2/20 = 0.51 → 51; C: 0.49 → 49.
    v = pd.DataFrame({"unit_id": ["A", "B", "C"], "indicator": ["income_ratio"] * 3,
                      "period": ["2024"] * 3, "value": [1.8, 2.0, 2.2]})
    cfg = _cfg(income_ratio={"method": "growth_gap", "rank_basis": "value", "growth_benchmark": "mean"})
    out = score_indicators(v, indicators=INCOME_RATIO, config=cfg)
    assert _row(out, "A")["score"] == pytest.approx(_growth_score(0.2, "income_ratio", cfg))
    assert _row(out, "B")["score"] == pytest.approx(50.0)
    assert _row(out, "C")["score"] == pytest.approx(_growth_score(-0.2, "income_ratio", cfg))


def test_rank_method_and_ties():
    # 位次法: s = 100 · (N − rank) / (N − 1) with N = 4.
    # values 30, 25, 25, 10 (tax_per_mu, higher better) → ranks 1, 2, 2, 4 (ties share the best).
    # A: 100·3/3 = 100; B, C: 100·2/3 = 66.67; D: 0.
    v = pd.DataFrame({"unit_id": list("ABCD"), "indicator": ["tax_per_mu"] * 4, "period": ["2024"] * 4,
                      "value": [30.0, 25.0, 25.0, 10.0]})
    cfg = _cfg(tax_per_mu={"method": "rank", "rank_basis": "value"})
    out = score_indicators(v, config=cfg)
    assert out.set_index("unit_id")["rank"].to_dict() == {"A": 1, "B": 2, "C": 2, "D": 4}
    assert out.set_index("unit_id")["score"].to_dict() == pytest.approx(
        {"A": 100.0, "B": 200 / 3, "C": 200 / 3, "D": 0.0})
    # Bands by rank/N from weights.yaml (shipped: 商城县 quartiles, 1/4 绿, 2/4 黄, 4/4 红).
    assert out.set_index("unit_id")["band"].to_dict() == {
        "A": _band(1 / 4), "B": _band(2 / 4), "C": _band(2 / 4), "D": _band(4 / 4)}


def test_growth_gap_against_peer_mean_and_given_benchmark():
    # ind_va_growth (%, cumulative growth): s = 100·clip(0.5 + (g − mean)/width, 0, 1).
    # 8, 6, 4, 2 → mean 5 → with the shipped width 20: 65, 55, 45, 35.
    v = pd.DataFrame({"unit_id": list("ABCD"), "indicator": ["ind_va_growth"] * 4,
                      "period": ["2024-06"] * 4, "value": [8.0, 6.0, 4.0, 2.0], "target": [6.0] * 4})
    cfg = _cfg(ind_va_growth={"method": "growth_gap", "growth_benchmark": "mean", "target_mode": "auto"})
    out = score_indicators(v, config=cfg)
    assert out.set_index("unit_id")["score"].to_dict() == pytest.approx(
        {u: _growth_score(g - 5.0, "ind_va_growth", cfg) for u, g in zip("ABCD", (8, 6, 4, 2))})
    assert (out["benchmark"] == 5.0).all()
    # A cumulative growth rate is compared with the annual growth target as is (not × 6/12):
    # completion of A = 8 / 6.
    assert _row(out, "A")["target_to_date"] == pytest.approx(6.0)
    assert _row(out, "A")["completion"] == pytest.approx(8 / 6)
    # County growth 7 % given explicitly: A = 0.5 + (8 − 7)/20 = 0.55 → 55; D = 0.25 → 25.
    bm = pd.DataFrame({"indicator": ["ind_va_growth"], "period": ["2024-06"], "benchmark": [7.0]})
    out2 = score_indicators(v, benchmarks=bm, config=cfg)
    assert _row(out2, "A")["score"] == pytest.approx(_growth_score(1.0, "ind_va_growth", cfg))
    assert _row(out2, "D")["score"] == pytest.approx(_growth_score(-5.0, "ind_va_growth", cfg))
    # Saturation: far above the benchmark (beyond half the width) → clip at 1 → 100.
    width = float(scoring_spec("ind_va_growth", cfg)["growth_gap_width"])
    v2 = v.assign(value=[7.0 + width, 6.0, 4.0, 2.0])
    out3 = score_indicators(v2, benchmarks=bm, config=cfg)
    assert _row(out3, "A")["score"] == pytest.approx(100.0)


def test_growth_gap_against_a_county_series_loaded_as_a_unit():
    # growth_benchmark "unit:YH" takes the county row (YH) of the same period as g_benchmark.
    # Shipped width 20: A 0.5 + (8 − 5.5)/20 = 0.625 → 62.5; B: 0.5 + (3 − 5.5)/20 = 0.375 → 37.5.
    v = pd.DataFrame({"unit_id": ["A", "B", "YH"], "indicator": ["fai_growth"] * 3,
                      "period": ["2024-09"] * 3, "value": [8.0, 3.0, 5.5]})
    cfg = _cfg(fai_growth={"method": "growth_gap", "growth_benchmark": "unit:YH"})
    out = score_indicators(v, config=cfg)
    assert _row(out, "A")["score"] == pytest.approx(_growth_score(2.5, "fai_growth", cfg))
    assert _row(out, "B")["score"] == pytest.approx(_growth_score(-2.5, "fai_growth", cfg))
    assert (out["benchmark"] == 5.5).all()


def test_target_given_once_per_year_and_verified_value_wins():
    v = pd.DataFrame({
        "unit_id": ["A", "A"], "indicator": ["retail_sales"] * 2, "period": ["2024-03", "2024-06"],
        "value": [240.0, 520.0], "target": [1000.0, np.nan], "verified_value": [np.nan, 480.0],
    })
    out = score_indicators(v, config=_completion("retail_sales"))
    jun = _row(out, "A", period="2024-06")
    # Annual target 1000 spreads to June; the verified 480 replaces the reported 520:
    # 480 / (1000 × 6/12) = 0.96.
    assert jun["target"] == 1000.0
    assert jun["value"] == 480.0 and jun["reported_value"] == 520.0 and jun["value_source"] == "核实值"
    assert jun["completion"] == pytest.approx(0.96)
    mar = _row(out, "A", period="2024-03")
    assert mar["completion"] == pytest.approx(240 / 250)


def test_fallback_to_rank_without_target():
    v = pd.DataFrame({"unit_id": ["A", "B", "C"], "indicator": ["va_per_mu"] * 3, "period": ["2024"] * 3,
                      "value": [150.0, 120.0, 90.0]})
    out = score_indicators(v, config=_completion("va_per_mu"))
    assert (out["method"] == "completion").all() and (out["method_used"] == "rank").all()
    assert out.set_index("unit_id")["score"].to_dict() == pytest.approx({"A": 100, "B": 50, "C": 0})
    assert out["note"].str.contains("无目标值").all()


def test_volume_without_any_target_ranked_on_value():
    # gpb_revenue ranks on completion; with no target anywhere it falls back to rank on value.
    v = pd.DataFrame({"unit_id": ["A", "B"], "indicator": ["gpb_revenue"] * 2, "period": ["2024"] * 2,
                      "value": [300.0, 500.0]})
    out = score_indicators(v, config=_completion("gpb_revenue")).set_index("unit_id")
    assert out["rank"].to_dict() == {"A": 2, "B": 1}
    assert out["score"].to_dict() == {"A": 0.0, "B": 100.0}


def test_comparable_units_only():
    # gpb_revenue is compared across 街道/镇/乡/平台; a 部门 row is ranked on its own.
    v = pd.DataFrame({"unit_id": ["T1", "T2", "D1"], "indicator": ["gpb_revenue"] * 3,
                      "period": ["2024"] * 3, "value": [90.0, 110.0, 500.0], "target": [100.0] * 3})
    units = pd.DataFrame({"unit_id": ["T1", "T2", "D1"], "name": ["玉城", "坎门", "经信局"],
                          "unit_type": ["街道", "街道", "部门"]})
    out = score_indicators(v, units=units)
    assert _row(out, "T2")["rank"] == 1 and _row(out, "T1")["rank"] == 2
    assert _row(out, "T1")["n_comparable"] == 2
    assert _row(out, "D1")["rank"] == 1 and _row(out, "D1")["n_comparable"] == 1


def test_chinese_indicator_name_accepted():
    v = pd.DataFrame({"unit_id": ["A"], "indicator": ["一般公共预算收入"], "period": ["2024"],
                      "value": [900.0], "target": [1000.0]})
    r = score_indicators(v, config=_completion("gpb_revenue")).iloc[0]
    assert r["indicator"] == "gpb_revenue" and r["score"] == pytest.approx(90.0)


def test_unknown_indicator_rejected():
    v = pd.DataFrame({"unit_id": ["A"], "indicator": ["nope"], "period": ["2024"], "value": [1.0]})
    with pytest.raises(ValueError, match="nope"):
        score_indicators(v)


def test_unit_totals_add_up():
    v = pd.DataFrame({
        "unit_id": ["A", "A"], "indicator": ["gpb_revenue", "industrial_power"], "period": ["2024"] * 2,
        "value": [900.0, 1100.0], "target": [1000.0, 1000.0],
    })
    cfg = _completion("gpb_revenue", "industrial_power")
    out = score_indicators(v, config=cfg)
    tot = unit_totals(out).iloc[0]
    # The weighted mean of the scores; shipped gpb_revenue 90 (weight 10), industrial_power 110
    # (weight 5): (10·90 + 5·110) / 15 = 96.667.
    w1, w2 = (float(scoring_spec(c, cfg)["weight"]) for c in ("gpb_revenue", "industrial_power"))
    s1, s2 = _score(0.9, "gpb_revenue", cfg), _score(1.1, "industrial_power", cfg)
    assert tot["total"] == pytest.approx((w1 * s1 + w2 * s2) / (w1 + w2))
    assert tot["n_indicators"] == 2


# ---- cumulative-series invariants --------------------------------------------------------

def _cumulative_panel(seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for unit in ("A", "B", "C"):
        for year in (2023, 2024):
            total = 0.0
            for month in range(2, 13):  # 2 = January + February merged
                total += float(rng.uniform(0, 100))
                rows.append((unit, "exports", f"{year}-{month:02d}", total, 1200.0))
    return pd.DataFrame(rows, columns=["unit_id", "indicator", "period", "value", "target"])


def test_cumulative_values_never_decrease_and_flows_add_up():
    v = _cumulative_panel()
    assert check_cumulative(v).empty
    inc = period_increments(v)
    assert (inc["period_value"] >= 0).all()
    # The in-period flows of a year add back up to its December year-to-date value.
    sums = inc.groupby(["unit_id", inc["period"].str[:4]])["period_value"].sum()
    dec_rows = v[v["period"].str.endswith("-12")]
    dec = dec_rows.set_index(["unit_id", dec_rows["period"].str[:4]])["value"]
    pd.testing.assert_series_equal(sums.sort_index(), dec.sort_index(), check_names=False)
    out = score_indicators(v)
    for _, g in out.sort_values("period").groupby(["unit_id", "year"]):
        assert g["value"].is_monotonic_increasing
        assert g["target_to_date"].is_monotonic_increasing
    assert not out["cum_decrease"].any()


def test_cumulative_decrease_is_flagged():
    v = pd.DataFrame({"unit_id": ["A"] * 3, "indicator": ["exports"] * 3,
                      "period": ["2024-02", "2024-03", "2024-04"], "value": [100.0, 180.0, 150.0]})
    bad = check_cumulative(v)
    assert bad["period"].tolist() == ["2024-04"]
    assert bad["period_value"].iloc[0] == pytest.approx(-30.0)
    out = score_indicators(v)
    assert out.loc[out["period"] == "2024-04", "cum_decrease"].item()
    # A new year restarts the year-to-date series: no flag across the year boundary.
    v2 = pd.DataFrame({"unit_id": ["A"] * 2, "indicator": ["exports"] * 2,
                       "period": ["2023-12", "2024-02"], "value": [1000.0, 150.0]})
    assert check_cumulative(v2).empty
