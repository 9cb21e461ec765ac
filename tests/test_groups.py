"""ui.groups: comparison groups named by their units, never by their number."""
import re

import pandas as pd

from ui import groups as grp

NUMBERED = re.compile(r"第\s*-?\d+\s*组|多组合成")


def group_rows(indicator, component_id, units, *, total=None, cadres=3, platform=True, indicator_units=None):
    """Rows of ui.profile_queries.comparison_groups for one group: (unit_id, name) pairs seen."""
    total = len(units) if total is None else total
    return [{"indicator": indicator, "component_id": component_id, "unit_id": uid, "unit_name": name,
             "platform": platform, "group_units": total, "group_cadres": cadres,
             "indicator_units": indicator_units if indicator_units is not None else total}
            for uid, name in units]


def test_main_group_says_how_many_units_and_whether_it_is_all_of_them():
    assert grp.name_group(True, ["城关镇"], 41, 111, False, indicator_units=82).label == "主比较组(41 个单位)"
    assert grp.name_group(True, ["城关镇"], 64, 111, False, indicator_units=64).label == "主比较组(全部 64 个单位)"


def test_small_group_is_named_by_its_units():
    assert grp.name_group(False, ["城关镇", "新城街道"], 2, 4, False).label == "比较组:城关镇、新城街道(2 个单位)"
    five = grp.name_group(False, ["甲镇", "乙镇", "丙镇", "丁镇", "戊镇"], 5, 6, False)
    assert five.label == "比较组:甲镇、乙镇等 5 个单位"
    assert "甲镇、乙镇、丙镇、丁镇、戊镇(共 5 个)" in five.help
    # a scoped reader sees one of three names: the count still covers the whole group
    assert grp.name_group(False, ["甲镇"], 3, 6, False).label == "比较组:甲镇等 3 个单位"


def test_group_without_platform_units_is_named_by_its_cadres_posts():
    g = grp.name_group(False, ["发改局", "妇联"], 2, 2, True, indicator_name="任务")
    assert g.label == "比较组:发改局、妇联的部分干部(2 人)"
    assert "任务" in g.help and "正副职" in g.help


def test_composite_groups_mixed_undetermined_and_anchor():
    groups = pd.DataFrame(
        group_rows("task", 0, [(f"U{i:02d}", f"单位{i}") for i in range(6)], cadres=6, indicator_units=8)
        + group_rows("gpb", 0, [("U00", "单位0"), ("U01", "单位1")], cadres=4)
        + group_rows("task", 2, [("U10", "城关镇"), ("U11", "新城街道")], indicator_units=8)
        + group_rows("gpb", 2, [("U12", "海山乡")]))
    composite = pd.DataFrame({"cadre_id": ["A", "B", "C", "D", "E", "F"],
                              "component_id": [0, 2, 2, -1, -1, pd.NA],
                              "identified": [True, True, True, True, False, pd.NA]})
    memberships = pd.DataFrame([
        ("A", "task", 0, True), ("A", "gpb", 0, True),      # anchor: the group linking most units
        ("B", "task", 2, True),
        ("C", "gpb", 2, True), ("C", "task", 5, False),     # group 2 of another indicator: unrelated to B's
        ("D", "task", 0, True), ("D", "gpb", 2, True),
    ], columns=["cadre_id", "indicator", "component_id", "identified"])
    out = grp.composite_groups(composite, memberships, groups, {"gpb": "一般公共预算收入"}).set_index("cadre_id")
    assert out.loc["A", "group"] == "主比较组(6 个单位)" and out.loc["A", "anchor"] == "task"
    assert out.loc["B", "group"] == "比较组:城关镇、新城街道(2 个单位)"
    assert out.loc["C", "group"] == "比较组:海山乡(1 个单位)" and "一般公共预算收入" in out.loc["C", "help"]
    # the same number, different groups: never one axis
    assert out.loc["B", "group"] != out.loc["C", "group"]
    assert out.loc["D", "group"] == grp.MIXED and not out.loc["D", "comparable"]
    assert out.loc["E", "group"] == grp.NO_GROUP and out.loc["F", "group"] == grp.NO_GROUP
    assert out.loc[["A", "B", "C"], "comparable"].all()
    assert not any(NUMBERED.search(s) for s in out["group"].tolist() + out["help"].tolist())


def test_composite_groups_of_nobody_and_without_units():
    empty = pd.DataFrame(columns=["cadre_id", "component_id", "identified"])
    assert grp.composite_groups(empty, None, pd.DataFrame()).empty
    one = pd.DataFrame({"cadre_id": ["A"], "component_id": [3], "identified": [True]})
    member = pd.DataFrame({"cadre_id": ["A"], "indicator": ["task"], "component_id": [3], "identified": [True]})
    out = grp.composite_groups(one, member, pd.DataFrame())
    assert out["comparable"].iloc[0] and not NUMBERED.search(out["group"].iloc[0])
    assert "3" not in out["group"].iloc[0]


def test_group_zero_tied_with_another_is_not_called_main():
    groups = pd.DataFrame(group_rows("task", 0, [("U1", "甲镇"), ("U2", "乙镇")], cadres=2, indicator_units=4)
                          + group_rows("task", 1, [("U3", "丙镇"), ("U4", "丁镇")], cadres=2, indicator_units=4)
                          + group_rows("gpb", 0, [("U1", "甲镇")], cadres=3)
                          + group_rows("gpb", 1, [("U3", "丙镇")], cadres=2))
    named = grp.indicator_groups(groups)
    assert named[("task", 0)].label == "比较组:甲镇、乙镇(2 个单位)"
    assert named[("task", 1)].label == "比较组:丙镇、丁镇(2 个单位)"
    assert named[("gpb", 0)].label == "主比较组(1 个单位)"
