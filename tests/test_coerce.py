"""Coercion of raw string tables into typed frames: values, units, provenance, parse errors."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pipelines.coerce import coerce, empty_frame
from pipelines.contract import TABLES
from pipelines.readers import RawTable


def raw(table: str, columns: list[str], rows: list[list[str]], first_row: int = 2) -> RawTable:
    return RawTable(TABLES[table], f"{table}.csv", columns, rows, list(range(first_row, first_row + len(rows))))


def rules(issues):
    return [(i.rule, i.row, i.column, i.value) for i in issues]


def test_typed_frame_has_every_contract_column_and_provenance():
    frame, issues = coerce(raw("task_progress", ["task_id", "period", "planned_pct", "actual_pct", "reported_at"],
                               [["T01", "2024年3月", "45%", "４０", "2024/4/2"], ["T02", "2024-Q1", "50", "60.5", ""]]))
    assert issues == []
    assert list(frame.columns[:7]) == TABLES["task_progress"].column_names
    assert frame["period"].tolist() == ["2024-03", "2024-Q1"]
    assert frame["planned_pct"].tolist() == [45.0, 50.0]
    assert frame["actual_pct"].tolist() == [40.0, 60.5]
    assert frame["reported_at"].iloc[0] == pd.Timestamp("2024-04-02") and pd.isna(frame["reported_at"].iloc[1])
    assert frame["verified_pct"].isna().all() and frame["evidence_count"].isna().all()
    assert frame["_source"].tolist() == ["task_progress.csv"] * 2
    assert frame["_row"].tolist() == [2, 3]


def test_dtypes_match_empty_frame():
    for name, table in TABLES.items():
        empty = empty_frame(table)
        frame, _ = coerce(raw(name, [], [[]]))
        for c in table.column_names:
            assert frame[c].dtype == empty[c].dtype, (name, c)


def test_money_suffixes_convert_to_wan_yuan():
    frame, issues = coerce(raw("enterprise_years", ["enterprise_id", "year", "tax", "value_added"],
                               [["E01", "2024", "1.2亿元", "5000"], ["E02", "2024", "3亿元", "100"]]))
    assert issues == []
    assert frame["tax"].tolist() == [pytest.approx(12000.0), pytest.approx(30000.0)]
    frame, issues = coerce(raw("projects", ["project_id", "agreed_investment"], [["P1", "5,000,000元"], ["P2", "800元"]]))
    assert issues == [] and frame["agreed_investment"].tolist() == [pytest.approx(500.0), pytest.approx(0.08)]


@pytest.mark.parametrize("values,bad_row,bad_value", [
    (["500万元", "1.2亿元", "300万元"], 3, "亿元"),  # written units differ: refused even though convertible
    (["500", "600", "1.2亿元"], 4, "亿元"),  # a bare amount is 万元
    (["1.2亿元", "3亿元", "500万元"], 4, "万元"),
])
def test_mixed_money_units_in_one_column_are_refused(values, bad_row, bad_value):
    rows = [[f"E0{i}", "2024", v, "1"] for i, v in enumerate(values)]
    _, issues = coerce(raw("enterprise_years", ["enterprise_id", "year", "tax", "value_added"], rows))
    assert rules(issues) == [("单位混用", bad_row, "tax", bad_value)]


def test_non_money_units_are_refused_in_money_columns():
    _, issues = coerce(raw("enterprise_years", ["enterprise_id", "year", "tax", "value_added"], [["E01", "2024", "12吨", "1"]]))
    assert rules(issues) == [("单位不符", 2, "tax", "12吨")]


def test_mixed_units_in_other_number_columns():
    _, issues = coerce(raw("enterprises", ["enterprise_id", "land_mu"], [["E1", "10亩"], ["E2", "12亩"], ["E3", "5万元"]]))
    assert rules(issues) == [("单位混用", 4, "land_mu", "万元")]


def test_indicator_values_keep_their_suffix_for_the_per_indicator_check():
    frame, issues = coerce(raw("indicator_values", ["unit_id", "indicator", "period", "value"],
                               [["U1", "gpb_revenue", "2024-01", "1,234.5万元"], ["U1", "ind_va_growth", "2024-01", "12.5%"],
                                ["U1", "exports", "2024-01", "88"]]))
    assert issues == []
    assert frame["value"].tolist() == [1234.5, 12.5, 88.0]
    assert frame["_suffix"].tolist() == ["万元", "%", ""]


def test_parse_errors_name_row_column_value_and_leave_the_cell_empty():
    frame, issues = coerce(raw("enterprises", ["enterprise_id", "unit_id", "land_mu", "above_scale"],
                               [["E1", "U1", "abc", "maybe"], ["E2", "U1", "—", "是"], ["E3", "U1", "12", "否"]], first_row=5))
    assert rules(issues) == [("非数值", 5, "land_mu", "abc"), ("非数值", 6, "land_mu", "—"),
                             ("是否格式", 5, "above_scale", "maybe")]
    assert frame["land_mu"].isna().tolist() == [True, True, False]
    assert frame["above_scale"].tolist()[1:] == [True, False]


@pytest.mark.parametrize("table,column,value,rule", [
    ("tasks", "year", "二〇二四", "非整数"), ("tasks", "due", "年底", "日期格式"), ("ratings", "period", "上半年", "期间格式"),
    ("ratings", "score", "优秀", "评分格式"), ("assignments", "share", "一半", "非数值"),
])
def test_parse_rules(table, column, value, rule):
    _, issues = coerce(raw(table, [column], [[value]]))
    assert rules(issues) == [(rule, 2, column, value)]


def test_month_only_dates_use_the_column_convention():
    frame, _ = coerce(raw("assignments", ["cadre_id", "unit_id", "start", "end"], [["C1", "U1", "2024-03", "2024-06"]]))
    assert frame["start"].iloc[0] == pd.Timestamp(dt.date(2024, 3, 1))
    assert frame["end"].iloc[0] == pd.Timestamp(dt.date(2024, 6, 30))  # a term ends at the month's end
    frame, _ = coerce(raw("tasks", ["task_id", "due"], [["T1", "2024年12月"]]))
    assert frame["due"].iloc[0] == pd.Timestamp(dt.date(2024, 12, 31))


def test_blanks_and_lists():
    frame, issues = coerce(raw("tasks", ["task_id", "co_cadre_ids", "difficulty"],
                               [["T1", "C1；C2、C3", "-"], ["T2", "", "1.1"], ["T3", "null", "/"]]))
    assert issues == []
    assert frame["co_cadre_ids"].tolist()[0] == "C1;C2;C3"
    assert frame["co_cadre_ids"].isna().tolist() == [False, True, True]
    assert frame["difficulty"].isna().tolist() == [True, False, True]
