"""实绩象限: individual contribution (x) against observed performance (y) per quarter.

Filters and the selected cadre live in the URL (ui.url_state), so a view can be shared and
``?cadre=C0001`` opens that cadre's panel. A click on a point selects it. Widgets and layout
only: the content is drawn by ui.quadrants_page.
"""
import streamlit as st

from ui import format as fmt
from ui import profile_queries as pq
from ui import quadrant_view as qv
from ui import quadrants_page as qp
from ui import url_state
from ui.session import current_scope

scope = current_scope("quadrants")
cfg = qp.settings()
st.title("实绩象限")
st.caption(qp.intro(cfg))

points = pq.quadrant_points(scope)
if points.empty:
    st.info("当前数据版本还没有实绩象限结果:需要任职表(assignments),以及任务及其进度(tasks、task_progress)"
            "或所任单位的指标数据,且至少覆盖一个完整季度。")
    st.stop()

points = qp.with_age_bands(points, pq.as_of(scope) or "")
periods = sorted(points["period"].unique())
directory = pq.cadre_directory(scope)
dictionary = pq.indicator_dictionary(scope)
ind_names = dict(zip(dictionary["indicator"], dictionary["name"]))
ind_units = dict(zip(dictionary["indicator"], dictionary["unit"]))
labels = {r.cadre_id: f"{r.name}({r.cadre_id})· {r.unit_name or fmt.DASH}" for r in directory.itertuples()}

qp.take_chart_click(labels)  # before the cadre picker is drawn
selected = url_state.read("cadre", labels)

# --- filters, kept in the URL (?period=2025-Q4&unit_type=镇&unit_type=乡&cadre=C0001) ---------------
columns = st.columns([1.2, 1.3, 1.3, 1.1, 1.3])
period = columns[0].selectbox("季度", periods, key="period_pick", format_func=fmt.period_label, placeholder="选择季度",
                              on_change=url_state.bind("period_pick", "period", periods, default=periods[-1]))
chosen = {}
for col, (param, label, column) in zip(columns[1:], qp.MULTI_FILTERS):
    options = qp.age_options() if param == "age" else sorted(points[column].dropna().unique())
    chosen[column] = col.multiselect(label, options, key=f"qp_{param}", placeholder="全部", select_all=False,
                                     on_change=url_state.bind(f"qp_{param}", param, options, many=True))

now = points[points["period"] == period]
now = now[qp.keep(now, chosen)]
metrics, quadrant_line = qv.headline(now, cfg["names"])
for col, (label, value, note) in zip(st.columns(3), metrics):
    col.metric(label, value, help=note)
st.caption(quadrant_line)

# --- scatter and panel ------------------------------------------------------------------------
left, right = st.columns([3, 2], gap="medium")
with left:
    qp.scatter(now, cfg, selected)
with right:
    cadre = st.selectbox("选择干部", [None] + sorted(labels), key="cadre_pick", placeholder="点击左图或输入姓名搜索",
                         on_change=url_state.bind("cadre_pick", "cadre", labels),
                         format_func=lambda c: "— 点击左图或在此搜索 —" if c is None else labels.get(c, c))
    if cadre is None:
        st.info("点击散点图上的一个点,或在上方搜索干部,查看个人贡献分解、提示和各季度轨迹。")
    else:
        qp.cadre_panel(scope, cadre, points, directory, period, cfg, ind_names)
        if st.button("打开干部画像", key="open_profile", type="primary", icon=":material/badge:"):
            st.switch_page("pages/cadre.py", query_params={**url_state.carry(qp.FILTERS), "cadre": cadre})

if selected is not None:
    qp.decomposition(scope, selected, labels[selected], cfg, ind_names, ind_units)

# --- 季度微调 lists, 不可判定, distribution ------------------------------------------------------------
st.divider()
qp.lists(points, now, period, cfg, ind_names)
