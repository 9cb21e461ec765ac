"""实绩分 (performance_score, 0–100) per cadre × year, the performance part of the composite
score (models.composite; docs/domain.md §5.3, role indicators §3, §4).

* task part = Σ_cat w_cat · mean_task(score_task · difficulty) / Σ_cat w_cat over the categories
  the cadre has tasks in; the mean inside a category is weighted by the cadre's role share
  (责任人 0.6, 配合 0.4 split evenly); score_task = 100 · min(actual / planned milestone, 1).
* For cadres whose role_type has a role indicator (招商: 项目转化率/转化达产率, 工业: 亩均效益
  提升率) the role part takes ``role_indicators.share`` (20 %) and tasks the rest.
* A cadre-year with neither task nor role data is scored on the indicator scores of the units
  the cadre held (``unit_indicator_part``).
* The result is capped at 100.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from models.cards import task_roles
from models.config import is_missing, resolve
from models.period import Period, period_frame


def period_keys(periods: pd.Series) -> pd.Series:
    """:attr:`models.period.Period.key` of every code in ``periods``, decoded once per code."""
    pf = period_frame(periods)
    return 100 * pf["year"] + pf["end_month"]


def task_scores(task_status: pd.DataFrame, tasks: pd.DataFrame, as_of: str | None = None,
                config: dict | None = None) -> pd.DataFrame:
    """Score of every task at ``as_of`` (its latest report up to then; default the latest).

    score_task = 100 · min(actual_pct / planned_pct, task_score_cap); a zero milestone scores
    100; a task without any report scores 0. lead_pp is the mean of actual − planned (percentage
    points) over the task's reports up to ``as_of`` (0 without any): how far ahead of plan the
    task ran on average, so a task finished early scores above one finished on the due date and
    a late one below, where task_score is capped for all three. Columns: task_id, year, category,
    difficulty, period, planned_pct, actual_pct, task_score, note, lead_pp.
    """
    perf = resolve(config, "weights")["performance"]
    cap = float(perf["task_score_cap"])
    st = task_status.copy()
    if len(st):
        st["_k"] = period_keys(st["period"])
        if as_of is not None:
            st = st[st["_k"] <= Period.parse(as_of).key]
    if len(st):
        last = st.sort_values(["task_id", "_k"]).drop_duplicates("task_id", keep="last").set_index("task_id")
    else:
        last = pd.DataFrame(columns=["period", "planned_pct", "actual_pct"])
    out = tasks[["task_id", "year"]].copy()
    out["year"] = out["year"].astype(int)
    out["category"] = tasks["category"] if "category" in tasks.columns else None
    diff = pd.to_numeric(tasks["difficulty"], errors="coerce") if "difficulty" in tasks.columns else np.nan
    out["difficulty"] = pd.Series(diff, index=tasks.index).fillna(float(perf["difficulty_default"])).astype(float)
    last = last[["period", "planned_pct", "actual_pct"]]
    out["period"] = out["task_id"].map(last["period"])
    out["planned_pct"] = out["task_id"].map(last["planned_pct"]).astype(float)
    out["actual_pct"] = out["task_id"].map(last["actual_pct"]).astype(float)
    reported = out["period"].notna()
    ratio = (out["actual_pct"] / out["planned_pct"].where(out["planned_pct"] > 0)).clip(0.0, cap)
    out["task_score"] = np.where(~reported, 0.0, np.where(out["planned_pct"] > 0, 100.0 * ratio, 100.0))
    out["note"] = np.where(~reported, "无进度填报,按0分计",
                           np.where(out["planned_pct"] > 0, "", "计划进度为0,按满分计"))
    if len(st):
        gap = pd.to_numeric(st["actual_pct"], errors="coerce") - pd.to_numeric(st["planned_pct"], errors="coerce")
        lead = gap.groupby(st["task_id"]).mean()
    else:
        lead = pd.Series(dtype=float)
    out["lead_pp"] = out["task_id"].map(lead).astype(float).fillna(0.0)
    return out.reset_index(drop=True)


def score_role_measure(value: float, spec: dict, benchmark: float = np.nan, capped: bool = True) -> float:
    """A role measure on 0–100: completion ``100·clip(v/target, 0, cap)`` or growth gap
    ``100·clip(0.5 + (v − benchmark)/width, 0, 1)`` (benchmark 0 when missing). ``capped=False``
    drops the ceiling (not the floor 0), for the continuous score that orders ties."""
    if value is None or pd.isna(value):
        return np.nan
    if spec["method"] == "completion":
        top = float(spec.get("cap", 1.0)) if capped else np.inf
        return 100.0 * min(max(float(value) / float(spec["target"]), 0.0), top)
    b = 0.0 if benchmark is None or pd.isna(benchmark) else float(benchmark)
    return 100.0 * min(max(0.5 + (float(value) - b) / float(spec["width"]), 0.0), 1.0 if capped else np.inf)


def role_measures(
    funnel_cadre: pd.DataFrame | None = None,
    mujun_cadre: pd.DataFrame | None = None,
    mujun_county: pd.DataFrame | None = None,
    config: dict | None = None,
) -> pd.DataFrame:
    """Role indicator values per cadre × assessment year (cadre_id, year, measure, value,
    benchmark, source).

    * from ``funnel_by_cadre``: conversion_rate and capacity_rate of the cohort signed in
      year − cohort_lag_years (quarter cohorts are summed to years);
    * from ``cadre_mujun``: mujun_uplift_rate (提升率 of the primary level), benchmark = the
      county's rate of the same year from ``county_mujun``; mujun_uplift (提升值) for display.
    """
    ri = resolve(config, "weights")["performance"]["role_indicators"]
    lag = int(ri.get("cohort_lag_years", 1))
    parts = []
    if funnel_cadre is not None and len(funnel_cadre):
        f = funnel_cadre.copy()
        f["cohort_year"] = f["cohort"].astype(str).str.slice(0, 4).astype(int)
        g = f.groupby(["cadre_id", "cohort_year"], as_index=False)[
            ["n_signed", "n_started", "cap_n_producing", "cap_n_at_capacity"]].sum()
        g["year"] = g["cohort_year"] + lag
        conv = g["n_started"] / g["n_signed"].where(g["n_signed"] > 0)
        capr = g["cap_n_at_capacity"] / g["cap_n_producing"].where(g["cap_n_producing"] > 0)
        src = [f"{y}年签约队列" for y in g["cohort_year"]]
        for name, val in (("conversion_rate", conv), ("capacity_rate", capr)):
            parts.append(pd.DataFrame({"cadre_id": g["cadre_id"], "year": g["year"], "measure": name,
                                       "value": val, "benchmark": np.nan, "source": src}))
    if mujun_cadre is not None and len(mujun_cadre):
        m = mujun_cadre.copy()
        bench = (mujun_county.set_index("year")["uplift_rate"]
                 if mujun_county is not None and len(mujun_county) else pd.Series(dtype=float))
        b = m["year"].map(bench).astype(float)
        parts.append(pd.DataFrame({"cadre_id": m["cadre_id"], "year": m["year"],
                                   "measure": "mujun_uplift_rate", "value": m["uplift_rate"],
                                   "benchmark": b, "source": "挂联/属地企业平衡面板"}))
        parts.append(pd.DataFrame({"cadre_id": m["cadre_id"], "year": m["year"],
                                   "measure": "mujun_uplift", "value": m["uplift"],
                                   "benchmark": np.nan, "source": "挂联/属地企业平衡面板"}))
    if not parts:
        return pd.DataFrame(columns=["cadre_id", "year", "measure", "value", "benchmark", "source"])
    out = pd.concat(parts, ignore_index=True)
    out["year"] = out["year"].astype(int)
    return out


NO_TASKS = {"task_part": np.nan, "task_continuous": np.nan, "task_lead": np.nan, "n_tasks": 0, "category_detail": ""}


def performance_scores(
    task_scores_df: pd.DataFrame,
    tasks: pd.DataFrame,
    cadres: pd.DataFrame | None = None,
    role_measures_df: pd.DataFrame | None = None,
    config: dict | None = None,
    unit_part: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """实绩分 per cadre × year.

    ``unit_part`` (output of ``unit_indicator_part``) scores a cadre-year that has neither task
    nor role data on the indicator scores of the units the cadre held, so a county that delivers
    no task table still gets scores; ``basis`` says which parts a score is made of.

    performance_continuous orders cadres whose 实绩分 is the same (above all the many at the
    cap) without changing 实绩分 itself: the same sum with no ceiling anywhere (neither the
    performance_cap nor the role measures' caps) and each task worth difficulty · (task_score +
    ``continuous_lead_weight`` · lead_pp), so finishing early, running ahead of plan and harder
    tasks still count once the task score is full. task_lead is the lead_pp averaged like the
    task part (percentage points ahead of plan), for display.

    Columns: cadre_id, year, performance_score, task_part, role_part, unit_part, role_share_used,
    n_tasks, category_detail, role_detail, unit_detail, basis, performance_raw,
    performance_continuous, task_lead.
    """
    cfg = resolve(config, "weights")
    perf = cfg["performance"]
    cw = {k: float(v) for k, v in perf["category_weights"].items()}
    unknown_w = float(perf["unknown_category_weight"])
    ri = perf["role_indicators"]
    roles = task_roles(tasks, cfg)
    m = roles.merge(task_scores_df[["task_id", "category", "difficulty", "task_score"]
                                   + (["lead_pp"] if "lead_pp" in task_scores_df.columns else [])], on="task_id")
    m["category"] = m["category"].map(lambda c: "未分类" if is_missing(c) else str(c))
    m["value"] = m["task_score"] * m["difficulty"]
    lead = m["lead_pp"] if "lead_pp" in m.columns else pd.Series(0.0, index=m.index)
    m["value_c"] = (m["task_score"] + float(perf.get("continuous_lead_weight", 1.0)) * lead) * m["difficulty"]
    m["lead"] = lead
    m["cat_w"] = m["category"].map(lambda c: cw.get(c, unknown_w))

    # Share-weighted mean per cadre × year × category, then the category-weighted mean.
    m["_sv"] = m["share"] * m["value"]
    m["_svc"] = m["share"] * m["value_c"]
    m["_sl"] = m["share"] * m["lead"]
    cat = m.groupby(["cadre_id", "year", "category"], sort=False).agg(
        sv=("_sv", "sum"), svc=("_svc", "sum"), sl=("_sl", "sum"), s=("share", "sum"),
        w=("cat_w", "first")).reset_index()
    cat["mean"] = cat["sv"] / cat["s"]
    cat["wm"] = cat["w"] * cat["mean"]
    cat["mean_c"] = cat["svc"] / cat["s"]
    cat["wmc"] = cat["w"] * cat["mean_c"]
    cat["mean_l"] = cat["sl"] / cat["s"]
    cat["wml"] = cat["w"] * cat["mean_l"]
    per = cat.groupby(["cadre_id", "year"], sort=True).agg(
        wm=("wm", "sum"), w=("w", "sum"), mean=("mean", "mean"), wmc=("wmc", "sum"), mean_c=("mean_c", "mean"),
        wml=("wml", "sum"), mean_l=("mean_l", "mean")).reset_index()
    cat = cat.merge(per[["cadre_id", "year", "w"]].rename(columns={"w": "wsum"}), on=["cadre_id", "year"])
    cat["_txt"] = [f"{c}:{(w / ws if ws > 0 else 0):.3f}×{mn:.2f}"
                   for c, w, ws, mn in zip(cat["category"], cat["w"], cat["wsum"], cat["mean"])]
    details = cat.groupby(["cadre_id", "year"])["_txt"].agg(";".join)
    n_tasks = m.groupby(["cadre_id", "year"])["task_id"].nunique()
    results: dict[tuple[str, int], dict] = {}
    for row in per.itertuples(index=False):
        key = (row.cadre_id, row.year)
        results[(str(row.cadre_id), int(row.year))] = {
            "task_part": float(row.wm / row.w) if row.w > 0 else float(row.mean),
            "task_continuous": float(row.wmc / row.w) if row.w > 0 else float(row.mean_c),
            "task_lead": float(row.wml / row.w) if row.w > 0 else float(row.mean_l),
            "n_tasks": int(n_tasks[key]), "category_detail": details[key]}

    role_type = {}
    if cadres is not None and "role_type" in cadres.columns:
        role_type = {str(c): r for c, r in zip(cadres["cadre_id"], cadres["role_type"]) if not is_missing(r)}
    rm = role_measures_df if role_measures_df is not None else pd.DataFrame(
        columns=["cadre_id", "year", "measure", "value", "benchmark"])
    rm_lookup = {(str(c), int(y), ms): (v, b) for c, y, ms, v, b in
                 zip(rm["cadre_id"], rm["year"], rm["measure"], rm["value"],
                     rm["benchmark"] if "benchmark" in rm.columns else [np.nan] * len(rm))}
    role_keys = {(str(c), int(y)) for c, y, v in zip(rm["cadre_id"], rm["year"], rm["value"])
                 if role_type.get(str(c)) in (ri["roles"] or {}) and not is_missing(v)}
    for key in role_keys:
        results.setdefault(key, dict(NO_TASKS))
    units = {}
    if unit_part is not None and len(unit_part):
        units = {(str(c), int(y)): (float(v), d) for c, y, v, d in
                 zip(unit_part["cadre_id"], unit_part["year"], unit_part["unit_part"], unit_part["unit_detail"])}
    for key in units:
        results.setdefault(key, dict(NO_TASKS))

    rows = []
    share = float(ri["share"])
    for (cadre, year), r in sorted(results.items()):
        role_part, role_c, detail = np.nan, np.nan, ""
        spec = (ri["roles"] or {}).get(role_type.get(cadre))
        if spec:
            num = num_c = den = 0.0
            bits = []
            for ms, mspec in spec["measures"].items():
                v, b = rm_lookup.get((cadre, year, ms), (np.nan, np.nan))
                s = score_role_measure(v, mspec, b)
                if not pd.isna(s):
                    num += float(mspec["weight"]) * s
                    num_c += float(mspec["weight"]) * score_role_measure(v, mspec, b, capped=False)
                    den += float(mspec["weight"])
                    bits.append(f"{mspec.get('name', ms)}={v:.4g}→{s:.1f}")
                else:
                    bits.append(f"{mspec.get('name', ms)}无数据")
            role_part = num / den if den > 0 else np.nan
            role_c = num_c / den if den > 0 else np.nan
            detail = ";".join(bits)
        tp, tc = r["task_part"], r["task_continuous"]
        up, unit_detail = units.get((cadre, year), (np.nan, ""))
        if not pd.isna(role_part) and not pd.isna(tp):
            raw, used, basis = (1 - share) * tp + share * role_part, share, "任务+条线指标"
            cont = (1 - share) * tc + share * role_c
        elif not pd.isna(role_part):
            raw, used, basis, cont = role_part, 1.0, "条线指标", role_c
        elif not pd.isna(tp):
            raw, used, basis, cont = tp, 0.0, "任务", tc
        else:
            raw, used, basis = up, 0.0, "所任单位指标" if not pd.isna(up) else ""
            cont = up
        rows.append({"cadre_id": cadre, "year": year,
                     "performance_score": min(raw, float(perf["performance_cap"])) if not pd.isna(raw) else np.nan,
                     "task_part": tp, "role_part": role_part, "unit_part": up, "role_share_used": used,
                     "n_tasks": r["n_tasks"], "category_detail": r["category_detail"],
                     "role_detail": detail, "unit_detail": unit_detail, "basis": basis, "performance_raw": raw,
                     # Rounded so that identical data stays an exact tie whatever the summation order.
                     "performance_continuous": round(float(cont), 6) if not pd.isna(cont) else np.nan,
                     "task_lead": r["task_lead"]})
    return pd.DataFrame(rows, columns=["cadre_id", "year", "performance_score", "task_part", "role_part",
                                       "unit_part", "role_share_used", "n_tasks", "category_detail", "role_detail",
                                       "unit_detail", "basis", "performance_raw", "performance_continuous",
                                       "task_lead"])


def unit_indicator_part(unit_scores: pd.DataFrame, assignments: pd.DataFrame, as_of: str | None = None) -> pd.DataFrame:
    """Indicator score of the units a cadre held, per cadre × year (0–100 like 实绩分).

    For each unit and indicator, the latest score of the year up to ``as_of`` ('YYYY-MM'); each
    counts with weight = indicator weight × responsibility share × the fraction of the year (up to
    ``as_of``) the post was held, on the indicators the post covers (分管指标; empty = all).

    Columns: cadre_id, year, unit_part, unit_detail.
    """
    columns = ["cadre_id", "year", "unit_part", "unit_detail"]
    if unit_scores is None or assignments is None or unit_scores.empty or assignments.empty:
        return pd.DataFrame(columns=columns)
    s = unit_scores[unit_scores["score"].notna()].copy()
    s["_key"] = period_keys(s["period"]) if len(s) else pd.Series(dtype="int64")
    if as_of:
        s = s[s["_key"] <= Period.parse(as_of).key]
    if s.empty:
        return pd.DataFrame(columns=columns)
    s = s.sort_values("_key").groupby(["unit_id", "indicator", "year"], as_index=False).tail(1)
    a = assignments[assignments["start"].notna()].copy()
    a["share"] = pd.to_numeric(a["share"], errors="coerce").fillna(1.0)
    a["start"] = pd.to_datetime(a["start"])
    a["end"] = pd.to_datetime(a["end"], errors="coerce")
    m = s.merge(a[["cadre_id", "unit_id", "start", "end", "share", "indicators"]], on="unit_id")
    if m.empty:
        return pd.DataFrame(columns=columns)
    covers = [is_missing(lst) or not str(lst) or ind in str(lst).split(";")
              for ind, lst in zip(m["indicator"], m["indicators"])]
    m = m[covers]
    year_start = pd.to_datetime(m["year"].astype(str) + "-01-01")
    year_end = year_start + pd.offsets.YearEnd(0)
    if as_of:  # the year so far: a post that starts after the as-of has held nothing yet
        year_end = year_end.clip(upper=pd.Timestamp(Period.parse(as_of).end))
    lo = m["start"].where(m["start"] > year_start, year_start)
    hi = m["end"].where(m["end"].notna() & (m["end"] < year_end), year_end)
    held = ((hi - lo).dt.days + 1).clip(lower=0) / ((year_end - year_start).dt.days + 1)
    m = m.assign(_w=m["weight"].astype(float) * m["share"] * held)
    m = m[m["_w"] > 0]
    if m.empty:
        return pd.DataFrame(columns=columns)
    m["_ws"] = m["_w"] * m["score"].astype(float)
    g = m.groupby(["cadre_id", "year"], as_index=False).agg(ws=("_ws", "sum"), w=("_w", "sum"),
                                                           n_units=("unit_id", "nunique"),
                                                           n_indicators=("indicator", "nunique"))
    g["unit_part"] = g["ws"] / g["w"]
    g["unit_detail"] = [f"所任{u}个单位的{k}项指标得分(按分工比例和任职月数加权)"
                        for u, k in zip(g["n_units"], g["n_indicators"])]
    g["year"] = g["year"].astype(int)
    return g[columns]
