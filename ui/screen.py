"""城市大脑大屏: panels, dark theme and charts of the big screen (pages/screen.py is the page).

Design: 1920×1080 CSS pixels, no scrolling (a 4K wall runs the browser at device scale factor 2,
the CSS layout is the same). Every panel is a fixed-height block and refreshes in its own
``st.fragment(run_every=...)``; the ranking board pages itself; ``?rotate=20s`` turns the body
into a carousel of panels on one URL, ``?panel=<name>`` pins one panel.

Only the PUBLIC file is read (ui/public_queries.py): aggregates, no names of people.
Colour is never the only cue: arrows (▲▼), words (快于时序, 优/良/中/差, 红牌) and legends
carry the meaning too. All text from data is escaped: fmt.html_text in HTML, fmt.plain in plotly.
"""
from __future__ import annotations

import datetime as dt
import math
import re

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from models.scoring import period_info
from pipelines.home import Home
from ui import format as fmt
from ui import public_queries as pq

# --- geometry (CSS px of the 1920×1080 design) -------------------------------------------------
PAD = 10
GAP = 10
HEADER_H = 70
BODY_H = 1080 - 2 * PAD - HEADER_H - GAP          # 980
KPI_H = 350
TRENDS_H = BODY_H - KPI_H - GAP                     # 620
RANK_H = 600
QUAD_H = BODY_H - RANK_H - GAP                      # 370
PANEL_PAD_Y = 10
TITLE_H = 40

REFRESH_SECONDS = 60      # data panels re-read the CURRENT pointer this often
PAGE_SECONDS = 10         # the ranking board turns a page this often
HEADER_SECONDS = 30       # the 数据截至 stamp and clock
ROWS_PER_PAGE = 12
DEFAULT_ROTATE = 20
ROTATE_RANGE = (5, 3600)

PANELS = {
    "overview": "总览",
    "indicators": "重点指标",
    "ranking": "单位排名",
    "alerts": "亮牌与预警",
    "quadrants": "实绩象限",
    "trends": "趋势",
}

FONT = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif'
BG = "#060d1a"
PANEL_BG = "#0c1a2e"
BORDER = "#1f3a5f"
TEXT = "#e8f0ff"
MUTED = "#9fb3d1"
GOOD = "#34d399"
BAD = "#ff7b7b"
ACCENT = "#5cc8ff"
CARD_COLOURS = {"绿": "#22c55e", "黄": "#facc15", "橙": "#fb923c", "红": "#ef4444"}
CARD_TEXT = {"绿": "#04210f", "黄": "#2a2100", "橙": "#2b1300", "红": "#ffffff"}
CARD_WORDS = {"绿": "绿牌 正常", "黄": "黄牌 提醒", "橙": "橙牌 警示", "红": "红牌 滞后"}
SEVERITY_COLOURS = {"红": "#ef4444", "橙": "#fb923c", "黄": "#facc15"}
TIER_NOTE = "优 前25% · 良 25–50% · 中 50–75% · 差 后25%"
SUPPRESSED_NOTE = "— 表示该组不足5人或可据此推算出不足5人的组,按规定不公开"
LINE_COLOURS = ["#5cc8ff", "#f472b6", "#a3e635", "#fbbf24", "#c084fc", "#2dd4bf"]
LINE_SYMBOLS = ["circle", "square", "diamond", "triangle-up", "x", "star"]


# --- parameters ------------------------------------------------------------------------------

def parse_seconds(text: str | None) -> int | None:
    """'20s', '20', '2m', '1min' → seconds, clamped to ROTATE_RANGE; None when absent or invalid."""
    if text is None:
        return None
    m = re.fullmatch(r"\s*(\d{1,5})\s*(s|sec|m|min)?\s*", str(text).lower())
    if not m:
        return None
    seconds = int(m.group(1)) * (60 if (m.group(2) or "s").startswith("m") else 1)
    return max(ROTATE_RANGE[0], min(ROTATE_RANGE[1], seconds))


def screen_mode(params) -> tuple[str, int | None, str | None]:
    """('carousel', seconds, None) | ('panel', None, name) | ('overview', None, None) from the URL."""
    panel = params.get("panel")
    if panel in PANELS and panel != "overview":
        return "panel", None, panel
    rotate = params.get("rotate")
    if rotate is not None:
        return "carousel", parse_seconds(rotate) or DEFAULT_ROTATE, None
    return "overview", None, None


# --- formatting --------------------------------------------------------------------------------

def esc(value) -> str:
    return fmt.html_text(value, "")


def _isnum(v) -> bool:
    return v is not None and not (isinstance(v, float) and math.isnan(v)) and v is not pd.NA


BIG_UNITS = {"万元": "亿元", "万美元": "亿美元", "万千瓦时": "亿千瓦时", "万吨": "亿吨"}


def fmt_value(value, unit: str | None) -> str:
    """A value in its indicator unit, large amounts in 亿 (万元 → 亿元)."""
    if not _isnum(value):
        return "—"
    unit = unit or ""
    v = float(value)
    if unit in BIG_UNITS and abs(v) >= 10_000:
        return f"{v / 10_000:,.2f}{BIG_UNITS[unit]}"
    if unit == "%":
        return f"{v:.1f}%"
    if unit == "元":
        return f"{v:,.0f}元"
    if abs(v) >= 1000:
        return f"{v:,.0f}{unit}"
    return f"{v:,.2f}{unit}" if abs(v) < 100 else f"{v:,.1f}{unit}"


