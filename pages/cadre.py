"""干部画像: one cadre — posts over time, scores, tasks and cards, ratings (aggregated),
contributions with intervals, the quadrant trajectory and flags. Deep link: ``?cadre=C0001``."""
import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitAPIException

from models.config import load_reference
from ui import charts
from ui import format as fmt
from ui import profile_queries as pq
from ui import quadrant_view as qv
from ui.briefing import add_to_briefing_link
from ui.picker import sync_to_url, url_choice
from ui.session import audit_view, current_scope

QUADRANT_FILTERS = ("period", "unit_type", "role_type", "rank", "age")

scope = current_scope("cadre")
st.title("干部画像")

directory = pq.cadre_directory(scope)
if directory.empty:
    st.info("当前数据版本中没有干部数据。")
    st.stop()
labels = {r.cadre_id: f"{r.name}({r.cadre_id})· {r.unit_name or fmt.DASH}" for r in directory.itertuples()}

cadre = url_choice("cadre", labels, "找不到干部编号 {},或不在您的查看范围内。")

pick, back = st.columns([3, 1], vertical_alignment="bottom")
pick.selectbox("选择干部", [None] + sorted(labels), key="cadre_pick", on_change=sync_to_url("cadre"),
               placeholder="输入姓名或编号搜索",
               format_func=lambda c: "— 输入姓名或编号搜索 —" if c is None else labels.get(c, c))
# Filters the quadrant explorer passed along come back with the cadre.
carried = {k: st.query_params.get_all(k) for k in QUADRANT_FILTERS if st.query_params.get_all(k)}
try:  # roles without the quadrant explorer (inspectors) get no link to it
    back.page_link("pages/quadrants.py", label="返回实绩象限", icon=":material/arrow_back:",
                   query_params={**carried, **({"cadre": cadre} if cadre else {})})
except StreamlitAPIException:
    pass
if cadre is None:
    st.info("选择一名干部,或从实绩象限、单位档案点进来(链接形如 …/cadre?cadre=C0001)。")
    st.stop()

prof = directory[directory["cadre_id"] == cadre].iloc[0]
audit_view(scope, "cadre", {"cadre": cadre}, rows=1)
as_of = pq.as_of(scope) or ""
ref_year = int(as_of[:4]) if as_of[:4].isdigit() else None
age = f"{ref_year - int(prof['birth_year'])} 岁" if ref_year and not fmt.is_missing(prof["birth_year"]) else fmt.DASH

st.header(f"{fmt.md(prof['name'])}({fmt.md(cadre)})")
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
wcfg = load_reference("weights")
role_shares = wcfg["performance"]["role_shares"]
scores = pq.cadre_scores(scope, cadre)
contrib = pq.cadre_contributions(scope, cadre, role_shares["lead"], role_shares["co"])
history = pq.cadre_quadrants(scope, cadre)
tasks = pq.cadre_tasks(scope, cadre)

# --- headline -----------------------------------------------------------------------------------
m = st.columns([1, 1, 1, 1, 1.2, 1.5])
if len(scores):
    last = scores.iloc[-1]
    m[0].metric(f"{int(last['year'])} 综合得分", fmt.number(last["total"], 1))
    m[1].metric("等级", last["grade"] or fmt.DASH)
    m[2].metric("实绩分", fmt.number(last["performance_score"], 1))
    m[3].metric("评价分", fmt.number(last["rating_score"], 1))
else:
    m[0].metric("综合得分", fmt.DASH)
composite = contrib[contrib["indicator"] == "*"]
if len(composite) and bool(composite.iloc[0]["identified"]):
    k = composite.iloc[0]
    m[4].metric("个人贡献(综合)", fmt.number(k["effect"], 2, signed=True),
                help=f"95% 区间 {fmt.interval(k['ci_low'], k['ci_high'], None, 2)};"
                     f"{fmt.BAND_LABELS.get(k['band'], k['band'])}")
else:
    m[4].metric("个人贡献(综合)", "不可判定")
qcfg = load_reference("quadrants")
names = qcfg["names"]
m[5].metric("最新象限", charts.where_label(history, names).iloc[-1] if len(history) else fmt.DASH,
            help=qv.latest_note(history.iloc[-1]) if len(history) else None)
