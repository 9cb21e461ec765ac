"""异常预警: ranked flags with reasons, the series with the flagged span, the on-site check,
and 核验记录 (属实/已说明/误报/进度不实/成效不实, stored outside the warehouse)."""
import pandas as pd
import streamlit as st

from pipelines.state import MARK_STATUSES
from ui import desk_queries as q
from ui import format as fmt
from ui import profile_queries as pq
from ui.check_form import check_form, latest_status, pending_caption, saved_entries
from ui.data import current_home
from ui.desk_charts import series_figure, task_figure
from ui.session import audit_view, current_scope


def briefing_link(flag: dict) -> str:
    """The briefing page with the flag's unit and cadre in its basket (comma-separated lists)."""
    from urllib.parse import urlencode

    basket = {k: flag.get(c) for k, c in (("units", "unit_id"), ("cadres", "cadre_id"))}
    return "./briefing?" + urlencode({k: v for k, v in basket.items() if isinstance(v, str) and v})


scope = current_scope("anomalies")
home = current_home()
st.title("异常预警")
st.caption("预警是“需核查”事项,不是结论。核验记录保存在数据仓库之外,重建或回退后仍然有效。")
pending_caption(home)

flags = q.flags(scope)
if flags.empty:
    st.info("当前版本没有预警。")
    st.stop()
entries = saved_entries(home)
latest = latest_status(entries)
# The version's status (marks and 核验记录 at build time), overridden by an entry saved since:
# a saved conclusion shows at once, before the rebuild has carried it into the version.
built = flags["status"] if "status" in flags else pd.Series([None] * len(flags), index=flags.index)
found = flags["check_result"] if "check_result" in flags else pd.Series([None] * len(flags), index=flags.index)
found = [latest[f][1] if f in latest else c for f, c in zip(flags["flag_id"], found)]
flags["status"] = [latest[f][0] if f in latest else (b if isinstance(b, str) and b else "未标记")
                   for f, b in zip(flags["flag_id"], built)]
flags["mark_label"] = [s if not isinstance(c, str) or c == s else f"{s}·{c}"
                       for s, c in zip(flags["status"], found)]

params = st.query_params
flags["year"] = flags["period_end"].astype(str).str[:4]
as_of = pq.as_of(scope) or ""
ALL_YEARS = "全部年份"
years = [*sorted(flags["year"].unique(), reverse=True), ALL_YEARS]
wanted = params.get("year") or (as_of[:4] if as_of[:4] in years else years[0])
c0, c1, c2, c3, c4 = st.columns([1.2, 2, 2, 2, 2])
year = c0.selectbox("年份", years, index=years.index(wanted) if wanted in years else 0,
                    placeholder="选择年份", help="默认只看数据截至年份;往年的预警按距今时长降低排序权重")
severities = c1.multiselect("等级", ["红", "橙", "黄"], default=params.get_all("severity") or ["红", "橙", "黄"],
                            placeholder="请选择等级", select_all=False)
LEVELS = {"series": "指标序列", "task": "任务", "cadre": "360度评价"}
levels = c2.multiselect("类型", list(LEVELS), default=params.get_all("level") or list(LEVELS), format_func=LEVELS.get,
                        placeholder="请选择类型", select_all=False)
rules = c3.multiselect("规则", sorted(flags["rule"].unique()), default=params.get_all("rule"),
                       placeholder="不限规则", select_all=False)
statuses = c4.multiselect("标记状态", ["未标记", *MARK_STATUSES], default=params.get_all("status") or ["未标记", "属实"],
                          placeholder="请选择标记状态", select_all=False)
show_suppressed = st.toggle("显示已说明而被抑制的重复预警", value=False)
st.query_params.update({"year": year, "severity": severities, "level": levels, "rule": rules,
                        "status": statuses})

view = flags[flags["severity"].isin(severities) & flags["level"].isin(levels) & flags["status"].isin(statuses)
             & ((flags["year"] == year) if year != ALL_YEARS else True)]
if rules:
    view = view[view["rule"].isin(rules)]
if not show_suppressed:
    view = view[~view["suppressed"].fillna(False).astype(bool)]
audit_view(scope, "anomalies", {"year": year, "severity": severities, "level": levels, "rule": rules,
                                "status": statuses, "suppressed": show_suppressed}, rows=len(view))

m1, m2, m3, m4 = st.columns(4)
m1.metric("预警总数", len(view))
m2.metric("红色", int((view["severity"] == "红").sum()))
m3.metric("涉及单位", view["unit_id"].nunique())
m4.metric("已标记", int(flags["status"].ne("未标记").sum()))
if st.toggle("显示各规则的核实准确率(按已有标记)"):
    from models.anomaly import rule_precision  # scikit-learn behind it: loaded only when asked

    # the version's status of a checked flag, older than anything saved on the desk since
    checked = flags["check_id"].notna() if "check_id" in flags else pd.Series(False, index=flags.index)
    by_check = pd.DataFrame({"flag_id": flags.loc[checked, "flag_id"], "status": built[checked],
                             "marked_at": pd.Timestamp("1970-01-01")})
    feedback = pd.concat([by_check, entries[["flag_id", "status", "marked_at"]]], ignore_index=True)
    st.dataframe(fmt.rule_precision_table(rule_precision(flags, feedback)), hide_index=True, width="stretch")

saved = st.session_state.pop("mark_saved", None)
if saved:
    st.success(saved)

table = view.assign(
    期间=view["period_start"].astype(str) + " → " + view["period_end"].astype(str),
    证据强度=view["score"].round(1),
)[["severity", "rule", "subject", "unit_name", "期间", "证据强度", "mark_label", "reason"]].rename(columns={
    "severity": "等级", "rule": "规则", "subject": "对象", "unit_name": "单位", "mark_label": "标记", "reason": "原因"})
event = st.dataframe(fmt.cells(table), hide_index=True, width="stretch", height=360, on_select="rerun",
                     selection_mode="single-row", key=f"flag_table_{st.session_state.get('flag_table_round', 0)}")
rows = event.selection.rows if event and event.selection else []
if not rows:
    st.caption("在表格中选择一条预警,查看曲线、核查要点并标记。")
    st.stop()

flag = view.iloc[rows[0]].to_dict()
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

saved = check_form(home, scope.identity, flag, f"check_{st.session_state.get('flag_table_round', 0)}")
if saved:
    st.session_state["mark_saved"] = saved
    # a fresh table: the row numbers of the old selection may point at another flag now
    st.session_state["flag_table_round"] = st.session_state.get("flag_table_round", 0) + 1
    st.rerun()
