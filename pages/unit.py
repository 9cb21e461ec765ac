"""单位档案: one unit — cadres posted there over time, indicator scores, tasks and cards,
platform effects and the contributions of its cadres with intervals, flags. Deep link ``?unit=T01``."""
import pandas as pd
import streamlit as st

from ui import charts
from ui import format as fmt
from ui import groups as grp
from ui import profile_queries as pq
from ui.briefing import add_to_briefing_link
from ui.picker import sync_to_url, url_choice
from ui.session import audit_view, current_scope

scope = current_scope("unit")
st.title("单位档案")

units = pq.unit_directory(scope)
if units.empty:
    st.info("当前数据版本中没有单位数据。")
    st.stop()
labels = {r.unit_id: f"{r.name}({r.unit_id})· {r.unit_type}" for r in units.itertuples()}

unit = url_choice("unit", labels, "找不到单位编号 {},或不在您的查看范围内。")

st.selectbox("选择单位", [None] + list(labels), key="unit_pick", on_change=sync_to_url("unit"),
             placeholder="输入单位名称或编号搜索",
             format_func=lambda u: "— 输入单位名称或编号搜索 —" if u is None else labels.get(u, u))
if unit is None:
    st.info("选择一个单位(链接形如 …/unit?unit=T01)。")
    st.stop()

prof = pq.unit_profile(scope, unit).iloc[0]
as_of = pq.as_of(scope) or ""
st.header(f"{fmt.md(prof['name'])}({fmt.md(unit)})")
parent = f" · 上级:{fmt.md(prof['parent_name'])}" if not fmt.is_missing(prof["parent_name"]) else ""
st.caption(f"{fmt.md(prof['unit_type'])}{parent} · 数据截至 {fmt.period_label(as_of)}")
add_to_briefing_link(units=(unit,))

dictionary = pq.indicator_dictionary(scope)
ind_names = dict(zip(dictionary["indicator"], dictionary["name"]))
ind_units = dict(zip(dictionary["indicator"], dictionary["unit"]))
posts = pq.unit_assignments(scope, unit)
cadres = pq.unit_cadres(scope, unit)
tasks = pq.unit_tasks(scope, unit)
scores = pq.unit_scores(scope, unit)
platform = pq.unit_platform_effects(scope, unit)
audit_view(scope, "unit", {"unit": unit}, rows=len(cadres))

m = st.columns(5)
m[0].metric("在任干部", f"{int(cadres['in_post'].sum()) if len(cadres) else 0} 人")
m[1].metric("历任干部", f"{len(cadres)} 人")
m[2].metric("任务", f"{len(tasks)} 项")
latest_cards = tasks["card"].value_counts() if len(tasks) else pd.Series(dtype=int)
m[3].metric("当前红/橙/黄牌", f"{int(latest_cards.get('红', 0))}/{int(latest_cards.get('橙', 0))}/{int(latest_cards.get('黄', 0))}",
            help="各任务最近一期的亮牌")
m[4].metric("考核指标", f"{scores['indicator'].nunique() if len(scores) else 0} 项")

tabs = st.tabs(["干部任职", "指标得分", "任务与亮牌", "平台效应与干部贡献", "需核查"])

# --- 干部任职 ----------------------------------------------------------------------------------------------
with tabs[0]:
    if posts.empty:
        st.caption("无任职记录。")
    else:
        end_date = pd.Timestamp(f"{as_of}-01") + pd.offsets.MonthEnd(0) if len(as_of) == 7 else pd.Timestamp.today()
        view = posts.assign(
            label=posts["name"].fillna(posts["cadre_id"]) + " · " + posts["post"].fillna(""),
            color_key=posts["role_type"].fillna("其他"),
            hover=[fmt.tenure(s, e, sh) for s, e, sh in zip(posts["start"], posts["end"], posts["share"])])
        st.plotly_chart(charts.assignment_timeline(view, end_date), key="timeline", config={"displayModeBar": False})
        table = pd.DataFrame({
            "干部": posts["name"] + "(" + posts["cadre_id"] + ")", "职级": posts["rank"], "条线": posts["role_type"],
            "职务": posts["post"], "起": pd.to_datetime(posts["start"]).dt.strftime("%Y-%m-%d"),
            "止": [("在任" if fmt.is_missing(e) else f"{pd.Timestamp(e):%Y-%m-%d}") for e in posts["end"]],
            "分工比例": [fmt.pct(v, 0) for v in posts["share"]],
            "画像": [f"./cadre?cadre={c}" if bool(f) else None for c, f in zip(posts["cadre_id"], posts["in_full"])],
        })
        # No profile link for someone now outside the scope: the cadre page would refuse them.
        st.dataframe(fmt.cells(table).assign(画像=table["画像"]), hide_index=True, width="stretch",
                     height=min(35 * (len(table) + 1) + 3, 460),
                     column_config={"画像": st.column_config.LinkColumn("画像", display_text="打开画像")})

