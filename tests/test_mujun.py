"""models/mujun.py: 黄岩 firm score reproduced, classes, balanced-panel 提升值, 升档数, links."""
from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from models.config import load_reference
from models.mujun import (
    cadre_links,
    cadre_mujun,
    county_benchmarks,
    county_mujun,
    firm_indicators,
    firm_scores,
    mujun_levels,
    unit_mujun,
)

SUB = ["s_tax_per_mu", "s_va_per_mu", "s_va_per_energy", "s_va_per_emission", "s_labour_prod", "s_rd_ratio"]


def _cfg(**changes) -> dict:
    cfg = copy.deepcopy(load_reference("mujun"))
    for k, v in changes.items():
        if k == "source":
            cfg["benchmarks"]["source"] = v
        else:
            cfg[k] = v
    return cfg


def _firm(eid, year, land=50.0, tax=1500.0, va=7500.0, energy=2500.0, emission=1.5, employees=400,
          rd=900.0, revenue=30000.0, unit="U1", above=True, cadre=None):
    ent = {"enterprise_id": eid, "unit_id": unit, "land_mu": land, "above_scale": above, "cadre_id": cadre}
    yr = {"enterprise_id": eid, "year": year, "tax": tax, "value_added": va, "energy_tce": energy,
          "emission_t": emission, "employees": employees, "rd_expense": rd, "revenue": revenue}
    return ent, yr


def _frames(firms):
    ents = pd.DataFrame([f[0] for f in firms]).drop_duplicates("enterprise_id")
    years = pd.DataFrame([f[1] for f in firms])
    return ents, years


def test_firm_score_reproduced_from_huangyan_2022_benchmarks():
    # Firm: 50 亩, 税收 1500 万元, 增加值 7500 万元, 能耗 2500 tce, 排放 1.5 t, 400 人,
    # R&D 900 万元, 营业收入 30000 万元. Indicators:
    #   亩均税收 1500/50 = 30;  亩均增加值 7500/50 = 150;  单位能耗增加值 7500/2500 = 3.0;
    #   单位排放增加值 7500/1.5 = 5000;  劳动生产率 7500/400 = 18.75;  R&D占比 900/30000 = 0.03.
    # 黄岩 2022 benchmarks B = 24.097, 136.16, 2.694, 4929.81, 18.14, 0.0302 (DOMAIN §3):
    #   30·30/24.097     = 37.34905
    #   20·150/136.16    = 22.03290
    #   20·3.0/2.694     = 22.27171
    #   10·5000/4929.81  = 10.14238
    #   10·18.75/18.14   = 10.33627
    #   10·0.03/0.0302   =  9.93377
    #   score            = 112.06609
    ents, years = _frames([_firm("F1", 2022), _firm("F2", 2022, tax=600.0)])
    out = firm_scores(ents, years, config=_cfg(source="黄岩"))
    f = out[out["enterprise_id"] == "F1"].iloc[0]
    assert f["tax_per_mu"] == pytest.approx(30.0) and f["va_per_mu"] == pytest.approx(150.0)
    assert f["va_per_energy"] == pytest.approx(3.0) and f["va_per_emission"] == pytest.approx(5000.0)
    assert f["labour_prod"] == pytest.approx(18.75) and f["rd_ratio"] == pytest.approx(0.03)
    expected = [37.34905, 22.03290, 22.27171, 10.14238, 10.33627, 9.93377]
    assert [f[c] for c in SUB] == pytest.approx(expected, abs=1e-5)
    assert f["score"] == pytest.approx(112.06609, abs=1e-5)
    assert f["benchmark_source"] == "published:黄岩:2022"


def test_firm_score_with_huangyan_2021_benchmarks():
    # Same firm against 2021 B = 26.01, 132.27, 2.54, 4861.08, 17.45, 0.0305:
    #   30·30/26.01 = 34.60208; 20·150/132.27 = 22.68088; 20·3/2.54 = 23.62205;
    #   10·5000/4861.08 = 10.28578; 10·18.75/17.45 = 10.74499; 10·0.03/0.0305 = 9.83607
    #   score = 111.77183
    ents, years = _frames([_firm("F1", 2021)])
    f = firm_scores(ents, years, config=_cfg(source="黄岩")).iloc[0]
    assert f["score"] == pytest.approx(111.77183, abs=1e-5)


