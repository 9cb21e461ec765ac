"""实绩象限: place each cadre per quarter by contribution (x) and observed performance (y).

x is the shrunken composite contribution (platform taken out); y is the percentile of the
实绩分 (platform included). Cadres whose contribution is not identified are 不可判定, never
placed by a number they do not have.

Placement by evidence: a cadre is on a side of ``x_cut`` only when the posterior probability
that the effect lies on the side its estimate is on, ``p_side``, is at least ``x_side_level``
(a local false sign rate of at most 1 - level). Otherwise x is 不确定 (``x_status``
"uncertain"): the cadre keeps its x and y but is in no quadrant (``quadrant`` = the
不可判定 name, as for every x that is not determined).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

QUADRANT_COLUMNS = ["cadre_id", "period", "x", "y", "quadrant"]
# Extensions of the `quadrants` export (never renamed, only added to).
EVIDENCE_COLUMNS = ["x_low", "x_high", "p_side", "x_status"]
X_STATUS = ("determined", "uncertain", "unidentified")
DEFAULT_SIDE_LEVEL = 0.9
# Where an uncertain cadre is counted apart from the 不可判定 in summaries (page, big screen).
UNCERTAIN_NAME = "贡献不确定"


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


def assign_quadrants(points: pd.DataFrame, config: dict) -> pd.DataFrame:
    """``points``: cadre_id, period, x, y, identified, and ``se`` (the posterior SD of x) and
    optionally ``df`` (degrees of freedom for a Student t posterior; normal where absent or NaN).

    Returns the contract columns, identified, and x_low, x_high, p_side, x_status:

    - p_side: :func:`side_probability` of x against ``x_cut``.
    - x_status: "unidentified" (no x or y), "determined" (p_side >= ``x_side_level``, default
      0.9) or "uncertain". Without an ``se`` column every identified x is treated as exact
      (the old point-estimate placement), so callers must pass se to get the honest rule.
    - x_low, x_high: the central interval of level 2 * x_side_level - 1 (80 % by default),
      so that "the interval stays off the cut" is exactly "determined": a page that draws it
      never shows an interval crossing the cut next to a quadrant name.
    - quadrant: one of the four names only when determined, else the 不可判定 name.
    """
    names = config["names"]
    cut = float(config["x_cut"])
    level = float(config.get("x_side_level", DEFAULT_SIDE_LEVEL))
    out = points.copy()
    se = out["se"].astype(float) if "se" in out else pd.Series(0.0, index=out.index)
    df = out["df"].astype(float).to_numpy() if "df" in out else None
    unidentified = ~out["identified"].fillna(False).astype(bool) | out["x"].isna() | out["y"].isna()
    out.loc[unidentified, "x"] = float("nan")
    x = out["x"].astype(float)
    p_side = pd.Series(side_probability(x, se, cut, df), index=out.index)
    # A missing se on an identified x cannot support a side.
    determined = ~unidentified & (p_side >= level)
    status = np.where(unidentified, "unidentified", np.where(determined, "determined", "uncertain"))
    two_sided = 2 * level - 1
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

    high_x = x > cut
    high_y = out["y"] > config["y_cut"]
    quadrant = pd.Series(names["low_low"], index=out.index, dtype="object")
    quadrant[high_x & high_y] = names["high_high"]
    quadrant[high_x & ~high_y] = names["high_low"]
    quadrant[~high_x & high_y] = names["low_high"]
    quadrant[~determined] = names["unidentified"]
    out["quadrant"] = quadrant
    columns = QUADRANT_COLUMNS + ["identified"] + EVIDENCE_COLUMNS
    return out[columns].sort_values(["period", "cadre_id"]).reset_index(drop=True)


def performance_percentile(scores: pd.DataFrame) -> pd.Series:
    """Percentile (0-1] of each cadre's score among the cadres scored in the same period."""
    return scores.groupby("period")["score"].rank(pct=True, method="average")


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
