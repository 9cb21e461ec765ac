"""Figure builders of the analyst pages (ui/charts.py) on small synthetic frames."""
import numpy as np
import pandas as pd
import pytest

from models.config import load_reference
from ui import charts


@pytest.fixture()
def qcfg():
    return load_reference("quadrants")


def _points(qcfg):
    n = qcfg["names"]
    rows = [
        # cadre, x, y, quadrant, ci_low, ci_high, ci_applies
        ("C1", 0.8, 0.9, n["high_high"], 0.2, 1.4, True),     # interval clear of the cut: filled
        ("C2", 0.3, 0.2, n["high_low"], -0.4, 1.0, True),     # interval crosses the cut: hollow
        ("C3", -0.5, 0.7, n["low_high"], np.nan, np.nan, False),
        ("C4", -0.9, 0.1, n["low_low"], -1.5, -0.3, True),
        ("C5", np.nan, 0.6, n["unidentified"], np.nan, np.nan, False),
    ]
    frame = pd.DataFrame(rows, columns=["cadre_id", "x", "y", "quadrant", "ci_low", "ci_high", "ci_applies"])
    frame["name"] = ["甲", "乙", "丙", "丁", "戊"]
    frame["unit_name"] = "玉城街道"
    frame["post"] = "书记"
    return frame


def test_scatter_carries_cadre_ids_and_puts_unidentified_apart(qcfg):
    fig = charts.quadrant_scatter(_points(qcfg), qcfg)
    by_name = {t.name: t for t in fig.data}
    ids = {c[0] for t in fig.data for c in t.customdata}
    assert ids == {"C1", "C2", "C3", "C4", "C5"}
    apart = by_name[f"{qcfg['names']['unidentified']}(另列)"]
    assert apart.xaxis == "x2" and [c[0] for c in apart.customdata] == ["C5"]
    for code in ("high_high", "high_low", "low_high", "low_low"):
        assert by_name[qcfg["names"][code]].xaxis == "x"
    # quadrant names are written on the plane
    texts = " ".join(a.text for a in fig.layout.annotations)
    for code in ("high_high", "high_low", "low_high", "low_low"):
        assert qcfg["names"][code] in texts


def _evidence_points(qcfg):
    """The mart's own columns: x_status, the quadrant's interval x_low/x_high, p_side."""
    frame = _points(qcfg)
    frame["x_status"] = ["determined", "uncertain", "determined", "determined", "unidentified"]
    frame.loc[1, "quadrant"] = qcfg["names"]["unidentified"]  # uncertain x: in no quadrant
    frame["x_low"] = [0.3, -0.4, -0.8, -1.5, np.nan]
    frame["x_high"] = [1.3, 1.0, -0.2, -0.3, np.nan]
    frame["p_side"] = [0.99, 0.7, 0.95, 0.99, np.nan]
    return frame


def test_uncertain_cadres_are_drawn_by_y_only_in_the_strip_at_the_cut(qcfg):
    fig = charts.quadrant_scatter(_evidence_points(qcfg), qcfg)
    by_name = {t.name: t for t in fig.data}
    strip = by_name[f"{charts.UNCERTAIN_LABEL}(不归入象限)"]
    assert [c[0] for c in strip.customdata] == ["C2"] and list(strip.y) == [0.2]
    cut = float(qcfg["x_cut"])
    band = [s for s in fig.layout.shapes if s.type == "rect" and s.xref == "x" and s.x0 < cut < s.x1]
    assert len(band) == 1 and band[0].x0 <= strip.x[0] <= band[0].x1
    assert charts.UNCERTAIN_LABEL in " ".join(a.text for a in fig.layout.annotations)
    assert qcfg["names"]["high_low"] not in by_name  # not in a quadrant although x = +0.3
    # the quadrant's own interval is drawn, not the current 95 % one
    err = by_name[qcfg["names"]["low_low"]].error_x
    assert err.array[0] == pytest.approx(0.6) and err.arrayminus[0] == pytest.approx(0.6)
    assert by_name[qcfg["names"]["low_high"]].error_x.array[0] == pytest.approx(0.3)
    assert "判定区间" in strip.hovertext[0] and "概率 70%" in strip.hovertext[0]
    off = charts.quadrant_scatter(_evidence_points(qcfg), qcfg, show_intervals=False)
    assert all(t.error_x.array is None for t in off.data)
    counts = charts.quadrant_counts(_evidence_points(qcfg).assign(period="2025-Q4"), qcfg)
    assert {t.name for t in counts.data} >= {charts.UNCERTAIN_LABEL, qcfg["names"]["unidentified"]}


