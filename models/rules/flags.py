"""The flag table every anomaly level shares (series, task and 360° rating flags): its columns,
the configuration, stable ids, number formatting in reasons, severity and check hints."""
from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from models.config import load_reference

# docs/contract.md §3 `anomalies`, in order; then the extras the detectors add.
FLAG_COLUMNS = [
    "flag_id", "level", "unit_id", "cadre_id", "task_id", "indicator", "period_start",
    "period_end", "rule", "severity", "score", "reason", "check_hint",
]
EXTRA_COLUMNS = [
    "rules", "actual", "expected", "peer_median", "measure", "onset", "iforest_score",
    "indicator_name",
]
ALL_COLUMNS = FLAG_COLUMNS + EXTRA_COLUMNS


def _deep_merge(base: dict, over: Mapping) -> dict:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def load_config(config: Mapping | None = None) -> dict:
    """anomaly.yaml (through the one reference loader) with ``config`` deep-merged over it."""
    return _deep_merge(load_reference("anomaly"), config or {})


def resolve_config(config: Mapping | None) -> dict:
    """A config that already has every section passes through; a partial one (or None) is
    merged over anomaly.yaml."""
    if config is not None and {"series", "rules", "tasks", "budget", "ageing"} <= set(config):
        return dict(config)
    return load_config(config)


def isna(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NaT or x is pd.NA


def flag_id(level: str, unit_id, cadre_id, task_id, indicator, rule: str, period_start) -> str:
    """Stable id: the same flag gets the same id in every run (feedback is keyed on it)."""
    parts = [level] + ["" if isna(x) else str(x) for x in (unit_id, cadre_id, task_id, indicator)]
    parts += [rule, "" if isna(period_start) else str(period_start)]
    return hashlib.sha1("|".join(parts).encode("utf-8")).hexdigest()[:16]


def fmt_num(x) -> str:
    """How numbers appear in reasons; tests look for exactly this text."""
    if isna(x) or not np.isfinite(x):
        return "—"
    ax = abs(float(x))
    if ax < 1e12 and float(x) == round(float(x)):
        return f"{x:.0f}"
    if ax >= 100:
        return f"{x:.0f}"
    if ax >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def severity_of(score: float, cut: Mapping) -> str:
    if score >= cut["红"]:
        return "红"
    if score >= cut["橙"]:
        return "橙"
    return "黄"


def combine_p(pvals, n_eval: int) -> float:
    """Cauchy combination of the fired rules' p-values, weight 1/n_eval each (rules that did not
    fire add no evidence). Valid whatever the dependence between rules (Liu & Xie 2020)."""
    pv = np.clip(np.asarray(pvals, float), 1e-300, 0.5)
    if pv.size == 0:
        return 1.0
    w = 1.0 / max(n_eval, len(pv))
    small = pv < 1e-12
    t = np.where(small, 1.0 / (pv * math.pi), np.tan((0.5 - pv) * math.pi))
    T = float(np.sum(w * t))
    if T > 1e10:
        return 1.0 / (T * math.pi)
    return float(0.5 - math.atan(T) / math.pi)


def check_hint_for(rule: str, names: list[str], kinds: list[str], cfg: Mapping) -> str:
    hints_cfg = cfg["check_hints"]
    out = [hints_cfg["by_rule"].get(rule, "")]
    for name in names:
        for key, hint in hints_cfg["by_keyword"].items():
            if key in str(name):
                out.append(hint)
    if len(out) == 1:
        out += [hints_cfg["by_kind"].get(k, "") for k in kinds]
    seen, parts = set(), []
    for h in out:
        if h and h not in seen:
            seen.add(h)
            parts.append(h)
    return "；".join(parts)


def empty_flags(extra: list[str] | None = None) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in ALL_COLUMNS + (extra or [])})
