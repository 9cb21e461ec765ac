"""Prefecture mayors and GDP growth: how many leaders does the product place on a side of x?

    python bench/bench_panel.py [--seeds 3] [--worlds NAME ...]

The issue asks for the real public panel (prefecture mayors x GDP growth, 1998-2017, from the
replication files of the "meritocratic promotion" studies). It is not reachable from this
machine (no internet beyond package registries): only a text copy of one such file (Li et al.
2019, as shipped in a public replication repository) could be read, and it covers 2003-2014,
has no leader identifier (leaders, and their moves between prefectures, cannot be followed),
so the model cannot be fitted on it. What it does show is used to calibrate the world below: growth rates of
prefectures within one province and year spread by about 2-3 pp around a national cycle.

So the panel is synthetic, of the same shape (:func:`make_prefecture_panel`):

- 324 prefectures in 31 provinces (sizes 4-21, as in China), 20 years 1998-2017, one record
  per prefecture-year: real GDP growth in percent.
- Mayors: tenures in months ~ Gamma(shape 4, mean 46 months) clipped to 12-120, i.e. mostly
  2-5 years (the literature's average for prefecture mayors is 3-4 years; 46 months is what
  gives the panel's ~1,700 leaders). Mayors in office in January 1998 have a left-censored
  remaining tenure. A post that falls free is filled by a mayor who left another prefecture of
  the panel within the last 6 months with probability ``p_rotate`` (85 % from the same
  province), otherwise by a newcomer; this leaves 10-20 % of leaders serving in two or more
  prefectures. Everyone else serves in one prefecture and leaves the panel (promoted,
  retired, moved to a post outside it). That is what makes identification weak.
- The handover falls in a random month; the year's record is shared by months in office
  (shares sum to 1).
- y[u, t] = g[t] + 2 + province[p] + prefecture[u] + province_year[p, t]
            + sum_c s[(u, t), c] * theta[c] + eps[u, t]
  with g the official national real growth (NBS, 1998-2017, 6.8-14.2 %; prefectures report
  about 2 pp more), province ~ N(0, 1.0^2), prefecture ~ N(0, 1.5^2), province-year
  ~ N(0, 1.0^2), leader theta ~ N(0, sd_leader^2) and eps an AR(1) with coefficient ``rho``
  and stationary SD ``sd_noise`` within each prefecture (local growth shocks persist: an
  investment wave lasts several years).

Assumptions (the published literature finds leader effects on growth hard to tell apart from
noise; the ranges are our reading of it): growth noise SD 2-3 pp (main world 2.5), leader SD
0.5-1 pp (main world 0.75), shock persistence rho 0-0.5 (main world 0.4). No sorting of good
leaders into good prefectures, no leader-specific trends: both would only make it harder.

The fit is the product's: ``models.attribution.fit_contributions`` with the estimator settings
of data/reference/attribution.yaml and one indicator, ``gdp_growth``, weighted 1 (the composite
'*' is its effect in SD units of the estimated leader spread), then
``pipelines.steps.quadrant_x`` (effect, se, df) and ``models.quadrant.assign_quadrants`` with
data/reference/quadrants.yaml (x_cut 0, x_side_level 0.9). Truth is centred within each
comparison group like x. Reported per world and seed: leaders, identified (not 不可判定),
placed (x_status determined) as a share of all leaders and of the identified, placed side
agreement with the truth, plain point-estimate placement (x > 0 vs truth > 0) of all identified,
corr(x, truth), estimated vs true leader SD, fit wall time and peak RSS (each fit in a fresh
child process; ru_maxrss of the child, and the RSS it added over the pre-fit level).

Period effects: the product's ``gdp_growth`` indicator has one effect per period (the county
cycle), so the first rows use period = year; the literature's specification absorbs
province x year, which is what the ``prov×year`` rows pass as the period label.
"""
from __future__ import annotations

import argparse
import heapq
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FIRST_YEAR = 1998
# Official national real GDP growth, %, 1998-2017 (NBS): the common year effect.
NATIONAL_GROWTH = (7.8, 7.7, 8.5, 8.3, 9.1, 10.0, 10.1, 11.4, 12.7, 14.2,
                   9.7, 9.4, 10.6, 9.6, 7.9, 7.8, 7.4, 7.0, 6.8, 6.9)
