"""Schemas of the 干部点将台 reference files: ``dianjiang.yaml`` (certification rounds, 一事一奖,
一人一策, gauges) and ``archetypes.yaml`` (the 四将 rules).

Built from the value checks of models/config_checks.py; kept apart from models/config_schema.py
so that file stays under the size limit. models/config.py registers :data:`SCHEMAS` next to the
others, so ``load_reference`` and ``validate_all`` check these two files like every other one.
"""
from __future__ import annotations

from models.config_checks import Problem, Schema, boolean, integer, mapping, number, seq, share, text
from models.labels import QUADRANT_CODES

# Condition kinds of archetypes.yaml and the bound keys each takes (models/four_generals.py).
CONDITION_KINDS = {
    "age": ("min", "max"),
    "leading": ("value",),
    "landmarks": ("min",),
    "quadrant": ("min", "max"),
    "tasks_led": ("min",),
    "on_time_share": ("min",),
    "red_cards": ("max",),
}
SCORE_KINDS = ("landmarks", "quadrant", "tasks_led", "on_time_share")
CRITERIA = ("c1", "c2", "c3", "c4", "c5")


def _check_dianjiang(d: dict) -> list[Problem]:
    p: list[Problem] = []
    months = d["rounds"]["months"]
    if not months or any(isinstance(m, bool) or not isinstance(m, int) or not 1 <= m <= 12 for m in months) \
            or months != sorted(set(months)):
        p.append(("rounds.months", "应为 1–12 的整数,从小到大且不重复"))
    target = d["awards"]["target"]
    if sorted(target) not in (["months"], ["days"]):
        p.append(("awards.target", "应只写 months(自然月)或 days(天数)其中一项"))
    else:
        (key, value), = target.items()
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            p.append((f"awards.target.{key}", "应为不小于 1 的整数"))
    return p


def _condition_problems(path: str, c: dict) -> list[Problem]:
    kind = c["kind"]
    if text(c["name"]):
        return [(f"{path}.name", text(c["name"]))]
    if kind not in CONDITION_KINDS:
        return [(f"{path}.kind", f"应为 {' / '.join(CONDITION_KINDS)} 之一(现为 {kind!r})")]
    bounds = [k for k in CONDITION_KINDS[kind] if k in c]
    if not bounds:
        return [(path, f"{kind} 条件至少要写 {' 或 '.join(CONDITION_KINDS[kind])}")]
    p: list[Problem] = []
    for k in bounds:
        err = boolean(c[k]) if kind == "leading" else (share(c[k]) if kind == "on_time_share" else number(0)(c[k]))
        if err:
            p.append((f"{path}.{k}", err))
    if kind in ("landmarks", "quadrant"):
        span = "months" if kind == "landmarks" else "quarters"
        err = integer(1)(c.get(span))
        if err:
            p.append((f"{path}.{span}", err))
    if kind == "landmarks" and [x for x in c.get("criteria_any") or [] if x not in CRITERIA]:
        p.append((f"{path}.criteria_any", f"应取自 {', '.join(CRITERIA)}"))
    if kind == "quadrant" and (not c.get("codes") or [x for x in c["codes"] if x not in QUADRANT_CODES]):
        p.append((f"{path}.codes", f"应为非空列表,取自 {', '.join(QUADRANT_CODES)}(只计可判定的季度)"))
    return p


def _check_archetypes(d: dict) -> list[Problem]:
    p: list[Problem] = []
    for label, spec in d["labels"].items():
        base = f"labels.{label}"
        for i, c in enumerate(spec["conditions"]):
            p += _condition_problems(f"{base}.conditions[{i + 1}]", c)
        names = [c["name"] for c in spec["conditions"]]
        if len(set(names)) != len(names):
            p.append((f"{base}.conditions", "条件名称不能重复"))
        unknown = [k for k in spec["score"] if k not in SCORE_KINDS]
        if unknown:
            p.append((f"{base}.score", f"只能用 {', '.join(SCORE_KINDS)}(现有 {unknown})"))
    return p


SCHEMAS: dict[str, Schema] = {
    "dianjiang": Schema({
        "rounds.months": seq(),
        "awards.target": mapping(),
        "plans.window_months": integer(1),
        "plans.review_every_months": integer(1),
        "gauges.veteran_label": text,
        "gauges.veteran_reserve": integer(0),
        "gauges.excellent_grade": text,
        "gauges.promotion_target": share,
        "gauges.promotion_kinds": seq(text),
    }, (_check_dianjiang,)),
    "archetypes": Schema({
        "negative_lookback_months": integer(1),
        "near_miss_max": integer(0),
        "labels": mapping(mapping(required=("quota", "conditions", "score"))),
        "labels.*.quota": integer(0),
        "labels.*.conditions": seq(mapping(required=("name", "kind"))),
        "labels.*.score": mapping(number(0)),
    }, (_check_archetypes,)),
}
