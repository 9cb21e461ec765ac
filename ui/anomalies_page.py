"""The 异常预警 page's content (pages/anomalies.py keeps the widgets and the layout): the marks a
flag carries, the filter options, the table, the flag's detail and the rules' precision."""
from __future__ import annotations

from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from models.period import Period, span_label
from pipelines.state import MARK_STATUSES
from ui import desk_queries as q
from ui import format as fmt
from ui.desk_charts import series_figure, task_figure
from ui.queries import Scope

ALL_YEARS = "全部年份"
SEVERITIES = ["红", "橙", "黄"]
LEVELS = {"series": "指标序列", "task": "任务", "cadre": "360度评价"}
STATUSES = ["未标记", *MARK_STATUSES]
OPEN = ["未标记", "属实"]  # shown by default: still to check, or confirmed and not yet dealt with


def _column(flags: pd.DataFrame, name: str) -> pd.Series:
    return flags[name] if name in flags else pd.Series([None] * len(flags), index=flags.index)


def with_marks(flags: pd.DataFrame, latest: dict) -> pd.DataFrame:
    """``status`` and ``mark_label`` per flag: the version's status (marks and 核验记录 at build
    time), overridden by an entry saved since, so a saved conclusion shows at once, before the
    rebuild has carried it into the version. ``built_status`` keeps the version's own."""
    built = _column(flags, "status")
    found = [latest[f][1] if f in latest else c for f, c in zip(flags["flag_id"], _column(flags, "check_result"))]
    flags["built_status"] = built
    flags["status"] = [latest[f][0] if f in latest else (b if isinstance(b, str) and b else "未标记")
                       for f, b in zip(flags["flag_id"], built)]
    flags["mark_label"] = [s if not isinstance(c, str) or c == s else f"{s}·{c}"
                           for s, c in zip(flags["status"], found)]
    flags["year"] = [str(p.year) if p else "" for p in map(Period.try_parse, flags["period_end"])]
    return flags


def years(flags: pd.DataFrame, as_of: str) -> tuple[list[str], str]:
    """The year options (newest first, then 全部年份) and the default: the as-of year."""
    options = [*sorted(flags["year"].unique(), reverse=True), ALL_YEARS]
    last = Period.try_parse(as_of)
    return options, str(last.year) if last and str(last.year) in options else options[0]


def select(flags: pd.DataFrame, year: str, severities: list, levels: list, rules: list, statuses: list,
           show_suppressed: bool) -> pd.DataFrame:
    view = flags[flags["severity"].isin(severities) & flags["level"].isin(levels) & flags["status"].isin(statuses)
                 & ((flags["year"] == year) if year != ALL_YEARS else True)]
    if rules:
        view = view[view["rule"].isin(rules)]
    if not show_suppressed:
        view = view[~view["suppressed"].fillna(False).astype(bool)]
    return view


def precision_table(flags: pd.DataFrame, entries: pd.DataFrame) -> pd.DataFrame:
    """Each rule's share confirmed among the flags checked so far (marks in the version and saved since)."""
    from models.anomaly import rule_precision  # scikit-learn behind it: loaded only when asked

    # the version's status of a checked flag, older than anything saved on the desk since
    checked = flags["check_id"].notna() if "check_id" in flags else pd.Series(False, index=flags.index)
    by_check = pd.DataFrame({"flag_id": flags.loc[checked, "flag_id"], "status": flags.loc[checked, "built_status"],
                             "marked_at": pd.Timestamp("1970-01-01")})
    feedback = pd.concat([by_check, entries[["flag_id", "status", "marked_at"]]], ignore_index=True)
    return fmt.rule_precision_table(rule_precision(flags, feedback))


def table(view: pd.DataFrame) -> pd.DataFrame:
    return fmt.cells(view.assign(
        期间=[span_label(a, b) for a, b in zip(view["period_start"], view["period_end"])],
        证据强度=view["score"].round(1),
    )[["severity", "rule", "subject", "unit_name", "期间", "证据强度", "mark_label", "reason"]].rename(columns={
        "severity": "等级", "rule": "规则", "subject": "对象", "unit_name": "单位", "mark_label": "标记", "reason": "原因"}))


def briefing_link(flag: dict) -> str:
    """The briefing page with the flag's unit and cadre in its basket (comma-separated lists)."""
    basket = {k: flag.get(c) for k, c in (("units", "unit_id"), ("cadres", "cadre_id"))}
    return "./briefing?" + urlencode({k: v for k, v in basket.items() if isinstance(v, str) and v})


def detail(scope: Scope, flag: dict) -> None:
    """The flag's series or task progress beside its reason, check hint and rules."""
    st.subheader(" · ".join(fmt.md(flag[k]) for k in ("severity", "rule", "subject", "unit_name")))
    left, right = st.columns([3, 2])
    with left:
        if flag["level"] == "series":
            series = q.indicator_series(scope, flag["unit_id"], flag["indicator"])
            st.plotly_chart(series_figure(series, flag, flag["unit_name"]), width="stretch")
        elif flag["level"] == "task":
            st.plotly_chart(task_figure(q.task_progress(scope, flag["task_id"]), flag), width="stretch")
        else:  # a 360 rating flag: the scores behind it are on the cadre's profile
            st.caption("360度评价线索:各评价主体的打分见干部画像的“多维评价”。")
            if flag.get("cadre_id"):
                st.page_link("pages/cadre.py", label="打开干部画像", query_params={"cadre": flag["cadre_id"]})
    with right:
        st.markdown("**原因**")
        st.text(flag["reason"])
        st.markdown("**现场核查**")
        st.text(flag["check_hint"])
        st.markdown("**触发的全部规则**")
        st.text(str(flag["rules"]).replace(";", "、"))
        if pd.notna(flag.get("actual")):
            st.text(f"实际 {fmt.figure(flag['actual'])} · 预期 {fmt.figure(flag['expected'])} · "
                    f"同类中位数 {fmt.figure(flag['peer_median'])}"
                    f"({flag.get('measure') or ''})")
        if pd.notna(flag.get("iforest_score")):
            st.caption(f"孤立森林第二意见:{flag['iforest_score']:.2f}(越高越异常)")
    st.link_button("加入考察简报", briefing_link(flag), icon=":material/assignment_add:",
                   help="打开考察准备简报,本条预警的单位和干部已放入考察篮")
