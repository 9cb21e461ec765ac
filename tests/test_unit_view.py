"""Tables of the 单位档案 page (ui/unit_view.py): the verified indicator value with the reported
one beside it, one magnitude rule, and both interval levels named where they meet."""
import pandas as pd

from ui import unit_view as uv


def _scores(check_id=None, reported=None):
    return pd.DataFrame({
        "indicator": ["power", "exports", "power"], "period": ["2025-11", "2025-12", "2025-12"],
        "value": [52_000.0, 240_100.0, 50_000.0], "indicator_unit": ["万千瓦时", "万元", "万千瓦时"],
        "target": [None, 250_000.0, 60_000.0], "completion": [None, 0.96, 0.83], "rank": [3, 2, 5],
        "n_comparable": [8, 8, 8], "score": [90.0, 95.0, 80.0], "band": ["黄", "绿", None],
        "value_source": ["填报", "填报", "现场核验" if check_id else "填报"],
        "check_id": [None, None, check_id], "reported_value": [None, None, reported]})


def test_a_checked_value_is_marked_and_the_report_stands_beside_it():
    table = uv.latest_scores_table(_scores("K002", 54_318.4), {"power": "全社会用电量", "exports": "货物出口额"})
    row = table.set_index("指标").loc["全社会用电量"]
    assert row["数值"] == "5.00 亿千瓦时(核验)" and row["填报"] == "5.43 亿千瓦时" and row["核验记录"] == "K002"
    other = table.set_index("指标").loc["货物出口额"]
    assert (other["数值"], other["填报"], other["核验记录"]) == ("24.01 亿元", "—", "—")
    assert row["来源"] == "现场核验" and row["期别"] == "2025年12月"


def test_without_a_check_the_table_has_no_reported_column_and_no_missing_words():
    table = uv.latest_scores_table(_scores(), {"power": "全社会用电量", "exports": "货物出口额"})
    assert "填报" not in table and "核验记录" not in table
    text = " ".join(table.astype(str).to_numpy().ravel())
    assert "None" not in text and "nan" not in text
    assert "5.00 亿千瓦时" in text and "万千瓦时" not in text  # 50,000 万 reads in 亿, like money


def test_the_cadre_table_names_both_interval_levels():
    cadres = pd.DataFrame({
        "cadre_id": ["C1"], "name": ["林泽"], "posts": ["书记"], "in_post": [True], "effect": [-0.4],
        "identified": [True], "ci_low": [-0.9], "ci_high": [0.1], "band": ["not_significant"],
        "quadrant": ["低效区"], "x_low": [-0.7], "x_high": [-0.1], "flags": [None],
        "grade": ["称职"], "grade_by_score": ["称职"], "excellent_rank": [None], "excellent_quota_n": [None]})
    groups = pd.DataFrame({"cadre_id": ["C1"], "group": ["主比较组"]})
    table = uv.cadre_table(cadres, groups, 0.8)
    assert "判定(95%)" in table and "象限判定区间(80%)" in table
    assert table["95% 区间"].iloc[0] == "[-0.90, 0.10]" and table["象限判定区间(80%)"].iloc[0] == "[-0.70, -0.10]"
    # a version without the quadrant evidence still renders, with a dash
    old = uv.cadre_table(cadres.drop(columns=["x_low", "x_high"]), groups, 0.8)
    assert old["象限判定区间(80%)"].iloc[0] == "—"


def test_the_map_tab_outlines_the_unit_on_the_demo_boundaries(demo_world, monkeypatch):
    """The demo ships units.geojson: T03's tab draws every town coloured by the town board, T03
    outlined in red; a department (no boundary) is told so and still sees the map."""
    import json

    from streamlit.testing.v1 import AppTest

    from tests.demo_world import ROOT

    monkeypatch.setenv("SHIJI_HOME", str(demo_world[1]))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.switch_page("pages/unit.py")
    at.query_params["unit"] = "T03"
    at.run()
    assert not at.exception
    assert next(s for s in at.selectbox if s.label == "着色指标").value.startswith("total:")
    fig = json.loads(at.get("plotly_chart")[-1].proto.spec)
    filled = [t for t in fig["data"] if t.get("fill") == "toself"]
    assert len(filled) >= 12 and sum("综合得分:" in t["text"] for t in filled) >= 12
    outline = [t for t in fig["data"] if t.get("mode") == "lines" and t.get("fill") is None]
    assert [t["line"]["color"] for t in outline] == ["#d62728"]
    at.query_params["unit"] = "D03"
    at.run()
    assert not at.exception
    assert any("本单位没有边界数据" in c.value for c in at.caption)
