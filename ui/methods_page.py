"""The 方法说明 page's content (pages/methods.py keeps the tabs): each ``*_tab`` draws one tab
from the YAML in use (data/reference/*.yaml, or $SHIJI_REFERENCE_DIR) and the current version."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from models.config import load_reference, reference_dir
from ui import format as fmt
from ui import method_tables as mt
from ui import model_queries as mq
from ui import profile_queries as pq
from ui.queries import Scope

METHOD_NAMES = {"completion": "完成率法", "rank": "位次法", "growth_gap": "增速差法"}
FREQ = {"month": "月", "quarter": "季", "year": "年"}
KIND = {"volume": "总量", "efficiency": "效益", "hard": "硬指标", "rate": "比率", "other": "其他"}
TABS = ["指标字典", "指标计分", "实绩分与综合得分", "亮牌警示", "多维评价", "个人贡献", "实绩象限", "配置原文"]


def ref(name: str) -> dict | None:
    """One YAML file in use; a file that does not load says so on the page and draws nothing."""
    try:
        return load_reference(name)
    except (FileNotFoundError, ValueError) as exc:  # ConfigError is a ValueError
        st.error(f"配置文件 {name}.yaml 读取失败:{exc}")
        return None


def dictionary_tab(scope: Scope, weights: dict | None) -> None:
    """指标字典: the version's dictionary with the scoring method and weight of weights.yaml."""
    dictionary = pq.indicator_dictionary(scope)
    per = (weights or {}).get("indicator_scoring", {}).get("indicators", {}) or {}
    defaults = (weights or {}).get("indicator_scoring", {}).get("defaults", {}) or {}
    table = pd.DataFrame({
        # the code is what the data files write in the 指标 column: kept, after the name
        "名称": dictionary["name"], "代码": dictionary["indicator"], "单位": dictionary["unit"],
        "方向": dictionary["direction"].map({1: "正向", -1: "逆向"}),
        "频率": dictionary["frequency"].map(FREQ).fillna(dictionary["frequency"]),
        "累计": [fmt.yes_no(v) for v in dictionary["cumulative"]],
        "类型": dictionary["kind"].map(KIND).fillna(dictionary["kind"]),
        "适用单位": dictionary["unit_types"].fillna("").str.replace(";", "、"),
        "核心": [fmt.yes_no(v) for v in dictionary["core"]],
        "计分方法": [METHOD_NAMES.get((per.get(i) or {}).get("method", defaults.get("method")), fmt.DASH)
                     for i in dictionary["indicator"]],
        "权重": [fmt.config_value((per.get(i) or {}).get("weight", defaults.get("weight")))
                 for i in dictionary["indicator"]],
        "合理范围": [f"{fmt.compact(lo)} ~ {fmt.compact(hi)}"
                     for lo, hi in zip(dictionary["valid_min"], dictionary["valid_max"])],
    })
    st.dataframe(table, hide_index=True, width="stretch", height=35 * (len(table) + 1) + 3)
    st.caption("方向:正向 = 越高越好,逆向 = 越低越好。“累计”指按年累计上报(1—2 月合并上报);金额单位为万元,界面上 1 亿元以上显示为亿元。"
               "超出合理范围的数据在导入时被拒收。")


def scoring_tab(weights: dict | None) -> None:
    """指标计分: the formulas and the rank bands."""
    if weights:
        d = weights["indicator_scoring"]["defaults"]
        st.markdown("**完成率法**")
        st.latex(r"s = \min\left(\frac{\text{实际值}}{\text{目标值(按时序进度)}},\ %s\right)\times 100" % d["cap"])
        st.markdown("**增速差法**")
        st.latex(r"s = \operatorname{clip}\left(0.5 + \frac{g_{\text{本单位}} - g_{\text{基准}}}{%s},\ 0,\ 1\right)\times 100"
                 % d["growth_gap_width"])
        st.caption(f"基准:{fmt.config_value(d['growth_benchmark'])}(同类单位);无目标时改用"
                   f"{METHOD_NAMES.get(d['fallback_method'], d['fallback_method'])}。"
                   f"有核实值时用核实值:{fmt.yes_no(weights['indicator_scoring']['use_verified'])}。")
        st.markdown("**位次色档**")
        bands = weights["indicator_scoring"]["bands"]
        lower = 0.0
        rows = []
        for b in bands:
            rows.append({"色档": b["band"],
                         "位次比例(位次 ÷ 单位数)": f"{fmt.pct(lower, 0)} – {fmt.pct(b['max_share'], 0)}"})
            lower = b["max_share"]
        st.dataframe(fmt.style_cards(pd.DataFrame(rows), ["色档"]), hide_index=True, width="content")


