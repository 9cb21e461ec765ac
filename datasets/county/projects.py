"""The demo county's investment projects: signed by the 招商 deputy in post, each next stage
reached with a probability rising with the signing cadre's ability, never after the as-of date."""
from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, timedelta

import numpy as np

from datasets.county.params import AS_OF, PROJECT_YEARS, COUNTS, STAGE_PROBS, fmt
from datasets.county.tasks import PLACES, PRODUCTS
from datasets.county.world import World, cadre_id

PROJECT_TEMPLATES = ("年产{n}万套{product}生产线项目", "{product}智能制造基地项目", "{product}技改扩产项目",
                     "{place}{product}产业园项目", "{product}数字化工厂项目")


def project_rows(rng: np.random.Generator, world: World) -> list[list]:
    by_unit = world.terms_of_unit()
    town_units = [i for i, u in enumerate(world.units) if u.town_like]
    w = np.array([world.units[i].size for i in town_units])
    first, last = date(PROJECT_YEARS[0], 1, 1).toordinal(), AS_OF.toordinal()
    signings = []
    for _ in range(COUNTS["projects"] * world.n_counties):
        ui = town_units[int(rng.choice(len(town_units), p=w / w.sum()))]
        for _attempt in range(30):  # a signing needs a 招商 deputy in post (vacancies happen)
            signed = date.fromordinal(int(rng.integers(first, last + 1)))
            cadre = world.holder_at(ui, ("dep_inv",), signed, by_unit)
            if cadre is not None:
                signings.append((signed, ui, cadre))
                break
    rows, seq = [], defaultdict(int)
    for signed, ui, cadre in sorted(signings):
        seq[signed.year] += 1
        tpl = PROJECT_TEMPLATES[int(rng.integers(0, len(PROJECT_TEMPLATES)))]
        name = tpl.format(n=int(rng.integers(5, 200)), product=PRODUCTS[int(rng.integers(0, len(PRODUCTS)))],
                          place=PLACES[int(rng.integers(0, len(PLACES)))])
        invest = float(np.clip(np.exp(np.log(15000) + 1.2 * rng.standard_normal()), 2000, 500000))
        stages = _project_stages(rng, signed, world.ability[cadre])
        rows.append([f"XM{signed.year}{seq[signed.year]:04d}", world.units[ui].unit_id, cadre_id(cadre), name,
                     fmt(round(invest / 100) * 100, 0)] + ["" if d is None else d.isoformat() for d in stages])
    return rows


def _project_stages(rng, signed: date, ability: float) -> list[date | None]:
    """签约 → 落地 → 开工 → 投产 → 达产: each next stage with a probability rising with the signing
    cadre's ability, after a delay; stages after the as-of date are not reached yet."""
    dates: list[date | None] = [signed]
    for p0, slope, lo, hi in STAGE_PROBS.values():
        prev = dates[-1]
        if prev is None or rng.random() >= 1 / (1 + math.exp(-(math.log(p0 / (1 - p0)) + slope * ability))):
            dates.append(None)
            continue
        nxt = prev + timedelta(days=int(rng.integers(lo, hi + 1)))
        dates.append(nxt if nxt <= AS_OF else None)
    return dates
