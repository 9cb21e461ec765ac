"""The series detector: every registered rule over the panels of one data set, one flag per
unit × indicator carrying every rule that fired.

The p-values of the rules that fired are combined with the Cauchy combination (valid under
dependence between rules); score = -log10(p), severity from score cut-offs. An IsolationForest
on the peer-standardised rule features gives a second opinion (``iforest_score``)."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from models.rules.base import Rule, RuleHit
from models.rules.flags import (
    ALL_COLUMNS, check_hint_for, combine_p, empty_flags, flag_id, resolve_config, severity_of,
)
from models.rules.panel import PanelSet
from models.rules.registry import RULES, onset_names, rule_names


class SeriesDetector:
    """scikit-learn style: configuration in ``__init__``, data in ``fit``.

    ``config``: the anomaly configuration; None or a partial one is merged over anomaly.yaml
    (``models.rules.flags.resolve_config``); ``rules``: rule classes (default
    ``models.rules.registry.RULES``).

    Learned: ``config_`` (the configuration used), ``panels_`` (the run's ``PanelSet``),
    ``rules_`` (fitted rule instances),
    ``hits_`` ((unit row, indicator) → rule → the strongest ``RuleHit``), ``features_``
    (IsolationForest features per series) and ``flags_`` (the flag table, by score)."""

    def __init__(self, config: Mapping | None = None, rules: Sequence[type[Rule]] | None = None):
        self.config = config
        self.rules = rules

    def fit(self, values: pd.DataFrame, indicators: Mapping, units: pd.DataFrame) -> "SeriesDetector":
        rules = RULES if self.rules is None else list(self.rules)
        self.config_ = resolve_config(self.config)
        self.panels_ = PanelSet(values, indicators, units, self.config_)
        self.rules_: list[Rule] = []
        self.hits_: dict[tuple[int, str], dict[str, RuleHit]] = {}
        self.features_: dict[tuple[int, str], dict[str, float]] = {}
        if self.panels_.panels:
            for cls in rules:
                rule = cls(self.config_).fit(self.panels_)
                self.rules_.append(rule)
                for u, code, hit in rule.hits():
                    self._add(u, code, hit)
                for key, feats in rule.features().items():
                    self.features_.setdefault(key, {}).update(feats)
        self.flags_ = self._flags(list(rule_names(rules)), onset_names(rules))
        return self

    def _add(self, u: int, code: str, hit: RuleHit) -> None:
        slot = self.hits_.setdefault((u, code), {})
        old = slot.get(hit.rule)
        if old is None or (hit.fired, -hit.p) > (old.fired, -old.p):
            slot[hit.rule] = hit
        self.features_.setdefault((u, code), {})[hit.rule] = hit.z

    def _flags(self, order: list[str], onset_rules: frozenset[str]) -> pd.DataFrame:
        rows = []
        keys = sorted(self.hits_)
        iso = self._iforest(keys)
        cut = self.config_["scoring"]["severity"]
        for key in keys:
            u, code = key
            hits = self.hits_[key]
            fired = [h for h in hits.values() if h.fired]
            if not fired:
                continue
            fired.sort(key=lambda h: (h.p, order.index(h.rule)))
            top = fired[0]
            pc = combine_p([h.p for h in fired], len(hits))
            score = -math.log10(max(pc, 1e-300))
            # Onset: of the strongest fired time rule; else of a time rule with some evidence
            # (p <= 0.01) that did not reach its own bar; else where the primary evidence starts.
            timed = sorted([h for h in hits.values() if h.rule in onset_rules and h.onset
                            and (h.fired or h.p <= 0.01)], key=lambda h: (not h.fired, h.p))
            onset = timed[0].onset if timed else top.period_start
            p = self.panels_.panels[code]
            reason = top.reason
            if len(fired) > 1:
                reason += "。另：" + "；".join(f"【{h.rule}】{h.reason}" for h in fired[1:])
            reason += "。（需核查）"
            hint = check_hint_for(top.rule, [p.name] + top.partners, [p.kind] + top.partner_kinds, self.config_)
            uid = self.panels_.unit_ids[u]
            rows.append({
                "flag_id": flag_id("series", uid, None, None, code, top.rule, top.period_start),
                "level": "series", "unit_id": uid, "cadre_id": None, "task_id": None, "indicator": code,
                "period_start": top.period_start, "period_end": top.period_end, "rule": top.rule,
                "severity": severity_of(score, cut), "score": round(score, 3), "reason": reason,
                "check_hint": hint,
                "rules": ";".join(h.rule for h in sorted(fired, key=lambda h: order.index(h.rule))),
                "actual": top.actual, "expected": top.expected, "peer_median": top.peer_median,
                "measure": top.measure, "onset": onset, "iforest_score": iso.get(key, np.nan),
                "indicator_name": p.name,
            })
        if not rows:
            return empty_flags()
        out = pd.DataFrame(rows, columns=ALL_COLUMNS)
        return out.sort_values(["score", "flag_id"], ascending=[False, True], kind="mergesort").reset_index(drop=True)

    def _iforest(self, keys) -> dict:
        """Second opinion: IsolationForest on the peer-standardised rule features of every series."""
        from sklearn.ensemble import IsolationForest

        names = sorted({n for k in keys for n in self.features_.get(k, {})})
        if len(keys) < 16 or not names:
            return {}
        F = np.array([[self.features_.get(k, {}).get(n, 0.0) for n in names] for k in keys], float)
        F = np.clip(np.nan_to_num(F, nan=0.0, posinf=8.0, neginf=-8.0), -8.0, 8.0)
        icfg = self.config_["scoring"]["iforest"]
        model = IsolationForest(n_estimators=icfg["n_estimators"], max_samples=min(icfg["max_samples"], len(keys)),
                                random_state=icfg["random_state"]).fit(F)
        s = -model.score_samples(F)
        return {k: round(float(v), 4) for k, v in zip(keys, s)}


def detect_series(values: pd.DataFrame, indicators: Mapping, units: pd.DataFrame, cfg: Mapping) -> pd.DataFrame:
    if values is None or len(values) == 0:
        return empty_flags()
    return SeriesDetector(cfg).fit(values, indicators, units).flags_