def fmt_diff(value, unit: str | None) -> str:
    if not _isnum(value):
        return ""
    sign = "+" if value >= 0 else "−"
    unit = unit or ""
    if unit == "%":
        return f"{sign}{abs(value):.1f}个百分点"
    return f"{sign}{fmt_value(abs(value), unit)}"


def fmt_period(period: str | None) -> str:
    """'2025-12' → '2025年12月', '2025-Q4' → '2025年四季度', '2025' → '2025年'."""
    if not period:
        return "—"
    p = str(period)
    if re.fullmatch(r"\d{4}-\d{2}", p):
        return f"{p[:4]}年{int(p[5:])}月"
    m = re.fullmatch(r"(\d{4})-Q([1-4])", p)
    if m:
        return f"{m.group(1)}年{'一二三四'[int(m.group(2)) - 1]}季度"
    if re.fullmatch(r"\d{4}", p):
        return f"{p}年"
    return p


def short_period(period: str) -> str:
    """An axis label within one year: '2025-03' → '3月', '2025-Q1' → '一季度', '2025' → '2025年'."""
    p = str(period)
    if re.fullmatch(r"\d{4}-\d{2}", p):
        return f"{int(p[5:])}月"
    return fmt_period(p)[5:] if "-Q" in p else fmt_period(p)


def fmt_count(value) -> str:
    return "—" if not _isnum(value) else f"{int(value):,}"


def change_html(change, *, higher_is_worse: bool = False, unit: str = "", word: str = "较上期") -> str:
    """▲/▼ plus words for a change; colour is a second cue, never the only one."""
    if not _isnum(change):
        return f'<span class="scr-muted">{esc(word)} —</span>'
    change = float(change)
    if change == 0:
        return f'<span class="scr-muted">{esc(word)}持平</span>'
    up = change > 0
    good = (not up) if higher_is_worse else up
    cls = "scr-good" if good else "scr-bad"
    arrow = "▲" if up else "▼"
    number = f"{abs(change):g}" if float(change).is_integer() else f"{abs(change):.1f}"
    return f'<span class="{cls}">{arrow} {esc(word)}{"增" if up else "减"}{number}{esc(unit)}</span>'


def rank_change_html(change) -> str:
    if not _isnum(change):
        return '<span class="scr-muted">新上榜</span>'
    change = int(change)
    if change == 0:
        return '<span class="scr-muted">— 持平</span>'
    if change > 0:
        return f'<span class="scr-good">▲ 升{change}</span>'
    return f'<span class="scr-bad">▼ 降{-change}</span>'


def badge_html(tier, band) -> str:
    if not tier or not isinstance(tier, str):
        return '<span class="scr-badge scr-badge-none">—</span>'
    colour = CARD_COLOURS.get(band, "#64748b")
    text = CARD_TEXT.get(band, "#ffffff")
    return f'<span class="scr-badge" style="background:{colour};color:{text}">{esc(tier)}</span>'


# --- theme -------------------------------------------------------------------------------------