def test_missing_emission_gets_group_average_and_cap_applies():
    # Published 2022 benchmarks; 单位排放增加值 sub-scores:
    #   F1 10·5000/4929.81 = 10.14238;  F2 emission 2.0 → 3750 → 10·3750/4929.81 = 7.60678;
    #   F3 no emission data → mean(10.14238, 7.60678, 20) where F4 is capped (below) = 12.58305;
    #   F4 emission 0.01 → 750000 → 1521.4 → capped at 2 × 10 = 20.
    ents, years = _frames([
        _firm("F1", 2022), _firm("F2", 2022, emission=2.0), _firm("F3", 2022, emission=np.nan),
        _firm("F4", 2022, emission=0.01),
    ])
    out = firm_scores(ents, years, config=_cfg(source="黄岩")).set_index("enterprise_id")
    assert out.loc["F2", "s_va_per_emission"] == pytest.approx(10 * 3750 / 4929.81)
    assert out.loc["F4", "s_va_per_emission"] == pytest.approx(20.0)
    avg = (10 * 5000 / 4929.81 + 10 * 3750 / 4929.81 + 20.0) / 3
    assert out.loc["F3", "s_va_per_emission"] == pytest.approx(avg)
    assert out.loc["F3", "imputed"] == "va_per_emission=均值"
    # Without a cap F4 keeps the raw ratio.
    raw = firm_scores(ents, years, config=_cfg(source="黄岩", item_cap_multiple=None)).set_index("enterprise_id")
    assert raw.loc["F4", "s_va_per_emission"] == pytest.approx(10 * 750000 / 4929.81)


def test_computed_benchmark_is_the_aggregate_ratio():
    # Two firms: 亩均税收 B = (1500 + 600) / (50 + 50) = 21 (not the mean of 30 and 12).
    ents, years = _frames([_firm("F1", 2023), _firm("F2", 2023, tax=600.0)])
    bm = county_benchmarks(firm_indicators(ents, years))
    b = bm[(bm["indicator"] == "tax_per_mu") & (bm["scale_group"] == "规上")].iloc[0]
    assert b["benchmark"] == pytest.approx(21.0) and b["source"] == "computed"
    out = firm_scores(ents, years).set_index("enterprise_id")
    assert out.loc["F1", "s_tax_per_mu"] == pytest.approx(30 * 30 / 21)
    assert out.loc["F2", "s_tax_per_mu"] == pytest.approx(30 * 12 / 21)


def test_below_scale_reweighted_to_tax_per_mu():
    # 规下 weights 亩均税收 50 + 单位电耗税收 50; no power data → 亩均税收 carries 100.
    # B = (60 + 20) / (10 + 10) = 4; G1 6/4·100 = 150; G2 2/4·100 = 50.
    ents, years = _frames([_firm("G1", 2023, land=10, tax=60.0, above=False),
                           _firm("G2", 2023, land=10, tax=20.0, above=False)])
    out = firm_scores(ents, years).set_index("enterprise_id")
    assert out.loc["G1", "score"] == pytest.approx(150.0)
    assert out.loc["G2", "score"] == pytest.approx(50.0)
    assert (out["scale_group"] == "规下").all()


def test_classes_ten_35_45_ten_percent():
    # 20 规上 firms differing only in tax (亩均税收 21..40): positions (rank − ½)/20.
    # A: ranks 1–2 (0.025, 0.075 ≤ 0.10); B: 3–9 (≤ 0.45); C: 10–18 (≤ 0.90); D: 19–20.
    ents, years = _frames([_firm(f"F{i:02d}", 2023, tax=50.0 * (21 + i)) for i in range(20)])
    out = firm_scores(ents, years)
    assert out["class"].value_counts().to_dict() == {"A": 2, "B": 7, "C": 9, "D": 2}
    best = out.sort_values("score", ascending=False)
    assert best["class"].tolist() == ["A"] * 2 + ["B"] * 7 + ["C"] * 9 + ["D"] * 2
    assert best["class_name"].iloc[0] == "优先发展类" and best["class_name"].iloc[-1] == "倒逼整治类"


