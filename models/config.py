"""Policy configuration: one loader for data/reference/*.yaml, with a completeness check.

Every weight and threshold the scoring models use lives in YAML under ``data/reference/`` so a
client changes policy without touching code. ``load_reference(name)`` parses a file once per
modification time (so an edited file is picked up), checks that every key the code reads is
present and consistent, and returns a private deep copy (callers may mutate it freely).

    >>> cfg = load_reference("cards")
    >>> cfg["deductions"]["红"]
    4
"""
from __future__ import annotations

import copy
import math
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import yaml

REFERENCE_DIR = Path(__file__).resolve().parents[1] / "data" / "reference"

CARDS = ("绿", "黄", "橙", "红")
CARD_LEVEL = {c: i for i, c in enumerate(CARDS)}
SCORING_METHODS = ("completion", "rank", "growth_gap")


class ConfigError(ValueError):
    """A reference file is missing, unreadable or incomplete. ``problems`` lists every issue."""

    def __init__(self, name: str, problems: list[str]):
        self.name = name
        self.problems = list(problems)
        super().__init__(f"{name}: " + "; ".join(self.problems))


# Dotted key paths every file must define (what the code reads).
REQUIRED_KEYS: dict[str, tuple[str, ...]] = {
    "weights": (
        "indicator_scoring.defaults.method",
        "indicator_scoring.defaults.weight",
        "indicator_scoring.defaults.cap",
        "indicator_scoring.defaults.rank_basis",
        "indicator_scoring.defaults.growth_gap_width",
        "indicator_scoring.defaults.growth_benchmark",
        "indicator_scoring.defaults.fallback_method",
        "indicator_scoring.defaults.target_mode",
        "indicator_scoring.use_verified",
        "indicator_scoring.indicators",
        "indicator_scoring.bands",
        "performance.category_weights",
        "performance.unknown_category_weight",
        "performance.role_shares.lead",
        "performance.role_shares.co",
        "performance.task_score_cap",
        "performance.difficulty_default",
        "performance.performance_cap",
        "performance.role_indicators.share",
        "performance.role_indicators.roles",
        "composite.performance_weight",
        "composite.rating_weight",
        "composite.bonus_per_landmark",
        "composite.bonus_cap",
        "composite.negative_case_deduction",
        "composite.floor",
        "composite.missing_rating",
        "grades.levels",
        "grades.blocked_excellent_to",
        "grades.excellent_quota",
        "grades.excellent_quota_cap",
        "grades.assessment_groups.by",
        "grades.assessment_groups.min_size",
        "landmark.min_criteria",
        "landmark.required_any",
    ),
    "cards": (
        "thresholds.yellow_below_pp",
        "thresholds.orange_at_or_below_pp",
        "thresholds.red_at_or_below_pp",
        "thresholds.done_at_pct",
        "overdue.yellow_max_days",
        "overdue.orange_max_days",
        "escalation.streak_to_orange",
        "escalation.streak_to_red",
        "forecast.enabled",
        "forecast.red_below_pct",
        "forecast.pace_reports",
        "forecast.min_reports",
        "forecast.only_when_behind",
        "deductions",
        "deduction_mode",
        "deduction_attribution.lead",
        "deduction_attribution.co",
        "talk_levels",
        "status_words.done",
        "status_by_card",
        "red_blocks_excellent",
        "use_verified",
    ),
    "ratings": (
        "group_weights",
        "grade_scores",
        "min_raters",
    ),
    "mujun": (
        "indicators",
        "above_scale_weights",
        "below_scale_weights",
        "benchmarks.source",
        "benchmarks.published",
        "item_cap_multiple",
        "item_floor",
        "classes.within_scale_group",
        "classes.cut_shares",
        "classes.d_override.indicator",
        "classes.d_override.below_share_of_benchmark",
        "uplift.levels",
        "uplift.primary",
    ),
    "funnel": (
        "stages",
        "stage_names",
        "cohort",
        "window_months",
        "capacity.window_months",
        "capacity.rule",
        "later_stage_implies_earlier",
    ),
    "indicators": ("indicators",),
}


def _get(d: Any, dotted: str) -> tuple[bool, Any]:
    cur = d
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return False, None
        cur = cur[part]
    return True, cur


def _close(a: float, b: float, tol: float = 1e-6) -> bool:
    return abs(float(a) - float(b)) <= tol


