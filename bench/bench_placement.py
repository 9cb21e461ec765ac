"""Placement by evidence on the 实绩象限's x against known truth: synthetic rotation worlds and the demo.

    python bench/bench_placement.py [--seeds 5] [--demo-seeds 3,7] [--no-demo]

Writes bench/results/placement.md. The demo part lives in bench/placement_demo.py.

Synthetic part: datasets.attribution_world.make_realistic (60 units, 8 years of quarterly records,
lead + deputies sharing each record, 3-5-year tenures, 8 % of the cadres at +-3-4 sd of the
bulk's spread sd_cadre = 0.5, record noise 2 x sd_cadre as in the demo) and the same worlds with
noise = sd_cadre. Each world is fitted with fit_contributions (one indicator, its composite '*'
is the quadrants' x, with its posterior SD and df as pipelines.steps.quadrant_x passes them) and
placed by models.quadrant.assign_quadrants (level 0.9), beside plain point-estimate placement
(every identified cadre on the side of its estimate). The truth is centred within each
comparison group, as the estimates are. "Strong" = |true effect| >= 3 sd_cadre (>= 2 beside it).

Why strong cadres stay unplaced: per strong cadre at the demo's ratio, the posterior SD, the
shrinkage effect / truth, the reliability, lead (ever held a share > 0.5 of a record) or deputy,
the number of records, the size of its comparison group. Local experiments (monkeypatches of
this process only; models/ is not edited): a flatter prior (sigma2_cadre x 2, x 4), a normal
instead of t posterior, and the unshrunk fixed-effect estimate with its own SE.

Demo part: for each demo seed, the county demo is generated and ingested through the real CLI
(python -m pipelines demo / ingest) into a temporary data home, twice: with the attribution's
cleaning of flagged records (data/reference as is) and without it (a copy of data/reference
with ``exclude_flagged_rules: []``, via SHIJI_REFERENCE_DIR). The exported ``quadrants`` (latest
quarter) and ``contributions`` tables are compared with ``_truth/``: the composite truth of a
cadre is built exactly as the composite estimate is, from the truth files: per indicator the
cadre used (identified, weight > 0 for its role_type in composite_weights), theta (task: the
task effect) centred within the indicator's comparison group and divided by the SD of the true
effects over the cadres responsible for it, then the role-weighted mean.
"""
from __future__ import annotations

import argparse
import contextlib
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.placement_demo import demo_section, pct  # noqa: E402

LEVEL = 0.9
CFG = {"x_cut": 0.0, "y_cut": 0.5, "x_side_level": LEVEL,
       "names": {"high_high": "hh", "high_low": "hl", "low_high": "lh", "low_low": "ll", "unidentified": "na"}}


# --- synthetic worlds ----------------------------------------------------------------------------

@contextlib.contextmanager
def prior_scale(factor: float):
    """Multiply the fitted cadre variance (the prior of the BLUP) by ``factor``: a flatter prior."""
    from models.attribution import ContributionAttribution

    original = ContributionAttribution._variance_components

    def flatter(self, *args, **kwargs):
        sigma2, sigma2_cadre = original(self, *args, **kwargs)
        return sigma2, sigma2_cadre * factor

    ContributionAttribution._variance_components = flatter
    try:
        yield
    finally:
        ContributionAttribution._variance_components = original


