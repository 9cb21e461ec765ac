"""Landing-page queries and their presentation on the hand-built home (tests/landing_world.py):
every number below is computed by hand from the rows written there."""
from __future__ import annotations

import pandas as pd
import pytest

from pipelines import db
from pipelines.state import add_mark
from tests.landing_world import VALUES, landing_home
from ui import landing as ld
from ui import landing_queries as lq
from ui.queries import Scope

ALL = Scope(role="analyst", units=None, identity="lq-all")
T01 = Scope(role="inspector", units=frozenset({"T01"}), identity="lq-t01")
NAMES = {"high_high": "高贡献区", "high_low": "逆势担当区", "low_high": "平台红利区", "low_low": "低效区",
         "unidentified": "不可判定"}


def _home(path, second: bool):
    with pytest.MonkeyPatch.context() as mp:
        home = landing_home(path, second=second)
        mp.setenv("SHIJI_HOME", str(home.root))
        yield home
    db.close_all()


@pytest.fixture(scope="module")
def one(tmp_path_factory):
    """Version 1 only (read-only tests share it)."""
    yield from _home(tmp_path_factory.mktemp("one"), second=False)


@pytest.fixture(scope="module")
def two(tmp_path_factory):
    yield from _home(tmp_path_factory.mktemp("two"), second=True)


@pytest.fixture()
def fresh(tmp_path):
    """A home of its own, for tests that mark flags or roll back."""
    yield from _home(tmp_path, second=True)


def test_headline_is_the_core_indicators_with_a_target_summed_once(one):
    board = lq.headline(ALL).set_index("indicator")
    assert list(board.index) == ["gpb_revenue", "ind_va_growth"]  # exports has no target, c_visits is not core
    gpb = board.loc["gpb_revenue"]
    assert gpb["period"] == "2025-06" and gpb["value"] == 21_500 and gpb["target"] == 30_000
    assert gpb["completion"] == pytest.approx(0.55) and gpb["elapsed"] == pytest.approx(0.5)
    assert gpb["gap"] == pytest.approx(5.0) and gpb["status"] == "快于时序"
    rate = board.loc["ind_va_growth"]
    assert rate["value"] == pytest.approx(6.5) and rate["gap"] == pytest.approx(0.5) and rate["status"] == "达到目标"
    table = ld.headline_table(lq.headline(ALL)).set_index("指标")
    assert table.loc["一般公共预算收入"].to_dict() == {
        "期间": "2025年6月", "口径": "合计", "实际": "2.15 亿元", "目标": "3.00 亿元", "完成率": "55.0%",
        "时序进度": "50%", "差距": "+5.0 个百分点", "状态": "快于时序"}
    assert table.loc["规上工业增加值增速", "差距"] == "+0.50 个百分点"
    assert table.loc["规上工业增加值增速", "时序进度"] == "不适用"
    assert "pp" not in table.to_string()


def test_an_inspector_sees_the_board_of_their_units(one):
    gpb = lq.headline(T01).set_index("indicator").loc["gpb_revenue"]
    assert gpb["value"] == 7_500 and gpb["target"] == 16_000 and gpb["aggregation"] == "城关镇"
    assert gpb["completion"] == pytest.approx(7_500 / 16_000) and gpb["status"] == "慢于时序"


def test_red_cards_of_the_latest_period_and_who_may_be_named(one):
    cards = lq.latest_cards(ALL)
    assert set(cards["period"]) == {"2025-06"} and len(cards) == 4
    red = cards[cards["card"] == "红"]
    assert sorted(red["task_id"]) == ["K1", "K2", "K4"]
    assert ld.top_units(red) == [("T01", "城关镇", 2), ("T02", "东湖镇", 1)]
    assert ld.top_cadres(red) == [("C02", "王芳", 2), ("C01", "张伟", 1)]
    assert ld.card_line(cards) == "红 3、橙 0、黄 0、绿 1"
    mine = lq.latest_cards(T01)
    assert sorted(mine["task_id"]) == ["K1", "K4"]
    # K4's leader sits in T02: the T01 inspector sees the card, not the person
    assert mine.set_index("task_id").loc["K4", ["cadre_id", "cadre_name"]].isna().all()
    assert ld.top_cadres(mine) == [("C01", "张伟", 1)]


def test_open_flags_follow_the_version_status(one):
    assert sorted(lq.open_flags(ALL, one)["flag_id"]) == ["F1", "F4", "F5"]  # F2 误报, F3 suppressed
    assert list(lq.open_flags(T01, one)["flag_id"]) == ["F1"]


def test_a_desk_mark_closes_a_flag(fresh):
    flag = lq.open_flags(ALL, fresh).set_index("flag_id").loc["F1"].to_dict()
    add_mark(fresh, {**flag, "flag_id": "F1"}, "已说明", marked_by="t")
    assert sorted(lq.open_flags(ALL, fresh)["flag_id"]) == ["F4", "F5", "F6"]


def test_quadrant_counts_of_the_latest_quarter(one):
    counts = ld.quadrant_counts(lq.quadrant_latest(ALL), NAMES)
    assert counts == {"period": "2025-Q2", "total": 4, "determined": 2, "uncertain": 1, "unidentified": 1,
                      "by_quadrant": {"高贡献区": 1, "逆势担当区": 0, "平台红利区": 0, "低效区": 1}}
    # C04 moved from T01 to T02: a T01 inspector counts only C01
    assert ld.quadrant_counts(lq.quadrant_latest(T01), NAMES)["total"] == 1


def test_no_previous_version_is_none(one):
    assert lq.previous_version(one) is None and lq.changes(ALL, one) is None