# --- consistency checks beyond key presence -------------------------------------------------

def _check_weights(d: dict) -> list[str]:
    p: list[str] = []
    sc = d["indicator_scoring"]
    for code, spec in ({"defaults": sc["defaults"]} | (sc["indicators"] or {})).items():
        spec = spec or {}
        for k in ("method", "fallback_method"):
            if k in spec and spec[k] not in SCORING_METHODS:
                p.append(f"indicator_scoring.{code}.{k}={spec[k]!r} 不是 {SCORING_METHODS} 之一")
        if "cap" in spec and not float(spec["cap"]) >= 1.0:
            p.append(f"indicator_scoring.{code}.cap 应 ≥ 1")
        if "weight" in spec and float(spec["weight"]) < 0:
            p.append(f"indicator_scoring.{code}.weight 不能为负")
        if "growth_gap_width" in spec and not float(spec["growth_gap_width"]) > 0:
            p.append(f"indicator_scoring.{code}.growth_gap_width 应 > 0")
    bands = sc["bands"]
    shares = [float(b["max_share"]) for b in bands]
    if shares != sorted(shares) or not _close(shares[-1], 1.0):
        p.append("indicator_scoring.bands 的 max_share 应递增且最后为 1")
    perf = d["performance"]
    if any(float(w) < 0 for w in perf["category_weights"].values()):
        p.append("performance.category_weights 不能为负")
    if not _close(float(perf["role_shares"]["lead"]) + float(perf["role_shares"]["co"]), 1.0):
        p.append("performance.role_shares lead + co 应为 1")
    if not 0 <= float(perf["role_indicators"]["share"]) < 1:
        p.append("performance.role_indicators.share 应在 [0, 1)")
    for role, spec in (perf["role_indicators"]["roles"] or {}).items():
        ms = spec.get("measures") or {}
        if not ms:
            p.append(f"performance.role_indicators.roles.{role}.measures 为空")
        total = sum(float(m.get("weight", 0)) for m in ms.values())
        if ms and not _close(total, 1.0):
            p.append(f"performance.role_indicators.roles.{role} 的 measures 权重和为 {total}, 应为 1")
        for mname, m in ms.items():
            if m.get("method") not in ("completion", "growth_gap"):
                p.append(f"role measure {role}.{mname}.method 应为 completion 或 growth_gap")
    comp = d["composite"]
    if not _close(float(comp["performance_weight"]) + float(comp["rating_weight"]), 1.0):
        p.append("composite.performance_weight + rating_weight 应为 1 (80/20)")
    if comp["missing_rating"] not in ("renormalise", "missing"):
        p.append("composite.missing_rating 应为 renormalise 或 missing")
    mins = [float(g["min"]) for g in d["grades"]["levels"]]
    if mins != sorted(mins, reverse=True):
        p.append("grades.levels 的 min 应从高到低排列")
    names = [g["grade"] for g in d["grades"]["levels"]]
    if d["grades"]["blocked_excellent_to"] not in names:
        p.append("grades.blocked_excellent_to 不在 grades.levels 中")
    p += _check_quota(d["grades"])
    return p


# 《公务员考核规定》: 优秀 at most 30 % of those assessed; no configuration may go beyond it.
EXCELLENT_HARD_CAP = 0.30
GROUP_KEYS = ("unit_level", "role_type", "rank")


def _check_quota(g: dict) -> list[str]:
    p: list[str] = []
    quota, cap = float(g["excellent_quota"]), float(g["excellent_quota_cap"])
    if not 0 < cap <= EXCELLENT_HARD_CAP + 1e-12:
        p.append(f"grades.excellent_quota_cap={cap:g} 无效:优秀比例上限应大于 0 且不超过 30%"
                 "(《公务员考核规定》:优秀等次最多不超过参加考核人数的 30%)")
    if not 0 <= quota <= min(cap, EXCELLENT_HARD_CAP) + 1e-12:
        p.append(f"grades.excellent_quota={quota:g} 超出允许范围:优秀名额比例应在 0 与上限 "
                 f"{min(cap, EXCELLENT_HARD_CAP):g} 之间(《公务员考核规定》一般 20% 以内,最多 30%)")
    by = g["assessment_groups"]["by"]
    if not isinstance(by, list) or any(k not in GROUP_KEYS for k in by):
        p.append(f"grades.assessment_groups.by={by!r} 无效:应为列表,元素取自 {', '.join(GROUP_KEYS)}"
                 "(空列表 = 全县一组)")
    ms = g["assessment_groups"]["min_size"]
    if isinstance(ms, bool) or not isinstance(ms, int) or ms < 1:
        p.append(f"grades.assessment_groups.min_size={ms!r} 无效:应为不小于 1 的整数")
    return p


