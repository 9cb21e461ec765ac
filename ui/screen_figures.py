"""Big screen: plotly figures (fixed pixel heights; plotly text escaped with fmt.plain)."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from models.period import Period, period_frame
from ui import format as fmt
from ui.screen_theme import (
    ACCENT, CARD_COLOURS, HIDDEN, LINE_COLOURS, LINE_SYMBOLS, MUTED, QUADRANT_ACCENTS, TEXT, bottom_legend, fmt_period,
    plotly_layout,
    short_period,
)

# --- charts ------------------------------------------------------------------------------------

def chart_title(text: str) -> dict:
    return dict(text=text, font=dict(size=17, color=TEXT), x=0, xanchor="left", y=1, yref="container",
                yanchor="top", pad=dict(t=8, l=4))


def no_data_figure(message: str, height: int) -> go.Figure:
    """An empty chart that says what is missing, instead of bare axes."""
    fig = go.Figure()
    fig.update_layout(**plotly_layout(height))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.add_annotation(text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                       font=dict(size=18, color=TEXT))
    return fig


def completion_figure(trend: pd.DataFrame, height: int, gap: bool = False) -> go.Figure:
    """County completion of the annual target per month (current year) against 时序进度; with
    ``gap`` the distance to 时序进度 in percentage points (above 0 = ahead of the calendar)."""
    fig = go.Figure()
    if trend.empty:
        return no_data_figure("暂无目标完成进度<br>需要累计型总量指标(如一般公共预算收入)<br>按月或按季报送数值和年度目标", height)
    years = period_frame(trend["period"])["year"]
    year = years.max()
    cur = trend[years == year]
    month = {p: Period.parse(p).end_month for p in cur["period"].unique()}  # months, quarters or a year
    elapsed = cur[cur["series"] == "elapsed"].set_index("period")["value"]
    series = [s for s in cur["series"].unique() if s.startswith("completion:")]
    for i, s in enumerate(series):
        part = cur[cur["series"] == s]
        y = part["value"].to_numpy(dtype=float)
        if gap:
            y = y - elapsed.reindex(part["period"]).to_numpy(dtype=float)
        fig.add_trace(go.Scatter(
            x=part["period"].map(month), y=y, name=fmt.plain(part["series_name"].iloc[0]),
            mode="lines+markers", line=dict(width=3, color=LINE_COLOURS[i % len(LINE_COLOURS)]),
            marker=dict(size=8, symbol=LINE_SYMBOLS[i % len(LINE_SYMBOLS)])))
    if gap:
        fig.add_hline(y=0, line=dict(width=2, dash="dash", color="#ffffff"),
                      annotation=dict(text="0 = 与时序进度持平", font=dict(size=13, color=TEXT)),
                      annotation_position="top left")
        title, suffix = f"{year}年 完成进度减时序进度(个百分点,正=快于时序)", ""
    else:
        if len(elapsed):
            fig.add_trace(go.Scatter(x=[month[p] for p in elapsed.index], y=elapsed.to_numpy(dtype=float),
                                     name="时序进度", mode="lines", line=dict(width=3, dash="dash", color="#ffffff")))
        title, suffix = f"{year}年 重点指标完成进度(占年度目标)", "%"
    fig.update_layout(**plotly_layout(height, title=chart_title(title), margin=dict(l=54, r=16, t=40, b=78),
                                      legend=bottom_legend(height)))
    fig.update_xaxes(tickmode="array", tickvals=list(range(1, 13)), ticktext=[f"{m}月" for m in range(1, 13)],
                     range=[0.6, 12.4])
    fig.update_yaxes(ticksuffix=suffix, rangemode="normal" if gap else "tozero", zeroline=False)
    return fig


def cards_figure(cards: pd.DataFrame, rate: pd.DataFrame, height: int, months: int = 12) -> go.Figure:
    """Red/orange/yellow card counts per month (stacked) and 按期推进率 on the right axis."""
    periods = sorted(cards["period"].unique())[-months:] if len(cards) else []
    if not periods:
        return no_data_figure("暂无任务亮牌数据<br>需要报送任务(tasks)及其进度(task_progress)", height)
    fig = go.Figure()
    labels = [short_period(p) for p in periods]
    for card in ("红", "橙", "黄"):
        part = cards[(cards["card"] == card)].set_index("period").reindex(periods)
        fig.add_trace(go.Bar(x=labels, y=part["n_tasks"].astype("Float64").astype(float),
                             name=f"{card}牌", marker=dict(color=CARD_COLOURS[card],
                                                           pattern=dict(shape={"红": "", "橙": "/", "黄": "."}[card])),
                             yaxis="y"))
    stacked = cards[cards["card"].isin(["红", "橙", "黄"])]
    hidden = stacked.groupby("period")["suppressed"].any().reindex(periods, fill_value=False).to_numpy()
    if any(hidden):  # a blank bar must not read as zero: 不公开 stands upright on top of what is shown
        shown = stacked.groupby("period")["n_tasks"].sum(min_count=1).reindex(periods).fillna(0).to_numpy(dtype=float)
        for label, h, top in zip(labels, hidden, shown):
            if h:
                fig.add_annotation(x=label, y=top, yref="y", text=HIDDEN, textangle=-90, showarrow=False,
                                   yanchor="bottom", font=dict(size=13, color=TEXT))
    if len(rate):
        r = rate.set_index("period").reindex(periods)
        fig.add_trace(go.Scatter(x=labels, y=r["value"].astype("Float64").astype(float), name="按期推进率(右轴)",
                                 mode="lines+markers", line=dict(width=3, color=ACCENT),
                                 marker=dict(size=7, symbol="diamond"), yaxis="y2"))
    fig.update_layout(**plotly_layout(
        height, barmode="stack",
        title=chart_title(f"亮牌任务数与按期推进率({_span(periods)})"),
        margin=dict(l=54, r=60, t=40, b=78), legend=bottom_legend(height),
        yaxis2=dict(overlaying="y", side="right", range=[0, 100], dtick=25, ticksuffix="%", showgrid=False,
                    tickfont=dict(size=13, color=MUTED))))
    fig.update_xaxes(tickangle=0)
    return fig


def _span(periods: list[str]) -> str:
    if not periods:
        return "近12个月"
    first, last = fmt_period(periods[0]), fmt_period(periods[-1])
    a, b = Period.try_parse(periods[0]), Period.try_parse(periods[-1])
    if a and b and a.year == b.year:
        last = short_period(periods[-1])  # same year: 2025年1月—12月
    return f"{first}—{last}"


def quadrant_figure(quads: pd.DataFrame, height: int) -> go.Figure:
    fig = go.Figure()
    names = list(quads.sort_values("seq")["quadrant"].unique())[:4] if len(quads) else []  # 不可判定 in the text
    accents = QUADRANT_ACCENTS
    patterns = ["", "/", ".", "x", "-"]
    periods = sorted(quads["period"].unique()) if len(quads) else []
    for i, name in enumerate(names):
        part = quads[quads["quadrant"] == name].set_index("period")["n_people"].reindex(periods)
        y = part.astype("Float64").astype(float)
        fig.add_trace(go.Bar(x=[fmt_period(p) for p in periods], y=y, name=fmt.plain(name),
                             marker=dict(color=accents[i % 5], pattern=dict(shape=patterns[i % 5]))))
        for j, value in enumerate(y):
            if value != value:  # NaN: a suppressed group, not zero; the mark sits where its bar would
                fig.add_annotation(x=j + (i - (len(names) - 1) / 2) * 0.8 / len(names), y=0, yref="y",
                                   text=HIDDEN, textangle=-90, showarrow=False, yanchor="bottom",
                                   font=dict(size=13, color=MUTED))
    fig.update_layout(**plotly_layout(
        height, barmode="group",
        title=chart_title("四个象限人数(近6个季度;贡献不确定、不可判定者见左侧)"),
        margin=dict(l=54, r=16, t=40, b=78), legend=bottom_legend(height)))
    return fig


def enlarge(fig: go.Figure) -> go.Figure:
    """Bigger type for a chart that fills a carousel panel."""
    fig.update_layout(font=dict(size=19), legend=dict(font=dict(size=18)), title=dict(font=dict(size=22)))
    fig.update_xaxes(tickfont=dict(size=17))
    fig.update_yaxes(tickfont=dict(size=17))
    for a in fig.layout.annotations or ():
        a.font.size = 17
    return fig