# Prefectures per province (31 provinces, 324 units), roughly China's spread of 4 to 21.
PROVINCE_SIZES = (21, 18, 17, 16, 15, 14, 14, 13, 13, 12, 12, 11, 11, 11, 10, 10, 10, 9, 9,
                  9, 8, 8, 7, 7, 6, 6, 5, 5, 4, 4, 8)


def make_prefecture_panel(
    n_years: int = 20,
    province_sizes: tuple[int, ...] = PROVINCE_SIZES,
    tenure_mean: float = 46.0,
    tenure_shape: float = 4.0,
    tenure_range: tuple[int, int] = (12, 120),
    p_rotate: float = 0.22,
    p_same_province: float = 0.85,
    pool_months: int = 6,
    sd_leader: float = 0.75,
    sd_noise: float = 2.5,
    rho: float = 0.4,
    sd_province: float = 1.0,
    sd_prefecture: float = 1.5,
    sd_province_year: float = 1.0,
    seed: int = 0,
):
    """The synthetic prefecture-mayor panel described in the module docstring.

    Returns (records, shares, truth, info): records (indicator 'gdp_growth', record_id, unit_id,
    period = year, province_year, y), shares (record_id, cadre_id, share), truth (theta by
    cadre_id) and a dict of realised counts (leaders, movers, mean tenure).
    """
    rng = np.random.default_rng(seed)
    n_units = int(sum(province_sizes))
    province_of = np.repeat(np.arange(len(province_sizes)), province_sizes)
    n_months = 12 * n_years
    lo, hi = tenure_range
    scale = tenure_mean / tenure_shape

    def tenure() -> int:
        return int(np.clip(round(rng.gamma(tenure_shape, scale)), lo, hi))

    spells: list[tuple[int, int, int, int]] = []  # leader, unit, start, end (months, end excl.)
    events: list[tuple[int, int, int]] = []  # (month the post falls free, unit, holder)
    next_leader = 0
    for u in range(n_units):
        # in office in January 1998: a left-censored remaining tenure
        end = int(rng.integers(1, tenure() + 1))
        spells.append((next_leader, u, 0, min(end, n_months)))
        heapq.heappush(events, (end, u, next_leader))
        next_leader += 1
    pool: list[tuple[int, int, int]] = []  # (month left, leader, province) free to move
    while events:
        month, u, holder = heapq.heappop(events)
        if month >= n_months:
            continue
        pool.append((month, holder, int(province_of[u])))
        pool = [e for e in pool if month - e[0] <= pool_months]
        others = [i for i, e in enumerate(pool) if e[1] != holder]
        leader = None
        if others and rng.random() < p_rotate:
            same = [i for i in others if pool[i][2] == province_of[u]]
            choose = same if same and rng.random() < p_same_province else others
            leader = pool.pop(choose[int(rng.integers(len(choose)))])[1]
        if leader is None:
            leader, next_leader = next_leader, next_leader + 1
        end = month + tenure()
        spells.append((leader, u, month, min(end, n_months)))
        heapq.heappush(events, (end, u, leader))
    posts = pd.DataFrame(spells, columns=["leader", "unit", "start", "end"])
    posts = posts[posts["end"] > posts["start"]]

    # months in office per (unit, year): the record's shares
    month = np.arange(n_months)
    covered = (month[None, :] >= posts["start"].to_numpy()[:, None]) & (
        month[None, :] < posts["end"].to_numpy()[:, None])
    spell_idx, m = np.nonzero(covered)
    sh = pd.DataFrame({
        "record": posts["unit"].to_numpy()[spell_idx] * n_years + m // 12,
        "leader": posts["leader"].to_numpy()[spell_idx],
        "share": 1.0 / 12,
    }).groupby(["record", "leader"], as_index=False)["share"].sum()

    n_leaders = int(posts["leader"].max()) + 1
    theta = rng.normal(0.0, sd_leader, n_leaders)
    prov = rng.normal(0.0, sd_province, len(province_sizes))
    pref = rng.normal(0.0, sd_prefecture, n_units)
    prov_year = rng.normal(0.0, sd_province_year, (len(province_sizes), n_years))
    eps = np.empty((n_units, n_years))
    eps[:, 0] = rng.normal(0.0, sd_noise, n_units)
    innov = sd_noise * np.sqrt(1.0 - rho**2)
    for t in range(1, n_years):
        eps[:, t] = rho * eps[:, t - 1] + rng.normal(0.0, innov, n_units)
    g = np.asarray(NATIONAL_GROWTH[:n_years]) + 2.0

    record = np.arange(n_units * n_years)
    unit, year = record // n_years, record % n_years
    leader_part = np.bincount(sh["record"], weights=sh["share"] * theta[sh["leader"]],
                              minlength=record.size)
    y = (g[year] + prov[province_of[unit]] + pref[unit] + prov_year[province_of[unit], year]
         + leader_part + eps[unit, year])
    unit_ids = np.array([f"p{u:03d}" for u in range(n_units)], dtype=object)
    leader_ids = np.array([f"m{c:04d}" for c in range(n_leaders)], dtype=object)
    years = np.array([str(FIRST_YEAR + t) for t in range(n_years)], dtype=object)
    records = pd.DataFrame({
        "indicator": "gdp_growth", "record_id": record, "unit_id": unit_ids[unit],
        "period": years[year],
        "province_year": [f"{p:02d}·{yr}" for p, yr in zip(province_of[unit], years[year])],
        "y": y,
    })
    shares = pd.DataFrame({"record_id": sh["record"].to_numpy(),
                           "cadre_id": leader_ids[sh["leader"]], "share": sh["share"].to_numpy()})
    truth = pd.Series(theta, index=pd.Index(leader_ids, name="cadre_id"), name="theta")
    units_per_leader = posts.groupby("leader")["unit"].nunique()
    spans = posts.assign(months=posts["end"] - posts["start"])
    done = spans[(spans["start"] > 0) & (spans["end"] < n_months)]  # uncensored tenures
    info = {
        "leaders": n_leaders,
        "movers": int((units_per_leader >= 2).sum()),
        "mean_tenure_years": float(done["months"].mean() / 12),
        "share_tenure_2_5y": float(done["months"].between(24, 60).mean()),
    }
    return records, shares, truth, info


