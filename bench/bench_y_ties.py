"""Ties in the y of the 实绩象限 before and after the continuous tie-breaker (issue 12).

    python bench/bench_y_ties.py [--seeds 3 7] [--home DIR]

Per seed the county demo is written and ingested into a temporary data home through the CLI
(or ``--home`` reads an existing one), then for each quarter of the trajectory y is computed as
``pipelines.steps.quadrant_step`` does — the percentile of the year-to-date 实绩分 at the
quarter's end — once on 实绩分 alone (before) and once with performance_continuous breaking the
ties (after). Reported per quarter: cadres scored, cadres at the 实绩分 cap, the largest number
of cadres sharing one y, the share of distinct y values, Pearson and Spearman correlation of y
before vs after, the largest move of a y, and the Spearman correlation with the demo's true
task effect (``_truth/task_effects.csv``) of the tie-breaker among the cadres at the cap and of
y over everyone. Remaining ties are checked to be cadres with the very same task set.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models import composite, quadrant  # noqa: E402
from models.cards import task_roles  # noqa: E402
from pipelines import db  # noqa: E402
from pipelines.home import Home  # noqa: E402
from models.period import complete_quarters  # noqa: E402
from pipelines.steps import as_of_month, read_table  # noqa: E402


def build(seed: int, base: Path) -> tuple[Path, Path | None]:
    batch, home = base / "batch", base / "home"
    for args in (["demo", "--out", str(batch), "--seed", str(seed)], ["ingest", str(batch)]):
        proc = subprocess.run([sys.executable, "-m", "pipelines", *args, "--home", str(home)], cwd=ROOT,
                              capture_output=True, text=True)
        if proc.returncode:
            raise SystemExit(proc.stderr)
    return home, batch / "_truth" / "task_effects.csv"


def measure(home: Path, truth: Path | None) -> list[dict]:
    con = db.reader(Home(home).current_path())
    cadres = read_table(con, "raw.cadres")[["cadre_id", "role_type"]]
    tasks, status = read_table(con, "raw.tasks"), read_table(con, "marts.task_status")
    ratings, measures = read_table(con, "marts.rating_scores"), read_table(con, "marts.role_measures")
    unit_scores, assignments = read_table(con, "marts.unit_scores"), read_table(con, "raw.assignments")
    effect = pd.read_csv(truth).set_index("cadre_id")["effect"] if truth and truth.exists() else pd.Series(dtype=float)
    roles = task_roles(tasks)
    rows = []
    for quarter in complete_quarters(as_of_month(con), 4):
        period, month_end = quarter.code, quarter.last_month.code
        unit_part = composite.unit_indicator_part(unit_scores, assignments, month_end)
        s = composite.cadre_scores(tasks, status, ratings, cadres, measures, as_of=month_end,
                                   year=quarter.year, unit_part=unit_part)
        s = s[s["performance_score"].notna()].reset_index(drop=True)
        sc = pd.DataFrame({"cadre_id": s["cadre_id"], "period": period, "score": s["performance_score"]})
        before = quadrant.performance_percentile(sc)
        after = quadrant.performance_percentile(sc.assign(tiebreak=s["performance_continuous"]))
        n = len(s)
        cap = s[s["performance_score"] >= s["performance_score"].max() - 1e-9]
        te = s["cadre_id"].map(effect)
        ct = cap.assign(te=cap["cadre_id"].map(effect)).dropna(subset=["te"])
        sets = roles[roles["year"] == quarter.year].groupby("cadre_id")["task_id"].agg(lambda x: tuple(sorted(x)))
        tied = s.assign(y=after, tasks=s["cadre_id"].map(sets))
        tied = tied[tied.duplicated("y", keep=False)]
        mixed = int((tied.groupby("y")["tasks"].agg(lambda x: len(set(x))) > 1).sum())
        ok = te.notna()
        rows.append({
            "quarter": period, "cadres": n, "at cap": len(cap),
            "largest tie before": int(before.value_counts().iloc[0]),
            "largest tie after": int(after.value_counts().iloc[0]),
            "distinct y before": f"{before.nunique() / n:.1%}", "distinct y after": f"{after.nunique() / n:.1%}",
            "pearson": round(float(np.corrcoef(before, after)[0, 1]), 4),
            "spearman": round(float(stats.spearmanr(before, after)[0]), 4),
            "max |Δy|": round(float((before - after).abs().max()), 3),
            "tie groups not same tasks": mixed,
            "ρ(tiebreak, truth) at cap": round(float(stats.spearmanr(ct["performance_continuous"], ct["te"])[0]), 3)
            if len(ct) > 2 else np.nan,
            "ρ(y, truth) before→after": f"{stats.spearmanr(before[ok], te[ok])[0]:.3f}→{stats.spearmanr(after[ok], te[ok])[0]:.3f}"
            if ok.sum() > 2 else "",
        })
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="*", default=[3, 7])
    ap.add_argument("--home", type=Path)
    args = ap.parse_args()
    if args.home:
        print(pd.DataFrame(measure(args.home, None)).to_markdown(index=False))
        return
    for seed in args.seeds:
        with tempfile.TemporaryDirectory() as tmp:
            home, truth = build(seed, Path(tmp))
            print(f"\n### county demo, seed {seed}\n")
            print(pd.DataFrame(measure(home, truth)).to_markdown(index=False))


if __name__ == "__main__":
    main()
