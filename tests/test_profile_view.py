"""Shared presentation of the unit and cadre pages (ui/profile_view.py): verified and reported
progress side by side, Chinese units, one magnitude rule, Chinese period ticks."""
import pandas as pd
import plotly.graph_objects as go

from ui import profile_view as pv

ENGLISH = ("pp", "SD", "None", "nan", "NaN", "Jan", "Feb", "Mar", "Apr", "Jun", "Dec")


def _tasks(**extra):
    base = {"title": ["老旧小区改造", "河道整治"], "year": [2024, 2024], "category": ["项目攻坚", "民生实事"],
            "last_period": ["2024-06", "2024-06"], "planned_pct": [50.0, 60.0], "actual_pct": [30.0, 58.0],
            "gap_pp": [-20.0, -2.0], "status": ["滞后", "正常"], "card": ["橙", "绿"],
            "n_yellow": [1, 0], "n_orange": [1, 0], "n_red": [0, 0],
            "card_rule": ["差距-20.0pp≤-15pp→橙", "差距-2.0pp在容差内→绿"]}
    return pd.DataFrame({**base, **extra})


def test_a_checked_task_shows_the_verified_figure_marked_and_the_report_beside_it():
    table = pv.task_table(_tasks(reported_pct=[45.0, 58.0], check_id=["K001", None]), {"角色": ["责任人", "配合"]})
    assert table["实际"].tolist() == ["30%(核验)", "58%"]
    assert table["填报"].tolist() == ["45%", "—"] and table["核验记录"].tolist() == ["K001", "—"]
    assert table["差距"].tolist() == ["-20.0 个百分点", "-2.0 个百分点"]
    assert table["依据"].iloc[0] == "差距-20.0个百分点≤-15个百分点→橙"
    text = " ".join(table.astype(str).to_numpy().ravel())
    assert not any(w in text for w in ENGLISH)


def test_without_any_check_there_is_no_reported_column():
    table = pv.task_table(_tasks(reported_pct=[30.0, 58.0], check_id=[None, None]), {})
    assert "填报" not in table and "核验记录" not in table and table["实际"].tolist() == ["30%", "58%"]
    # a version built before checks has neither column
    assert "填报" not in pv.task_table(_tasks(), {})


def test_one_magnitude_rule_for_money_and_every_other_unit():
    assert pv.measure(240_100, "万元") == "24.01 亿元"
    assert pv.measure(358_463, "万千瓦时") == "35.85 亿千瓦时"  # not "358,463.0 万千瓦时" beside 亿元
    assert pv.measure(9_999, "万千瓦时") == "9,999.0 万千瓦时"
    assert pv.measure(123_456_789, "元") == "1.23 亿元" and pv.measure(12_345, "吨") == "1.23 万吨"
    assert pv.measure(0.69, "SD", 2) == "0.69 标准差" and pv.measure(2.5, "pp", 1, signed=True) == "+2.5 个百分点"
    assert pv.measure(12.3, "%") == "12.3%" and pv.measure(float("nan"), "万元") == "—"
    assert pv.measure(None, "吨") == "—"


def test_chart_rows_are_unique_titles_never_ids():
    rows = pv.row_labels(pd.Series(["2024-T01", "2024-T02", "2024-T03"]),
                         pd.Series(["道路改造", "道路改造", None]), {"2024-T02"})
    assert rows == {"2024-T01": "道路改造", "2024-T02": "道路改造·核验", "2024-T03": "未命名任务"}
    same = pv.row_labels(pd.Series(["a", "b"]), pd.Series(["道路改造", "道路改造"]), set())
    assert same == {"a": "道路改造", "b": "道路改造(2)"}


def test_period_ticks_read_in_chinese():
    fig = go.Figure(go.Heatmap(z=[[1, 2, 3]], x=["2024-10", "2024-02", "2024-Q1"], y=["a"]))
    fig.update_xaxes(type="category")
    pv.chinese_dates(fig)
    axis = fig.layout.xaxis
    assert list(axis.tickvals) == ["2024-02", "2024-10", "2024-Q1"]
    assert list(axis.ticktext) == ["2024年2月", "2024年10月", "2024年一季度"]
    dates = go.Figure(go.Bar(x=[1.0], y=["a"], base=["2024-01-01"], orientation="h"))
    dates.update_xaxes(type="date", tickformat="%Y年")
    pv.chinese_dates(dates)
    assert "年" in dates.layout.xaxis.hoverformat and dates.layout.xaxis.ticktext is None
