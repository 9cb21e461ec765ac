"""单位档案: one unit — cadres posted there over time, indicator scores, tasks and cards,
platform effects and the contributions of its cadres with intervals, flags. Deep link ``?unit=T01``.
Widgets and layout only: the tabs are drawn by ui.unit_view."""
import streamlit as st

from ui import format as fmt
from ui import groups as grp
from ui import profile_view as pv
from ui import unit_queries as uq
from ui import unit_view as uv
from ui import url_state
from ui.auth import visible_pages
from ui.briefing import add_to_briefing_link
from ui.cadre_view import quadrant_config, side_level
from ui.profile_queries import anomalies, as_of as version_as_of, comparison_groups, indicator_dictionary
from ui.session import audit_view, current_scope

scope = current_scope("unit")
st.title("单位档案")

units = uq.unit_directory(scope)
if units.empty:
    st.info("当前数据版本中没有单位数据。")
    st.stop()
labels = {r.unit_id: f"{r.name}({r.unit_id})· {fmt.text(r.unit_type)}" for r in units.itertuples()}

unit = url_state.choice("unit", labels, "找不到单位编号 {},或不在您的查看范围内。")

st.selectbox("选择单位", [None] + list(labels), key="unit_pick", on_change=url_state.sync("unit"),
             placeholder="输入单位名称或编号搜索",
             format_func=lambda u: "— 输入单位名称或编号搜索 —" if u is None else labels.get(u, u))
if unit is None:
    st.info("选择一个单位(链接形如 …/unit?unit=T01)。")
    st.stop()

prof = uq.unit_profile(scope, unit).iloc[0]
as_of = version_as_of(scope) or ""
st.header(f"{fmt.md(prof['name'])}({fmt.md(unit)})")
parent = f" · 上级:{fmt.md(prof['parent_name'])}" if not fmt.is_missing(prof["parent_name"]) else ""
st.caption(f"{fmt.md(prof['unit_type'])}{parent} · 数据截至 {fmt.period_label(as_of)}")
if visible_pages(scope, ["briefing"]):  # a link to a page the role may not open would fail
    add_to_briefing_link(units=(unit,))

dictionary = indicator_dictionary(scope)
ind_names = dict(zip(dictionary["indicator"], dictionary["name"]))
ind_units = dict(zip(dictionary["indicator"], dictionary["unit"]))
posts = uq.unit_assignments(scope, unit)
cadres = uq.unit_cadres(scope, unit)
tasks = uq.unit_tasks(scope, unit)
scores = uq.unit_scores(scope, unit)
audit_view(scope, "unit", {"unit": unit}, rows=len(cadres))

uv.headline(cadres, tasks, scores)
tabs = st.tabs(["干部任职", "指标得分", "任务与亮牌", "平台效应与干部贡献", "需核查", "地图"])
with tabs[0]:
    uv.posts_tab(posts, as_of)
with tabs[1]:
    uv.scores_tab(scores, ind_names)
with tabs[2]:
    uv.tasks_tab(tasks)

# Cadres who served here but now sit outside the scope stay in 干部任职 only (issue 11, item 5).
moved_out = int((~cadres["in_full"].astype(bool)).sum()) if len(cadres) else 0
cadres = cadres[cadres["in_full"].astype(bool)] if len(cadres) else cadres
# Comparison groups named by their units (ui.groups), never by their number.
groups = grp.composite_groups(cadres, uq.unit_cadre_groups(scope, unit), comparison_groups(scope), ind_names)
with tabs[3]:
    uv.platform_tab(uq.unit_platform_effects(scope, unit), cadres, groups, moved_out, ind_names, ind_units,
                    side_level(quadrant_config()))
with tabs[4]:
    named = cadres[["cadre_id", "name"]]
    pv.show_flags(anomalies(scope, unit_id=unit), ind_names, "单位",
                  {"cadre_id": ("干部", dict(zip(named["cadre_id"], named["name"]))),
                   "task_id": ("任务", dict(zip(tasks["task_id"], tasks["title"])))})
with tabs[5]:
    uv.map_tab(scope, unit)
