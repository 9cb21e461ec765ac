"""What every data/reference/*.yaml must hold: one declarative schema per file.

A schema (models/config_checks.py) is ``fields`` (a dotted key path → a value check; ``*`` in a
path stands for every key of that mapping) and ``checks`` (functions over the whole file for
rules that tie keys together, such as weights summing to 1). Each problem is a ``(key path,
rule)`` pair in Chinese; the loader (models/config.py) adds the file name and reports every
problem at once. The ``checks`` run only once every field has the right type, so they can read
values directly.
"""
from __future__ import annotations

from models.config_checks import (
    Problem, Schema, boolean, either, integer, is_number, mapping, non_negative, number, one_of, optional,
    positive, probability, seq, share, text,
)
from models.vocabulary import FREQUENCIES, GRADE_WORDS, INDICATOR_KINDS, RATER_GROUPS

CARDS = ("绿", "黄", "橙", "红")
SCORING_METHODS = ("completion", "rank", "growth_gap")
# 《公务员考核规定》: 优秀 at most 30 % of those assessed; no configuration may go beyond it.
EXCELLENT_HARD_CAP = 0.30
GROUP_KEYS = ("unit_level", "role_type", "rank")

# --- rules that tie keys together -----------------------------------------------------------

def _close(a: float, b: float, tol: float = 1e-6) -> bool:
    return abs(float(a) - float(b)) <= tol


def _ascending(d: dict, section: str, *keys: str) -> list[Problem]:
    node = d
    for part in section.split("."):
        node = node[part]
    vals = [float(node[k]) for k in keys]
    if all(a < b for a, b in zip(vals, vals[1:])):
        return []
    return [(section, f"应满足 {' < '.join(keys)}")]


def _check_weights(d: dict) -> list[Problem]:
    p: list[Problem] = []
    sc = d["indicator_scoring"]
    for code, spec in (sc["indicators"] or {}).items():
        path = f"indicator_scoring.indicators.{code}"
        spec = spec or {}
        for key, check in (("method", one_of(*SCORING_METHODS)), ("fallback_method", one_of(*SCORING_METHODS)),
                           ("cap", number(1)), ("weight", non_negative), ("growth_gap_width", positive)):
            err = check(spec[key]) if key in spec else None
            if err:
                p.append((f"{path}.{key}", err))
    shares = [float(b["max_share"]) for b in sc["bands"]]
    if shares != sorted(shares) or not _close(shares[-1], 1.0):
        p.append(("indicator_scoring.bands", "max_share 应递增且最后为 1"))
    perf = d["performance"]
    if not _close(float(perf["role_shares"]["lead"]) + float(perf["role_shares"]["co"]), 1.0):
        p.append(("performance.role_shares", "lead + co 应为 1"))
    for role, spec in (perf["role_indicators"]["roles"] or {}).items():
        path = f"performance.role_indicators.roles.{role}.measures"
        ms = (spec or {}).get("measures") or {}
        if not ms:
            p.append((path, "不能为空"))
        total = sum(float(m.get("weight", 0)) for m in ms.values())
        if ms and not _close(total, 1.0):
            p.append((path, f"权重和为 {total:g}, 应为 1"))
        for mname, m in ms.items():
            if m.get("method") not in ("completion", "growth_gap"):
                p.append((f"{path}.{mname}.method", "应为 completion 或 growth_gap"))
    comp = d["composite"]
    if not _close(float(comp["performance_weight"]) + float(comp["rating_weight"]), 1.0):
        p.append(("composite", "performance_weight + rating_weight 应为 1 (80/20)"))
    mins = [float(g["min"]) for g in d["grades"]["levels"]]
    if mins != sorted(mins, reverse=True):
        p.append(("grades.levels", "min 应从高到低排列"))
    if d["grades"]["blocked_excellent_to"] not in [g["grade"] for g in d["grades"]["levels"]]:
        p.append(("grades.blocked_excellent_to", "不在 grades.levels 中"))
    return p + check_quota(d["grades"])