def test_trajectory_leaves_uncertain_quarters_off_the_path(qcfg):
    pts = _evidence_points(qcfg).assign(period=["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2024-Q4"])
    fig = charts.trajectory(pts, qcfg)
    assert len(fig.data[0].x) == 3


def test_selected_cadre_is_ringed(qcfg):
    fig = charts.quadrant_scatter(_points(qcfg), qcfg, selected="C5")
    ring = [t for t in fig.data if t.name == "当前选中"]
    assert len(ring) == 1 and ring[0].xaxis == "x2" and ring[0].customdata[0][0] == "C5"


def test_jitter_is_deterministic():
    assert charts._jitter("C0001") == charts._jitter("C0001")
    assert -1 <= charts._jitter("C0002") <= 1


def test_trajectory_labels_first_and_last_quarter(qcfg):
    pts = _points(qcfg).iloc[:4].assign(period=["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"])
    fig = charts.trajectory(pts, qcfg)
    assert list(fig.data[0].text) == ["2025年一季度", "", "", "2025年四季度"]


def test_period_axes_read_chinese_never_english_months():
    """Months and quarters on a category axis are labelled 2025年3月 / 2025年一季度 from one label
    function; the categories stay the period codes (hover and shading use them)."""
    fig = charts.score_lines(pd.DataFrame({"label": ["甲"] * 3, "period": ["2025-01", "2025-02", "2025-03"],
                                           "score": [90.0, 95.0, 99.0]}))
    assert list(fig.layout.xaxis.ticktext) == ["2025年1月", "2025年2月", "2025年3月"]
    assert list(fig.layout.xaxis.tickvals) == ["2025-01", "2025-02", "2025-03"]
    heat = charts.category_heatmap(pd.DataFrame({"row": ["a", "a"], "period": ["2025-Q1", "2025-Q2"],
                                                 "card": ["红", "绿"]}), "row", "period", "card", charts.CARD_COLORS)
    assert list(heat.layout.xaxis.ticktext) == ["2025年一季度", "2025年二季度"]
    months = [f"{y}-{m:02d}" for y in (2023, 2024, 2025) for m in range(1, 13)]
    long = charts.score_lines(pd.DataFrame({"label": ["甲"] * 36, "period": months, "score": [1.0] * 36}))
    assert len(long.layout.xaxis.tickvals) <= 8 and long.layout.xaxis.ticktext[-1] == "2025年12月"
    plain = charts.score_lines(pd.DataFrame({"label": ["甲"], "period": ["第一批"], "score": [1.0]}))
    assert plain.layout.xaxis.ticktext is None   # not periods: left alone


def test_one_palette_for_cards_everywhere():
    from ui import desk_charts, palette
    from ui import format as fmt

    assert charts.CARD_COLORS == palette.CARD and fmt.CARD_BACKGROUNDS == palette.CARD_TINT
    assert desk_charts.CHECK_COLOUR == palette.CARD["红"]
    assert charts.QUADRANT_COLORS == palette.QUADRANT and set(palette.CARD_TINT) == set(palette.CARD)


