"""Presentation shared by the 干部画像 and 单位档案 pages: task tables with verified and reported
progress side by side, the 需核查 list, Chinese units and date ticks.

Local formatting helpers (``points``, ``rule_text``) live here rather than in :mod:`ui.format`
while that module is being reworked; ``measure`` is its one magnitude rule.
"""
from __future__ import annotations

import re
from typing import Any

import pandas as pd
import streamlit as st

from models.period import Period
from ui import charts
from ui import format as fmt

CHECK_CAPTION = ("标“(核验)”的实际进度来自现场核验记录,亮牌和得分都按核验数计算;“填报”为单位原报数,"
                 "“核验记录”为核验记录编号。")
CHECK_VALUE_CAPTION = "标“(核验)”的数值来自现场核验记录,得分和色档按核验数计算;“填报”为单位原报数。"
# Display words for machine units of contributions and gaps.
UNIT_WORDS = {"SD": "标准差", "pp": "个百分点"}
_PP = re.compile(r"(?<=\d)\s*pp")


def points(v: Any, digits: int = 1) -> str:
    """A difference of percentages, signed, in 个百分点: "+2.5 个百分点"."""
    return fmt.DASH if fmt.is_missing(v) else f"{fmt.number(v, digits, signed=True)} 个百分点"


def rule_text(rule: Any) -> str:
    """A card rule as the model writes it ("差距-16.4pp‹-10pp→黄") with 个百分点 for pp."""
    return fmt.DASH if fmt.is_missing(rule) or not str(rule) else _PP.sub("个百分点", str(rule))


def measure(v: Any, unit: str | None, digits: int = 1, signed: bool = False) -> str:
    """A value in its indicator unit with the one magnitude rule of :func:`ui.format.with_unit`
    ("3.58 亿千瓦时" beside "24.01 亿元"; 标准差 and 个百分点 for SD and pp)."""
    return fmt.with_unit(v, UNIT_WORDS.get((unit or "").strip(), unit), digits, signed)


def display_units(units: dict[str, str]) -> dict[str, str]:
    """Indicator units with the machine words (SD, pp) in Chinese, for the contribution tables."""
    return {k: UNIT_WORDS.get(v, v) for k, v in units.items()}


def has_check(frame: pd.DataFrame) -> bool:
    return "check_id" in frame and bool(frame["check_id"].notna().any())


def progress_columns(tasks: pd.DataFrame) -> dict[str, list[str]]:
    """计划 / 实际 / 填报 / 核验记录 of a task table: 实际 is the figure the card uses, marked
    (核验) where a 核验记录 replaced the report; 填报 and 核验记录 only where a check did."""
    checked = tasks["check_id"].notna() if "check_id" in tasks else pd.Series(False, index=tasks.index)
    reported = tasks["reported_pct"] if "reported_pct" in tasks else pd.Series(None, index=tasks.index)
    out = {
        "计划": [fmt.pct_value(v, 0) for v in tasks["planned_pct"]],
        "实际": [fmt.pct_value(v, 0) + ("(核验)" if c else "") for v, c in zip(tasks["actual_pct"], checked)],
    }
    if checked.any():
        out["填报"] = [fmt.pct_value(r, 0) if c else fmt.DASH for r, c in zip(reported, checked)]
        out["核验记录"] = [fmt.text(k) if c else fmt.DASH for k, c in zip(tasks["check_id"], checked)]
    return out


def task_table(tasks: pd.DataFrame, who: dict[str, list[str]]) -> pd.DataFrame:
    """The task table of both pages; ``who`` holds the page's own person columns."""
    return pd.DataFrame({
        "任务": tasks["title"], "年度": tasks["year"].astype(str), "类别": tasks["category"], **who,
        "最新月份": [fmt.period_label(p) for p in tasks["last_period"]],
        **progress_columns(tasks),
        "差距": [points(v) for v in tasks["gap_pp"]],
        "状态": tasks["status"],
        "亮牌": tasks["card"].fillna(fmt.DASH),
        "黄/橙/红(月次)": [f"{a}/{b}/{r}" for a, b, r in zip(tasks["n_yellow"], tasks["n_orange"], tasks["n_red"])],
        "依据": [rule_text(r) for r in tasks["card_rule"]],
    })


def show_tasks(tasks: pd.DataFrame, who: dict[str, list[str]], max_height: int = 460) -> None:
    table = task_table(tasks, who)
    st.dataframe(fmt.style_cards(fmt.cells(table), ["亮牌"]), hide_index=True, width="stretch",
                 height=min(35 * (len(table) + 1) + 3, max_height),
                 column_config={"核验记录": st.column_config.TextColumn(help="替换了单位填报数的现场核验记录编号")})
    if has_check(tasks):
        st.caption(CHECK_CAPTION)


