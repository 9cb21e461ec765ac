"""考察准备: pick units or cadres (or take the 定向考察 list), read the briefing, download it."""
import streamlit as st

from pipelines.briefing import SECTION_TITLES
from ui import desk_queries as q
from ui import format as fmt
from ui.briefing import briefing, briefing_file
from ui.queries import units as unit_table
from ui.session import audit_view, current_scope

scope = current_scope("briefing")
st.title("考察准备")

targets = q.inspection_targets(scope)
with st.expander("定向考察名单(按预警、红牌和长期处于低效区排序)", expanded=True):
    shown = targets.head(20)[["rank", "level", "unit_name", "cadre_name", "score", "reasons"]].rename(columns={
        "rank": "排名", "level": "类型", "unit_name": "单位", "cadre_name": "干部", "score": "得分", "reasons": "理由"})
    shown["类型"] = shown["类型"].map({"unit": "单位", "cadre": "干部"})
    shown[["单位", "干部"]] = shown[["单位", "干部"]].fillna(fmt.DASH)
    if shown.empty:
        st.caption("暂无定向考察对象(没有需核查预警、亮牌或长期处于低效区的单位和干部)。")
    else:
        st.dataframe(fmt.cells(shown), hide_index=True, width="stretch")
    take = st.button("采用名单前 3 名")

unit_options = unit_table(scope)
cadre_options = q.cadres_in_scope(scope)
unit_label = dict(zip(unit_options["unit_id"], unit_options["name"]))
cadre_label = {r.cadre_id: f"{r.name}({fmt.text(r.unit_name)}{fmt.text(r.post, '')})" for r in cadre_options.itertuples()}

if take:
    top = targets.head(3)
    st.session_state["brief_units"] = sorted(set(top.loc[top["level"] == "unit", "unit_id"]))
    st.session_state["brief_cadres"] = sorted(set(top.loc[top["level"] == "cadre", "cadre_id"]))
params = st.query_params
st.session_state.setdefault("brief_units", [u for u in params.get_all("unit") if u in unit_label])
st.session_state.setdefault("brief_cadres", [c for c in params.get_all("cadre") if c in cadre_label])

c1, c2 = st.columns(2)
chosen_units = c1.multiselect("单位", list(unit_label), format_func=unit_label.get, key="brief_units")
chosen_cadres = c2.multiselect("干部", list(cadre_label), format_func=cadre_label.get, key="brief_cadres")
st.query_params.update({"unit": chosen_units, "cadre": chosen_cadres})
if not chosen_units and not chosen_cadres:
    st.info("请选择单位或干部,或采用定向考察名单。")
    st.stop()

b = briefing(scope, chosen_units, chosen_cadres)
audit_view(scope, "briefing", {"unit": chosen_units, "cadre": chosen_cadres},
           rows=sum(len(f) for f in b.sections.values()))
st.subheader(fmt.md(b.title))
st.caption(fmt.md(b.stamp) + " · 预警为需核查事项,不是结论")
d1, d2 = st.columns(2)
d1.download_button("下载 Excel", lambda: briefing_file(scope, chosen_units, chosen_cadres, ".xlsx"),
                   file_name="考察准备简报.xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
d2.download_button("下载 PDF", lambda: briefing_file(scope, chosen_units, chosen_cadres, ".pdf"),
                   file_name="考察准备简报.pdf", mime="application/pdf")

st.dataframe(fmt.cells(b.subject), hide_index=True, width="stretch")
for key, frame in b.sections.items():
    st.markdown(f"#### {SECTION_TITLES[key]}")
    if frame.empty:
        st.caption("无")
    else:
        st.dataframe(fmt.cells(frame), hide_index=True, width="stretch")