WORLDS = {
    # name: (generator kwargs, period column)
    "main, period = year": (dict(), "period"),
    "main, prov×year": (dict(), "province_year"),
    "iid noise, period = year": (dict(rho=0.0), "period"),
    "milder persistence (rho 0.2), period = year": (dict(rho=0.2), "period"),
    "placebo: no leader effect (sd 0), period = year": (dict(sd_leader=0.0), "period"),
    "optimistic (noise 2, leader 1, iid), prov×year": (
        dict(sd_noise=2.0, sd_leader=1.0, rho=0.0), "province_year"),
}


# GDP growth is the whole of x here: with the product's weights it would be 5 % of the intended
# weight of a cadre, and the weight_identified rule, not the evidence, would decide placement.
WEIGHTS = {"*": {"gdp_growth": 1.0}}


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def place(records, shares, truth, period_column: str = "period"):
    """Fit and place exactly as the product does; returns (placement frame, fit, seconds)."""
    import warnings

    from models.attribution import fit_contributions
    from models.config import load_reference
    from models.quadrant import assign_quadrants
    from pipelines.steps import quadrant_x

    cfg = load_reference("attribution")
    qcfg = load_reference("quadrants")
    rec = records.drop(columns="period").rename(columns={period_column: "period"}) \
        if period_column != "period" else records
    rec = rec[["indicator", "record_id", "unit_id", "period", "y"]]
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = fit_contributions(rec, shares, weights=WEIGHTS, **cfg["estimator"])
    seconds = time.perf_counter() - t0
    x = quadrant_x(fit)
    points = x.rename(columns={"effect": "x"}).assign(period="p", y=0.7)
    out = assign_quadrants(points, qcfg)
    comp = fit.contributions[fit.contributions["indicator"] == "*"].set_index("cadre_id")
    out["component_id"] = out["cadre_id"].map(comp["component_id"])
    out["truth"] = out["cadre_id"].map(truth)
    ident = out["x_status"] != "unidentified"
    out.loc[ident, "truth"] -= out[ident].groupby("component_id")["truth"].transform("mean")
    out["warnings"] = "; ".join(sorted({str(w.message)[:120] for w in caught}))
    return out, fit, seconds


