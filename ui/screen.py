"""城市大脑大屏: URL modes and the Streamlit rendering of the big screen (pages/screen.py is the page;
ui/screen_theme.py geometry, theme and formatting; ui/screen_panels.py panel HTML; ui/screen_figures.py charts).

Design: one 1920×1080 canvas, no scrolling, scaled as a whole to the viewport by a CSS transform
(1366×768 … 3840×2160, any device scale factor; other aspect ratios are letterboxed); charts get
fixed canvas-pixel sizes. Esc or the corner button leaves for the normal pages. Every panel is
a fixed-height block and refreshes in its own ``st.fragment(run_every=...)``; the ranking board
pages itself; ``?rotate=20s`` turns the body into a carousel of panels on one URL,
``?panel=<name>`` pins one panel.

Only the PUBLIC file is read (ui/public_queries.py): aggregates, no names of people.
Colour is never the only cue: arrows (▲▼), words (快于时序, 优/良/中/差, 红牌) and legends
carry the meaning too. All text from data is escaped: fmt.html_text in HTML, fmt.plain in plotly.
"""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from pipelines.home import Home
from ui import public_queries as pq
from ui.format import plain
from ui.maps import choropleth
from ui.screen_figures import cards_figure, completion_figure, enlarge, quadrant_figure
from ui.screen_panels import (  # noqa: F401 (the pure helpers are part of this module's interface)
    _latest_two, card_tiles_html, dots_html, empty_html, flag_rules_html, flag_tiles_html, header_html,
    indicator_board_html, quadrant_html, rank_values, ranking_html, ranking_pages, title_html,
)
from ui.screen_theme import (  # noqa: F401
    BIG_INNER_W, BODY_H, BODY_W, CANVAS_H, CANVAS_W, COL_W, DEFAULT_ROTATE, GAP, HEADER_H, HEADER_SECONDS, HIDDEN,
    INNER_W, KPI_H, PAD, PAGE_SECONDS, PANEL_PAD_Y, PANELS, PLOTLY_CONFIG, QUAD_H, RANK_H, REFRESH_SECONDS,
    ROTATE_RANGE, ROWS_PER_PAGE, SCREEN_JS, SUPPRESSED_NOTE, TITLE_H, TRENDS_H, badge_html, change_html, esc,
    fit_font, fmt_diff, fmt_period, fmt_value, rank_change_html, split_w, text_em, theme_css,
)


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


# --- rendering (Streamlit) ----------------------------------------------------------------------

def _public(home: Home):
    path = pq.public_file(home)
    meta = pq.meta(path) if path is not None else {}
    return path, meta


def _chart(fig: go.Figure, key: str, width: int) -> None:
    """A chart of a fixed canvas size (``width`` × the figure's height)."""
    if key.endswith("-big"):
        enlarge(fig)
    fig.update_layout(width=width, autosize=False)
    st.plotly_chart(fig, theme=None, config=PLOTLY_CONFIG, key=key, width="content")


def render_header(home: Home, active: str | None) -> None:
    path, meta = _public(home)
    with st.container(key="scr-header"):
        st.html(header_html(meta, dt.datetime.now(), dots_html(active) if active else "",
                            st.session_state.get("scr_exit_to")))


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
                _chart(cards_figure(cards, rate, chart_h), "chart-cards-big", split_w(BIG_INNER_W, (3, 2))[0])
            with right:
                st.html(flag_rules_html(pq.flag_counts(path, "rule"), chart_h, meta.get("has_flags") == "true"))