def _check_cards(d: dict) -> list[str]:
    p: list[str] = []
    t = d["thresholds"]
    if not (float(t["red_at_or_below_pp"]) < float(t["orange_at_or_below_pp"])
            < float(t["yellow_below_pp"]) <= 0):
        p.append("thresholds 应满足 red < orange < yellow ≤ 0")
    if not 0 <= float(d["overdue"]["yellow_max_days"]) < float(d["overdue"]["orange_max_days"]):
        p.append("overdue 应满足 0 ≤ yellow_max_days < orange_max_days")
    e = d["escalation"]
    if not 2 <= int(e["streak_to_orange"]) <= int(e["streak_to_red"]):
        p.append("escalation 应满足 2 ≤ streak_to_orange ≤ streak_to_red")
    for key in ("deductions", "talk_levels", "status_by_card"):
        missing = [c for c in CARDS if c not in d[key]]
        if missing:
            p.append(f"{key} 缺少牌色 {missing}")
    ded = [float(d["deductions"][c]) for c in CARDS if c in d["deductions"]]
    if ded != sorted(ded):
        p.append("deductions 应随牌色加重而不减")
    if d["deduction_mode"] not in ("per_issue", "per_period"):
        p.append("deduction_mode 应为 per_issue 或 per_period")
    return p


def _check_ratings(d: dict) -> list[str]:
    from pipelines.contract import GRADE_WORDS, RATER_GROUPS  # the contract's vocabularies

    p: list[str] = []
    gw = d["group_weights"]
    missing = [g for g in RATER_GROUPS if g not in gw]
    if missing:
        p.append(f"group_weights 缺少评价主体 {missing}")
    if not _close(sum(float(w) for w in gw.values()), 1.0):
        p.append("group_weights 之和应为 1")
    missing = [g for g in GRADE_WORDS if g not in d["grade_scores"]]
    if missing:
        p.append(f"grade_scores 缺少等次 {missing}")
    if any(not 0 <= float(v) <= 100 for v in d["grade_scores"].values()):
        p.append("grade_scores 应在 0–100 之间")
    if int(d["min_raters"]) < 1:
        p.append("min_raters 应 ≥ 1")
    return p


def _check_mujun(d: dict) -> list[str]:
    p: list[str] = []
    inds = d["indicators"]
    for code, spec in inds.items():
        for k in ("name", "numerator", "denominator", "missing"):
            if k not in spec:
                p.append(f"indicators.{code}.{k} 缺失")
        if spec.get("missing") not in ("zero", "average"):
            p.append(f"indicators.{code}.missing 应为 zero 或 average")
    for key in ("above_scale_weights", "below_scale_weights"):
        unknown = [k for k in d[key] if k not in inds]
        if unknown:
            p.append(f"{key} 含未定义指标 {unknown}")
    if not _close(sum(float(w) for w in d["above_scale_weights"].values()), 100.0):
        p.append("above_scale_weights 之和应为 100")
    if not _close(sum(float(w) for w in d["below_scale_weights"].values()), 100.0):
        p.append("below_scale_weights 之和应为 100")
    cuts = d["classes"]["cut_shares"]
    if list(cuts) != ["A", "B", "C", "D"]:
        p.append("classes.cut_shares 应依次为 A B C D")
    vals = [float(v) for v in cuts.values()]
    if vals != sorted(vals) or not _close(vals[-1], 1.0):
        p.append("classes.cut_shares 应递增且 D = 1")
    src = d["benchmarks"]["source"]
    if src != "computed" and src not in (d["benchmarks"]["published"] or {}):
        p.append(f"benchmarks.source={src!r} 既不是 computed 也不在 published 中")
    for place, years in (d["benchmarks"]["published"] or {}).items():
        for yr, vals_ in years.items():
            miss = [k for k in d["above_scale_weights"] if k not in vals_]
            if miss:
                p.append(f"benchmarks.published.{place}.{yr} 缺少 {miss}")
    for lv in d["uplift"]["levels"]:
        if lv not in inds or inds[lv]["denominator"] != "land_mu":
            p.append(f"uplift.levels 中 {lv} 应为以 land_mu 为分母的指标")
    if d["uplift"]["primary"] not in d["uplift"]["levels"]:
        p.append("uplift.primary 应在 uplift.levels 中")
    return p


