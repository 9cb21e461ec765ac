"""等次 and 优秀名额: the grade of a composite score, and the quota of 优秀 per assessment group.

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

from models.config import is_missing, resolve
from models.hierarchy import LEVEL_NAMES


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
