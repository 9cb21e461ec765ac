"""Big screen: geometry of the 1920×1080 canvas, dark theme (CSS, plotly template) and the
screen's number and period formatting. Pure functions, no Streamlit calls."""
from __future__ import annotations

import math

import pandas as pd

from models.period import Period
from pipelines.suppression import MIN_GROUP
from ui import format as fmt
from ui import palette

# --- geometry (CSS px of the 1920×1080 design) -------------------------------------------------
# The page is one 1920×1080 canvas scaled as a whole to the viewport (CSS transform, as DataEase's
# 大屏 does): every size below is a canvas pixel at any resolution or device scale factor.
CANVAS_W, CANVAS_H = 1920, 1080
PAD = 10
GAP = 10
HEADER_H = 70
BODY_H = CANVAS_H - 2 * PAD - HEADER_H - GAP          # 980
KPI_H = 350
TRENDS_H = BODY_H - KPI_H - GAP                     # 620
RANK_H = 600
QUAD_H = BODY_H - RANK_H - GAP                      # 370
PANEL_PAD_Y = 10
TITLE_H = 40
PANEL_PAD_X = 14
# Overview columns (st.columns([36, 32, 32])) and the inner width of a panel in each.
BODY_W = CANVAS_W - 2 * PAD
OVERVIEW_COLS = (36, 32, 32)
COL_W = tuple((BODY_W - GAP * (len(OVERVIEW_COLS) - 1)) * c / sum(OVERVIEW_COLS) for c in OVERVIEW_COLS)
INNER_W = tuple(int(w - 2 * PANEL_PAD_X - 2) for w in COL_W)
BIG_INNER_W = int(BODY_W - 2 * PANEL_PAD_X - 2)


def split_w(total: float, weights: tuple[int, ...]) -> list[int]:
    """Widths of st.columns(weights) inside ``total`` canvas px (GAP between them), rounded down."""
    return [int((total - GAP * (len(weights) - 1)) * w / sum(weights)) - 1 for w in weights]

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
    "map": "地图",
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
CARD_COLOURS = palette.CARD
CARD_TEXT = palette.CARD_TEXT
CARD_WORDS = {"绿": "绿牌 正常", "黄": "黄牌 提醒", "橙": "橙牌 警示", "红": "红牌 滞后"}
SEVERITY_COLOURS = palette.SEVERITY
QUADRANT_ACCENTS = [*palette.QUADRANT_BRIGHT.values(), palette.NEUTRAL]
TIER_NOTE = "优 前25% · 良 25–50% · 中 50–75% · 差 后25%"
HIDDEN = "不公开"
SUPPRESSED_NOTE = f"{HIDDEN} = 不足{MIN_GROUP}人或可据此推算出不足{MIN_GROUP}人的组"
LINE_COLOURS = ["#5cc8ff", "#f472b6", "#a3e635", "#fbbf24", "#c084fc", "#2dd4bf"]
LINE_SYMBOLS = ["circle", "square", "diamond", "triangle-up", "x", "star"]


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
    gap = " " if unit and unit != "%" else ""  # "1.23 亿元", "12.5%": the rule of every other page
    if unit in BIG_UNITS and abs(v) >= 10_000:
        return f"{v / 10_000:,.2f} {BIG_UNITS[unit]}"
    if unit == "%":
        return f"{v:.1f}%"
    if unit == "元":
        return f"{v:,.0f} 元"
    if abs(v) >= 1000:
        return f"{v:,.0f}{gap}{unit}"
    return f"{v:,.2f}{gap}{unit}" if abs(v) < 100 else f"{v:,.1f}{gap}{unit}"


def fmt_diff(value, unit: str | None) -> str:
    if not _isnum(value):
        return ""
    sign = "+" if value >= 0 else "−"
    unit = unit or ""
    if unit == "%":
        return f"{sign}{abs(value):.1f} 个百分点"
    return f"{sign}{fmt_value(abs(value), unit)}"


def fmt_period(period: str | None) -> str:
    """'2025-12' → '2025年12月', '2025-Q4' → '2025年四季度', '2025' → '2025年'; an empty value is the dash."""
    return fmt.period_label(period or None)


def short_period(period: str) -> str:
    """An axis label within one year: '2025-03' → '3月', '2025-Q1' → '一季度', '2025' → '2025年'."""
    try:
        p = Period.parse(period)
    except ValueError:
        return str(period)
    return p.label if p.kind == "year" else p.label.removeprefix(f"{p.year}年")


def text_em(text: str) -> float:
    """Width of ``text`` in em of the screen font (a slight overestimate: CJK 1, %·M·W 0.9, others 0.62)."""
    return sum(1.0 if ord(ch) > 0x2E80 else 0.9 if ch in "%MW—" else 0.62 for ch in str(text))


