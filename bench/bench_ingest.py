"""Ingest of the county demo: wall time and peak memory of the real CLI in a fresh process.

    python bench/bench_ingest.py [--scale county|province] [--repeat 3]

Target (issue 2): under 30 s on 2 cores for the county demo.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one child process (its own rusage, via wait4)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed with {proc.returncode}")
    return wall, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", default="county", choices=("county", "province"))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rows = []
    for i in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            batch, home = Path(tmp) / "batch", Path(tmp) / "home"
            gen_wall, _ = run([sys.executable, "-m", "pipelines", "demo", "--out", str(batch), "--scale", args.scale])
            wall, peak = run([sys.executable, "-m", "pipelines", "ingest", str(batch), "--home", str(home)])
            noop, _ = run([sys.executable, "-m", "pipelines", "ingest", str(batch), "--home", str(home)])
            rows.append((i + 1, gen_wall, wall, peak, noop))
    print(f"| run | demo generate s | ingest s | ingest peak RSS MiB | identical re-ingest s |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]:.1f} | {r[2]:.1f} | {r[3]:.0f} | {r[4]:.1f} |")
    walls = sorted(r[2] for r in rows)
    print(f"\nmedian ingest ({args.scale}): {walls[len(walls) // 2]:.1f} s")


if __name__ == "__main__":
    main()