def check_quota(g: dict) -> list[Problem]:
    """The 优秀 quota rules of weights.yaml ``grades`` (also checked when grading)."""
    p: list[Problem] = []
    quota, cap = float(g["excellent_quota"]), float(g["excellent_quota_cap"])
    if not 0 < cap <= EXCELLENT_HARD_CAP + 1e-12:
        p.append(("grades.excellent_quota_cap",
                  f"excellent_quota_cap={cap:g} 无效:优秀比例上限应大于 0 且不超过 30%"
                  "(《公务员考核规定》:优秀等次最多不超过参加考核人数的 30%)"))
    if not 0 <= quota <= min(cap, EXCELLENT_HARD_CAP) + 1e-12:
        p.append(("grades.excellent_quota",
                  f"excellent_quota={quota:g} 超出允许范围:优秀名额比例应在 0 与上限 "
                  f"{min(cap, EXCELLENT_HARD_CAP):g} 之间(《公务员考核规定》一般 20% 以内,最多 30%)"))
    by = g["assessment_groups"]["by"]
    if not isinstance(by, list) or any(k not in GROUP_KEYS for k in by):
        p.append(("grades.assessment_groups.by", f"{by!r} 无效:应为列表,元素取自 {', '.join(GROUP_KEYS)}"
                  "(空列表 = 全县一组)"))
    ms = g["assessment_groups"]["min_size"]
    if isinstance(ms, bool) or not isinstance(ms, int) or ms < 1:
        p.append(("grades.assessment_groups.min_size", f"{ms!r} 无效:应为不小于 1 的整数"))
    return p


def _check_cards(d: dict) -> list[Problem]:
    p: list[Problem] = []
    t = d["thresholds"]
    if not (t["red_at_or_below_pp"] < t["orange_at_or_below_pp"] < t["yellow_below_pp"] <= 0):
        p.append(("thresholds", "应满足 red < orange < yellow ≤ 0"))
    if not 0 <= d["overdue"]["yellow_max_days"] < d["overdue"]["orange_max_days"]:
        p.append(("overdue", "应满足 0 ≤ yellow_max_days < orange_max_days"))
    if not 2 <= d["escalation"]["streak_to_orange"] <= d["escalation"]["streak_to_red"]:
        p.append(("escalation", "应满足 2 ≤ streak_to_orange ≤ streak_to_red"))
    ded = [float(d["deductions"][c]) for c in CARDS]
    if ded != sorted(ded):
        p.append(("deductions", "扣分应随牌色加重而不减"))
    return p


def _check_ratings(d: dict) -> list[Problem]:
    if _close(sum(float(w) for w in d["group_weights"].values()), 1.0):
        return []
    return [("group_weights", "group_weights 之和应为 1")]


def _check_mujun(d: dict) -> list[Problem]:
    p: list[Problem] = []
    inds = d["indicators"]
    for key in ("above_scale_weights", "below_scale_weights"):
        unknown = [k for k in d[key] if k not in inds]
        if unknown:
            p.append((key, f"含未定义指标 {unknown}"))
        if not _close(sum(float(w) for w in d[key].values()), 100.0):
            p.append((key, f"{key} 之和应为 100"))
    cuts = d["classes"]["cut_shares"]
    vals = [float(v) for v in cuts.values()]
    if list(cuts) != ["A", "B", "C", "D"] or vals != sorted(vals) or not _close(vals[-1], 1.0):
        p.append(("classes.cut_shares", "应依次为 A B C D, 递增且 D = 1"))
    src = d["benchmarks"]["source"]
    published = d["benchmarks"]["published"] or {}
    if src != "computed" and src not in published:
        p.append(("benchmarks.source", f"{src!r} 既不是 computed 也不在 published 中"))
    for place, years in published.items():
        for yr, vals_ in years.items():
            miss = [k for k in d["above_scale_weights"] if k not in vals_]
            if miss:
                p.append((f"benchmarks.published.{place}.{yr}", f"缺少 {miss}"))
    for lv in d["uplift"]["levels"]:
        if lv not in inds or inds[lv]["denominator"] != "land_mu":
            p.append(("uplift.levels", f"{lv} 应为以 land_mu 为分母的指标"))
    if d["uplift"]["primary"] not in d["uplift"]["levels"]:
        p.append(("uplift.primary", "应在 uplift.levels 中"))
    return p