def totals_tab(scope: Scope, weights: dict | None) -> None:
    """实绩分与综合得分: weights, grades and the 优秀名额 of the current version."""
    if weights:
        perf, comp = weights["performance"], weights["composite"]
        st.markdown("**实绩分**(按任务类别加权;干部没有某类任务时其余权重重新归一)")
        st.latex(r"\text{实绩分} = \sum_{\text{类别}} w_{\text{类别}}\cdot \overline{\left(s_{\text{任务}}\times \text{难度系数}\right)}")
        st.dataframe(pd.DataFrame({"任务类别": list(perf["category_weights"]),
                                   "权重": [fmt.config_value(v) for v in perf["category_weights"].values()]}),
                     hide_index=True, width="content")
        st.caption(f"任务得分 = 100 × min(实际进度 ÷ 计划进度, {perf['task_score_cap']});责任人占 "
                   f"{fmt.pct(perf['role_shares']['lead'], 0)},配合干部平分 {fmt.pct(perf['role_shares']['co'], 0)};"
                   f"未设难度系数时取 {perf['difficulty_default']};实绩分封顶 {perf['performance_cap']}。"
                   f"招商、工业条线干部的实绩分中 {fmt.pct(perf['role_indicators']['share'], 0)} 来自条线指标"
                   "(项目转化率 / 亩均效益提升率)。")
        st.markdown("**综合得分**")
        st.latex(r"\text{综合得分} = %s\times\text{实绩分} + %s\times\text{评价分} + \text{加分} - \text{扣分}"
                 % (comp["performance_weight"], comp["rating_weight"]))
        st.caption(f"标志性成果每项加 {comp['bonus_per_landmark']} 分,封顶 {comp['bonus_cap']} 分;"
                   f"每个经核实的负面情形扣 {comp['negative_case_deduction']} 分;亮牌扣分见“亮牌警示”;"
                   f"得分不低于 {comp['floor']}。")
        g = weights["grades"]
        st.markdown("**等级**")
        st.dataframe(pd.DataFrame({"等级": [x["grade"] for x in g["levels"]],
                                   "综合得分不低于": [x["min"] for x in g["levels"]]}), hide_index=True, width="content")
        st.caption(f"红牌或负面情形不得评为优秀,降为“{g['blocked_excellent_to']}”;无实绩数据的记为“{g['not_assessable']}”。"
                   f"标志性成果须满足 5 项标准中至少 {weights['landmark']['min_criteria']} 项,且含 "
                   f"{fmt.config_value([c.upper() for c in weights['landmark']['required_any']])} 之一。")
        ag = g["assessment_groups"]
        group_words = {"unit_level": "所任单位层级(一年中任职时间最长的单位:乡镇街道·平台 / 部门 / 区县 / 市级)",
                       "role_type": "条线", "rank": "职级"}
        st.markdown("**优秀名额**")
        st.caption(
            f"每年在各考核组内,优秀名额不超过参评人数的 {fmt.pct(g['excellent_quota'], 0)}(向下取整,"
            f"不可评定的不计入参评人数);《公务员考核规定》:优秀等次一般掌握在参加考核人数的 20% 以内,最多 30%,"
            f"配置的比例超过上限 {fmt.pct(g['excellent_quota_cap'], 0)} 时拒绝加载。考核组按"
            + ("、".join(group_words.get(k, k) for k in ag["by"]) or "全县一组") +
            f"划分;参评不足 {ag['min_size']} 人的组合并计算(合并后仍不足的并入同年最小的组)。"
            "综合得分达到优秀线、且未因红牌或负面情形不得评优的干部,按综合得分从高到低排序,同分依次比较实绩分、"
            f"评价分、干部编号;名额以外的评为“{g['levels'][1]['grade']}”,计算说明中写明本组人数、名额和名次。")
        line = pq.excellent_line(scope)
        if line.empty:
            st.caption("当前数据版本没有优秀名额的计算结果(需按新配置重新构建数据版本)。")
        else:
            rows = []
            for group, gl in line.groupby("group", sort=True):
                k = int(gl["excellent_quota_n"].iloc[0])
                ranked = gl[gl["excellent_rank"].notna()].sort_values("excellent_rank")
                below = ranked[ranked["excellent_rank"] > k].head(3)
                rows.append({
                    "考核组": group, "参评人数": int(gl["group_n"].iloc[0]), "优秀名额": k,
                    "达到优秀线": len(ranked), "评为优秀": int((gl["grade"] == g["levels"][0]["grade"]).sum()),
                    "线下最近的干部": "、".join(
                        f"{fmt.text(nm)}({c})第 {int(r)} 名 {fmt.number(t, 1)} 分"
                        for nm, c, r, t in zip(below["name"], below["cadre_id"], below["excellent_rank"],
                                               below["total"])) or "无(达到优秀线的干部都在名额内)",
                })
            st.markdown(f"**{int(line['year'].iloc[0])} 年各考核组的优秀名额**")
            st.dataframe(fmt.cells(pd.DataFrame(rows)), hide_index=True, width="stretch")
            st.caption("人数与名次按全组计算;“达到优秀线”“评为优秀”和名单只含您查看范围内的干部。"
                       "线下最近的干部:达到优秀线、因名额所限评为称职的前 3 名。")