def test_interval_chart_scales_rows_and_marks_unidentified():
    rows = pd.DataFrame({
        "label": ["综合贡献", "货物出口额", "任务·改革突破"],
        "effect": [0.5, 100.0, np.nan], "ci_low": [-0.5, 50.0, np.nan], "ci_high": [1.0, 200.0, np.nan],
        "band": ["中", "高", "不可判定"], "identified": [True, True, False], "text": ["a", "b", "c"],
    })
    fig = charts.interval_chart(rows)
    xs = [x for t in fig.data for x in t.x]
    assert max(abs(x) for x in xs) <= 1.0 + 1e-9
    assert any(t.name == "不可判定" for t in fig.data)


def test_other_builders_return_figures():
    ts = pd.DataFrame({"title": ["任务一", "任务一", "任务二"], "period": ["2025-01", "2025-02", "2025-01"],
                       "card": ["绿", "红", "黄"], "hover": ["x", "y", "z"]})
    assert len(charts.category_heatmap(ts, "title", "period", "card", charts.CARD_COLORS, hover="hover").data) == 1
    scores = pd.DataFrame({"year": [2024, 2025], "performance_score": [80.0, 90.0], "rating_score": [70.0, np.nan],
                           "total": [78.0, 88.0], "grade": ["称职", "称职"]})
    assert len(charts.score_bars(scores).data) == 3
    posts = pd.DataFrame({"start": ["2020-01-01", "2023-01-01"], "end": ["2022-12-31", None],
                          "label": ["甲镇 · 书记", "乙镇 · 书记"], "color_key": ["镇", "镇"], "hover": ["a", "b"]})
    assert len(charts.assignment_timeline(posts, pd.Timestamp("2025-12-31")).data) == 1


def test_names_are_escaped_in_plotly_text(qcfg):
    pts = _points(qcfg)
    pts.loc[0, "name"] = "<a href='javascript:alert(1)'>甲</a>"
    fig = charts.quadrant_scatter(pts, qcfg)
    hover = " ".join(h for t in fig.data if t.hovertext for h in t.hovertext)
    assert "<a href" not in hover and "&lt;a href" in hover


# --- the desk's charts: a 核验记录 figure beside the reported one (issue 13) -------------------

def _progress(check: bool = True) -> pd.DataFrame:
    frame = pd.DataFrame({"task_id": "T01", "unit_id": "U01", "period": ["2024-03", "2024-06"],
                          "planned_pct": [25.0, 50.0], "reported_pct": [20.0, 45.0], "actual_pct": [20.0, 30.0],
                          "verified_pct": [20.0, np.nan]})
    if check:
        frame = frame.assign(check_id=[None, "K001"], check_pct=[np.nan, 30.0], check_result=[None, "进度不实"],
                             check_note=[None, "<b>现场</b>只完成三成"], checked_by=[None, "考察组"],
                             checked_at=[None, "2024-07-10"])
    return frame


FLAG = {"subject": "老旧小区改造", "period_start": "2024-06", "period_end": "2024-06", "severity": "橙"}


def _hover(trace) -> str:
    return " ".join(map(str, trace.customdata if trace.customdata is not None else []))


def test_task_chart_draws_the_check_beside_the_reported_progress():
    from ui import desk_charts

    fig = desk_charts.task_figure(_progress(), FLAG)
    check = {t.name: t for t in fig.data}["核验值(核验记录 K001)"]
    assert (list(check.x), list(check.y), check.mode) == (["2024-06"], [30.0], "markers")
    assert check.marker.symbol == "diamond"
    assert all(t.marker.symbol != "diamond" for t in fig.data if t is not check)
    hover = _hover(check)
    for words in ("核验记录 K001", "进度不实", "2024-07-10", "考察组", "核验 30%", "填报 45%", "-15.0 个百分点"):
        assert words in hover
    assert "&lt;b&gt;现场&lt;/b&gt;" in hover and "<b>现场" not in hover  # data text is escaped for plotly
    reported = {t.name: t for t in fig.data}["填报进度"]
    assert list(reported.customdata) == ["填报 20%", "填报 45%(核验记录 K001 核验为 30%,以核验为准)"]
    # the dotted line from the reported 45 % down to the verified 30 %
    assert [(s.x0, s.y0, s.y1, s.line.dash) for s in fig.layout.shapes if s.type == "line"] == [("2024-06", 45.0, 30.0, "dot")]
    # periods stay as written (a date axis would say "Jun 1, 2024"); the one flagged period is shaded whole
    assert fig.layout.xaxis.type == "category"
    assert [(s.x0, s.x1) for s in fig.layout.shapes if s.type == "rect"] == [(0.5, 1.5)]
    text = " ".join(_hover(t) for t in fig.data)
    assert "nan" not in text and "None" not in text


