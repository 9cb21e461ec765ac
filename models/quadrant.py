"""实绩象限: place each cadre per quarter by contribution (x) and observed performance (y).

x is the shrunken composite contribution (platform taken out); y is the percentile of the
实绩分 (platform included). Cadres whose contribution is not identified are 不可判定, never
placed by a number they do not have.

Placement by evidence: a cadre is on a side of ``x_cut`` only when the posterior probability
that the effect lies on the side its estimate is on, ``p_side``, is at least ``x_side_level``
(a local false sign rate of at most 1 - level). Otherwise x is 不确定 (``x_status``
"uncertain"): the cadre keeps its x and y but is in no quadrant (``quadrant_code``
"unidentified", read 不可判定, as for every x that is not determined).

The placement is a code (``quadrant_code``: high_high, high_low, low_high, low_low,
unidentified); the Chinese name is the label quadrants.yaml gives it (:mod:`models.labels`),
put on at render and export time, so the marts store codes only (:data:`MART_COLUMNS`). An x resting on less than
``min_weight_identified`` of the weight its role is meant to be judged on is 不确定 too: it
says little about what the cadre is assessed for.

Every row not determined carries its reason (``x_reason``) with the number behind it and the
threshold it missed (``reason_value``, ``reason_threshold``): see :data:`REASONS`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from models.labels import UNCERTAIN_NAME, UNPLACED, quadrant_label  # noqa: F401 (UNCERTAIN_NAME re-exported)

QUADRANT_COLUMNS = ["cadre_id", "period", "x", "y", "quadrant"]
# Extensions of the `quadrants` export (never renamed, only added to).
EVIDENCE_COLUMNS = ["x_low", "x_high", "p_side", "x_status", "weight_identified", "x_reason",
                    "reason_indicator", "reason_value", "reason_threshold"]
X_STATUS = ("determined", "uncertain", "unidentified")
DEFAULT_SIDE_LEVEL = 0.9
DEFAULT_MIN_WEIGHT = 0.5
# x_reason -> (reason_value, reason_threshold):
#   interval         p_side, x_side_level (uncertain: the interval crosses the cut)
#   low_weight       weight_identified, min_weight_identified (uncertain)
#   too_few_records  records of reason_indicator, cadres + units it needed (unidentified)
#   few_obs          the cadre's records on reason_indicator, the minimum (unidentified)
#   no_mobility, not_separable, no_peers   the cadre's records on reason_indicator, - (unidentified)
#   no_records, no_spread, no_estimate     -, - (unidentified; no_estimate: no composite row)
REASONS = ("interval", "low_weight", "too_few_records", "few_obs", "no_mobility", "not_separable", "no_peers",
           "no_records", "no_spread", "no_estimate")
# marts.quadrants: the contract columns with the code in place of the name (labels at render).
MART_COLUMNS = ["cadre_id", "period", "x", "y", "quadrant_code", "identified"] + EVIDENCE_COLUMNS


def side_probability(x, se, cut: float, df=None) -> np.ndarray:
    """Posterior probability that the effect is on the side of ``cut`` its estimate ``x`` is on.

    The posterior of the effect is taken as x + se * T, T standard normal, or Student t with
    ``df`` degrees of freedom where ``df`` is given and finite (the residual degrees of freedom
    of the fit). NaN where x or se is missing; an estimate exactly on the cut gets 0.5 unless
    se = 0: an exact x is certain of its side (on the cut counts as below, the cuts are strict).
    """
    x = np.asarray(x, dtype=float)
    se = np.asarray(se, dtype=float)
    dist = np.broadcast_to(np.asarray(np.nan if df is None else df, dtype=float), x.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.abs(x - cut) / se
    z = np.where((se == 0) & ~np.isnan(x), np.inf, z)
    p = np.where(np.isfinite(dist) & (dist > 0), stats.t.cdf(z, np.where(dist > 0, dist, 1.0)), stats.norm.cdf(z))
    return np.where(np.isnan(z), np.nan, p)


def interval_level(config: dict) -> float:
    """The central level of the interval x is placed by (x_low, x_high): 2 * x_side_level - 1,
    80 % for the default 0.9, so that the interval stays off the cut exactly when x is placed."""
    return 2 * float(config.get("x_side_level", DEFAULT_SIDE_LEVEL)) - 1


def assign_quadrants(points: pd.DataFrame, config: dict) -> pd.DataFrame:
    """``points``: cadre_id, period, x, y, identified, and ``se`` (the posterior SD of x) and
    optionally ``df`` (degrees of freedom for a Student t posterior; normal where absent or NaN),
    ``weight_identified`` (share of the intended weight x stands on; 1 where absent), and for
    the reasons ``cause``, ``cause_indicator``, ``n_obs``, ``cause_records``, ``cause_needed``.

    Returns the contract columns, identified, and x_low, x_high, p_side, x_status:

    - p_side: :func:`side_probability` of x against ``x_cut``.
    - x_status: "unidentified" (no x or y), "determined" (p_side >= ``x_side_level``, default
      0.9, and weight_identified >= ``min_weight_identified``, default 0.5) or "uncertain".
      Without an ``se`` column every identified x is treated as exact (the old point-estimate
      placement), so callers must pass se to get the honest rule.
    - x_low, x_high: the central interval of level 2 * x_side_level - 1 (80 % by default),
      so that "the interval stays off the cut" is exactly "determined": a page that draws it
      never shows an interval crossing the cut next to a quadrant name.
    - quadrant_code: one of the four codes only when determined, else "unidentified"; quadrant:
      its name in ``config["names"]`` (the contract column; the marts keep the code only).
    """
    names = config["names"]
    cut = float(config["x_cut"])
    level = float(config.get("x_side_level", DEFAULT_SIDE_LEVEL))
    min_weight = float(config.get("min_weight_identified", DEFAULT_MIN_WEIGHT))
    out = points.copy()
    se = out["se"].astype(float) if "se" in out else pd.Series(0.0, index=out.index)
    df = out["df"].astype(float).to_numpy() if "df" in out else None
    unidentified = ~out["identified"].fillna(False).astype(bool) | out["x"].isna() | out["y"].isna()
    out.loc[unidentified, "x"] = float("nan")
    x = out["x"].astype(float)
    p_side = pd.Series(side_probability(x, se, cut, df), index=out.index)
    weight = out["weight_identified"].astype(float) if "weight_identified" in out else pd.Series(1.0, index=out.index)
    out["weight_identified"] = weight.where(~unidentified)
    light = weight.fillna(0.0) < min_weight - 1e-12
    # A missing se on an identified x cannot support a side.
    determined = ~unidentified & (p_side >= level) & ~light
    status = np.where(unidentified, "unidentified", np.where(determined, "determined", "uncertain"))
    two_sided = interval_level(config)
    if df is not None:
        dfv = np.where(np.isfinite(df) & (df > 0), df, np.inf)
        q = np.where(np.isinf(dfv), stats.norm.ppf(0.5 + two_sided / 2),
                     stats.t.ppf(0.5 + two_sided / 2, np.where(np.isinf(dfv), 1.0, dfv)))
    else:
        q = stats.norm.ppf(0.5 + two_sided / 2)
    out["x_low"] = (x - q * se).where(~unidentified)
    out["x_high"] = (x + q * se).where(~unidentified)
    out["p_side"] = p_side.where(~unidentified)
    out["x_status"] = status
    _reasons(out, unidentified, determined, light, p_side, level, min_weight)

    high_x = x > cut
    high_y = out["y"] > config["y_cut"]
    code = pd.Series("low_low", index=out.index, dtype="object")
    code[high_x & high_y] = "high_high"
    code[high_x & ~high_y] = "high_low"
    code[~high_x & high_y] = "low_high"
    code[~determined] = UNPLACED
    out["quadrant_code"] = code
    out["quadrant"] = quadrant_label(code, names)
    columns = QUADRANT_COLUMNS + ["quadrant_code", "identified"] + EVIDENCE_COLUMNS
    return out[columns].sort_values(["period", "cadre_id"]).reset_index(drop=True)


def _reasons(out: pd.DataFrame, unidentified, determined, light, p_side, level: float, min_weight: float) -> None:
    """x_reason, reason_indicator, reason_value, reason_threshold in place (see :data:`REASONS`)."""
    nan = pd.Series(np.nan, index=out.index)
    cause = out["cause"].fillna("").astype(str) if "cause" in out else pd.Series("", index=out.index)
    cause = cause.where(cause != "", "no_estimate")
    uncertain = ~unidentified & ~determined
    reason = pd.Series("", index=out.index, dtype=object)
    reason[uncertain] = np.where(light[uncertain], "low_weight", "interval")
    reason[unidentified] = cause[unidentified]
    value, threshold = nan.copy(), nan.copy()
    few = unidentified & (reason == "too_few_records")
    if "cause_records" in out:
        value[few], threshold[few] = out.loc[few, "cause_records"], out.loc[few, "cause_needed"]
    if "n_obs" in out:
        own = unidentified & reason.isin(["few_obs", "no_mobility", "not_separable", "no_peers"])
        value[own] = out.loc[own, "n_obs"]
        if "cause_needed" in out:
            minimum = reason == "few_obs"
            threshold[minimum] = out.loc[minimum, "cause_needed"]
    weak = reason == "low_weight"
    value[weak], threshold[weak] = out.loc[weak, "weight_identified"], min_weight
    wide = reason == "interval"
    value[wide], threshold[wide] = p_side[wide], level
    where = out["cause_indicator"].fillna("").astype(str) if "cause_indicator" in out else pd.Series("", index=out.index)
    out["x_reason"] = reason
    out["reason_indicator"] = where.where(unidentified, "")
    out["reason_value"] = value.astype(float)
    out["reason_threshold"] = threshold.astype(float)


def performance_percentile(scores: pd.DataFrame) -> pd.Series:
    """Percentile (0-1] of each cadre's score among the cadres scored in the same period.

    With a ``tiebreak`` column (composite's performance_continuous), cadres with the same score
    are ordered by it: the order of different scores never changes, and a cadre at the 实绩分
    cap is still placed by how far it ran ahead of plan. A missing tiebreak counts as the score
    itself; cadres equal on both stay tied (average rank).
    """
    if "tiebreak" not in scores.columns:
        return scores.groupby("period")["score"].rank(pct=True, method="average")
    score = scores["score"].astype(float).round(9)
    tie = scores["tiebreak"].astype(float).fillna(scores["score"].astype(float)).round(9)
    key = pd.DataFrame({"period": scores["period"], "score": score, "tie": tie}, index=scores.index)
    first = key.groupby("period")["score"].rank(method="dense")
    second = key.groupby(["period", "score"])["tie"].rank(method="dense")
    # Lexicographic (score, tiebreak): the second rank never exceeds the number of rows.
    combined = first * (len(key) + 1) + second
    return combined.groupby(key["period"]).rank(pct=True, method="average")


def long_stays(history: pd.DataFrame, quadrant: str, min_quarters: int) -> pd.DataFrame:
    """Cadres whose most recent run of consecutive quarters in ``quadrant`` is at least
    ``min_quarters`` long (the 季度微调 list). Columns: cadre_id, quarters, since, until."""
    rows = []
    for cadre_id, h in history.sort_values("period").groupby("cadre_id"):
        run = 0
        for q in reversed(h["quadrant"].tolist()):
            if q != quadrant:
                break
            run += 1
        if run >= min_quarters:
            periods = h["period"].tolist()
            rows.append({"cadre_id": cadre_id, "quarters": run, "since": periods[-run], "until": periods[-1]})
    return pd.DataFrame(rows, columns=["cadre_id", "quarters", "since", "until"]).sort_values(
        ["quarters", "cadre_id"], ascending=[False, True]).reset_index(drop=True)
