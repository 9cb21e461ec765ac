"""Plotly figure builders of the analyst pages. Pure functions: frames in, figures out (no
Streamlit, no SQL), so tests can build every figure without a server.

Fonts: the app runs offline, so figures name the CJK fonts installed with the system
(Noto Sans CJK SC) before the generic family.
"""
from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from models import labels
from models.labels import UNCERTAIN_NAME
from ui import format as fmt
from ui import palette

FONT = dict(family="'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'Microsoft YaHei', sans-serif",
            size=13)

QUADRANT_COLORS = palette.QUADRANT
UNCERTAIN_LABEL = UNCERTAIN_NAME  # x_status "uncertain": in no quadrant, drawn in the strip at the cut
# the quadrant's colour, faint, behind its area
QUADRANT_FILLS = {code: f"rgba({int(c[1:3], 16)},{int(c[3:5], 16)},{int(c[5:7], 16)},0.07)"
                  for code, c in palette.QUADRANT.items() if code.startswith(("high", "low"))}
CARD_COLORS = palette.CARD
BAND_COLORS = palette.BAND

X_TITLE = "个人贡献 x(综合,剔除平台与周期;0 = 比较组平均)"
Y_TITLE = "实绩分百分位 y(含平台)"


def period_ticks(fig: go.Figure, axis: str = "x", max_labels: int = 8) -> go.Figure:
    """Label a category axis of periods ("2025-03", "2025-Q1") in Chinese ("2025年3月",
    "2025年一季度") through :func:`ui.format.period_label`, keeping the period codes as the
    categories (hover, click and shading still see the codes). Dates are never plotly dates here:
    plotly would write "Jan 2023". At most ``max_labels`` ticks, evenly spaced and ending on the
    latest period, so three years of months stay legible on a laptop."""
    seen: list = []
    for trace in fig.data:
        values = getattr(trace, axis, None)
        if values is not None and (getattr(trace, f"{axis}axis", axis) or axis) == axis:
            seen += [v for v in values if v is not None]
    codes = sorted(dict.fromkeys(str(v) for v in seen))
    if codes and all(fmt.period_label(c) != c for c in codes):
        step = -(-len(codes) // max_labels)
        shown = codes[::-1][::step][::-1]
        fig.update_layout({f"{axis}axis": dict(tickmode="array", tickvals=shown,
                                                 ticktext=[fmt.period_label(c) for c in shown])})
    return fig


def _layout(fig: go.Figure, height: int, **kw) -> go.Figure:
    settings = dict(font=FONT, height=height, margin=dict(l=10, r=10, t=40, b=10),
                    plot_bgcolor="white", paper_bgcolor="white", hoverlabel=dict(font=FONT))
    settings.update(kw)
    fig.update_layout(**settings)
    return fig


def _jitter(key: str) -> float:
    """A deterministic offset in [-1, 1] per cadre (stable across reruns and tests)."""
    h = int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:8], 16)
    return (h / 0xFFFFFFFF) * 2 - 1


def quadrant_code(name: str, names: dict) -> str:
    """'高贡献区' → 'high_high' using quadrants.yaml names (a code passes); unknown → 'unidentified'."""
    return labels.quadrant_code(name, names)


def codes_of(points: pd.DataFrame, names: dict) -> pd.Series:
    """The quadrant code of every row: ``quadrant_code`` where the frame has it (marts store
    codes), else the code of its ``quadrant`` name."""
    if "quadrant_code" in points:
        return points["quadrant_code"].fillna(labels.UNPLACED).astype(str)
    return points["quadrant"].map(lambda q: quadrant_code(q, names)).astype(object)


def _hover(points: pd.DataFrame, x_cut: float = 0.0) -> list[str]:
    cols = {c: points[c].tolist() for c in ("cadre_id", "name", "unit_name", "post", "quadrant", "x", "y")}
    lows, highs = _interval_columns(points)
    status = points["x_status"].tolist() if "x_status" in points else [None] * len(points)
    p_side = points["p_side"].tolist() if "p_side" in points else [None] * len(points)
    out = []
    for i in range(len(points)):
        where = UNCERTAIN_LABEL if status[i] == "uncertain" else cols["quadrant"][i]
        lines = [f"<b>{fmt.plain(cols['name'][i])}</b>({fmt.plain(cols['cadre_id'][i])})",
                 f"{fmt.plain(cols['unit_name'][i])} · {fmt.plain(cols['post'][i])}",
                 f"象限:{fmt.plain(where)}"]
        if not fmt.is_missing(cols["x"][i]):
            lines.append(f"个人贡献 x = {fmt.number(cols['x'][i], 2, signed=True)}")
            if not fmt.is_missing(lows[i]):
                lines.append(f"{INTERVAL_NAME} {fmt.interval(lows[i], highs[i], None, 2)}")
            if not fmt.is_missing(p_side[i]):
                lines.append(f"在分界线{'以上' if cols['x'][i] > x_cut else '以下'}的概率 {fmt.pct(p_side[i], 0)}")
        lines.append(f"实绩分百分位 y = {fmt.pct(cols['y'][i], 0)}")
        out.append("<br>".join(lines))
    return out


