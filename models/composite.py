"""Cadre composite score per cadre × year (DOMAIN.md §5.3, result table `cadre_scores`).

    综合得分 total = max(floor, 0.80 × 实绩分 + 0.20 × 评价分 + 加分 − 扣分)

* 实绩分 (performance_score, 0–100):
  task part = Σ_cat w_cat · mean_task(score_task · difficulty) / Σ_cat w_cat over the categories
  the cadre has tasks in; the mean inside a category is weighted by the cadre's role share
  (责任人 0.6, 配合 0.4 split evenly); score_task = 100 · min(actual / planned milestone, 1).
  For cadres whose role_type has a role indicator (招商: 项目转化率/转化达产率, 工业: 亩均效益
  提升率) the role part takes ``role_indicators.share`` (20 %) and tasks the rest.
  The result is capped at 100.
* 评价分 (rating_score): from models.ratings; if missing, 实绩分 carries 100 % (configurable).
* 加分 (bonus): +2 per 标志性成果, capped at +5.
* 扣分 (deduction): card deductions (models.cards) + 5 per verified 负面情形.
* grade 优秀/称职/基本称职/不称职 by cut-off; a red card or a verified 负面情形 blocks 优秀.
* 优秀名额 (``apply_excellent_quota``): within each year × assessment group at most
  floor(excellent_quota × n) cadres are 优秀 (n = cadres graded in the group; 20 % by default,
  never above 30 %, 《公务员考核规定》). The default group is the level of the unit a cadre held
  longest in the year (乡镇街道·平台 / 部门 / …, ``assessment_groups``): 乡镇 and 部门 班子成员 are
  graded apart, as county organisation departments usually do. Those above the 优秀 line and not
  blocked are ranked by 综合得分, ties by 实绩分, then 评价分, then cadre_id (ascending, so the
  order is reproducible); those past the quota get the next level with the rank in the rule.
  Rounding down keeps every group within the quota, so a group of fewer than ``min_size`` graded
  cadres is pooled with the other small groups of the year (and, if still small, joins the
  smallest regular group) rather than losing its 优秀 places.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from models.cards import card_deductions, task_roles
from models.config import is_missing, resolve
from models.hierarchy import LEVEL_NAMES
from models.scoring import period_frame, period_info

RESULT_COLUMNS = ["cadre_id", "year", "performance_score", "rating_score", "bonus", "deduction",
                  "total", "grade"]


def _period_key(p: Any) -> int:
    y, _, m = period_info(p)
    return 100 * y + m


def _period_keys(periods: pd.Series) -> pd.Series:
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
        st["_k"] = _period_keys(st["period"])
        if as_of is not None:
            st = st[st["_k"] <= _period_key(as_of)]
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
    s["_key"] = _period_keys(s["period"]) if len(s) else pd.Series(dtype="int64")
    if as_of:
        s = s[s["_key"] <= _period_key(as_of)]
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
        year_end = year_end.clip(upper=pd.Timestamp(f"{as_of[:7]}-01") + pd.offsets.MonthEnd(0))
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


def landmark_qualifies(row: dict | pd.Series, config: dict | None = None) -> bool:
    """标志性成果: at least ``min_criteria`` of c1..c5 met, including one of ``required_any``."""
    lm = resolve(config, "weights")["landmark"]
    hits = {f"c{i}": _truthy(row.get(f"c{i}")) for i in range(1, 6)}
    return sum(hits.values()) >= int(lm["min_criteria"]) and any(hits[c] for c in lm["required_any"])


def _year_of(df: pd.DataFrame) -> pd.Series:
    if "year" in df.columns:
        return df["year"].astype(int)
    if "date" in df.columns:
        return pd.to_datetime(df["date"]).dt.year
    raise ValueError("需要 year 或 date 列")


def _truthy(x: Any) -> bool:
    if isinstance(x, str):
        return x.strip().lower() in ("true", "1", "是", "yes", "y", "t")
    return False if is_missing(x) else bool(x)


def _verified(df: pd.DataFrame) -> pd.Series:
    if "verified" not in df.columns:
        return pd.Series(True, index=df.index)
    return df["verified"].map(_truthy).astype(bool)


def grade_for(total: float, blocked: bool, config: dict | None = None) -> str:
    """The grade of a total; 优秀 becomes ``blocked_excellent_to`` when blocked."""
    g = resolve(config, "weights")["grades"]
    if total is None or pd.isna(total):
        return g.get("not_assessable", "不可评定")
    levels = g["levels"]
    grade = levels[-1]["grade"]
    for lv in levels:
        if total >= float(lv["min"]) - 1e-9:
            grade = lv["grade"]
            break
    if blocked and grade == levels[0]["grade"]:
        grade = g["blocked_excellent_to"]
    return grade


QUOTA_COLUMNS = ["grade_by_score", "group", "group_n", "excellent_quota_n", "excellent_rank"]
ALL_GROUP = "全体参评干部"


def assessment_groups(
    keys: pd.DataFrame,
    cadres: pd.DataFrame | None = None,
    assignments: pd.DataFrame | None = None,
    units: pd.DataFrame | None = None,
    config: dict | None = None,
) -> pd.DataFrame:
    """The assessment group of each cadre × year in ``keys`` (cadre_id, year, group).

    ``grades.assessment_groups.by`` lists the parts of the label: unit_level = level of the unit
    held the most days of the year (staging.units.level; ties → the later post), role_type and
    rank from ``cadres``; a cadre-year without a post takes the nearest post before or after. An
    empty list puts everyone in one group per year.
    """
    by = list(resolve(config, "weights")["grades"]["assessment_groups"]["by"])
    out = keys[["cadre_id", "year"]].drop_duplicates().reset_index(drop=True).copy()
    out["cadre_id"] = out["cadre_id"].astype(str)
    out["year"] = out["year"].astype(int)
    if not by:
        return out.assign(group=ALL_GROUP)
    parts: dict[str, pd.Series] = {}
    if "unit_level" in by:
        parts["unit_level"] = _unit_level(out, assignments, units)
    info = cadres.assign(cadre_id=cadres["cadre_id"].astype(str)).set_index("cadre_id") \
        if cadres is not None and len(cadres) else pd.DataFrame()
    for key, missing in (("role_type", "未填条线"), ("rank", "未填职级")):
        if key in by:
            col = info[key] if key in info.columns else pd.Series(dtype=object)
            vals = out["cadre_id"].map(col)
            parts[key] = vals.map(lambda v, m=missing: m if is_missing(v) else str(v))
    out["group"] = [" · ".join(parts[k].iloc[i] for k in by) for i in range(len(out))]
    return out


def _unit_level(keys: pd.DataFrame, assignments: pd.DataFrame | None, units: pd.DataFrame | None) -> pd.Series:
    none = pd.Series("无任职记录", index=keys.index)
    if assignments is None or units is None or assignments.empty or units.empty or "level" not in units:
        return none
    level = dict(zip(units["unit_id"].astype(str), units["level"]))
    a = assignments[assignments["start"].notna()].copy()
    a["cadre_id"] = a["cadre_id"].astype(str)
    a["start"] = pd.to_datetime(a["start"])
    a["end"] = pd.to_datetime(a["end"], errors="coerce")
    m = keys.reset_index().merge(a[["cadre_id", "unit_id", "start", "end"]], on="cadre_id")
    if m.empty:
        return none
    y0 = pd.to_datetime(m["year"].astype(str) + "-01-01")
    y1 = y0 + pd.offsets.YearEnd(0)
    lo = m["start"].where(m["start"] > y0, y0)
    hi = m["end"].where(m["end"].notna() & (m["end"] < y1), y1)
    m["_days"] = ((hi - lo).dt.days + 1).clip(lower=0)
    # No post in the year (scored on 条线 data before an appointment, say): the nearest post.
    end = m["end"].fillna(y1)  # still in post: no gap before the year (a max timestamp overflows [s] dates)
    m["_gap"] = np.maximum((m["start"] - y1).dt.days, 0) + np.maximum((y0 - end.clip(upper=y0)).dt.days, 0)
    m = m.sort_values(["index", "_days", "_gap", "start"], ascending=[True, False, True, False])
    best = m.drop_duplicates("index").set_index("index")["unit_id"].astype(str)
    labels = best.map(lambda u: LEVEL_NAMES.get(level.get(u), "其他单位"))
    return labels.reindex(keys.index).fillna("无任职记录")


def apply_excellent_quota(scores: pd.DataFrame, groups: pd.DataFrame | None = None,
                          config: dict | None = None) -> pd.DataFrame:
    """Apply the 优秀名额 per year × assessment group to the output of ``cadre_scores``.

    ``groups`` (cadre_id, year, group) from ``assessment_groups``; without it each year is one
    group. Adds grade_by_score (the grade by cut-off and blocking alone), group (after pooling),
    group_n (cadres graded in it), excellent_quota_n (its 优秀 places), excellent_rank (rank among
    those above the 优秀 line and not blocked; empty for the others); ``grade`` and ``rule`` say
    the outcome. Raises ConfigError when the configured quota exceeds the cap.
    """
    from models.config import ConfigError, _check_quota

    g = resolve(config, "weights")["grades"]
    problems = _check_quota(g)
    if problems:
        raise ConfigError("weights", problems)
    quota = float(g["excellent_quota"])
    min_size = int(g["assessment_groups"]["min_size"])
    top, second = g["levels"][0]["grade"], g["levels"][1]["grade"]
    out = scores.copy()
    out["grade_by_score"] = out["grade"]
    if groups is not None and len(groups):
        gmap = {(str(c), int(y)): str(v) for c, y, v in zip(groups["cadre_id"], groups["year"], groups["group"])}
    else:
        gmap = {}
    out["group"] = [gmap.get((str(c), int(y)), ALL_GROUP) for c, y in zip(out["cadre_id"], out["year"])]
    graded = out["total"].notna()
    for year in sorted(set(out["year"].astype(int))):
        in_year = (out["year"].astype(int) == year) & graded
        out.loc[in_year, "group"] = out.loc[in_year, "group"].map(
            _pooled(out.loc[in_year, "group"].value_counts(), min_size))
    out["group_n"] = np.nan
    out["excellent_quota_n"] = np.nan
    out["excellent_rank"] = np.nan
    for (year, group), idx in out[graded].groupby([out["year"].astype(int), "group"]).groups.items():
        rows = out.loc[idx]
        n = len(rows)
        k = int(np.floor(quota * n + 1e-9))
        out.loc[idx, "group_n"] = n
        out.loc[idx, "excellent_quota_n"] = k
        eligible = rows[(rows["grade"] == top) & ~rows["excellent_blocked"].astype(bool)]
        order = eligible.assign(_p=eligible["performance_score"].fillna(-np.inf),
                                _r=eligible["rating_score"].fillna(-np.inf)) \
            .sort_values(["total", "_p", "_r", "cadre_id"], ascending=[False, False, False, True], kind="mergesort")
        prev_total = None
        for r, (i, row) in enumerate(order.iterrows(), start=1):
            out.at[i, "excellent_rank"] = r
            if r > k:
                if k == 0:
                    text = f"本组无优秀名额(本组 {n} 人,名额 0 个:{100 * quota:g}%×{n} 向下取整)"
                else:
                    text = f"优秀名额已满(本组 {n} 人,名额 {k} 个,排第 {r})"
                if r == k + 1 and k > 0 and prev_total is not None and abs(prev_total - row["total"]) < 1e-9:
                    text += f",与第 {k} 名综合得分相同,按实绩分、评价分、干部编号依次排序"
                out.at[i, "grade"] = second
                out.at[i, "rule"] = _join_rule(row["rule"], f"{text}→{second}")
            prev_total = row["total"]
    out["excellent_rank"] = out["excellent_rank"].astype("Int64")
    out["group_n"] = out["group_n"].astype("Int64")
    out["excellent_quota_n"] = out["excellent_quota_n"].astype("Int64")
    return out


def _join_rule(rule: Any, text: str) -> str:
    return text if is_missing(rule) else f"{rule};{text}"


def _pooled(sizes: pd.Series, min_size: int) -> dict[str, str]:
    """Group → group after pooling the groups smaller than ``min_size`` (see module docstring)."""
    small = sorted(str(g) for g, n in sizes.items() if n < min_size)
    mapping = {str(g): str(g) for g in sizes.index}
    if not small:
        return mapping
    regular = sizes[[str(g) not in small for g in sizes.index]]
    if sum(int(sizes[g]) for g in small) >= min_size or regular.empty:
        label = small[0] if len(small) == 1 else f"{'、'.join(small)}(人数不足 {min_size} 人的组合并)"
        mapping.update({g: label for g in small})
        return mapping
    host = str(sorted(regular.items(), key=lambda kv: (kv[1], str(kv[0])))[0][0])
    label = f"{'、'.join([host] + small)}(人数不足 {min_size} 人的组并入)"
    mapping.update({g: label for g in small + [host]})
    return mapping


def cadre_scores(
    tasks: pd.DataFrame,
    task_status: pd.DataFrame,
    ratings: pd.DataFrame | None = None,
    cadres: pd.DataFrame | None = None,
    role_measures_df: pd.DataFrame | None = None,
    landmarks: pd.DataFrame | None = None,
    negative_cases: pd.DataFrame | None = None,
    as_of: str | None = None,
    year: int | None = None,
    config: dict | None = None,
    cards_config: dict | None = None,
    unit_part: pd.DataFrame | None = None,
    groups: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """综合得分 per cadre × year (result table ``cadre_scores``).

    Parameters
    ----------
    tasks : contract ``tasks``.
    task_status : output of ``cards.task_status`` (optionally after ``cards.apply_overrides``).
    ratings : output of ``ratings.aggregate_ratings(by="year")`` (cadre_id, year, rating_score).
    cadres : contract ``cadres`` (cadre_id, role_type) for role indicators.
    role_measures_df : output of ``role_measures``.
    landmarks : cadre_id, year[, verified, c1..c5]: one row per 标志性成果 claim.
    negative_cases : cadre_id, year or date[, verified]: one row per 负面情形.
    as_of : period 'YYYY-MM' up to which task progress counts (default: all).
    year : keep only this assessment year (default: every year found).

    unit_part : output of ``unit_indicator_part``: scores cadre-years with no task or role data.
    groups : output of ``assessment_groups`` for the 优秀名额 (default: one group per year).

    Returns the contract columns plus task_part, role_part, unit_part, basis, role_share_used, n_tasks,
    card_deduction, negative_deduction, n_landmarks, n_negative_cases, red_card,
    excellent_blocked, performance_weight_used, rating_weight_used, rule, performance_continuous
    and task_lead (see ``performance_scores``: they order ties in the 实绩象限's y, never a grade),
    and the quota columns grade_by_score, group, group_n, excellent_quota_n, excellent_rank
    (``apply_excellent_quota``).
    """
    cfg = resolve(config, "weights")
    comp = cfg["composite"]
    st = task_status
    if as_of is not None and len(st):
        st = st[(_period_keys(st["period"]) <= _period_key(as_of)).to_numpy()]
    ts = task_scores(st, tasks, config=cfg)
    perf = performance_scores(ts, tasks, cadres, role_measures_df, cfg, unit_part)
    ded = card_deductions(st, tasks, cards_config, cfg)

    keys = set(zip(perf["cadre_id"].astype(str), perf["year"].astype(int)))
    rat = {}
    if ratings is not None and len(ratings):
        rat = {(str(c), int(y)): s for c, y, s in zip(ratings["cadre_id"], ratings["year"], ratings["rating_score"])}
        keys |= set(rat)
    n_land: dict[tuple[str, int], int] = {}
    if landmarks is not None and len(landmarks):
        lm = landmarks.copy()
        lm["_year"] = _year_of(lm)
        ok = _verified(lm)
        if any(f"c{i}" in lm.columns for i in range(1, 6)):
            ok &= lm.apply(lambda r: landmark_qualifies(r, cfg), axis=1)
        for (c, y), n in lm[ok].groupby([lm["cadre_id"].astype(str), "_year"]).size().items():
            n_land[(c, int(y))] = int(n)
        keys |= set(n_land)
    n_neg: dict[tuple[str, int], int] = {}
    if negative_cases is not None and len(negative_cases):
        nc = negative_cases.copy()
        nc["_year"] = _year_of(nc)
        nc = nc[_verified(nc)]
        for (c, y), n in nc.groupby([nc["cadre_id"].astype(str), "_year"]).size().items():
            n_neg[(c, int(y))] = int(n)
        keys |= set(n_neg)
    card_d = {(str(c), int(y)): (float(d), bool(r)) for c, y, d, r in
              zip(ded["cadre_id"], ded["year"], ded["deduction"], ded["red_card"])}
    perf_i = perf.set_index(["cadre_id", "year"])
    red_blocks = bool(resolve(cards_config, "cards")["red_blocks_excellent"])

    if year is not None:
        keys = {k for k in keys if k[1] == int(year)}
    rows = []
    pw, rw = float(comp["performance_weight"]), float(comp["rating_weight"])
    for cadre, year in sorted(keys):
        p = perf_i.loc[(cadre, year)] if (cadre, year) in perf_i.index else None
        ps = float(p["performance_score"]) if p is not None else np.nan
        rs = rat.get((cadre, year), np.nan)
        rs = float(rs) if not is_missing(rs) else np.nan
        nl = n_land.get((cadre, year), 0)
        bonus = min(float(comp["bonus_cap"]), float(comp["bonus_per_landmark"]) * nl)
        cd, red = card_d.get((cadre, year), (0.0, False))
        nn = n_neg.get((cadre, year), 0)
        nd = float(comp["negative_case_deduction"]) * nn
        deduction = cd + nd
        rules = []
        if pd.isna(ps):
            total, pwu, rwu = np.nan, np.nan, np.nan
            rules.append("无实绩数据,不予评定")
        elif pd.isna(rs):
            if comp["missing_rating"] == "renormalise":
                pwu, rwu = 1.0, 0.0
                total = max(float(comp["floor"]), ps + bonus - deduction)
                rules.append("评价分空缺,实绩分按100%计")
            else:
                total, pwu, rwu = np.nan, np.nan, np.nan
                rules.append("评价分空缺,不予评定")
        else:
            pwu, rwu = pw, rw
            total = max(float(comp["floor"]), pw * ps + rw * rs + bonus - deduction)
            rules.append(f"{pw:.2f}×实绩{ps:.2f}+{rw:.2f}×评价{rs:.2f}")
        if p is not None and p["basis"] == "所任单位指标":
            rules.append("实绩分取所任单位的指标得分(无任务数据)")
        if bonus:
            rules.append(f"标志性成果{nl}项+{bonus:g}(封顶{comp['bonus_cap']})")
        if cd:
            rules.append(f"亮牌扣{cd:g}")
        if nd:
            rules.append(f"负面情形{nn}项扣{nd:g}")
        blocked = (red and red_blocks) or nn > 0
        grade = grade_for(total, blocked, cfg)
        if blocked and not pd.isna(total) and total >= float(cfg["grades"]["levels"][0]["min"]) - 1e-9:
            rules.append(("红牌" if red else "负面情形") + f"不得评优秀→{grade}")
        rows.append({
            "cadre_id": cadre, "year": year, "performance_score": ps, "rating_score": rs,
            "bonus": bonus, "deduction": deduction, "total": total, "grade": grade,
            "task_part": float(p["task_part"]) if p is not None else np.nan,
            "role_part": float(p["role_part"]) if p is not None else np.nan,
            "unit_part": float(p["unit_part"]) if p is not None else np.nan,
            "basis": p["basis"] if p is not None else "",
            "role_share_used": float(p["role_share_used"]) if p is not None else np.nan,
            "n_tasks": int(p["n_tasks"]) if p is not None else 0,
            "card_deduction": cd, "negative_deduction": nd, "n_landmarks": nl,
            "n_negative_cases": nn, "red_card": red, "excellent_blocked": blocked,
            "performance_weight_used": pwu, "rating_weight_used": rwu, "rule": ";".join(rules),
            "performance_continuous": float(p["performance_continuous"]) if p is not None else np.nan,
            "task_lead": float(p["task_lead"]) if p is not None else np.nan,
        })
    return apply_excellent_quota(pd.DataFrame(rows, columns=RESULT_COLUMNS + SCORE_EXTRA), groups, cfg)


SCORE_EXTRA = ["task_part", "role_part", "unit_part", "basis", "role_share_used", "n_tasks", "card_deduction",
               "negative_deduction", "n_landmarks", "n_negative_cases", "red_card", "excellent_blocked",
               "performance_weight_used", "rating_weight_used", "rule", "performance_continuous", "task_lead"]


def empty_scores(config: dict | None = None) -> pd.DataFrame:
    """The columns of :func:`cadre_scores` with no rows (a batch with nothing to score)."""
    return apply_excellent_quota(pd.DataFrame(columns=RESULT_COLUMNS + SCORE_EXTRA), None, config)