def cards_tab(cards: dict | None) -> None:
    """亮牌警示: the thresholds and deductions of cards.yaml."""
    if cards:
        t, o = cards["thresholds"], cards["overdue"]
        st.latex(r"\text{差距} = \text{实际进度} - \text{计划进度}\quad(\text{百分点})")
        rows = [
            {"亮牌": "绿", "触发条件": f"差距 ≥ {t['yellow_below_pp']} 个百分点", "扣分": cards["deductions"]["绿"],
             "谈话": cards["talk_levels"]["绿"] or fmt.DASH},
            {"亮牌": "黄", "触发条件": f"差距 < {t['yellow_below_pp']} 个百分点,或逾期 ≤ {o['yellow_max_days']} 天",
             "扣分": cards["deductions"]["黄"], "谈话": cards["talk_levels"]["黄"]},
            {"亮牌": "橙", "触发条件": f"差距 ≤ {t['orange_at_or_below_pp']} 个百分点,或逾期 ≤ {o['orange_max_days']} 天,"
                                      f"或连续 {cards['escalation']['streak_to_orange']} 期黄牌",
             "扣分": cards["deductions"]["橙"], "谈话": cards["talk_levels"]["橙"]},
            {"亮牌": "红", "触发条件": f"差距 ≤ {t['red_at_or_below_pp']} 个百分点,或逾期 > {o['orange_max_days']} 天,"
                                      f"或连续 {cards['escalation']['streak_to_red']} 期黄/橙牌,"
                                      f"或预测完成度 < {cards['forecast']['red_below_pct']}%",
             "扣分": cards["deductions"]["红"], "谈话": cards["talk_levels"]["红"]},
        ]
        st.dataframe(fmt.style_cards(pd.DataFrame(rows), ["亮牌"]), hide_index=True, width="stretch")
        st.caption(f"进度达到 {t['done_at_pct']}% 记为已完成。扣分方式:"
                   f"{'亮牌或升级时扣一次' if cards['deduction_mode'] == 'per_issue' else '每期均扣'};"
                   f"红牌{'不得评为优秀' if cards['red_blocks_excellent'] else '不影响评优'}。"
                   "亮牌每月自动计算,不手工修改;更正以单独记录并注明理由。")


def ratings_tab(ratings: dict | None) -> None:
    """多维评价: rater groups, weights and minimum numbers."""
    if ratings:
        by_group = ratings.get("min_raters_by_group") or {}
        st.dataframe(pd.DataFrame({
            "评价主体": list(ratings["group_weights"]),
            "权重": [fmt.pct(v, 0) for v in ratings["group_weights"].values()],
            "最少人数": [by_group.get(g, ratings["min_raters"]) for g in ratings["group_weights"]],
        }), hide_index=True, width="content")
        st.caption("等级换算:" + "、".join(f"{k} = {v}" for k, v in ratings["grade_scores"].items())
                   + "。每位评价人先取平均;人数不足的评价主体不计入,其余权重重新归一。界面不显示评价人身份,"
                   "人数不足的组不单列平均分。")
        st.latex(r"\text{评价分} = \frac{\sum_g w_g\,\bar s_g}{\sum_g w_g}\quad(g:\ \text{人数达标的评价主体})")


