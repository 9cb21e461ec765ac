"""The series rules the detector runs, in the order flags list them (a new rule: a module with
its class, and one line here)."""
from __future__ import annotations

from models.rules.digits import DigitRule
from models.rules.efficiency import QualityDivergence
from models.rules.hard import HardDivergence
from models.rules.peer import PeerDeviation
from models.rules.spike import Spike
from models.rules.step import Step
from models.rules.verified import VerifiedRule

RULES = [
    Spike,               # 突变
    Step,                # 断点
    PeerDeviation,       # 同类偏离
    HardDivergence,      # 硬指标背离
    QualityDivergence,   # 重数量轻质量 / 重增速轻效益
    DigitRule,           # 数字可疑
    VerifiedRule,        # 成效不实
]



def rule_names(rules=RULES) -> tuple[str, ...]:
    """The names ``rules`` may give their hits, in list order (how a flag lists its rules)."""
    return tuple(n for rule in rules for n in rule.rule_names())


def onset_names(rules=RULES) -> frozenset[str]:
    """The names of the rules whose hits date a change (where a flag's onset comes from)."""
    return frozenset(n for rule in rules if rule.onset for n in rule.rule_names())


SERIES_RULES = rule_names()