def theme_css() -> str:
    """Page-scoped CSS: this style element exists only while the screen page is shown."""
    panel_heights = {
        "indicators": BODY_H, "kpi": KPI_H, "trends": TRENDS_H, "ranking": RANK_H, "quadrants": QUAD_H,
        "big": BODY_H,
    }
    heights = "\n".join(
        f".st-key-scr-{name} {{ height: {h}px; min-height: {h}px; max-height: {h}px; }}"
        for name, h in panel_heights.items()
    )
    return f"""<style>
html, body, .stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] {{
  background: {BG} !important; color: {TEXT}; font-family: {FONT} !important;
}}
.stApp * {{ font-family: {FONT}; }}
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stSidebarNav"],
[data-testid="stStatusWidget"], [data-testid="stBottom"], footer {{ display: none !important; }}
[data-testid="stMain"] {{ overflow: hidden; }}
[data-testid="stMainBlockContainer"] {{
  padding: {PAD}px {PAD}px 0 {PAD}px !important; max-width: none !important; min-width: 0 !important;
}}
[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] {{ gap: {GAP}px !important; }}
[data-testid="stMainBlockContainer"] [data-testid="stHorizontalBlock"] {{ gap: {GAP}px !important; flex-wrap: nowrap !important; }}
[data-stale="true"], .stElementContainer {{ opacity: 1 !important; transition: none !important; }}
.stElementContainer:has([style*="position:fixed"]) {{ position: absolute !important; height: 0; margin: 0; }}
.stElementContainer:has(> [data-testid="stHtml"]) {{ margin: 0; }}
[class*="st-key-scr-"] {{
  background: {PANEL_BG}; border: 1px solid {BORDER}; border-radius: 10px;
  padding: {PANEL_PAD_Y}px 14px !important; box-sizing: border-box; overflow: hidden;
  gap: 6px !important; box-shadow: inset 0 0 24px rgba(56, 140, 255, 0.08);
}}
.st-key-scr-header {{ height: {HEADER_H}px; padding: 0 18px !important; justify-content: center; }}
{heights}
.scr-title {{ display: flex; align-items: baseline; justify-content: space-between; height: {TITLE_H - 6}px;
  border-bottom: 1px solid {BORDER}; margin-bottom: 4px; white-space: nowrap; overflow: hidden; }}
.scr-title b {{ font-size: 22px; color: {TEXT}; letter-spacing: 1px; min-width: 0; overflow: hidden;
  text-overflow: ellipsis; }}
.scr-title b::before {{ content: ""; display: inline-block; width: 5px; height: 18px; background: {ACCENT};
  margin-right: 10px; vertical-align: -2px; border-radius: 2px; }}
.scr-title span {{ font-size: 15px; color: {MUTED}; flex-shrink: 0; margin-left: 10px; }}
.scr-muted {{ color: {MUTED}; }}
.scr-good {{ color: {GOOD}; font-weight: 600; }}
.scr-bad {{ color: {BAD}; font-weight: 600; }}
.scr-num {{ font-variant-numeric: tabular-nums; }}
.scr-note {{ font-size: 13px; color: {MUTED}; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }}
.scr-header {{ display: flex; align-items: center; justify-content: space-between; height: {HEADER_H - 2}px; }}
.scr-header h1 {{ font-size: 34px; margin: 0; padding: 0; color: {TEXT}; letter-spacing: 4px; font-weight: 700;
  text-shadow: 0 0 18px rgba(92, 200, 255, .45); }}
.scr-header .scr-sub {{ font-size: 16px; color: {MUTED}; margin-left: 18px; letter-spacing: 1px; }}
.scr-stamp {{ text-align: right; line-height: 1.25; white-space: nowrap; }}
.scr-stamp b {{ font-size: 26px; color: {ACCENT}; }}
.scr-stamp div {{ font-size: 14px; color: {MUTED}; }}
.scr-dots span {{ display: inline-block; padding: 2px 10px; margin: 0 3px; border-radius: 12px; font-size: 15px;
  color: {MUTED}; border: 1px solid {BORDER}; }}
.scr-dots span.on {{ color: #04121f; background: {ACCENT}; border-color: {ACCENT}; font-weight: 700; }}
.scr-ind {{ display: grid; grid-template-columns: 1fr 172px 196px; align-items: center; column-gap: 12px;
  border-bottom: 1px dashed rgba(159, 179, 209, .18); overflow: hidden; }}
.scr-ind:last-child {{ border-bottom: none; }}
.scr-ind .n {{ font-size: 19px; color: {TEXT}; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }}
.scr-ind .p {{ font-size: 13px; color: {MUTED}; white-space: nowrap; }}
.scr-ind .v {{ font-size: 25px; font-weight: 700; color: #ffffff; white-space: nowrap; text-align: right; }}
.scr-ind .t {{ font-size: 13px; color: {MUTED}; white-space: nowrap; text-align: right; }}
.scr-ind .s {{ font-size: 15px; white-space: nowrap; }}
.scr-bar {{ position: relative; height: 12px; background: #17314f; border-radius: 6px; margin: 4px 0 3px 0; }}
.scr-bar i {{ position: absolute; left: 0; top: 0; bottom: 0; border-radius: 6px; }}
.scr-bar em {{ position: absolute; top: -4px; bottom: -4px; width: 3px; background: #ffffff; border-radius: 2px; }}
table.scr-rank {{ width: 100%; border-collapse: collapse; table-layout: fixed; }}
table.scr-rank th {{ font-size: 15px; color: {MUTED}; font-weight: 500; text-align: left; padding: 0 6px; height: 30px;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }}
table.scr-rank td {{ font-size: 19px; color: {TEXT}; padding: 0 6px; border-top: 1px solid rgba(159, 179, 209, .14);
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }}
table.scr-rank td.r {{ font-size: 22px; font-weight: 700; color: {ACCENT}; text-align: center; }}
table.scr-rank td.sc {{ text-align: right; font-weight: 600; }}
.scr-badge {{ display: inline-block; min-width: 34px; text-align: center; border-radius: 6px; padding: 1px 8px;
  font-size: 17px; font-weight: 700; }}
.scr-badge-none {{ background: #334155; color: {TEXT}; }}
.scr-tiles {{ display: grid; gap: 10px; }}
.scr-tile {{ background: #0f2440; border: 1px solid {BORDER}; border-radius: 8px; padding: 8px 10px;
  border-top-width: 5px; overflow: hidden; white-space: nowrap; }}
.scr-tile .k {{ font-size: 16px; color: {MUTED}; }}
.scr-tile .c {{ font-size: 40px; font-weight: 800; color: #ffffff; line-height: 1.15; }}
.scr-tile .c small {{ font-size: 15px; font-weight: 400; color: {MUTED}; margin-left: 4px; }}
.scr-tile .d {{ font-size: 14px; }}
.scr-quad {{ display: grid; grid-template-columns: 26px 1fr 1fr; grid-template-rows: 1fr 1fr 22px; gap: 8px; }}
.scr-quad .ax {{ color: {MUTED}; font-size: 14px; display: flex; align-items: center; justify-content: center; }}
.scr-quad .ay {{ writing-mode: vertical-rl; }}
.scr-bigmode .scr-ind .n {{ font-size: 26px; }}
.scr-bigmode .scr-ind .p, .scr-bigmode .scr-ind .t {{ font-size: 16px; }}
.scr-bigmode .scr-ind .v {{ font-size: 36px; }}
.scr-bigmode .scr-ind .s {{ font-size: 20px; }}
.scr-bigmode .scr-ind {{ grid-template-columns: 1fr 250px 300px; }}
.scr-bigmode .scr-bar {{ height: 16px; }}
.scr-bigmode table.scr-rank td {{ font-size: 25px; }}
.scr-bigmode table.scr-rank td.r {{ font-size: 30px; }}
.scr-bigmode table.scr-rank th {{ font-size: 17px; }}
.scr-bigmode .scr-badge {{ font-size: 22px; min-width: 44px; }}
.scr-bigmode .scr-tile .k {{ font-size: 22px; }}
.scr-bigmode .scr-tile .d {{ font-size: 18px; }}
.scr-bigmode .scr-tile .c {{ font-size: 60px; }}
.scr-bigmode .scr-quad .ax {{ font-size: 18px; }}
.scr-bigmode .scr-quad .scr-tile {{ align-items: center; text-align: center; }}
.scr-empty {{ display: flex; align-items: center; justify-content: center; text-align: center; padding: 0 24px;
              color: {MUTED}; font-size: 20px; line-height: 1.6; }}
</style>"""