def attribution_tab(scope: Scope, attribution: dict | None) -> None:
    """个人贡献: the model, its settings and what the current version could tell apart."""
    dictionary = pq.indicator_dictionary(scope)
    st.latex(r"y_{u,t,k} = \psi_{u,k}\ (\text{平台}) + \tau_{t,k}\ (\text{周期}) + \sum_c s_{c,u,t}\,\theta_{c,k}\ (\text{个人}) + \varepsilon")
    st.markdown(
        "- 识别来自**交流轮岗**:干部—单位关系图中连通的部分才可比较;从未交流、所在单位也无人进出的干部,"
        "个人贡献与平台无法分开,标为**不可判定**,不给数字。\n"
        "- 个人贡献 θ 为收缩估计(经验贝叶斯 / BLUP),在各自比较组内以平均干部为 0;给出精确标准误和区间"
        "(按残差自由度取 t 分布)。数据显示干部之间没有差别时,差别就估为 0,不设人为下限。\n"
        "- 一个指标的考核记录少于“干部数 + 单位数”时,个人与平台无法区分,该指标整体不可判定,不进入综合贡献。\n"
        "- 任务推进按一个合并模型估计,以“年度 × 任务类别”代替期间效应(分类别单独估计时记录太少)。\n"
        "- 被异常规则标出、且未标为误报或已说明的记录(规则见下表)不参与估计:造假或口径断裂的数字不是干部的贡献。\n"
        "- 单位的冲击常延续多期(如大项目投产、一次停产)。模型从同一单位相邻期的记录估计这种延续(扣除两期共有干部的部分),"
        "把干部任期内连续的记录折算为较少的独立证据:区间更宽,干部之间的差别不被高估。\n"
        "- 判定:区间整体在 0 以上为“高于组内平均”,整体在 0 以下为“低于组内平均”,否则“无显著差异”。"
        "只显示档次和区间,不排 1…N 名次,不同比较组之间不比较。")
    if attribution:
        e = attribution["estimator"]
        st.dataframe(pd.DataFrame([
            {"参数": "最少记录数(少于此数提示“样本少”)", "值": str(e["min_obs"])},
            {"参数": "区间置信水平", "值": fmt.pct(e["ci_level"], 0)},
            {"参数": "干部方差下限(占单条记录噪声方差的比例,实际上不设下限)", "值": f"{e['var_floor']:g}"},
            {"参数": "不参与估计的异常规则", "值": "、".join(attribution.get("exclude_flagged_rules") or []) or "无"},
            {"参数": "可靠度低于此值提示“识别弱”", "值": str(e["weak_reliability"])},
            {"参数": "单条记录杠杆值达到此值提示", "值": str(e["leverage_threshold"])},
        ]), hide_index=True, width="content")
        st.markdown("**综合贡献(实绩象限的 x)的权重**:各指标先按本指标干部效应的标准差标准化,再按条线加权;"
                    "“*” 适用于其他条线。")
        weights_by_role = pd.DataFrame(attribution["composite_weights"]).fillna(0.0)
        weights_by_role.index = [fmt.indicator_label(i) if str(i).startswith("task") else i for i in weights_by_role.index]
        names = dict(zip(dictionary["indicator"], dictionary["name"]))
        weights_by_role.index = [names.get(i, i) for i in weights_by_role.index]
        weights_by_role = weights_by_role.rename(columns={"*": "其他条线(*)"})
        st.dataframe(weights_by_role.map(lambda v: fmt.pct(v, 0) if v else ""), width="stretch",
                     height=35 * (len(weights_by_role) + 1) + 3)
    summary = mq.attribution_indicators(scope)
    if len(summary):
        st.markdown("**各指标能分清多少干部**(当前数据版本)")
        st.dataframe(mt.identification_table(summary, dict(zip(dictionary["indicator"], dictionary["name"]))),
                     hide_index=True, width="stretch")
    sensitivity = mq.task_share_sensitivity(scope)
    if len(sensitivity):
        st.markdown("**配合干部的分工比例**:任务记录按 责任人 / 配合干部 的约定比例记到各人名下。"
                    "用同样的记录按其他比例重估,比较数据支持度,并看结论变了多少。")
        st.dataframe(mt.share_table(sensitivity), hide_index=True, width="stretch")
        st.caption(mt.favoured_share_text(sensitivity))
    st.markdown("**提示标记**")
    st.dataframe(pd.DataFrame({"提示": [v[0] for v in fmt.FLAG_LABELS.values()],
                               "含义": [v[1] for v in fmt.FLAG_LABELS.values()],
                               "导出文件中的写法": list(fmt.FLAG_LABELS)}), hide_index=True, width="stretch")


