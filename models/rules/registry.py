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

SERIES_RULES = tuple(n for rule in RULES for n in rule.rule_names())
ONSET_RULES = tuple(n for rule in RULES if rule.onset for n in rule.rule_names())
