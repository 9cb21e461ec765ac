"""Figures of the anomaly desk: the flagged series against its peers, with the span marked.
Names and titles from the data pass through :func:`ui.format.plain` (plotly reads HTML tags)."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ui import format as fmt
from ui import palette
from ui.charts import period_ticks

FONT = "Noto Sans CJK SC, Microsoft YaHei, sans-serif"
SEVERITY_COLOURS = palette.SEVERITY_SHADE


def _layout(fig: go.Figure, title: str, y_title: str) -> go.Figure:
    # Periods are categories (2024-06, 2024-Q2): as dates plotly would label them "Jun 1, 2024".
    # The legend sits at the figure's bottom edge (container coordinates), under the tick labels
    # however tall they grow; values keep their digits ("8,000", never plotly's "8k").
    fig.update_layout(title=title, font_family=FONT, height=360, margin=dict(l=10, r=10, t=50, b=36),
                      legend=dict(orientation="h", yref="container", y=0, yanchor="bottom", x=0),
                      yaxis_title=y_title, hovermode="x unified")
    fig.update_xaxes(type="category", automargin=True)
    fig.update_yaxes(automargin=True, exponentformat="none", separatethousands=True)
    return period_ticks(fig)


def _span(fig: go.Figure, periods: list[str], start: str, end: str, severity: str) -> None:
    """Shade the flagged periods, each a whole category wide (a one-period flag is not a hairline)."""
    inside = [i for i, p in enumerate(periods) if str(start) <= p <= str(end)]
    if inside:
        fig.add_vrect(x0=inside[0] - 0.5, x1=inside[-1] + 0.5,
                      fillcolor=SEVERITY_COLOURS.get(severity, "rgba(0,0,0,0.1)"),
                      line_width=0, annotation_text="预警区间", annotation_position="top left")


# 核验记录 figures: one red diamond per check, joined to the reported point by a dotted line.
CHECK_COLOUR = palette.CARD["红"]
CHECK_MARKER = dict(symbol="diamond", size=13, color=CHECK_COLOUR, line=dict(width=1.5, color="white"))
NOTE_CHARS = 40


def _num(v, unit: str | None = None) -> str:
    """A figure without a trailing .0 (45 %, 1,180 万元), in its unit when given; from 1 亿 up a
    万 unit switches to 亿 as everywhere else (1.20 亿元)."""
    if unit and str(unit).startswith("万") and not fmt.is_missing(v) and abs(float(v)) >= 10_000:
        return fmt.plain(fmt.with_unit(v, unit))
    text = fmt.number(v, 1)
    if text != fmt.DASH and text.endswith(".0"):
        text = text[:-2]
    if text == fmt.DASH or not unit:
        return text
    return f"{text}%" if unit == "%" else f"{text} {fmt.plain(unit)}"


def _checked(frame: pd.DataFrame, figure: str) -> list[dict]:
    """The rows whose figure a 核验记录 replaced (none in a frame read before checks existed)."""
    if "check_id" not in frame or figure not in frame:
        return []
    return frame[frame["check_id"].notna() & frame[figure].notna()].to_dict("records")


def _check_text(row: dict, lines: list[str]) -> str:
    """Hover of a check: which record, its result, date and team, the figures, then its note."""
    head = [f"核验记录 {fmt.plain(row['check_id'])}"] + [
        fmt.plain(row.get(c)) for c in ("check_result", "checked_at", "checked_by") if not fmt.is_missing(row.get(c))]
    note = row.get("check_note")
    if not fmt.is_missing(note) and str(note).strip():
        note = str(note).strip()
        lines = lines + ["说明:" + fmt.plain(note if len(note) <= NOTE_CHARS else note[:NOTE_CHARS] + "…")]
    return "<br>".join([" · ".join(head)] + lines)


def _reported_hover(periods: list[str], values, checks: list[dict], figure: str, unit: str | None,
                    head: str, tail: str = "") -> list[str]:
    """Hover of the reported line: the reported figure and, where a check replaced it, the check's."""
    by_period = {str(c["period"]): c for c in checks}
    out = []
    for period, value in zip(periods, values):
        c = by_period.get(period)
        said = f"(核验记录 {fmt.plain(c['check_id'])} 核验为 {_num(c[figure], unit)}{tail})" if c else ""
        out.append(f"{head} {_num(value, unit)}{said}")
    return out


