"""一事一奖 SLA arithmetic on hand-computed dates: weekends count, a missing stage is open, dates
out of order, the month-end edge, ageing and the per-unit summary."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.awards import RESULT_COLUMNS, award_stages, due_date, open_items, unit_summary

MONTH = {"awards": {"target": {"months": 1}}}
AS_OF = "2024-06-05"
AWARDS = pd.DataFrame([
    # award, unit, applied, reviewed, approved, paid
    ("A1", "U1", "2024-03-01", "2024-03-04", "2024-03-11", "2024-03-29"),  # Fri → Mon: 3 days
    ("A2", "U1", "2024-01-31", "2024-02-05", "2024-02-20", "2024-02-29"),  # due 02-29 (leap year)
    ("A3", "U2", "2023-01-31", "2023-02-06", "2023-02-20", "2023-03-01"),  # due 02-28: one day late
    ("A4", "U1", "2024-05-10", None, None, None),                          # waiting for 审核
    ("A5", "U2", "2024-04-01", "2024-04-03", None, None),                  # due 05-01, overdue
    ("A6", "U1", "2024-03-10", "2024-03-05", "2024-03-12", "2024-03-20"),  # reviewed before applied
    ("A7", "U2", "2024-03-01", None, "2024-03-10", "2024-03-15"),          # 审核 skipped
], columns=["award_id", "unit_id", "applied_at", "reviewed_at", "approved_at", "paid_at"])


@pytest.fixture(scope="module")
def stages():
    return award_stages(AWARDS, AS_OF, MONTH).set_index("award_id")


def test_calendar_days_per_stage(stages):
    a1 = stages.loc["A1"]
    assert (a1["days_review"], a1["days_approve"], a1["days_pay"], a1["days_total"]) == (3, 7, 18, 28)
    assert a1["sla_met"] == "true" and a1["sla_status"] == "按期兑现" and a1["current_stage"] == "已兑现"
    assert list(stages.reset_index().columns[:6]) == RESULT_COLUMNS


def test_month_end_edge():
    assert due_date(pd.Timestamp("2024-01-31"), {"months": 1}) == pd.Timestamp("2024-02-29")
    assert due_date(pd.Timestamp("2023-01-31"), {"months": 1}) == pd.Timestamp("2023-02-28")
    assert due_date(pd.Timestamp("2024-01-15"), {"months": 1}) == pd.Timestamp("2024-02-15")
    assert due_date(pd.Timestamp("2024-01-31"), {"days": 30}) == pd.Timestamp("2024-03-01")


def test_month_end_sla(stages):
    assert stages.loc["A2", "sla_met"] == "true" and stages.loc["A2", "days_total"] == 29
    assert stages.loc["A3", "sla_met"] == "false" and stages.loc["A3", "sla_status"] == "超期兑现"
    by_days = award_stages(AWARDS, AS_OF, {"awards": {"target": {"days": 30}}}).set_index("award_id")
    assert by_days.loc["A3", "sla_met"] == "true"  # 29 days ≤ 30


def test_missing_stage_is_open_not_zero(stages):
    a4 = stages.loc["A4"]
    assert np.isnan(a4["days_review"]) and np.isnan(a4["days_approve"]) and np.isnan(a4["days_total"])
    # due 2024-06-10, as-of 06-05: still open; 26 days since applied, all in 待审核.
    assert a4["sla_met"] == "open" and a4["current_stage"] == "待审核"
    assert (a4["age_days"], a4["days_in_stage"]) == (26, 26) and np.isnan(a4["overdue_days"])
    a5 = stages.loc["A5"]
    assert a5["days_review"] == 2 and np.isnan(a5["days_approve"]) and np.isnan(a5["days_pay"])
    # due 2024-05-01: overdue by 35 days at 06-05; 63 days waiting for 审批 since 04-03.
    assert a5["sla_met"] == "false" and a5["sla_status"] == "超期未兑现" and a5["current_stage"] == "待审批"
    assert (a5["age_days"], a5["days_in_stage"], a5["overdue_days"]) == (65, 63, 35)


def test_open_item_becomes_overdue_with_time():
    later = award_stages(AWARDS, "2024-06-11", MONTH).set_index("award_id")
    assert later.loc["A4", "sla_met"] == "false" and later.loc["A4", "overdue_days"] == 1


def test_dates_out_of_order_and_skipped_stage(stages):
    a6 = stages.loc["A6"]
    assert not a6["valid"] and a6["problem"] == "审核日期 2024-03-05 早于申报日期 2024-03-10"
    assert a6["sla_status"] == "日期有误" and a6["sla_met"] == "true"  # paid 03-20 ≤ due 04-10
    a7 = stages.loc["A7"]
    assert not a7["valid"] and a7["problem"] == "缺少审核日期但已有审批日期"
    assert np.isnan(a7["days_review"]) and np.isnan(a7["days_approve"]) and np.isnan(a7["days_pay"])
    assert a7["days_total"] == 14
    assert stages.loc[["A1", "A2", "A3", "A4", "A5"], "valid"].all()
    assert (stages.loc[["A1", "A2", "A3", "A4", "A5"], "problem"] == "").all()


def test_paid_before_applied_is_not_met():
    bad = pd.DataFrame({"award_id": ["B"], "unit_id": ["U"], "applied_at": ["2024-03-10"], "paid_at": ["2024-03-01"]})
    row = award_stages(bad, AS_OF, MONTH).iloc[0]
    assert row["sla_met"] == "open" and not row["valid"] and "早于申报日期" in row["problem"]


def test_unit_summary(stages):
    out = unit_summary(stages.reset_index(), MONTH).set_index("unit_id")
    u1, u2 = out.loc["U1"], out.loc["U2"]
    assert (u1["n"], u1["met"], u1["missed"], u1["overdue_open"], u1["open"], u1["invalid"]) == (4, 3, 0, 0, 1, 1)
    assert u1["median_days_total"] == 28.5  # A1 28, A2 29; A6 left out
    assert u1["median_days_review"] == 4  # A1 3, A2 5
    assert (u2["n"], u2["met"], u2["missed"], u2["overdue_open"], u2["open"], u2["invalid"]) == (3, 1, 2, 1, 0, 1)
    assert u2["median_days_total"] == 29 and "1 项日期有误" in u2["note"]
    assert (out["n"] == out["met"] + out["missed"] + out["open"]).all()
    assert not out["note"].str.contains("nan").any()


def test_open_items_overdue_first(stages):
    assert list(open_items(stages.reset_index())["award_id"]) == ["A5", "A4"]


def test_target_is_read_from_dianjiang_yaml_and_checked():
    import copy

    from models.config import check_reference, load_reference

    cfg = load_reference("dianjiang")
    assert cfg["awards"]["target"] == {"months": 1}
    bad = copy.deepcopy(cfg)
    bad["awards"]["target"] = {"months": 1, "days": 30}
    bad["rounds"]["months"] = [12, 6]
    paths = [p for p, _ in check_reference("dianjiang", bad)]
    assert paths == ["rounds.months", "awards.target"]