def fit_font(text: str, width: float, base: float, smallest: float = 12, lines: int = 1) -> int:
    """The largest font size ≤ ``base`` (px) at which ``text`` fits ``lines`` lines of ``width`` px.
    Nothing on the wall is cut with an ellipsis: long names get smaller type instead."""
    em = text_em(text) or 1.0
    return int(max(smallest, min(base, width * lines * 0.96 / (em + 0.5 * (lines - 1)))))


def fmt_count(value) -> str:
    """A count; a missing one is a suppressed small group on the wall (see SUPPRESSED_NOTE)."""
    return HIDDEN if not _isnum(value) else f"{int(value):,}"


def count_html(value, unit: str) -> str:
    """A big count with its unit, or 不公开 (smaller, without a unit) for a suppressed group."""
    if not _isnum(value):
        return f'<span class="scr-hidden">{HIDDEN}</span>'
    return f"{int(value):,}<small>{esc(unit)}</small>"


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
html, body, [data-testid="stMain"], [data-testid="stAppViewContainer"] {{ overflow: hidden !important; }}
[data-testid="stMainBlockContainer"] {{
  --scr-scale: min(tan(atan2(100vw, {CANVAS_W}px)), tan(atan2(100vh, {CANVAS_H}px)));
  position: fixed !important; left: 50%; top: 50%; box-sizing: border-box;
  width: {CANVAS_W}px !important; height: {CANVAS_H}px !important; overflow: hidden;
  max-width: none !important; min-width: 0 !important; margin: 0 !important;
  padding: {PAD}px {PAD}px 0 {PAD}px !important;
  transform: translate(-50%, -50%) scale(var(--scr-scale)); transform-origin: 50% 50%;
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
.scr-hidden {{ font-size: .5em; font-weight: 700; color: {MUTED}; letter-spacing: 2px; }}
.scr-exit {{ margin-left: 18px; padding: 4px 12px; border: 1px solid {BORDER}; border-radius: 14px; font-size: 15px;
  color: {MUTED} !important; text-decoration: none !important; white-space: nowrap; opacity: .75; }}
.scr-exit:hover, .scr-exit:focus {{ opacity: 1; color: {TEXT} !important; border-color: {ACCENT}; }}
.scr-good {{ color: {GOOD}; font-weight: 600; }}
.scr-bad {{ color: {BAD}; font-weight: 600; }}
.scr-num {{ font-variant-numeric: tabular-nums; }}
.scr-note {{ font-size: 14px; color: {MUTED}; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }}
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
  white-space: nowrap; overflow: hidden; }}
table.scr-rank td {{ font-size: 19px; color: {TEXT}; padding: 0 6px; border-top: 1px solid rgba(159, 179, 209, .14);
  white-space: nowrap; overflow: hidden; }}
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
.scr-bigmode .scr-note {{ font-size: 17px; }}
.scr-bigmode .scr-quad .scr-tile {{ align-items: center; text-align: center; }}
.scr-empty {{ display: flex; align-items: center; justify-content: center; text-align: center; padding: 0 24px;
              color: {MUTED}; font-size: 20px; line-height: 1.6; }}
</style>"""


SCREEN_JS = """<span style="position:fixed"></span><script>
(() => {
  if (window.__shijiScreen) return;
  window.__shijiScreen = true;
  // Streamlit sizes a plotly chart to its frame's getBoundingClientRect(), which includes the
  // canvas's scale: on a 4K wall the figure would be drawn twice its slot. Those two frames are
  // measured in canvas pixels instead; plotly's own measurements inside the chart are untouched.
  const rect = Element.prototype.getBoundingClientRect;
  Element.prototype.getBoundingClientRect = function () {
    const r = rect.call(this);
    const id = this.getAttribute && this.getAttribute('data-testid');
    if (id !== 'stPlotlyChart' && id !== 'stFullScreenFrame') return r;
    const canvas = this.closest('[data-testid="stMainBlockContainer"]');
    if (!canvas || !canvas.querySelector('.scr-header') || !canvas.offsetWidth) return r;
    const scale = rect.call(canvas).width / canvas.offsetWidth;
    return scale > 0 && Math.abs(scale - 1) > 1e-3 ? new DOMRect(r.x, r.y, r.width / scale, r.height / scale) : r;
  };
  // Esc leaves the wall for the normal pages (the corner button does the same).
  document.addEventListener('keydown', (e) => {
    const exit = document.querySelector('a.scr-exit');
    if (e.key === 'Escape' && exit) exit.click();
  });
})();
</script>"""


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


# Fixed pixel sizes, never "responsive": plotly would measure the scaled canvas on screen
# (getBoundingClientRect) and draw a 4K wall's charts at twice the size of their slot.
PLOTLY_CONFIG = {"displayModeBar": False, "staticPlot": True, "responsive": False}
