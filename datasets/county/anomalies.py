"""Anomalies injected into the demo county's indicator series (truth ``anomalies.csv``): level
shifts, spikes, fabricated unit-years, divergences (fai_growth up while 亩均 falls) and hard
divergences (ind_va_growth up while industrial_power does not follow). Injected data stay valid
input: no negative flows, cumulative levels never decrease."""
from __future__ import annotations

import math
from datetime import date

import numpy as np

from datasets.county.params import PER_MU, TOWN_DEPUTIES, std_normal
from datasets.county.series import cumulate, decumulate, round_step
from datasets.county.world import World, cadre_id

def _responsible(world: World, unit: int, code: str, day: date, by_unit) -> str:
    slots = tuple(slot for slot, (_, _, _, inds) in TOWN_DEPUTIES.items() if code in inds) or ("chief",)
    c = world.holder_at(unit, slots, day, by_unit)
    return "" if c is None else cadre_id(c)


def inject_series_anomalies(rng: np.random.Generator, world: World) -> dict:
    """Level shifts, spikes, fabricated series, divergences. Returns per-mu level multipliers
    {(code, unit index, year): factor} applied before the firm data are drawn."""
    by_unit = world.terms_of_unit()
    per_mu_factor: dict[tuple[str, int, int], float] = {}
    plan = (["level_shift"] * 3 + ["spike"] * 3 + ["fabricated"] * 3 + ["divergence"] * 2
            + ["hard_divergence"]) * world.n_counties
    town_units = [i for i, u in enumerate(world.units) if u.town_like]
    order = list(rng.permutation(town_units))
    monthly = {c for c, s in world.series.items() if s.cumulative and s.periods[0].weight == 2}
    for k, kind in enumerate(plan):
        unit = int(order[k % len(order)])
        year = int(rng.choice([2024, 2025]))
        if kind == "level_shift":
            code = str(rng.choice(sorted(monthly & {"gpb_revenue", "exports", "industrial_power", "ind_va_growth"})))
            _level_shift(rng, world, code, unit, year, by_unit)
        elif kind == "spike":
            code = str(rng.choice(sorted(monthly & {"gpb_revenue", "exports", "fdi_actual", "fai_growth"})))
            _spike(rng, world, code, unit, year, by_unit)
        elif kind == "fabricated":
            code = str(rng.choice(sorted(monthly & {"gpb_revenue", "exports", "fai_growth", "ind_va_growth"})))
            _fabricate(rng, world, code, unit, year, by_unit)
        elif kind == "divergence":
            _divergence(rng, world, unit, year, by_unit, per_mu_factor)
        else:
            _hard_divergence(rng, world, unit, year, by_unit)
    return per_mu_factor


def _level_shift(rng, world, code, unit, year, by_unit) -> None:
    s = world.series[code]
    pos = s.pos(unit)
    cands = [i for i, p in enumerate(s.periods) if p.year == year and not p.jf and p.label[-2:] <= "10"]
    t0 = int(rng.choice(cands))
    if s.is_rate:
        mag = float(rng.choice([-1, 1]) * rng.uniform(5.0, 8.0))
    else:  # upward only, so flows stay positive
        mag = float(s.psi[pos] * rng.uniform(0.25, 0.4))
    s.anomaly[pos, t0:] += mag
    p0 = s.periods[t0]
    world.add_anomaly("level_shift", "series", unit, _responsible(world, unit, code, date.fromordinal(p0.start), by_unit),
             "", code, p0.label, s.periods[-1].label, mag,
             f"断点: 自 {p0.label} 起每期 {mag:+.1f} {s.unit_of_measure}(level shift from onset to end of data)")


def _spike(rng, world, code, unit, year, by_unit) -> None:
    s = world.series[code]
    pos = s.pos(unit)
    cands = [i for i, p in enumerate(s.periods) if p.year == year and not p.jf]
    t0 = int(rng.choice(cands))
    mag = float(rng.uniform(12.0, 18.0)) if s.is_rate else float(s.psi[pos] * rng.uniform(1.2, 2.0))
    s.anomaly[pos, t0] += mag
    p0 = s.periods[t0]
    world.add_anomaly("spike", "series", unit, _responsible(world, unit, code, date.fromordinal(p0.start), by_unit),
             "", code, p0.label, p0.label, mag, f"突变: {p0.label} 单期 +{mag:.1f} {s.unit_of_measure}(one-period spike)")


def _fabricate(rng, world, code, unit, year, by_unit) -> None:
    """Replace one unit-year by a too-smooth series ending just above target (round numbers)."""
    s = world.series[code]
    pos = s.pos(unit)
    sl = s.year_slices()[year]
    target = s.targets[(pos, year)]
    months = np.cumsum([p.weight for p in s.periods[sl]])
    if s.is_rate:
        fake = np.round(target + 0.1 * rng.integers(0, 3, len(months)), 1)
    else:
        step = round_step(target)
        fake = np.round(target * months / 12 * (1 + 0.002 * std_normal(rng, len(months))) / step) * step
        fake[-1] = math.ceil(target * 1.004 / step) * step
        fake = np.maximum.accumulate(fake)
    model_ytd = cumulate(s, s.model() + s.anomaly)[pos, sl]
    row = np.zeros((1, len(s.periods)))
    row[0, sl] = fake
    fake_o = decumulate(s, row)[0, sl]
    s.anomaly[pos, sl] = fake_o - s.model()[pos, sl]
    last = sl.stop - 1
    s.verified[(pos, last)] = round(float(model_ytd[-1]), s.spec.dec)
    world.add_anomaly("fabricated", "series", unit, _responsible(world, unit, code, date(year, 6, 30), by_unit),
             "", code, s.periods[sl.start].label, s.periods[last].label, float(fake[-1] - model_ytd[-1]),
             f"数字可疑: {year} 年序列被替换为贴近目标 {target:g} 的平滑整数序列; 核实值为真实数 "
             f"(too smooth, near target; magnitude = reported − true year-end value)")


def _divergence(rng, world, unit, year, by_unit, per_mu_factor) -> None:
    s = world.series.get("fai_growth")
    mag = float(rng.uniform(12.0, 18.0))
    drop = float(rng.uniform(0.12, 0.2))
    if s is not None:
        pos = s.pos(unit)
        s.anomaly[pos, s.year_slices()[year]] += mag
    for code in PER_MU:
        if code in world.series:
            per_mu_factor[(code, unit, year)] = 1 - drop
    world.add_anomaly("divergence", "series", unit, _responsible(world, unit, "fai_growth", date(year, 6, 30), by_unit),
             "", "fai_growth;tax_per_mu;va_per_mu", f"{year}-02", f"{year}-12", mag,
             f"重数量轻质量: {year} 年固投增速每期 +{mag:.1f} pp, 同年亩均税收/亩均增加值下降 {drop:.0%}"
             f"(volume up, efficiency down)")


def _hard_divergence(rng, world, unit, year, by_unit) -> None:
    s = world.series.get("ind_va_growth")
    if s is None:
        return
    mag = float(rng.uniform(7.0, 10.0))
    pos = s.pos(unit)
    s.anomaly[pos, s.year_slices()[year]] += mag
    world.add_anomaly("hard_divergence", "series", unit,
             _responsible(world, unit, "ind_va_growth", date(year, 6, 30), by_unit), "",
             "ind_va_growth;industrial_power", f"{year}-02", f"{year}-12", mag,
             f"硬指标背离: {year} 年规上工业增加值增速每期 +{mag:.1f} pp, 工业用电量与税收未同步"
             f"(output up, electricity/tax flat)")
