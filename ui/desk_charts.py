"""Figures of the anomaly desk: the flagged series against its peers, with the span marked.
Names and titles from the data pass through :func:`ui.format.plain` (plotly reads HTML tags)."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ui import format as fmt

FONT = "Noto Sans CJK SC, Microsoft YaHei, sans-serif"
SEVERITY_COLOURS = {"红": "rgba(214,39,40,0.15)", "橙": "rgba(255,127,14,0.18)", "黄": "rgba(240,200,0,0.22)"}


def _layout(fig: go.Figure, title: str, y_title: str) -> go.Figure:
    fig.update_layout(title=title, font_family=FONT, height=340, margin=dict(l=10, r=10, t=50, b=10),
                      legend=dict(orientation="h", y=-0.2), yaxis_title=y_title, hovermode="x unified")
    return fig


def _span(fig: go.Figure, periods: list[str], start: str, end: str, severity: str) -> None:
    inside = [p for p in periods if str(start) <= p <= str(end)]
    if inside:
        fig.add_vrect(x0=inside[0], x1=inside[-1], fillcolor=SEVERITY_COLOURS.get(severity, "rgba(0,0,0,0.1)"),
                      line_width=0, annotation_text="预警区间", annotation_position="top left")


def series_figure(series: pd.DataFrame, flag: dict, unit: str) -> go.Figure:
    periods = series["period"].astype(str).tolist()
    fig = go.Figure()
    fig.add_scatter(x=periods, y=series["period_value"], name=f"{fmt.plain(flag['subject'])}(当期值)",
                    mode="lines+markers")
    fig.add_scatter(x=periods, y=series["peer_period_median"], name="同类单位中位数", mode="lines",
                    line=dict(dash="dot", color="grey"))
    _span(fig, periods, flag["period_start"], flag["period_end"], flag["severity"])
    return _layout(fig, f"{fmt.plain(unit)} · {fmt.plain(flag['subject'])}", "当期值")


def task_figure(progress: pd.DataFrame, flag: dict) -> go.Figure:
    periods = progress["period"].astype(str).tolist()
    fig = go.Figure()
    fig.add_scatter(x=periods, y=progress["planned_pct"], name="计划进度", mode="lines", line=dict(dash="dash"))
    fig.add_scatter(x=periods, y=progress["reported_pct"], name="填报进度", mode="lines+markers")
    fig.add_scatter(x=periods, y=progress["verified_pct"], name="核实进度", mode="markers", marker=dict(symbol="x"))
    _span(fig, periods, flag["period_start"], flag["period_end"], flag["severity"])
    fig.update_yaxes(range=[0, 105])
    return _layout(fig, f"任务 · {fmt.plain(flag['subject'])}", "进度 %")