def quadrants_tab(quadrants: dict | None, weights: dict | None) -> None:
    """实绩象限: the cuts, the placement rule and the y ordering."""
    if quadrants:
        n = quadrants["names"]
        level = float(quadrants.get("x_side_level", 0.9))
        st.markdown(f"x = 个人贡献(综合,见上);y = 实绩分在同季度干部中的百分位。分界线 x = {quadrants['x_cut']},"
                    f"y = {fmt.pct(quadrants['y_cut'], 0)}。"
                    f"**按证据归入象限**:由收缩后的个人贡献及其标准误算出贡献落在分界线该侧的概率,"
                    f"达到 {fmt.pct(level, 0)} 才归入象限(即判错一侧的可能不超过 {fmt.pct(1 - level, 0)});"
                    f"否则记为“贡献不确定”,只按实绩分另列,不进入象限、季度微调名单和定向考察的低效区计分。"
                    f"页面上的“判定区间”是对应的 {fmt.pct(2 * level - 1, 0)} 区间:不跨分界线,才归入象限。"
                    f"x 所依据的指标权重不足其所任单位报送指标权重的 "
                    f"{fmt.pct(quadrants.get('min_weight_identified', 0.5), 0)} 时(例如只有任务推进可识别),"
                    "同样记为“贡献不确定”:只凭一小部分职责不下结论。每位不归入象限的干部都列出原因和相应的数字。")
        if weights:
            perf = weights["performance"]
            lead_w = fmt.config_value(perf.get("continuous_lead_weight", 1.0))
            st.markdown(
                f"**实绩 y 怎么排**:任务得分以完成计划为满分,实绩分封顶 {perf['performance_cap']} 分,"
                "所以常有不少干部实绩分相同(多为满分),只按实绩分排会在图上挤成一条横线。"
                "实绩分相同的干部,再按“实绩排序分”分先后:加权方法与实绩分相同,但不封顶,"
                f"每项任务记 难度系数 ×(任务得分 + {lead_w} × 平均领先计划进度);"
                "平均领先计划进度 = 截至当季各次填报的“实际进度 − 计划进度”的平均(百分点)。"
                "提前完成、一直领先计划、难度高的排在前面,逾期才完成的排在后面;条线指标同样不封顶。"
                "实绩分不同的干部先后不变;数据完全相同的干部(如只牵头、配合同一项任务)仍并列。"
                "实绩排序分只用于象限的 y,不影响实绩分、综合得分、等次和优秀名额。")
        st.dataframe(pd.DataFrame([
            {"象限": n["high_high"], "个人贡献 x": "高", "实绩 y": "高", "用途": "激励、使用的参考"},
            {"象限": n["high_low"], "个人贡献 x": "高", "实绩 y": "低", "用途": "平台弱但干得好:支持,不要处罚"},
            {"象限": n["low_high"], "个人贡献 x": "低", "实绩 y": "高", "用途": "成绩主要来自平台:重点审视"},
            {"象限": n["low_low"], "个人贡献 x": "低", "实绩 y": "低", "用途": "亮牌与情形 7/8 审视的参考(须人工认定)"},
            {"象限": "贡献不确定", "个人贡献 x": "有估计,判定区间跨过分界线", "实绩 y": "有", "用途": "另列,不归入四个象限"},
            {"象限": n["unidentified"], "个人贡献 x": "无法识别", "实绩 y": fmt.DASH, "用途": "另列,不归入四个象限"},
        ]), hide_index=True, width="stretch")
        st.caption(f"季度微调:最近连续 {quadrants['long_stay_quarters']} 个及以上季度处在高贡献区或低效区的干部列入名单。"
                   f"轨迹覆盖最近 {quadrants['trajectory_quarters']} 个季度,每个季度只用截至该季度末的数据估计。")


def yaml_tab() -> None:
    """配置原文: the YAML files in use, verbatim."""
    files = sorted(reference_dir().glob("*.yaml"))
    name = st.selectbox("配置文件", [p.name for p in files], key="methods_yaml", placeholder="选择配置文件")
    if name:
        st.code((reference_dir() / name).read_text(encoding="utf-8"), language="yaml", line_numbers=False)