def lag1_correlations(records: pd.DataFrame, shares: pd.DataFrame) -> tuple[float, float]:
    """Correlation of two-way demeaned growth in adjacent years of a prefecture: both years
    served entirely by the same mayor / the two years' main mayors differ. Leader effects make
    only the first positive; persistent local shocks make both: the data can tell them apart
    even where the estimator (independent yearly noise) does not."""
    r = records[["record_id", "unit_id", "period", "y"]].copy()
    r["e"] = (r["y"] - r.groupby("unit_id")["y"].transform("mean")
              - r.groupby("period")["y"].transform("mean") + r["y"].mean())
    top = shares.sort_values("share").groupby("record_id").tail(1).set_index("record_id")
    r["main"] = r["record_id"].map(top["cadre_id"])
    r["full"] = r["record_id"].map(top["share"]) >= 1 - 1e-9
    r = r.sort_values(["unit_id", "period"])
    nxt = r.groupby("unit_id")[["e", "main", "full"]].shift(-1)
    ok = nxt["e"].notna()
    same = ok & r["full"] & nxt["full"].astype(bool) & (r["main"] == nxt["main"])
    across = ok & (r["main"] != nxt["main"])
    corr = lambda m: float(np.corrcoef(r.loc[m, "e"], nxt.loc[m, "e"].astype(float))[0, 1])  # noqa: E731
    return corr(same), corr(across)


def _agree(frame) -> float:
    if frame.empty or frame["truth"].isna().all():
        return float("nan")
    return float(((frame["x"] > 0) == (frame["truth"] > 0)).mean())


def summarise(out, fit, truth, sd_leader: float) -> dict:
    ident = out[out["x_status"] != "unidentified"]
    placed = ident[ident["x_status"] == "determined"]
    model = next(iter(fit.models.values()))
    sd_hat = float(np.sqrt(model.sigma2_cadre_))
    # x is in units of the estimated leader SD: back in pp, does its 80 % interval hold the truth
    # 80 % of the time? (Bayesian intervals: on average over leaders, if the model holds.)
    coverage80 = float(((ident["x_low"] * sd_hat <= ident["truth"])
                        & (ident["truth"] <= ident["x_high"] * sd_hat)).mean())
    if sd_leader == 0:  # no true side to agree with: every placement is a false one
        placed = placed.assign(truth=np.nan)
        ident = ident.assign(truth=np.nan)
    n = len(out)
    return {
        "leaders": n,
        "identified": len(ident),
        "placed": len(placed),
        "placed_of_all": len(placed) / n,
        "placed_of_identified": len(placed) / max(len(ident), 1),
        "placed_true_side": _agree(placed),
        "point_true_side": _agree(ident),
        "corr": float(np.corrcoef(ident["x"], ident["truth"])[0, 1]) if sd_leader > 0 else float("nan"),
        "coverage80": coverage80,
        "sd_hat": sd_hat,
        "sd_true": sd_leader,
        "noise_hat": float(np.sqrt(model.sigma2_)),
        "rho_hat": float(model.serial_rho_),
        "df": float(model.df_resid_),
        "solver": f"{model.solver_}/{model.variance_method_}",
        "components": int((model.components_["n_identified"] > 0).sum()),
        "max_p_side": float(ident["p_side"].max()) if len(ident) else float("nan"),
        "warnings": out["warnings"].iloc[0] if n else "",
    }


def child(world: str, seed: int) -> dict:
    kwargs, period_column = WORLDS[world]
    records, shares, truth, info = make_prefecture_panel(seed=seed, **kwargs)
    lag_same, lag_across = lag1_correlations(records, shares)
    rss0 = _rss_mib()
    out, fit, seconds = place(records, shares, truth, period_column)
    row = summarise(out, fit, truth, kwargs.get("sd_leader", 0.75))
    row.update(info, world=world, rho_true=kwargs.get("rho", 0.4), lag1_same=lag_same, lag1_across=lag_across, seed=seed, fit_s=seconds,
               peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
               added_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - rss0)
    return row


def _run_child(world: str, seed: int) -> dict:
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", world, str(seed)],
                          capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _pct(v: float) -> str:
    return "–" if v != v else f"{100 * v:.1f} %"


READING = [
    "How to read it:",
    "",
    "- The real panel is not reachable offline: a text copy of Li et al. (2019)'s file could be",
    "  read but carries no leader identifier; it served only to calibrate the spread of growth.",
    "- The placebo rows have no leader effect at all: every leader placed there is a false",
    "  placement. A local growth shock that persists (AR(1)) looks like the effect of whoever was",
    "  in office. Before the estimator measured it (serial_correction, issue 12), the main world",
    "  placed 15.0 % of leaders (75 % on their true side) and the placebo 9.1 %, with the leader",
    "  SD estimated at 1.5 pp (true 0.75) and 1.2 pp (true 0). The estimator now reads the lasting",
    "  part of the noise from adjacent years of a prefecture (net of the mayors two years share",
    "  and of the drop that taking out the prefecture's mean causes: the rho columns) and counts",
    "  a mayor's run of years as less independent evidence.",
    "- Persistence is only partly recovered (rho estimated below the truth), so the placed tail",
    "  under persistence still agrees with the truth less often than the 90 % promised.",
    "- With independent noise the same panel places 1-2 % with about 90 % on the true side,",
    "  close to the published finding that almost no mayor's effect is distinguishable from 0;",
    "  the correction leaves it unchanged (rho estimated at 0).",
    "- Province x year periods do not help: the persistent part is prefecture-specific.",
    "",
]


