"""数据概况: what needs the signed-in person's attention, within their scope (core indicators
against target, red cards and open flags, the quadrant counts, what changed since the previous
version, where to go next); the version, as-of and row counts folded below."""
import streamlit as st

from ui import format as fmt
from ui import landing as ld
from ui import landing_queries as lq
from ui.auth import visible_pages
from ui.cadre_view import quadrant_config
from ui.data import current_home, data_status
from ui.session import current_scope

scope = current_scope("home")
home = current_home()
current = home.current()
st.title("实绩 · 干部实绩监测")
if current is None:
    st.warning("尚无已发布的数据。请在命令行运行 `python -m pipelines ingest 数据文件夹`。")
    st.stop()

status = data_status(str(home.root), current["version"])
can = set(visible_pages(scope, ["screen", "quadrants", "cadre", "unit", "anomalies", "briefing", "data"]))
as_of = status["as_of"] or ""
st.caption(f"数据截至 {fmt.period_label(as_of or None)} · 当前版本 {status['version']}({status['kind']}数据)"
           f" · 查看范围:{ld.scope_text(scope)}")
go = [g for g in ld.AUDIENCE_PAGES if g[0] in can]
for col, (_, script, label, icon) in zip(st.columns(max(len(go), 1)), go):
    col.page_link(script, label=label, icon=icon)


def links(items, page, param, col, word):  # only for roles that may open the page (an administrator sees counts)
    for key, name, n in items if page in can else []:
        col.page_link(f"pages/{page}.py", label=f"{fmt.md(name)}:{n} {word}", query_params={param: key})


left, right = st.columns(2)
with left:
    st.subheader("本期红牌")
    cards = lq.latest_cards(scope)
    if cards.empty:
        st.info("没有任务亮牌:数据中没有重点任务或任务进度,亮牌无法计算。")
    else:
        red = cards[cards["card"] == "红"]
        st.metric(f"{fmt.period_label(cards['period'].iloc[0])} 红牌", f"{len(red)} 项",
                  help="任务进度落后计划达到红牌线(见“方法说明”)")
        st.caption(f"本期亮牌 {len(cards)} 项:{ld.card_line(cards)}。"
                   + ("红牌最多的牵头单位与干部:" if len(red) and "unit" in can else ""))
        c1, c2 = st.columns(2)
        links(ld.top_units(red), "unit", "unit", c1, "项")
        links(ld.top_cadres(red), "cadre", "cadre", c2, "项")
with right:
    st.subheader("待核查预警")
    flags = lq.open_flags(scope, home)
    if flags.empty:
        st.info("没有待核查的预警(未标记或属实)。" if lq.table_exists(scope, "marts", "anomalies")
                else "当前版本没有预警结果:数据中没有指标数据或任务进度,预警无法计算。")
    else:
        year, this_year, new = ld.flags_of_year(flags, as_of)
        st.metric(f"{year}年 待核查预警", f"{len(this_year)} 条", help="未标记或已核实属实、尚未处理的预警")
        by = this_year["severity"].value_counts()
        st.caption("、".join(f"{sev}色 {int(by.get(sev, 0))} 条" for sev in ("红", "橙", "黄"))
                   + f";其中截至月({fmt.period_label(as_of[:7] or None)})新出现 {new} 条。")
        f1, f2 = st.columns(2)
        for sev in ("红", "橙", "黄") if "anomalies" in can else ():
            if by.get(sev, 0):
                f1.page_link("pages/anomalies.py", label=f"查看{sev}色预警", icon=":material/flag:",
                             query_params={"year": year, "severity": sev, "status": list(lq.OPEN_STATUSES)})
        links(ld.top_units(this_year), "unit", "unit", f2, "条")

st.subheader("核心指标完成情况" + ("" if scope.units is None else "(本人负责的单位)"))
board = lq.headline(scope)
if board.empty:
    st.info("没有可对照目标的核心指标:数据中没有核心指标的数据,或都没有填报目标值。")
else:
    st.markdown(ld.headline_summary(board))
    table = ld.headline_table(board)
    st.dataframe(ld.style_headline(table), hide_index=True, width="stretch", height=35 * (len(table) + 1) + 3)
    st.caption(ld.HEADLINE_NOTE)

st.subheader("实绩象限")
quads = lq.quadrant_latest(scope)
if quads.empty:
    st.info("没有实绩象限结果:需要任职记录,以及任务进度或所任单位的指标数据,且至少覆盖一个完整季度。")
else:
    names = quadrant_config()["names"]
    qc = ld.quadrant_counts(quads, names)
    cols = st.columns(3)
    cols[0].metric(f"{fmt.period_label(qc['period'])} 已判定", f"{qc['determined']} / {qc['total']} 人")
    cols[1].metric("贡献不确定", f"{qc['uncertain']} 人", help="个人贡献的区间跨过分界线,暂不放入象限")
    cols[2].metric(names.get("unidentified", "不可判定"), f"{qc['unidentified']} 人",
                   help="个人贡献无法与单位平台分离(如无交流轮岗、记录太少)")
    st.caption("已判定:" + "、".join(f"{q} {n} 人" for q, n in qc["by_quadrant"].items()) if qc["determined"] else
               "本季度没有干部能判定象限:个人贡献或无法与单位平台分离,或区间跨过分界线(见“方法说明”)。")
    if "quadrants" in can:
        st.page_link("pages/quadrants.py", label="打开实绩象限", icon=":material/scatter_plot:",
                     query_params={"period": qc["period"]})

st.subheader("与上一版本相比")
diff = lq.changes(scope, home)
if diff is None:
    st.info("这是数据目录中的第一个版本,没有可比较的上一版本。")
elif diff["error"]:
    st.warning(f"上一版本 {diff['version']} 无法读取(可能由旧版程序构建),不作比较。")
else:
    st.markdown(ld.changes_line(diff))
    rows = ld.row_delta_table(diff["rows"])
    if rows.empty:
        st.caption("各表行数与上一版本相同。")
    else:  # whole-version row counts (no unit data), as in the expander below
        st.dataframe(rows, hide_index=True, width="content")
    worse = ld.worse_cards(diff["cards"])
    if len(worse):
        st.caption("最新亮牌变差的任务:")
        st.dataframe(worse, hide_index=True, width="stretch", height=35 * (len(worse) + 1) + 3)

with st.expander(f"数据版本与各表行数(版本 {status['version']},数据截至 {fmt.period_label(as_of or None)})"):
    st.caption(ld.version_caption(status))
    counts = ld.row_table(status["rows"])
    st.dataframe(counts, hide_index=True, width="stretch", height=35 * (len(counts) + 1) + 3)