def test_task_chart_without_checks_draws_what_was_reported():
    from ui import desk_charts

    for frame in (_progress(check=False), _progress().assign(check_id=None, check_pct=np.nan)):
        fig = desk_charts.task_figure(frame, FLAG)
        assert [t.name for t in fig.data] == ["计划进度", "填报进度", "核实进度(随报送)"]
        assert not [s for s in fig.layout.shapes if s.type == "line"]


def test_series_chart_draws_the_month_a_cumulative_check_implies():
    from ui import desk_charts

    series = pd.DataFrame({
        "unit_id": "U01", "period": ["2023-05", "2023-06"], "value": [1164.0, 1205.0], "period_value": [41.0, 41.0],
        "peer_period_median": [40.0, 42.0], "measure_unit": "万元", "cumulative": True,
        "check_id": [None, "K002"], "check_value": [np.nan, 1180.0], "check_period_value": [np.nan, 16.0],
        "check_result": [None, "成效不实"], "check_note": [None, None], "checked_by": [None, None],
        "checked_at": [None, "2024-07-11"]})
    fig = desk_charts.series_figure(series, {**FLAG, "subject": "货物出口额", "period_start": "2023-06"}, "城关街道")
    check = {t.name: t for t in fig.data}["核验值(核验记录 K002)"]
    assert (list(check.x), list(check.y)) == (["2023-06"], [16.0])
    hover = _hover(check)
    assert "当期:核验 16 万元,填报 41 万元" in hover and "累计:核验 1,180 万元,填报 1,205 万元" in hover
    assert "None" not in hover and "nan" not in hover and "说明" not in hover
    assert _hover({t.name: t for t in fig.data}["货物出口额(填报当期值)"]).endswith("(核验记录 K002 核验为 16 万元)")


def test_marks_follow_the_code_and_read_with_the_names_in_use(qcfg):
    """Points carry quadrant_code (the mart's); a name column left from another wording changes
    nothing: each trace is the code's cadres, named by the config passed, on the code's colour."""
    from ui import palette

    frame = _evidence_points(qcfg)
    frame["quadrant_code"] = ["high_high", "unidentified", "low_high", "low_low", "unidentified"]
    frame["quadrant"] = "旧名称"
    renamed = {**qcfg, "names": {code: f"{name}·新" for code, name in qcfg["names"].items()}}
    traces = {t.name: t for t in charts.quadrant_scatter(frame, renamed).data}
    for cadre, code in (("C1", "high_high"), ("C3", "low_high"), ("C4", "low_low")):
        trace = traces[renamed["names"][code]]
        assert [c[0] for c in trace.customdata] == [cadre] and trace.marker.color == palette.QUADRANT[code]
    assert charts.where_label(frame, renamed["names"]).tolist() == [
        renamed["names"]["high_high"], charts.UNCERTAIN_LABEL, renamed["names"]["low_high"],
        renamed["names"]["low_low"], renamed["names"]["unidentified"]]
    colours = charts.trajectory(frame.assign(period=["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1"]),
                                renamed).data[0].marker.color
    assert list(colours) == [palette.QUADRANT[c] for c in ("high_high", "low_high", "low_low")]
