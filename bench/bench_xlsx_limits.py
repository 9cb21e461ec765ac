"""A small workbook holding a huge sheet: time and peak memory until the reader refuses it.

Anchor: the reader before streaming (commit 563dc9e, loading the whole workbook twice) took about
6 GB and 5 minutes on such a file before failing. Both readers run side by side, each in its own
process (peak RSS from getrusage), on the same generated file:

    python bench/bench_xlsx_limits.py [--rows 1100000] [--anchor 563dc9e]

The anchor's process gets an address-space cap (``--cap-gb``) and a time limit so it cannot take
the machine down; hitting either is reported as such.
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from pipelines.readers import read_batch
t = time.monotonic()
tables, issues, _ = read_batch(sys.argv[2])
print(json.dumps({"seconds": round(time.monotonic() - t, 1),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                  "rows": sum(len(t.rows) for t in tables),
                  "issues": [f"{i.rule}: {i.message}"[:90] for i in issues[:2]]}, ensure_ascii=False))
"""


def make_workbook(path: Path, rows: int, seed: int = 1) -> None:
    """Random (so hardly compressible) indicator rows: the zip stays under the ratio limit."""
    import openpyxl

    rng = random.Random(seed)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("indicator_values")
    ws.append(["unit_id", "indicator", "period", "value", "target", "verified_value"])
    for i in range(rows):
        ws.append([f"U{rng.randrange(10**6):06d}", "gdp", f"20{rng.randrange(10, 30)}-{rng.randrange(1, 13):02d}",
                   rng.random() * 1e6, rng.random() * 1e6, rng.random() * 1e6])
    wb.save(path)


def run(code_root: Path, path: Path, cap_gb: float | None, timeout: int) -> dict:
    def limit():
        if cap_gb:
            cap = int(cap_gb * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-c", CHILD, str(code_root), str(path)], capture_output=True,
                              text=True, timeout=timeout, preexec_fn=limit)
    except subprocess.TimeoutExpired:
        return {"seconds": timeout, "outcome": f"still running after {timeout} s (stopped)"}
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or [""]
        return {"seconds": round(time.monotonic() - started, 1), "outcome": f"crashed: {tail[0][:80]}"}
    return json.loads(done.stdout)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_100_000)
    ap.add_argument("--anchor", default="563dc9e")
    ap.add_argument("--cap-gb", type=float, default=10)
    ap.add_argument("--timeout", type=int, default=600)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        book = tmp / "indicator_values.xlsx"
        make_workbook(book, args.rows)
        with zipfile.ZipFile(book) as zf:
            sheet = zf.getinfo("xl/worksheets/sheet1.xml")
        print(f"workbook {book.stat().st_size / 2**20:.1f} MB, sheet XML {sheet.file_size / 2**20:.0f} MB "
              f"(ratio {sheet.file_size / sheet.compress_size:.0f}), {args.rows:,} rows")
        anchor = tmp / "anchor"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(anchor), args.anchor],
                       check=True, capture_output=True)
        try:
            for label, root, cap in (("streaming reader (this tree)", ROOT, None),
                                     (f"anchor {args.anchor}", anchor, args.cap_gb)):
                print(f"| {label} | {json.dumps(run(root, book, cap, args.timeout), ensure_ascii=False)} |")
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(anchor)], capture_output=True)


if __name__ == "__main__":
    main()
