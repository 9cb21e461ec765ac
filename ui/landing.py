"""Presentation of the landing page (数据概况): tables and sentences from ui.landing_queries.

Pure functions (no Streamlit, no DuckDB): every number is formatted with ui.format, and a
missing value reads as a word, never nan/None.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from models.period import Period
from pipelines.contract import TABLES
from ui import format as fmt

# Each audience's page, linked at the top for the roles that may open it: (url_path, script, label, icon).
AUDIENCE_PAGES = [("screen", "pages/screen.py", "城市大脑大屏", ":material/monitor:"),
                  ("quadrants", "pages/quadrants.py", "实绩象限", ":material/scatter_plot:"),
                  ("anomalies", "pages/anomalies.py", "异常预警", ":material/flag:"),
                  ("briefing", "pages/briefing.py", "考察准备", ":material/assignment:"),
                  ("data", "pages/data.py", "数据管理", ":material/database:")]
# What a table with no rows means for the pages (said in the data-status expander).
MISSING_MEANS = {
    "indicators": "使用内置指标字典(未定义本县自己的指标)",
    "units": "没有单位名录,单位档案与按单位的统计无法显示",
    "cadres": "没有干部名录,干部画像、实绩象限无法显示",
    "assignments": "没有任职记录,个人贡献、实绩象限无法计算",
    "indicator_values": "没有指标数据,核心指标完成情况、指标预警无法计算",
    "tasks": "没有重点任务,任务亮牌与任务预警无法计算",
    "task_progress": "没有任务进度,任务亮牌无法计算",
    "ratings": "没有360度评价,综合得分只用实绩部分",
    "projects": "没有招商项目,项目转化漏斗无法计算",
    "enterprises": "没有企业名录,亩均效益无法计算",
    "enterprise_years": "没有企业年度数据,亩均效益无法计算",
    "checks": "没有核验记录,预警均按未核查处理",
}
CARD_RANK = {"绿": 0, "黄": 1, "橙": 2, "红": 3}
GOOD = {"快于时序", "达到目标"}
STATUS_COLOURS = {"快于时序": fmt.CARD_BACKGROUNDS["绿"], "达到目标": fmt.CARD_BACKGROUNDS["绿"],
                  "慢于时序": fmt.CARD_BACKGROUNDS["橙"], "低于目标": fmt.CARD_BACKGROUNDS["橙"]}
HEADLINE_NOTE = ("总量指标(全年累计,如一般公共预算收入)看完成率与时序进度(已过月份 ÷ 12)之差;"
                 "增速、比率和均值指标看实际值与目标之差。口径“合计”“平均”为所列单位的合计或平均,"
                 "上下级都报数的只计一次;只有一个单位报送的写单位名称。")


def points(v: Any, digits: int = 1) -> str:
    """A difference of percentages in 个百分点, signed: "+2.6 个百分点"."""
    return fmt.DASH if fmt.is_missing(v) else f"{fmt.number(v, digits, signed=True)} 个百分点"


def scope_text(scope, n_units: int | None = None) -> str:
    if scope.units is None:
        return "全县"
    return f"本人负责的 {n_units if n_units is not None else len(scope.units)} 个单位"


def headline_table(board: pd.DataFrame) -> pd.DataFrame:
    """One row per core indicator: value, target, 完成率, 时序进度 and the gap, in its unit."""
    rows = []
    for r in board.itertuples(index=False):
        progress = r.mode == "progress"
        rate = (r.unit or "").strip() == "%"
        # a level (rate, mean) is read to the hundredth: 2.91 % against 2.95 % must not read as 0.0
        digits = 1 if progress else 2
        gap = points(r.gap, digits) if progress or rate else fmt.with_unit(r.gap, r.unit, 2, signed=True)
        rows.append({
            "指标": fmt.text(r.indicator_name), "期间": fmt.period_label(r.period),
            "口径": fmt.text(r.aggregation), "实际": fmt.with_unit(r.value, r.unit, 2 if rate else 1),
            "目标": fmt.with_unit(r.target, r.unit, 2 if rate else 1),
            "完成率": fmt.DASH if rate and not progress else fmt.pct(r.completion),
            "时序进度": fmt.pct(r.elapsed, 0) if progress else "不适用",
            "差距": gap, "状态": fmt.text(r.status),
        })
    return pd.DataFrame(rows, columns=["指标", "期间", "口径", "实际", "目标", "完成率", "时序进度", "差距", "状态"])


def style_headline(table: pd.DataFrame):
    return table.style.map(lambda v: f"background-color: {STATUS_COLOURS[v]}" if v in STATUS_COLOURS else "",
                           subset=["状态"])


def headline_summary(board: pd.DataFrame) -> str:
    good = int(board["status"].isin(GOOD).sum())
    behind = int(board["status"].isin({"慢于时序", "低于目标"}).sum())
    return f"有目标的核心指标 {len(board)} 项:**{good} 项**达到目标或快于时序,**{behind} 项**低于目标或慢于时序。"


def card_line(cards: pd.DataFrame) -> str:
    counts = cards["card"].value_counts()
    return "、".join(f"{c} {int(counts.get(c, 0))}" for c in ("红", "橙", "黄", "绿"))


def flags_of_year(flags: pd.DataFrame, as_of: str) -> tuple[str, pd.DataFrame, int]:
    """(year, its flags, how many end in the as-of month): the as-of year, as the 异常预警 page
    opens, else the latest year that has flags."""
    ends = flags["period_end"].map(Period.try_parse)
    years = ends.map(lambda p: str(p.year) if isinstance(p, Period) else "")
    last = Period.try_parse(as_of)
    year = str(last.year) if last and str(last.year) in set(years) else str(years.max())
    mine = flags[years == year]
    new = sum(isinstance(p, Period) and p.last_month == last.last_month for p in ends[years == year]) if last else 0
    return year, mine, int(new)


def top_units(frame: pd.DataFrame, n: int = 5) -> list[tuple[str, str, int]]:
    """(unit_id, name, count) of the units with the most rows, most first."""
    if frame.empty:
        return []
    g = frame.groupby("unit_id", dropna=True).agg(label=("unit_name", "first"), n=("unit_id", "size"))
    g = g.sort_values(["n", "label"], ascending=[False, True]).head(n)
    return [(u, fmt.text(label, u), int(k)) for u, label, k in zip(g.index, g["label"], g["n"])]


def top_cadres(frame: pd.DataFrame, n: int = 5) -> list[tuple[str, str, int]]:
    """(cadre_id, name, count) of the cadres (seen in full) with the most rows."""
    if frame.empty or "cadre_id" not in frame:
        return []
    named = frame[frame["cadre_id"].notna()]
    if named.empty:
        return []
    names = named.get("cadre_name", named["cadre_id"])
    g = named.assign(_name=names).groupby("cadre_id").agg(label=("_name", "first"), n=("cadre_id", "size"))
    g = g.sort_values(["n", "label"], ascending=[False, True]).head(n)
    return [(c, fmt.text(label, c), int(k)) for c, label, k in zip(g.index, g["label"], g["n"])]


def quadrant_counts(frame: pd.DataFrame, names: dict) -> dict:
    """Counts of the latest quarter: 已判定 by quadrant (in the policy's order), 不确定, 不可判定."""
    status = frame["x_status"].fillna("unidentified")
    placed = frame[status == "determined"]
    order = [names[k] for k in ("high_high", "high_low", "low_high", "low_low") if k in names]
    by_quadrant = {q: int((placed["quadrant"] == q).sum()) for q in order}
    for q in sorted(set(placed["quadrant"].dropna()) - set(order)):
        by_quadrant[q] = int((placed["quadrant"] == q).sum())
    return {"period": frame["period"].iloc[0], "total": int(len(frame)), "determined": int(len(placed)),
            "by_quadrant": by_quadrant, "uncertain": int((status == "uncertain").sum()),
            "unidentified": int((status == "unidentified").sum())}


def row_table(rows: dict[str, int]) -> pd.DataFrame:
    """Row counts per table in Chinese; an empty table reads 未提供 with what that means."""
    out = []
    for name, n in rows.items():
        zh = TABLES[name].zh if name in TABLES else name
        n = 0 if fmt.is_missing(n) else int(n)
        out.append({"数据表": zh, "行数": fmt.number(n, 0) if n else "未提供",
                    "说明": "" if n else MISSING_MEANS.get(name, "该表没有数据")})
    return pd.DataFrame(out, columns=["数据表", "行数", "说明"])


def row_delta_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Only the tables whose row count changed: before, now and the change."""
    changed = rows[rows["delta"] != 0]
    return pd.DataFrame({
        "数据表": [TABLES[t].zh if t in TABLES else t for t in changed["table"]],
        "上一版本": [fmt.number(v, 0) for v in changed["before"]],
        "当前版本": [fmt.number(v, 0) for v in changed["now"]],
        "变化": [fmt.number(v, 0, signed=True) for v in changed["delta"]],
    })


def card_change_line(cards: pd.DataFrame) -> str:
    if cards.empty:
        return "各任务最新亮牌的颜色没有变化。"
    worse = int(cards["worse"].sum())
    return f"{len(cards)} 项任务的最新亮牌变了颜色:{worse} 项变差,{len(cards) - worse} 项好转。"


def changes_line(diff: dict) -> str:
    """What changed since the previous version, in one sentence (new flags, cards)."""
    return (f"上一版本 {diff['version']}(数据截至 {fmt.period_label(diff['as_of'] or None)})以来:"
            f"新增预警 **{len(diff['new_flags'])}** 条;{card_change_line(diff['cards'])}")


def version_caption(status: dict) -> str:
    return (f"发布时间 {fmt.text(status['published_at']).replace('T', ' ')} · 已导入批次 {status['batches']} 个"
            f" · 保留版本 {len(status['versions'])} 个")


def worse_cards(cards: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The tasks whose latest card got worse since the previous version, worst first."""
    worse = cards[cards["worse"]].copy() if len(cards) else cards
    if worse.empty:
        return pd.DataFrame(columns=["任务", "单位", "上一版本", "当前版本"])
    worse["_rank"] = worse["card"].map(CARD_RANK)
    worse = worse.sort_values(["_rank", "task_id"], ascending=[False, True]).head(n)
    return pd.DataFrame({
        "任务": [fmt.text(t) for t in worse["title"]], "单位": [fmt.text(u) for u in worse["unit_name"]],
        "上一版本": [f"{fmt.text(c)}({fmt.period_label(p)})" for c, p in zip(worse["card_before"], worse["period_before"])],
        "当前版本": [f"{fmt.text(c)}({fmt.period_label(p)})" for c, p in zip(worse["card"], worse["period"])],
    })