def _add_check(fig: go.Figure, period: str, figure: float, reported, label: str, hover: str) -> None:
    fig.add_scatter(x=[period], y=[figure], name=f"核验值(核验记录 {fmt.plain(label)})", mode="markers",
                    marker=CHECK_MARKER, customdata=[hover], hovertemplate="%{customdata}<extra></extra>")
    if not fmt.is_missing(reported):
        fig.add_shape(type="line", x0=period, x1=period, y0=float(reported), y1=float(figure),
                      line=dict(color=CHECK_COLOUR, width=1.5, dash="dot"))


def series_figure(series: pd.DataFrame, flag: dict, unit: str) -> go.Figure:
    """The unit's period values against its peers' median; a value a 核验记录 replaced is drawn
    beside the reported one, as the period value the verified figure implies."""
    periods = series["period"].astype(str).tolist()
    units = series["measure_unit"].dropna() if "measure_unit" in series else pd.Series(dtype=object)
    measure = units.iloc[0] if len(units) else None
    checks = _checked(series, "check_period_value")
    reported_hover = _reported_hover(periods, series["period_value"], checks, "check_period_value", measure,
                                     "填报 当期")
    fig = go.Figure()
    fig.add_scatter(x=periods, y=series["period_value"], name=f"{fmt.plain(flag['subject'])}(填报当期值)",
                    mode="lines+markers", customdata=reported_hover, hovertemplate="%{customdata}<extra></extra>")
    fig.add_scatter(x=periods, y=series["peer_period_median"], name="同类单位中位数", mode="lines",
                    line=dict(dash="dot", color="grey"))
    for c in checks:
        lines = [f"当期:核验 {_num(c['check_period_value'], measure)},填报 {_num(c['period_value'], measure)}"]
        if fmt.is_true(c.get("cumulative")):  # the check states the year-to-date figure, like the report
            lines.append(f"累计:核验 {_num(c['check_value'], measure)},填报 {_num(c['value'], measure)}")
        _add_check(fig, str(c["period"]), float(c["check_period_value"]), c["period_value"], c["check_id"],
                   _check_text(c, lines))
    _span(fig, periods, flag["period_start"], flag["period_end"], flag["severity"])
    return _layout(fig, f"{fmt.plain(unit)} · {fmt.plain(flag['subject'])}", "当期值")


def task_figure(progress: pd.DataFrame, flag: dict) -> go.Figure:
    """Planned and reported progress; a report a 核验记录 replaced shows the verified figure beside
    it (the figure the card is assessed on)."""
    periods = progress["period"].astype(str).tolist()
    checks = _checked(progress, "check_pct")
    reported_hover = _reported_hover(periods, progress["reported_pct"], checks, "check_pct", "%", "填报",
                                     ",以核验为准")
    fig = go.Figure()
    fig.add_scatter(x=periods, y=progress["planned_pct"], name="计划进度", mode="lines", line=dict(dash="dash"))
    fig.add_scatter(x=periods, y=progress["reported_pct"], name="填报进度", mode="lines+markers",
                    customdata=reported_hover, hovertemplate="%{customdata}<extra></extra>")
    if progress["verified_pct"].notna().any():
        fig.add_scatter(x=periods, y=progress["verified_pct"], name="核实进度(随报送)", mode="markers",
                        marker=dict(symbol="x"))
    for c in checks:
        gap = "" if fmt.is_missing(c["reported_pct"]) else f",相差 {fmt.pp(c['check_pct'] - c['reported_pct'])}"
        lines = [f"核验 {_num(c['check_pct'], '%')},填报 {_num(c['reported_pct'], '%')}{gap}"]
        _add_check(fig, str(c["period"]), float(c["check_pct"]), c["reported_pct"], c["check_id"],
                   _check_text(c, lines))
    _span(fig, periods, flag["period_start"], flag["period_end"], flag["severity"])
    fig.update_yaxes(range=[0, 105])
    return _layout(fig, f"任务 · {fmt.plain(flag['subject'])}", "进度 %")
