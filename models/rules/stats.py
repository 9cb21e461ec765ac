"""Robust statistics of the series rules: noise scales, peer-calibrated z-scores, step and spike
scans, and the heavy-tail p-value of a series' largest deviation."""
from __future__ import annotations

import math
import warnings
from collections.abc import Mapping

import numpy as np
from scipy import stats


def mad_sd(x) -> float:
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return np.nan
    return 1.4826 * float(np.median(np.abs(x - np.median(x))))


_TRIM_KEEP = 0.9
_TRIM_C = 1.6448536269514722          # Gaussian quantile 0.95: |d| below it is 90 %
_TRIM_FACTOR = 1 - 2 * _TRIM_C * math.exp(-_TRIM_C ** 2 / 2) / math.sqrt(2 * math.pi) / _TRIM_KEEP


def trimmed_sd(d: np.ndarray) -> float:
    """SD from the 90 % smallest |d| (Gaussian-consistent): steadier than the MAD on ~30 points,
    and the spike being measured does not inflate it."""
    a = np.abs(d[np.isfinite(d)])
    if a.size < 3:
        return 1e-6
    a.sort()
    inner = a[: max(2, int(math.ceil(_TRIM_KEEP * a.size)))]
    sd = math.sqrt(float(np.mean(inner * inner)) / _TRIM_FACTOR)
    return sd if sd > 1e-12 else max(float(np.std(d)), 1e-6)


def diff_sd(r) -> float:
    """Noise SD from first differences: a level shift or a slow misfit moves few of them."""
    d = np.diff(np.asarray(r, float))
    return trimmed_sd(d) / math.sqrt(2) if d.size >= 3 else np.nan


def shrunk_sigma(sig: np.ndarray, groups: np.ndarray, floor_share: float) -> np.ndarray:
    """Each series' noise SD, shrunk halfway (geometric mean) to its peers' median: a SD from
    a dozen differences is itself noisy, and t-statistics inherit that noise."""
    med = group_median(sig, groups)
    s = np.sqrt(np.where(np.isfinite(sig), sig, med) * med)
    return np.maximum(s, floor_share * med)


def robust_z(x: np.ndarray, groups: np.ndarray, clip: float = 30.0) -> np.ndarray:
    """Robust z of x within each calibration group (median / 1.4826 MAD, mean abs dev if 0)."""
    x = np.asarray(x, float)
    z = np.full_like(x, np.nan)
    for g in np.unique(groups):
        idx = np.where((groups == g) & np.isfinite(x))[0]
        if idx.size < 3:
            continue
        v = x[idx]
        med = np.median(v)
        sc = 1.4826 * np.median(np.abs(v - med))
        if sc <= 1e-12:
            sc = 1.2533 * np.mean(np.abs(v - med))
        if sc <= 1e-12:
            sc = 1.0
        z[idx] = np.clip((v - med) / sc, -clip, clip)
    return z