def _check_funnel(d: dict) -> list[str]:
    p: list[str] = []
    if list(d["stages"]) != ["signed", "landed", "started", "producing", "at_capacity"]:
        p.append("stages 应为 signed, landed, started, producing, at_capacity (合同列名)")
    if [s for s in d["stages"] if s not in d["stage_names"]]:
        p.append("stage_names 应覆盖全部 stages")
    if d["cohort"] not in ("year", "quarter"):
        p.append("cohort 应为 year 或 quarter")
    if int(d["window_months"]) <= 0 or int(d["capacity"]["window_months"]) <= 0:
        p.append("window_months 应 > 0")
    for k in ("conversion", "capacity"):
        num, den = d[k].get("numerator"), d[k].get("denominator")
        if num not in d["stages"] or den not in d["stages"]:
            p.append(f"{k}.numerator/denominator 应为 stages 之一")
        elif d["stages"].index(num) <= d["stages"].index(den):
            p.append(f"{k}.numerator 应为 denominator 之后的阶段")
    return p


def _check_indicators(d: dict) -> list[str]:
    p: list[str] = []
    for code, spec in (d["indicators"] or {}).items():
        for k in ("name", "unit", "direction", "frequency", "cumulative"):
            if k not in spec:
                p.append(f"indicators.{code}.{k} 缺失")
        if spec.get("direction") not in (1, -1):
            p.append(f"indicators.{code}.direction 应为 1 或 -1")
    return p


CHECKS: dict[str, Callable[[dict], list[str]]] = {
    "weights": _check_weights,
    "cards": _check_cards,
    "ratings": _check_ratings,
    "mujun": _check_mujun,
    "funnel": _check_funnel,
    "indicators": _check_indicators,
}


def check_reference(name: str, data: Any) -> list[str]:
    """Every problem with a parsed reference file (empty list = complete and consistent)."""
    name = _stem(name)
    if not isinstance(data, dict):
        return ["文件内容应为 YAML 映射 (mapping)"]
    problems = [f"缺少配置项 {k}" for k in REQUIRED_KEYS.get(name, ()) if not _get(data, k)[0]]
    if problems or name not in CHECKS:
        return problems
    try:
        return CHECKS[name](data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:  # malformed values
        return [f"配置值格式错误: {exc!r}"]


def _stem(name: str) -> str:
    return name[:-5] if name.endswith(".yaml") else name[:-4] if name.endswith(".yml") else name


@lru_cache(maxsize=64)
def _load_cached(path: str, mtime_ns: int) -> dict:
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    problems = check_reference(Path(path).stem, data)
    if problems:
        raise ConfigError(Path(path).name, problems)
    return data


def reference_dir(directory: str | os.PathLike | None = None) -> Path:
    """The reference folder: ``directory``, else $SHIJI_REFERENCE_DIR, else data/reference/."""
    if directory is not None:
        return Path(directory)
    env = os.environ.get("SHIJI_REFERENCE_DIR")
    return Path(env) if env else REFERENCE_DIR


def load_reference(name: str, directory: str | os.PathLike | None = None) -> dict:
    """Parse ``data/reference/<name>.yaml``, check it, return a deep copy.

    Cached per (path, modification time). Raises ConfigError listing every missing or
    inconsistent key, or FileNotFoundError.
    """
    path = reference_dir(directory) / f"{_stem(name)}.yaml"
    if not path.exists():
        raise FileNotFoundError(f"参考配置文件不存在: {path}")
    return copy.deepcopy(_load_cached(str(path.resolve()), path.stat().st_mtime_ns))


def clear_cache() -> None:
    _load_cached.cache_clear()


def resolve(config: dict | None, name: str) -> dict:
    """``config`` if the caller passed one, else the reference file ``name``."""
    return load_reference(name) if config is None else config


def is_missing(x: Any) -> bool:
    """True for None, NaN, NaT, pd.NA and empty strings."""
    if x is None:
        return True
    if isinstance(x, str):
        return x.strip() == ""
    try:
        import pandas as pd

        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return isinstance(x, float) and math.isnan(x)
