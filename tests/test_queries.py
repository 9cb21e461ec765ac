"""The query layer filters to the caller's units inside DuckDB and keys caches by scope."""
import pytest

from pipelines import db
from ui import queries
from ui.queries import Scope


@pytest.fixture()
def version_file(tmp_path):
    path = tmp_path / "v000001.duckdb"
    con = db.connect_writer(path)
    con.execute("CREATE SCHEMA staging")
    con.execute("""CREATE TABLE staging.units AS SELECT * FROM (VALUES
        ('T01', '玉城街道', '街道', true), ('T02', '坎门街道', '街道', true), ('D01', '发改局', '部门', false))
        AS t(unit_id, name, unit_type, is_town_level)""")
    con.close()
    yield path
    db.close_reader(path)


def test_scope_filters_rows_in_the_query(version_file):
    everyone = queries.run(Scope(), "SELECT * FROM staging.units", version_file=version_file)
    assert len(everyone) == 3
    inspector = Scope(role="inspector", units=frozenset({"T02"}), identity="insp1")
    got = queries.run(inspector, "SELECT * FROM staging.units", version_file=version_file)
    assert got["unit_id"].tolist() == ["T02"]


@pytest.mark.parametrize("hostile", ["' OR 1=1 --", "T01'; DROP TABLE staging.units; --", "T01\u2019", "；DROP"])
def test_hostile_unit_values_match_nothing(version_file, hostile):
    inspector = Scope(role="inspector", units=frozenset({hostile}), identity="x")
    assert queries.run(inspector, "SELECT * FROM staging.units", version_file=version_file).empty
    assert len(queries.run(Scope(), "SELECT * FROM staging.units", version_file=version_file)) == 3


def test_scopes_never_share_a_cache_entry():
    a = Scope(role="inspector", units=frozenset({"T01"}), identity="a")
    b = Scope(role="inspector", units=frozenset({"T02"}), identity="b")
    assert a.key != b.key
    assert Scope(role="analyst", identity="a").key != Scope(role="inspector", units=frozenset(), identity="a").key


# --- the desk's charts read the 核验记录 figures beside the reported ones (issue 13) ----------

def test_task_progress_carries_the_check_figure_beside_the_reported_one(checked):
    from tests.checks_batch import TASK
    from ui import desk_queries

    rows = desk_queries.task_progress(Scope(), TASK["task_id"]).set_index("period")
    row = rows.loc[TASK["period"]]
    assert (row["reported_pct"], row["check_pct"], row["check_id"]) == (TASK["reported"], TASK["verified"], "K001")
    assert (row["check_result"], row["checked_by"], row["checked_at"]) == ("进度不实", "考察组", "2024-07-10")
    assert row["actual_pct"] == TASK["verified"]  # the card is assessed on the check figure
    others = rows.drop(index=TASK["period"])
    assert len(others) and others["check_id"].isna().all() and others["check_pct"].isna().all()
    # the task is U01's: another unit's inspector sees none of it, check included
    assert desk_queries.task_progress(Scope(role="inspector", units=frozenset({"U02"}), identity="i"),
                                      TASK["task_id"]).empty


def test_indicator_series_carries_the_check_value_and_the_month_it_implies(checked):
    from tests.checks_batch import SERIES
    from ui import desk_queries

    rows = desk_queries.indicator_series(Scope(), SERIES["unit_id"], SERIES["indicator"]).set_index("period")
    row = rows.loc[SERIES["period"]]
    assert (row["value"], row["check_value"], row["check_id"]) == (SERIES["reported"], SERIES["verified"], "K002")
    assert row["check_result"] == "成效不实"
    # cumulative: the month's value is the verified year-to-date figure less the previous month's
    assert row["period_value"] == pytest.approx(SERIES["reported"] - SERIES["previous"])
    assert row["check_period_value"] == pytest.approx(SERIES["verified"] - SERIES["previous"])
    others = rows.drop(index=SERIES["period"])
    assert others["check_id"].isna().all() and others["check_period_value"].isna().all()
    assert desk_queries.indicator_series(Scope(role="inspector", units=frozenset({"U02"}), identity="i"),
                                         SERIES["unit_id"], SERIES["indicator"]).empty
    # another unit's series of the same indicator has no check
    assert desk_queries.indicator_series(Scope(), "U02", SERIES["indicator"])["check_id"].isna().all()


def test_the_desk_charts_draw_the_check_from_the_queries(checked):
    from tests.checks_batch import SERIES, TASK
    from ui import desk_charts, desk_queries

    flag = {"subject": "老旧小区改造", "period_start": "2024-06", "period_end": "2024-06", "severity": "橙"}
    fig = desk_charts.task_figure(desk_queries.task_progress(Scope(), TASK["task_id"]), flag)
    check = [t for t in fig.data if t.name == "核验值(核验记录 K001)"]
    assert len(check) == 1 and list(check[0].y) == [TASK["verified"]] and list(check[0].x) == [TASK["period"]]
    series = desk_queries.indicator_series(Scope(), SERIES["unit_id"], SERIES["indicator"])
    fig = desk_charts.series_figure(series, {**flag, "subject": "货物出口额"}, "城关街道")
    check = [t for t in fig.data if t.name == "核验值(核验记录 K002)"]
    assert len(check) == 1 and list(check[0].y) == [pytest.approx(SERIES["verified"] - SERIES["previous"])]
