"""Panels: one indicator's values as a unit × period matrix on the run's common period grid,
de-cumulated, transformed and split into unit level, peer period effect and residual; and the
``PanelSet`` of one run that every rule reads (the shared, read-only state of a fit)."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models.period import Period
from models.rules.flags import isna
from models.rules.stats import nanmean, nanmedian

FREQ_RANK = {"month": 0, "quarter": 1, "year": 2}
MONTHS_PER = {"month": 1, "quarter": 3, "year": 12}


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
            "month": [Period.from_month_index(m).code for m in months],
            "quarter": [Period(y, "quarter", q).code for y, q in quarters],
            "year": [Period(y, "year").code for y in years],
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
                if FREQ_RANK[coarse] <= FREQ_RANK[fine]:
                    continue
                cs = start[coarse]
                ce = cs + MONTHS_PER[coarse]
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
                out[:, j] = nanmean(A[:, cols], axis=1)
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

    @property
    def name(self) -> str:
        return str(self.meta.get("name", self.code))

    @property
    def kind(self) -> str:
        return str(self.meta.get("kind", "other"))

    @property
    def unit(self) -> str:
        return str(self.meta.get("unit", ""))

    @property
    def word(self) -> str:
        """How a level value is said in reasons: a monthly flow is 月均, a quarterly one 季度."""
        if not self.is_log:
            return ""
        return {"month": "月均", "quarter": "季度"}.get(self.freq, "")

    def peers(self, u: int) -> np.ndarray:
        """Mask of the units calibrated with unit ``u`` (its group, reporting the indicator)."""
        return (self.group == self.group[u]) & self.has

    def peer_median(self, x: np.ndarray, u: int) -> float:
        return float(nanmedian(x[self.peers(u)]))

    def peer_band(self, x: np.ndarray, u: int) -> tuple[float, float]:
        """10th and 90th percentile of the unit's peer group (the unit included)."""
        v = np.asarray(x, float)[self.peers(u)]
        v = v[np.isfinite(v)]
        if v.size < 5:
            return np.nan, np.nan
        return float(np.percentile(v, 10)), float(np.percentile(v, 90))


def normalize_indicators(indicators: Mapping) -> dict:
    """Accept the whole indicators.yaml mapping or its inner ``indicators`` dict."""
    if "indicators" in indicators and isinstance(indicators["indicators"], Mapping):
        indicators = indicators["indicators"]
    return {str(k): dict(v or {}) for k, v in indicators.items()}


def unit_groups(units: pd.DataFrame, cfg: Mapping) -> dict[str, str]:
    type_to_group = {t: g for g, types in cfg["peer_groups"].items() for t in types}
    out = {}
    for uid, ut in zip(units["unit_id"].astype(str), units.get("unit_type", pd.Series([None] * len(units)))):
        out[uid] = type_to_group.get(ut, str(ut) if not isna(ut) else "其他")
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
        ra = np.nan_to_num(nanmedian(R, axis=1))
        a += ra
        R -= ra[:, None]
        rm = np.nan_to_num(nanmedian(R, axis=0))
        m += rm
        R -= rm[None, :]
    return a, m, R


def build_panel(code: str, meta: dict, df: pd.DataFrame, unit_ids: np.ndarray, groups: np.ndarray,
                grid: Grid, cfg: Mapping) -> Panel | None:
    per = df["period"].astype(str)
    parsed = {c: Period.parse(c) for c in pd.unique(per)}
    freqs = per.map({c: q.kind for c, q in parsed.items()})
    freq = freqs.mode().iat[0]
    df, per = df[freqs == freq], per[freqs == freq]
    d = pd.DataFrame({
        "unit_id": df["unit_id"].astype(str).to_numpy(),
        "year": per.map({c: q.year for c, q in parsed.items()}).astype(int).to_numpy(),
        # sub-period: the month or the quarter (0 for a year)
        "sub": per.map({c: q.number if q.kind != "year" else 0 for c, q in parsed.items()}).astype(int).to_numpy(),
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
            E[:, c] -= nanmedian(E[:, c], axis=1)[:, None]
    raw = df.assign(unit_id=df["unit_id"].astype(str))
    ytd_rate = rate_like and cumulative and freq != "year"
    return Panel(code, meta, freq, is_log, V, X, E, M, S, has, grp, n_decrease, raw, ytd_rate)



class PanelSet:
    """The panels of one run on a common grid, with the unit ids and peer groups.

    Rules only read it. Quantities more than one rule needs (the own-unit factor, the time
    scan, the clipped residuals) are computed once on first use and kept in ``cached``."""

    def __init__(self, values: pd.DataFrame, indicators: Mapping, units: pd.DataFrame, cfg: Mapping):
        self.cfg = cfg
        self.scfg = cfg["series"]
        self.indicators = normalize_indicators(indicators)
        values = values.copy()
        values["unit_id"] = values["unit_id"].astype(str)
        values["indicator"] = values["indicator"].astype(str)
        values["period"] = values["period"].astype(str)
        gmap = unit_groups(units, cfg)
        self.unit_ids = np.array(sorted(set(values["unit_id"]) | set(units["unit_id"].astype(str))))
        self.groups = np.array([gmap.get(u, "其他") for u in self.unit_ids], dtype=object)
        self.row_of = {u: i for i, u in enumerate(self.unit_ids)}
        parsed = [Period.parse(x) for x in pd.unique(values["period"])]
        self.grid = (Grid.span(min(q.first_month_index for q in parsed), max(q.last_month_index for q in parsed))
                     if len(values) else None)
        self.panels: dict[str, Panel] = {}
        for code, df in values.groupby("indicator", sort=True):
            meta = self.indicators.get(code, {"name": code, "kind": "other"})
            p = build_panel(code, meta, df, self.unit_ids, self.groups, self.grid, cfg)
            if p is not None:
                self.panels[code] = p
        self._cache: dict = {}

    def cached(self, key, compute: Callable):
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def labels(self, freq: str) -> list[str]:
        return self.grid.labels[freq]

    def log_panels(self, freq: str | None = None, kinds: tuple[str, ...] | None = None) -> list[Panel]:
        return [p for p in self.panels.values() if p.is_log
                and (freq is None or p.freq == freq) and (kinds is None or p.kind in kinds)]

    def factor_stack(self, freq: str) -> tuple[list[str], np.ndarray]:
        """Residuals of every level indicator at ``freq`` (finer ones averaged up)."""
        def compute():
            codes, arrs = [], []
            for p in self.log_panels():
                if FREQ_RANK[p.freq] <= FREQ_RANK[freq]:
                    codes.append(p.code)
                    arrs.append(self.grid.aggregate(p.E, p.freq, freq))
            if not arrs:
                return [], np.zeros((0, len(self.unit_ids), len(self.labels(freq))))
            return codes, np.stack(arrs)
        return self.cached(("factor", freq), compute)

    def covariate(self, p: Panel) -> np.ndarray | None:
        """Median residual of the unit's other level indicators (the unit's own economy)."""
        if p.freq not in ("month", "quarter") or not p.is_log:
            return None
        codes, st = self.factor_stack(p.freq)
        others = [i for i, c in enumerate(codes) if c != p.code]
        if len(others) < 2:
            return None
        return nanmedian(st[others], axis=0)