if len(history) and history.iloc[-1].get("x_status", "determined") != "determined":
    st.caption("最新一季不归入象限:" + fmt.md(qv.apart_reason(history.iloc[-1], float(qcfg.get("x_side_level", 0.9)),
                                                           float(qcfg["x_cut"]), ind_names)))
quota_note = fmt.excellent_quota_note(scores.iloc[-1]) if len(scores) else ""
if quota_note:
    st.caption(quota_note)

tabs = st.tabs(["任职经历", "得分", "任务与亮牌", "多维评价", "个人贡献", "象限轨迹", "需核查"])

# --- 任职经历 -----------------------------------------------------------------------------------------
with tabs[0]:
    posts = pq.cadre_assignments(scope, cadre)
    if posts.empty:
        st.caption("没有任职记录:任职表(assignments)中没有该干部的任职,因此无法关联单位的指标和平台效应。")
    else:
        end_date = pd.Timestamp(f"{as_of}-01") + pd.offsets.MonthEnd(0) if len(as_of) == 7 else pd.Timestamp.today()
        view = posts.assign(
            label=posts["unit_name"].fillna(posts["unit_id"]) + " · " + posts["post"].fillna(""),
            color_key=posts["unit_type"].fillna("其他"),
            hover=[fmt.tenure(s, e, sh) for s, e, sh in zip(posts["start"], posts["end"], posts["share"])])
        st.plotly_chart(charts.assignment_timeline(view, end_date), key="timeline", config={"displayModeBar": False})
        table = pd.DataFrame({
            "单位": posts["unit_name"], "类型": posts["unit_type"], "职务": posts["post"],
            "起": pd.to_datetime(posts["start"]).dt.strftime("%Y-%m-%d"),
            "止": [("在任" if fmt.is_missing(e) else f"{pd.Timestamp(e):%Y-%m-%d}") for e in posts["end"]],
            "分工比例": [fmt.pct(v, 0) for v in posts["share"]],
            "分管指标": [("全部" if not i else "、".join(fmt.indicator_label(c, ind_names) for c in str(i).split(";") if c))
                         for i in posts["indicators"]],
        })
        st.dataframe(fmt.cells(table), hide_index=True, width="stretch")
        # Posts in units outside the scope are listed, but their unit page would refuse: no link.
        openable = set(pq.unit_directory(scope)["unit_id"])
        linked = {u: n for u, n in zip(posts["unit_id"], posts["unit_name"]) if u in openable}
        if linked:
            st.caption("单位档案:")
            links = st.columns(min(len(linked), 6))
        for i, (uid, uname) in enumerate(linked.items()):
            links[i % len(links)].page_link("pages/unit.py", label=fmt.md(uname or uid), icon=":material/domain:",
                                            query_params={"unit": uid})

# --- 得分 -----------------------------------------------------------------------------------------------
with tabs[1]:
    if scores.empty:
        st.caption("无年度得分。")
    else:
        st.plotly_chart(charts.score_bars(scores), key="scores", config={"displayModeBar": False})
        table = pd.DataFrame({
            "年度": scores["year"].astype(int).astype(str),
            "实绩分": [fmt.number(v) for v in scores["performance_score"]],
            "实绩分构成": [fmt.text(b) if fmt.text(b, "") else "无实绩数据" for b in scores.get("basis", [None] * len(scores))],
            "评价分": [fmt.number(v) for v in scores["rating_score"]],
            "加分": [fmt.number(v) for v in scores["bonus"]],
            "扣分": [fmt.number(v) for v in scores["deduction"]],
            "综合得分": [fmt.number(v) for v in scores["total"]],
            "等级": scores["grade"],
            "考核组": [fmt.text(g) for g in scores.get("group", [None] * len(scores))],
            "任务数": scores["n_tasks"],
            "红牌": [fmt.yes_no(v) for v in scores["red_card"]],
            "计算": scores["rule"],
        })
        st.dataframe(fmt.cells(table), hide_index=True, width="stretch")
        st.caption("综合得分 = 实绩分 × 权重 + 评价分 × 权重 + 加分 − 扣分(权重、等级线与优秀名额见“方法说明”)。"
                   "实绩分构成:“任务”来自年度任务进度;“条线指标”来自招商、亩均等条线数据;"
                   "“所任单位指标”用于没有任务数据的年份,取所任单位各项指标得分,按分工比例和任职月数加权。")