def _num(v: float) -> str:
    return "–" if v != v else f"{v:.2f}"


def write_table(rows: list[dict], path: Path) -> str:
    lines = [
        "# Prefecture-mayor panel: share of leaders placed on a side of x",
        "",
        "`python bench/bench_panel.py --seeds 3` (synthetic panel of the real one's shape; the",
        "world and its assumptions are in the docstring of bench/bench_panel.py). Must show: at",
        "most 10 % of leaders placed.",
        "",
        "| world | seed | leaders | movers | tenure (y) | identified | placed | placed / all | "
        "placed / identified | placed on true side | point estimate on true side | corr(x, truth) | "
        "80 % interval holds truth | leader SD est / true (pp) | lag-1 corr same mayor / handover | df | "
        "rho est / true | fit (s) | peak RSS (MiB) | fit added (MiB) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['world']} | {r['seed']} | {r['leaders']} | {r['movers']} "
            f"({_pct(r['movers'] / r['leaders'])}) | {r['mean_tenure_years']:.1f} | "
            f"{r['identified']} | {r['placed']} | {_pct(r['placed_of_all'])} | "
            f"{_pct(r['placed_of_identified'])} | {_pct(r['placed_true_side'])} | "
            f"{_pct(r['point_true_side'])} | {_num(r['corr'])} | {_pct(r['coverage80'])} | "
            f"{r['sd_hat']:.2f} / {r['sd_true']:.2f} | "
            f"{r['lag1_same']:.2f} / {r['lag1_across']:.2f} | "
            f"{r['df']:.0f} | {r['rho_hat']:.2f} / {r['rho_true']:.2f} | {r['fit_s']:.1f} | {r['peak_rss_mib']:.0f} | {r['added_rss_mib']:.0f} |")
    df = pd.DataFrame(rows)
    lines += ["", "Pooled over seeds:", "",
              "| world | placed / all | placed / identified | placed on true side | "
              "point estimate on true side | max p_side |", "|---|---|---|---|---|---|"]
    for world, g in df.groupby("world", sort=False):
        placed = g["placed"].sum()
        agree = ((g["placed_true_side"] * g["placed"]).sum() / placed
                 if placed and g["placed_true_side"].notna().all() else float("nan"))
        point = (g["point_true_side"] * g["identified"]).sum() / g["identified"].sum() \
            if g["point_true_side"].notna().all() else float("nan")
        lines.append(f"| {world} | {placed} / {g['leaders'].sum()} = {_pct(placed / g['leaders'].sum())} | "
                     f"{_pct(placed / g['identified'].sum())} | {_pct(agree)} | {_pct(point)} | "
                     f"{g['max_p_side'].max():.3f} |")
    warned = sorted({w for w in df["warnings"] if w})
    lines += ["", "Estimator warnings: " + ("; ".join(warned) if warned else "none"), ""]
    main = df[df["world"] == next(iter(WORLDS))]
    if len(main):
        share = main["placed"].sum() / main["leaders"].sum()
        verdict = "met" if share <= 0.10 else "NOT met"
        lines += [f"Must show on the main world (period = year): at most 10 % placed: **{verdict}** "
                  f"({_pct(share)} placed over {len(main)} seeds).", ""]
    lines += READING
    text = "\n".join(lines)
    path.write_text(text, encoding="utf-8")
    return text


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--worlds", nargs="*", default=list(WORLDS))
    ap.add_argument("--child", nargs=2, metavar=("WORLD", "SEED"))
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "panel.md"))
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]))))
        return
    rows = []
    for world in args.worlds:
        for seed in range(args.seeds):
            row = _run_child(world, seed)
            print(f"{world} seed {seed}: {row['placed']} / {row['leaders']} placed "
                  f"({_pct(row['placed_of_all'])}), identified {row['identified']}, "
                  f"fit {row['fit_s']:.1f} s", flush=True)
            rows.append(row)
    print(write_table(rows, Path(args.out)))


if __name__ == "__main__":
    main()
