"""Render time of every page registered in app.py (AppTest, county demo).

    python bench/bench_pages.py [--home DIR] [--repeat 3]

Pages are discovered from app.py's ``PAGES`` (every ``st.Page("pages/....py", ...)``), so pages
added later are measured too. Per page, with Streamlit's data caches cleared first:

* first render: a new session opening the page, app.py included (cold data caches, warm process:
  DuckDB readers and imports are shared by all sessions of a server);
* re-render: run it again (median of ``--repeat``), what a widget change or a fragment-free
  rerun costs.

Targets (issue 6): first render < 2 s, re-render < 0.5 s. Without ``--home`` the county demo is
generated and ingested into a temporary folder first (about half a minute).
"""
from __future__ import annotations

import argparse
import ast
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIRST_TARGET, RERUN_TARGET = 2.0, 0.5


def discover_pages(app: Path = ROOT / "app.py") -> list[tuple[str, str]]:
    """(script path, title) of every page script named in app.py's ``PAGES``, in menu order.

    Understands both spellings used so far: ``st.Page("pages/x.py", title=...)`` calls and
    ``(section, "pages/x.py", title, icon, url_path)`` tuples."""
    tree = ast.parse(app.read_text(encoding="utf-8"))
    scope = [n.value for n in ast.walk(tree) if isinstance(n, ast.Assign)
             and any(isinstance(t, ast.Name) and t.id == "PAGES" for t in n.targets)] or [tree]
    found: dict[str, tuple[str, tuple[int, int]]] = {}
    for root in scope:
        for node in ast.walk(root):
            if isinstance(node, ast.Tuple):
                items = [e.value if isinstance(e, ast.Constant) else None for e in node.elts]
                for i, v in enumerate(items):
                    if isinstance(v, str) and v.startswith("pages/") and v.endswith(".py"):
                        title = items[i + 1] if i + 1 < len(items) and isinstance(items[i + 1], str) else v
                        found.setdefault(v, (title, (node.lineno, node.col_offset)))
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "Page" and node.args \
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                v = node.args[0].value
                title = next((k.value.value for k in node.keywords
                              if k.arg == "title" and isinstance(k.value, ast.Constant)), v)
                found.setdefault(v, (title, (node.lineno, node.col_offset)))
    return [(script, title) for script, (title, _) in sorted(found.items(), key=lambda kv: kv[1][1])]


def demo_home(tmp: Path) -> Path:
    batch, home = tmp / "batch", tmp / "home"
    for cmd in (["demo", "--out", str(batch)], ["ingest", str(batch), "--home", str(home)]):
        subprocess.run([sys.executable, "-m", "pipelines", *cmd], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return home


def measure(page: str, repeat: int) -> dict:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page(page)  # a new session landing on the page (app.py's per-run setup included)
    t0 = time.perf_counter()
    at.run()
    first = time.perf_counter() - t0
    reruns = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        at.run()
        reruns.append(time.perf_counter() - t0)
    errors = [str(e.value)[:80] for e in at.exception]
    return {"first": first, "rerun": statistics.median(reruns), "errors": errors}


def main() -> None:
    import logging

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    ap = argparse.ArgumentParser()
    ap.add_argument("--home", help="an existing data home (default: build the county demo)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(args.home) if args.home else demo_home(Path(tmp))
        os.environ["SHIJI_HOME"] = str(home)
        pages = discover_pages()
        print(f"{len(pages)} pages from app.py, data home {home}\n")
        from streamlit.testing.v1 import AppTest

        AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()  # imports, DuckDB readers
        print(f"{'page':<28} {'first s':>8} {'rerun s':>8}  status")
        slow = 0
        for script, title in pages:
            r = measure(script, args.repeat)
            ok = r["first"] < FIRST_TARGET and r["rerun"] < RERUN_TARGET and not r["errors"]
            slow += not ok
            status = "ok" if ok else ("ERROR " + "; ".join(r["errors"]) if r["errors"] else "SLOW")
            print(f"{title + ' (' + Path(script).stem + ')':<28} {r['first']:>8.2f} {r['rerun']:>8.2f}  {status}")
        print(f"\ntargets: first render < {FIRST_TARGET} s, re-render < {RERUN_TARGET} s; {slow} page(s) off target")


if __name__ == "__main__":
    main()
