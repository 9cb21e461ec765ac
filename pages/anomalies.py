"""异常预警: ranked flags with reasons, the series with the flagged span, the on-site check,
and 核验记录 (属实/已说明/误报/进度不实/成效不实, stored outside the warehouse). The filters live
in the URL (ui.url_state): 数据概况 links here with ?year=…&severity=红&status=…
Widgets and layout only: the content is drawn by ui.anomalies_page."""
import streamlit as st

from ui import anomalies_page as ap
from ui import desk_queries as q
from ui import profile_queries as pq
from ui import url_state
from ui.check_form import check_form, latest_status, pending_caption, saved_entries
from ui.data import current_home
from ui.session import audit_view, current_scope

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
flags = ap.with_marks(flags, latest_status(entries))

years, this_year = ap.years(flags, pq.as_of(scope) or "")
rule_names = sorted(flags["rule"].unique())
c0, c1, c2, c3, c4 = st.columns([1.2, 2, 2, 2, 2])
year = c0.selectbox("年份", years, key="an_year", placeholder="选择年份",
                    on_change=url_state.bind("an_year", "year", years, default=this_year),
                    help="默认只看数据截至年份;往年的预警按距今时长降低排序权重")
severities = c1.multiselect("等级", ap.SEVERITIES, key="an_severity", placeholder="请选择等级", select_all=False,
                            on_change=url_state.bind("an_severity", "severity", ap.SEVERITIES, many=True,
                                                     default=ap.SEVERITIES))
levels = c2.multiselect("类型", list(ap.LEVELS), key="an_level", format_func=ap.LEVELS.get, placeholder="请选择类型",
                        select_all=False, on_change=url_state.bind("an_level", "level", list(ap.LEVELS), many=True,
                                                                   default=list(ap.LEVELS)))
rules = c3.multiselect("规则", rule_names, key="an_rule", placeholder="不限规则", select_all=False,
                       on_change=url_state.bind("an_rule", "rule", rule_names, many=True))
statuses = c4.multiselect("标记状态", ap.STATUSES, key="an_status", placeholder="请选择标记状态", select_all=False,
                          on_change=url_state.bind("an_status", "status", ap.STATUSES, many=True, default=ap.OPEN))
show_suppressed = st.toggle("显示已说明而被抑制的重复预警", value=False)

view = ap.select(flags, year, severities, levels, rules, statuses, show_suppressed)
audit_view(scope, "anomalies", {"year": year, "severity": severities, "level": levels, "rule": rules,
                                "status": statuses, "suppressed": show_suppressed}, rows=len(view))

m1, m2, m3, m4 = st.columns(4)
m1.metric("预警总数", len(view))
m2.metric("红色", int((view["severity"] == "红").sum()))
m3.metric("涉及单位", view["unit_id"].nunique())
m4.metric("已标记", int(flags["status"].ne("未标记").sum()))
if st.toggle("显示各规则的核实准确率(按已有标记)"):
    st.dataframe(ap.precision_table(flags, entries), hide_index=True, width="stretch")

saved = st.session_state.pop("mark_saved", None)
if saved:
    st.success(saved)

event = st.dataframe(ap.table(view), hide_index=True, width="stretch", height=360, on_select="rerun",
                     selection_mode="single-row", key=f"flag_table_{st.session_state.get('flag_table_round', 0)}")
rows = event.selection.rows if event and event.selection else []
if not rows:
    st.caption("在表格中选择一条预警,查看曲线、核查要点并标记。")
    st.stop()

flag = view.iloc[rows[0]].to_dict()
ap.detail(scope, flag)
saved = check_form(home, scope.identity, flag, f"check_{st.session_state.get('flag_table_round', 0)}")
if saved:
    st.session_state["mark_saved"] = saved
    # a fresh table: the row numbers of the old selection may point at another flag now
    st.session_state["flag_table_round"] = st.session_state.get("flag_table_round", 0) + 1
    st.rerun()