def test_d_override_low_tax_per_mu():
    # F_low: 亩均税收 2 but huge value added → ranks first, yet 2 < B/3 → D.
    firms = [_firm(f"F{i}", 2023, tax=1500.0) for i in range(9)]
    firms.append(_firm("F_low", 2023, tax=100.0, va=40000.0, rd=5000.0))
    ents, years = _frames(firms)
    out = firm_scores(ents, years).set_index("enterprise_id")
    assert out.loc["F_low", "rank"] == 1
    b = (9 * 1500 + 100) / (10 * 50)  # computed 亩均税收 benchmark 27.2; a third is 9.07
    assert out.loc["F_low", "tax_per_mu"] < b / 3
    assert out.loc["F_low", "class"] == "D"
    assert "→D(原A)" in out.loc["F_low", "class_rule"]


def test_score_is_sum_of_subscores():
    rng = np.random.default_rng(5)
    firms = [_firm(f"F{i}", y, tax=float(rng.uniform(100, 3000)), va=float(rng.uniform(1000, 9000)),
                   emission=float(rng.uniform(0.5, 3)) if i % 4 else np.nan)
             for i in range(30) for y in (2022, 2023)]
    out = firm_scores(*_frames(firms))
    assert np.allclose(out[SUB].sum(axis=1), out["score"])
    assert out["class"].isin(list("ABCD")).all()


def _panel():
    # Hand-made scores frame for mujun_levels (only the columns it reads).
    rows = [
        # eid, year, unit, land, tax, va, class
        ("E1", 2021, "U1", 50, 1000, 5000, "B"), ("E1", 2022, "U1", 50, 1250, 5500, "A"),
        ("E2", 2021, "U1", 20, 200, 1600, "C"), ("E2", 2022, "U1", 20, 260, 1500, "D"),
        ("E3", 2021, "U1", 30, 100, 900, "C"),   # exits after 2021
        ("E4", 2022, "U1", 10, 900, 2000, "D"),  # new in 2022
        ("E5", 2021, "U2", 40, 800, 4000, "B"), ("E5", 2022, "U2", 40, 700, 4200, "B"),
    ]
    return pd.DataFrame(rows, columns=["enterprise_id", "year", "unit_id", "land_mu", "tax",
                                       "value_added", "class"])


