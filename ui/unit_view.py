"""Tabs of the 单位档案 page (pages/unit.py keeps the picker and the layout): posts, indicator
scores, tasks and cards, platform effects and the contributions of the unit's cadres."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from ui import charts
from ui import format as fmt
from ui import groups as grp
from ui import profile_view as pv

NO_BAR = {"displayModeBar": False}
PROFILE_LINK = {"画像": st.column_config.LinkColumn("画像", display_text="打开画像")}


def headline(cadres: pd.DataFrame, tasks: pd.DataFrame, scores: pd.DataFrame) -> None:
    m = st.columns(5)
    m[0].metric("在任干部", f"{int(cadres['in_post'].sum()) if len(cadres) else 0} 人")
    m[1].metric("历任干部", f"{len(cadres)} 人")
    m[2].metric("任务", f"{len(tasks)} 项")
    latest = tasks["card"].value_counts() if len(tasks) else pd.Series(dtype=int)
    m[3].metric("当前红/橙/黄牌", f"{int(latest.get('红', 0))}/{int(latest.get('橙', 0))}/{int(latest.get('黄', 0))}",
                help="各任务最近一期的亮牌(有现场核验的按核验数)")
    m[4].metric("考核指标", f"{scores['indicator'].nunique() if len(scores) else 0} 项")


def posts_tab(posts: pd.DataFrame, as_of: str) -> None:
    if posts.empty:
        st.caption("无任职记录。")
        return
    pv.post_timeline(posts, as_of, posts["name"].fillna("未登记姓名") + " · " + posts["post"].fillna(""),
                     posts["role_type"].fillna("其他"))
    table = pd.DataFrame({
        "干部": posts["name"] + "(" + posts["cadre_id"] + ")", "职级": posts["rank"], "条线": posts["role_type"],
        "职务": posts["post"], **pv.post_dates(posts),
        "画像": [f"./cadre?cadre={c}" if bool(f) else None for c, f in zip(posts["cadre_id"], posts["in_full"])],
    })
    # No profile link for someone now outside the scope: the cadre page would refuse them.
    st.dataframe(fmt.cells(table).assign(画像=table["画像"]), hide_index=True, width="stretch",
                 height=min(35 * (len(table) + 1) + 3, 460), column_config=PROFILE_LINK)


def latest_scores_table(scores: pd.DataFrame, ind_names: dict) -> pd.DataFrame:
    """The latest period of each indicator: the value the score uses, marked (核验) where a
    核验记录 replaced it, and (only then) the reported value and the check beside it."""
    last = scores.sort_values("period").drop_duplicates("indicator", keep="last")
    checked = last["check_id"].notna() if "check_id" in last else pd.Series(False, index=last.index)
    table = pd.DataFrame({
        "指标": [fmt.indicator_label(i, ind_names) for i in last["indicator"]],
        "期别": [fmt.period_label(p) for p in last["period"]],
        "数值": [pv.measure(v, u) + ("(核验)" if c else "")
                 for v, u, c in zip(last["value"], last["indicator_unit"], checked)],
    })
    if checked.any():
        table["填报"] = [pv.measure(v, u) if c else fmt.DASH
                       for v, u, c in zip(last["reported_value"], last["indicator_unit"], checked)]
        table["核验记录"] = [fmt.text(k) if c else fmt.DASH for k, c in zip(last["check_id"], checked)]
    table["目标"] = [pv.measure(v, u) for v, u in zip(last["target"], last["indicator_unit"])]
    table["完成率"] = [fmt.pct(v, 1) for v in last["completion"]]
    table["位次"] = [f"{int(r)}/{int(n)}" if not fmt.is_missing(r) and not fmt.is_missing(n) else fmt.DASH
                   for r, n in zip(last["rank"], last["n_comparable"])]
    table["得分"] = [fmt.number(v, 1) for v in last["score"]]
    table["色档"] = last["band"].fillna(fmt.DASH).tolist()
    table["来源"] = [fmt.text(v) for v in last["value_source"]]
    return table


def scores_tab(scores: pd.DataFrame, ind_names: dict) -> None:
    if scores.empty:
        st.caption("该单位没有考核指标数据(部门多按任务考核)。")
        return
    table = latest_scores_table(scores, ind_names)
    st.markdown("**最新一期**")
    st.dataframe(fmt.style_cards(fmt.cells(table), ["色档"]), hide_index=True, width="stretch",
                 column_config={"数值": st.column_config.TextColumn(width="medium"),
                                "填报": st.column_config.TextColumn(width="medium"),
                                "核验记录": st.column_config.TextColumn(help="替换了单位填报数的现场核验记录编号")})
    if "核验记录" in table:
        st.caption(pv.CHECK_VALUE_CAPTION)
    elif pv.has_check(scores):
        st.caption("较早期别有现场核验记录替换了填报数,得分按核验数计算。")
    monthly = scores[scores["period_kind"] == "month"]
    if monthly.empty:
        return
    lines = monthly.assign(label=[fmt.indicator_label(i, ind_names) for i in monthly["indicator"]])
    st.markdown("**月度得分走势**")
    st.plotly_chart(pv.chinese_dates(charts.score_lines(lines)), key="score_lines", config=NO_BAR)
    banded = lines[lines["band"].notna()]
    if len(banded):
        st.markdown("**位次色档**(前 25% 绿 · 25–50% 黄 · 50–75% 橙 · 后 25% 红)")
        banded = banded.assign(hover=[f"{fmt.period_label(p)} · {b} · 位次 {fmt.number(r, 0)}/{fmt.number(n, 0)}"
                                      for p, b, r, n in zip(banded["period"], banded["band"], banded["rank"],
                                                            banded["n_comparable"])])
        fig = charts.category_heatmap(banded, "label", "period", "band", charts.CARD_COLORS, hover="hover")
        st.plotly_chart(pv.chinese_dates(fig), key="band_map", config=NO_BAR)


def tasks_tab(tasks: pd.DataFrame) -> None:
    if tasks.empty:
        st.caption("该单位没有任务。")
        return
    lead = [f"{n}({c})" if not fmt.is_missing(c) else "不在查看范围"
            for n, c in zip(tasks["lead_name"].fillna(""), tasks["lead_cadre_id"])]
    pv.show_tasks(tasks, {"责任人": lead}, max_height=500)


def platform_table(platform: pd.DataFrame, ind_names: dict, ind_units: dict) -> pd.DataFrame:
    units = pv.display_units(ind_units)
    return pd.DataFrame({
        "指标": [fmt.indicator_label(i, ind_names) for i in platform["indicator"]],
        "平台效应": [pv.measure(e, fmt.indicator_unit(i, units), 2) if fmt.is_true(ok) else "不可分离"
                     for e, i, ok in zip(platform["effect"], platform["indicator"], platform["identified"])],
        "标准误": [pv.measure(s, fmt.indicator_unit(i, units), 2) for s, i in zip(platform["se"], platform["indicator"])],
        "交流人数": platform["n_movers"],
    })


def contribution_charts(cadres: pd.DataFrame, groups: pd.DataFrame) -> None:
    """One interval chart per comparison group (effects are centred within their group)."""
    rows = cadres.assign(indicator="*")
    rows = rows.assign(label=rows["name"] + "(" + rows["cadre_id"] + ")"
                       + rows["in_post"].map({True: " · 在任", False: ""}))
    rows["text"] = [f"{fmt.number(e, 2, signed=True)} 标准差,95% 区间 {fmt.interval(lo, hi, None, 2)}"
                    for e, lo, hi in zip(rows["effect"], rows["ci_low"], rows["ci_high"])]
    rows["band"] = rows["band"].fillna("不可判定")
    rows["identified"] = rows["identified"].fillna(False)
    rows = rows.merge(groups, on="cadre_id", how="left")
    together = rows[rows["comparable"].fillna(False).astype(bool)]
    order = together.groupby("group", sort=False).size().sort_values(ascending=False, kind="stable")
    order = sorted(order.index, key=lambda g: not g.startswith("主比较组"))
    for i, label in enumerate(order):
        part = together[together["group"] == label]
        st.markdown(f"**{fmt.md(label)}**", help=fmt.md(part["help"].iloc[0]))
        st.plotly_chart(charts.interval_chart(part, height_per_row=28, common_scale="综合,标准差"),
                        key=f"unit_intervals_{i}", config=NO_BAR)
    mixed = rows[rows["group"] == grp.MIXED]
    if len(mixed):
        st.markdown(f"**{grp.MIXED}**", help=grp.MIXED_HELP)
        st.plotly_chart(charts.interval_chart(mixed, height_per_row=28), key="unit_intervals_mixed", config=NO_BAR)
        st.caption("以上各行各按自己的刻度画出,行与行之间不比较长短。")
    alone = rows[rows["group"] == grp.NO_GROUP]
    if len(alone):
        st.caption(f"不可判定、无比较组:{fmt.md('、'.join(alone['label']))}。{grp.NO_GROUP_HELP}")
    if len(order):
        st.caption("每个比较组单独一图,组内同一刻度(综合贡献,标准差单位);不同比较组的干部之间不比较高低。")


def cadre_table(cadres: pd.DataFrame, groups: pd.DataFrame, level: float) -> pd.DataFrame:
    """The unit's cadres: the composite contribution with its 95 % interval and the band judged
    on it, beside the latest quadrant and the narrower interval that placed it (``level``)."""
    evidence = f"象限判定区间({fmt.pct(level, 0)})"
    x_low = cadres["x_low"] if "x_low" in cadres else pd.Series(None, index=cadres.index)
    x_high = cadres["x_high"] if "x_high" in cadres else pd.Series(None, index=cadres.index)
    return pd.DataFrame({
        "干部": cadres["name"] + "(" + cadres["cadre_id"] + ")", "职务": cadres["posts"],
        "在任": [fmt.yes_no(v) for v in cadres["in_post"]],
        "个人贡献(综合)": [fmt.number(e, 2, signed=True) if fmt.is_true(i) else "不可判定"
                          for e, i in zip(cadres["effect"], cadres["identified"])],
        "95% 区间": [fmt.interval(lo, hi, None, 2) for lo, hi in zip(cadres["ci_low"], cadres["ci_high"])],
        "判定(95%)": [fmt.BAND_LABELS.get(v, v) if not fmt.is_missing(v) else fmt.DASH for v in cadres["band"]],
        "比较组": cadres["cadre_id"].map(dict(zip(groups["cadre_id"], groups["group"]))).fillna(grp.NO_GROUP),
        "最新象限": cadres["quadrant"].fillna(fmt.DASH),
        evidence: [fmt.interval(lo, hi, None, 2) for lo, hi in zip(x_low, x_high)],
        "最新等级": [fmt.grade_with_quota(r) for _, r in cadres.iterrows()],
        "提示": [fmt.flags_text(f) for f in cadres["flags"]],
        "画像": [f"./cadre?cadre={c}" for c in cadres["cadre_id"]],
    })


def platform_tab(platform: pd.DataFrame, cadres: pd.DataFrame, groups: pd.DataFrame, moved_out: int,
                 ind_names: dict, ind_units: dict, level: float) -> None:
    st.caption("平台效应:一位“平均干部”在本单位能取得的水平(单位禀赋、园区、既有项目);只有有人交流进出时才能与个人贡献分开。"
               "个人贡献只在同一比较组内比较,不排名次。")
    a, b = st.columns([2, 3])
    with a:
        st.markdown("**平台效应(按指标)**")
        if platform.empty:
            st.caption("无。")
        else:
            st.dataframe(fmt.cells(platform_table(platform, ind_names, ind_units)), hide_index=True, width="stretch")
    with b:
        st.markdown("**历任干部的个人贡献(综合,95% 区间)**")
        if cadres.empty:
            st.caption("无。")
        else:
            contribution_charts(cadres, groups)
        if moved_out:
            st.caption(f"另有 {moved_out} 名曾在本单位任职、现任职不在您查看范围内的干部,只在“干部任职”中列出。")
    if len(cadres):
        table = cadre_table(cadres, groups, level)
        st.dataframe(fmt.cells(table).assign(画像=table["画像"]), hide_index=True, width="stretch",
                     column_config={**PROFILE_LINK, "比较组": st.column_config.TextColumn(
                         "比较组", help="按所连单位命名;个人贡献只在同一比较组内比较。" + grp.MIXED + ":" + grp.MIXED_HELP)})
        st.caption(f"“判定(95%)”按 95% 区间;“最新象限”按较窄的 {fmt.pct(level, 0)} 判定区间放置"
                   "(落在分界线一侧的把握足够即归入象限)。两者把握程度不同:一名干部可以“无显著差异”而已归入某一象限。")


def map_tab(scope, unit_id: str) -> None:
    """The unit on the county's own map, coloured by a ranking board of its level (the wall's
    boards, from the public aggregates). A scoped user sees values only for their units."""
    from ui import public_queries as pubq
    from ui.maps import choropleth

    path = pubq.public_file()
    shapes = pubq.unit_boundaries(path) if path is not None else pd.DataFrame()
    if shapes.empty:
        st.caption("数据批次未附单位边界(units.geojson,要素属性 unit_id),不显示地图。")
        return
    if unit_id not in set(shapes["unit_id"]):
        st.caption("本单位没有边界数据(部门等非地域单位通常没有);下图为已提供边界的单位。")
    boards = pubq.ranking_boards(path)
    mine = [b for b in boards["board"] if unit_id in set(pubq.ranking(path, b)["unit_id"])]
    if not mine:
        st.caption("本单位不在任何排名榜中(同级报送同一指标的单位不足 3 个),地图只显示位置。")
    names = dict(zip(boards["board"], boards["board_name"]))
    board = st.selectbox("着色指标", mine, format_func=lambda b: fmt.text(names.get(b)), key="unit_map_board",
                         placeholder="选择排名榜") if mine else None
    values = pd.DataFrame(columns=["unit_id", "value", "text"])
    measure = ""
    if board is not None:
        ranked = pubq.ranking(path, board)
        if scope.units is not None:  # places outside the scope stay grey
            ranked = ranked[ranked["unit_id"].isin(scope.units)]
        measure = str(ranked["measure"].iloc[0]) if len(ranked) else ""
        values = ranked.assign(value=ranked["score"],
                               text=[f"{fmt.number(v, 1)} {fmt.text(u, '')}(第 {r} 名)".replace(" (", "(")
                                     for v, u, r in zip(ranked["score"], ranked["unit"], ranked["rank"])])
    fig = choropleth(shapes, values, measure=fmt.plain(measure), height_px=520, highlight=unit_id)
    st.plotly_chart(fig, width="stretch", config=NO_BAR)
    st.caption("红框为本单位;灰色为没有该项排名或不在您的查看范围内的单位。排名与大屏相同(同级单位之间)。")