# --- 任务与亮牌 -------------------------------------------------------------------------------------
with tabs[2]:
    if tasks.empty:
        st.caption("没有该干部负责或配合的任务。")
    else:
        c = st.columns(4)
        c[0].metric("任务数", f"{len(tasks)}", help="责任人 + 配合")
        c[1].metric("黄牌(月次)", int(tasks["n_yellow"].sum()))
        c[2].metric("橙牌(月次)", int(tasks["n_orange"].sum()))
        c[3].metric("红牌(月次)", int(tasks["n_red"].sum()))
        table = pd.DataFrame({
            "任务": tasks["title"], "年度": tasks["year"].astype(str), "类别": tasks["category"],
            "角色": tasks["role"].map(fmt.TASK_ROLE_LABELS), "单位": tasks["unit_name"],
            "最新月份": tasks["last_period"],
            "计划": [fmt.pct_value(v, 0) for v in tasks["planned_pct"]],
            "实际": [fmt.pct_value(v, 0) for v in tasks["actual_pct"]],
            "差距": [fmt.pp(v) for v in tasks["gap_pp"]],
            "状态": tasks["status"],
            "亮牌": tasks["card"].fillna(fmt.DASH),
            "黄/橙/红(月次)": [f"{a}/{b}/{r}" for a, b, r in zip(tasks["n_yellow"], tasks["n_orange"], tasks["n_red"])],
            "依据": tasks["card_rule"],
        })
        st.dataframe(fmt.style_cards(table, ["亮牌"]), hide_index=True, width="stretch",
                     height=min(35 * (len(table) + 1) + 3, 460))
        cards = pq.cadre_card_history(scope, cadre)
        if len(cards):
            years = sorted({p[:4] for p in cards["period"]}, reverse=True)
            year = st.segmented_control("亮牌月历", years, default=years[0], key="card_year")
            part = cards[cards["period"].str.startswith(str(year or years[0]))]
            part = part.assign(
                hover=part["card"] + " · " + part["status"].fillna("") + " · 差距 " + part["gap_pp"].map(fmt.pp),
                row=[(t if len(t) <= 14 else t[:13] + "…") + f"({i})" for t, i in zip(part["title"], part["task_id"])])
            st.plotly_chart(charts.category_heatmap(part, "row", "period", "card", charts.CARD_COLORS, hover="hover",
                                                    row_label_max=40),
                            key="card_map", config={"displayModeBar": False})
            st.caption("每格为当月亮牌:绿 = 正常,黄 / 橙 / 红 = 逐级预警(规则见“方法说明”)。")

# --- 多维评价 -------------------------------------------------------------------------------------------
with tabs[3]:
    rcfg = load_reference("ratings")
    rscores = pq.cadre_rating_scores(scope, cadre)
    if rscores.empty:
        st.caption("无评价数据。")
    else:
        table = pd.DataFrame({
            "年度": rscores["year"].astype(int).astype(str),
            "评价分": [fmt.number(v) for v in rscores["rating_score"]],
            "评价人数": rscores["n_raters"],
            "计入的评价主体": rscores["groups_used"].fillna("").str.replace(";", "、"),
            "未计入(人数不足)": rscores["groups_dropped"].fillna("").str.replace(";", "、"),
            "计算": rscores["rule"],
        })
        st.dataframe(fmt.cells(table), hide_index=True, width="stretch")
        groups = pq.cadre_rating_groups(scope, cadre, rcfg["grade_scores"])
        if len(groups):
            min_default = int(rcfg["min_raters"])
            by_group = {k: int(v) for k, v in (rcfg.get("min_raters_by_group") or {}).items()}
            weights = rcfg["group_weights"]
            order = [g for g in weights if g in set(groups["rater_group"])] + sorted(
                set(groups["rater_group"]) - set(weights))
            cells: dict[str, dict[str, str]] = {g: {"评价主体": g, "权重": fmt.pct(weights.get(g), 0)} for g in order}
            for g in groups.itertuples(index=False):
                minimum = by_group.get(g.rater_group, min_default)
                year = f"{int(g.year)}年"
                if g.n_raters >= minimum:
                    cells[g.rater_group][year] = f"{fmt.number(g.mean_score)}({int(g.n_raters)}人)"
                else:
                    cells[g.rater_group][year] = f"不单列({int(g.n_raters)}人,少于 {minimum})"
            st.markdown("**分组汇总**:平均分(人数)。每位评价人先取平均;不显示任何评价人身份;人数不足的组不单列。")
            st.dataframe(pd.DataFrame(list(cells.values())).fillna(fmt.DASH), hide_index=True, width="stretch")
        if scope.role in ("analyst", "admin"):
            comments = pq.cadre_comments(scope, cadre)
            withheld = int(comments.loc[comments["withheld"], "n"].sum()) if not comments.empty else 0
            shown = int(comments["n"].sum()) - withheld if not comments.empty else 0
            hidden_note = f",另有 {withheld} 条因评价人数不足未显示" if withheld else ""
            with st.expander(f"评语原文({shown} 条{hidden_note},仅分析人员可见)"):
                if comments.empty:
                    st.caption("无评语。")
                else:
                    st.dataframe(pd.DataFrame({"年度": comments["year"].astype(str), "评价主体": comments["rater_group"],
                                               "评语": comments["comment"], "次数": comments["n"]}),
                                 hide_index=True, width="stretch")

