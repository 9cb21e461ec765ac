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
    assert list(fig.data[0].text) == ["25Q1", "", "", "25Q4"]


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
