"""The demo county's indicator series: native periods, the stated outcome model
o = psi + tau + Σ s·theta + eps, the targets, and how values are published (cumulated, rounded)
and recovered (de-cumulated) for the truth."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from datasets.county.params import (
    DATA_YEARS, FIRM_YEARS, MODEL, PER_MU, SIZE_JITTER, SeriesSpec, fmt, full, std_normal,
)
from datasets.county.world import World
from datasets.rotation import Post, Term, month_end, month_index

# --- periods and coverage --------------------------------------------------------------------

@dataclass(frozen=True)
class NativePeriod:
    """A period as the series is published (monthly series: 'YYYY-02' covers January and February)."""
    label: str
    year: int
    start: int             # ordinal
    end: int               # ordinal, inclusive
    weight: int            # months (monthly series) or 1
    jf: bool = False

    @property
    def days(self) -> int:
        return self.end - self.start + 1


def native_periods(frequency: str, years: tuple[int, ...]) -> list[NativePeriod]:
    out = []
    for y in years:
        if frequency == "month":
            out.append(NativePeriod(f"{y}-02", y, date(y, 1, 1).toordinal(), month_end(month_index(y, 2)).toordinal(), 2, True))
            out += [NativePeriod(f"{y}-{m:02d}", y, date(y, m, 1).toordinal(), month_end(month_index(y, m)).toordinal(), 1)
                    for m in range(3, 13)]
        elif frequency == "quarter":
            out += [NativePeriod(f"{y}-Q{q}", y, date(y, 3 * q - 2, 1).toordinal(),
                           month_end(month_index(y, 3 * q)).toordinal(), 1) for q in range(1, 5)]
        else:
            out.append(NativePeriod(str(y), y, date(y, 1, 1).toordinal(), date(y, 12, 31).toordinal(), 1))
    return out


def coverage(terms: list[Term], periods: list[NativePeriod]) -> np.ndarray:
    """Share of each period's days covered by each term: (n_terms, n_periods)."""
    spans = np.array([t.span() for t in terms], dtype=np.int64).reshape(-1, 2)
    ps = np.array([p.start for p in periods])
    pe = np.array([p.end for p in periods])
    days = np.minimum(spans[:, 1:2], pe[None, :]) - np.maximum(spans[:, 0:1], ps[None, :]) + 1
    return np.clip(days, 0, None) / (pe - ps + 1)[None, :]


# --- series -----------------------------------------------------------------------------------

@dataclass
class Series:
    code: str
    spec: SeriesSpec
    unit_of_measure: str
    cumulative: bool
    units: list[int]
    periods: list[NativePeriod]
    m: float                                  # level: mean flow per unit and period; additive: 1
    psi: np.ndarray
    tau: np.ndarray
    cadre: np.ndarray                          # (units, periods) Σ s·theta
    eps: np.ndarray
    anomaly: np.ndarray
    targets: dict[tuple[int, int], float] = field(default_factory=dict)   # (unit pos, year) -> target
    verified: dict[tuple[int, int], float] = field(default_factory=dict)  # (unit pos, period pos) -> value

    @property
    def is_rate(self) -> bool:
        return self.unit_of_measure == "%"

    def pos(self, unit: int) -> int:
        """The row of ``unit`` in this series' arrays."""
        return self.units.index(unit)

    def model(self) -> np.ndarray:
        return self.psi[:, None] + self.tau[None, :] + self.cadre + self.eps

    def year_slices(self) -> dict[int, slice]:
        out: dict[int, slice] = {}
        for i, p in enumerate(self.periods):
            s = out.get(p.year)
            out[p.year] = slice(i if s is None else s.start, i + 1)
        return out


# --- indicator series ------------------------------------------------------------------------

def _series_units(world: World, code: str, spec_yaml: dict) -> list[int]:
    types = set(spec_yaml.get("unit_types") or [])
    if types == {"部门"}:
        return [i for i, u in enumerate(world.units) if code in u.lead_indicators]
    return [i for i, u in enumerate(world.units) if u.unit_type in types]


def _tau_det(spec: SeriesSpec, periods: list[NativePeriod], m: float) -> np.ndarray:
    """The deterministic part of tau: trend and the Jan+Feb bump."""
    return np.array([m * (spec.trend * (p.year - DATA_YEARS[0]) + spec.jf * p.jf) for p in periods])