def synthetic(seed: int, sd_noise: float, factor: float = 1.0) -> pd.DataFrame:
    """Identified cadres of one realistic world: estimate, posterior SD, df, truth and the
    placement statuses (evidence with t, evidence with normal, point estimate, fixed effect)."""
    from models.attribution import fit_contributions
    from datasets.attribution_world import make_realistic
    from models.quadrant import assign_quadrants

    data = make_realistic(seed, sd_noise=sd_noise)
    sd_cadre = data.params["sd_cadre"]
    with warnings.catch_warnings(), prior_scale(factor):
        warnings.simplefilter("ignore")
        fit = fit_contributions(data.records.assign(indicator="k"), data.shares)
    rows = fit.contributions
    one = rows[rows["indicator"] == "k"].set_index("cadre_id")
    c = rows[rows["indicator"] == "*"].set_index("cadre_id")
    c = c[c["identified"].astype(bool)].copy()
    c["raw"] = data.cadre_truth.reindex(c.index)
    c["truth"] = c["raw"] - c.groupby("component_id")["raw"].transform("mean")
    c["strong_z"] = c["raw"].abs() / sd_cadre
    c["lead"] = data.shares.groupby("cadre_id")["share"].max().reindex(c.index) > 0.5
    c["group_size"] = c.groupby("component_id")["raw"].transform("size")
    c["reliability_k"] = one["reliability"].reindex(c.index)
    sd_hat = fit.sd_cadre["k"]
    c["truth_sd_units"] = c["truth"] / sd_hat  # x is in units of the fitted spread
    c["effect_fe_sd"] = one["effect_fe"].reindex(c.index) / sd_hat
    c["se_fe_sd"] = one["se_fe"].reindex(c.index) / sd_hat
    base = pd.DataFrame({"cadre_id": c.index, "period": "p", "y": 0.7, "identified": True})

    def status(x, se=None, df=None):
        pts = base.assign(x=np.asarray(x))
        if se is not None:
            pts["se"] = np.asarray(se)
        if df is not None:
            pts["df"] = np.asarray(df)
        return assign_quadrants(pts, CFG).set_index("cadre_id")["x_status"].reindex(c.index)

    c["placed"] = status(c["effect"], c["se"], c["df_resid"]) == "determined"
    c["placed_normal"] = status(c["effect"], c["se"]) == "determined"
    c["placed_fe"] = status(c["effect_fe_sd"], c["se_fe_sd"], c["df_resid"]) == "determined"
    c["right"] = np.sign(c["effect"]) == np.sign(c["truth"])
    c["right_fe"] = np.sign(c["effect_fe_sd"]) == np.sign(c["truth"])
    p_ash, mean_ash = scale_mixture_side(c["effect_fe_sd"].to_numpy(float), c["se_fe_sd"].to_numpy(float))
    c["placed_ash"] = p_ash >= LEVEL
    c["right_ash"] = np.sign(mean_ash) == np.sign(c["truth"].to_numpy())
    return c.reset_index().assign(seed=seed, sd_noise=sd_noise, sd_hat=sd_hat)


