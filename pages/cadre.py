"""干部画像: one cadre — posts over time, scores, tasks and cards, ratings (aggregated),
contributions with intervals, the quadrant trajectory and flags. Deep link: ``?cadre=C0001``.
Widgets and layout only: the tabs are drawn by ui.cadre_view."""
import streamlit as st

from ui import cadre_view as cv
from ui import format as fmt
from ui import profile_queries as pq
from ui import profile_view as pv
from ui import url_state
from ui.auth import visible_pages
from ui.briefing import add_to_briefing_link
from ui.session import audit_view, current_scope

QUADRANT_FILTERS = ("period", "unit_type", "role_type", "rank", "age")  # carried to 实绩象限 and back

scope = current_scope("cadre")
st.title("干部画像")

directory = pq.cadre_directory(scope)
if directory.empty:
    st.info("当前数据版本中没有干部数据。")
    st.stop()
labels = {r.cadre_id: f"{r.name}({r.cadre_id})· {fmt.text(r.unit_name)}" for r in directory.itertuples()}

cadre = url_state.choice("cadre", labels, "找不到干部编号 {},或不在您的查看范围内。")

pick, back = st.columns([3, 1], vertical_alignment="bottom")
pick.selectbox("选择干部", [None] + sorted(labels), key="cadre_pick", on_change=url_state.sync("cadre"),
               placeholder="输入姓名或编号搜索",
               format_func=lambda c: "— 输入姓名或编号搜索 —" if c is None else labels.get(c, c))
# Filters the quadrant explorer passed along come back with the cadre.
carried = url_state.carry(QUADRANT_FILTERS)
if visible_pages(scope, ["quadrants"]):  # roles without the quadrant explorer (inspectors) get no link
    back.page_link("pages/quadrants.py", label="返回实绩象限", icon=":material/arrow_back:",
                   query_params={**carried, **({"cadre": cadre} if cadre else {})})
if cadre is None:
    st.info("选择一名干部,或从实绩象限、单位档案点进来(链接形如 …/cadre?cadre=C0001)。")
    st.stop()

prof = directory[directory["cadre_id"] == cadre].iloc[0]
audit_view(scope, "cadre", {"cadre": cadre}, rows=1)
as_of = pq.as_of(scope) or ""
ref_year = int(as_of[:4]) if as_of[:4].isdigit() else None
age = f"{ref_year - int(prof['birth_year'])} 岁" if ref_year and not fmt.is_missing(prof["birth_year"]) else fmt.DASH

st.header(f"{fmt.md(prof['name'])}({fmt.md(cadre)})")
if visible_pages(scope, ["briefing"]):  # a link to a page the role may not open would fail
    add_to_briefing_link(cadres=(cadre,))
born = fmt.number(prof["birth_year"], 0).replace(",", "")
if fmt.is_missing(prof["in_post"]):
    post_text = "没有任职记录"
else:
    post_text = f"{'现任' if prof['in_post'] else '最近任职'}:{fmt.md(prof['unit_name'])} {fmt.md(prof['post'])}"
st.caption(f"{fmt.md(prof['rank'])} · {fmt.md(prof['role_type'])}条线 · 出生 {born} 年"
           f"({age})· {post_text} · 数据截至 {fmt.period_label(as_of)}")

dictionary = pq.indicator_dictionary(scope)
ind_names = dict(zip(dictionary["indicator"], dictionary["name"]))
ind_units = dict(zip(dictionary["indicator"], dictionary["unit"]))
qcfg = cv.quadrant_config()
scores = pq.cadre_scores(scope, cadre)
contrib = pq.cadre_contributions(scope, cadre)
history = pq.cadre_quadrants(scope, cadre)
tasks = pq.cadre_tasks(scope, cadre)

cv.headline(scores, contrib, history, qcfg, ind_names)
tabs = st.tabs(["任职经历", "得分", "任务与亮牌", "多维评价", "个人贡献", "象限轨迹", "需核查"])
with tabs[0]:
    cv.posts_tab(scope, cadre, as_of, ind_names)
with tabs[1]:
    cv.scores_tab(scores)
with tabs[2]:
    cv.tasks_tab(scope, cadre, tasks)
with tabs[3]:
    cv.ratings_tab(scope, cadre)
with tabs[4]:
    cv.contributions_tab(contrib, ind_names, ind_units)
with tabs[5]:
    cv.trajectory_tab(history, qcfg)
with tabs[6]:
    units = pq.unit_directory(scope)
    pv.show_flags(pq.anomalies(scope, cadre_id=cadre), ind_names, "干部",
                  {"unit_id": ("单位", dict(zip(units["unit_id"], units["name"]))),
                   "task_id": ("任务", dict(zip(tasks["task_id"], tasks["title"])))})