def row_labels(ids: pd.Series, titles: pd.Series, checked: set, width: int = 14) -> dict[str, str]:
    """A short, unique row label per task for charts: the title cut to ``width`` characters,
    "·核验" where a check replaced a figure, "(2)", "(3)" … where titles repeat (never the id)."""
    out: dict[str, str] = {}
    for tid, title in dict(zip(ids, titles)).items():
        t = fmt.text(title, "未命名任务")
        label = (t if len(t) <= width else t[: width - 1] + "…") + ("·核验" if tid in checked else "")
        base, n = label, 1
        while label in out.values():
            n += 1
            label = f"{base}({n})"
        out[tid] = label
    return out


FLAG_COLUMNS = {"severity": "等级", "rule": "规则", "indicator": "指标", "period_start": "起", "period_end": "止",
                "reason": "原因", "check_hint": "核查要点"}


def show_flags(flags: pd.DataFrame | None, ind_names: dict, subject: str, names: dict[str, dict]) -> None:
    """The 需核查 tab: live flags with periods, names and indicators in Chinese. ``names`` maps
    an id column (unit_id, cadre_id, task_id) to {id: 名称} and its column title."""
    if flags is None:
        st.caption("当前数据版本尚未生成异常核查结果。")
        return
    if flags.empty:
        st.caption(f"没有涉及该{subject}的需核查事项。")
        return
    if "suppressed" in flags:
        hidden = flags["suppressed"].fillna(False).astype(bool)
        flags = flags[~hidden]
        if hidden.any():
            st.caption(f"另有 {int(hidden.sum())} 条已说明、不再提示。")
    st.caption("需核查 ≠ 结论:请按“核查要点”到现场核实。")
    view = flags[[c for c in FLAG_COLUMNS if c in flags]].rename(columns=FLAG_COLUMNS)
    if "指标" in view:
        view["指标"] = [fmt.indicator_label(v, ind_names) for v in view["指标"]]
    for col in ("起", "止"):
        if col in view:
            view[col] = [fmt.period_label(p) for p in view[col]]
    for column, (title, lookup) in names.items():
        if column in flags:
            view[title] = [fmt.DASH if fmt.is_missing(v) else lookup.get(v, "不在查看范围") for v in flags[column]]
    st.dataframe(fmt.style_cards(fmt.cells(view), ["等级"]), hide_index=True, width="stretch",
                 column_config={"原因": st.column_config.TextColumn(width="large"),
                                "核查要点": st.column_config.TextColumn(width="large")})


def post_timeline(posts: pd.DataFrame, as_of: str, label: pd.Series, color_key: pd.Series) -> None:
    """The posts as bars up to the end of the as-of month (today when there is no month), one
    per ``label``, coloured by ``color_key``; the hover gives tenure and share."""
    end_date = pd.Timestamp(f"{as_of}-01") + pd.offsets.MonthEnd(0) if len(as_of) == 7 else pd.Timestamp.today()
    view = posts.assign(label=label, color_key=color_key,
                        hover=[fmt.tenure(s, e, sh) for s, e, sh in zip(posts["start"], posts["end"], posts["share"])])
    st.plotly_chart(chinese_dates(charts.assignment_timeline(view, end_date)), key="timeline",
                    config={"displayModeBar": False})


def post_dates(posts: pd.DataFrame) -> dict[str, list]:
    """The 起/止/分工比例 columns of a post table (止 reads 在任 for a post still held)."""
    return {"起": list(pd.to_datetime(posts["start"]).dt.strftime("%Y-%m-%d")),
            "止": [("在任" if fmt.is_missing(e) else f"{pd.Timestamp(e):%Y-%m-%d}") for e in posts["end"]],
            "分工比例": [fmt.pct(v, 0) for v in posts["share"]]}


def chinese_dates(fig):
    """Chinese ticks on a figure's x axis: period categories ("2024-06") read "2024年6月", date
    axes "2024年" with Chinese hover dates (plotly's own words are "Jan 2024")."""
    fig.update_xaxes(selector={"type": "date"}, hoverformat="%Y年%-m月%-d日")
    xs = [str(x) for t in fig.data if getattr(t, "x", None) is not None and getattr(t, "orientation", None) != "h"
          for x in t.x]
    if xs and all(Period.try_parse(x) for x in xs):
        ticks = sorted(set(xs))
        fig.update_xaxes(tickmode="array", tickvals=ticks, ticktext=[fmt.period_label(x) for x in ticks])
    return fig

