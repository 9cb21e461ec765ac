"""Cell parsers: every spelling the contract accepts, and refusals with a reason."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines import normalize as nz


@pytest.mark.parametrize("text,period", [
    ("2024-03", "2024-03"), ("2024-3", "2024-03"), ("2024/03", "2024-03"), ("2024.3", "2024-03"),
    ("2024年3月", "2024-03"), ("2024年03月", "2024-03"), ("202403", "2024-03"), ("２０２４年３月", "2024-03"),
    ("2024-Q1", "2024-Q1"), ("2024q4", "2024-Q4"), ("2024Q2", "2024-Q2"), ("2024年一季度", "2024-Q1"),
    ("2024年第三季度", "2024-Q3"), ("2024年4季度", "2024-Q4"), ("2024-二季", "2024-Q2"),
    ("2024年1-2月", "2024-02"), ("2024年1—2月", "2024-02"), ("2024年01~02月", "2024-02"),
    ("2024", "2024"), ("2024年", "2024"), ("2024年度", "2024"), (" 2024 年 3 月 ", "2024-03"),
    ("2024-03-01", "2024-03"),  # an Excel date cell typed as 2024-03 / 2024年3月
])
def test_periods(text, period):
    assert nz.parse_period(text) == period


@pytest.mark.parametrize("text", ["2024年13月", "2024-00", "2024-Q5", "2024年五季度", "三月份", "Mar 2024",
                                  "24-03", "2024-03-15", "1800", "2024年2-3月", ""])
def test_bad_periods(text):
    with pytest.raises(ValueError):
        nz.parse_period(text)


@given(st.integers(1990, 2100), st.integers(1, 12), st.integers(1, 4))
@settings(derandomize=True, database=None)
def test_canonical_periods_are_fixed_points(year, month, quarter):
    for p in (f"{year}-{month:02d}", f"{year}-Q{quarter}", str(year)):
        assert nz.parse_period(p) == p
    assert nz.parse_period(f"{year}年{month}月") == f"{year}-{month:02d}"


@pytest.mark.parametrize("text,month_end,date", [
    ("2024-03-15", False, dt.date(2024, 3, 15)), ("2024/3/5", False, dt.date(2024, 3, 5)),
    ("2024年3月15日", False, dt.date(2024, 3, 15)), ("2024年3月15", False, dt.date(2024, 3, 15)),
    ("20240315", False, dt.date(2024, 3, 15)), ("2024-03-15 00:00:00", False, dt.date(2024, 3, 15)),
    ("2024-03", False, dt.date(2024, 3, 1)), ("2024-03", True, dt.date(2024, 3, 31)),
    ("2024年2月", True, dt.date(2024, 2, 29)), ("２０２４－０３－１５", False, dt.date(2024, 3, 15)),
])
def test_dates(text, month_end, date):
    assert nz.parse_date(text, month_end=month_end) == date


@pytest.mark.parametrize("text", ["2024-02-30", "2023-02-29", "2024-13-01", "2024年13月", "年底", "15/03/2024", "2024"])
def test_bad_dates(text):
    with pytest.raises(ValueError):
        nz.parse_date(text)


@pytest.mark.parametrize("text,value,suffix", [
    ("1,234.5万元", 1234.5, "万元"), ("12.5%", 12.5, "%"), ("-3", -3.0, ""), ("+7", 7.0, ""),
    ("(150)", -150.0, ""), ("1e3", 1000.0, ""), ("1.5E-2", 0.015, ""), (".5", 0.5, ""),
    ("１２３４．５", 1234.5, ""), ("12.5％", 12.5, "%"), ("3亿元", 3.0, "亿元"), ("120 亩", 120.0, "亩"),
    ("1,000,000", 1_000_000.0, ""), ("56.7万千瓦时", 56.7, "万千瓦时"), ("8吨标煤", 8.0, "吨标煤"),
])
def test_numbers(text, value, suffix):
    assert nz.parse_number(text) == (pytest.approx(value), suffix)


@pytest.mark.parametrize("text", ["abc", "—", "–", "1.2.3", "12,34", "1e999", "-inf", "nan", "十二", "12 apples",
                                  "%", "万元", "1,2345", "--1", "12%%x"])
def test_not_numbers(text):
    with pytest.raises(ValueError):
        nz.parse_number(text)


@given(st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
@settings(max_examples=200, derandomize=True, database=None)
def test_thousands_separated_numbers_round_trip(x):
    assert nz.parse_number(f"{x:,.2f}")[0] == pytest.approx(float(x))
    assert nz.parse_number(f"{x:,.2f}万元") == (pytest.approx(float(x)), "万元")


def test_pct_share_int():
    assert nz.parse_pct("45%") == 45.0 and nz.parse_pct("45") == 45.0 and nz.parse_pct("４５．０") == 45.0
    assert nz.parse_share("0.6") == 0.6 and nz.parse_share("60%") == pytest.approx(0.6)
    assert nz.parse_int("2024") == 2024 and nz.parse_int("2,024") == 2024 and nz.parse_int("310人") == 310
    for bad, fn in [("45万元", nz.parse_pct), ("0.6亩", nz.parse_share), ("2024.5", nz.parse_int), ("3吨", nz.parse_int)]:
        with pytest.raises(ValueError):
            fn(bad)


@pytest.mark.parametrize("text,value", [("true", True), ("是", True), ("1", True), ("规上", True), ("TRUE", True),
                                        ("false", False), ("否", False), ("0", False), ("规下", False)])
def test_bools(text, value):
    assert nz.parse_bool(text) is value


def test_bad_bool():
    with pytest.raises(ValueError):
        nz.parse_bool("maybe")


def test_lists_and_scores():
    assert nz.parse_list("C01; C02；C03、C01") == "C01;C02;C03"
    assert nz.parse_list("gpb_revenue,exports") == "gpb_revenue;exports"
    assert nz.parse_score("好") == "好" and nz.parse_score("92") == "92" and nz.parse_score("78.50") == "78.5"
    with pytest.raises(ValueError):
        nz.parse_score("优秀")
    with pytest.raises(ValueError):
        nz.parse_score("90分")


def test_clean_and_blanks():
    assert nz.clean("\u200b ＵＮＩＴ０１\ufeff ") == "UNIT01"
    assert nz.clean(None) == "" and nz.clean(3) == "3"
    for blank in ("", " ", "nan", "None", "NULL", "-", "/", "NaT"):
        assert nz.is_blank(blank)
    for not_blank in ("0", "—", "无"):
        assert not nz.is_blank(not_blank)


# --- dates Excel writes into period and date columns (issue 11, item 11) ----------------------

@pytest.mark.parametrize("written,period", [
    ("2025-11-30", "2025-11"),             # a month written as its last day
    ("2025/11/30", "2025-11"),
    ("2024-02-29 00:00:00", "2024-02"),
    ("2025年11月30日", "2025-11"),
    ("45991", "2025-11"),                  # Excel serial for 2025-11-30 (a date cell shown as General)
    ("45962", "2025-11"),                  # ... and for 2025-11-01
])
def test_month_end_and_serial_dates_map_to_their_month(written, period):
    assert nz.parse_period(written) == period


@pytest.mark.parametrize("written", ["2025-11-15", "45976", "2025-02-30"])
def test_other_days_are_refused_with_the_expected_form(written):
    with pytest.raises(ValueError) as e:
        nz.parse_period(written)
    assert "2025-11" in str(e.value) and "2025年11月" in str(e.value)


def test_unknown_period_message_shows_the_expected_forms():
    with pytest.raises(ValueError, match="应写作"):
        nz.parse_period("十一月")


@pytest.mark.parametrize("written,date", [("45991", dt.date(2025, 11, 30)), ("45991.0", dt.date(2025, 11, 30))])
def test_excel_serial_dates_are_dates(written, date):
    assert nz.parse_date(written) == date
