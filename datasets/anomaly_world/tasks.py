"""The anomaly benchmark's tasks: ``n_tasks`` tasks of one year led by the cadres the shared
rotation simulator puts in each unit's lead and deputy posts, linear plans to the due month,
injected 进度滞后 / 突击完成 / 长期未更新 / 无佐证 / 成效不实 cases (``task_truth``), cards from the
progress gap and a quarter-by-quarter quadrant history."""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from datasets.rotation import Post, month_index, mover_rules, simulate

if TYPE_CHECKING:
    from datasets.anomaly_world import Benchmark

# Who leads the tasks: each unit's lead and deputy posts, terms of 3-5 years; a free post stays
# vacant 1-2 months with probability 0.2, then goes to a mover with probability 0.7.
TASK_ROTATION = {"tenure": (36, 60), "p_rotate": 0.7, "p_vacancy": 0.2, "pool_months": 6}


def task_leads(n_units: int, seed: int, year: int) -> list[tuple[int, int]]:
    """(cadre, unit) of every term in post during ``year`` of each unit's two posts (a lead and a
    deputy), from the shared rotation simulator with :data:`TASK_ROTATION`; drawn from their own
    stream (``[seed, 1]``), so the series draws do not depend on them. Cadres are numbered 0, 1, …"""
    posts = [Post(u, slot=slot, senior=slot == "lead", tenure=TASK_ROTATION["tenure"])
             for u in range(n_units) for slot in ("lead", "deputy")]
    rules = mover_rules(TASK_ROTATION["p_rotate"], TASK_ROTATION["p_vacancy"], TASK_ROTATION["pool_months"])
    terms = simulate(np.random.default_rng([seed, 1]), posts, rules, month_index(year, 1), month_index(year, 12))
    return [(t.cadre, posts[t.post].unit) for t in terms]


def add_tasks(bench: Benchmark, rng: np.random.Generator, n_tasks: int, year: int) -> None:
    """Fill ``bench.tasks``, ``progress``, ``task_truth``, ``cards`` and ``quadrants`` for ``year``."""
    units = bench.units["unit_id"].to_numpy()
    leads = task_leads(len(units), bench.seed, year)
    cadres = np.array([f"C{i + 1:04d}" for i in range(max(c for c, _ in leads) + 1)])
    kinds = rng.choice(["normal", "进度滞后", "突击完成", "长期未更新", "无佐证", "成效不实"], size=n_tasks,
                       p=[0.70, 0.08, 0.05, 0.06, 0.05, 0.06])
    tasks, prog = [], []
    for i in range(n_tasks):
        tid = f"T{year}{i + 1:04d}"
        lead, unit = leads[int(rng.choice(len(leads)))]  # a holder in post during the year, in that unit
        cadre = str(cadres[lead])
        due_m = int(rng.integers(6, 13))
        due = (dt.date(year + due_m // 12, due_m % 12 + 1, 1) - dt.timedelta(days=1))
        tasks.append({"task_id": tid, "unit_id": units[unit], "lead_cadre_id": cadre, "due": pd.Timestamp(due),
                      "title": f"重点任务{i + 1}", "year": year})
        drift = rng.normal(0, 4)
        kind = kinds[i]
        actual = 0.0
        stale_from = int(rng.integers(3, 8)) if kind == "长期未更新" else 99
        for m in range(1, 13):
            planned = min(100.0, round(100.0 * m / due_m, 1))
            if kind == "进度滞后":
                target = planned - 25 - 2 * m
            elif kind == "突击完成":
                target = min(planned, 50.0) if m < due_m else 100.0
            else:
                target = planned + drift + rng.normal(0, 3)
            if m >= stale_from:
                target = actual
            actual = float(np.clip(max(actual, round(target, 1)), 0, 100))
            if kind in ("normal", "无佐证", "成效不实") and m >= due_m:
                actual = 100.0
            verified = np.nan
            if m % 3 == 0:
                verified = max(0.0, actual - abs(rng.normal(0, 2)))
                if kind == "成效不实" and m >= 6:
                    verified = max(0.0, actual - rng.uniform(15, 35))
            if kind == "成效不实" and m >= 6 and m % 3 != 0:
                verified = max(0.0, actual - rng.uniform(15, 35))
            evidence = int(rng.poisson(1.5)) + (1 if actual >= 100 else 0)
            if kind == "无佐证" and actual >= 100:
                evidence = 0
            if kind == "normal" and actual >= 100:
                evidence = max(evidence, 1)
            reported = pd.Timestamp(dt.date(year + m // 12, m % 12 + 1, 1) + dt.timedelta(days=int(rng.integers(0, 5))))
            if m >= stale_from:
                reported = pd.NaT
            prog.append({"task_id": tid, "period": f"{year}-{m:02d}", "planned_pct": planned, "actual_pct": actual,
                         "verified_pct": verified, "evidence_count": evidence, "reported_at": reported})
    bench.tasks = pd.DataFrame(tasks)
    bench.progress = pd.DataFrame(prog)
    bench.task_truth = pd.DataFrame({"task_id": [t["task_id"] for t in tasks], "planted": kinds})
    bench.as_of = f"{year}-12-31"
    p = bench.progress.merge(bench.tasks[["task_id", "unit_id", "lead_cadre_id"]], on="task_id")
    gap = p["actual_pct"] - p["planned_pct"]
    card = np.select([gap <= -30, gap <= -20, gap < -10], ["红", "橙", "黄"], "绿")
    bench.cards = pd.DataFrame({"task_id": p["task_id"], "unit_id": p["unit_id"], "cadre_id": p["lead_cadre_id"],
                                "period": p["period"], "card": card})
    quads = ["高贡献区", "逆势担当区", "平台红利区", "低效区"]
    qrows = []
    for c in cadres:
        stuck = rng.random() < 0.1
        for q in range(1, 5):
            qrows.append({"cadre_id": c, "period": f"{year}-Q{q}",
                          "quadrant": "低效区" if stuck and q >= 2 else str(rng.choice(quads))})
    bench.quadrants = pd.DataFrame(qrows)
