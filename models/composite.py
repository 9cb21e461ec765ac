"""Cadre composite score per cadre × year (docs/domain.md §5.3, result table `cadre_scores`).

    综合得分 total = max(floor, 0.80 × 实绩分 + 0.20 × 评价分 + 加分 − 扣分)

* 实绩分 (performance_score, 0–100): tasks, role indicators or the units held, capped at 100
  (models.performance).
* 评价分 (rating_score): from models.ratings; if missing, 实绩分 carries 100 % (configurable).
* 加分 (bonus): +2 per 标志性成果, capped at +5.
* 扣分 (deduction): card deductions (models.cards) + 5 per verified 负面情形.
* grade 优秀/称职/基本称职/不称职 by cut-off (a red card or a verified 负面情形 blocks 优秀), then
  the 优秀名额 per year × assessment group (models.grades).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from models.cards import card_deductions
from models.config import is_missing, resolve
from models.grades import apply_excellent_quota, assessment_groups, grade_for
from models.period import Period
from models.performance import performance_scores, period_keys, role_measures, task_scores, unit_indicator_part

# pipelines.steps and bench/ reach the steps of the score through this module
__all__ = ["RESULT_COLUMNS", "SCORE_EXTRA", "cadre_scores", "empty_scores", "landmark_qualifies",
           "assessment_groups", "role_measures", "unit_indicator_part"]

RESULT_COLUMNS = ["cadre_id", "year", "performance_score", "rating_score", "bonus", "deduction",
                  "total", "grade"]


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
        st = st[(period_keys(st["period"]) <= Period.parse(as_of).key).to_numpy()]
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
