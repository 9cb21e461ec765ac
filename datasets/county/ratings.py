"""The demo county's 360° ratings: a latent score per cadre-year from the cadre's ability, a
bias per rater group and rater noise; 群众/服务对象 answer in grade words. Injects the
rating_collusion anomaly (peers ≥ 95 while service recipients rate 一般/差)."""
from __future__ import annotations

from datetime import date

import numpy as np

from datasets.county.params import DATA_YEARS, GRADE_CUTS, RATER_BIAS, RATER_COUNTS, WORD_GROUPS, overlap_days
from datasets.county.world import World, cadre_id

COMMENTS = {
    "high": ("工作作风扎实，推进有力", "服务企业主动靠前", "敢于担当，攻坚克难", "群众口碑好", "思路清晰，执行力强"),
    "mid": ("工作较为踏实", "能完成分管工作", "统筹协调能力还需加强", "工作有思路"),
    "low": ("创新意识有待加强", "工作推进偏慢", "服务意识需进一步提升", "深入基层不够"),
}


def _rater_ids(rng, n: int) -> list[str]:
    draws = rng.integers(16 ** 9, 16 ** 10, size=2 * n + 16)
    seen, out = set(), []
    for d in draws:
        h = f"R{int(d):010x}"
        if h not in seen:
            seen.add(h)
            out.append(h)
        if len(out) == n:
            break
    return out


def rating_rows(rng: np.random.Generator, world: World) -> list[list]:
    counties = sorted({u.county for u in world.units})
    n_units = len(world.units)
    pool_sizes = {"上级": 30, "同级": 200, "下级": 30, "群众": 60, "服务对象": 40}
    ids = _rater_ids(rng, len(counties) * (pool_sizes["上级"] + pool_sizes["同级"])
                     + n_units * (pool_sizes["下级"] + pool_sizes["群众"] + pool_sizes["服务对象"]))
    pools: dict[tuple[str, int], list[str]] = {}
    k = 0
    for g in ("上级", "同级"):
        for c in counties:
            pools[(g, c)] = ids[k:k + pool_sizes[g]]
            k += pool_sizes[g]
    for g in ("下级", "群众", "服务对象"):
        for ui in range(n_units):
            pools[(g, ui)] = ids[k:k + pool_sizes[g]]
            k += pool_sizes[g]

    rated = _rated_cadre_years(world)
    collusion = _collusion_cases(rng, world, rated)
    rows = []
    for (y, c), ui in rated.items():
        base = 82 + 5 * world.ability[c] + 2 * rng.standard_normal()
        for g, (lo, hi) in RATER_COUNTS.items():
            n = int(rng.integers(lo, hi + 1))
            if g == "下级" and rng.random() < 0.08:
                n = int(rng.integers(2, 5))
            key = (g, world.units[ui].county) if g in ("上级", "同级") else (g, ui)
            raters = rng.choice(pools[key], size=n, replace=False)
            latent = base + RATER_BIAS[g] + 6 * rng.standard_normal(n)
            if (y, c) in collusion and g == "同级":
                latent = rng.uniform(95, 100, n)
            elif (y, c) in collusion and g == "服务对象":
                latent = rng.uniform(55, 72, n)
            latent = np.clip(latent, 0, 100)
            scores = [_grade(x) for x in latent] if g in WORD_GROUPS else [str(int(x)) for x in np.rint(latent)]
            rows += [[str(y), cadre_id(c), g, str(r), sc, cm]
                     for r, sc, cm in zip(raters, scores, _comments(rng, latent))]
    return rows


def _rated_cadre_years(world: World) -> dict[tuple[int, int], int]:
    """(year, cadre) → the unit where the cadre spent most days that year; only cadres in post
    for at least 90 days of the year are rated."""
    days: dict[tuple[int, int], dict[int, int]] = {}
    for t in world.terms:
        s, e = t.span()
        for y in DATA_YEARS:
            d = overlap_days(s, e, date(y, 1, 1).toordinal(), date(y, 12, 31).toordinal())
            if d:
                per = days.setdefault((y, t.cadre), {})
                per[world.posts[t.post].unit] = per.get(world.posts[t.post].unit, 0) + d
    return {k: max(sorted(per), key=lambda u: per[u]) for k, per in sorted(days.items()) if sum(per.values()) >= 90}


def _collusion_cases(rng, world: World, rated: dict[tuple[int, int], int]) -> set[tuple[int, int]]:
    eligible = list(rated)
    n = 2 * world.n_counties
    picked = {eligible[int(i)] for i in rng.choice(len(eligible), n, replace=False)}
    for y, c in sorted(picked):
        world.add_anomaly("rating_collusion", "cadre", rated[(y, c)], cadre_id(c), "", "", str(y), str(y), 0.0,
                 "360 异常: 同级互评全部 ≥ 95 而服务对象多为 一般/差 (peers ≫ service recipients)")
    return picked


def _grade(x: float) -> str:
    for cut, word in GRADE_CUTS:
        if x >= cut:
            return word
    return "差"


def _comments(rng, scores: np.ndarray) -> list[str]:
    """Short comments matching the score; 40 % left empty."""
    empty = rng.random(len(scores)) < 0.4
    pick = rng.integers(0, 1000, len(scores))
    out = []
    for x, e, i in zip(scores, empty, pick):
        pool = COMMENTS["high" if x >= 85 else "mid" if x >= 72 else "low"]
        out.append("" if e else pool[int(i) % len(pool)])
    return out
