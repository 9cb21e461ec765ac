"""Big screen: the HTML of each panel (pure functions of query results; all data text escaped)."""
from __future__ import annotations

import datetime as dt
import math
import re

import pandas as pd

from ui.screen_theme import (  # noqa: I001
    BIG_INNER_W, BIG_UNITS, HIDDEN, INNER_W, QUADRANT_ACCENTS, count_html, fit_font, text_em,
    ACCENT, BAD, CARD_COLOURS, CARD_WORDS, GOOD, PANEL_PAD_Y, PANELS, ROWS_PER_PAGE, SEVERITY_COLOURS,
    SUPPRESSED_NOTE, TIER_NOTE, TITLE_H, _isnum, badge_html, change_html, esc, fmt_count, fmt_diff,
    fmt_period, fmt_value, rank_change_html,
)

# --- panel HTML (pure functions) ---------------------------------------------------------------

def title_html(title: str, right: str = "", width: float | None = None) -> str:
    """A panel title; with ``width`` (px of the panel) a long title gets smaller type, never cut."""
    style = ""
    if width:
        right_px = text_em(re.sub(r"<[^>]+>", "", right)) * 15 + 10
        size = fit_font(title, width - right_px - 15, 22, 14)
        style = f' style="font-size:{size}px"' if size < 22 else ""
    return f'<div class="scr-title"><b{style}>{esc(title)}</b><span>{right}</span></div>'


def empty_html(message: str, height: int) -> str:
    return f'<div class="scr-empty" style="height:{height}px">{esc(message)}</div>'


def header_html(meta: dict, now: dt.datetime, dots: str = "", exit_to: str | None = None) -> str:
    """Title, carousel dots, 数据截至 stamp and (``exit_to``, a page path) the way out of the wall."""
    as_of = fmt_period(meta.get("as_of")) if meta else "—"
    version = esc(meta.get("version", "—")) if meta else "—"
    leave = (f'<a class="scr-exit" href="{esc(exit_to)}" target="_self" title="退出大屏(Esc)">✕ 退出大屏</a>'
             if exit_to else "")
    return (
        '<div class="scr-header">'
        '<div style="display:flex;align-items:baseline"><h1>实绩 · 城市大脑</h1>'
        '<span class="scr-sub">干部实绩监测大屏 · 仅汇总数据</span></div>'
        f'<div class="scr-dots">{dots}</div>'
        f'<div style="display:flex;align-items:center"><div class="scr-stamp"><b>数据截至 {esc(as_of)}</b>'
        f'<div>版本 {version} · 刷新于 {now:%Y-%m-%d %H:%M}</div></div>{leave}</div>'
        '</div>'
    )


def dots_html(active: str) -> str:
    return "".join(f'<span class="{"on" if k == active else ""}">{esc(v)}</span>' for k, v in PANELS.items())


def indicator_board_html(board: pd.DataFrame, height: int, columns: int = 1) -> str:
    """The delivered indicators against target and 时序进度, in ``columns`` columns."""
    if board.empty:
        return empty_html("暂无指标数据:需要报送指标数据表", height)
    per_col = math.ceil(len(board) / columns)
    row_h = int(height // per_col)
    cols_html = []
    for c in range(columns):
        rows = []
        for r in board.iloc[c * per_col:(c + 1) * per_col].itertuples(index=False):
            rows.append(_indicator_row(r, row_h, big=columns > 1))
        cols_html.append(f'<div>{"".join(rows)}</div>')
    grid = f"display:grid;grid-template-columns:repeat({columns}, 1fr);column-gap:36px"
    cls = ' class="scr-bigmode"' if columns > 1 else ""
    return f'<div{cls} style="{grid}">{"".join(cols_html)}</div>'


def _indicator_row(r, row_h: int, big: bool = False) -> str:
    unit = r.unit
    # the name column is what the value and status columns leave (see .scr-ind in the theme)
    base, room = (26, (BIG_INNER_W - 36) / 2 - 250 - 300 - 24) if big else (19, INNER_W[0] - 172 - 196 - 24)
    size = fit_font(str(r.indicator_name), room, base, 13)
    style = f' style="font-size:{size}px"' if size < base else ""
    name = f'<div class="n"{style}>{esc(r.indicator_name)}</div>'
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


def rank_values(scores, unit: str | None) -> tuple[list[str], str]:
    """Ranking values as whole numbers for one board and the unit they are in (one unit per board:
    万元 becomes 亿元 when the largest value reaches 1 亿)."""
    unit = unit or ""
    nums = [float(v) for v in scores if _isnum(v)]
    divisor, shown = 1.0, unit
    if unit in BIG_UNITS and nums and max(abs(v) for v in nums) >= 10_000:
        divisor, shown = 10_000.0, BIG_UNITS[unit]

    def one(v) -> str:
        if not _isnum(v):
            return "暂无"
        x = float(v) / divisor
        if unit in ("分", "%"):
            return f"{x:.1f}{'%' if unit == '%' else ''}"
        if divisor > 1:
            return f"{x:,.2f}"
        return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:,.1f}" if abs(x) >= 100 else f"{x:,.2f}"
    return [one(v) for v in scores], ("" if unit in ("分", "%") else shown)