def test_uplift_on_balanced_panel_and_upgrades():
    lv = unit_mujun(_panel()).set_index(["unit_id", "year"])
    u = lv.loc[("U1", 2022)]
    # Level on all firms of 2022: (1250 + 260 + 900) / (50 + 20 + 10) = 2410 / 80 = 30.125.
    assert u["tax_per_mu"] == pytest.approx(30.125)
    # Balanced panel {E1, E2}: 2022 1510 / 70 = 21.5714; 2021 1200 / 70 = 17.1429;
    # 提升值 = 310 / 70 = 4.4286; 提升率 = 310 / 1200 = 0.25833.
    # (Unbalanced it would be 30.125 − 13.0 = 17.125: the new firm E4 and the exit of E3.)
    assert u["n_balanced"] == 2 and u["balanced_land_mu"] == 70
    assert u["tax_per_mu_bal"] == pytest.approx(1510 / 70)
    assert u["tax_per_mu_bal_prev"] == pytest.approx(1200 / 70)
    assert u["tax_per_mu_uplift"] == pytest.approx(310 / 70)
    assert u["tax_per_mu_uplift_rate"] == pytest.approx(310 / 1200)
    assert u["uplift"] == u["tax_per_mu_uplift"] and u["uplift_rate"] == u["tax_per_mu_uplift_rate"]
    # 亩均增加值 on the panel: (5500 + 1500)/70 − (5000 + 1600)/70 = 400/70 = 5.714.
    assert u["va_per_mu_uplift"] == pytest.approx(400 / 70)
    # 升档数: E1 B→A up; E2 C→D down; E3/E4 are not in the panel.
    assert (u["upgrades"], u["downgrades"], u["upgrade_share"]) == (1, 1, 0.5)
    assert u["n_class_d"] == 2  # E2 and E4 in 2022
    # First year: a level but no 提升值.
    assert np.isnan(lv.loc[("U1", 2021), "uplift"]) and lv.loc[("U1", 2021), "tax_per_mu"] == pytest.approx(13.0)
    # U2: 700/40 − 800/40 = −2.5, rate −0.125.
    assert lv.loc[("U2", 2022), "uplift"] == pytest.approx(-2.5)
    assert lv.loc[("U2", 2022), "uplift_rate"] == pytest.approx(-0.125)
    # County: panel {E1, E2, E5}: (1250+260+700)/110 − (1000+200+800)/110 = 210/110; rate 210/2000.
    c = county_mujun(_panel()).set_index("year").loc[2022]
    assert c["uplift"] == pytest.approx(210 / 110) and c["uplift_rate"] == pytest.approx(0.105)


def test_cadre_links_and_cadre_levels():
    ents = pd.DataFrame({"enterprise_id": ["E1", "E2", "E3", "E4", "E5"],
                         "unit_id": ["U1", "U1", "U1", "U1", "U2"], "land_mu": [50, 20, 30, 10, 40],
                         "above_scale": True, "cadre_id": [None, None, None, None, "K1"]})
    # K2 (工业) held a post in U1 from 2022-03 on; K3 is 综合 and gets no 属地 link.
    asg = pd.DataFrame({"cadre_id": ["K2", "K3"], "unit_id": ["U1", "U1"],
                        "start": ["2022-03-01", "2020-01-01"], "end": [None, None]})
    cad = pd.DataFrame({"cadre_id": ["K1", "K2", "K3"], "role_type": ["工业", "工业", "综合"]})
    links = cadre_links(ents, asg, cad, years=[2021, 2022])
    assert set(links.loc[links["cadre_id"] == "K1", "enterprise_id"]) == {"E5"}
    assert (links.loc[links["cadre_id"] == "K1", "basis"] == "挂联").all()
    k2 = links[links["cadre_id"] == "K2"]
    assert set(k2["year"]) == {2022.0} and set(k2["enterprise_id"]) == {"E1", "E2", "E3", "E4"}
    assert "K3" not in set(links["cadre_id"])
    lv = cadre_mujun(_panel(), links).set_index(["cadre_id", "year"])
    # K1 (挂联 E5, every year): same as U2.
    assert lv.loc[("K1", 2022), "uplift"] == pytest.approx(-2.5)
    # K2 answers for U1's firms from 2022: the panel is the 2022 firm set {E1, E2, E4} compared
    # with the same firms' 2021 data (E4 had none) → {E1, E2}: 提升值 310 / 70 as for U1,
    # although nobody was linked to them in 2021. No 2021 row for K2.
    assert lv.loc[("K2", 2022), "n_balanced"] == 2
    assert lv.loc[("K2", 2022), "uplift"] == pytest.approx(310 / 70)
    assert ("K2", 2021) not in lv.index


def test_unknown_enterprise_rejected():
    ents, years = _frames([_firm("F1", 2022)])
    years = pd.concat([years, years.assign(enterprise_id="GHOST")])
    with pytest.raises(ValueError, match="GHOST"):
        firm_scores(ents, years)


def test_levels_via_links_sum_like_units():
    # Linking each firm to its own unit reproduces unit_mujun.
    p = _panel()
    links = p[["unit_id", "enterprise_id"]].drop_duplicates()
    a = mujun_levels(p.drop(columns="unit_id"), by="unit_id", links=links)
    b = unit_mujun(p)
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))
