"""models.period: the one period type, checked against hand-written calendars and against the
same decoding in DuckDB."""
import datetime as dt

import duckdb
import pandas as pd
import pytest
from hypothesis import given, strategies as st

from models.period import SQL_MACROS, Period, complete_quarters, period_frame, period_label, span_label


@pytest.mark.parametrize("code, kind, start, end, label", [
    ("2024-02", "month", dt.date(2024, 2, 1), dt.date(2024, 2, 29), "2024年2月"),
    ("2025-12", "month", dt.date(2025, 12, 1), dt.date(2025, 12, 31), "2025年12月"),
    ("2025-Q1", "quarter", dt.date(2025, 1, 1), dt.date(2025, 3, 31), "2025年一季度"),
    ("2025-Q4", "quarter", dt.date(2025, 10, 1), dt.date(2025, 12, 31), "2025年四季度"),
    ("2025", "year", dt.date(2025, 1, 1), dt.date(2025, 12, 31), "2025年"),
])
def test_calendar(code, kind, start, end, label):
    p = Period.parse(code)
    assert (p.kind, p.start, p.end, p.label, p.code, str(p)) == (kind, start, end, label, code, code)


def test_parts_and_order():
    m, q, y = Period.parse("2025-12"), Period.parse("2025-Q4"), Period.parse("2025")
    assert [p.months for p in (m, q, y)] == [1, 3, 12]
    assert m.key == q.key == y.key == 202512
    assert sorted([y, q, m]) == [m, q, y]
    assert Period.parse("2024-Q3") < Period.parse("2024-10") < Period.parse("2024")
    assert Period.parse("2024-05").quarter == 2 and Period.parse("2024-Q3").expected_share == 0.75
    # January and February are reported together as 2024-02: 2 of 12 months elapsed
    assert Period.parse("2024-02").expected_share == pytest.approx(2 / 12)
    assert Period.parse("2024.0") == Period.parse("2024")
    assert Period.parse("2024-03").first_month_index - Period.parse("2023-03").first_month_index == 12
    assert Period.from_month_index(Period.parse("2024-07").last_month_index).code == "2024-07"


@pytest.mark.parametrize("bad", ["2024-13", "2024-00", "2024-Q5", "24-01", "2024年3月", "", "nan"])
def test_refuses_what_is_not_canonical(bad):
    with pytest.raises(ValueError, match="期间格式错误"):
        Period.parse(bad)
    assert period_label(bad) == bad


def test_span_label():
    assert span_label("2024-03", "2024-06") == "2024年3月至2024年6月"
    assert span_label("2024-Q3", "2024-Q3") == span_label("2024-Q3") == span_label(None, "2024-Q3") == "2024年三季度"
    assert span_label(float("nan"), None) == "—"


def test_try_parse_gives_none_for_gaps():
    assert [Period.try_parse(v) for v in (None, float("nan"), pd.NA, pd.NaT, "", "期间")] == [None] * 6
    assert Period.try_parse("2025-Q4") == Period(2025, "quarter", 4)


def test_complete_quarters():
    assert [p.code for p in complete_quarters("2025-05", 3)] == ["2024-Q3", "2024-Q4", "2025-Q1"]
    assert [p.code for p in complete_quarters("2025-06", 1)] == ["2025-Q2"]
    assert [p.code for p in complete_quarters("2025-12", 3)] == ["2025-Q2", "2025-Q3", "2025-Q4"]
    # the quadrant step scores each quarter as of its last month
    assert [p.last_month.code for p in complete_quarters("2025-02", 2)] == ["2024-09", "2024-12"]
    assert complete_quarters("", 4) == [] and complete_quarters(None, 4) == []


def test_last_month():
    assert [Period.parse(c).last_month.code for c in ("2024-02", "2024-Q3", "2024")] == ["2024-02", "2024-09", "2024-12"]


def test_frame_matches_scalars():
    s = pd.Series(["2024-02", "2024-Q3", "2024", "2024-02"], index=[5, 6, 7, 8])
    f = period_frame(s)
    assert list(f.index) == [5, 6, 7, 8]
    assert list(f["end_month"]) == [2, 9, 12, 2] and list(f["period_kind"]) == ["month", "quarter", "year", "month"]
    assert f.loc[6, "period_end"] == pd.Timestamp("2024-09-30") and f.loc[6, "expected_share"] == 0.75


codes = st.one_of(
    st.builds(lambda y, m: f"{y}-{m:02d}", st.integers(1990, 2100), st.integers(1, 12)),
    st.builds(lambda y, q: f"{y}-Q{q}", st.integers(1990, 2100), st.integers(1, 4)),
    st.integers(1990, 2100).map(str),
)


@given(st.lists(codes, min_size=1, max_size=20))
def test_sql_macros_agree_with_python(ps):
    con = duckdb.connect()
    con.execute(SQL_MACROS)
    got = con.execute("SELECT p, period_kind(p), period_end_month(p), period_start(p), period_end(p) "
                      "FROM unnest(?) AS t(p)", [ps]).fetchall()
    for p, kind, end_month, start, end in got:
        want = Period.parse(p)
        assert (kind, end_month, start, end) == (want.kind, want.end_month, want.start, want.end)


def test_sql_macros_pass_null_and_live_in_the_file(tmp_path):
    """The staging views use the macros, and other connections (the pages, read-only) read
    those views: the macros must be stored in the version file, not in the build's session."""
    path = str(tmp_path / "v.duckdb")
    con = duckdb.connect(path)
    con.execute(SQL_MACROS)
    con.execute("CREATE VIEW v AS SELECT p, period_kind(p) AS k, period_end(p) AS e "
                "FROM (VALUES ('2024-Q3'), (NULL)) AS t(p)")
    con.close()
    con = duckdb.connect(path, read_only=True)
    got = con.execute("SELECT p, k, e FROM v ORDER BY p NULLS LAST").fetchall()
    con.close()
    assert got == [("2024-Q3", "quarter", dt.date(2024, 9, 30)), (None, None, None)]