def test_changes_since_the_previous_version(two):
    diff = lq.changes(ALL, two)
    assert diff["version"] == "v000001" and diff["as_of"] == "2025-06" and diff["error"] is None
    assert list(diff["new_flags"]["flag_id"]) == ["F6"]
    cards = diff["cards"].set_index("task_id")
    assert cards["card_before"].to_dict() == {"K1": "红", "K3": "绿"}
    assert cards["card"].to_dict() == {"K1": "绿", "K3": "橙"}
    assert cards["worse"].to_dict() == {"K1": False, "K3": True}
    worse = ld.worse_cards(diff["cards"])
    assert worse.to_dict("records") == [{"任务": "老旧小区", "单位": "东湖镇", "上一版本": "绿(2025年6月)",
                                        "当前版本": "橙(2025年7月)"}]
    assert ld.card_change_line(diff["cards"]) == "2 项任务的最新亮牌变了颜色:1 项变差,1 项好转。"
    rows = ld.row_delta_table(diff["rows"])
    assert rows.to_dict("records") == [{"数据表": "任务进度", "上一版本": "3", "当前版本": "5", "变化": "+2"}]
    mine = lq.changes(T01, two)
    assert mine["new_flags"].empty and list(mine["cards"]["task_id"]) == ["K1"]


def test_after_a_rollback_the_previous_version_is_the_one_before(fresh):
    fresh.publish("v000001")
    assert lq.previous_version(fresh) is None and lq.changes(ALL, fresh) is None


def test_row_table_names_tables_in_chinese_and_says_what_is_missing():
    table = ld.row_table({"indicators": 0, "units": 82, "tasks": 0, "ratings": 38_259})
    assert table.to_dict("records") == [
        {"数据表": "指标定义", "行数": "未提供", "说明": ld.MISSING_MEANS["indicators"]},
        {"数据表": "单位", "行数": "82", "说明": ""},
        {"数据表": "任务", "行数": "未提供", "说明": ld.MISSING_MEANS["tasks"]},
        {"数据表": "评价", "行数": "38,259", "说明": ""}]
    assert "(indicators)" not in table.to_string()


def test_missing_parts_give_empty_frames_not_errors(tmp_path, monkeypatch):
    home = landing_home(tmp_path / "bare", second=False, parts=set())
    monkeypatch.setenv("SHIJI_HOME", str(home.root))
    bare = Scope(role="analyst", units=None, identity="lq-bare")
    assert lq.headline(bare).empty and lq.latest_cards(bare).empty
    assert lq.open_flags(bare, home).empty and lq.quadrant_latest(bare).empty
    db.close_all()


def test_the_headline_of_a_rate_shows_hundredths():
    board = pd.DataFrame([{"indicator": "rd", "indicator_name": "R&D经费投入强度", "unit": "%", "mode": "level",
                           "period": "2025", "aggregation": "科技局", "value": 2.91, "target": 2.95,
                           "completion": 2.91 / 2.95, "elapsed": float("nan"), "gap": -0.04, "status": "低于目标"}])
    row = ld.headline_table(board).iloc[0]
    assert (row["实际"], row["目标"], row["差距"], row["完成率"]) == ("2.91%", "2.95%", "-0.04 个百分点", "—")
    assert ld.headline_summary(board) == "有目标的核心指标 1 项:**0 项**达到目标或快于时序,**1 项**低于目标或慢于时序。"


def test_flags_of_the_as_of_year_else_the_latest_year_with_flags():
    flags = pd.DataFrame({"period_end": ["2025-06", "2025-03", "2024-11"], "severity": ["红", "红", "黄"]})
    year, mine, new = ld.flags_of_year(flags, "2025-06")
    assert (year, len(mine), new) == ("2025", 2, 1)
    year, mine, new = ld.flags_of_year(flags.iloc[2:], "2025-06")
    assert (year, len(mine), new) == ("2024", 1, 0)
    # a quarter (or year) ends in its last month; a flag without an end belongs to no year
    more = pd.DataFrame({"period_end": ["2025-Q2", "2025", None, "2025-Q1"], "severity": ["红", "黄", "黄", "红"]})
    year, mine, new = ld.flags_of_year(more, "2025-06")
    assert (year, len(mine), new) == ("2025", 3, 1)
    assert ld.flags_of_year(more, "2025-12")[2] == 1


def test_an_unreadable_previous_version_is_said_not_raised(fresh):
    db.close_all()
    fresh.version_path("v000001").write_bytes(b"not a database")
    diff = lq.changes(ALL, fresh)
    assert diff["version"] == "v000001" and diff["error"] and "rows" not in diff


HOMES = {"C01": "T01", "C02": "T02", "C03": "T03", "C04": "T02"}  # current (or last) post of each cadre


@pytest.mark.parametrize("units", [set(), {"T01"}, {"T02"}, {"T01", "T03"}, {"T01", "T02", "T03"}])
def test_every_landing_query_stays_inside_the_scope(two, units):
    scope = Scope(role="inspector", units=frozenset(units), identity=f"lq-{'-'.join(sorted(units))}")
    diff = lq.changes(scope, two)
    frames = {"cards": lq.latest_cards(scope), "flags": lq.open_flags(scope, two),
              "quadrants": lq.quadrant_latest(scope), "new_flags": diff["new_flags"], "changed": diff["cards"]}
    for name, frame in frames.items():
        for row in frame.to_dict("records"):
            if "unit_id" in row:
                assert row["unit_id"] in units, (name, row)
            if "cadre_id" in row and not pd.isna(row["cadre_id"]):
                assert HOMES[row["cadre_id"]] in units, (name, row)
    board = lq.headline(scope)
    expected = sum(v for u, i, p, v, _ in VALUES if i == "gpb_revenue" and p == "2025-06" and u in units)
    assert board[board["indicator"] == "gpb_revenue"]["value"].sum() == expected
