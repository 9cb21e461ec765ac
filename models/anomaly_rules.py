"""Indicator (series) rules of the anomaly detector, and the helpers all flag levels share.

Pipeline per indicator (``SeriesDetector``):

1. **Periods.** Monthly series lose January: January and February are reported together
   (Spring Festival), so ``YYYY-02`` is the first monthly point (a separate January is merged
   into it). Cumulative (YTD) level series are de-cumulated into *per-month* flows,
   ``(YTD_m - YTD_prev) / (m - m_prev)`` within a year: the merged Jan+Feb point is
   ``YTD_02 / 2`` and a missing month spreads over the gap; a YTD below the previous one gives
   no flow and counts as 累计值回落. Quarterly YTD series likewise; yearly as they are.
   YTD *growth rates* (unit ``%`` or kind ``rate``) are kept as reported for the level-type
   rules (同类偏离, yearly pair rules, digits), and their time rules run on the month-on-month
   *update* of the YTD rate within a year: the YTD level carries its early-year noise through
   the whole year, the update does not. (Recovering single-month rates would need last year's
   monthly levels, which the table does not carry.)
2. **Transform.** Level series are logged; rates stay in percentage points.
3. **Peer period effects.** A two-way median polish per peer group gives each unit's level and
   each period's peer effect, which carries the county cycle, the seasonal pattern and the
   moving Spring Festival. No per-unit seasonal model is fitted on three years of data (robust
   STL needs five cycles); with at least ``min_cycles_unit_seasonal`` years a robust per-unit
   month-of-year profile is removed as well. Periods that are noisier for every peer (early
   YTD updates, for example) are down-weighted (``period_scale``).
4. **Own-unit factor.** The median residual of the unit's *other* level indicators is a
   covariate of the time rules: a unit that really grows moves in all of its indicators, so
   its growth is explained; a single series that jumps alone is not.
5. **Rules.** 突变 (largest deviation from the fitted level, isolated extremes clipped first),
   断点 (step scan; a linear drift only enters when it is evident next to the step; onset = the
   first shifted period), 同类偏离 (last 12 months' growth against peers beyond what the unit's
   other indicators explain), 硬指标背离 / 重数量轻质量 / 重增速轻效益 (by ``kind``: volume
   against hard or efficiency evidence, an onset scan for level series, year by year for growth
   rates or yearly evidence), 数字可疑 (too smooth, seasonality lost, round last digits,
   bunching just above target, 累计值回落), 成效不实 (reported above verified_value, when
   given). No per-unit Benford first-digit test: one unit's three years are far too few values
   over far too few orders of magnitude.
6. **Calibration and score.** Every statistic is calibrated per indicator against the peers:
   spikes against a Student t fitted to the pooled deviations of all the indicator's points
   (heavy-tailed investment needs a bigger jump), step and divergence statistics by a robust z
   across the peer units, digit counts by a binomial test against the peers' median rate.
   The p-values of the rules that fired are combined with the Cauchy combination (valid under
   dependence between rules); score = -log10(p). Severity from score cut-offs.
"""
from __future__ import annotations

import hashlib
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy import stats

CONFIG_PATH = Path(__file__).resolve().parents[1] / "data" / "reference" / "anomaly.yaml"

# CONTRACT.md §3 `anomalies`, in order; then the extras this module adds.
FLAG_COLUMNS = [
    "flag_id", "level", "unit_id", "cadre_id", "task_id", "indicator", "period_start",
    "period_end", "rule", "severity", "score", "reason", "check_hint",
]
EXTRA_COLUMNS = [
    "rules", "actual", "expected", "peer_median", "measure", "onset", "iforest_score",
    "indicator_name",
]
ALL_COLUMNS = FLAG_COLUMNS + EXTRA_COLUMNS
SERIES_RULES = ("突变", "断点", "同类偏离", "硬指标背离", "重数量轻质量", "重增速轻效益", "数字可疑", "成效不实")
ONSET_RULES = ("断点", "突变", "硬指标背离", "重数量轻质量", "重增速轻效益")
_FREQ_RANK = {"month": 0, "quarter": 1, "year": 2}
_MONTHS_PER = {"month": 1, "quarter": 3, "year": 12}


# --------------------------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------------------------

def _deep_merge(base: dict, over: Mapping) -> dict:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def load_config(config: Mapping | None = None, path: str | Path | None = None) -> dict:
    """anomaly.yaml with ``config`` deep-merged over it (a complete config passes through)."""
    with open(path or CONFIG_PATH, encoding="utf-8") as fh:
        base = yaml.safe_load(fh)
    return _deep_merge(base, config or {})


def flag_id(level: str, unit_id, cadre_id, task_id, indicator, rule: str, period_start) -> str:
    """Stable id: the same flag gets the same id in every run (feedback is keyed on it)."""
    parts = [level] + ["" if _isna(x) else str(x) for x in (unit_id, cadre_id, task_id, indicator)]
    parts += [rule, "" if _isna(period_start) else str(period_start)]
    return hashlib.sha1("|".join(parts).encode("utf-8")).hexdigest()[:16]