# --- 指标得分 ----------------------------------------------------------------------------------------------
with tabs[1]:
    if scores.empty:
        st.caption("该单位没有考核指标数据(部门多按任务考核)。")
    else:
        last = scores.sort_values("period").drop_duplicates("indicator", keep="last")
        table = pd.DataFrame({
            "指标": [fmt.indicator_label(i, ind_names) for i in last["indicator"]],
            "期别": [fmt.period_label(p) for p in last["period"]],
            "数值": [fmt.with_unit(v, u) for v, u in zip(last["value"], last["indicator_unit"])],
            "目标": [fmt.with_unit(v, u) for v, u in zip(last["target"], last["indicator_unit"])],
            "完成率": [fmt.pct(v, 1) for v in last["completion"]],
            "位次": [f"{int(r)}/{int(n)}" if not fmt.is_missing(r) and not fmt.is_missing(n) else fmt.DASH
                     for r, n in zip(last["rank"], last["n_comparable"])],
            "得分": [fmt.number(v, 1) for v in last["score"]],
            "色档": last["band"].fillna(fmt.DASH),
            "来源": last["value_source"],
        })
        st.markdown("**最新一期**")
        st.dataframe(fmt.style_cards(table, ["色档"]), hide_index=True, width="stretch")
        monthly = scores[scores["period_kind"] == "month"]
        if len(monthly):
            lines = monthly.assign(label=[fmt.indicator_label(i, ind_names) for i in monthly["indicator"]])
            st.markdown("**月度得分走势**")
            st.plotly_chart(charts.score_lines(lines), key="score_lines", config={"displayModeBar": False})
            banded = lines[lines["band"].notna()]
            if len(banded):
                st.markdown("**位次色档**(前 25% 绿 · 25–50% 黄 · 50–75% 橙 · 后 25% 红)")
                banded = banded.assign(hover=banded["band"] + " · 位次 " + banded["rank"].astype("Int64").astype(str)
                                       + "/" + banded["n_comparable"].astype("Int64").astype(str))
                st.plotly_chart(charts.category_heatmap(banded, "label", "period", "band", charts.CARD_COLORS,
                                                        hover="hover"), key="band_map", config={"displayModeBar": False})

