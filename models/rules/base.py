"""The rule protocol, what a rule reports (``RuleHit``), and the wording helpers of reasons.

A rule is a small class: ``name`` (the rule as flags name it), ``fit(panels)`` on the run's
``PanelSet`` (returns self) and ``hits()``: ``(unit row, indicator code, RuleHit)`` for every
series it evaluated, fired or not (a hit that did not fire still counts in the combined score's
denominator and gives the IsolationForest its feature). ``features()`` adds further
IsolationForest features. The detector takes the rule classes from ``models.rules.registry``.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from models.rules.flags import fmt_num
from models.rules.panel import Panel, PanelSet

Hit = tuple[int, str, "RuleHit"]


@dataclass
class RuleHit:
    rule: str
    p: float
    fired: bool
    z: float                      # peer-calibrated z (IsolationForest feature)
    onset: str | None = None
    period_start: str | None = None
    period_end: str | None = None
    reason: str = ""
    actual: float = np.nan
    expected: float = np.nan
    peer_median: float = np.nan
    measure: str = ""
    partners: list = field(default_factory=list)
    partner_kinds: list = field(default_factory=list)


class Rule:
    """Base of the series rules. ``names``: every rule name its hits may carry (``name`` unless
    a rule words itself by the indicator); ``onset``: its hits date a change, so the flag's
    onset is taken from them."""

    name: str = ""
    names: tuple[str, ...] = ()
    onset: bool = False

    def __init__(self, config: Mapping):
        self.config = config

    @property
    def rcfg(self) -> Mapping:
        return self.config["rules"][self.name]

    def fit(self, panels: PanelSet) -> "Rule":
        self.hits_: list[Hit] = []
        self.features_: dict[tuple[int, str], dict[str, float]] = {}
        self._fit(panels)
        return self

    def _fit(self, panels: PanelSet) -> None:
        raise NotImplementedError

    def _hit(self, u: int, code: str, hit: RuleHit) -> None:
        self.hits_.append((int(u), code, hit))

    def hits(self) -> list[Hit]:
        return self.hits_

    def features(self) -> dict[tuple[int, str], dict[str, float]]:
        return self.features_

    @classmethod
    def rule_names(cls) -> tuple[str, ...]:
        return cls.names or (cls.name,)


class PanelRule(Rule):
    """A rule that judges each indicator's panel on its own."""

    def _fit(self, panels: PanelSet) -> None:
        for p in panels.panels.values():
            self._panel(panels, p)

    def _panel(self, panels: PanelSet, p: Panel) -> None:
        raise NotImplementedError


def p_upper(z):
    return 0.5 * math.erfc(z / math.sqrt(2)) if np.isfinite(z) else np.nan


def pct(logdiff: float) -> float:
    return 100.0 * (math.exp(logdiff) - 1.0)


def typical(deviation: float, z: float) -> float:
    """The usual size of a deviation, in the deviation's own unit (deviation / its z-score):
    reasons say "usually about X" instead of a count of standard deviations."""
    return abs(deviation) / max(abs(z), 1e-9)


def val(x: float, unit: str) -> str:
    """A value in its unit; a negative one reads 负 (a rate of "负4.1%", never "为-4.1%")."""
    if np.isfinite(x) and x < 0:
        return f"负{fmt_num(-x)}{unit}"
    return f"{fmt_num(x)}{unit}"


def growth(x: float, about: bool = False) -> str:
    """A growth in %, said as 增长 or 下降."""
    a = "约" if about else ""
    return f"下降{a}{fmt_num(-x)}%" if np.isfinite(x) and x < 0 else f"增长{a}{fmt_num(x)}%"


def band_text(lo: float, hi: float, unit: str, as_growth: bool = False) -> str:
    """Where most peers lie, in the indicator's unit (no negative numbers shown as "的-x%")."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "同类单位太少，无法给出通常范围"
    if as_growth:
        return f"八成同类单位在{growth(lo)}到{growth(hi)}之间"
    return f"八成同类单位在{val(lo, unit)}至{val(hi, unit)}之间"
