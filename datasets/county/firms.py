"""The demo county's enterprises and enterprise-years: firm productivity is lognormal and
persistent; above-scale (规上) firms carry the units' 亩均 levels of the model exactly
(Σ tax / Σ land = the unit's tax_per_mu), below-scale firms are drawn independently."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np

from datasets.county.params import ABOVE_SCALE_SHARE, COUNTS, FIRM_YEARS, fmt, std_normal
from datasets.county.series import as_written
from datasets.county.world import World, cadre_id

@dataclass
class Firms:
    unit: np.ndarray       # unit index
    land: np.ndarray       # 亩
    above: np.ndarray      # 规上
    cadre: list[str]       # 挂联干部 ('' = none)
    present: np.ndarray    # (firms, FIRM_YEARS): has a row that year
    tax: np.ndarray        # (firms, FIRM_YEARS) 万元
    va: np.ndarray


def enterprise_tables(rng: np.random.Generator, world: World, per_mu_factor: dict):
    """Firms and firm-years; the above-scale firms of each unit carry the model's 亩均 levels.
    Returns (enterprise rows, enterprise_year rows, {code: (text, values)} of the unit 亩均 series)."""
    _apply_per_mu_factors(world, per_mu_factor)
    firms = _draw_firms(rng, world)
    _firm_money(rng, world, firms)
    ent_rows, year_rows = [], []
    noise = rng.standard_normal((len(firms.land), len(FIRM_YEARS), 5))
    no_emission = rng.random(len(firms.land)) < 0.1
    for i in range(len(firms.land)):
        eid = f"E{i + 1:05d}"
        above = bool(firms.above[i])
        ent_rows.append([eid, world.units[firms.unit[i]].unit_id, fmt(firms.land[i], 1),
                         "true" if above else "false", firms.cadre[i]])
        for j, y in enumerate(FIRM_YEARS):
            if firms.present[i, j]:
                year_rows.append([eid, y, fmt(firms.tax[i, j], 2), fmt(firms.va[i, j], 2)]
                                 + _firm_inputs(firms.va[i, j], above, noise[i, j], no_emission[i]))
    return ent_rows, year_rows, _per_mu_values(world, firms)


def _apply_per_mu_factors(world: World, per_mu_factor: dict) -> None:
    for (code, unit, year), factor in per_mu_factor.items():
        s = world.series[code]
        pos, t = s.pos(unit), [p.year for p in s.periods].index(year)
        s.anomaly[pos, t] = (factor - 1.0) * s.model()[pos, t]


def _draw_firms(rng, world: World) -> Firms:
    by_unit = world.terms_of_unit()
    town_units = [i for i, u in enumerate(world.units) if u.town_like]
    weights = np.array([world.units[i].size for i in town_units])
    counts = rng.multinomial(COUNTS["firms"] * world.n_counties, weights / weights.sum())
    unit, land, above, cadre, first, last = [], [], [], [], [], []
    for ui, n in zip(town_units, counts):
        a = rng.random(n) < (ABOVE_SCALE_SHARE + (0.15 if world.units[ui].unit_type == "平台" else 0))
        f = np.where(rng.random(n) < 0.05, rng.choice([2023, 2024, 2025], n), 2022)
        l_ = np.maximum(f, np.where(rng.random(n) < 0.04, rng.choice([2023, 2024], n), 2025))
        a[:3], f[:3], l_[:3] = True, 2022, 2025  # every unit keeps a few 规上 firms in every year
        mu = np.where(a, np.exp(np.log(38) + 0.8 * std_normal(rng, n)), np.exp(np.log(12) + 0.6 * std_normal(rng, n)))
        linked = world.holder_at(ui, ("dep_ind",), date(2025, 6, 30), by_unit)
        link = rng.random(n) < np.where(a, 0.9, 0.5)
        unit += [ui] * n
        land.append(np.round(np.clip(mu, 5, 300), 1))
        above.append(a)
        first.append(f)
        last.append(l_)
        cadre += [cadre_id(linked) if linked is not None and k else "" for k in link]
    first_y, last_y = np.concatenate(first), np.concatenate(last)
    years = np.array(FIRM_YEARS)
    present = (first_y[:, None] <= years[None, :]) & (years[None, :] <= last_y[:, None])
    shape = present.shape
    return Firms(np.array(unit), np.concatenate(land), np.concatenate(above), cadre, present,
                 np.zeros(shape), np.zeros(shape))


def _firm_money(rng, world: World, firms: Firms) -> None:
    """Tax and value added. 规上: the unit level L (model + anomaly) spread over the unit's firms
    by land × persistent productivity r, so Σ tax / Σ land = L exactly; 规下: independent draws."""
    n, n_years = firms.present.shape
    mu_tax = 0.45 * std_normal(rng, n)
    mu_va = 0.6 * mu_tax + 0.3 * std_normal(rng, n)
    xi = np.zeros((n, n_years))
    for j in range(n_years):
        xi[:, j] = (0.6 * xi[:, j - 1] if j else 0) + 0.15 * std_normal(rng, n)
    r = {"tax_per_mu": np.exp(mu_tax[:, None] + xi),
         "va_per_mu": np.exp(mu_va[:, None] + 0.8 * xi + 0.05 * std_normal(rng, (n, n_years)))}
    growth = 1.03 ** (np.array(FIRM_YEARS) - FIRM_YEARS[0])
    firms.tax[:] = (firms.land[:, None] * np.exp(np.log(6.0) + 0.6 * std_normal(rng, n))[:, None]
                    * np.exp(0.1 * std_normal(rng, (n, n_years))) * growth)
    firms.va[:] = (firms.land[:, None] * np.exp(np.log(40.0) + 0.5 * std_normal(rng, n))[:, None]
                   * np.exp(0.08 * std_normal(rng, (n, n_years))) * growth)
    for code, arr in (("tax_per_mu", firms.tax), ("va_per_mu", firms.va)):
        s = world.series.get(code)
        if s is None:
            continue
        level = s.model() + s.anomaly
        for j, y in enumerate(FIRM_YEARS):
            t = [p.year for p in s.periods].index(y)
            for pos, ui in enumerate(s.units):
                sel = (firms.unit == ui) & firms.above & firms.present[:, j]
                weight = firms.land[sel] * r[code][sel, j]
                arr[sel, j] = level[pos, t] * firms.land[sel].sum() * weight / weight.sum()
    firms.tax[:] = np.round(firms.tax, 2)
    firms.va[:] = np.round(firms.va, 2)


def _per_mu_values(world: World, firms: Firms) -> dict:
    """Unit 亩均 series as published (Σ / Σ land over 规上 firms), and next year's targets."""
    out = {}
    for code, arr in (("tax_per_mu", firms.tax), ("va_per_mu", firms.va)):
        s = world.series.get(code)
        if s is None:
            continue
        values = np.zeros((len(s.units), len(s.periods)))
        for pos, ui in enumerate(s.units):
            for t, p in enumerate(s.periods):
                j = FIRM_YEARS.index(p.year)
                sel = (firms.unit == ui) & firms.above & firms.present[:, j]
                values[pos, t] = arr[sel, j].sum() / firms.land[sel].sum()
        text, parsed = as_written(values, s.spec.dec)
        for pos in range(len(s.units)):
            for t, p in enumerate(s.periods[1:], start=1):
                s.targets[(pos, p.year)] = round(parsed[pos, t - 1] * 1.05, 1)
        out[code] = (text, parsed)
    return out


def _firm_inputs(va: float, above: bool, z: np.ndarray, no_emission: bool) -> list:
    """energy_tce, emission_t, employees, rd_expense, revenue around the 黄岩 2022 benchmarks
    (2.694 万元/tce, 4,929.81 万元/t, 18.14 万元/人, R&D 3.02 % of revenue); 规上 ≥ 2,000 万元 revenue."""
    revenue = va / 0.25 * math.exp(0.2 * z[0])
    if above:
        revenue = max(revenue, 2000 * (1.05 + 0.3 * abs(z[1])))
    else:
        revenue = min(revenue, 1990 * (0.5 + 0.5 / (1 + abs(z[1]))))
    rd = revenue * (0.03 if above else 0.008) * math.exp(0.5 * z[2])
    return [fmt(va / (2.7 * math.exp(0.35 * z[3])), 1),
            "" if no_emission else fmt(va / (4930 * math.exp(0.6 * z[4])), 3),
            max(1, int(round(va / (18.0 * math.exp(0.3 * z[1]))))), fmt(rd, 2), fmt(revenue, 2)]