# --- 任务与亮牌 --------------------------------------------------------------------------------------------
with tabs[2]:
    if tasks.empty:
        st.caption("该单位没有任务。")
    else:
        table = pd.DataFrame({
            "任务": tasks["title"], "年度": tasks["year"].astype(str), "类别": tasks["category"],
            "责任人": [f"{n}({c})" if not fmt.is_missing(c) else "不在查看范围"
                    for n, c in zip(tasks["lead_name"].fillna(""), tasks["lead_cadre_id"])],
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
                     height=min(35 * (len(table) + 1) + 3, 500))

# Cadres who served here but now sit outside the scope stay in 干部任职 only (issue 11, item 5).
moved_out = int((~cadres["in_full"].astype(bool)).sum()) if len(cadres) else 0
cadres = cadres[cadres["in_full"].astype(bool)] if len(cadres) else cadres

# Comparison groups named by their units (ui.groups), never by their number.
groups = grp.composite_groups(cadres, pq.unit_cadre_groups(scope, unit), pq.comparison_groups(scope), ind_names)

# --- 平台效应与干部贡献 ------------------------------------------------------------------------------------------
with tabs[3]:
    st.caption("平台效应:一位“平均干部”在本单位能取得的水平(单位禀赋、园区、既有项目);只有有人交流进出时才能与个人贡献分开。"
               "个人贡献只在同一比较组内比较,不排名次。")
    a, b = st.columns([2, 3])
    with a:
        st.markdown("**平台效应(按指标)**")
        if platform.empty:
            st.caption("无。")
        else:
            st.dataframe(fmt.cells(pd.DataFrame({
                "指标": [fmt.indicator_label(i, ind_names) for i in platform["indicator"]],
                "平台效应": [fmt.with_unit(e, fmt.indicator_unit(i, ind_units), 2) if bool(ok) else "不可分离"
                             for e, i, ok in zip(platform["effect"], platform["indicator"], platform["identified"])],
                "标准误": [fmt.with_unit(s, fmt.indicator_unit(i, ind_units), 2)
                           for s, i in zip(platform["se"], platform["indicator"])],
                "交流人数": platform["n_movers"],
            })), hide_index=True, width="stretch")
    with b:
        st.markdown("**历任干部的个人贡献(综合,95% 区间)**")
        if cadres.empty:
            st.caption("无。")
        else:
            rows = cadres.assign(indicator="*")
            rows = rows.assign(label=rows["name"] + "(" + rows["cadre_id"] + ")"
                               + rows["in_post"].map({True: " · 在任", False: ""}))
            rows["text"] = [f"{fmt.number(e, 2, signed=True)},95% 区间 {fmt.interval(lo, hi, None, 2)}"
                            for e, lo, hi in zip(rows["effect"], rows["ci_low"], rows["ci_high"])]
            rows["band"] = rows["band"].fillna("不可判定")
            rows["identified"] = rows["identified"].fillna(False)
            rows = rows.merge(groups, on="cadre_id", how="left")
            # Effects are centred within their group: one axis per group, never one across groups.
            together = rows[rows["comparable"].fillna(False).astype(bool)]
            order = together.groupby("group", sort=False).size().sort_values(ascending=False, kind="stable")
            order = sorted(order.index, key=lambda g: not g.startswith("主比较组"))
            for i, label in enumerate(order):
                part = together[together["group"] == label]
                st.markdown(f"**{fmt.md(label)}**", help=fmt.md(part["help"].iloc[0]))
                st.plotly_chart(charts.interval_chart(part, height_per_row=28, common_scale="综合,标准差"),
                                key=f"unit_intervals_{i}", config={"displayModeBar": False})
            mixed = rows[rows["group"] == grp.MIXED]
            if len(mixed):
                st.markdown(f"**{grp.MIXED}**", help=grp.MIXED_HELP)
                st.plotly_chart(charts.interval_chart(mixed, height_per_row=28), key="unit_intervals_mixed",
                                config={"displayModeBar": False})
                st.caption("以上各行各按自己的刻度画出,行与行之间不比较长短。")
            alone = rows[rows["group"] == grp.NO_GROUP]
            if len(alone):
                st.caption(f"不可判定、无比较组:{fmt.md('、'.join(alone['label']))}。{grp.NO_GROUP_HELP}")
            if len(order):
                st.caption("每个比较组单独一图,组内同一刻度(综合贡献,标准差单位);不同比较组的干部之间不比较高低。")
        if moved_out:
            st.caption(f"另有 {moved_out} 名曾在本单位任职、现任职不在您查看范围内的干部,只在“干部任职”中列出。")
    if len(cadres):
        st.dataframe(fmt.cells(pd.DataFrame({
            "干部": cadres["name"] + "(" + cadres["cadre_id"] + ")", "职务": cadres["posts"],
            "在任": [fmt.yes_no(v) for v in cadres["in_post"]],
            "个人贡献(综合)": [fmt.number(e, 2, signed=True) if bool(i) else "不可判定"
                              for e, i in zip(cadres["effect"], cadres["identified"].fillna(False))],
            "95% 区间": [fmt.interval(lo, hi, None, 2) for lo, hi in zip(cadres["ci_low"], cadres["ci_high"])],
            "判定": [fmt.BAND_LABELS.get(v, v) if not fmt.is_missing(v) else fmt.DASH for v in cadres["band"]],
            "比较组": cadres["cadre_id"].map(dict(zip(groups["cadre_id"], groups["group"]))).fillna(grp.NO_GROUP),
            "最新象限": cadres["quadrant"].fillna(fmt.DASH),
            "最新等级": [fmt.grade_with_quota(r) for _, r in cadres.iterrows()],
            "提示": [fmt.flags_text(f) for f in cadres["flags"]],
            "画像": [f"./cadre?cadre={c}" for c in cadres["cadre_id"]],
        })), hide_index=True, width="stretch",
            column_config={"画像": st.column_config.LinkColumn("画像", display_text="打开画像"),
                           "比较组": st.column_config.TextColumn(
                               "比较组", help="按所连单位命名;个人贡献只在同一比较组内比较。" + grp.MIXED + ":" + grp.MIXED_HELP)})

# --- 需核查 ---------------------------------------------------------------------------------------------------
with tabs[4]:
    flags = pq.anomalies(scope, unit_id=unit)
    if flags is None:
        st.caption("当前数据版本尚未生成异常核查结果。")
    elif flags.empty:
        st.caption("没有涉及该单位的需核查事项。")
    else:
        if "suppressed" in flags:
            hidden = flags["suppressed"].fillna(False).astype(bool)
            flags = flags[~hidden]
            if hidden.any():
                st.caption(f"另有 {int(hidden.sum())} 条已说明、不再提示。")
        st.caption("需核查 ≠ 结论:请按“核查要点”到现场核实。")
        cols = {"severity": "等级", "rule": "规则", "indicator": "指标", "period_start": "起", "period_end": "止",
                "reason": "原因", "check_hint": "核查要点", "cadre_id": "干部", "task_id": "任务"}
        view = flags[[c for c in cols if c in flags]].rename(columns=cols)
        if "指标" in view:
            view["指标"] = [fmt.indicator_label(v, ind_names) for v in view["指标"]]
        st.dataframe(fmt.style_cards(view, ["等级"]), hide_index=True, width="stretch",
                     column_config={"原因": st.column_config.TextColumn(width="large"),
                                    "核查要点": st.column_config.TextColumn(width="large")})