# --- 个人贡献 ------------------------------------------------------------------------------------------
with tabs[4]:
    if contrib.empty:
        st.caption("该干部没有可用于估计个人贡献的考核记录。")
    else:
        st.caption("每个指标:y = 平台效应(单位)+ 周期效应(全县)+ 分工比例 × 个人贡献 + 误差。个人贡献经收缩估计,"
                   "0 = 同一比较组干部的平均;区间为 95%。各行按本指标的刻度画出,行与行之间不比较长短。")
        st.plotly_chart(charts.interval_chart(fmt.interval_rows(contrib, ind_names, ind_units)), key="intervals",
                        config={"displayModeBar": False})
        table = fmt.contribution_rows(contrib, ind_names, ind_units).drop(columns="indicator")
        st.dataframe(fmt.cells(table), hide_index=True, width="stretch")
        codes = sorted({f for fl in contrib["flags"] for f in fmt.flag_list(fl)})
        if codes:
            st.markdown("**提示说明**")
            st.dataframe(pd.DataFrame({"提示": [fmt.FLAG_LABELS.get(c, (c, ""))[0] for c in codes],
                                       "含义": [fmt.FLAG_LABELS.get(c, (c, c))[1] for c in codes]}),
                         hide_index=True, width="stretch")

# --- 象限轨迹 ------------------------------------------------------------------------------------------
with tabs[5]:
    if history.empty:
        st.caption("该干部没有象限记录(没有实绩分)。")
    else:
        qcfg = load_reference("quadrants")
        a, b = st.columns([1.2, 1])
        a.plotly_chart(charts.trajectory(history, qcfg), key="trajectory", config={"displayModeBar": False})
        b.dataframe(pd.DataFrame({
            "季度": [fmt.period_label(p) for p in history["period"]], "象限": charts.where_label(history, qcfg["names"]),
            "个人贡献 x": [fmt.number(v, 2, signed=True) for v in history["x"]],
            **qv.evidence_columns(history),
            "实绩分百分位 y": [fmt.pct(v, 0) for v in history["y"]],
            "单位": history["unit_name"]}), hide_index=True, width="stretch")

# --- 需核查 ---------------------------------------------------------------------------------------------
with tabs[6]:
    flags = pq.anomalies(scope, cadre_id=cadre)
    if flags is None:
        st.caption("当前数据版本尚未生成异常核查结果。")
    elif flags.empty:
        st.caption("没有涉及该干部的需核查事项。")
    else:
        if "suppressed" in flags:
            hidden = flags["suppressed"].fillna(False).astype(bool)
            flags = flags[~hidden]
            if hidden.any():
                st.caption(f"另有 {int(hidden.sum())} 条已说明、不再提示。")
        st.caption("需核查 ≠ 结论:请按“核查要点”到现场核实。")
        cols = {"severity": "等级", "rule": "规则", "indicator": "指标", "period_start": "起", "period_end": "止",
                "reason": "原因", "check_hint": "核查要点", "unit_id": "单位", "task_id": "任务"}
        view = flags[[c for c in cols if c in flags]].rename(columns=cols)
        if "指标" in view:
            view["指标"] = [fmt.indicator_label(v, ind_names) for v in view["指标"]]
        st.dataframe(fmt.style_cards(view, ["等级"]), hide_index=True, width="stretch",
                     column_config={"原因": st.column_config.TextColumn(width="large"),
                                    "核查要点": st.column_config.TextColumn(width="large")})
