"""考察准备: a basket of units and cadres (kept in the URL as ``?units=T01,D03&cadres=C0001``),
or the 定向考察 list; read the briefing, download it. Widgets and layout only: the content is
drawn by ui.briefing_page, the URL read and written by ui.url_state."""
import streamlit as st

from ui import briefing_page as bp
from ui import desk_queries as q
from ui import format as fmt
from ui import url_state
from ui.briefing import basket, basket_params, briefing, briefing_file, remember_basket
from ui.check_form import pending_caption
from ui.data import current_home
from ui.queries import units as unit_table
from ui.session import audit_view, current_scope

scope = current_scope("briefing")
st.title("考察准备")

targets = q.inspection_targets(scope)
with st.expander("定向考察名单(按预警、红牌和长期处于低效区排序)", expanded=True):
    shown = bp.targets_table(scope, targets)
    if shown.empty:
        st.caption("暂无定向考察对象(没有需核查预警、亮牌或长期处于低效区的单位和干部)。")
    else:
        st.dataframe(fmt.cells(shown), hide_index=True, width="stretch",
                     column_config={"得分": st.column_config.TextColumn(help="排序用的综合分,越高越优先考察")})
    take = st.button("采用名单前 3 名")

unit_options = unit_table(scope)
cadre_options = q.cadres_in_scope(scope)
unit_label = dict(zip(unit_options["unit_id"], unit_options["name"]))
cadre_label = {r.cadre_id: f"{r.name}({fmt.text(r.unit_name)}{fmt.text(r.post, '')})" for r in cadre_options.itertuples()}

# The URL is the basket: a link from the unit, cadre or flag pages opens with it; changing the
# basket here rewrites the URL, so the address can be copied and shared.
asked_units = url_state.read("units", many=True, sep=",", legacy="unit")
asked_cadres = url_state.read("cadres", many=True, sep=",", legacy="cadre")
unknown = [u for u in asked_units if u not in unit_label] + [c for c in asked_cadres if c not in cadre_label]
if not asked_units and not asked_cadres:  # opened from the menu: the session's basket stays
    asked_units, asked_cadres = basket()
url_basket = ([u for u in asked_units if u in unit_label], [c for c in asked_cadres if c in cadre_label])
if st.session_state.get("brief_url") != url_basket:  # a new link was followed: the URL wins
    st.session_state["brief_units"], st.session_state["brief_cadres"] = url_basket
    st.session_state["brief_url"] = url_basket
if take:
    st.session_state["brief_units"], st.session_state["brief_cadres"] = bp.top_of(targets)
if unknown:
    st.warning(f"链接中的这些编号找不到,或不在您的查看范围内,已略去:{fmt.md('、'.join(unknown))}")

st.markdown("#### 考察篮")
c1, c2 = st.columns(2)
chosen_units = c1.multiselect("单位", list(unit_label), format_func=unit_label.get, key="brief_units",
                              placeholder="输入单位名称添加", select_all=False)
chosen_cadres = c2.multiselect("干部", list(cadre_label), format_func=cadre_label.get, key="brief_cadres",
                               placeholder="输入干部姓名添加", select_all=False)
new_url = (list(chosen_units), list(chosen_cadres))
st.session_state["brief_url"] = new_url
remember_basket(*new_url)
url_state.keep_only(basket_params(*new_url), drop=("unit", "cadre", "units", "cadres"))
if not chosen_units and not chosen_cadres:
    st.info("考察篮是空的:请添加单位或干部,或采用定向考察名单;也可从单位档案、干部档案的「加入考察简报」进入。")
    st.stop()
basket_names = [unit_label[u] for u in chosen_units] + [cadre_label[c] for c in chosen_cadres]
st.caption(f"考察篮共 {len(basket_names)} 项:{fmt.md('、'.join(basket_names))}。在上面的框里增删,简报随之更新。")

b = briefing(scope, chosen_units, chosen_cadres)
audit_view(scope, "briefing", {"unit": chosen_units, "cadre": chosen_cadres},
           rows=sum(len(f) for f in b.sections.values()))
st.subheader(fmt.md(b.title))
st.caption(fmt.md(b.stamp) + " · 预警为需核查事项,不是结论 · 内部资料 注意保密")
home = current_home()
pending_caption(home)
d1, d2 = st.columns(2)
d1.download_button("下载 Excel", lambda: briefing_file(scope, chosen_units, chosen_cadres, ".xlsx"),
                   file_name="考察准备简报.xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
d2.download_button("下载 PDF", lambda: briefing_file(scope, chosen_units, chosen_cadres, ".pdf"),
                   file_name="考察准备简报.pdf", mime="application/pdf")

st.dataframe(fmt.cells(b.subject), hide_index=True, width="stretch")
bp.sections(b)
bp.check_section(scope, home, b)
