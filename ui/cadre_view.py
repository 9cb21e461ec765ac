"""Tabs of the 干部画像 page (pages/cadre.py keeps the picker and the layout): posts, scores,
tasks and cards, ratings, contributions, the quadrant trajectory. Each ``*_tab`` draws one tab."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from models.config import load_reference
from models.period import period_frame
from models.quadrant import interval_level
from ui import charts
from ui import format as fmt
from ui import profile_queries as pq
from ui import profile_view as pv
from ui import quadrant_view as qv
from ui.queries import Scope

NO_BAR = {"displayModeBar": False}


def quadrant_config() -> dict:
    """quadrants.yaml in use (names, cut, the placement level), read for the pages."""
    return load_reference("quadrants")


def side_level(qcfg: dict) -> float:
    """The central level of the interval the quadrant places x by (80 % for x_side_level 0.9)."""
    return interval_level(qcfg)


def headline(scores: pd.DataFrame, contrib: pd.DataFrame, history: pd.DataFrame, qcfg: dict, ind_names: dict) -> None:
    m = st.columns([1, 1.4, 0.9, 0.9, 1.1, 1.6])  # 等级 words (基本称职) need the room
    if len(scores):
        last = scores.iloc[-1]
        m[0].metric(f"{int(last['year'])} 综合得分", fmt.number(last["total"], 1))
        m[1].metric("等级", fmt.text(last["grade"]))
        m[2].metric("实绩分", fmt.number(last["performance_score"], 1))
        m[3].metric("评价分", fmt.number(last["rating_score"], 1))
    else:
        m[0].metric("综合得分", fmt.DASH)
    composite = contrib[contrib["indicator"] == "*"]
    level = fmt.pct(side_level(qcfg), 0)
    if len(composite) and fmt.is_true(composite.iloc[0]["identified"]):
        k = composite.iloc[0]
        m[4].metric("个人贡献(综合)", fmt.number(k["effect"], 2, signed=True),
                    help=f"95% 区间 {fmt.interval(k['ci_low'], k['ci_high'], None, 2)},按 95% 区间判定:"
                         f"{fmt.BAND_LABELS.get(k['band'], fmt.text(k['band']))}。象限按 {level} 判定区间放置"
                         f"(见“最新象限”),两者的把握程度不同,可能一个“无显著差异”、一个已归入象限。")
    else:
        m[4].metric("个人贡献(综合)", "不可判定")
    m[5].metric("最新象限", charts.where_label(history, qcfg["names"]).iloc[-1] if len(history) else fmt.DASH,
                help=(qv.latest_note(history.iloc[-1]) + f"(象限按 {level} 判定区间放置)") if len(history) else None)
    if len(history) and history.iloc[-1].get("x_status", "determined") != "determined":
        st.caption("最新一季不归入象限:" + fmt.md(qv.apart_reason(history.iloc[-1], float(qcfg.get("x_side_level", 0.9)),
                                                               float(qcfg["x_cut"]), ind_names)))
    quota_note = fmt.excellent_quota_note(scores.iloc[-1]) if len(scores) else ""
    if quota_note:
        st.caption(quota_note)


def posts_tab(scope: Scope, cadre: str, as_of: str, ind_names: dict) -> None:
    posts = pq.cadre_assignments(scope, cadre)
    if posts.empty:
        st.caption("没有任职记录:任职表中没有该干部的任职,因此无法关联单位的指标和平台效应。")
        return
    pv.post_timeline(posts, as_of, posts["unit_name"].fillna("未登记单位") + " · " + posts["post"].fillna(""),
                     posts["unit_type"].fillna("其他"))
    table = pd.DataFrame({
        "单位": posts["unit_name"], "类型": posts["unit_type"], "职务": posts["post"], **pv.post_dates(posts),
        "分管指标": [("全部" if not i or fmt.is_missing(i) else
                     "、".join(fmt.indicator_label(c, ind_names) for c in str(i).split(";") if c))
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
            links[i % len(links)].page_link("pages/unit.py", label=fmt.md(uname or "未登记单位"),
                                            icon=":material/domain:", query_params={"unit": uid})


def scores_tab(scores: pd.DataFrame) -> None:
    if scores.empty:
        st.caption("无年度得分。")
        return
    st.plotly_chart(charts.score_bars(scores), key="scores", config=NO_BAR)
    blank = [None] * len(scores)
    table = pd.DataFrame({
        "年度": scores["year"].astype(int).astype(str),
        "实绩分": [fmt.number(v) for v in scores["performance_score"]],
        "实绩分构成": [fmt.text(b) if fmt.text(b, "") else "无实绩数据" for b in scores.get("basis", blank)],
        "评价分": [fmt.number(v) for v in scores["rating_score"]],
        "加分": [fmt.number(v) for v in scores["bonus"]],
        "扣分": [fmt.number(v) for v in scores["deduction"]],
        "综合得分": [fmt.number(v) for v in scores["total"]],
        "等级": [fmt.text(g) for g in scores["grade"]],
        "考核组": [fmt.text(g) for g in scores.get("group", blank)],
        "任务数": scores["n_tasks"],
        "红牌": [fmt.yes_no(v) for v in scores["red_card"]],
        "计算": [pv.rule_text(r) for r in scores["rule"]],
    })
    st.dataframe(fmt.cells(table), hide_index=True, width="stretch")
    st.caption("综合得分 = 实绩分 × 权重 + 评价分 × 权重 + 加分 − 扣分(权重、等级线与优秀名额见“方法说明”)。"
               "实绩分构成:“任务”来自年度任务进度;“条线指标”来自招商、亩均等条线数据;"
               "“所任单位指标”用于没有任务数据的年份,取所任单位各项指标得分,按分工比例和任职月数加权。"
               "任务进度有现场核验记录的,按核验数计分。")


def tasks_tab(scope: Scope, cadre: str, tasks: pd.DataFrame) -> None:
    if tasks.empty:
        st.caption("没有该干部负责或配合的任务。")
        return
    c = st.columns(4)
    c[0].metric("任务数", f"{len(tasks)}", help="责任人 + 配合")
    for col, label, n in ((c[1], "黄牌(月次)", "n_yellow"), (c[2], "橙牌(月次)", "n_orange"), (c[3], "红牌(月次)", "n_red")):
        col.metric(label, int(tasks[n].sum()))
    pv.show_tasks(tasks, {"角色": tasks["role"].map(fmt.TASK_ROLE_LABELS).tolist(),
                          "单位": [fmt.text(u) for u in tasks["unit_name"]]})
    cards = pq.cadre_card_history(scope, cadre)
    if cards.empty:
        return
    year_of = period_frame(cards["period"])["year"].astype(str)
    years = sorted(set(year_of), reverse=True)
    year = st.segmented_control("亮牌月历", years, default=years[0], key="card_year")
    part = cards[year_of == str(year or years[0])]
    checked = part["check_id"].notna() if "check_id" in part else pd.Series(False, index=part.index)
    part = part.assign(
        hover=[f"{fmt.period_label(p)} · {k} · {fmt.text(s, '')} · 差距 {pv.points(g)}"
               + (f"<br>核验 {fmt.pct_value(a, 0)}(填报 {fmt.pct_value(r, 0)},核验记录 {fmt.text(i)})" if c else "")
               for p, k, s, g, a, r, i, c in zip(part["period"], part["card"], part["status"], part["gap_pp"],
                                                 part["actual_pct"], part["reported_pct"],
                                                 part.get("check_id", [None] * len(part)), checked)],
        row=part["task_id"].map(pv.row_labels(part["task_id"], part["title"], set(part.loc[checked, "task_id"]))))
    fig = charts.category_heatmap(part, "row", "period", "card", charts.CARD_COLORS, hover="hover", row_label_max=40)
    st.plotly_chart(pv.chinese_dates(fig), key="card_map", config=NO_BAR)
    st.caption("每格为当月亮牌:绿 = 正常,黄 / 橙 / 红 = 逐级预警(规则见“方法说明”)。"
               "任务名后标“·核验”的,有月份按现场核验数亮牌(悬停可见核验数与填报数)。")


def ratings_tab(scope: Scope, cadre: str) -> None:
    rcfg = load_reference("ratings")
    rscores = pq.cadre_rating_scores(scope, cadre)
    if rscores.empty:
        st.caption("无评价数据。")
        return
    table = pd.DataFrame({
        "年度": rscores["year"].astype(int).astype(str),
        "评价分": [fmt.number(v) for v in rscores["rating_score"]],
        "评价人数": rscores["n_raters"],
        "计入的评价主体": rscores["groups_used"].fillna("").str.replace(";", "、"),
        "未计入(人数不足)": rscores["groups_dropped"].fillna("").str.replace(";", "、"),
        "计算": [fmt.text(r) for r in rscores["rule"]],
    })
    st.dataframe(fmt.cells(table), hide_index=True, width="stretch")
    groups = pq.cadre_rating_groups(scope, cadre, rcfg["grade_scores"])
    if len(groups):
        st.markdown("**分组汇总**:平均分(人数)。每位评价人先取平均;不显示任何评价人身份;人数不足的组不单列。")
        st.dataframe(rating_group_table(groups, rcfg), hide_index=True, width="stretch")
    if scope.role in ("analyst", "admin"):
        comments_expander(pq.cadre_comments(scope, cadre))


def rating_group_table(groups: pd.DataFrame, rcfg: dict) -> pd.DataFrame:
    """评价主体 × 年度: mean (raters), or 不单列 where a group has fewer raters than its minimum."""
    min_default = int(rcfg["min_raters"])
    by_group = {k: int(v) for k, v in (rcfg.get("min_raters_by_group") or {}).items()}
    weights = rcfg["group_weights"]
    order = [g for g in weights if g in set(groups["rater_group"])] + sorted(set(groups["rater_group"]) - set(weights))
    cells: dict[str, dict[str, str]] = {g: {"评价主体": g, "权重": fmt.pct(weights.get(g), 0)} for g in order}
    for g in groups.itertuples(index=False):
        minimum = by_group.get(g.rater_group, min_default)
        year = f"{int(g.year)}年"
        if g.n_raters >= minimum:
            cells[g.rater_group][year] = f"{fmt.number(g.mean_score)}({int(g.n_raters)}人)"
        else:
            cells[g.rater_group][year] = f"不单列({int(g.n_raters)}人,少于 {minimum})"
    return pd.DataFrame(list(cells.values())).fillna(fmt.DASH)


def comments_expander(comments: pd.DataFrame) -> None:
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


def contributions_tab(contrib: pd.DataFrame, ind_names: dict, ind_units: dict) -> None:
    if contrib.empty:
        st.caption("该干部没有可用于估计个人贡献的考核记录。")
        return
    units = pv.display_units(ind_units)
    st.caption("每个指标:y = 平台效应(单位)+ 周期效应(全县)+ 分工比例 × 个人贡献 + 误差。个人贡献经收缩估计,"
               "0 = 同一比较组干部的平均;区间为 95%。各行按本指标的刻度画出,行与行之间不比较长短。")
    st.plotly_chart(charts.interval_chart(fmt.interval_rows(contrib, ind_names, units)), key="intervals",
                    config=NO_BAR)
    table = fmt.contribution_rows(contrib, ind_names, units).drop(columns="indicator")
    st.dataframe(fmt.cells(table), hide_index=True, width="stretch")
    codes = sorted({f for fl in contrib["flags"] for f in fmt.flag_list(fl)})
    if codes:
        st.markdown("**提示说明**")
        st.dataframe(pd.DataFrame({"提示": [fmt.FLAG_LABELS.get(c, (c, ""))[0] for c in codes],
                                   "含义": [fmt.FLAG_LABELS.get(c, (c, c))[1] for c in codes]}),
                     hide_index=True, width="stretch")


def trajectory_tab(history: pd.DataFrame, qcfg: dict) -> None:
    if history.empty:
        st.caption("该干部没有象限记录(没有实绩分)。")
        return
    a, b = st.columns([1.2, 1])
    a.plotly_chart(charts.trajectory(history, qcfg), key="trajectory", config=NO_BAR)
    evidence = qv.evidence_columns(history)
    level = fmt.pct(side_level(qcfg), 0)
    b.dataframe(pd.DataFrame({
        "季度": [fmt.period_label(p) for p in history["period"]], "象限": charts.where_label(history, qcfg["names"]),
        "个人贡献 x": [fmt.number(v, 2, signed=True) for v in history["x"]],
        **{(f"判定区间({level})" if k == "判定区间" else k): v for k, v in evidence.items()},
        "实绩分百分位 y": [fmt.pct(v, 0) for v in history["y"]],
        "单位": [fmt.text(u) for u in history["unit_name"]]}), hide_index=True, width="stretch")
    b.caption(f"象限按 {level} 判定区间放置(落在分界线一侧的概率至少 {fmt.pct(qcfg.get('x_side_level', 0.9), 0)});"
              "“个人贡献”页的 95% 区间更宽,用于“判定”列,两者可能不一致。")