def _tau(rng, spec: SeriesSpec, periods: list[NativePeriod], m: float) -> np.ndarray:
    years = sorted({p.year for p in periods})
    z_year = dict(zip(years, std_normal(rng, len(years))))
    random = np.array([spec.sd_tau_year * z_year[p.year] for p in periods]) + spec.sd_tau * std_normal(rng, len(periods))
    return _tau_det(spec, periods, m) + m * random


def _psi(rng, world: World, spec: SeriesSpec, units: list[int], periods_per_year: int) -> tuple[np.ndarray, float]:
    if spec.form == "additive":
        return spec.mu + spec.sd_psi * std_normal(rng, len(units)), 1.0
    by_county: dict[int, list[int]] = {}
    for pos, ui in enumerate(units):
        by_county.setdefault(world.units[ui].county, []).append(pos)
    n_per_county = len(units) // max(1, len(by_county))
    m = spec.mu / (n_per_county * (periods_per_year + spec.jf))
    psi = np.zeros(len(units))
    jitter = np.exp(SIZE_JITTER * std_normal(rng, len(units)))
    for positions in by_county.values():
        w = np.array([world.units[units[p]].size or 1.0 for p in positions]) * jitter[positions]
        psi[positions] = m * len(positions) * w / w.sum()
    return psi, m


def _cadre_part(world: World, code: str, units: list[int], periods: list[NativePeriod],
                by_unit: dict[int, list[int]]) -> np.ndarray:
    """Σ_c s·theta per (unit, period); adds each cadre's Σ_t s to ``world.exposure[code]``."""
    part = np.zeros((len(units), len(periods)))
    theta = world.theta[code]
    for pos, ui in enumerate(units):
        terms = [world.terms[i] for i in by_unit.get(ui, [])
                 if _responsible_for(world.posts[world.terms[i].post], code)]
        if not terms:
            continue
        s = coverage(terms, periods) * np.array([world.posts[t.post].share for t in terms])[:, None]
        part[pos] = (s * theta[[t.cadre for t in terms]][:, None]).sum(axis=0)
        np.add.at(world.exposure[code], [t.cadre for t in terms], s.sum(axis=1))
    return part


def _responsible_for(post: Post, code: str) -> bool:
    return post.share > 0 and (not post.indicators or code in post.indicators)


def build_series(rng: np.random.Generator, world: World) -> None:
    by_unit = world.terms_of_unit()
    for code, spec in MODEL.items():
        y = world.dictionary.get(code)
        if y is None:
            continue
        years = FIRM_YEARS if code in PER_MU else DATA_YEARS
        periods = native_periods(y["frequency"], years)
        units = _series_units(world, code, y)
        per_year = len(native_periods(y["frequency"], (2023,)))
        psi, m = _psi(rng, world, spec, units, per_year)
        tau = _tau(rng, spec, periods, m)
        if spec.form == "level":  # sd_theta is stated × m; theta is stored in outcome units
            world.theta[code] = world.theta[code] * m
        world.exposure[code] = np.zeros(world.n_cadres)
        cadre = _cadre_part(world, code, units, periods, by_unit)
        eps = m * spec.sd_eps * std_normal(rng, (len(units), len(periods)))
        s = Series(code, spec, str(y.get("unit", "")), bool(y.get("cumulative")), units, periods, m,
                   psi, tau, cadre, eps, np.zeros((len(units), len(periods))))
        if spec.form == "level" and (s.model() <= 0).any():
            raise RuntimeError(f"{code}: non-positive flow; the sds are too large for the smallest unit")
        world.series[code] = s


def _expected(s: Series) -> np.ndarray:
    """What a planner expects per (unit, period): platform plus the deterministic cycle."""
    return s.psi[:, None] + _tau_det(s.spec, s.periods, s.m)[None, :]


def round_step(x: float) -> float:
    """A 'round number' step for amounts of this size (three significant digits)."""
    return 10.0 ** max(0, int(math.log10(max(x, 1.0))) - 2)