def _isna(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NaT or x is pd.NA


def fmt_num(x) -> str:
    """How numbers appear in reasons; tests look for exactly this text."""
    if _isna(x) or not np.isfinite(x):
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


def period_freq(p: str) -> str:
    p = str(p)
    if len(p) == 4:
        return "year"
    return "quarter" if "Q" in p else "month"


def period_first_month(p: str) -> int:
    """Months since year 0 of the period's first month (January of a merged Jan+Feb = Feb)."""
    p = str(p)
    y = int(p[:4])
    f = period_freq(p)
    if f == "year":
        return y * 12
    if f == "quarter":
        return y * 12 + 3 * (int(p[-1]) - 1)
    return y * 12 + int(p[5:7]) - 1


def period_last_month(p: str) -> int:
    p = str(p)
    f = period_freq(p)
    return period_first_month(p) + {"year": 11, "quarter": 2, "month": 0}[f]


def month_label(m: int) -> str:
    return f"{m // 12:04d}-{m % 12 + 1:02d}"


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


def _mad_sd(x) -> float:
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return np.nan
    return 1.4826 * float(np.median(np.abs(x - np.median(x))))


_TRIM_KEEP = 0.9
_TRIM_C = 1.6448536269514722          # Gaussian quantile 0.95: |d| below it is 90 %
_TRIM_FACTOR = 1 - 2 * _TRIM_C * math.exp(-_TRIM_C ** 2 / 2) / math.sqrt(2 * math.pi) / _TRIM_KEEP


def _trimmed_sd(d: np.ndarray) -> float:
    """SD from the 90 % smallest |d| (Gaussian-consistent): steadier than the MAD on ~30 points,
    and the spike being measured does not inflate it."""
    a = np.abs(d[np.isfinite(d)])
    if a.size < 3:
        return 1e-6
    a.sort()
    inner = a[: max(2, int(math.ceil(_TRIM_KEEP * a.size)))]
    sd = math.sqrt(float(np.mean(inner * inner)) / _TRIM_FACTOR)
    return sd if sd > 1e-12 else max(float(np.std(d)), 1e-6)


def _diff_sd(r) -> float:
    """Noise SD from first differences: a level shift or a slow misfit moves few of them."""
    d = np.diff(np.asarray(r, float))
    return _trimmed_sd(d) / math.sqrt(2) if d.size >= 3 else np.nan


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


def _nanmedian(a, axis=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(a, axis=axis)


def _nanmean(a, axis=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(a, axis=axis)


# --------------------------------------------------------------------------------------------
# panels
# --------------------------------------------------------------------------------------------

@dataclass
class Grid:
    """Common period grids of one run, so indicators of different frequency can be aligned."""

    labels: dict[str, list[str]]
    start: dict[str, np.ndarray]     # first month index of each period
    year: dict[str, np.ndarray]
    to_coarse: dict[tuple[str, str], list[np.ndarray]] = field(default_factory=dict)

    @classmethod
    def span(cls, m0: int, m1: int) -> "Grid":
        y0, y1 = m0 // 12, m1 // 12
        months = [m for m in range(m0, m1 + 1) if m % 12 != 0] or [m1]  # January lives in 'YYYY-02' 
        quarters = [(y, q) for y in range(y0, y1 + 1) for q in range(1, 5)]
        quarters = [(y, q) for (y, q) in quarters if y * 12 + 3 * q - 1 >= m0 and y * 12 + 3 * (q - 1) <= m1]
        years = list(range(y0, y1 + 1))
        labels = {
            "month": [month_label(m) for m in months],
            "quarter": [f"{y}-Q{q}" for y, q in quarters],
            "year": [str(y) for y in years],
        }
        start = {
            "month": np.array(months),
            "quarter": np.array([y * 12 + 3 * (q - 1) for y, q in quarters]),
            "year": np.array([y * 12 for y in years]),
        }
        year = {f: start[f] // 12 for f in start}
        g = cls(labels, start, year)
        for fine in ("month", "quarter"):
            for coarse in ("quarter", "year"):
                if _FREQ_RANK[coarse] <= _FREQ_RANK[fine]:
                    continue
                cs = start[coarse]
                ce = cs + _MONTHS_PER[coarse]
                fs = start[fine]
                g.to_coarse[(fine, coarse)] = [np.where((fs >= a) & (fs < b))[0] for a, b in zip(cs, ce)]
        return g

    def aggregate(self, A: np.ndarray, fine: str, coarse: str) -> np.ndarray:
        if fine == coarse:
            return A
        idx = self.to_coarse[(fine, coarse)]
        out = np.full((A.shape[0], len(idx)), np.nan)
        for j, cols in enumerate(idx):
            if cols.size:
                out[:, j] = _nanmean(A[:, cols], axis=1)
        return out


@dataclass
class Panel:
    code: str
    meta: dict
    freq: str
    is_log: bool
    V: np.ndarray          # per-period values: per-month flows, or rates as reported
    X: np.ndarray          # transformed (log or pp)
    E: np.ndarray          # residual after unit level and peer period effect
    M: np.ndarray          # peer period effect of each unit's group
    S: np.ndarray          # within-year peer seasonal pattern (monthly panels)
    has: np.ndarray        # unit reports this indicator
    group: np.ndarray      # calibration group per unit
    n_decrease: np.ndarray
    raw: pd.DataFrame      # the indicator's input rows (digit and target rules)
    ytd_rate: bool = False  # year-to-date growth rate: time rules work on within-year changes
    W: np.ndarray | None = None  # E with isolated extremes clipped (set by the time rules)

    @property
    def name(self) -> str:
        return str(self.meta.get("name", self.code))

    @property
    def kind(self) -> str:
        return str(self.meta.get("kind", "other"))

    @property
    def unit(self) -> str:
        return str(self.meta.get("unit", ""))


def normalize_indicators(indicators: Mapping) -> dict:
    """Accept the whole indicators.yaml mapping or its inner ``indicators`` dict."""
    if "indicators" in indicators and isinstance(indicators["indicators"], Mapping):
        indicators = indicators["indicators"]
    return {str(k): dict(v or {}) for k, v in indicators.items()}


def unit_groups(units: pd.DataFrame, cfg: Mapping) -> dict[str, str]:
    type_to_group = {t: g for g, types in cfg["peer_groups"].items() for t in types}
    out = {}
    for uid, ut in zip(units["unit_id"].astype(str), units.get("unit_type", pd.Series([None] * len(units)))):
        out[uid] = type_to_group.get(ut, str(ut) if not _isna(ut) else "其他")
    return out


def _per_period(d: pd.DataFrame, freq: str, cumulative: bool, rate_like: bool) -> pd.DataFrame:
    """Rows (unit_id, year, sub, value) -> per-period values; Jan merged into Feb; YTD decumulated."""
    d = d.sort_values(["unit_id", "year", "sub"])
    d["decrease"] = False
    if freq == "year":
        return d
    if freq == "month" and not cumulative:
        d["sub"] = d["sub"].where(d["sub"] != 1, 2)
        return d.groupby(["unit_id", "year", "sub"], as_index=False).agg(value=("value", "mean"),
                                                                          decrease=("decrease", "any"))
    if freq == "month":
        # The February YTD already covers January; January alone is kept only when February is missing.
        has_feb = d.assign(f=d["sub"] == 2).groupby(["unit_id", "year"])["f"].transform("any")
        d = d[(d["sub"] != 1) | ~has_feb].copy()
        if rate_like:
            d["sub"] = d["sub"].where(d["sub"] != 1, 2)
        else:
            d = d[d["sub"] != 1].copy()
    if rate_like or not cumulative:
        return d
    g = d.groupby(["unit_id", "year"])
    prev_v = g["value"].shift(1)
    prev_s = g["sub"].shift(1)
    d["decrease"] = (prev_v.notna() & (d["value"] < prev_v - 1e-9)).to_numpy()
    d["value"] = (d["value"] - prev_v.fillna(0.0)) / (d["sub"] - prev_s.fillna(0.0))
    return d


def _median_polish(X: np.ndarray, n_iter: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    R = X.copy()
    a = np.zeros(X.shape[0])
    m = np.zeros(X.shape[1])
    for _ in range(n_iter):
        ra = np.nan_to_num(_nanmedian(R, axis=1))
        a += ra
        R -= ra[:, None]
        rm = np.nan_to_num(_nanmedian(R, axis=0))
        m += rm
        R -= rm[None, :]
    return a, m, R


def build_panel(code: str, meta: dict, df: pd.DataFrame, unit_ids: np.ndarray, groups: np.ndarray,
                grid: Grid, cfg: Mapping) -> Panel | None:
    freqs = df["period"].map(period_freq)
    freq = freqs.mode().iat[0]
    df = df[freqs == freq]
    per = df["period"].astype(str)
    d = pd.DataFrame({
        "unit_id": df["unit_id"].astype(str).to_numpy(),
        "year": per.str[:4].astype(int).to_numpy(),
        "sub": (per.str[-1].astype(int) if freq == "quarter" else
                per.str[5:7].astype(int) if freq == "month" else pd.Series(0, index=per.index)).to_numpy(),
        "value": pd.to_numeric(df["value"], errors="coerce").to_numpy(float),
    }).dropna(subset=["value"])
    if d.empty:
        return None
    cum_col = df["cumulative"] if "cumulative" in df.columns else pd.Series(dtype=object)
    cum_col = cum_col.dropna()
    cumulative = bool(cum_col.astype(bool).mean() >= 0.5) if len(cum_col) else bool(meta.get("cumulative", False))
    rate_like = str(meta.get("unit", "")) == "%" or meta.get("kind") == "rate"
    d = _per_period(d, freq, cumulative, rate_like)

    if freq == "month":
        col_key = d["year"] * 12 + d["sub"] - 1
        keys = grid.start["month"]
    elif freq == "quarter":
        col_key = d["year"] * 12 + 3 * (d["sub"] - 1)
        keys = grid.start["quarter"]
    else:
        col_key = d["year"] * 12
        keys = grid.start["year"]
    col_of = {int(k): j for j, k in enumerate(keys)}
    row_of = {u: i for i, u in enumerate(unit_ids)}
    rows = d["unit_id"].map(row_of)
    cols = col_key.map(col_of)
    ok = rows.notna() & cols.notna()
    V = np.full((len(unit_ids), len(keys)), np.nan)
    V[rows[ok].astype(int).to_numpy(), cols[ok].astype(int).to_numpy()] = d.loc[ok, "value"].to_numpy(float)
    n_decrease = np.zeros(len(unit_ids))
    dec = d.loc[ok & d["decrease"].astype(bool), "unit_id"].map(row_of).value_counts()
    n_decrease[dec.index.astype(int)] = dec.to_numpy()
    if cumulative and not rate_like:
        V[V < 0] = np.nan  # a falling YTD has no flow; it is counted as 累计值回落 instead

    is_log = not rate_like
    if is_log:
        with np.errstate(divide="ignore", invalid="ignore"):
            X = np.where(V > 0, np.log(np.where(V > 0, V, 1.0)), np.nan)
    else:
        X = V.copy()
    has = np.isfinite(X).any(axis=1)

    # Calibration groups: a peer group too small to calibrate against joins everyone.
    grp = groups.astype(object).copy()
    counts = pd.Series(grp[has]).value_counts()
    small = set(counts[counts < cfg["min_peers"]].index)
    if small:
        grp = np.where(np.isin(grp, list(small)), "__all__", grp)
        if (grp[has] == "__all__").sum() < cfg["min_peers"]:
            grp = np.full(len(grp), "__all__", dtype=object)

    E = np.full_like(X, np.nan)
    M = np.full_like(X, np.nan)
    S = np.zeros_like(X)
    years = grid.year[freq]
    for g in np.unique(grp[has]):
        idx = np.where(has & (grp == g))[0]
        a, m, R = _median_polish(X[idx], cfg["series"]["median_polish_iter"])
        E[idx] = R
        M[idx] = m[None, :]
        if freq == "month":
            s = m.copy()
            for y in np.unique(years):
                c = years == y
                s[c] = m[c] - np.mean(m[c])
            S[idx] = s[None, :]
    if freq == "month" and len(np.unique(years)) >= cfg["series"]["min_cycles_unit_seasonal"]:
        moy = grid.start["month"] % 12
        for mo in np.unique(moy):
            c = moy == mo
            E[:, c] -= _nanmedian(E[:, c], axis=1)[:, None]
    raw = df.assign(unit_id=df["unit_id"].astype(str))
    ytd_rate = rate_like and cumulative and freq != "year"
    return Panel(code, meta, freq, is_log, V, X, E, M, S, has, grp, n_decrease, raw, ytd_rate)


# --------------------------------------------------------------------------------------------
# per-series statistics
# --------------------------------------------------------------------------------------------

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
    return {"tau": int(taus[i]), "c": float(c[i]), "ss": float(ss[i]), "sigma": _diff_sd(resid),
            "fit": (yw - resid) / w}


def step_or_trend(y: np.ndarray, tt: np.ndarray, cov: np.ndarray | None, min_seg: int, sign: int,
                  w: np.ndarray | None = None, trend_t: float = 3.0) -> dict | None:
    """A step is only credited with what a linear drift cannot explain: scan without a trend,
    and if a drift is clearly there next to that step (|t| >= trend_t), rescan with it."""
    flat = _step_scan(y, _design(tt, cov, trend=False), min_seg, sign, w)
    if flat is None:
        return None
    n = len(y)
    w = np.ones(n) if w is None else w
    X = np.column_stack([_design(tt, cov, trend=True), (np.arange(n) >= flat["tau"]).astype(float)]) * w[:, None]
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
    return _step_scan(y, _design(tt, cov, trend=True), min_seg, sign, w) or flat


def _design(tt: np.ndarray, cov: np.ndarray | None, trend: bool = True) -> np.ndarray:
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
        med = _nanmedian(sub, axis=0)
        mad = 1.4826 * _nanmedian(np.abs(sub - med[None, :]), axis=0)
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
    sd0 = _trimmed_sd(d0)
    wz = scfg["winsor_z"]
    return X0 @ beta + base + np.clip(d0, -wz * sd0, wz * sd0) * scale


def series_scan(y: np.ndarray, tt: np.ndarray, cov: np.ndarray | None, min_seg: int,
                scfg: Mapping, scale: np.ndarray | None = None, with_step: bool = True) -> dict | None:
    """Level-shift and spike evidence of one series (valid points only).

    Spikes are first clipped against a centred rolling median so they cannot pull the step
    fit; the level-shift scan runs on the clipped series; a spike is then measured against the
    fitted level (trend, step, own-unit factor), which is steadier than a rolling median."""
    scale = np.ones_like(y) if scale is None else scale
    X0 = _design(tt, cov)
    yw = winsorize(y, X0, scale, scfg)
    step = step_or_trend(yw, tt, cov, min_seg, 0, 1.0 / scale, scfg["trend_t"]) if with_step else None
    if step is not None:
        fit = step["fit"]
    else:
        beta, *_ = np.linalg.lstsq(X0 / scale[:, None], yw / scale, rcond=None)
        fit = X0 @ beta
    d = (y - fit) / scale
    sd = _trimmed_sd(d)
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


def _opposite_shift_scan(a: np.ndarray, b: np.ndarray, sa: float, sb: float, min_seg: int):
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


def _window_cols(start: np.ndarray, last_month: int, months: int) -> tuple[np.ndarray, np.ndarray]:
    last = (start > last_month - months) & (start <= last_month)
    prev = (start > last_month - 2 * months) & (start <= last_month - months)
    return last, prev


# --------------------------------------------------------------------------------------------
# the detector
# --------------------------------------------------------------------------------------------

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


def _p_upper(z):
    return 0.5 * math.erfc(z / math.sqrt(2)) if np.isfinite(z) else np.nan


def _pct(logdiff: float) -> float:
    return 100.0 * (math.exp(logdiff) - 1.0)


def _typical(deviation: float, z: float) -> float:
    """The usual size of a deviation, in the deviation's own unit (deviation / its z-score):
    reasons say "usually about X" instead of a count of standard deviations."""
    return abs(deviation) / max(abs(z), 1e-9)


def _val(x: float, unit: str) -> str:
    """A value in its unit; a negative one reads 负 (a rate of "负4.1%", never "为-4.1%")."""
    if np.isfinite(x) and x < 0:
        return f"负{fmt_num(-x)}{unit}"
    return f"{fmt_num(x)}{unit}"


def _growth(x: float, about: bool = False) -> str:
    """A growth in %, said as 增长 or 下降."""
    a = "约" if about else ""
    return f"下降{a}{fmt_num(-x)}%" if np.isfinite(x) and x < 0 else f"增长{a}{fmt_num(x)}%"


def _band_text(lo: float, hi: float, unit: str, growth: bool = False) -> str:
    """Where most peers lie, in the indicator's unit (no negative numbers shown as "的-x%")."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "同类单位太少，无法给出通常范围"
    if growth:
        return f"八成同类单位在{_growth(lo)}到{_growth(hi)}之间"
    return f"八成同类单位在{_val(lo, unit)}至{_val(hi, unit)}之间"


class SeriesDetector:
    """Runs every series rule over all indicators of one data set; ``flags()`` builds the table."""

    def __init__(self, values: pd.DataFrame, indicators: Mapping, units: pd.DataFrame, cfg: Mapping):
        self.cfg = cfg
        self.scfg = cfg["series"]
        self.rcfg = cfg["rules"]
        self.indicators = normalize_indicators(indicators)
        values = values.copy()
        values["unit_id"] = values["unit_id"].astype(str)
        values["indicator"] = values["indicator"].astype(str)
        values["period"] = values["period"].astype(str)
        gmap = unit_groups(units, cfg)
        self.unit_ids = np.array(sorted(set(values["unit_id"]) | set(units["unit_id"].astype(str))))
        self.groups = np.array([gmap.get(u, "其他") for u in self.unit_ids], dtype=object)
        uniq = pd.unique(values["period"])
        firsts = pd.Series([period_first_month(x) for x in uniq])
        lasts = pd.Series([period_last_month(x) for x in uniq])
        self.grid = Grid.span(int(firsts.min()), int(lasts.max())) if len(values) else None
        self.panels: dict[str, Panel] = {}
        for code, df in values.groupby("indicator", sort=True):
            meta = self.indicators.get(code, {"name": code, "kind": "other"})
            p = build_panel(code, meta, df, self.unit_ids, self.groups, self.grid, cfg)
            if p is not None:
                self.panels[code] = p
        self.hits: dict[tuple[int, str], dict[str, RuleHit]] = {}
        self.features: dict[tuple[int, str], dict[str, float]] = {}
        self.window: dict[str, dict] = {}

    # ---------------------------------------------------------------- helpers
    def _add(self, u: int, code: str, hit: RuleHit) -> None:
        slot = self.hits.setdefault((u, code), {})
        old = slot.get(hit.rule)
        if old is None or (hit.fired, -hit.p) > (old.fired, -old.p):
            slot[hit.rule] = hit
        self.features.setdefault((u, code), {})[hit.rule] = hit.z

    def _labels(self, freq: str) -> list[str]:
        return self.grid.labels[freq]

    def _log_panels(self, freq: str | None = None, kinds: tuple[str, ...] | None = None) -> list[Panel]:
        return [p for p in self.panels.values() if p.is_log
                and (freq is None or p.freq == freq) and (kinds is None or p.kind in kinds)]

    def _factor_stack(self, freq: str) -> tuple[list[str], np.ndarray]:
        """Residuals of every level indicator at ``freq`` (finer ones averaged up)."""
        codes, arrs = [], []
        for p in self._log_panels():
            if _FREQ_RANK[p.freq] <= _FREQ_RANK[freq]:
                codes.append(p.code)
                arrs.append(self.grid.aggregate(p.E, p.freq, freq))
        if not arrs:
            return [], np.zeros((0, len(self.unit_ids), len(self._labels(freq))))
        return codes, np.stack(arrs)

    # ---------------------------------------------------------------- rules
    def run(self) -> "SeriesDetector":
        if not self.panels:
            return self
        stacks = {f: self._factor_stack(f) for f in ("month", "quarter")}
        for p in self.panels.values():
            self._time_rules(p, stacks)
            self._window_stats(p)
            self._digit_rules(p)
            self._verified_rule(p)
        self._peer_rule()
        self._pair_rules()
        return self

    def _covariate(self, p: Panel, stacks) -> np.ndarray | None:
        """Median residual of the unit's other level indicators (the unit's own economy)."""
        if p.freq not in stacks or not p.is_log:
            return None
        codes, st = stacks[p.freq]
        others = [i for i, c in enumerate(codes) if c != p.code]
        if len(others) < 2:
            return None
        return _nanmedian(st[others], axis=0)

    def _within_year_change(self, p: Panel) -> np.ndarray:
        """Month-on-month change of a YTD rate inside each year (NaN across a year boundary).

        A YTD rate carries its early-year noise through the whole year and restarts each
        February, so its level is dominated by yearly regimes; the monthly *update* is not.
        A misreported level from some month on shows up as one unexplained update."""
        start = self.grid.start[p.freq]
        step = _MONTHS_PER[p.freq]
        D = np.full_like(p.E, np.nan)
        for j in range(1, len(start)):
            if start[j] - start[j - 1] == step and start[j] // 12 == start[j - 1] // 12:
                D[:, j] = p.E[:, j] - p.E[:, j - 1]
        return D

    def _time_rules(self, p: Panel, stacks) -> None:
        scfg, freq = self.scfg, p.freq
        if freq == "year":
            return
        labels = self._labels(freq)
        start = self.grid.start[freq]
        cov = self._covariate(p, stacks)
        min_pts, min_seg = scfg["min_points"][freq], scfg["min_segment"][freq]
        n_u = len(self.unit_ids)
        Y = self._within_year_change(p) if p.ytd_rate else p.E
        need = (2 * min_pts) // 3 if p.ytd_rate else min_pts  # within-year changes lose one point a year
        tscale = period_scale(Y, p.group, p.has)
        spike_stat = np.full(n_u, np.nan)
        step_abs = np.full(n_u, np.nan)
        sig = np.full(n_u, np.nan)
        info = {}
        pool, npts, spike_sd = [], np.zeros(n_u), np.full(n_u, np.nan)
        if not p.ytd_rate:
            p.W = p.E.copy()
        for u in np.where(p.has)[0]:
            y = Y[u]
            ok = np.isfinite(y)
            if ok.sum() < need:
                continue
            res = series_scan(y[ok], start[ok].astype(float), None if cov is None else cov[u][ok], min_seg, scfg,
                              tscale[u][ok], with_step=not p.ytd_rate)
            if res is None:
                continue
            info[u] = (res, np.where(ok)[0])
            spike_sd[u] = res["spike_sd"]
            if p.W is not None:
                p.W[u, ok] = res["clipped"]
            npts[u] = ok.sum()
            if res["step"] is not None and np.isfinite(res["step"]["sigma"]):
                sig[u] = res["step"]["sigma"]
        if not info:
            return
        # Spike z-scores against a noise SD shrunk to the peers' (see shrunk_sigma).
        spike_sd = shrunk_sigma(spike_sd, p.group, scfg["sigma_floor_share"])
        for u, (res, _) in info.items():
            res["z"] = res["z"] * res["spike_sd"] / spike_sd[u]
            res["spike_z"] = float(res["z"][res["spike_i"]])
            spike_stat[u] = abs(res["spike_z"])
            pool.append(np.abs(res["z"]))
        sig = shrunk_sigma(sig, p.group, scfg["sigma_floor_share"])
        for u, (res, _) in info.items():
            st = res["step"]
            if st is not None and np.isfinite(sig[u]):
                step_abs[u] = abs(st["c"]) * math.sqrt(st["ss"]) / max(sig[u], 1e-12)
        p_spike = max_tail_p(spike_stat, np.concatenate(pool), npts)
        z_spike = stats.norm.isf(np.clip(p_spike, 1e-300, 1.0))
        z_step = robust_z(step_abs, p.group, scfg["z_clip"])
        cs, cb = self.rcfg["突变"], self.rcfg["断点"]
        word = self._word(p)
        for u, (res, idx) in info.items():
            if p.ytd_rate:
                self._ytd_hit(p, u, res, idx, z_spike[u], p_spike[u], Y[u], labels)
                continue
            self._spike_hit(p, u, res, idx, z_spike[u], p_spike[u], cs, labels, word)
            self._step_hit(p, u, res, idx, z_step[u], step_abs[u], cb, labels, word)

    def _ytd_hit(self, p: Panel, u: int, res: dict, idx: np.ndarray, z: float, pz: float, D: np.ndarray,
                 labels) -> None:
        """YTD rate: an unexplained monthly update that is reversed next month is a 突变,
        one that stays is a 断点 of the reported YTD rate."""
        j = idx[res["spike_i"]]
        jump = res["spike_dev"]
        nxt = D[j + 1] if j + 1 < len(D) else np.nan
        reverted = np.isfinite(nxt) and np.sign(nxt) == -np.sign(jump) and abs(nxt) >= 0.5 * abs(jump)
        rule = "突变" if reverted else "断点"
        cfg = self.rcfg[rule]
        fired = bool(pz <= cfg["p_fire"] and abs(res["spike_z"]) >= self.rcfg["突变"]["min_abs_z"]
                     and abs(jump) >= cfg["min_pp"])
        if not fired:
            self._add(u, p.code, RuleHit(rule, pz, False, z, labels[j]))
            return
        actual = p.V[u, j]
        expected = actual - jump
        peer = float(_nanmedian(p.V[(p.group == p.group[u]) & p.has, j]))
        what = "当月跳变后次月回落" if reverted else "此后维持在新水平"
        reason = (f"{labels[j]}{p.name}（累计）{_val(actual, p.unit)}，按上月累计与同类同期变动推算应约为"
                  f"{_val(expected, p.unit)}，{'跳升' if jump > 0 else '骤降'}{fmt_num(abs(jump))}个百分点"
                  f"（平时每月偏差通常约{fmt_num(_typical(jump, res['spike_z']))}个百分点），{what}；"
                  f"同类单位同期中位数{_val(peer, p.unit)}")
        end = labels[j] if reverted else labels[idx[-1]]
        self._add(u, p.code, RuleHit(rule, pz, fired, z, labels[j], labels[j], end, reason, actual, expected,
                                     peer, f"累计增速({p.unit})"))

    def _spike_hit(self, p: Panel, u: int, res: dict, idx: np.ndarray, z: float, pz: float, cs, labels,
                   word) -> None:
        j = idx[res["spike_i"]]
        dev = res["spike_dev"]
        big = abs(dev) >= (cs["min_rel"] if p.is_log else cs["min_pp"])
        fired = bool(pz <= cs["p_fire"] and abs(res["spike_z"]) >= cs["min_abs_z"] and big)
        if not fired:
            self._add(u, p.code, RuleHit("突变", pz, False, z, labels[j]))
            return
        actual = p.V[u, j]
        expected = actual * math.exp(-dev) if p.is_log else actual - dev
        peer = float(_nanmedian(p.V[(p.group == p.group[u]) & p.has, j]))
        usual = _typical(dev, res["spike_z"])
        if p.is_log:
            change = f"{'偏高' if dev > 0 else '偏低'}{fmt_num(abs(_pct(dev)))}%"
            usual_txt = f"{fmt_num(_pct(usual))}%"
        else:
            change = f"{'偏高' if dev > 0 else '偏低'}{fmt_num(abs(dev))}个百分点"
            usual_txt = f"{fmt_num(usual)}个百分点"
        reason = (f"{labels[j]}{p.name}{word}{_val(actual, p.unit)}，较本单位前后水平推算的"
                  f"{_val(expected, p.unit)}{change}（平时各期偏离通常只有约{usual_txt}），"
                  f"同类单位同期中位数{_val(peer, p.unit)}")
        self._add(u, p.code, RuleHit("突变", pz, fired, z, labels[j], labels[j], labels[j], reason,
                                     actual, expected, peer, f"{word}数值({p.unit})"))

    def _step_hit(self, p: Panel, u: int, res: dict, idx: np.ndarray, z: float, t: float, cb, labels, word) -> None:
        st = res["step"]
        if st is None:
            return
        jj = idx[st["tau"]]
        c = st["c"]
        post = idx[st["tau"]:]
        pz = _p_upper(z)
        big = abs(c) >= (cb["min_rel"] if p.is_log else cb["min_pp"])
        fired = bool(pz <= cb["p_fire"] and t >= cb["min_t"] and big)
        if not fired:
            self._add(u, p.code, RuleHit("断点", pz, False, z, labels[jj]))
            return
        actual = float(np.nanmean(p.V[u, post]))
        expected = float(np.nanmean(p.V[u, post] * math.exp(-c))) if p.is_log else actual - c
        peers = (p.group == p.group[u]) & p.has
        peer = float(_nanmedian(_nanmean(p.V[np.ix_(peers, post)], axis=1)))
        if p.is_log:
            change = f"{'跳升' if c > 0 else '骤降'}{fmt_num(abs(_pct(c)))}%"
        else:
            change = f"{'跳升' if c > 0 else '骤降'}{fmt_num(abs(c))}个百分点"
        reason = (f"自{labels[jj]}起{p.name}{word}{_val(actual, p.unit)}，按此前水平推算应为"
                  f"{_val(expected, p.unit)}，{change}，同类单位同期中位数"
                  f"{_val(peer, p.unit)}；本单位其他指标未见同步变化")
        self._add(u, p.code, RuleHit("断点", pz, fired, z, labels[jj], labels[jj], labels[idx[-1]],
                                     reason, actual, expected, peer, f"{word}数值({p.unit})"))

    def _word(self, p: Panel) -> str:
        if not p.is_log:
            return ""
        return {"month": "月均", "quarter": "季度"}.get(p.freq, "")

    def _window_stats(self, p: Panel) -> None:
        """Recent growth against peers (同类偏离 and the window form of the pair rules)."""
        start = self.grid.start[p.freq]
        have = np.isfinite(p.X).any(axis=0)
        if not have.any():
            return
        last_month = int(start[have].max())
        months = self.scfg["recent_window"][p.freq] * _MONTHS_PER[p.freq]
        last, prev = _window_cols(start, last_month, months)
        need = max(1, last.sum() // 2)
        n_last = np.isfinite(p.X[:, last]).sum(axis=1)
        n_prev = np.isfinite(p.X[:, prev]).sum(axis=1)
        if p.is_log:
            ok = (n_last >= need) & (n_prev >= max(1, prev.sum() // 2))
            G = _nanmean(p.E[:, last], axis=1) - _nanmean(p.E[:, prev], axis=1)
            raw = _nanmean(p.X[:, last], axis=1) - _nanmean(p.X[:, prev], axis=1)
        else:
            ok = n_last >= need
            G = _nanmean(p.X[:, last] - p.M[:, last], axis=1)
            raw = _nanmean(p.V[:, last], axis=1)
        G = np.where(ok & p.has, G, np.nan)
        raw = np.where(ok & p.has, raw, np.nan)
        z = robust_z(G, p.group, self.scfg["z_clip"])
        labels = self._labels(p.freq)
        cols = np.where(last & have)[0]
        self.window[p.code] = {"G": G, "raw": raw, "z": z,
                               "start": labels[cols[0]] if cols.size else None,
                               "end": labels[cols[-1]] if cols.size else None}

    def _group_median(self, p: Panel, x: np.ndarray, u: int) -> float:
        return float(_nanmedian(x[(p.group == p.group[u]) & p.has]))

    def _peer_band(self, p: Panel, x: np.ndarray, u: int) -> tuple[float, float]:
        """10th and 90th percentile of the unit's peer group (the unit included)."""
        v = np.asarray(x, float)[(p.group == p.group[u]) & p.has]
        v = v[np.isfinite(v)]
        if v.size < 5:
            return np.nan, np.nan
        return float(np.percentile(v, 10)), float(np.percentile(v, 90))

    def _peer_rule(self) -> None:
        codes = [c for c in self.panels if c in self.window]
        if not codes:
            return
        Z = np.column_stack([self.window[c]["z"] for c in codes])
        cfg = self.rcfg["同类偏离"]
        k_share = 1.0 / cfg["explained_share"]
        for k, code in enumerate(codes):
            p = self.panels[code]
            w = self.window[code]
            others = np.delete(Z, k, axis=1)
            n_oth = np.isfinite(others).sum(axis=1)
            zbar = np.where(n_oth >= 2, _nanmedian(others, axis=1), 0.0)
            zk = w["z"]
            D = np.where(zk >= 0, np.maximum(0.0, zk - k_share * np.maximum(zbar, 0.0)),
                         np.minimum(0.0, zk - k_share * np.minimum(zbar, 0.0)))
            # D is already in peer-z units: no second calibration (most units have D = 0).
            zD = D
            G = w["G"]
            for u in np.where(np.isfinite(zk) & np.isfinite(zD))[0]:
                pv = float(2 * stats.norm.sf(abs(zD[u])))
                fired = bool(pv <= cfg["p_fire"] and abs(zk[u]) >= cfg["min_peer_z"] and abs(D[u]) >= cfg["min_gap_z"])
                if not fired:
                    self._add(u, code, RuleHit("同类偏离", pv, False, abs(zD[u])))
                    continue
                peers = (p.group == p.group[u]) & np.isfinite(G)
                medG = float(np.median(G[peers]))
                scale = _mad_sd(G[peers]) or 1.0
                g_exp = medG + max(min(zbar[u], abs(zk[u])), -abs(zk[u])) * scale
                peer_raw = self._group_median(p, w["raw"], u)
                lo, hi = self._peer_band(p, w["raw"], u)
                if p.is_log:
                    actual, peer = _pct(w["raw"][u]), _pct(peer_raw)
                    expected = _pct(peer_raw + (g_exp - medG))
                    lo, hi = _pct(lo), _pct(hi)
                    what, unit = "增长", "%"
                else:
                    actual, peer = w["raw"][u], peer_raw
                    expected = peer_raw + (g_exp - medG)
                    what, unit = "平均", p.unit
                if abs(zbar[u]) < 0.5:
                    others_txt = "本单位其他指标与同类相近"
                else:
                    others_txt = f"本单位其他指标也普遍{'偏高' if zbar[u] > 0 else '偏低'}"
                if p.is_log:
                    reason = (f"近12个月{p.name}{_growth(actual)}，同类单位中位数为{_growth(peer)}、"
                              f"{_band_text(lo, hi, unit, growth=True)}；{others_txt}，据此推算应{_growth(expected, True)}")
                else:
                    reason = (f"近12个月{p.name}{what}{_val(actual, unit)}，同类单位中位数{_val(peer, unit)}、"
                              f"{_band_text(lo, hi, unit)}；{others_txt}，据此推算应约为{_val(expected, unit)}")
                measure = "近12个月增幅(%)" if p.is_log else f"近12个月均值({p.unit})"
                self._add(u, code, RuleHit("同类偏离", pv, fired, abs(zD[u]), None, w["start"], w["end"], reason,
                                           actual, expected, peer, measure))

    def _pair_rules(self) -> None:
        """Volume series (kind volume) against hard evidence and against efficiency (by kind).
        Level volumes get an onset scan; growth-rate volumes (unit %) and yearly evidence are
        compared year by year."""
        vols = [p for p in self.panels.values() if p.kind == "volume"]
        for v in vols:
            for pkind in ("hard", "efficiency"):
                partners = [p for p in self._log_panels(kinds=(pkind,)) if p.code != v.code]
                if not partners:
                    continue
                rule = "硬指标背离" if pkind == "hard" else ("重数量轻质量" if v.is_log else "重增速轻效益")
                coarse = max([v.freq] + [p.freq for p in partners], key=_FREQ_RANK.get)
                if v.is_log and coarse != "year":
                    self._pair_step(v, partners, rule, pkind)
                else:
                    self._pair_annual(v, partners, rule, pkind)

    def _annual_excess(self, p: Panel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per unit and calendar year, in pp against the peers: the growth of a level series
        (year mean against the previous year's) or, for a growth-rate series, the year's rate
        against the unit's usual rate. Also the unit's own figure for the reason (growth %, or
        the rate: last YTD value of the year)."""
        years = self.grid.year[p.freq]
        uy = np.unique(years)
        ex = np.full((len(self.unit_ids), len(uy)), np.nan)
        own = np.full_like(ex, np.nan)
        for j, y in enumerate(uy):
            cols = years == y
            if p.is_log:
                prev = years == y - 1
                if not prev.any():
                    continue
                g = _nanmean(p.E[:, cols], axis=1) - _nanmean(p.E[:, prev], axis=1)
                ex[:, j] = 100 * np.expm1(g)
                own[:, j] = 100 * np.expm1(_nanmean(p.X[:, cols], axis=1) - _nanmean(p.X[:, prev], axis=1))
            else:
                # against the unit's own usual rate (a persistently fast grower is not a jump)
                ex[:, j] = _nanmean(p.E[:, cols], axis=1)
                vals = p.V[:, cols]
                if p.ytd_rate:
                    last = np.where(np.isfinite(vals), np.arange(vals.shape[1])[None, :], -1).max(axis=1)
                    own[:, j] = np.where(last >= 0, vals[np.arange(len(vals)), np.maximum(last, 0)], np.nan)
                else:
                    own[:, j] = _nanmean(vals, axis=1)
        ex[~p.has] = np.nan
        return uy, ex, own

    def _pair_annual(self, v: Panel, partners: list[Panel], rule: str, pkind: str) -> None:
        """Year-by-year form: the volume's excess over peers against the evidence's (the issue's
        example, said in the indicators' units: "...增速18%，比同类高9个百分点（八成同类单位在…之间），
        而亩均税收增速比同类低12个百分点")."""
        cfg = self.rcfg["硬指标背离" if pkind == "hard" else "重数量轻质量"]
        yv, Av, own = self._annual_excess(v)
        parts = []
        for p in partners:
            yp, Ap, _ = self._annual_excess(p)
            parts.append(np.column_stack([Ap[:, list(yp).index(y)] if y in yp else np.full(len(Ap), np.nan)
                                          for y in yv]))
        Ap = _nanmedian(np.stack(parts), axis=0)
        clip = self.scfg["z_clip"]
        zv = np.column_stack([robust_z(Av[:, j], v.group, clip) for j in range(len(yv))])
        zp = np.column_stack([robust_z(Ap[:, j], v.group, clip) for j in range(len(yv))])
        if pkind == "hard":
            st = np.column_stack([robust_z(Av[:, j] - Ap[:, j], v.group, clip) for j in range(len(yv))])
        else:
            st = (zv - zp) / math.sqrt(2)
        names = "、".join(p.name for p in partners)
        n_years = max(1, int(np.isfinite(st).any(axis=0).sum()))
        for u in np.where(np.isfinite(st).any(axis=1))[0]:
            j = int(np.nanargmax(st[u]))
            p1 = _p_upper(st[u, j])
            pv = max(float(-math.expm1(n_years * math.log1p(-min(p1, 1 - 1e-16)))), p1)
            if pkind == "hard":
                fired = (Av[u, j] >= cfg["min_gap_pp"] and Ap[u, j] <= cfg["max_follow_share"] * Av[u, j]
                         and zv[u, j] >= cfg["window_min_z"])
            else:
                # same effect-size bar as the onset form: efficiency down >= min_drop against peers
                fired = zv[u, j] >= cfg["window_min_z"] and Ap[u, j] <= -100 * cfg["min_drop"]
            fired = bool(fired and pv <= cfg["p_fire"])
            z_feat = float(stats.norm.isf(max(pv, 1e-300)))
            if not fired:
                self._add(u, v.code, RuleHit(rule, pv, False, z_feat))
                continue
            y = int(yv[j])
            peer = self._group_median(v, own[:, j], u)
            unit = "%" if v.is_log else v.unit
            expected = peer + Ap[u, j] if not v.is_log else np.nan
            lo, hi = self._peer_band(v, own[:, j], u)
            gap = Ap[u, j]
            follow = (f"比同类低{fmt_num(abs(gap))}个百分点" if gap < -0.05 else
                      f"只比同类高{fmt_num(gap)}个百分点" if gap > 0.05 else "与同类持平")
            # A growth-rate indicator is measured against its own usual rate moved with the peers.
            above = "比同类高" if v.is_log else "比按本单位往年水平和同类当年走势推算的高"
            reason = (f"{y}年{v.name}{'增速' if v.is_log else ''}{_val(own[u, j], unit)}，{above}"
                      f"{fmt_num(Av[u, j])}个百分点（同类中位数{_val(peer, unit)}，{_band_text(lo, hi, unit)}），"
                      f"而{names}增速{follow}")
            if np.isfinite(expected):
                reason += f"，按其推算应约为{_val(expected, unit)}"
            labels = [lab for lab, yy in zip(self._labels(v.freq), self.grid.year[v.freq]) if yy == y]
            self._add(u, v.code, RuleHit(rule, pv, fired, z_feat, labels[0], labels[0], labels[-1], reason,
                                         own[u, j], expected, peer, f"{y}年({unit})",
                                         [p.name for p in partners], [p.kind for p in partners]))

    def _volume_stack(self, freq: str, exclude: str) -> list[np.ndarray]:
        """Clipped residuals of the other level volume indicators at ``freq`` (cached)."""
        cache = self.__dict__.setdefault("_vol_cache", {})
        if freq not in cache:
            cache[freq] = {p.code: self.grid.aggregate(p.E if p.W is None else p.W, p.freq, freq)
                           for p in self._log_panels(kinds=("volume",)) if _FREQ_RANK[p.freq] <= _FREQ_RANK[freq]}
        return [a for c, a in cache[freq].items() if c != exclude]

    def _pair_step(self, v: Panel, partners: list[Panel], rule: str, pkind: str) -> None:
        """Onset scan of a volume series against its hard (or efficiency) evidence.

        Hard: step in volume minus hard evidence (the evidence should have followed).
        Efficiency: the volume's rise and the efficiency's fall, each standardised by its own
        noise and added (Stouffer), so a precise efficiency series is not drowned by a
        noisy investment series."""
        freq = max([v.freq] + [p.freq for p in partners], key=_FREQ_RANK.get)
        # Clipped residuals: a single lumpy month should not make or break a divergence.
        Ev = self.grid.aggregate(v.E if v.W is None else v.W, v.freq, freq)
        Xv = self.grid.aggregate(v.X, v.freq, freq)
        Ep = _nanmedian(np.stack([self.grid.aggregate(p.E if p.W is None else p.W, p.freq, freq)
                                  for p in partners]), axis=0)
        start = self.grid.start[freq]
        labels = self._labels(freq)
        cfg = self.rcfg["硬指标背离" if pkind == "hard" else "重数量轻质量"]
        min_seg = self.scfg["min_segment"][freq]
        floor = self.scfg["sigma_floor_share"]
        n_u = len(self.unit_ids)
        both = np.isfinite(Ev) & np.isfinite(Ep)
        rows = [u for u in np.where(v.has)[0] if both[u].sum() >= self.scfg["min_pair_points"]]
        if not rows:
            return
        stat = np.full(n_u, np.nan)
        res = {}
        if pkind == "hard":
            tscale = period_scale(Ev - Ep, v.group, v.has)
            sig = np.full(n_u, np.nan)
            for u in rows:
                ok = both[u]
                tt = start[ok].astype(float)
                dw = winsorize((Ev - Ep)[u][ok], _design(tt, None), tscale[u][ok], self.scfg)
                st = step_or_trend(dw, tt, None, min_seg, +1, 1.0 / tscale[u][ok], self.scfg["trend_t"])
                if st is not None:
                    res[u] = (st["tau"], np.where(ok)[0], st)
                    sig[u] = st["sigma"]
            sig = shrunk_sigma(sig, v.group, floor)
            for u, (tau, idx, st) in res.items():
                stat[u] = st["c"] * math.sqrt(st["ss"]) / max(sig[u], 1e-12)
        else:
            sv = shrunk_sigma(np.array([_diff_sd(Ev[u][both[u]]) if u in rows else np.nan for u in range(n_u)]),
                              v.group, floor)
            sp = shrunk_sigma(np.array([_diff_sd(Ep[u][both[u]]) if u in rows else np.nan for u in range(n_u)]),
                              v.group, floor)
            for u in rows:
                idx = np.where(both[u])[0]
                best = _opposite_shift_scan(Ev[u][idx], Ep[u][idx], sv[u], sp[u], min_seg)
                if best is not None:
                    res[u] = (best[0], idx, best[2])
                    stat[u] = best[1]
        zc = robust_z(stat, v.group, self.scfg["z_clip"])
        names = "、".join(p.name for p in partners)
        for u, (tau, idx, extra) in res.items():
            onset_col = idx[tau]
            pre, post = idx[:tau], idx[tau:]
            c_v = float(np.mean(Ev[u, post]) - np.mean(Ev[u, pre]))
            c_p = float(np.mean(Ep[u, post]) - np.mean(Ep[u, pre]))
            c_d = c_v - c_p
            pv = _p_upper(zc[u])
            if pkind == "hard":
                fired = (c_d >= cfg["min_gap"] and c_v >= cfg["min_volume_share"] * c_d
                         and c_p <= cfg["max_follow_share"] * c_v)
            else:
                # The volume rise must stand on its own (not ride on the efficiency fall) and
                # stand out from the unit's other volume indicators at the same onset.
                others = [float(np.mean(o[u, post]) - np.mean(o[u, pre])) for o in self._volume_stack(freq, v.code)
                          if np.isfinite(o[u, post]).all() and np.isfinite(o[u, pre]).all()]
                c_rel = c_v - (float(np.median(others)) if others else 0.0)
                fired = (c_v >= cfg["min_rise"] and c_rel >= cfg["min_rise"] and c_p <= -cfg["min_drop"]
                         and extra >= cfg["min_t_volume"])
            fired = bool(fired and pv <= cfg["p_fire"] and stat[u] >= cfg["min_t"])
            if not fired:
                self._add(u, v.code, RuleHit(rule, pv, False, zc[u], labels[onset_col]))
                continue
            # Growth of every unit at this onset (same columns): the peers' range for the reason.
            raw_v = _nanmean(Xv[:, post], axis=1) - _nanmean(Xv[:, pre], axis=1)
            peer_raw = self._group_median(v, raw_v, u)
            actual, peer = _pct(raw_v[u]), _pct(peer_raw)
            expected = _pct(peer_raw + c_p)
            lo, hi = (_pct(x) for x in self._peer_band(v, raw_v, u))
            head = (f"自{labels[onset_col]}起{v.name}较此前{_growth(actual)}（同类中位数为{_growth(peer)}，"
                    f"{_band_text(lo, hi, '%', growth=True)}）")
            moved = _pct(c_p)
            if pkind == "hard":
                follow = (f"相对同类只增长{fmt_num(moved)}%" if moved > 0.05 else
                          f"相对同类反而下降{fmt_num(abs(moved))}%" if moved < -0.05 else "相对同类没有变化")
                reason = f"{head}，而{names}{follow}；按硬指标推算{v.name}应{_growth(expected, True)}"
            else:
                reason = (f"{head}，而{names}相对同类下降{fmt_num(abs(moved))}%；"
                          f"按效益指标推算应{_growth(expected, True)}")
            self._add(u, v.code, RuleHit(rule, pv, fired, zc[u], labels[onset_col], labels[onset_col],
                                         labels[idx[-1]], reason, actual, expected, peer, "增幅(%)",
                                         [p.name for p in partners], [p.kind for p in partners]))

    def _verified_rule(self, p: Panel) -> None:
        """成效不实 (series): the reported value exceeds the verified value (核实值) beyond the
        tolerance. Not a statistic: each mismatching period is fixed evidence."""
        raw = p.raw
        if "verified_value" not in raw.columns:
            return
        cfg = self.rcfg["成效不实"]
        v = pd.to_numeric(raw["value"], errors="coerce").to_numpy(float)
        ver = pd.to_numeric(raw["verified_value"], errors="coerce").to_numpy(float)
        ok = np.isfinite(v) & np.isfinite(ver)
        if not ok.any():
            return
        if p.unit == "%":
            over = v - ver
            bad = ok & (np.round(over, 9) > cfg["tolerance_pp"])
        else:
            over = np.where(ok & (np.abs(ver) > 0), v / np.where(ver == 0, 1, np.abs(ver)) - np.sign(ver), np.nan)
            bad = ok & (np.round(over, 9) > cfg["tolerance_rel"])
        row_of = {u: i for i, u in enumerate(self.unit_ids)}
        units = raw["unit_id"].to_numpy()
        per = raw["period"].astype(str).to_numpy()
        for uid in np.unique(units[bad]):
            sel = np.where(bad & (units == uid))[0]
            j = sel[np.argmax(over[sel])]
            pv = cfg["p_per_period"] ** min(len(sel), 2)
            gap = f"{fmt_num(over[j])}个百分点" if p.unit == "%" else f"{fmt_num(100 * over[j])}%"
            ps = sorted(per[sel])
            reason = (f"{p.name}有{len(sel)}期报送值高于核实值（{per[j]}报送{fmt_num(v[j])}{p.unit}，"
                      f"核实{fmt_num(ver[j])}{p.unit}，高出{gap}）")
            self._add(row_of[uid], p.code, RuleHit("成效不实", pv, True, float(stats.norm.isf(pv)), per[j], ps[0],
                                                   ps[-1], reason, v[j], ver[j], np.nan, f"报送值({p.unit})"))

    def _digit_rules(self, p: Panel) -> None:
        cfg = self.rcfg["数字可疑"]
        subs: dict[int, list[tuple[float, bool, str, float, float, float, str, str, str]]] = {}

        def add(u, pv, fired, text, actual, expected, peer, measure, ps, pe):
            subs.setdefault(u, []).append((pv, fired, text, actual, expected, peer, measure, ps, pe))

        labels = self._labels(p.freq)
        years = self.grid.year[p.freq]
        feats = {}
        if p.is_log and p.freq in ("month", "quarter"):
            self._smooth_season(p, cfg, labels, years, add, feats)
        self._round_bunch(p, cfg, add, feats)
        for u in np.where(p.n_decrease > 0)[0]:
            n = int(p.n_decrease[u])
            pv = cfg["decrease_p"] ** min(n, 2)
            add(u, pv, True, f"累计值较上期回落{n}次", float(n), np.nan, np.nan, "累计值回落次数",
                labels[0], labels[-1])
        for u, items in subs.items():
            items.sort(key=lambda t: t[0])
            n_sub = 4
            pv = min(1.0, items[0][0] * n_sub)
            fired_items = [t for t in items if t[1]]
            fired = bool(fired_items) and pv <= cfg["p_fire"] * n_sub
            top = fired_items[0] if fired_items else items[0]
            text = "；".join(t[2] for t in (fired_items or items[:1]))
            z = float(stats.norm.isf(max(pv, 1e-300)))
            hit = RuleHit("数字可疑", pv, fired, min(z, self.scfg["z_clip"]), None, top[7], top[8],
                          f"{p.name}{text}", top[3], top[4], top[5], top[6])
            self._add(u, p.code, hit)
        for u, f in feats.items():
            self.features.setdefault((u, p.code), {}).update(f)

    def _smooth_season(self, p, cfg, labels, years, add, feats) -> None:
        uy = np.unique(years)
        if p.freq == "month":
            windows = [(str(y), np.where(years == y)[0]) for y in uy]
        else:
            windows = [("", np.arange(len(years)))]
        vol = np.full((len(self.unit_ids), len(windows)), np.nan)
        beta = np.full_like(vol, np.nan)
        # For the reason, in the indicator's terms: the month where the peers' seasonal swing is
        # largest, the peers' level there against the year's monthly average, and the unit's.
        top_col = np.zeros(vol.shape, dtype=int)
        peer_eff = np.full_like(vol, np.nan)
        own_eff = np.full_like(vol, np.nan)
        for w, (_, cols) in enumerate(windows):
            E = p.E[:, cols]
            ok = np.isfinite(E)
            rows = p.has & (ok.sum(axis=1) >= 6)
            vol[:, w] = np.where(rows, _nanmean(np.abs(np.diff(E, axis=1)), axis=1), np.nan) * math.sqrt(math.pi) / 2
            if p.freq != "month":
                continue
            # one lumpy month must not decide the seasonal fit: clip at 2.5 robust SDs
            med = _nanmedian(E, axis=1)[:, None]
            lim = 2.5 * np.maximum(1.4826 * _nanmedian(np.abs(E - med), axis=1), 1e-9)[:, None]
            Ec = np.clip(E, med - lim, med + lim)
            Sx = np.where(ok, p.S[:, cols], np.nan)
            Sc = Sx - _nanmean(Sx, axis=1)[:, None]
            Ecc = Ec - _nanmean(Ec, axis=1)[:, None]
            den = np.nansum(Sc * Sc, axis=1)
            sd_s = np.sqrt(den / np.maximum(ok.sum(axis=1), 1))
            good = rows & (sd_s >= self.scfg["min_season_sd"]) & (den > 0)
            beta[:, w] = np.where(good, np.nansum(Ecc * Sc, axis=1) / np.where(den > 0, den, 1.0), np.nan)
            k = np.where(np.isfinite(Sc), np.abs(Sc), -1.0).argmax(axis=1)
            r = np.arange(len(k))
            top_col[:, w] = cols[k]
            own = Sc + (E - _nanmean(E, axis=1)[:, None])
            peer_eff[:, w] = np.where(good, 100 * np.exp(Sc[r, k]), np.nan)
            own_eff[:, w] = np.where(good, 100 * np.exp(own[r, k]), np.nan)
        with np.errstate(divide="ignore"):
            lv = np.log(np.where(vol > 0, vol, 1e-12))
        zv = np.column_stack([robust_z(np.where(np.isfinite(vol[:, w]), lv[:, w], np.nan), p.group,
                                       self.scfg["z_clip"]) for w in range(len(windows))])
        zb = np.column_stack([robust_z(beta[:, w], p.group, self.scfg["z_clip"]) for w in range(len(windows))])
        peer_vol = np.column_stack([group_median(vol[:, w], p.group, p.has) for w in range(len(windows))])
        for u in np.where(p.has)[0]:
            if np.isfinite(zv[u]).any():
                w = int(np.nanargmin(zv[u]))
                pv = float(stats.norm.cdf(zv[u, w]))
                peer = peer_vol[u, w]
                ratio = vol[u, w] / peer if peer > 0 else np.nan
                fired = bool(pv <= cfg["p_fire"] and ratio <= cfg["smooth_max_ratio"])
                yl, cols = windows[w]
                step = {"month": "月", "quarter": "季度"}.get(p.freq, "期")
                own_pct, peer_pct = 100 * vol[u, w], 100 * peer
                add(u, pv, fired, f"{yl + '年' if yl else ''}本单位每{step}与上{step}相比通常只变动约"
                    f"{fmt_num(own_pct)}%，同类单位通常变动约{fmt_num(peer_pct)}%（本单位起伏只有同类的"
                    f"{fmt_num(100 * ratio)}%），数据过于平滑", own_pct, peer_pct, peer_pct,
                    f"每{step}变动幅度(%)", labels[cols[0]], labels[cols[-1]])
                feats.setdefault(u, {})["过于平滑"] = -zv[u, w]
            if np.isfinite(zb[u]).any():
                w = int(np.nanargmin(zb[u]))
                pv = float(stats.norm.cdf(zb[u, w]))
                fired = bool(pv <= cfg["p_fire"] and cfg["season_min_beta"] <= beta[u, w] <= cfg["season_max_beta"])
                yl, cols = windows[w]
                own_m, peer_m = own_eff[u, w], peer_eff[u, w]
                month = f"{int(labels[top_col[u, w]][5:7])}月"
                own_txt = f"本单位是月均的{fmt_num(own_m)}%" if np.isfinite(own_m) else "本单位该月缺数"
                add(u, pv, fired, f"{yl}年{month}：同类单位该月通常是当年月均水平的{fmt_num(peer_m)}%，{own_txt}，"
                    f"季节起伏明显弱于同类，疑似按时序进度均摊报数", own_m, peer_m,
                    peer_m, f"{month}相当于月均(%)", labels[cols[0]], labels[cols[-1]])
                feats.setdefault(u, {})["季节性消失"] = -zb[u, w]

    def _round_bunch(self, p: Panel, cfg, add, feats) -> None:
        raw = p.raw
        vals = pd.to_numeric(raw["value"], errors="coerce")
        row_of = {u: i for i, u in enumerate(self.unit_ids)}
        rows = raw["unit_id"].map(row_of).to_numpy()
        per = raw["period"].astype(str).to_numpy()
        v = vals.to_numpy(float)
        fin = np.isfinite(v)
        # Usual precision of the indicator: modal number of decimals across all its values.
        dec = np.zeros(len(v), int)
        for k in range(1, 5):
            scaled = v * 10 ** (k - 1)
            dec = np.where(fin & (np.abs(scaled - np.round(scaled)) > 1e-6 * np.maximum(1, np.abs(scaled))), k, dec)
        prec = int(pd.Series(dec[fin]).mode().iat[0]) if fin.any() else 0
        tz = int(cfg["round_trailing_zeros"])
        n_int = np.round(np.where(fin, v, 0) * 10 ** prec)
        eligible = fin & (np.abs(n_int) >= 10 ** (tz + 1))
        is_round = eligible & (np.mod(n_int, 10 ** tz) == 0)
        self._binom_rule(p, rows, per, eligible, is_round, 10.0 ** -tz, cfg["round_min_count"],
                         cfg["round_min_share"], None, "末位取整", add, feats,
                         lambda k, n, sh, peer: f"{k}/{n}个报送值末{tz}位为0（占{fmt_num(sh)}%，同类单位{fmt_num(peer)}%）",
                         "取整占比(%)")
        if "target" in raw.columns:
            tgt = pd.to_numeric(raw["target"], errors="coerce").to_numpy(float)
            has_t = fin & np.isfinite(tgt)
            if has_t.sum():
                if p.unit == "%":
                    diff = v - tgt
                    band = cfg["bunch_band_pp"]
                    band_txt = f"{fmt_num(band)}个百分点"
                else:
                    diff = np.where(np.abs(tgt) > 0, v / np.where(tgt == 0, 1, tgt) - 1.0, np.nan)
                    band = cfg["bunch_band_rel"]
                    band_txt = f"{fmt_num(100 * band)}%"
                inb = has_t & (diff >= -1e-9) & (diff <= band + 1e-9)
                self._binom_rule(p, rows, per, has_t, inb, cfg["bunch_min_rate"], cfg["bunch_min_count"], 0.0,
                                 cfg["bunch_min_ratio"], "目标扎堆", add, feats,
                                 lambda k, n, sh, peer: f"{k}/{n}期数值恰在目标上方0至{band_txt}以内（占{fmt_num(sh)}%，"
                                                        f"同类单位{fmt_num(peer)}%）",
                                 "目标上方扎堆占比(%)")

    def _binom_rule(self, p, rows, per, eligible, hit, min_rate, min_count, min_share, min_ratio, key,
                    add, feats, text, measure) -> None:
        cfg = self.rcfg["数字可疑"]
        n_u = len(self.unit_ids)
        ok = eligible & (rows >= 0)
        n = np.bincount(rows[ok].astype(int), minlength=n_u).astype(float)
        k = np.bincount(rows[ok & hit].astype(int), minlength=n_u).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(n > 0, k / n, np.nan)
        rate = np.maximum(group_median(share, p.group), min_rate)
        pvals = np.where(k > 0, stats.binom.sf(k - 1, np.maximum(n, 1), np.nan_to_num(rate, nan=min_rate)), 1.0)
        for u in np.where(n > 0)[0]:
            rate0 = float(rate[u])
            pv = max(float(pvals[u]), 1e-300)
            fired = bool(pv <= cfg["p_fire"] and k[u] >= min_count and share[u] >= (min_share or 0)
                         and (min_ratio is None or share[u] >= min_ratio * rate0))
            if fired:
                pers = sorted(per[(rows == u) & hit])
            else:
                pers = [None]
            add(u, pv, fired, text(int(k[u]), int(n[u]), 100 * share[u], 100 * rate0), 100 * share[u],
                100 * rate0, 100 * rate0, measure, pers[0], pers[-1])
            feats.setdefault(u, {})[key] = float(min(stats.norm.isf(pv), self.scfg["z_clip"]))

    # ---------------------------------------------------------------- output
    def flags(self) -> pd.DataFrame:
        rows = []
        keys = sorted(self.hits)
        iso = self._iforest(keys)
        cut = self.cfg["scoring"]["severity"]
        for key in keys:
            u, code = key
            hits = self.hits[key]
            fired = [h for h in hits.values() if h.fired]
            if not fired:
                continue
            fired.sort(key=lambda h: (h.p, SERIES_RULES.index(h.rule)))
            top = fired[0]
            n_eval = len(hits)
            pc = combine_p([h.p for h in fired], n_eval)
            score = -math.log10(max(pc, 1e-300))
            # Onset: of the strongest fired time rule; else of a time rule with some evidence
            # (p <= 0.01) that did not reach its own bar; else where the primary evidence starts.
            timed = sorted([h for h in hits.values() if h.rule in ONSET_RULES and h.onset
                            and (h.fired or h.p <= 0.01)], key=lambda h: (not h.fired, h.p))
            onset = timed[0].onset if timed else top.period_start
            p = self.panels[code]
            reason = top.reason
            if len(fired) > 1:
                reason += "。另：" + "；".join(f"【{h.rule}】{h.reason}" for h in fired[1:])
            reason += "。（需核查）"
            names = [p.name] + top.partners
            hint = check_hint_for(top.rule, names, [p.kind] + top.partner_kinds, self.cfg)
            uid = self.unit_ids[u]
            rows.append({
                "flag_id": flag_id("series", uid, None, None, code, top.rule, top.period_start),
                "level": "series", "unit_id": uid, "cadre_id": None, "task_id": None, "indicator": code,
                "period_start": top.period_start, "period_end": top.period_end, "rule": top.rule,
                "severity": severity_of(score, cut), "score": round(score, 3), "reason": reason,
                "check_hint": hint,
                "rules": ";".join(h.rule for h in sorted(fired, key=lambda h: SERIES_RULES.index(h.rule))),
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

        names = sorted({n for k in keys for n in self.features.get(k, {})})
        if len(keys) < 16 or not names:
            return {}
        F = np.array([[self.features.get(k, {}).get(n, 0.0) for n in names] for k in keys], float)
        F = np.clip(np.nan_to_num(F, nan=0.0, posinf=8.0, neginf=-8.0), -8.0, 8.0)
        icfg = self.cfg["scoring"]["iforest"]
        model = IsolationForest(n_estimators=icfg["n_estimators"], max_samples=min(icfg["max_samples"], len(keys)),
                                random_state=icfg["random_state"]).fit(F)
        s = -model.score_samples(F)
        return {k: round(float(v), 4) for k, v in zip(keys, s)}


def detect_series(values: pd.DataFrame, indicators: Mapping, units: pd.DataFrame, cfg: Mapping) -> pd.DataFrame:
    if values is None or len(values) == 0:
        return empty_flags()
    return SeriesDetector(values, indicators, units, cfg).run().flags()
