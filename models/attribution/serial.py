"""Serial correlation of the record noise within a unit, and the long-run factor by which it
inflates the noise of a cadre's run of records (``serial_correction`` of the estimator)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from models.attribution.data import _Data


def _serial_rho(d: _Data, min_pairs: int = 20) -> float:
    """Lag-1 autocorrelation of the record noise within a unit (see ``serial_correction``)."""
    if d.n < 3 or pd.Series(d.unit * d.P + d.period).duplicated().any():
        return 0.0  # not a time series: several records of one unit share a period (tasks)
    e = d.y.copy()
    for _ in range(20):  # unit + period effects by alternating projections (unbalanced panels)
        e -= (np.bincount(d.unit, e, d.J) / np.bincount(d.unit, minlength=d.J))[d.unit]
        e -= (np.bincount(d.period, e, d.P) / np.bincount(d.period, minlength=d.P))[d.period]
    # Without cadre effects in the model, cov(e_t, e_t+k) = rho^k sigma2 + (s_t . s_t+k) sigma2_cadre
    # and var(e_t) = sigma2 + (s_t . s_t) sigma2_cadre: regressions on the share overlap at lags
    # 1..3 separate the noise that lasts from the cadres two records have in common (lags 2-3
    # reach across more handovers, where the overlap varies).
    def intercept(product, overlap):
        X = np.column_stack([np.ones_like(overlap), overlap])
        return float(np.linalg.lstsq(X, product, rcond=None)[0][0])

    noise = intercept(e * e, np.asarray(d.S.multiply(d.S).sum(axis=1)).ravel())
    if not noise > 0:
        return 0.0
    order = np.lexsort((d.period, d.unit))
    lags, covs = [], []
    for k in (1, 2, 3):
        a, b = order[:-k], order[k:]
        same = (d.unit[a] == d.unit[b]) & (d.period[b] == d.period[a] + k)
        a, b = a[same], b[same]
        if a.size < min_pairs:
            break
        overlap = np.asarray(d.S[a].multiply(d.S[b]).sum(axis=1)).ravel()
        lags.append(k)
        covs.append(intercept(e[a] * e[b], overlap) / noise)
    if not lags:
        return 0.0
    # Taking out each unit's mean (over its T records) lowers every autocovariance by about
    # sigma2 (1 + rho) / ((1 - rho) T): fitted along with rho rather than ignored.
    per_unit = 1.0 / np.mean(np.bincount(d.unit, minlength=d.J)[d.unit])
    grid = np.linspace(0.0, 0.9, 91)
    # where that drop would pass a quarter of sigma2, units are too short to tell rho from it
    grid = grid[(1 + grid) / (1 - grid) * per_unit <= 0.25]
    loss = [np.sum((np.asarray(covs) - r ** np.asarray(lags) + (1 + r) / (1 - r) * per_unit) ** 2) for r in grid]
    return float(grid[int(np.argmin(loss))])


def _long_run_factor(rho: float, n: int) -> float:
    """Variance of the mean of n AR(1) errors relative to independent ones."""
    if rho <= 0 or n <= 1:
        return 1.0
    k = np.arange(1, n)
    return float(1 + 2 * np.sum((1 - k / n) * rho ** k))