def ranking_html(rows: pd.DataFrame, page: dict, height: int, index: int, total: int,
                 rows_per_page: int = ROWS_PER_PAGE, big: bool = False, width: float | None = None) -> str:
    """One page of a ranking board. Unit names and values are never cut: the value column is as
    wide as its longest value, and a long unit name wraps onto two lines or gets smaller type."""
    width = width or INNER_W[2]
    title = title_html(f"单位排名 · {page['board_name']}", f"第{index + 1}/{total}页", width)
    body_h = height - TITLE_H - 2 * PANEL_PAD_Y - 26
    row_h = max(28, int((body_h - 30) // rows_per_page))
    td, th = (25, 17) if big else (19, 15)
    measure = page.get("measure") or "得分"
    if len(measure) > 5:  # the board title names the indicator; the column only needs a short label
        measure = "指标值"
    part = rows.iloc[page["start"]:page["start"] + rows_per_page]
    values, shown = rank_values(list(part["score"]), page.get("unit"))
    label = f"{measure}({shown})" if shown else measure
    value_w = int(max([text_em(v) * td for v in values] + [text_em(label) * th]) + 16)
    rank_w, change_w, tier_w = (80, 130, 80) if big else (58, 100, 60)
    name_w = width - rank_w - value_w - change_w - tier_w - 5 * 12 - 2
    head = (f'<tr style="height:30px"><th style="width:{rank_w}px;text-align:center">名次</th><th>单位</th>'
            f'<th style="width:{value_w}px;text-align:right">{esc(label)}</th>'
            f'<th style="width:{change_w}px">较上期</th><th style="width:{tier_w}px">等级</th></tr>')
    body = []
    for r, value in zip(part.itertuples(index=False), values):
        name = str(r.unit_name)
        size = fit_font(name, name_w, td, 14)
        if size < td * 0.8:  # two lines read better than tiny type
            size = min(fit_font(name, name_w, td, 12, lines=2), int((row_h - 2) / 2.3))
            name_td = f'<td class="nm" style="font-size:{size}px;white-space:normal;line-height:1.1">'
        else:
            name_td = f'<td class="nm" style="font-size:{size}px">' if size < td else '<td class="nm">'
        body.append(
            f'<tr style="height:{row_h}px"><td class="r scr-num">{int(r.rank)}</td>{name_td}{esc(name)}</td>'
            f'<td class="sc scr-num">{esc(value)}</td><td>{rank_change_html(r.rank_change)}</td>'
            f'<td>{badge_html(r.tier, r.band)}</td></tr>')
    note = (f'<div class="scr-note">{esc(fmt_period(page["period"]))} · 等级 {TIER_NOTE} · '
            f'较上期 ▲升 ▼降</div>')
    html_ = f'{title}<table class="scr-rank">{head}{"".join(body)}</table>{note}'
    return f'<div class="scr-bigmode">{html_}</div>' if big else html_


def _latest_two(frame: pd.DataFrame) -> tuple[str | None, str | None]:
    periods = sorted(frame["period"].dropna().unique()) if len(frame) else []
    return (periods[-1] if periods else None, periods[-2] if len(periods) > 1 else None)


def change_or_hidden(now, before, *, unit: str, word: str, higher_is_worse: bool = False,
                     had_before: bool = True) -> str:
    """The change line of a tile: blank when the count itself is 不公开, 上月/上季不公开 when only
    the earlier one is, otherwise ▲/▼ with words."""
    if not _isnum(now):
        return "&nbsp;"
    if not had_before:
        return f'<span class="scr-muted">{esc(word)}:无数据</span>'
    if not _isnum(before):
        return f'<span class="scr-muted">{esc(word[1:])}{HIDDEN}</span>'
    return change_html(float(now) - float(before), higher_is_worse=higher_is_worse, unit=unit, word=word)


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
        change = change_or_hidden(n, p, unit="项", word="较上月", higher_is_worse=card != "绿",
                                  had_before=before is not None)
        tiles.append(
            f'<div class="scr-tile" style="border-top-color:{CARD_COLOURS[card]}">'
            f'<div class="k">{esc(CARD_WORDS[card])}</div>'
            f'<div class="c scr-num">{count_html(n, "项任务")}</div><div class="d">{change}</div></div>')
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
            f'<div class="k">{sev}色 需核查线索</div><div class="c scr-num">{count_html(n, "条")}</div></div>')
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
        count = f"{fmt_count(r.n_flags)}条" if _isnum(r.n_flags) else HIDDEN
        size = fit_font(str(r.category), 200, 20, 13)
        rows.append(
            f'<div style="display:grid;grid-template-columns:200px 1fr 80px;align-items:center;column-gap:10px;'
            f'height:46px;font-size:20px"><span style="font-size:{size}px">{esc(r.category)}</span>'
            f'<div class="scr-bar" style="height:18px"><i style="width:{width:.1f}%;background:{ACCENT}"></i></div>'
            f'<span class="scr-num" style="text-align:right">{count}</span></div>')
    return f'{title}{"".join(rows)}'


OTHER_ACCENTS = ["#94a3b8", "#64748b", "#475569"]


def quadrant_html(quads: pd.DataFrame, height: int, big: bool = False) -> str:
    """Four quadrant tiles on 实绩 × 个人贡献 axes and, in a column of their own, the groups that
    are in no quadrant (贡献不确定, 不可判定): often the largest, never a footnote."""
    latest, prev = _latest_two(quads)
    if latest is None:
        return empty_html("暂无象限数据:需要任职(assignments)以及任务进度或所任单位的指标数据", height)
    now = quads[quads["period"] == latest].set_index("quadrant")
    before = quads[quads["period"] == prev].set_index("quadrant") if prev else None
    names = list(now.sort_values("seq").index)
    main = names[:4]
    rest = names[4:4 + 2]

    def tile(name: str, accent: str) -> str:
        n = now["n_people"].get(name)
        p = before["n_people"].get(name) if before is not None and name in before.index else None
        change = change_or_hidden(n, p, unit="人", word="较上季", had_before=before is not None)
        size = 96 if big else 36
        return (f'<div class="scr-tile" style="border-top-color:{accent};display:flex;flex-direction:column;'
                f'justify-content:center"><div class="k">{esc(name)}</div>'
                f'<div class="c scr-num" style="font-size:{size}px">{count_html(n, "人")}</div>'
                f'<div class="d">{change}</div></div>')

    accents = QUADRANT_ACCENTS[:4]
    by_pos = dict(zip(main, accents))
    # x = 个人贡献 (right = high), y = 实绩 (top = high): III I / IV II; the others on the right
    layout = [main[2] if len(main) > 2 else None, main[0] if main else None,
              main[3] if len(main) > 3 else None, main[1] if len(main) > 1 else None]
    cells = [tile(n, by_pos[n]) if n else "<div></div>" for n in layout]
    side = [tile(n, OTHER_ACCENTS[i]) for i, n in enumerate(rest)] + ["<div></div>"] * (2 - len(rest))
    columns = "26px 1fr 1fr" + (" 0.9fr" if rest else "")
    side_axis = '<div class="ax">未归入象限</div>' if rest else ""
    grid_h = height - TITLE_H - 2 * PANEL_PAD_Y - 30
    title = title_html("实绩象限分布(人数)", f"{esc(fmt_period(latest))}")
    return (
        f'<div class="{"scr-bigmode" if big else ""}">'
        f'{title}<div class="scr-quad" style="height:{grid_h}px;grid-template-columns:{columns}">'
        f'<div class="ax ay">实绩 高</div>{cells[0]}{cells[1]}{side[0] if rest else ""}'
        f'<div class="ax ay">实绩 低</div>{cells[2]}{cells[3]}{side[1] if rest else ""}'
        f'<div></div><div class="ax">个人贡献 低</div><div class="ax">个人贡献 高 →</div>{side_axis}</div>'
        f'<div class="scr-note">只显示人数,不显示姓名 · {SUPPRESSED_NOTE}</div></div>'
    )