INTERVAL_NAME = "判定区间"  # the quadrant's own interval (x_low, x_high): off the cut exactly when placed


def _interval_columns(points: pd.DataFrame) -> tuple[list, list]:
    """The interval drawn with x: the quadrant's own (x_low, x_high) where the mart has it, else
    the current 95 % interval where it applies (older data versions)."""
    if "x_low" in points:
        return points["x_low"].tolist(), points["x_high"].tolist()
    applies = points["ci_applies"].astype(bool) if "ci_applies" in points else pd.Series(False, index=points.index)
    return points["ci_low"].where(applies).tolist(), points["ci_high"].where(applies).tolist()


def where_label(points: pd.DataFrame, names: dict) -> pd.Series:
    """Where a cadre stands in a quarter: its quadrant, 贡献不确定, or 不可判定 (by the code, in
    the words of ``names``)."""
    named = labels.quadrant_label(codes_of(points, names), names)
    if "x_status" not in points:
        return named
    return named.where(points["x_status"] != "uncertain", UNCERTAIN_LABEL)


def _x_range(values: pd.Series, x_cut: float) -> list[float]:
    v = values.dropna()
    span = max(float((v - x_cut).abs().max()) if len(v) else 1.0, 0.5) * 1.12
    return [x_cut - span, x_cut + span]


def _quadrant_background(names: dict, x_cut: float, y_cut: float, xr: list[float], xref: str = "x",
                         yref: str = "y", label_size: int = 15) -> tuple[list[dict], list[dict]]:
    """Shapes (shaded quadrants, cut lines) and annotations (quadrant names) of one x/y plane."""
    corners = {"high_high": (x_cut, xr[1], y_cut, 1.0), "high_low": (x_cut, xr[1], 0.0, y_cut),
               "low_high": (xr[0], x_cut, y_cut, 1.0), "low_low": (xr[0], x_cut, 0.0, y_cut)}
    shapes, notes = [], []
    for code, (x0, x1, y0, y1) in corners.items():
        shapes.append(dict(type="rect", xref=xref, yref=yref, x0=x0, x1=x1, y0=y0, y1=y1,
                           fillcolor=QUADRANT_FILLS[code], line_width=0, layer="below"))
        right, top = x1 > x_cut, y1 > y_cut
        notes.append(dict(xref=xref, yref=yref, x=x1 if right else x0, y=y1 if top else y0,
                          text=f"<b>{names[code]}</b>", showarrow=False, xanchor="right" if right else "left",
                          yanchor="top" if top else "bottom", font=dict(color=QUADRANT_COLORS[code], size=label_size)))
    line = dict(color="#555", width=1, dash="dash")
    shapes.append(dict(type="line", xref=xref, yref=f"{yref} domain", x0=x_cut, x1=x_cut, y0=0, y1=1, line=line))
    shapes.append(dict(type="line", xref=f"{xref} domain", yref=yref, x0=0, x1=1, y0=y_cut, y1=y_cut, line=line))
    return shapes, notes


def _errors(part: pd.DataFrame, color: str, width: int = 0) -> dict:
    lo, hi = (pd.Series(v, index=part.index, dtype=float) for v in _interval_columns(part))
    return dict(type="data", symmetric=False, color=color, thickness=1.2, width=width,
                array=(hi - part["x"]).tolist(), arrayminus=(part["x"] - lo).tolist())


