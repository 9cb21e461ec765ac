"""The 实绩象限 page's content (pages/quadrants.py keeps the widgets and the layout): the policy
it reads, the chart click, the filter mask, the cadre panel, the decomposition and the three
lists under the chart."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from models.config import load_reference
from models.period import Period
from models.quadrant import long_stays
from ui import charts
from ui import format as fmt
from ui import profile_queries as pq
from ui import quadrant_view as qv
from ui import url_state
from ui.queries import Scope
from ui.session import audit_view

FILTERS = ("period", "unit_type", "role_type", "rank", "age")  # the URL parameters of this view
CHART_KEY = "quadrant_chart"
# (URL parameter, label, column of the points) of the multiselect filters
MULTI_FILTERS = (("unit_type", "单位类型", "unit_type"), ("role_type", "分管条线", "role_type"),
                 ("rank", "职级", "rank"), ("age", "年龄段", "age_band"))


def settings() -> dict:
    """quadrants.yaml in use plus the task shares of weights.yaml, and the values read from them."""
    qcfg = load_reference("quadrants")
    return {"qcfg": qcfg, "names": qcfg["names"], "min_q": int(qcfg["long_stay_quarters"]),
            "level": float(qcfg.get("x_side_level", 0.9)),
            "shares": load_reference("weights")["performance"]["role_shares"]}


def intro(cfg: dict) -> str:
    qcfg = cfg["qcfg"]
    return (
        "横轴 x:个人贡献(剔除平台效应与全县周期后的综合估计,已收缩;0 = 可比干部的平均);"
        "纵轴 y:实绩分在同季度干部中的百分位(含平台);实绩分相同(多为封顶满分)的,再按不封顶的实绩排序分"
        "(计入难度系数和平均领先计划进度)分先后,数据完全相同的仍并列。"
        f"分界线 x = {qcfg['x_cut']}、y = {fmt.pct(qcfg['y_cut'], 0)}(见“方法说明”)。"
        "个人贡献无法与平台分离的干部不放进象限,在右侧“不可判定”栏另列。"
        + qv.UNCERTAIN_NOTE.format(level=fmt.pct(cfg["level"], 0),
                                   weight=fmt.pct(qcfg.get("min_weight_identified", 0.5), 0)))


def with_age_bands(points: pd.DataFrame, as_of: str) -> pd.DataFrame:
    last = Period.try_parse(as_of) or max(map(Period.parse, points["period"]))
    ref_year = last.year
    points["age_band"] = [fmt.age_band(b, ref_year) for b in points["birth_year"]]
    return points


def age_options() -> list[str]:
    return [b[0] for b in fmt.AGE_BANDS]


def take_chart_click(labels: dict) -> None:
    """A click on the chart selects that cadre: written to ``?cadre`` before the picker is drawn."""
    chart_state = st.session_state.get(CHART_KEY)
    picked = []
    if chart_state is not None:
        try:
            picked = [p["customdata"][0] for p in chart_state["selection"]["points"] if p.get("customdata")]
        except (KeyError, TypeError, IndexError):
            picked = []
    if picked and st.session_state.get("_quadrant_last_pick") != tuple(picked) and picked[0] in labels:
        url_state.write("cadre", picked[0])
    st.session_state["_quadrant_last_pick"] = tuple(picked)


def keep(frame: pd.DataFrame, chosen: dict[str, list]) -> pd.Series:
    """Rows matching every non-empty filter (``chosen`` maps a points column to its values)."""
    mask = pd.Series(True, index=frame.index)
    for column, values in chosen.items():
        if values:
            mask &= frame[column].isin(values)
    return mask


def scatter(now: pd.DataFrame, cfg: dict, selected: str | None) -> None:
    if now.empty:
        st.info("筛选条件下没有干部。")
        return
    show_ci = st.session_state.get("show_ci", True)
    fig = charts.quadrant_scatter(now, cfg["qcfg"], selected=selected, show_intervals=show_ci, height=640)
    st.plotly_chart(fig, key=CHART_KEY, on_select="rerun", selection_mode="points",
                    config={"displaylogo": False, "scrollZoom": False,
                            "modeBarButtonsToRemove": ["lasso2d", "select2d"]})
    n1, n2 = st.columns([4, 1])
    n1.caption(f"点击一个点查看该干部。横线为判定区间({fmt.pct(2 * cfg['level'] - 1, 0)} 区间):不跨分界线才归入象限。"
               "区间与判定是组内比较,不同比较组之间不排名次。")
    n2.toggle("显示区间", value=True, key="show_ci")


def cadre_panel(scope: Scope, cadre: str, points: pd.DataFrame, directory: pd.DataFrame, period: str,
                cfg: dict, ind_names: dict) -> None:
    """The selected cadre beside the chart: where they stand this quarter, the current composite
    contribution, and the trajectory."""
    names, level, qcfg = cfg["names"], cfg["level"], cfg["qcfg"]
    prof = directory[directory["cadre_id"] == cadre].iloc[0]
    audit_view(scope, "quadrants", {"cadre": cadre}, rows=1)
    st.subheader(f"{fmt.md(prof['name'])}({fmt.md(cadre)})")
    st.caption(f"{fmt.md(prof['unit_name'])} · {fmt.md(prof['post'])} · {fmt.md(prof['rank'])} · "
               f"{fmt.md(prof['role_type'])}条线")
    mine = points[points["cadre_id"] == cadre].sort_values("period")
    this = mine[mine["period"] == period]
    contrib = pq.cadre_contributions(scope, cadre, cfg["shares"]["lead"], cfg["shares"]["co"])
    composite = contrib[contrib["indicator"] == "*"]
    if len(this):
        r = this.iloc[0]
        color = {"high_high": "green", "high_low": "blue", "low_high": "orange", "low_low": "red"}.get(
            r["quadrant_code"], "gray")
        st.badge(f"{fmt.period_label(period)}:{fmt.md(qv.where_text(r, names))}", color=color)
        c1, c2 = st.columns(2)
        c1.metric("实绩分百分位 y", fmt.pct(r["y"], 0))
        c2.metric("个人贡献 x", fmt.number(r["x"], 2, signed=True) if not fmt.is_missing(r["x"]) else "不可判定")
        if r.get("x_status") != "determined":
            st.caption("不归入象限的原因:" + fmt.md(qv.apart_reason(r, level, float(qcfg["x_cut"]), ind_names)))
    else:
        st.badge(f"{fmt.period_label(period)}:无象限记录", color="gray")
    if len(composite):
        k = composite.iloc[0]
        if bool(k["identified"]) and not fmt.is_missing(k["effect"]):
            st.markdown(
                f"**当前综合贡献** {fmt.number(k['effect'], 2, signed=True)},"
                f"95% 区间 {fmt.interval(k['ci_low'], k['ci_high'], None, 2)} → "
                f"**{fmt.BAND_LABELS.get(k['band'], k['band'])}**")
        else:
            st.markdown("**当前综合贡献:不可判定**")
        flags = fmt.flag_list(k["flags"])
        if flags:
            st.caption("提示:" + "、".join(fmt.FLAG_LABELS.get(f, (f, ""))[0] for f in flags)
                       + "(含义见下方分解表或“方法说明”)")
    else:
        st.caption("没有该干部的个人贡献估计(无可用的考核记录)。")
    if len(mine):
        st.markdown("**各季度轨迹**")
        st.plotly_chart(charts.trajectory(mine, qcfg, height=300), key="trajectory",
                        config={"displayModeBar": False})
        st.caption(" → ".join(f"{p.year % 100:02d}Q{p.quarter} {q}"
                              for p, q in zip(map(Period.parse, mine["period"]), charts.where_label(mine, names))))


def decomposition(scope: Scope, cadre: str, label: str, cfg: dict, ind_names: dict, ind_units: dict) -> None:
    contrib = pq.cadre_contributions(scope, cadre, cfg["shares"]["lead"], cfg["shares"]["co"])
    st.markdown(f"**{fmt.md(label.split('·')[0])} 的分解:平台效应 · 周期效应 · 个人贡献(当前估计,95% 区间)**")
    if contrib.empty:
        st.caption("无可用的考核记录。")
        return
    table = fmt.contribution_rows(contrib, ind_names, ind_units)
    st.dataframe(fmt.cells(table)[["指标", "平台效应", "周期效应", "个人贡献", "95% 区间", "判定", "分工比例",
                                   "记录数", "提示"]], hide_index=True, width="stretch",
                 height=35 * (len(table) + 1) + 3)
    st.caption("平台效应:一位平均干部在这些单位的水平;周期效应:全县同期的共同波动;二者都不计入个人贡献。"
               "“不可分离”:单位无人交流进出,平台与个人分不开。实际均值为方向调整后的逐期值。")


@st.cache_data(show_spinner=False, max_entries=256)
def _long_stays(history: pd.DataFrame, quadrant: str, min_quarters: int) -> pd.DataFrame:
    # Holds only ids, periods and quadrant names of rows the caller could already see.
    return long_stays(history, quadrant, min_quarters)


def stays_table(points: pd.DataFrame, now: pd.DataFrame, history: pd.DataFrame, quadrant: str,
                cfg: dict) -> pd.DataFrame:
    """Cadres in ``quadrant`` for at least long_stay_quarters quarters in a row up to the period."""
    stays = _long_stays(history[["cadre_id", "period", "quadrant"]].reset_index(drop=True), quadrant, cfg["min_q"])
    if stays.empty:
        return stays
    latest = points.drop_duplicates("cadre_id", keep="last").set_index("cadre_id")
    info = now.set_index("cadre_id")
    rows = []
    for s in stays.itertuples(index=False):
        r = info.loc[s.cadre_id]
        c = latest.loc[s.cadre_id]
        rows.append({
            "干部": f"{r['name']}({s.cadre_id})",
            "单位": r["unit_name"], "职务": r["post"],
            "连续季度": int(s.quarters),
            "起止": f"{fmt.period_label(s.since)} — {fmt.period_label(s.until)}",
            "当前个人贡献": fmt.number(c["x_current"], 2, signed=True),
            # the interval that placed the cadre, so the list never reads 无显著差异 beside a quadrant
            f"判定区间({fmt.pct(2 * cfg['level'] - 1, 0)})": fmt.interval(c.get("x_low"), c.get("x_high"), None, 2),
            "cadre_id": s.cadre_id,
        })
    return pd.DataFrame(rows)


def lists(points: pd.DataFrame, now: pd.DataFrame, period: str, cfg: dict, ind_names: dict) -> None:
    """季度微调 lists, the cadres in no quadrant, and the distribution per quarter, as three tabs."""
    names, min_q, level = cfg["names"], cfg["min_q"], cfg["level"]
    cohort = set(now["cadre_id"])
    history = points[points["cadre_id"].isin(cohort) & (points["period"] <= period)]
    status = qv.status_of(now, names)
    tab_adjust, tab_apart, tab_dist = st.tabs(
        [f"季度微调名单(连续 ≥ {min_q} 个季度)", f"贡献不确定 / 不可判定({int((status != 'determined').sum())} 人,另列)",
         "各季度分布"])
    with tab_adjust:
        st.caption(f"截至{fmt.period_label(period)},最近连续 {min_q} 个及以上季度处在同一象限的干部(按连续季度数、编号排列,"
                   "不是名次)。名单只提示关注,调整前须结合实地了解和本人说明。")
        for code, note in (("high_high", "可作为激励、使用的参考"), ("low_low", "可作为提醒谈话、帮扶的参考(情形 7/8 须人工认定)")):
            st.markdown(f"**长期{names[code]}** · {note}")
            table = stays_table(points, now, history, names[code], cfg)
            if table.empty:
                st.caption("无")
            else:
                st.dataframe(fmt.cells(table.drop(columns="cadre_id")), hide_index=True, width="stretch",
                             height=min(35 * (len(table) + 1) + 3, 420))
    with tab_apart:
        apart = now[status != "determined"]
        if apart.empty:
            st.caption("无")
        else:
            reasons = [qv.apart_reason(r, level, float(cfg["qcfg"]["x_cut"]), ind_names) for r in apart.itertuples()]
            table = pd.DataFrame({
                "干部": [f"{n}({c})" for n, c in zip(apart["name"], apart["cadre_id"])],
                "单位": apart["unit_name"].tolist(), "职务": apart["post"].tolist(),
                "实绩分百分位": [fmt.pct(v, 0) for v in apart["y"]],
                "原因": reasons,
                "提示": [fmt.flags_text(f) for f in apart["flags"]],
            })
            st.caption("这些干部不归入四个象限:或个人贡献的区间跨过分界线(贡献不确定),或个人贡献无法估计(不可判定)。")
            st.dataframe(fmt.cells(table), hide_index=True, width="stretch", height=min(35 * (len(table) + 1) + 3, 460))
    with tab_dist:
        st.plotly_chart(charts.quadrant_counts(points[points["cadre_id"].isin(cohort)], cfg["qcfg"]), key="counts",
                        config={"displayModeBar": False})
