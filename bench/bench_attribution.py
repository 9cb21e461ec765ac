"""Contribution attribution at scale, side by side with pyfixest, each in a fresh process.

    python bench/bench_attribution.py [--quick] [--seed 1]

Cases (synthetic, truth known; see datasets/attribution_world.py):
- large:  50,000 cadres / 2,000 units / 10 periods, 500,000 single-owner records
          (--quick: 10,000 / 400 / 10, 100,000 records)
- county: 82 units x 36 months x 12 indicators, lead + deputies with shares (~500 cadres)

Each method runs in its own child process; the parent reads the child's wall time of the fit
(time.perf_counter around the fit only: data generation, imports and pyfixest's numba JIT
warm-up excluded) and its peak RSS (ru_maxrss of the child, via wait4), minus the RSS just
before the fit to show what the fit itself added.

pyfixest is `feols("y ~ 1 | cadre + unit + period")` + `fixef()`: fixed effects only, no SEs
for them and no shares, so its coverage is n/a and it cannot fit the shared county case.
Targets (issue): our full fit (FE + REML/moments + BLUP + exact SEs + flags) at most half the
pyfixest time on the large case, never dense in the cadre dimension; all 12 county indicators
in under 5 s.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _large(quick: bool, seed: int):
    from datasets.attribution_world import make_panel

    if quick:
        return make_panel(10_000, 400, 10, seed=seed)
    return make_panel(50_000, 2_000, 10, seed=seed)


def _centre(values, comp):
    import pandas as pd

    v = pd.Series(values)
    return (v - v.groupby(comp).transform("mean")).to_numpy()


def _metrics(estimate, truth, comp, lo=None, hi=None) -> dict:
    """Correlation, RMSE and interval coverage against the truth centred within components."""
    import numpy as np

    est, tr = _centre(estimate, comp), _centre(truth, comp)
    out = {
        "corr": float(np.corrcoef(est, tr)[0, 1]),
        "rmse": float(np.sqrt(np.mean((est - tr) ** 2))),
        "rmse_zero": float(np.sqrt(np.mean(tr**2))),
    }
    if lo is not None:
        shift = estimate - est  # interval moves with the centring of the estimate
        out["coverage"] = float(np.mean((lo - shift <= tr) & (tr <= hi - shift)))
    return out


def child_pyfixest(quick: bool, seed: int) -> dict:
    import numpy as np
    import pandas as pd
    import pyfixest as pf
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components

    from datasets.attribution_world import make_panel

    warm = make_panel(500, 40, 4, seed=99)  # numba JIT compiles outside the timing
    wf = warm.records.merge(warm.shares, on="record_id").rename(
        columns={"cadre_id": "cadre", "unit_id": "unit"})
    pf.feols("y ~ 1 | cadre + unit + period", data=wf).fixef()

    data = _large(quick, seed)
    frame = data.records.merge(data.shares, on="record_id").rename(
        columns={"cadre_id": "cadre", "unit_id": "unit"})
    base = _rss_mib()
    t0 = time.perf_counter()
    fit = pf.feols("y ~ 1 | cadre + unit + period", data=frame)
    fe = fit.fixef()["C(cadre)"]
    wall = time.perf_counter() - t0

    cadres = np.array(sorted(fe))
    est = np.array([fe[c] for c in cadres])
    c_code = {c: i for i, c in enumerate(cadres)}
    u_codes, _ = pd.factorize(frame["unit"])
    ci = frame["cadre"].map(c_code).to_numpy()
    n = len(cadres)
    adj = sparse.coo_matrix((np.ones(len(ci)), (ci, n + u_codes)),
                            shape=(n + u_codes.max() + 1,) * 2)
    comp = connected_components(adj, directed=False)[1][:n]
    truth = data.cadre_truth.reindex(cadres).to_numpy()
    return dict(wall=wall, base=base, **_metrics(est, truth, comp))


def child_ours(quick: bool, seed: int) -> dict:
    from models.attribution import ContributionAttribution

    data = _large(quick, seed)
    base = _rss_mib()
    t0 = time.perf_counter()
    model = ContributionAttribution().fit(data.records, data.shares)
    wall = time.perf_counter() - t0
    ce = model.cadre_effects_[model.cadre_effects_["identified"]]
    truth = data.cadre_truth.reindex(ce["cadre_id"]).to_numpy()
    comp = ce["component_id"].to_numpy()
    shrunk = _metrics(ce["effect"].to_numpy(), truth, comp, ce["ci_low"].to_numpy(),
                      ce["ci_high"].to_numpy())
    z = 1.959964
    fixed = _metrics(ce["effect_fe"].to_numpy(), truth, comp,
                     (ce["effect_fe"] - z * ce["se_fe"]).to_numpy(),
                     (ce["effect_fe"] + z * ce["se_fe"]).to_numpy())
    return dict(wall=wall, base=base, solver=model.solver_, **shrunk,
                fe_corr=fixed["corr"], fe_rmse=fixed["rmse"], fe_coverage=fixed["coverage"],
                identified=float(model.cadre_effects_["identified"].mean()))


def child_county(quick: bool, seed: int) -> dict:
    import numpy as np

    from models.attribution import COMPOSITE, fit_contributions
    from datasets.attribution_world import make_county

    data = make_county(seed=seed)
    base = _rss_mib()
    t0 = time.perf_counter()
    result = fit_contributions(data.records, data.shares, weights=data.weights, roles=data.roles)
    wall = time.perf_counter() - t0
    rows = []
    for ind, ce in result.contributions.groupby("indicator"):
        if ind == COMPOSITE:
            continue
        ce = ce[ce["identified"]]
        truth = data.cadre_truth.loc[ind].reindex(ce["cadre_id"]).to_numpy()
        comp = ce["component_id"].to_numpy()
        m = _metrics(ce["effect"].to_numpy(), truth, comp, ce["ci_low"].to_numpy(),
                     ce["ci_high"].to_numpy())
        m["fe_rmse"] = _metrics(ce["effect_fe"].to_numpy(), truth, comp)["rmse"]
        rows.append(m)
    mean = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
    one = result.contributions[result.contributions["indicator"] == "ind01"]
    return dict(wall=wall, base=base, solver=result.models["ind01"].solver_,
                n_cadres=int(len(one)), identified=float(one["identified"].mean()), **mean)


CHILDREN = {"pyfixest": child_pyfixest, "ours": child_ours, "county": child_county}


def run_child(name: str, quick: bool, seed: int) -> dict:
    cmd = [sys.executable, __file__, "--child", name, "--seed", str(seed)] + (["--quick"] * quick)
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{name} failed")
    result = json.loads(out.strip().splitlines()[-1])
    result["peak"] = usage.ru_maxrss / 1024
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--child", choices=sorted(CHILDREN))
    args = ap.parse_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child](args.quick, args.seed)))
        return

    size = "10k cadres / 400 units / 10 periods (100k rows)" if args.quick else \
        "50k cadres / 2,000 units / 10 periods (500k rows)"
    pf_res = run_child("pyfixest", args.quick, args.seed)
    ours = run_child("ours", args.quick, args.seed)
    county = run_child("county", args.quick, args.seed)

    print(f"| case | method | fit s | peak RSS MiB (fit adds) | corr with truth | RMSE "
          f"(predict 0) | 95% coverage |")
    print("|---|---|---|---|---|---|---|")
    print(f"| {size} | pyfixest feols + fixef (FE only) | {pf_res['wall']:.2f} | "
          f"{pf_res['peak']:.0f} ({pf_res['peak'] - pf_res['base']:.0f}) | "
          f"{pf_res['corr']:.3f} | {pf_res['rmse']:.3f} ({pf_res['rmse_zero']:.3f}) | n/a |")
    print(f"| {size} | ours, effect_fe ({ours['solver']}) | (same fit) | | "
          f"{ours['fe_corr']:.3f} | {ours['fe_rmse']:.3f} | {ours['fe_coverage']:.3f} |")
    print(f"| {size} | ours, full fit: effect (BLUP) | {ours['wall']:.2f} | "
          f"{ours['peak']:.0f} ({ours['peak'] - ours['base']:.0f}) | {ours['corr']:.3f} | "
          f"{ours['rmse']:.3f} ({ours['rmse_zero']:.3f}) | {ours['coverage']:.3f} |")
    print(f"| county: 82 units x 36 months x 12 indicators, shares, {county['n_cadres']} cadres "
          f"| ours, all 12 + composite ({county['solver']}) | {county['wall']:.2f} | "
          f"{county['peak']:.0f} ({county['peak'] - county['base']:.0f}) | "
          f"{county['corr']:.3f} | {county['rmse']:.3f} ({county['rmse_zero']:.3f}) | "
          f"{county['coverage']:.3f} |")
    print(f"\nours / pyfixest time: {ours['wall'] / pf_res['wall']:.2f} (target <= 0.5); "
          f"county all indicators: {county['wall']:.2f} s (target < 5 s); "
          f"county identified share: {county['identified']:.2f}; county RMSE of effect_fe "
          f"(unshrunk, mean over indicators): {county['fe_rmse']:.3f}")


if __name__ == "__main__":
    main()