def _placed(points: pd.DataFrame, names: dict) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(placed in a quadrant, x uncertain, x unidentified); data versions without x_status
    count every 不可判定 as unidentified."""
    status = points["x_status"] if "x_status" in points else pd.Series(
        np.where(points["quadrant"] == names["unidentified"], "unidentified", "determined"), index=points.index)
    return points[status == "determined"], points[status == "uncertain"], points[status == "unidentified"]


def quadrant_scatter(points: pd.DataFrame, config: dict, selected: str | None = None,
                     show_intervals: bool = True, height: int = 560) -> go.Figure:
    """The 实绩象限 of one quarter: the four named quadrants on the left, 不可判定 apart on the
    right (they have no x). Cadres whose x is 不确定 (x_status "uncertain": their interval
    crosses the cut) are in no quadrant: they are drawn by y only, in a grey strip over the cut
    marked 贡献不确定, spread sideways by a fixed jitter that means nothing.
    customdata[0] of every point is the cadre_id.

    ``points`` columns: cadre_id, name, unit_name, post, x, y, quadrant, x_status, x_low, x_high,
    p_side (older versions: ci_low, ci_high, ci_applies). Built in one constructor call."""
    names = config["names"]
    x_cut, y_cut = float(config["x_cut"]), float(config["y_cut"])
    placed, unsure, apart = _placed(points, names)
    extent = placed["x"]
    if show_intervals and len(placed):
        lo, hi = _interval_columns(placed)
        extent = pd.concat([extent, pd.Series(lo, dtype=float), pd.Series(hi, dtype=float)])
    xr = _x_range(extent, x_cut)
    half = 0.06 * (xr[1] - xr[0])  # the strip of the uncertain: wide enough to tell points apart
    shapes, notes = _quadrant_background(names, x_cut, y_cut, xr)
    if len(unsure):
        shapes.append(dict(type="rect", xref="x", yref="y domain", x0=x_cut - half, x1=x_cut + half, y0=0, y1=1,
                           fillcolor="#eceff1", line=dict(width=1, color="#b0bec5"), layer="below"))
        notes.append(dict(xref="x", yref="y domain", x=x_cut, y=1.0, yanchor="bottom", showarrow=False,
                          text=f"<b>{UNCERTAIN_LABEL}</b>", font=dict(color=QUADRANT_COLORS["uncertain"], size=13)))
    shapes.append(dict(type="rect", xref="x2 domain", yref="y domain", x0=0, x1=1, y0=0, y1=1,
                       fillcolor="rgba(0,0,0,0.03)", line=dict(width=1, color="#ddd"), layer="below"))
    shapes.append(dict(type="line", xref="x2 domain", yref="y", x0=0, x1=1, y0=y_cut, y1=y_cut,
                       line=dict(color="#555", width=1, dash="dash")))

    data = []
    codes = codes_of(placed, names)
    for code in labels.QUADRANT_CODES:
        part = placed[codes == code]
        if part.empty:
            continue
        color = QUADRANT_COLORS[code]
        trace = dict(type="scatter", x=part["x"].tolist(), y=part["y"].tolist(), mode="markers", name=names[code],
                     xaxis="x", yaxis="y", opacity=0.9,
                     marker=dict(size=10, color=color, line=dict(width=1.5, color=color)),
                     customdata=part[["cadre_id"]].to_numpy().tolist(), hovertext=_hover(part, x_cut),
                     hovertemplate="%{hovertext}<extra></extra>")
        if show_intervals:
            trace["error_x"] = _errors(part, color)
        data.append(trace)
    if len(unsure):
        data.append(dict(type="scatter", x=(x_cut + 0.8 * half * unsure["cadre_id"].map(_jitter)).tolist(),
                         y=unsure["y"].tolist(), mode="markers", name=f"{UNCERTAIN_LABEL}(不归入象限)",
                         xaxis="x", yaxis="y", opacity=0.85,
                         marker=dict(size=8, color="white", symbol="circle",
                                     line=dict(width=1.5, color=QUADRANT_COLORS["uncertain"])),
                         customdata=unsure[["cadre_id"]].to_numpy().tolist(), hovertext=_hover(unsure, x_cut),
                         hovertemplate="%{hovertext}<extra></extra>"))
    if not apart.empty:
        data.append(dict(type="scatter", x=apart["cadre_id"].map(_jitter).tolist(), y=apart["y"].tolist(),
                         mode="markers", name=f"{names['unidentified']}(另列)", xaxis="x2", yaxis="y", opacity=0.8,
                         marker=dict(size=8, color=QUADRANT_COLORS["unidentified"], symbol="diamond"),
                         customdata=apart[["cadre_id"]].to_numpy().tolist(), hovertext=_hover(apart),
                         hovertemplate="%{hovertext}<extra></extra>"))
    if selected is not None and (points["cadre_id"] == selected).any():
        row = points[points["cadre_id"] == selected].iloc[0]
        unplaced = selected in set(apart["cadre_id"])
        sx = x_cut + 0.8 * half * _jitter(selected) if selected in set(unsure["cadre_id"]) else row["x"]
        data.append(dict(type="scatter", x=[_jitter(selected) if unplaced else sx], y=[row["y"]],
                         mode="markers", name="当前选中", showlegend=False, hoverinfo="skip",
                         xaxis="x2" if unplaced else "x", yaxis="y", customdata=[[selected]],
                         marker=dict(size=22, color="rgba(0,0,0,0)", line=dict(width=3, color="#111"))))

    grid = dict(showgrid=True, gridcolor="#eee", zeroline=False)
    layout = dict(
        xaxis=dict(domain=[0, 0.835], range=xr, title=dict(text=X_TITLE), anchor="y", **grid),
        xaxis2=dict(domain=[0.855, 1.0], range=[-1.6, 1.6], showticklabels=False, showgrid=False, zeroline=False,
                    title=dict(text=names["unidentified"]), anchor="y"),
        yaxis=dict(range=[-0.03, 1.03], tickformat=".0%", title=dict(text=Y_TITLE), **grid),
        shapes=shapes, annotations=notes, clickmode="event+select", dragmode="pan",
        legend=dict(orientation="h", yanchor="top", y=-0.13, x=0, title=dict(text="")),
        font=FONT, height=height, margin=dict(l=10, r=10, t=30, b=10), plot_bgcolor="white",
        paper_bgcolor="white", hoverlabel=dict(font=FONT))
    return go.Figure(data=data, layout=layout)


def trajectory(history: pd.DataFrame, config: dict, height: int = 380) -> go.Figure:
    """One cadre's path through the quadrants across quarters (x, y per quarter; 不可判定
    quarters cannot be placed and are left out of the path)."""
    names = config["names"]
    x_cut, y_cut = float(config["x_cut"]), float(config["y_cut"])
    placed = _placed(history.sort_values("period"), names)[0]
    extent = pd.concat([placed["x"], *(pd.Series(v, dtype=float) for v in _interval_columns(placed))]
                       ) if len(placed) else pd.Series([0.0])
    xr = _x_range(extent, x_cut)
    shapes, notes = _quadrant_background(names, x_cut, y_cut, xr, label_size=12)
    data = []
    if len(placed):
        data.append(dict(
            type="scatter", x=placed["x"].tolist(), y=placed["y"].tolist(), mode="lines+markers+text",
            text=[fmt.period_label(p) if i in (0, len(placed) - 1) else "" for i, p in enumerate(placed["period"])],
            textposition="top center", customdata=[fmt.period_label(p) for p in placed["period"]],
            line=dict(color="#90a4ae", width=1.5), showlegend=False,
            marker=dict(size=11, color=[QUADRANT_COLORS[c] for c in codes_of(placed, names)],
                        line=dict(width=1, color="white")),
            hovertemplate="%{customdata}<br>x = %{x:.2f}<br>y = %{y:.0%}<extra></extra>"))
        data[0]["error_x"] = _errors(placed, "#444", width=4)
    grid = dict(showgrid=True, gridcolor="#eee", zeroline=False)
    layout = dict(xaxis=dict(range=xr, title=dict(text="个人贡献 x"), **grid),
                  yaxis=dict(range=[-0.03, 1.05], tickformat=".0%", title=dict(text="实绩分百分位 y"), **grid),
                  shapes=shapes, annotations=notes, font=FONT, height=height,
                  margin=dict(l=10, r=10, t=20, b=10), plot_bgcolor="white", paper_bgcolor="white",
                  hoverlabel=dict(font=FONT))
    return go.Figure(data=data, layout=layout)


def interval_chart(rows: pd.DataFrame, height_per_row: int = 34, common_scale: str | None = None) -> go.Figure:
    """Point estimate and 95 % interval per row. Rows in different units (a cadre's indicators)
    are each scaled by their largest |bound| so 0 (the comparison group's average cadre) sits in
    the middle; rows in one unit (composite effects of several cadres) share a real axis when
    ``common_scale`` names that unit. Columns: label, effect, ci_low, ci_high, band, identified,
    text (the numbers in the row's unit, for the hover)."""
    r = rows.reset_index(drop=True)
    if common_scale is None:
        scale = r[["effect", "ci_low", "ci_high"]].abs().max(axis=1).replace(0, 1.0)
    else:
        scale = pd.Series(1.0, index=r.index)
    ident = r["identified"].fillna(False).astype(bool) & r["effect"].notna()
    y = [fmt.plain(v) for v in r["label"]]
    fig = go.Figure()
    fig.add_vline(x=0, line=dict(color="#666", width=1, dash="dash"))
    for band, color in BAND_COLORS.items():
        m = ident & (r["band"] == band)
        if not m.any():
            continue
        eff, lo, hi = (r.loc[m, c] / scale[m] for c in ("effect", "ci_low", "ci_high"))
        fig.add_trace(go.Scatter(
            x=eff, y=[y[i] for i in np.flatnonzero(m)], mode="markers", name=fmt.BAND_LABELS.get(band, band),
            marker=dict(size=11, color=color),
            error_x=dict(type="data", symmetric=False, array=(hi - eff).tolist(), arrayminus=(eff - lo).tolist(),
                         color=color, thickness=2, width=5),
            hovertext=[fmt.plain(t) for t in r.loc[m, "text"]], hovertemplate="%{y}<br>%{hovertext}<extra></extra>"))
    if (~ident).any():
        fig.add_trace(go.Scatter(
            x=[0.0] * int((~ident).sum()), y=[y[i] for i in np.flatnonzero(~ident)], mode="markers+text",
            name="不可判定", text=["不可判定"] * int((~ident).sum()), textposition="middle right",
            marker=dict(size=9, color=BAND_COLORS["不可判定"], symbol="x"), hoverinfo="skip"))
    if common_scale is None:
        fig.update_xaxes(range=[-1.15, 1.15], tickvals=[-1, 0, 1], ticktext=["← 低于平均", "0", "高于平均 →"],
                         showgrid=False, zeroline=False)
    else:
        bound = float(np.nanmax(r[["effect", "ci_low", "ci_high"]].abs().to_numpy(dtype=float), initial=0.5)) * 1.1
        fig.update_xaxes(range=[-bound, bound], showgrid=True, gridcolor="#eee", zeroline=False,
                         title_text=f"← 低于组内平均   个人贡献({common_scale})   高于组内平均 →")
    fig.update_yaxes(autorange="reversed", categoryorder="array", categoryarray=y)
    return _layout(fig, max(160, 60 + height_per_row * len(r)),
                   legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0, title_text=""),
                   margin=dict(l=10, r=10, t=30, b=10))


def assignment_timeline(assignments: pd.DataFrame, as_of_date: pd.Timestamp, label_column: str = "label",
                        color_column: str = "color_key") -> go.Figure:
    """Posts over time as horizontal bars (open-ended posts run to the data's as-of date)."""
    a = assignments.copy()
    a[label_column] = a[label_column].map(fmt.plain)
    if "hover" in a:
        a["hover"] = a["hover"].map(fmt.plain)
    a["start"] = pd.to_datetime(a["start"])
    a["end_plot"] = pd.to_datetime(a["end"]).fillna(as_of_date)
    fig = go.Figure()
    palette = ["#1565c0", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f", "#ad1457", "#5d4037", "#455a64"]
    keys = list(dict.fromkeys(a[color_column].fillna("").tolist()))
    for i, key in enumerate(keys):
        part = a[a[color_column].fillna("") == key]
        duration_ms = (part["end_plot"] - part["start"]).dt.total_seconds() * 1000
        fig.add_trace(go.Bar(
            y=part[label_column], x=duration_ms, base=part["start"].dt.strftime("%Y-%m-%d"), orientation="h",
            name=fmt.plain(key) if key else fmt.DASH, marker_color=palette[i % len(palette)],
            hovertext=part["hover"] if "hover" in part else None,
            hovertemplate="%{y}<br>%{hovertext}<extra></extra>" if "hover" in part else None))
    fig.update_xaxes(type="date", showgrid=True, gridcolor="#eee", tickformat="%Y年", hoverformat="%Y-%m-%d",
                     dtick="M12")
    labels = list(dict.fromkeys(a[label_column].tolist()))
    fig.update_yaxes(autorange="reversed", categoryorder="array", categoryarray=labels)
    fig.update_traces(width=0.6)
    return _layout(fig, max(130, 80 + 34 * len(labels)), barmode="overlay",
                   legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0, title_text=""),
                   margin=dict(l=10, r=10, t=30, b=10))


def score_bars(scores: pd.DataFrame, height: int = 320) -> go.Figure:
    """实绩分 / 评价分 / 综合得分 per year, grade written above the 综合得分 bar."""
    s = scores.sort_values("year")
    years = s["year"].astype(str) + "年"
    fig = go.Figure()
    for col, name, color in (("performance_score", "实绩分", "#1565c0"), ("rating_score", "评价分", "#7e57c2"),
                             ("total", "综合得分", "#2e7d32")):
        text = [fmt.number(v, 1) for v in s[col]]
        if col == "total":
            text = [f"{t}<br>{g}" if t != fmt.DASH else str(g) for t, g in zip(text, s["grade"])]
        fig.add_trace(go.Bar(x=years, y=s[col], name=name, marker_color=color, text=text, textposition="outside",
                             cliponaxis=False))
    fig.update_yaxes(range=[0, 118], title_text="分", showgrid=True, gridcolor="#eee")
    return _layout(fig, height, barmode="group", legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0),
                   margin=dict(l=10, r=10, t=40, b=10))


def category_heatmap(frame: pd.DataFrame, row: str, col: str, value: str, colors: dict[str, str],
                     hover: str | None = None, row_label_max: int = 18) -> go.Figure:
    """A grid of categorical cells (e.g. card per task × month, band per indicator × period)."""
    cats = list(colors)
    codes = {c: i for i, c in enumerate(cats)}
    rows = list(dict.fromkeys(frame[row].tolist()))
    cols = sorted(frame[col].dropna().unique().tolist())
    z = frame.assign(_z=frame[value].map(codes)).pivot_table(index=row, columns=col, values="_z", aggfunc="max")
    z = z.reindex(index=rows, columns=cols)
    text = None
    if hover is not None:
        text = frame.pivot_table(index=row, columns=col, values=hover, aggfunc="first").reindex(index=rows, columns=cols)
        text = text.fillna("").map(fmt.plain).to_numpy()
    n = max(len(cats) - 1, 1)
    scale = []
    for i, c in enumerate(cats):
        scale += [[i / (n + 1), colors[c]], [(i + 1) / (n + 1), colors[c]]]
    labels = [fmt.plain(str(r) if len(str(r)) <= row_label_max else str(r)[: row_label_max - 1] + "…") for r in rows]
    fig = go.Figure(go.Heatmap(
        z=z.to_numpy(dtype=float), x=[str(c) for c in cols], y=labels, colorscale=scale, zmin=-0.5, zmax=n + 0.5,
        showscale=False, xgap=1, ygap=1, text=text,
        hovertemplate="%{y} · %{x}<br>%{text}<extra></extra>" if text is not None else "%{y} · %{x}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category", tickangle=-45)
    period_ticks(fig, max_labels=16)  # one column per period: label most of them
    return _layout(fig, max(160, 90 + 22 * len(rows)), margin=dict(l=10, r=10, t=10, b=10))


def score_lines(scores: pd.DataFrame, height: int = 340) -> go.Figure:
    """指标得分 over periods, one line per indicator (columns: label, period, score)."""
    fig = go.Figure()
    for label, part in scores.groupby("label", sort=False):
        part = part.sort_values("period")
        fig.add_trace(go.Scatter(x=part["period"], y=part["score"], mode="lines+markers", name=fmt.plain(label),
                                 marker=dict(size=5)))
    fig.add_hline(y=100, line=dict(color="#999", width=1, dash="dot"))
    fig.update_xaxes(type="category", tickangle=-45)
    period_ticks(fig)
    fig.update_yaxes(title_text="指标得分", showgrid=True, gridcolor="#eee")
    return _layout(fig, height, legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0),
                   margin=dict(l=10, r=10, t=40, b=10))


def quadrant_counts(history: pd.DataFrame, config: dict, height: int = 260) -> go.Figure:
    """Number of cadres per quadrant and quarter (stacked), 贡献不确定 and 不可判定 included and labelled."""
    names = config["names"]
    counts = pd.crosstab(history["period"], where_label(history, names))
    x = [fmt.period_label(p) for p in counts.index]
    labels = {**names, "uncertain": UNCERTAIN_LABEL}
    data = [dict(type="bar", x=x, y=counts[labels[code]].tolist(), name=labels[code],
                 marker=dict(color=QUADRANT_COLORS[code]))
            for code in ("high_high", "high_low", "low_high", "low_low", "uncertain", "unidentified")
            if labels[code] in counts]
    layout = dict(barmode="stack", yaxis=dict(title=dict(text="人数"), showgrid=True, gridcolor="#eee"),
                  legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0), font=FONT, height=height,
                  margin=dict(l=10, r=10, t=40, b=10), plot_bgcolor="white", paper_bgcolor="white")
    return go.Figure(data=data, layout=layout)