def scale_mixture_side(x: np.ndarray, se: np.ndarray) -> np.ndarray:
    """Side probability under an adaptive scale-mixture-of-normals prior (ash, Stephens 2017):
    theta ~ sum_k pi_k N(0, s_k^2) on a grid of scales, pi fitted by EM on the marginal
    likelihood of the unshrunk estimates x ~ N(theta, se^2) (their correlation ignored); the
    posterior is a mixture of normals, and the side probability is P(theta on the side of its
    posterior mean | x). A heavy tail costs the big effects little shrinkage."""
    from scipy import stats

    grid = np.r_[0.0, np.geomspace(0.05, 4 * max(np.nanmax(np.abs(x)), 1e-3), 20)]
    var = se[:, None] ** 2 + grid[None, :] ** 2
    lik = stats.norm.pdf(x[:, None], 0.0, np.sqrt(var))
    pi = np.full(grid.size, 1.0 / grid.size)
    for _ in range(500):
        post = lik * pi
        post /= post.sum(axis=1, keepdims=True)
        pi = post.mean(axis=0)
    post = lik * pi
    post /= post.sum(axis=1, keepdims=True)
    shrink = grid[None, :] ** 2 / var
    mean_k, sd_k = shrink * x[:, None], np.sqrt(shrink) * se[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        above_k = np.where(sd_k > 0, stats.norm.cdf(mean_k / sd_k), 0.5)  # point mass at 0: neither side
    above = (post * above_k).sum(axis=1)
    below = (post * np.where(sd_k > 0, 1 - above_k, 0.5)).sum(axis=1)
    mean = (post * mean_k).sum(axis=1)
    return np.where(mean > 0, above, below), mean


def t_prior_side(data, fit, ident: pd.DataFrame, nu: float, iterations: int = 40) -> pd.DataFrame:
    """Joint mixed-model fit with a Student-t prior on the cadre effects, by EM.

    theta_c | u_c ~ N(0, s2 / u_c), u_c ~ Gamma(nu/2, nu/2) (nu = inf: the shipped normal prior);
    unit and period effects flat, the record variance sigma2 kept at the shipped fit's. E step:
    the Gaussian posterior given the per-cadre prior precisions u_c / s2 (one dense solve);
    u_c = (nu + 1) / (nu + E[theta_c^2] / s2); M step: s2 = mean(u_c E[theta_c^2]). The side
    probability is that of the posterior of theta_c centred within its comparison group (as
    the shipped x is), normal. Returns cadre_id, effect, se for the identified cadres ``ident``
    (cadre_id, component_id)."""
    from scipy import stats

    rec, sh = data.records, data.shares
    cadres = np.array(sorted(sh["cadre_id"].unique()), dtype=object)
    units = np.array(sorted(rec["unit_id"].unique()), dtype=object)
    periods = np.array(sorted(rec["period"].unique()), dtype=object)
    n, C, J, P = len(rec), len(cadres), len(units), len(periods)
    row = pd.Series(np.arange(n), index=rec["record_id"])
    X = np.zeros((n, C + J + P - 1))
    np.add.at(X, (row.reindex(sh["record_id"]).to_numpy(), np.searchsorted(cadres, sh["cadre_id"])), sh["share"].to_numpy())
    X[np.arange(n), C + np.searchsorted(units, rec["unit_id"])] = 1.0
    pidx = np.searchsorted(periods, rec["period"])
    keep = pidx > 0
    X[np.arange(n)[keep], C + J + pidx[keep] - 1] = 1.0
    y = rec["y"].to_numpy(float)
    model = fit.models["k"]
    sigma2, s2 = float(model.sigma2_), float(model.sigma2_cadre_)
    XtX, Xty = X.T @ X, X.T @ y
    u = np.ones(C)
    for _ in range(iterations if np.isfinite(nu) else 1):
        A = XtX.copy()
        A[np.arange(C), np.arange(C)] += sigma2 * u / s2
        V = np.linalg.inv(A) * sigma2
        b = V @ Xty / sigma2
        m2 = b[:C] ** 2 + np.diag(V)[:C]
        if np.isfinite(nu):
            u = (nu + 1) / (nu + m2 / s2)
            s2 = float(np.mean(u * m2))
    pos = pd.Series(np.arange(C), index=cadres)
    out = []
    for _, g in ident.groupby("component_id"):
        idx = pos.reindex(g["cadre_id"]).to_numpy()
        k = idx.size
        Cm = np.eye(k) - 1.0 / k
        eff = Cm @ b[idx]
        var = np.einsum("ij,jk,ik->i", Cm, V[np.ix_(idx, idx)], Cm)
        out.append(pd.DataFrame({"cadre_id": g["cadre_id"].to_numpy(), "effect": eff, "se": np.sqrt(var)}))
    res = pd.concat(out)
    res["p_side"] = stats.norm.cdf(np.abs(res["effect"]) / res["se"])
    return res


def t_prior_world(seeds: int, nu: float) -> pd.DataFrame:
    """The demo-ratio worlds refitted by :func:`t_prior_side`, in the columns figures() reads."""
    from models.attribution import fit_contributions
    from datasets.attribution_world import make_realistic

    out = []
    for seed in range(seeds):
        data = make_realistic(seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = fit_contributions(data.records.assign(indicator="k"), data.shares)
        rows = fit.contributions
        ident = rows[(rows["indicator"] == "*") & rows["identified"].astype(bool)][["cadre_id", "component_id"]]
        r = t_prior_side(data, fit, ident, nu).merge(ident, on="cadre_id")
        r["raw"] = r["cadre_id"].map(data.cadre_truth)
        r["truth"] = r["raw"] - r.groupby("component_id")["raw"].transform("mean")
        r["strong_z"] = r["raw"].abs() / data.params["sd_cadre"]
        r["placed"] = r["p_side"] >= LEVEL
        r["right"] = np.sign(r["effect"]) == np.sign(r["truth"])
        out.append(r)
    return pd.concat(out)


def figures(c: pd.DataFrame, placed: str = "placed", right: str = "right") -> dict:
    p, r = c[placed], c[right]
    strong3, strong2 = c["strong_z"] >= 3, c["strong_z"] >= 2
    return {
        "identified": len(c), "placed": int(p.sum()),
        "agreement": r[p].mean() if p.any() else np.nan,
        "point_agreement": c["right"].mean(),
        "n_strong3": int(strong3.sum()), "strong3_right": (p & r)[strong3].mean(),
        "n_strong2": int(strong2.sum()), "strong2_right": (p & r)[strong2].mean(),
    }


def synthetic_section(seeds: int) -> tuple[list[str], pd.DataFrame]:
    lines = ["## Synthetic rotation worlds (make_realistic, 5 seeds)", "",
             "Evidence = assign_quadrants at level 0.9 with the composite's posterior SD and t df; "
             "point = every identified cadre on the side of its estimate. Strong = |true effect| "
             ">= 3 sd_cadre (2 sd beside it); \"right\" = placed on its true side, as a share of all "
             "strong cadres identified.", "",
             "| noise / spread | seed | identified | placed | placed-side agreement | point-estimate agreement "
             "| strong (3 sd) | of them placed right | ≥ 2 sd | of them placed right |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    worlds = []
    for sd_noise in (1.0, 0.5):
        per = [synthetic(seed, sd_noise) for seed in range(seeds)]
        worlds += per
        for seed, c in enumerate(per + [pd.concat(per)]):
            f = figures(c)
            label = str(seed) if seed < seeds else "**pooled**"
            lines.append(f"| {sd_noise / 0.5:g} | {label} | {f['identified']} | {f['placed']} | {pct(f['agreement'])} "
                         f"| {pct(f['point_agreement'])} | {f['n_strong3']} | {pct(f['strong3_right'])} "
                         f"| {f['n_strong2']} | {pct(f['strong2_right'])} |")
    return lines, pd.concat(worlds)


def strong_analysis(q: pd.DataFrame) -> list[str]:
    demo = q[q["sd_noise"] == 1.0].copy()
    s = demo[demo["strong_z"] >= 3].copy()
    s["won"] = s["placed"] & s["right"]
    s["shrinkage"] = s["effect"] / s["truth_sd_units"]
    s["abs_truth"] = s["truth_sd_units"].abs()
    s["z"] = s["effect"].abs() / s["se"]
    s["z_fe"] = s["effect_fe_sd"].abs() / s["se_fe_sd"]
    lines = ["", "## Why strong cadres stay unplaced (noise 2 x spread, pooled seeds)", "",
             "Medians over the strong cadres (|truth| >= 3 sd_cadre); x and its SD are in units of the "
             f"fitted spread (sd_hat, median {demo['sd_hat'].median():.2f} against the bulk's 0.5: the 8 % "
             "at +-3-4 sd widen it).", "",
             "| group | n | placed right | abs(truth), sd_hat units | estimate / truth (shrinkage) | posterior SD "
             "| abs(x) / SD | unshrunk abs(x_fe) / SE_fe | reliability | records | comparison group size |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]

    def row(name, g):
        lines.append(
            f"| {name} | {len(g)} | {pct(g['won'].mean())} | {g['abs_truth'].median():.2f} "
            f"| {g['shrinkage'].median():.2f} | {g['se'].median():.2f} | {g['z'].median():.2f} "
            f"| {g['z_fe'].median():.2f} | {g['reliability_k'].median():.2f} | {g['n_obs'].median():.0f} "
            f"| {g['group_size'].median():.0f} |")

    row("all strong", s)
    row("leads (a record share > 0.5 at some time)", s[s["lead"]])
    row("deputies only", s[~s["lead"]])
    row("placed right", s[s["won"]])
    row("not placed right", s[~s["won"]])
    for lo, hi in ((0, 12), (12, 20), (20, 99)):
        g = s[(s["n_obs"] > lo) & (s["n_obs"] <= hi)]
        if len(g):
            row(f"{lo + 1}-{hi} records" if hi < 99 else f"> {lo} records", g)
    small = s["group_size"] < 20
    row("in a comparison group of < 20 cadres", s[small]) if small.any() else None
    lines += ["", f"Reliability of all identified cadres: leads {demo[demo['lead']]['reliability_k'].median():.2f}, "
              f"deputies {demo[~demo['lead']]['reliability_k'].median():.2f} (median)."]
    return lines


def experiments(seeds: int, q: pd.DataFrame) -> list[str]:
    lines = ["", "## Local experiments (noise 2 x spread, pooled; models/ not edited)", "",
             "| variant | placed | placed-side agreement | strong (3 sd) placed right | ≥ 2 sd placed right |",
             "|---|---|---|---|---|"]
    demo = q[q["sd_noise"] == 1.0]

    def add(name, f):
        lines.append(f"| {name} | {f['placed']} | {pct(f['agreement'])} | {pct(f['strong3_right'])} "
                     f"| {pct(f['strong2_right'])} |")

    add("as shipped (REML prior, t with the composite's df, level 0.9)", figures(demo))
    add("normal instead of t", figures(demo, "placed_normal"))
    add("unshrunk fixed effect with its SE", figures(demo, "placed_fe", "right_fe"))
    add("scale-mixture (ash) prior on the unshrunk estimates", figures(demo, "placed_ash", "right_ash"))
    for factor in (2.0, 4.0):
        flat = pd.concat([synthetic(seed, 1.0, factor) for seed in range(seeds)])
        add(f"prior variance x {factor:g} (less shrinkage)", figures(flat))
    for nu in (np.inf, 4.0, 2.0):
        add("joint refit, normal prior (check: should match as shipped)" if np.isinf(nu)
            else f"joint refit, Student-t prior with {nu:g} df (EM)", figures(t_prior_world(seeds, nu)))
    lax = demo.assign(placed_lax=demo["effect"].abs() / demo["se"] >= 0.8416)  # level 0.8, normal
    add("level 0.8 instead of 0.9 (policy, not estimator)", figures(lax, "placed_lax"))
    return lines


def reading(q: pd.DataFrame) -> list[str]:
    demo = q[q["sd_noise"] == 1.0]
    per = [figures(g) for _, g in demo.groupby("seed")]
    f = figures(demo)
    s = demo[demo["strong_z"] >= 3]
    won = s["placed"] & s["right"]
    lead, dep = won[s["lead"]].mean(), won[~s["lead"]].mean()
    z_fe = (s["effect_fe_sd"].abs() / s["se_fe_sd"])[~s["lead"]].median()
    return ["", "## Reading", "",
            f"- At the demo's noise ratio the placed cadres are on their true side in {pct(f['agreement'])} of cases "
            f"pooled ({pct(min(p['agreement'] for p in per))}-{pct(max(p['agreement'] for p in per))} per seed), against "
            f"{pct(f['point_agreement'])} for point-estimate placement. {pct(f['strong3_right'])} of the clearly strong "
            f"or weak cadres are placed on their true side pooled, {pct(min(p['strong3_right'] for p in per))}-"
            f"{pct(max(p['strong3_right'] for p in per))} per seed: the 40 % line holds pooled, narrowly, not in every world.",
            f"- The strong cadres left out are mostly deputies: {pct(lead)} of the strong leads are placed right, "
            f"{pct(dep)} of the strong deputies. A deputy holds 0.2-0.4 of a record whose noise is twice the spread, "
            f"so even unshrunk its estimate is only {z_fe:.2f} SE from zero (median): the data do not carry its side. "
            "Short observed spells (cadres cut by the window's start or end, <= 20 records) are the other group.",
            "- No estimator change tried raises the line honestly: a flatter prior or a Student-t prior in the joint "
            "model moves it by 1-2 points (the t prior buys precision, not reach); the unshrunk estimate with its SE "
            "places many more but is right far less often, and so is an ash-style prior applied to the unshrunk estimates "
            "one by one (shared posts make them nearly collinear, SE ~ 4-5 fitted sd, so it places nobody). Only a lower "
            "level (0.8) reaches further, at an agreement below 90 %.",
            ]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--demo-seeds", default="3,7")
    ap.add_argument("--no-demo", action="store_true")
    args = ap.parse_args()
    t0 = time.perf_counter()
    lines = ["# Placement by evidence against known truth", "",
             "Written by `python bench/bench_placement.py` (see its docstring for the worlds and the "
             "composite truth of the demo)."]
    table, q = synthetic_section(args.seeds)
    lines += [""] + table
    lines += strong_analysis(q)
    lines += experiments(args.seeds, q)
    lines += reading(q)
    if not args.no_demo:
        lines += demo_section([int(s) for s in args.demo_seeds.split(",") if s])
    lines += ["", f"Run time {time.perf_counter() - t0:.0f} s."]
    out = ROOT / "bench" / "results" / "placement.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