def plotly_layout(height: int, **extra) -> dict:
    """The dark plotly template of the screen (CJK font, transparent background)."""
    layout = dict(
        template="plotly_dark", height=height, margin=dict(l=56, r=20, t=34, b=30),
        paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
        font=dict(family=FONT, size=15, color=TEXT),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0, font=dict(size=14), bgcolor="rgba(0,0,0,0)"),
        xaxis=dict(gridcolor="rgba(159,179,209,.15)", linecolor=BORDER, tickfont=dict(size=13, color=MUTED)),
        yaxis=dict(gridcolor="rgba(159,179,209,.15)", linecolor=BORDER, tickfont=dict(size=13, color=MUTED)),
    )
    layout.update(extra)
    return layout


def bottom_legend(height: int, top: int = 40, bottom: int = 78) -> dict:
    """A horizontal legend 34 px under the plot area, whatever the chart height."""
    plot_h = max(50, height - top - bottom)
    return dict(orientation="h", yanchor="top", y=-34 / plot_h, x=0, font=dict(size=14), bgcolor="rgba(0,0,0,0)")


PLOTLY_CONFIG = {"displayModeBar": False, "staticPlot": True, "responsive": True}


# --- panel HTML (pure functions) ---------------------------------------------------------------

def title_html(title: str, right: str = "") -> str:
    return f'<div class="scr-title"><b>{esc(title)}</b><span>{right}</span></div>'


def empty_html(message: str, height: int) -> str:
    return f'<div class="scr-empty" style="height:{height}px">{esc(message)}</div>'


def header_html(meta: dict, now: dt.datetime, dots: str = "") -> str:
    as_of = fmt_period(meta.get("as_of")) if meta else "—"
    version = esc(meta.get("version", "—")) if meta else "—"
    return (
        '<div class="scr-header">'
        '<div style="display:flex;align-items:baseline"><h1>实绩 · 城市大脑</h1>'
        '<span class="scr-sub">干部实绩监测大屏 · 仅汇总数据</span></div>'
        f'<div class="scr-dots">{dots}</div>'
        f'<div class="scr-stamp"><b>数据截至 {esc(as_of)}</b>'
        f'<div>版本 {version} · 刷新于 {now:%Y-%m-%d %H:%M}</div></div>'
        '</div>'
    )


def dots_html(active: str) -> str:
    return "".join(f'<span class="{"on" if k == active else ""}">{esc(v)}</span>' for k, v in PANELS.items())


