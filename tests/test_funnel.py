"""models/funnel.py: cohort windows, no inherited pipeline, monotone funnels."""
from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from models.config import load_reference
from models.funnel import funnel, funnel_by_cadre, funnel_by_unit, project_stages

STAGES = ["signed", "landed", "started", "producing", "at_capacity"]


def _projects(rows):
    df = pd.DataFrame(rows, columns=["project_id", "unit_id", "cadre_id", "signed", "landed", "started",
                                     "producing", "at_capacity"])
    df["name"] = df["project_id"]
    df["agreed_investment"] = 10000.0
    return df


def test_stage_dates_on_both_sides_of_the_window():
    # Cohort 2023, window 12 months from each project's own 签约:
    #   P1 signed 2023-03-10 → window ends 2024-03-10; started 2024-03-09 (inside)
    #   P2 signed 2023-03-10; started 2024-03-11 (two days outside); 投产 2025-01-10 lies
    #      inside the 36-month 达产 window only
    #   P3 signed 2023-06-01, landed 2023-07-01, nothing else
    #   P4 signed 2023-01-15 → started 2023-05-01, producing 2023-12-01 (inside 12 months),
    #      at capacity 2025-06-30 (inside 36 months, outside 12)
    # as_of 2026-12-31: every window (12 and 36 months) has closed.
    p = _projects([
        ("P1", "U1", "Z1", "2023-03-10", "2023-05-01", "2024-03-09", None, None),
        ("P2", "U1", "Z1", "2023-03-10", "2023-05-01", "2024-03-11", "2025-01-10", None),
        ("P3", "U1", "Z1", "2023-06-01", "2023-07-01", None, None, None),
        ("P4", "U1", "Z1", "2023-01-15", "2023-02-01", "2023-05-01", "2023-12-01", "2025-06-30"),
    ])
    ps = project_stages(p, as_of="2026-12-31").set_index("project_id")
    assert ps.loc["P1", "window_end"] == pd.Timestamp("2024-03-10")
    assert ps.loc["P1", "in_started"] and not ps.loc["P2", "in_started"]
    assert ps.loc["P2", "cap_started"] and ps.loc["P2", "cap_producing"]
    f = funnel(p, as_of="2026-12-31").iloc[0]
    # Within 12 months: signed 4, landed 4, started 2 (P1, P4), producing 1 (P4), capacity 0.
    assert [f[f"n_{s}"] for s in STAGES] == [4, 4, 2, 1, 0]
    assert f["conversion_rate"] == pytest.approx(2 / 4)   # 项目转化率 = 开工 / 签约
    # Within 36 months: producing P2 and P4, at capacity P4 → 项目转化达产率 1 / 2.
    assert (f["cap_n_producing"], f["cap_n_at_capacity"]) == (2, 1)
    assert f["capacity_rate"] == pytest.approx(0.5)
    assert f["complete"] and f["capacity_complete"] and f["cohort"] == "2023"


def test_as_of_censors_and_marks_provisional():
    # Same projects seen on 2024-03-10: P1's start (03-09) counts, P4's 达产 is in the future.
    p = _projects([
        ("P1", "U1", "Z1", "2023-03-10", "2023-05-01", "2024-03-09", None, None),
        ("P4", "U1", "Z1", "2023-01-15", "2023-02-01", "2023-05-01", "2023-12-01", "2025-06-30"),
        ("P5", "U1", "Z1", "2023-11-01", None, None, None, None),
    ])
    f = funnel(p, as_of="2024-03-10").iloc[0]
    assert f["n_started"] == 2 and f["cap_n_at_capacity"] == 0
    # P5's 12-month window ends 2024-11-01 > as_of: provisional cohort.
    assert f["n_window_open"] == 1 and not f["complete"]
    assert "暂定值" in f["rule"]
    # A project signed after as_of does not exist yet.
    p2 = pd.concat([p, _projects([("P9", "U1", "Z1", "2024-05-01", None, None, None, None)])])
    assert funnel(p2, as_of="2024-03-10")["n_signed"].sum() == 3