def panel_trends(home: Home, big: bool = False) -> None:
    path, meta = _public(home)
    height = BODY_H if big else TRENDS_H
    with st.container(key="scr-big" if big else "scr-trends"):
        if path is None:
            return _missing(height)
        # overview: two charts and the 不公开 note (the card chart marks hidden months)
        chart_h = (height - 2 * PANEL_PAD_Y - 12) if big else (height - 2 * PANEL_PAD_Y - 2 - 12 - 30) // 2
        completion = pq.trends(path, "completion:")
        completion = pd.concat([completion, pq.trends(path, "elapsed")], ignore_index=True)
        cards = pq.card_counts(path, months=12)
        rate = pq.trends(path, "on_track_rate")
        if big:
            left, right = st.columns(2)
            with left:
                _chart(completion_figure(completion, chart_h), "chart-completion-big", split_w(BIG_INNER_W, (1, 1))[0])
            with right:
                _chart(completion_figure(completion, chart_h, gap=True), "chart-gap-big",
                       split_w(BIG_INNER_W, (1, 1))[1])
        else:
            _chart(completion_figure(completion, chart_h, gap=True), "chart-gap", INNER_W[1])
            _chart(cards_figure(cards, rate, chart_h), "chart-cards", INNER_W[1])
            st.html(f'<div class="scr-note">{SUPPRESSED_NOTE}</div>')


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
                st.html(ranking_html(pq.ranking(path, first["board"]), first, height, 0, total, big=True,
                                     width=split_w(BIG_INNER_W, (1, 1))[0]))
            with right:
                st.html(ranking_html(rows, page, height, index, total, big=True,
                                     width=split_w(BIG_INNER_W, (1, 1))[1]))
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
                _chart(quadrant_figure(quads, height - 2 * PANEL_PAD_Y - 4), "chart-quadrants-big",
                       split_w(BIG_INNER_W, (5, 6))[1])
        else:
            st.html(quadrant_html(quads, height - 2 * PANEL_PAD_Y))


def panel_map(home: Home, big: bool = True, advance: bool = True) -> None:
    """The county's own boundaries coloured by one ranking board at a time (the board turns with
    the ranking's pace), its ranking beside the map."""
    path, _ = _public(home)
    with st.container(key="scr-big"):
        if path is None:
            return _missing(BODY_H)
        shapes = pq.unit_boundaries(path)
        found = _rank_page(path, "scr_map_board", advance) if len(shapes) else None
        if found is None:
            st.html(title_html("单位分布地图"))
            reason = ("批次中没有单位边界(可随数据附 units.geojson,要素属性 unit_id)" if shapes.empty
                      else "暂无单位排名:需要至少 3 个同级单位报送同一项指标")
            st.html(empty_html(reason, BODY_H - TITLE_H - 2 * PANEL_PAD_Y))
            return
        rows, page, index, total = found
        shown, unit = rank_values(rows["score"], rows["unit"].iloc[0])
        rows = rows.assign(value=rows["score"], text=[f"{v} {unit}".strip() for v in shown])
        left_w, right_w = split_w(BIG_INNER_W, (3, 2))
        left, right = st.columns([3, 2])
        with left:
            st.html(title_html(f"单位分布 · {page['board_name']}", esc(fmt_period(page.get("period"))),
                               width=left_w))
            fig = choropleth(shapes, rows, measure=plain(page.get("measure") or ""), dark=True, label_size=15,
                             height_px=BODY_H - TITLE_H - 2 * PANEL_PAD_Y - 16)
            _chart(fig, "chart-map-big", left_w)
        with right:
            st.html(ranking_html(rows, page, BODY_H, index, total, big=True, width=right_w))


BIG_PANELS = {
    "indicators": panel_indicators,
    "ranking": panel_ranking,
    "alerts": panel_kpi,
    "quadrants": panel_quadrants,
    "trends": panel_trends,
    "map": panel_map,
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


def render_screen(home: Home, params, exit_to: str | None = None) -> None:
    """The whole big screen for the URL's parameters (see :func:`screen_mode`); ``exit_to`` is the
    page the corner button and Esc lead to (None: a wall account with no other page)."""
    st.session_state["scr_exit_to"] = exit_to
    st.html(theme_css())
    st.html(SCREEN_JS, unsafe_allow_javascript=True)
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