FUNNEL_STAGES = ["signed", "landed", "started", "producing", "at_capacity"]


def _check_funnel(d: dict) -> list[Problem]:
    p: list[Problem] = []
    if list(d["stages"]) != FUNNEL_STAGES:
        p.append(("stages", f"应为 {', '.join(FUNNEL_STAGES)} (合同列名)"))
    if [s for s in d["stages"] if s not in d["stage_names"]]:
        p.append(("stage_names", "应覆盖全部 stages"))
    for k in ("conversion", "capacity"):
        num, den = d[k].get("numerator"), d[k].get("denominator")
        if num not in d["stages"] or den not in d["stages"]:
            p.append((k, f"{k}.numerator/denominator 应为 stages 之一"))
        elif d["stages"].index(num) <= d["stages"].index(den):
            p.append((k, f"{k}.numerator 应为 denominator 之后的阶段"))
    return p


def _check_anomaly(d: dict) -> list[Problem]:
    p: list[Problem] = []
    for rule, spec in d["rules"].items():
        for key, value in spec.items():
            if (key.startswith("p_") or key.endswith("_p")) and not 0 < value <= 1:
                p.append((f"rules.{rule}.{key}", "概率阈值应在 (0, 1] 之间"))
    if not d["scoring"]["severity"]["红"] > d["scoring"]["severity"]["橙"]:
        p.append(("scoring.severity", "应满足 橙 < 红"))
    p += _ascending(d, "tasks.进度滞后", "lag_pp", "orange_pp", "red_pp")
    p += _ascending(d, "tasks.进度滞后", "overdue_grace_days", "orange_overdue_days", "red_overdue_days")
    p += _ascending(d, "tasks.成效不实", "tolerance_pp", "orange_pp", "red_pp")
    p += _ascending(d, "tasks.突击完成", "jump_pp", "orange_pp", "red_pp")
    p += _ascending(d, "tasks.长期未更新", "months", "orange_months", "red_months")
    for section in ("tasks.score_base", "ratings.score_base"):
        p += _ascending(d, section, "黄", "橙", "红")
    return p


def _check_attribution(d: dict) -> list[Problem]:
    p: list[Problem] = []
    for role, weights in d["composite_weights"].items():
        if not _close(sum(float(w) for w in weights.values()), 1.0):
            p.append((f"composite_weights.{role}", "各指标权重之和应为 1"))
    if "*" not in d["composite_weights"]:
        p.append(("composite_weights", "应有 \"*\" 一项(其余岗位类型的权重)"))
    return p


def _check_indicators(d: dict) -> list[Problem]:
    """The optional fields of each indicator: kind, unit_types, plausibility bounds."""
    p: list[Problem] = []
    for code, spec in d["indicators"].items():
        for key, check in (("kind", one_of(*INDICATOR_KINDS)), ("unit_types", seq(text)),
                           ("valid_min", number()), ("valid_max", number())):
            err = check(spec[key]) if key in spec else None
            if err:
                p.append((f"indicators.{code}.{key}", err))
        if is_number(spec.get("valid_min")) and is_number(spec.get("valid_max")) \
                and spec["valid_min"] > spec["valid_max"]:
            p.append((f"indicators.{code}", "valid_min 应不大于 valid_max"))
    return p


def _check_quadrants(d: dict) -> list[Problem]:
    labels = [d["names"][k] for k in QUADRANT_KEYS]
    return [] if len(set(labels)) == len(labels) else [("names", "各象限名称不能重复")]


QUADRANT_KEYS = ("high_high", "high_low", "low_high", "low_low", "unidentified")
INDICATOR_FIELDS = {"name": text, "unit": lambda x: None if isinstance(x, str) else "应为文字",
                    "direction": one_of(1, -1), "frequency": one_of(*FREQUENCIES), "cumulative": boolean}
CARD_MAP = mapping(required=CARDS)
NUMBERS = mapping(non_negative)

# --- one schema per reference file ----------------------------------------------------------

