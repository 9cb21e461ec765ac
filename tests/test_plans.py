"""一人一策: status and reviews at as-of, and the before / during / after windows on hand-built
metrics (straddling periods dropped, undetermined quadrants not counted, the caveat carried)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.plans import CAVEAT, plan_status, plan_windows, plans_table, review_points

CFG = {"plans": {"window_months": 6, "review_every_months": 2}}
NAMES = {"high_high": "高贡献区", "high_low": "逆势担当区", "low_high": "平台红利区", "low_low": "低效区",
         "unidentified": "不可判定"}
PLANS = pd.DataFrame([
    ("P1", "C1", "2024-03-01", "2024-08-31", "2024-05-02;2024-07-15"),
    ("P2", "C2", "2024-01-01", "2024-06-30", "2024-03-05"),
    ("P3", "C3", "2024-09-01", "2025-02-28", ""),
    ("P4", "C4", "2024-05-01", "2024-04-01", None),
], columns=["plan_id", "cadre_id", "start", "end", "reviews"])


def test_review_points_every_two_months_and_at_the_end():
    pts = review_points(pd.Timestamp("2024-01-01"), pd.Timestamp("2024-06-30"), 2, pd.Timestamp("2024-12-31"))
    assert pts == [pd.Timestamp("2024-03-01"), pd.Timestamp("2024-05-01"), pd.Timestamp("2024-06-30")]


def test_status_and_reviews_at_as_of():
    out = plan_status(PLANS, "2024-07-20", CFG).set_index("plan_id")
    assert list(out["status"]) == ["进行中", "已结束", "未开始", "日期有误"]
    # P1 owes 05-01 and 07-01 by 07-20 and held both; next is the closing review on 08-31.
    assert (out.loc["P1", "reviews_due"], out.loc["P1", "reviews_held"], out.loc["P1", "reviews_overdue"]) == (2, 2, 0)
    assert out.loc["P1", "next_review"] == pd.Timestamp("2024-08-31")
    # P2 owed 03-01, 05-01 and 06-30, held one: two overdue, the earliest owed is 05-01.
    assert (out.loc["P2", "reviews_due"], out.loc["P2", "reviews_held"], out.loc["P2", "reviews_overdue"]) == (3, 1, 2)
    assert out.loc["P2", "next_review"] == pd.Timestamp("2024-05-01") and "逾期 2 次" in out.loc["P2", "review_note"]
    assert out.loc["P3", "reviews_due"] == 0 and out.loc["P3", "next_review"] == pd.Timestamp("2024-11-01")
    assert "早于开始日期" in out.loc["P4", "review_note"]


def _monthly():
    months = pd.period_range("2023-09", "2025-02", freq="M").strftime("%Y-%m")
    total = [60.0] * 6 + [70.0] * 6 + [80.0, np.nan, 90.0, 80.0, 80.0, 80.0]
    return pd.DataFrame({"cadre_id": "C1", "period": months, "total": total,
                         "red_cards": [1] * 6 + [0] * 12})


def test_windows_mean_and_n():
    out = plan_windows(PLANS.iloc[[0]], _monthly(), config=CFG, metric_names={"total": "综合得分"})
    got = out.set_index(["window", "metric"])
    assert got.loc[("before", "total"), "mean"] == 60 and got.loc[("before", "total"), "n"] == 6
    assert got.loc[("during", "total"), "mean"] == 70 and got.loc[("during", "red_cards"), "mean"] == 0
    # after: 2024-09 .. 2025-02, one month missing: (80 + 90 + 80·3) / 5 = 82.
    assert got.loc[("after", "total"), "mean"] == pytest.approx(82) and got.loc[("after", "total"), "n"] == 5
    assert got.loc[("before", "total"), "summary"] == "综合得分:均值 60(6 期)"
    assert list(out["window_label"].unique()) == ["实施前", "实施中", "实施后"]


def test_window_not_over_and_window_without_data():
    out = plan_windows(PLANS.iloc[[0]], _monthly(), as_of="2024-10-15", config=CFG).set_index(["window", "metric"])
    after = out.loc[("after", "total")]
    assert after["n"] == 1 and after["mean"] == 80 and "尚未结束" in after["summary"]  # only 2024-09 is complete
    empty = plan_windows(PLANS.iloc[[1]], _monthly(), config=CFG)
    assert empty["n"].eq(0).all() and empty["summary"].str.contains("该时段无数据").all()  # C2 has no metrics
    assert empty["mean"].isna().all()


def test_straddling_quarter_and_undetermined_quadrants():
    plans = pd.DataFrame({"plan_id": ["Q"], "cadre_id": ["C2"], "start": ["2024-02-15"], "end": ["2024-09-30"]})
    metrics = pd.DataFrame({
        "cadre_id": "C2", "period": ["2023-Q3", "2023-Q4", "2024-Q1", "2024-Q2", "2024-Q3"],
        "score": [50.0, 55.0, 99.0, 65.0, 75.0],
        "quadrant_code": ["low_low", "high_high", "high_high", "unidentified", "low_low"],
    })
    out = plan_windows(plans, metrics, config=CFG, names=NAMES).set_index(["window", "metric"])
    # before = 2023-08-15 .. 2024-02-14: only 2023-Q4 lies wholly inside; 2024-Q1 straddles the start.
    assert out.loc[("before", "score"), "mean"] == 55 and out.loc[("before", "score"), "n"] == 1
    assert out.loc[("during", "score"), "mean"] == 70  # Q2 and Q3
    q = out.loc[("during", "quadrant_code")]
    assert q["n"] == 1 and np.isnan(q["mean"])
    assert q["summary"] == "quadrant_code:低效区 1 期(另有 1 期不可判定,未计入)"


def test_plans_table_one_row_per_plan_with_caveat():
    status = plan_status(PLANS, "2025-03-31", CFG)
    windows = plan_windows(PLANS, _monthly(), config=CFG, metric_names={"total": "综合得分", "red_cards": "红牌"})
    table = plans_table(status, windows).set_index("plan_id")
    assert len(table) == 4 and (table["caveat"] == CAVEAT).all() and "均值回归" in CAVEAT
    assert table.loc["P1", "before"] == "综合得分:均值 60(6 期);红牌:均值 1(6 期)"
    assert table.loc["P4", "during"] == "该时段无数据"
    assert not table[["before", "during", "after"]].apply(lambda s: s.str.contains("nan")).any().any()
