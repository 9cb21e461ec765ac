"""Scoring the anomaly detector on the benchmark: series-level ranking metrics against the
planted truth."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from models.period import Period

if TYPE_CHECKING:
    from datasets.anomaly_world import Benchmark


def _month(period: str) -> int:
    """The first month of a period, as a month index (onsets of quarterly series: the quarter's first)."""
    return Period.parse(period).first_month_index


def evaluate(flags: pd.DataFrame, bench: Benchmark, top_precision: int = 20, top_fast: int = 50,
             onset_tolerance: int = 1) -> dict:
    """Series-level ranking metrics against the planted truth.

    Series are ranked by their best flag score; companion series (real consequences of a
    planted case) are dropped from the ranking. k = number of planted anomalous series;
    recall by kind counts that kind's series inside the top k. Onset accuracy: level shifts and
    spikes inside the top k whose flag onset is within ±``onset_tolerance`` months.
    """
    truth = bench.truth
    pos = truth[truth["kind"] != "companion"]
    neutral = set(zip(truth.loc[truth["kind"] == "companion", "unit_id"],
                      truth.loc[truth["kind"] == "companion", "indicator"]))
    kind_of = dict(zip(zip(pos["unit_id"], pos["indicator"]), pos["kind"]))
    onset_of = dict(zip(zip(pos["unit_id"], pos["indicator"]), pos["onset"]))
    f = flags[flags["level"] == "series"].sort_values(["score", "flag_id"], ascending=[False, True])
    f = f.drop_duplicates(["unit_id", "indicator"])
    ranked = [(u, i, o) for u, i, o in zip(f["unit_id"], f["indicator"], f["onset"]) if (u, i) not in neutral]
    k = len(kind_of)
    top_k = ranked[:k]
    hit = [(u, i) in kind_of for u, i, _ in ranked]
    out = {
        "n_flags": len(ranked),
        "k": k,
        "precision_at_%d" % top_precision: float(np.mean(hit[:top_precision])) if ranked else 0.0,
        "recall_at_k": sum(hit[:k]) / k if k else 0.0,
        "fast_in_top_%d" % top_fast: sum(u in set(bench.fast_units) for u, _, _ in ranked[:top_fast]),
    }
    for kind in sorted(set(kind_of.values())):
        n_kind = sum(1 for v in kind_of.values() if v == kind)
        out[f"recall_{kind}"] = sum(kind_of.get((u, i)) == kind for u, i, _ in top_k) / n_kind
    timed = [(u, i, o) for u, i, o in top_k if kind_of.get((u, i)) in ("level_shift", "spike")]
    good = [isinstance(o, str) and abs(_month(o) - _month(onset_of[(u, i)])) <= onset_tolerance for u, i, o in timed]
    out["onset_accuracy"] = float(np.mean(good)) if good else float("nan")
    out["n_onset_checked"] = len(good)
    return out