def set_targets(rng: np.random.Generator, world: World) -> None:
    for code, s in world.series.items():
        if code in PER_MU:
            continue  # from the previous year's firm data, see enterprise_tables
        exp = _expected(s)
        for year, sl in s.year_slices().items():
            for pos in range(len(s.units)):
                if s.spec.form == "additive":
                    t = exp[pos, sl].mean() + rng.uniform(0.2, 0.7) * s.spec.sd_eps
                    s.targets[(pos, year)] = round(t, s.spec.dec)
                else:
                    total = exp[pos, sl].sum() * (1 + rng.uniform(0.01, 0.04))
                    step = round_step(total)
                    s.targets[(pos, year)] = round(total / step) * step


# --- reporting: cumulate, round, de-cumulate -------------------------------------------------

def _per_year(s: Series, x: np.ndarray, within_year) -> np.ndarray:
    """``within_year(block, w)`` applied to each year's columns of a cumulative series, where
    ``w`` are the periods' month weights; a non-cumulative series is returned as is."""
    if not s.cumulative:
        return x.copy()
    out = np.empty_like(x)
    w = np.array([p.weight for p in s.periods], dtype=float)
    for sl in s.year_slices().values():
        out[:, sl] = within_year(x[:, sl], w[sl])
    return out


def cumulate(s: Series, o: np.ndarray) -> np.ndarray:
    """Year-to-date values: rates the month-weighted mean, levels the sum."""
    if s.is_rate:
        return _per_year(s, o, lambda block, w: np.cumsum(block * w, axis=1) / np.cumsum(w))
    return _per_year(s, o, lambda block, w: np.cumsum(block, axis=1))


def decumulate(s: Series, ytd: np.ndarray) -> np.ndarray:
    """Inverse of ``cumulate``: o_t = (W_t·YTD_t − W_{t−1}·YTD_{t−1}) / w_t (levels: W ≡ 1, w ≡ 1)."""

    def per_period(block: np.ndarray, w: np.ndarray) -> np.ndarray:
        weighted = block * np.cumsum(w) if s.is_rate else block
        prev = np.concatenate([np.zeros((block.shape[0], 1)), weighted[:, :-1]], axis=1)
        return (weighted - prev) / w if s.is_rate else weighted - prev

    return _per_year(s, ytd, per_period)


def published(s: Series) -> tuple[list[list[str]], np.ndarray]:
    return as_written(cumulate(s, s.model() + s.anomaly), s.spec.dec)


def as_written(values: np.ndarray, dec: int) -> tuple[list[list[str]], np.ndarray]:
    """Formatted values (as written) and the same values parsed back as floats, so the truth is
    computed from exactly what a reader of the CSV sees."""
    text = [[fmt(v, dec) for v in row] for row in values]
    return text, np.array([[float(v) for v in row] for row in text]).reshape(values.shape)


# --- indicator values ------------------------------------------------------------------------

def indicator_value_rows(rng: np.random.Generator, world: World, per_mu_values: dict) -> tuple[list[list], list[list]]:
    """indicator_values rows and the truth outcomes rows."""
    rows, truth = [], []
    for code, s in world.series.items():
        if code in PER_MU:
            text, values = per_mu_values[code]
        else:
            text, values = published(s)
        o = decumulate(s, values)
        rounding = o - (s.model() + s.anomaly)
        verify = rng.random(values.shape) < 0.03
        for pos, ui in enumerate(s.units):
            uid = world.units[ui].unit_id
            for t, p in enumerate(s.periods):
                if p.year not in DATA_YEARS:
                    continue
                if (pos, t) in s.verified:
                    ver = fmt(s.verified[(pos, t)], s.spec.dec)
                elif verify[pos, t]:
                    factor = 1.0 if rng.random() < 0.7 else 1 - rng.uniform(0.02, 0.08)
                    ver = fmt(values[pos, t] * factor, s.spec.dec)
                else:
                    ver = ""
                target = s.targets.get((pos, p.year))
                rows.append([uid, code, p.label, text[pos][t], "" if target is None else fmt(target, s.spec.dec), ver])
                truth.append([uid, code, p.label, p.weight, full(s.psi[pos]), full(s.tau[t]), full(s.cadre[pos, t]),
                              full(s.eps[pos, t]), full(s.anomaly[pos, t]), full(rounding[pos, t]), full(o[pos, t])])
    return rows, truth