SCHEMAS: dict[str, Schema] = {
    "weights": Schema({
        "indicator_scoring.defaults.method": one_of(*SCORING_METHODS),
        "indicator_scoring.defaults.weight": non_negative,
        "indicator_scoring.defaults.cap": number(1),
        "indicator_scoring.defaults.rank_basis": one_of("completion", "value"),
        "indicator_scoring.defaults.growth_gap_width": positive,
        "indicator_scoring.defaults.growth_benchmark": either(number(), text),
        "indicator_scoring.defaults.fallback_method": one_of(*SCORING_METHODS),
        "indicator_scoring.defaults.target_mode": one_of("auto", "prorate", "as_is"),
        "indicator_scoring.use_verified": boolean,
        "indicator_scoring.indicators": optional(mapping(optional(mapping()))),
        "indicator_scoring.bands": seq(mapping(required=("max_share", "band"))),
        "performance.category_weights": NUMBERS,
        "performance.unknown_category_weight": non_negative,
        "performance.role_shares.lead": share,
        "performance.role_shares.co": share,
        "performance.task_score_cap": positive,
        "performance.difficulty_default": positive,
        "performance.performance_cap": positive,
        "performance.role_indicators.share": number(0, lt=1),
        "performance.role_indicators.roles": optional(mapping(mapping())),
        "composite.performance_weight": share,
        "composite.rating_weight": share,
        "composite.bonus_per_landmark": non_negative,
        "composite.bonus_cap": non_negative,
        "composite.negative_case_deduction": non_negative,
        "composite.floor": number(),
        "composite.missing_rating": one_of("renormalise", "missing"),
        "grades.levels": seq(mapping(required=("grade", "min"))),
        "grades.blocked_excellent_to": text,
        "grades.excellent_quota": number(),
        "grades.excellent_quota_cap": number(),
        "grades.assessment_groups.by": seq(),
        "grades.assessment_groups.min_size": integer(),
        "landmark.min_criteria": integer(0),
        "landmark.required_any": seq(),
    }, (_check_weights,)),
    "cards": Schema({
        "thresholds.yellow_below_pp": number(),
        "thresholds.orange_at_or_below_pp": number(),
        "thresholds.red_at_or_below_pp": number(),
        "thresholds.done_at_pct": positive,
        "overdue.yellow_max_days": number(),
        "overdue.orange_max_days": number(),
        "escalation.streak_to_orange": integer(),
        "escalation.streak_to_red": integer(),
        "forecast.enabled": boolean,
        "forecast.red_below_pct": number(),
        "forecast.pace_reports": integer(1),
        "forecast.min_reports": integer(1),
        "forecast.only_when_behind": boolean,
        "deductions": mapping(non_negative, CARDS),
        "deduction_mode": one_of("per_issue", "per_period"),
        "deduction_attribution.lead": share,
        "deduction_attribution.co": share,
        "talk_levels": CARD_MAP,
        "status_words.done": text,
        "status_by_card": CARD_MAP,
        "red_blocks_excellent": boolean,
        "use_verified": boolean,
    }, (_check_cards,)),
    "ratings": Schema({
        "group_weights": mapping(non_negative, RATER_GROUPS),
        "grade_scores": mapping(number(0, 100), GRADE_WORDS),
        "min_raters": integer(1),
    }, (_check_ratings,)),
    "mujun": Schema({
        "indicators": mapping(mapping()),
        **{f"indicators.*.{k}": text for k in ("name", "numerator", "denominator")},
        "indicators.*.missing": one_of("zero", "average"),
        "above_scale_weights": NUMBERS,
        "below_scale_weights": NUMBERS,
        "benchmarks.source": text,
        "benchmarks.published": optional(mapping(mapping(mapping()))),
        "item_cap_multiple": positive,
        "item_floor": number(),
        "classes.within_scale_group": boolean,
        "classes.cut_shares": mapping(number()),
        "classes.d_override.indicator": text,
        "classes.d_override.below_share_of_benchmark": non_negative,
        "uplift.levels": seq(text),
        "uplift.primary": text,
    }, (_check_mujun,)),
    "funnel": Schema({
        "stages": seq(text),
        "stage_names": mapping(text),
        "cohort": one_of("year", "quarter"),
        "window_months": integer(1),
        "capacity.window_months": integer(1),
        "capacity.rule": text,
        "later_stage_implies_earlier": boolean,
        "conversion": mapping(),
    }, (_check_funnel,)),
    "indicators": Schema({
        "indicators": mapping(mapping()),
        **{f"indicators.*.{k}": check for k, check in INDICATOR_FIELDS.items()},
    }, (_check_indicators,)),
    "anomaly": Schema({
        "version": integer(1),
        "peer_groups": mapping(seq(text)),
        "min_peers": integer(1),
        **{f"series.{k}": mapping(integer(1), FREQUENCIES) for k in ("min_points", "min_segment", "recent_window")},
        **{f"series.{k}": integer(1) for k in ("min_pair_points", "median_polish_iter", "spike_window",
                                                "min_cycles_unit_seasonal")},
        **{f"series.{k}": positive for k in ("winsor_z", "trend_t", "z_clip")},
        **{f"series.{k}": non_negative for k in ("sigma_floor_share", "min_season_sd")},
        "rules": mapping(mapping(number())),
        "scoring.severity": mapping(positive, ("红", "橙")),
        "scoring.iforest.n_estimators": integer(1),
        "scoring.iforest.max_samples": integer(1),
        "scoring.iforest.random_state": integer(0),
        "tasks.complete_pct": positive,
        "tasks.进度滞后": mapping(non_negative, ("lag_pp", "orange_pp", "red_pp", "overdue_grace_days",
                                             "orange_overdue_days", "red_overdue_days")),
        "tasks.成效不实": mapping(either(non_negative, boolean), ("tolerance_pp", "orange_pp", "red_pp")),
        "tasks.突击完成": mapping(non_negative, ("jump_pp", "orange_pp", "red_pp", "window_before_months",
                                             "window_after_months")),
        "tasks.长期未更新": mapping(non_negative, ("months", "orange_months", "red_months")),
        "tasks.无佐证.min_evidence": integer(0),
        "tasks.score_base": mapping(positive, ("黄", "橙", "红")),
        "budget.red_per_month": integer(0),
        "budget.note": text,
        "ageing.half_life_months": positive,
        "feedback.statuses": seq(text),
        "feedback.explained_valid_months": integer(0),
        "inspection.severity_weight": NUMBERS,
        "inspection.card_weight": NUMBERS,
        "inspection.card_window_months": integer(1),
        "inspection.low_zone": text,
        "inspection.low_zone_min_quarters": integer(1),
        "inspection.low_zone_weight": non_negative,
        "inspection.top_n": integer(1),
        **{f"ratings.{k}": integer(1) for k in ("min_raters", "min_identical")},
        **{f"ratings.{k}": non_negative for k in ("near_spread_ratio", "min_lift_points", "red_lift_points",
                                                   "min_edge_lift", "red_edge_lift", "min_other_groups")},
        "ratings.identical_share": share,
        "ratings.scale_top": positive,
        "ratings.p_fire": probability,
        "ratings.score_base": mapping(positive, ("黄", "橙", "红")),
        "check_hints.by_rule": mapping(text),
        "check_hints.by_keyword": mapping(text),
        "check_hints.by_kind": mapping(text, INDICATOR_KINDS),
    }, (_check_anomaly,)),
    "attribution": Schema({
        "estimator.min_obs": integer(1),
        "estimator.ci_level": number(gt=0, lt=1),
        "estimator.var_floor": non_negative,
        "estimator.weak_reliability": share,
        "estimator.leverage_threshold": number(gt=0, hi=1),
        "exclude_flagged_rules": seq(text),
        "composite_weights": mapping(mapping(non_negative)),
    }, (_check_attribution,)),
    "quadrants": Schema({
        "x_cut": number(),
        "y_cut": number(gt=0, lt=1),
        "x_side_level": number(0.5, lt=1),
        "min_weight_identified": share,
        "names": mapping(text, QUADRANT_KEYS),
        "long_stay_quarters": integer(1),
        "trajectory_quarters": integer(1),
    }, (_check_quadrants,)),
    "briefing": Schema({
        "max_flags": integer(1),
        "max_tasks": integer(1),
        "questions.task": mapping(text),
        "questions.series": mapping(text),
        "default_question.task": text,
        "default_question.series": text,
    }),
}
