"""The demo part of bench/bench_placement.py: the county demo generated and ingested through the
real CLI, with and without the attribution's cleaning of flagged records, its exported quadrants
and contributions compared with ``_truth/`` (see bench_placement's docstring)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def pct(v) -> str:
    return "–" if v is None or pd.isna(v) else f"{100 * v:.0f} %"


def _run(args: list[str], env: dict) -> None:
    proc = subprocess.run([sys.executable, "-m", "pipelines", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{proc.stderr[-2000:]}")


def build_demo(base: Path, seed: int, clean: bool) -> dict[str, pd.DataFrame]:
    """Demo batch generated and ingested through the CLI; the exported tables and the truth."""
    env = dict(os.environ)
    batch, home = base / "batch", base / "home"
    if not clean:
        from models.config import load_reference

        ref = base / "reference"
        shutil.copytree(ROOT / "data" / "reference", ref)
        cfg_path = ref / "attribution.yaml"
        text = cfg_path.read_text(encoding="utf-8")
        assert "exclude_flagged_rules:" in text
        lines = [("exclude_flagged_rules: []" if ln.startswith("exclude_flagged_rules:") else ln)
                 for ln in text.splitlines()]
        cfg_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        assert load_reference("attribution", ref)["exclude_flagged_rules"] == []
        env["SHIJI_REFERENCE_DIR"] = str(ref)
    _run(["demo", "--out", str(batch), "--seed", str(seed), "--home", str(home)], env)
    _run(["ingest", str(batch), "--home", str(home)], env)
    out = {}
    for name in ("quadrants", "contributions"):
        _run(["export", name, "--out", str(base / f"{name}.csv"), "--home", str(home)], env)
        out[name] = pd.read_csv(base / f"{name}.csv")
    truth = batch / "_truth"
    out["theta"] = pd.read_csv(truth / "cadre_effects.csv")
    out["task"] = pd.read_csv(truth / "task_effects.csv")
    out["cadres"] = pd.read_csv(batch / "cadres.csv")
    out["anomalies"] = pd.read_csv(truth / "anomalies.csv")
    return out


def demo_figures(tables: dict, weights: dict) -> dict:
    q = tables["quadrants"]
    latest = q[q["period"] == q["period"].max()].set_index("cadre_id")
    from datasets.attribution_world import composite_truth

    task = tables["task"].rename(columns={"effect": "theta"}).assign(indicator="task", exposure=1.0)
    true = pd.concat([tables["theta"], task], ignore_index=True)
    truth = composite_truth(tables["contributions"], true, tables["cadres"], weights)
    ident = latest[latest["x_status"] != "unidentified"].join(truth, how="left")
    ident = ident[ident["truth"].notna()]
    ident["right"] = np.sign(ident["x"]) == np.sign(ident["truth"])
    placed = ident["x_status"] == "determined"
    # Injected anomalies (a lagging task, a fabricated series ...) move the data but not theta;
    # the attribution keeps 进度滞后 on purpose (real performance), so they can put a cadre on
    # the side its truth file does not hold.
    touched = ident.index.isin(tables["anomalies"]["cadre_id"].dropna())
    sd = ident["truth"].std()
    z = ident["truth"].abs() / sd
    return {
        "period": q["period"].max(), "identified": len(ident), "placed": int(placed.sum()),
        "agreement": ident.loc[placed, "right"].mean() if placed.any() else np.nan,
        "point_agreement": ident["right"].mean(),
        "n_strong3": int((z >= 3).sum()), "strong3_right": (placed & ident["right"])[z >= 3].mean(),
        "n_strong2": int((z >= 2).sum()), "strong2_right": (placed & ident["right"])[z >= 2].mean(),
        "corr": float(np.corrcoef(ident["x"], ident["truth"])[0, 1]),
        "wrong": int((placed & ~ident["right"]).sum()),
        "wrong_touched": int((placed & ~ident["right"] & touched).sum()),
        "wrong_kinds": ", ".join(
            f"{k} {n}" for k, n in tables["anomalies"][tables["anomalies"]["cadre_id"].isin(
                ident.index[placed & ~ident["right"]])].drop_duplicates(["cadre_id", "kind"])["kind"]
            .value_counts().items()),
        "placed_untouched": int((placed & ~touched).sum()),
        "agreement_untouched": ident.loc[placed & ~touched, "right"].mean() if (placed & ~touched).any() else np.nan,
    }


def calibration(tables: dict) -> list[tuple]:
    """Per fitted indicator of the demo: identified cadres, corr(effect, truth) and how the
    posterior intervals hold, (effect - truth) / se over the cadres without an injected anomaly
    (sd 1 and 80 % inside +-1.28 when calibrated); the truth centred like the estimates."""
    c = tables["contributions"]
    c = c[(c["indicator"] != "*") & c["identified"].astype(bool)]
    task = tables["task"].rename(columns={"effect": "theta"}).assign(indicator="task")
    true = pd.concat([tables["theta"][["cadre_id", "indicator", "theta"]], task], ignore_index=True)
    r = c.merge(true, on=["cadre_id", "indicator"], how="left")
    r["theta"] -= r.groupby(["indicator", "component_id"])["theta"].transform("mean")
    r = r[~r["cadre_id"].isin(tables["anomalies"]["cadre_id"].dropna())]
    out = []
    for ind, g in r.groupby("indicator"):
        z = (g["effect"] - g["theta"]) / g["se"]
        corr = np.corrcoef(g["effect"], g["theta"])[0, 1] if len(g) > 2 and g["effect"].std() > 0 else np.nan
        out.append((ind, len(g), corr, z.std(), (z.abs() < 1.2816).mean()))
    return out


def demo_section(seeds: list[int]) -> list[str]:
    lines, notes, calib = [], [], []
    from models.config import load_reference

    weights = load_reference("attribution")["composite_weights"]
    lines += ["", "## Demo county (latest quarter of the exported quadrants vs _truth/)", "",
             "Strong = |composite truth| >= 3 (2) SD of the composite truth over the cadres compared. "
             "\"cleaned\" = the shipped exclude_flagged_rules; \"not cleaned\" = the list emptied.", "",
             "| seed | records | quarter | identified | placed | placed-side agreement | point-estimate agreement "
             "| ≥ 3 sd (placed right) | ≥ 2 sd (placed right) | corr(x, truth) "
             "| placed without an injected anomaly: n, agreement |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for seed in seeds:
        for clean in (False, True):
            with tempfile.TemporaryDirectory(prefix="placement-") as tmp:
                t0 = time.perf_counter()
                tables = build_demo(Path(tmp), seed, clean)
                f = demo_figures(tables, weights)
                if clean:
                    calib += [(seed, *row) for row in calibration(tables)]
                print(f"demo seed {seed} clean={clean}: {time.perf_counter() - t0:.0f} s", file=sys.stderr)
            lines.append(
                f"| {seed} | {'cleaned' if clean else 'not cleaned'} | {f['period']} | {f['identified']} "
                f"| {f['placed']} | {pct(f['agreement'])} | {pct(f['point_agreement'])} "
                f"| {f['n_strong3']} ({pct(f['strong3_right'])}) | {f['n_strong2']} ({pct(f['strong2_right'])}) "
                f"| {f['corr']:.2f} | {f['placed_untouched']}, {pct(f['agreement_untouched'])} |")
            if f["wrong"]:
                notes.append(f"seed {seed} {'cleaned' if clean else 'not cleaned'}: {f['wrong']} placed on the "
                             f"wrong side, {f['wrong_touched']} of them with an injected anomaly in _truth/anomalies.csv"
                             + (f" ({f['wrong_kinds']})" if f["wrong_kinds"] else ""))
    if notes:
        lines += ["", "Wrong sides: " + "; ".join(notes) + ". An injected 进度滞后 task (kept in the attribution "
                  "on purpose: it is real performance) lowers a cadre's task estimate while its task effect in "
                  "_truth/ stays as drawn, so such a cadre can be placed below the cut its truth file is above; "
                  "an over_reported task the cleaning did not catch raises it the other way."]
    lines += ["", "### Per indicator (cleaned builds, cadres without an injected anomaly)", "",
              "Calibrated intervals: sd of (effect - truth) / se near 1, about 80 % inside +-1.28.", "",
              "| seed | indicator | identified | corr(effect, truth) | sd of (effect - truth) / se | inside 80 % |",
              "|---|---|---|---|---|---|"]
    for seed, ind, n, corr, zsd, inside in calib:
        lines.append(f"| {seed} | {ind} | {n} | {'–' if pd.isna(corr) else f'{corr:.2f}'} "
                     f"| {'–' if pd.isna(zsd) or not np.isfinite(zsd) else f'{zsd:.2f}'} | {pct(inside)} |")
    lines += ["", "The series indicators identify only about 10-20 cadres each (3 years of data, 2-5-year terms); "
              "where the fit finds no spread beyond the noise it shrinks every effect to zero with a posterior SD "
              "near zero in outcome units, so (effect - truth) / se explodes while the composite, in units of the "
              "fitted spread, still carries an SD of about 1 for that indicator. The composite x of most cadres is "
              "therefore mostly the pooled task model, which is calibrated."]
    return lines