def group_median(x: np.ndarray, groups: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Each unit's peer-group median of x (finite values, optionally masked)."""
    x = np.asarray(x, float)
    ok = np.isfinite(x) if mask is None else (np.isfinite(x) & mask)
    out = np.full(x.shape, np.nan)
    for g in np.unique(groups):
        sel = groups == g
        vals = x[sel & ok]
        if vals.size:
            out[sel] = np.median(vals)
    return out


def nanmedian(a, axis=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(a, axis=axis)


def nanmean(a, axis=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(a, axis=axis)


def _rolling_median(x: np.ndarray, w: int) -> np.ndarray:
    """Centred rolling median; the first and last points use the first and last full window."""
    n = len(x)
    if n < w:
        return np.full(n, float(np.median(x)))
    h = w // 2
    med = np.median(np.lib.stride_tricks.sliding_window_view(x, w), axis=1)
    return np.concatenate([np.full(h, med[0]), med, np.full(w - 1 - h, med[-1])])


def _step_scan(y: np.ndarray, X0: np.ndarray, min_seg: int, sign: int, w: np.ndarray | None = None) -> dict | None:
    """Best single step (post segment = y[tau:]) after partialling out X0, by weighted least
    squares (w = 1/scale of each period). sign: +1 up only, -1 down only, 0 either."""
    n = len(y)
    taus = np.arange(min_seg, n - min_seg + 1)
    if taus.size == 0 or n <= X0.shape[1] + 2:
        return None
    w = np.ones(n) if w is None else w
    yw, Xw = y * w, X0 * w[:, None]
    Q, _ = np.linalg.qr(Xw)
    r = yw - Q @ (Q.T @ yw)
    S = (np.arange(n)[None, :] >= taus[:, None]).astype(float) * w[None, :]
    St = S - (S @ Q) @ Q.T
    ss = np.einsum("ij,ij->i", St, St)
    good = ss > 1e-8
    c = np.where(good, (St @ r) / np.where(good, ss, 1.0), 0.0)
    strength = c * np.sqrt(np.where(good, ss, 0.0))
    if sign > 0:
        i = int(np.argmax(strength))
    elif sign < 0:
        i = int(np.argmin(strength))
    else:
        i = int(np.argmax(np.abs(strength)))
    resid = r - c[i] * St[i]
    return {"tau": int(taus[i]), "c": float(c[i]), "ss": float(ss[i]), "sigma": diff_sd(resid),
            "fit": (yw - resid) / w}


def step_or_trend(y: np.ndarray, tt: np.ndarray, cov: np.ndarray | None, min_seg: int, sign: int,
                  w: np.ndarray | None = None, trend_t: float = 3.0) -> dict | None:
    """A step is only credited with what a linear drift cannot explain: scan without a trend,
    and if a drift is clearly there next to that step (|t| >= trend_t), rescan with it."""
    flat = _step_scan(y, design(tt, cov, trend=False), min_seg, sign, w)
    if flat is None:
        return None
    n = len(y)
    w = np.ones(n) if w is None else w
    X = np.column_stack([design(tt, cov, trend=True), (np.arange(n) >= flat["tau"]).astype(float)]) * w[:, None]
    if n <= X.shape[1] + 2:
        return flat
    beta, *_ = np.linalg.lstsq(X, y * w, rcond=None)
    resid = y * w - X @ beta
    s2 = float(resid @ resid) / (n - X.shape[1])
    try:
        se = math.sqrt(s2 * np.linalg.inv(X.T @ X)[1, 1])
    except np.linalg.LinAlgError:
        return flat
    if se <= 0 or abs(beta[1]) / se < trend_t:
        return flat
    return _step_scan(y, design(tt, cov, trend=True), min_seg, sign, w) or flat


def design(tt: np.ndarray, cov: np.ndarray | None, trend: bool = True) -> np.ndarray:
    cols = [np.ones(len(tt))]
    if trend:
        cols.append((tt - tt.mean()) / 12.0)
    if cov is not None:
        ok = np.isfinite(cov)
        if ok.sum() >= 3:
            c = cov if ok.all() else np.where(ok, cov, cov[ok].mean())
            c = c - c.mean()
            if np.abs(c).max() > 1e-9:
                cols.append(c)
    return np.column_stack(cols)


def period_scale(R: np.ndarray, groups: np.ndarray, has: np.ndarray) -> np.ndarray:
    """Relative noise of each period across peers (median 1): early YTD rates, for example, are
    much noisier than December ones, for every unit alike."""
    out = np.ones_like(R)
    for g in np.unique(groups[has]):
        idx = np.where(has & (groups == g))[0]
        sub = R[idx]
        med = nanmedian(sub, axis=0)
        mad = 1.4826 * nanmedian(np.abs(sub - med[None, :]), axis=0)
        ok = np.isfinite(mad) & (mad > 0)
        if ok.sum() < 3:
            continue
        sc = np.where(ok, mad / np.median(mad[ok]), 1.0)
        out[idx] = np.clip(sc, 0.5, 3.0)[None, :]
    return out


def winsorize(y: np.ndarray, X0: np.ndarray, scale: np.ndarray, scfg: Mapping) -> np.ndarray:
    """Clip isolated extremes (beyond winsor_z SDs of a centred rolling median around the
    X0 fit) so that one lumpy month cannot fake a level shift."""
    beta, *_ = np.linalg.lstsq(X0 / scale[:, None], y / scale, rcond=None)
    r0 = y - X0 @ beta
    base = _rolling_median(r0, scfg["spike_window"])
    d0 = (r0 - base) / scale
    sd0 = trimmed_sd(d0)
    wz = scfg["winsor_z"]
    return X0 @ beta + base + np.clip(d0, -wz * sd0, wz * sd0) * scale


def series_scan(y: np.ndarray, tt: np.ndarray, cov: np.ndarray | None, min_seg: int,
                scfg: Mapping, scale: np.ndarray | None = None, with_step: bool = True) -> dict | None:
    """Level-shift and spike evidence of one series (valid points only).

    Spikes are first clipped against a centred rolling median so they cannot pull the step
    fit; the level-shift scan runs on the clipped series; a spike is then measured against the
    fitted level (trend, step, own-unit factor), which is steadier than a rolling median."""
    scale = np.ones_like(y) if scale is None else scale
    X0 = design(tt, cov)
    yw = winsorize(y, X0, scale, scfg)
    step = step_or_trend(yw, tt, cov, min_seg, 0, 1.0 / scale, scfg["trend_t"]) if with_step else None
    if step is not None:
        fit = step["fit"]
    else:
        beta, *_ = np.linalg.lstsq(X0 / scale[:, None], yw / scale, rcond=None)
        fit = X0 @ beta
    d = (y - fit) / scale
    sd = trimmed_sd(d)
    z = d / sd
    i = int(np.argmax(np.abs(z)))
    return {"spike_i": i, "spike_z": float(z[i]), "spike_dev": float(d[i] * scale[i]), "spike_sd": sd,
            "step": step, "z": z, "clipped": yw}


_NU_GRID = np.geomspace(2.05, 300.0, 120)
_RATIO_CACHE: dict[tuple[float, float], np.ndarray] = {}


def _t_ratios(lo: float, hi: float) -> np.ndarray:
    """Quantile ratio q(hi)/q(lo) of |t_ν| over a grid of ν (decreasing in ν), computed once."""
    key = (lo, hi)
    if key not in _RATIO_CACHE:
        _RATIO_CACHE[key] = stats.t.ppf(0.5 + hi / 2, _NU_GRID) / stats.t.ppf(0.5 + lo / 2, _NU_GRID)
    return _RATIO_CACHE[key]


def max_tail_p(xmax: np.ndarray, pool: np.ndarray, n_points: np.ndarray, lo: float = 0.90,
               hi: float = 0.975) -> np.ndarray:
    """P-value of each series' largest |z| against all of the indicator's points.

    A scaled Student t is matched to the 90 % and 97.5 % quantiles of the pooled |z| (robust to
    the few planted or real extremes above them): Gaussian-like indicators get ν large, lumpy
    investment gets ν near 3, so it needs a much larger jump. Then Sidak for the number of
    points in the series."""
    pool = pool[np.isfinite(pool)]
    out = np.full(len(xmax), np.nan)
    if pool.size < 20:
        return out
    qlo, qhi = np.quantile(pool, [lo, hi])
    target = qhi / max(qlo, 1e-12)
    ratios = _t_ratios(lo, hi)
    # ratios fall as ν grows: interpolate ν on the reversed (increasing) table, clamped to the grid
    nu = float(np.exp(np.interp(target, ratios[::-1], np.log(_NU_GRID[::-1]))))
    scale = qlo / stats.t.ppf(0.5 + lo / 2, nu)
    if not scale > 0:
        return out
    pp = np.clip(2 * stats.t.sf(np.asarray(xmax, float) / scale, nu), 1e-300, 1.0)
    n = np.maximum(np.asarray(n_points, float), 1)
    out = -np.expm1(n * np.log1p(-np.minimum(pp, 1 - 1e-16)))
    return np.where(np.isfinite(xmax), np.maximum(out, pp), np.nan)


def opposite_shift_scan(a: np.ndarray, b: np.ndarray, sa: float, sb: float, min_seg: int):
    """Onset maximising (t_a - t_b)/sqrt(2): a rises while b falls, each t from its own noise."""
    n = len(a)
    taus = np.arange(min_seg, n - min_seg + 1)
    if taus.size == 0 or not (sa > 0 and sb > 0):
        return None
    ca, cb = np.concatenate([[0.0], np.cumsum(a)]), np.concatenate([[0.0], np.cumsum(b)])
    n_pre, n_post = taus, n - taus
    da = (ca[n] - ca[taus]) / n_post - ca[taus] / n_pre
    db = (cb[n] - cb[taus]) / n_post - cb[taus] / n_pre
    k = np.sqrt(1.0 / n_pre + 1.0 / n_post)
    ta, tb = da / (sa * k), db / (sb * k)
    stat = (ta - tb) / math.sqrt(2)
    i = int(np.argmax(stat))
    return int(taus[i]), float(stat[i]), float(ta[i])


def window_cols(start: np.ndarray, last_month: int, months: int) -> tuple[np.ndarray, np.ndarray]:
    last = (start > last_month - months) & (start <= last_month)
    prev = (start > last_month - 2 * months) & (start <= last_month - months)
    return last, prev