def indicator_board_html(board: pd.DataFrame, height: int, columns: int = 1) -> str:
    """The delivered indicators against target and 时序进度, in ``columns`` columns."""
    if board.empty:
        return empty_html("暂无指标数据:需要报送指标数据表(indicator_values)", height)
    per_col = math.ceil(len(board) / columns)
    row_h = int(height // per_col)
    cols_html = []
    for c in range(columns):
        rows = []
        for r in board.iloc[c * per_col:(c + 1) * per_col].itertuples(index=False):
            rows.append(_indicator_row(r, row_h))
        cols_html.append(f'<div>{"".join(rows)}</div>')
    grid = f"display:grid;grid-template-columns:repeat({columns}, 1fr);column-gap:36px"
    cls = ' class="scr-bigmode"' if columns > 1 else ""
    return f'<div{cls} style="{grid}">{"".join(cols_html)}</div>'


def _indicator_row(r, row_h: int) -> str:
    unit = r.unit
    name = f'<div class="n">{esc(r.indicator_name)}</div>'
    agg = f" · {esc(r.aggregation)}" if isinstance(r.aggregation, str) else ""
    period = f'<div class="p">{esc(fmt_period(r.period))}{agg}</div>'
    value = f'<div class="v scr-num">{esc(fmt_value(r.value, unit))}</div>'
    target = f'<div class="t scr-num">年度目标 {esc(fmt_value(r.target, unit))}</div>'
    if r.mode == "progress" and _isnum(r.completion):
        pct = float(r.completion) * 100
        elapsed = float(r.elapsed) * 100 if _isnum(r.elapsed) else None
        good = bool(r.on_track)
        colour = GOOD if good else BAD
        fill = max(0.0, min(pct, 100.0))
        marker = f'<em style="left:calc({min(elapsed, 100):.1f}% - 1px)"></em>' if elapsed is not None else ""
        arrow = "▲" if good else "▼"
        status = (f'<div class="s"><span class="{"scr-good" if good else "scr-bad"}">{arrow} {esc(r.status)} '
                  f'{esc(fmt_diff(r.gap, "%"))}</span></div>')
        bar = (f'<div class="scr-bar"><i style="width:{fill:.1f}%;background:{colour}"></i>{marker}</div>'
               f'<div class="p scr-num">完成 {pct:.1f}% · 时序 {elapsed if elapsed is not None else 0:.0f}%</div>')
        right = f"<div>{status}{bar}</div>"
    elif r.on_track is not None and _isnum(r.gap) and not pd.isna(r.on_track):
        good = bool(r.on_track)
        arrow = "▲" if good else "▼"
        right = (f'<div><div class="s"><span class="{"scr-good" if good else "scr-bad"}">{arrow} {esc(r.status)}'
                 f'</span></div><div class="p scr-num">与目标差 {esc(fmt_diff(r.gap, unit))}</div></div>')
    else:
        right = f'<div class="s scr-muted">{esc(r.status if isinstance(r.status, str) else "暂无数据")}</div>'
    return (f'<div class="scr-ind" style="height:{row_h}px"><div>{name}{period}</div>'
            f'<div>{value}{target}</div>{right}</div>')


def ranking_pages(boards: pd.DataFrame, rows_per_page: int = ROWS_PER_PAGE) -> list[dict]:
    """Every page of every ranking board: dict(board, board_name, period, start, page, pages)."""
    pages = []
    for b in boards.itertuples(index=False):
        n = max(1, math.ceil(int(b.n_units) / rows_per_page))
        for i in range(n):
            pages.append({"board": b.board, "board_name": b.board_name, "period": b.period,
                          "measure": b.measure, "unit": b.unit, "start": i * rows_per_page,
                          "page": i + 1, "pages": n})
    return pages


def ranking_html(rows: pd.DataFrame, page: dict, height: int, index: int, total: int,
                 rows_per_page: int = ROWS_PER_PAGE, big: bool = False) -> str:
    title = title_html(f"单位排名 · {page['board_name']}", f"第{index + 1}/{total}页")
    body_h = height - TITLE_H - 2 * PANEL_PAD_Y - 26
    row_h = max(28, int((body_h - 30) // rows_per_page))
    unit = page.get("unit") or ""
    measure = page.get("measure") or "得分"
    if len(measure) > 5:  # the board title names the indicator; the column only needs a short label
        measure = "指标值"
    head = (f'<tr style="height:30px"><th style="width:64px;text-align:center">名次</th><th>单位</th>'
            f'<th style="width:150px;text-align:right">{esc(measure)}</th><th style="width:104px">较上期</th>'
            f'<th style="width:64px">等级</th></tr>')
    body = []
    for r in rows.iloc[page["start"]:page["start"] + rows_per_page].itertuples(index=False):
        score = f"{r.score:.1f}" if unit in ("分", "%") and _isnum(r.score) else fmt_value(r.score, unit)
        if unit == "%" and _isnum(r.score):
            score += "%"
        body.append(
            f'<tr style="height:{row_h}px"><td class="r scr-num">{int(r.rank)}</td><td>{esc(r.unit_name)}</td>'
            f'<td class="sc scr-num">{esc(score)}</td><td>{rank_change_html(r.rank_change)}</td>'
            f'<td>{badge_html(r.tier, r.band)}</td></tr>')
    note = (f'<div class="scr-note">{esc(fmt_period(page["period"]))} · 等级 {TIER_NOTE} · '
            f'较上期 ▲升 ▼降</div>')
    html_ = f'{title}<table class="scr-rank">{head}{"".join(body)}</table>{note}'
    return f'<div class="scr-bigmode">{html_}</div>' if big else html_


def _latest_two(frame: pd.DataFrame) -> tuple[str | None, str | None]:
    periods = sorted(frame["period"].dropna().unique()) if len(frame) else []
    return (periods[-1] if periods else None, periods[-2] if len(periods) > 1 else None)


def card_tiles_html(cards: pd.DataFrame) -> str:
    latest, prev = _latest_two(cards)
    if latest is None:
        return empty_html("暂无亮牌数据:需要报送任务(tasks)及其进度(task_progress)", 120)
    now = cards[cards["period"] == latest].set_index("card")
    before = cards[cards["period"] == prev].set_index("card") if prev else None
    tiles = []
    for card in ("红", "橙", "黄", "绿"):
        n = now["n_tasks"].get(card) if card in now.index else None
        p = before["n_tasks"].get(card) if before is not None and card in before.index else None
        change = (float(n) - float(p)) if _isnum(n) and _isnum(p) else None
        tiles.append(
            f'<div class="scr-tile" style="border-top-color:{CARD_COLOURS[card]}">'
            f'<div class="k">{esc(CARD_WORDS[card])}</div>'
            f'<div class="c scr-num">{fmt_count(n)}<small>项任务</small></div>'
            f'<div class="d">{change_html(change, higher_is_worse=card != "绿", unit="项", word="较上月")}</div></div>')
    return f'<div class="scr-tiles" style="grid-template-columns:repeat(4,1fr)">{"".join(tiles)}</div>'


def flag_tiles_html(flags: pd.DataFrame, has_flags: bool) -> str:
    if not has_flags:
        body = '<div class="scr-tile" style="grid-column:1 / span 3"><div class="k">需核查线索</div>' \
               '<div class="d scr-muted" style="font-size:18px;padding:10px 0">异常识别结果尚未生成,本版本不显示线索数</div></div>'
        return f'<div class="scr-tiles" style="grid-template-columns:repeat(3,1fr)">{body}</div>'
    tiles = []
    by = flags.set_index("category") if len(flags) else pd.DataFrame(columns=["n_flags"])
    for sev in ("红", "橙", "黄"):
        n = by["n_flags"].get(sev) if sev in by.index else 0
        tiles.append(
            f'<div class="scr-tile" style="border-top-color:{SEVERITY_COLOURS[sev]}">'
            f'<div class="k">{sev}色 需核查线索</div><div class="c scr-num">{fmt_count(n)}<small>条</small></div></div>')
    return f'<div class="scr-tiles" style="grid-template-columns:repeat(3,1fr)">{"".join(tiles)}</div>'


def flag_rules_html(rules: pd.DataFrame, height: int, has_flags: bool) -> str:
    """需核查线索 by rule: a bar per rule with its count written out."""
    title = title_html("需核查线索 · 按规则")
    if not has_flags or rules.empty:
        return title + empty_html("异常识别结果尚未生成" if not has_flags else "本期无需核查线索", height - TITLE_H)
    top = max([float(v) for v in rules["n_flags"] if _isnum(v)] or [1.0])
    rows = []
    for r in rules.sort_values("seq").itertuples(index=False):
        width = 100 * float(r.n_flags) / top if _isnum(r.n_flags) and top else 0
        rows.append(
            f'<div style="display:grid;grid-template-columns:150px 1fr 70px;align-items:center;column-gap:10px;'
            f'height:46px;font-size:20px"><span>{esc(r.category)}</span>'
            f'<div class="scr-bar" style="height:18px"><i style="width:{width:.1f}%;background:{ACCENT}"></i></div>'
            f'<span class="scr-num" style="text-align:right">{fmt_count(r.n_flags)}{"条" if _isnum(r.n_flags) else ""}</span></div>')
    note = f'<div class="scr-note">线索为“需核查”,不是结论 · {SUPPRESSED_NOTE}</div>'
    return f'{title}{"".join(rows)}{note}'


def quadrant_html(quads: pd.DataFrame, height: int, big: bool = False) -> str:
    latest, prev = _latest_two(quads)
    if latest is None:
        return empty_html("暂无象限数据:需要任职(assignments)以及任务进度或所任单位的指标数据", height)
    now = quads[quads["period"] == latest].set_index("quadrant")
    before = quads[quads["period"] == prev].set_index("quadrant") if prev else None
    names = list(now.sort_values("seq").index)
    main = names[:4]
    rest = names[4:]

    def tile(name: str, accent: str) -> str:
        n = now["n_people"].get(name)
        p = before["n_people"].get(name) if before is not None and name in before.index else None
        change = (float(n) - float(p)) if _isnum(n) and _isnum(p) else None
        size = 96 if big else 36
        return (f'<div class="scr-tile" style="border-top-color:{accent};display:flex;flex-direction:column;'
                f'justify-content:center"><div class="k">{esc(name)}</div>'
                f'<div class="c scr-num" style="font-size:{size}px">{fmt_count(n)}<small>人</small></div>'
                f'<div class="d">{change_html(change, unit="人", word="较上季")}</div></div>')

    accents = ["#22c55e", "#5cc8ff", "#facc15", "#ef4444"]
    by_pos = dict(zip(main, accents))
    # x = 个人贡献 (right = high), y = 实绩 (top = high): III I / IV II
    layout = [main[2] if len(main) > 2 else None, main[0] if main else None,
              main[3] if len(main) > 3 else None, main[1] if len(main) > 1 else None]
    cells = [tile(n, by_pos[n]) if n else "<div></div>" for n in layout]
    extra = " · ".join(f"{esc(n)} {fmt_count(now['n_people'].get(n))} 人" for n in rest)
    grid_h = height - TITLE_H - 2 * PANEL_PAD_Y - 30
    title = title_html("实绩象限分布(人数)", f"{esc(fmt_period(latest))}")
    return (
        f'<div class="{"scr-bigmode" if big else ""}">'
        f'{title}<div class="scr-quad" style="height:{grid_h}px">'
        f'<div class="ax ay">实绩 高</div>{cells[0]}{cells[1]}'
        f'<div class="ax ay">实绩 低</div>{cells[2]}{cells[3]}'
        f'<div></div><div class="ax">个人贡献 低</div><div class="ax">个人贡献 高 →</div></div>'
        f'<div class="scr-note">{extra}{" · " if extra else ""}只显示人数,不显示姓名 · {SUPPRESSED_NOTE}</div></div>'
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
    year = max(trend["period"].str[:4])
    cur = trend[trend["period"].str.startswith(year)]
    month = {p: period_info(p)[2] for p in cur["period"].unique()}  # months, quarters or a year
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
    if any(hidden):  # a blank bar must not read as zero
        fig.add_trace(go.Scatter(x=[lb for lb, h in zip(labels, hidden) if h], y=[0] * int(sum(hidden)),
                                 mode="text", text=["—"] * int(sum(hidden)), textposition="top center",
                                 textfont=dict(size=18, color=TEXT), showlegend=False, yaxis="y"))
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
    if periods[0][:4] == periods[-1][:4]:
        last = last[5:]  # same year: 2025年1月—12月
    return f"{first}—{last}"


def quadrant_figure(quads: pd.DataFrame, height: int) -> go.Figure:
    fig = go.Figure()
    names = list(quads.sort_values("seq")["quadrant"].unique())[:4] if len(quads) else []  # 不可判定 in the text
    accents = ["#22c55e", "#5cc8ff", "#facc15", "#ef4444", "#64748b"]
    patterns = ["", "/", ".", "x", "-"]
    for i, name in enumerate(names):
        part = quads[quads["quadrant"] == name]
        fig.add_trace(go.Bar(x=[fmt_period(p) for p in part["period"]],
                             y=part["n_people"].astype("Float64").astype(float), name=fmt.plain(name),
                             marker=dict(color=accents[i % 5], pattern=dict(shape=patterns[i % 5]))))
    fig.update_layout(**plotly_layout(
        height, barmode="group",
        title=chart_title("四个象限人数(近6个季度;贡献不确定、不可判定者见左下)"),
        margin=dict(l=54, r=16, t=40, b=78), legend=bottom_legend(height)))
    return fig


# --- rendering (Streamlit) ----------------------------------------------------------------------

def _public(home: Home):
    path = pq.public_file(home)
    meta = pq.meta(path) if path is not None else {}
    return path, meta


def enlarge(fig: go.Figure) -> go.Figure:
    """Bigger type for a chart that fills a carousel panel."""
    fig.update_layout(font=dict(size=19), legend=dict(font=dict(size=18)), title=dict(font=dict(size=22)))
    fig.update_xaxes(tickfont=dict(size=17))
    fig.update_yaxes(tickfont=dict(size=17))
    for a in fig.layout.annotations or ():
        a.font.size = 17
    return fig


def _chart(fig: go.Figure, key: str) -> None:
    if key.endswith("-big"):
        enlarge(fig)
    st.plotly_chart(fig, theme=None, config=PLOTLY_CONFIG, key=key, width="stretch")


def render_header(home: Home, active: str | None) -> None:
    path, meta = _public(home)
    with st.container(key="scr-header"):
        st.html(header_html(meta, dt.datetime.now(), dots_html(active) if active else ""))


def _missing(height: int) -> None:
    st.html(empty_html("当前版本没有大屏公开数据文件(请运行 python -m pipelines rebuild)", height - 2 * PANEL_PAD_Y - 4))


def panel_indicators(home: Home, big: bool = False) -> None:
    path, meta = _public(home)
    with st.container(key="scr-big" if big else "scr-indicators"):
        if path is None:
            return _missing(BODY_H)
        board = pq.indicator_board(path)
        right = f"{esc(fmt_period(meta.get('as_of')))} · 竖线 = 时序进度"
        st.html(title_html("重点指标 · 目标与时序进度", right))
        missing = meta.get("undelivered_core") or ""
        note_h = 22 if missing else 0
        st.html(indicator_board_html(board, BODY_H - TITLE_H - 2 * PANEL_PAD_Y - 14 - note_h, columns=2 if big else 1))
        if missing:
            st.html(f'<div class="scr-note">未报送的核心指标:{esc(missing)}</div>')


def panel_kpi(home: Home, big: bool = False) -> None:
    path, meta = _public(home)
    with st.container(key="scr-big" if big else "scr-kpi"):
        if path is None:
            return _missing(BODY_H if big else KPI_H)
        cards = pq.card_counts(path, months=13)
        latest, _ = _latest_two(cards)
        st.html(title_html("亮牌预警与需核查线索", esc(fmt_period(latest)) if latest else ""))
        wrap = '<div class="scr-bigmode">{}</div>' if big else "{}"
        st.html(wrap.format(card_tiles_html(cards)))
        st.html(wrap.format(flag_tiles_html(pq.flag_counts(path, "severity"), meta.get("has_flags") == "true")))
        st.html(f'<div class="scr-note">线索为“需核查”,不是结论 · {SUPPRESSED_NOTE}</div>')
        if big:
            rate = pq.trends(path, "on_track_rate")
            chart_h = BODY_H - 2 * PANEL_PAD_Y - 420  # under the title, two rows of big tiles and the note
            left, right = st.columns([3, 2])
            with left:
                _chart(cards_figure(cards, rate, chart_h), "chart-cards-big")
            with right:
                st.html(flag_rules_html(pq.flag_counts(path, "rule"), chart_h, meta.get("has_flags") == "true"))


def panel_trends(home: Home, big: bool = False) -> None:
    path, meta = _public(home)
    height = BODY_H if big else TRENDS_H
    with st.container(key="scr-big" if big else "scr-trends"):
        if path is None:
            return _missing(height)
        chart_h = (height - 2 * PANEL_PAD_Y - 12) // (1 if big else 2)
        completion = pq.trends(path, "completion:")
        completion = pd.concat([completion, pq.trends(path, "elapsed")], ignore_index=True)
        cards = pq.card_counts(path, months=12)
        rate = pq.trends(path, "on_track_rate")
        if big:
            left, right = st.columns(2)
            with left:
                _chart(completion_figure(completion, chart_h), "chart-completion-big")
            with right:
                _chart(completion_figure(completion, chart_h, gap=True), "chart-gap-big")
        else:
            _chart(completion_figure(completion, chart_h, gap=True), "chart-gap")
            _chart(cards_figure(cards, rate, chart_h), "chart-cards")


def _rank_page(path, counter_key: str, advance: bool) -> tuple[pd.DataFrame, dict, int, int] | None:
    pages = ranking_pages(pq.ranking_boards(path))
    if not pages:
        return None
    index = int(st.session_state.get(counter_key, -1))
    index = (index + 1) % len(pages) if advance else max(index, 0) % len(pages)
    st.session_state[counter_key] = index  # one small int per session: no growth over weeks
    page = pages[index]
    return pq.ranking(path, page["board"]), page, index, len(pages)


def panel_ranking(home: Home, big: bool = False, advance: bool = True) -> None:
    path, _ = _public(home)
    height = BODY_H if big else RANK_H
    with st.container(key="scr-big" if big else "scr-ranking"):
        if path is None:
            return _missing(height)
        found = _rank_page(path, "scr_rank_page", advance)
        if found is None:
            st.html(title_html("单位排名"))
            st.html(empty_html("暂无单位排名:需要至少 3 个同级单位报送同一项指标", height - TITLE_H - 2 * PANEL_PAD_Y))
            return
        rows, page, index, total = found
        if big:
            first = ranking_pages(pq.ranking_boards(path))[0]
            if index == 0 and total > 1:  # the left half already shows the first page
                rows, page, index, total = _rank_page(path, "scr_rank_page", True)
            left, right = st.columns(2)
            with left:
                st.html(ranking_html(pq.ranking(path, first["board"]), first, height, 0, total, big=True))
            with right:
                st.html(ranking_html(rows, page, height, index, total, big=True))
        else:
            st.html(ranking_html(rows, page, height, index, total))


def panel_quadrants(home: Home, big: bool = False) -> None:
    path, _ = _public(home)
    height = BODY_H if big else QUAD_H
    with st.container(key="scr-big" if big else "scr-quadrants"):
        if path is None:
            return _missing(height)
        quads = pq.quadrant_counts(path, quarters=6)
        if big:
            left, right = st.columns([5, 6])
            with left:
                st.html(quadrant_html(quads, height - 2 * PANEL_PAD_Y, big=True))
            with right:
                _chart(quadrant_figure(quads, height - 2 * PANEL_PAD_Y - 4), "chart-quadrants-big")
        else:
            st.html(quadrant_html(quads, height - 2 * PANEL_PAD_Y))


BIG_PANELS = {
    "indicators": panel_indicators,
    "ranking": panel_ranking,
    "alerts": panel_kpi,
    "quadrants": panel_quadrants,
    "trends": panel_trends,
}


def render_overview(home: Home, fragments: bool = True) -> None:
    """All panels on one 1920×1080 page; each in its own fragment unless ``fragments`` is False
    (inside the carousel, whose own fragment refreshes them)."""
    wrap = (lambda fn, every: st.fragment(run_every=every)(fn)) if fragments else (lambda fn, every: fn)
    c1, c2, c3 = st.columns([36, 32, 32])
    with c1:
        wrap(panel_indicators, REFRESH_SECONDS)(home)
    with c2:
        wrap(panel_kpi, REFRESH_SECONDS)(home)
        wrap(panel_trends, REFRESH_SECONDS)(home)
    with c3:
        wrap(panel_ranking, PAGE_SECONDS)(home)
        wrap(panel_quadrants, REFRESH_SECONDS)(home)


def render_screen(home: Home, params) -> None:
    """The whole big screen for the URL's parameters (see :func:`screen_mode`)."""
    st.html(theme_css())
    mode, seconds, panel = screen_mode(params)
    if mode == "overview":
        st.fragment(run_every=HEADER_SECONDS)(render_header)(home, None)
        render_overview(home)
    elif mode == "panel":
        st.fragment(run_every=HEADER_SECONDS)(render_header)(home, panel)
        every = PAGE_SECONDS if panel == "ranking" else REFRESH_SECONDS
        st.fragment(run_every=every)(BIG_PANELS[panel])(home, big=True)
    else:
        st.fragment(run_every=seconds)(_carousel)(home)


def _carousel(home: Home) -> None:
    """One fragment: every tick shows the next panel (header included, so the dots follow)."""
    names = list(PANELS)
    index = (int(st.session_state.get("scr_carousel", -1)) + 1) % len(names)
    st.session_state["scr_carousel"] = index
    name = names[index]
    render_header(home, name)
    if name == "overview":
        render_overview(home, fragments=False)
    else:
        BIG_PANELS[name](home, big=True)