def test_successor_does_not_inherit_predecessor_pipeline():
    # Z0 signs two projects in 2022 and leaves; Z1 arrives 2023-01 and signs one in 2023.
    # P01 starts in 2023 (on Z1's watch) but belongs to Z0's 2022 cohort.
    p = _projects([
        ("P01", "U1", "Z0", "2022-04-01", "2022-06-01", "2023-02-01", None, None),
        ("P02", "U1", "Z0", "2022-09-01", None, None, None, None),
        ("P11", "U1", "Z1", "2023-05-01", None, None, None, None),
    ])
    f = funnel_by_cadre(p, as_of="2024-12-31").set_index(["cadre_id", "cohort"])
    assert f.loc[("Z0", "2022"), "conversion_rate"] == pytest.approx(0.5)   # P01 started in 10 months
    assert f.loc[("Z1", "2023"), "n_signed"] == 1
    assert f.loc[("Z1", "2023"), "conversion_rate"] == 0.0
    assert ("Z1", "2022") not in f.index
    # The project records are re-assigned to Z1 after the hand-over (a common data habit):
    # with assignments the projects signed before Z1 took office are excluded from Z1's cohort.
    p_re = p.assign(cadre_id="Z1")
    asg = pd.DataFrame({"cadre_id": ["Z0", "Z1"], "unit_id": ["U1", "U1"],
                        "start": ["2019-01-01", "2023-01-01"], "end": ["2022-12-31", None]})
    f2 = funnel_by_cadre(p_re, as_of="2024-12-31", assignments=asg).set_index(["cadre_id", "cohort"])
    assert list(f2.index) == [("Z1", "2023")]
    assert f2.loc[("Z1", "2023"), "n_signed"] == 1
    ps = project_stages(p_re, as_of="2024-12-31", assignments=asg).set_index("project_id")
    assert not ps.loc["P01", "in_post_at_signing"]
    assert "签约时招商责任人不在任" in ps.loc["P01", "flags"]
    # The unit keeps every project: units do not rotate.
    u = funnel_by_unit(p_re, as_of="2024-12-31").set_index("cohort")
    assert u.loc["2022", "n_signed"] == 2 and u.loc["2023", "n_signed"] == 1


def test_later_stage_implies_earlier_and_out_of_order_flagged():
    # Started dated but 落地 missing: 落地 is implied. 投产 before 开工: flagged, kept.
    p = _projects([
        ("P1", "U1", "Z1", "2023-03-01", None, "2023-08-01", None, None),
        ("P2", "U1", "Z1", "2023-03-01", "2023-04-01", "2023-10-01", "2023-09-01", None),
    ])
    ps = project_stages(p, as_of="2025-01-01").set_index("project_id")
    assert ps.loc["P1", "in_landed"] and "落地由后续阶段推定" in ps.loc["P1", "flags"]
    assert "投产日期早于开工" in ps.loc["P2", "flags"]
    f = funnel(p, as_of="2025-01-01").iloc[0]
    assert [f[f"n_{s}"] for s in STAGES] == [2, 2, 2, 1, 0]


def test_quarter_cohorts_are_policy():
    cfg = copy.deepcopy(load_reference("funnel"))
    cfg["cohort"] = "quarter"
    p = _projects([
        ("P1", "U1", "Z1", "2023-02-01", None, None, None, None),
        ("P2", "U1", "Z1", "2023-05-01", None, None, None, None),
    ])
    assert funnel(p, as_of="2025-01-01", config=cfg)["cohort"].tolist() == ["2023-Q1", "2023-Q2"]


def _random_projects(seed=11, n=300):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        signed = pd.Timestamp("2021-01-01") + pd.Timedelta(days=int(rng.integers(0, 1100)))
        dates = [signed]
        for _ in STAGES[1:]:
            if rng.random() < 0.75 and dates[-1] is not None:
                dates.append(dates[-1] + pd.Timedelta(days=int(rng.integers(10, 400))))
            else:
                dates.append(None)
        # Some rows lose an intermediate date (data gaps).
        if rng.random() < 0.1:
            dates[int(rng.integers(1, 4))] = None
        rows.append((f"P{i}", f"U{rng.integers(3)}", f"Z{rng.integers(6)}", *dates))
    return _projects(rows)


def test_funnel_counts_are_monotone_and_rates_bounded():
    p = _random_projects()
    for by in ("cadre_id", "unit_id"):
        f = funnel(p, by=by, as_of="2024-06-30")
        counts = f[[f"n_{s}" for s in STAGES]].to_numpy()
        assert (np.diff(counts, axis=1) <= 0).all(), "签约 ≥ 落地 ≥ 开工 ≥ 投产 ≥ 达产"
        assert (f["cap_n_at_capacity"] <= f["cap_n_producing"]).all()
        assert (f["cap_n_producing"] >= f["n_producing"]).all()  # the longer window sees more
        assert f["conversion_rate"].between(0, 1).all()
        assert f["capacity_rate"].dropna().between(0, 1).all()
    # Per-cadre and per-unit cohorts partition the same projects.
    by_c = funnel(p, by="cadre_id", as_of="2024-06-30").groupby("cohort")[[f"n_{s}" for s in STAGES]].sum()
    by_u = funnel(p, by="unit_id", as_of="2024-06-30").groupby("cohort")[[f"n_{s}" for s in STAGES]].sum()
    pd.testing.assert_frame_equal(by_c, by_u)
