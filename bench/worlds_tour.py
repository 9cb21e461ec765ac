"""Realistic batches that are not the demo, end to end: ingest through the CLI (exit code, time),
then every page in Debian's Chromium on a real Streamlit server (exception boxes, literal
nan/None, and what each page says is missing).

    python bench/worlds_tour.py [--only NAME ...] [--sizes 1366x768 1920x1080 3840x2160]
                                [--out bench/results/worlds_tour.md]

Prints a Markdown table (one row per batch). Screenshots of every page go to
``artifacts/worlds/<batch>/<page>@<size>.png``.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import bcrypt
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.worlds import ALL_TABLES, World, write_world  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
TITLES = {"home": "数据概况", "screen": "城市大脑大屏", "quadrants": "实绩象限", "cadre": "干部画像", "unit": "单位档案",
          "anomalies": "异常预警", "briefing": "考察准备", "data": "数据管理", "methods": "方法说明"}
PAGES = {"home": "ana", "screen": "ana", "quadrants": "ana", "cadre": "ana", "unit": "ana", "anomalies": "ana",
         "briefing": "ana", "methods": "ana", "data": "adm"}
MISSING = re.compile(r"(?<![A-Za-z_])(nan|None|NaN|NaT|<NA>)(?![A-Za-z_])")
PASSWORD = "tour-pass"
SAYS_MISSING = re.compile(r"暂无|未报送|没有.*(数据|记录|结果)|需要.*(报送|表)")
PROMPTS = re.compile(r"^(选择一名干部|点击散点图|选择一个单位|请选择单位或干部|在表格中选择)")

BATCHES = {
    "full_county_monthly": ("完整县域,月度指标与任务", World(seed=11, n_units=5, n_cadres=7)),
    "tasks_only": ("只有任务台账(任务+进度)", World(seed=12, tables=frozenset({"tasks", "task_progress"}),
                                               core=False, custom=0, n_units=3, n_cadres=5)),
    "own_indicators_only": ("只有本县自定义指标", World(seed=13, tables=frozenset({"indicator_values"}), core=False,
                                                 custom=2, n_units=4)),
    "mujun_projects_only": ("只有亩均与招商(企业、企业年度、项目)", World(
        seed=14, tables=frozenset({"enterprises", "enterprise_years", "projects"}), core=False, custom=0)),
    "people_only": ("只有单位、干部、任职", World(seed=15, tables=frozenset({"assignments"}), core=False, custom=0)),
    "quarterly_tasks_yearly_values": ("季度任务进度+年度指标,无月度期间", World(
        seed=16, value_freq="year", task_freq="quarter", end="2025-12", n_units=4, n_cadres=6)),
    "city_three_levels": ("三级市:市→区/县级市→乡镇街道", World(seed=17, depth=3, n_units=6, n_cadres=9)),
    "county_two_levels": ("两级县:县→乡镇,县本级报总数", World(seed=18, depth=2, n_units=5, n_cadres=7)),
    "no_tasks_hr_posts": ("无任务数据,任职按人事系统写 9999-12-31", World(
        seed=19, tables=frozenset(set(ALL_TABLES) - {"tasks", "task_progress"}), n_units=4, n_cadres=6,
        open_end="9999-12-31")),
    "one_unit_one_cadre": ("一个单位一名干部", World(seed=20, n_units=1, n_cadres=1)),
    "ten_years": ("十年历史(2016–2025)", World(seed=21, first_year=2016, end="2025-12", n_units=3, n_cadres=5)),
    "bare_columns": ("只有必填列(无可选列)", World(seed=22, optional_columns=False, n_units=4, n_cadres=6)),
    "ratings_only": ("只有360评价", World(seed=23, tables=frozenset({"ratings"}), core=False, custom=0)),
    "quarterly_values": ("按季报送的指标与任务", World(seed=24, value_freq="quarter", task_freq="quarter",
                                                 n_units=5, n_cadres=6)),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(home: Path):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
         "--server.headless", "true"], cwd=ROOT, env={**os.environ, "SHIJI_HOME": str(home)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).status == 200:
                return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("streamlit did not start")


def settle(page) -> None:
    """Until the script has run: content in the main block and no 'running' widget twice in a row."""
    page.wait_for_selector("[data-testid='stApp']", timeout=60_000)
    # the first element is the app's invisible stylesheet: wait for a visible one
    page.wait_for_selector("[data-testid='stMainBlockContainer'] [data-testid='stElementContainer']:visible",
                           timeout=60_000)
    for _ in range(2):
        page.wait_for_timeout(1000)
        page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                               timeout=60_000)


SIZES = {"1366x768": (1366, 768, 1), "1920x1080": (1920, 1080, 1), "3840x2160": (1920, 1080, 2)}


def visit_all(browser, url: str, user: str, pages: list[str], shots: Path, size: str = "1366x768") -> dict[str, dict]:
    """Log in once as ``user``, then open each page from the sidebar (a reload would start a new
    session); the big screen, which hides the sidebar, goes last. 3840x2160 is a 4K wall: 1920x1080
    CSS pixels at device scale factor 2."""
    w, h, scale = SIZES[size]
    page = browser.new_page(viewport={"width": w, "height": h}, device_scale_factor=scale)
    page.goto(url)
    settle(page)
    page.get_by_label("账号").fill(user)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    settle(page)
    results = {}
    for name in sorted(pages, key=lambda p: p == "screen"):
        page.locator("[data-testid='stSidebarNav']").get_by_text(TITLES[name], exact=True).click()
        settle(page)
        page.screenshot(path=str(shots / f"{name}@{size}.png"), full_page=name != "screen")
        text = page.locator("[data-testid='stMain']").inner_text()
        alerts = [a.strip().replace("\n", " ") for a in page.locator("[data-testid='stAlert']").all_inner_texts()]
        alerts += [line.strip() for line in text.splitlines() if SAYS_MISSING.search(line)]
        alerts = [a for a in dict.fromkeys(alerts) if not PROMPTS.search(a)]
        results[name] = {"exception": page.locator("[data-testid='stException']").count(),
                         "missing_literal": MISSING.findall(text), "alerts": alerts}
    page.close()
    return results


def tour(names: list[str], sizes: list[str]) -> list[dict]:
    from playwright.sync_api import sync_playwright

    rows = []
    base = Path(tempfile.mkdtemp(prefix="shiji-tour-"))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for name in names:
            label, world = BATCHES[name]
            batch, home = write_world(world, base / name / "batch"), base / name / "home"
            t0 = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "pipelines", "ingest", str(batch), "--home", str(home)],
                                  cwd=ROOT, capture_output=True, text=True)
            seconds = time.perf_counter() - t0
            row = {"name": name, "label": label, "tables": ", ".join(sorted(world.complete)), "exit": proc.returncode,
                   "seconds": seconds, "pages_ok": 0, "pages": len(PAGES) * len(sizes), "problems": [], "said": []}
            if proc.returncode == 0:
                hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
                users = {u: {"role": r, "password_hash": hashed} for u, r in (("ana", "analyst"), ("adm", "admin"))}
                (home / "access.yaml").write_text(yaml.safe_dump({"identity": "local", "users": users}),
                                                  encoding="utf-8")
                server, url = serve(home)
                shots = ROOT / "artifacts" / "worlds" / name
                shots.mkdir(parents=True, exist_ok=True)
                try:
                    for size, user in [(size, user) for size in sizes for user in ("ana", "adm")]:
                        mine = [p for p, u in PAGES.items() if u == user]
                        for page_name, r in visit_all(browser, url, user, mine, shots, size).items():
                            if r["exception"] or r["missing_literal"]:
                                row["problems"].append(f"{page_name}: {r}")
                            else:
                                row["pages_ok"] += 1
                            row["said"] += [f"{page_name}: {a}" for a in r["alerts"]]
                finally:
                    server.terminate()
                    server.wait(timeout=10)
            else:
                row["problems"].append(proc.stderr.strip().splitlines()[-1:])
            rows.append(row)
            print(f"{name}: exit {row['exit']} {seconds:.1f}s pages ok {row['pages_ok']}/{row['pages']}", file=sys.stderr)
        browser.close()
    shutil.rmtree(base, ignore_errors=True)
    return rows


def markdown(rows: list[dict]) -> str:
    lines = ["| batch | what it is | ingest exit | ingest s | pages without exception or nan/None | what the pages say is missing |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        said = "; ".join(dict.fromkeys(r["said"]))[:600] or "—"
        lines.append(f"| {r['name']} | {r['label']} | {r['exit']} | {r['seconds']:.1f} | {r['pages_ok']}/{r['pages']}"
                     f"{' ' + str(r['problems']) if r['problems'] else ''} | {said} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*", default=list(BATCHES))
    ap.add_argument("--sizes", nargs="*", default=["1366x768"], choices=list(SIZES))
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "worlds_tour.md")
    args = ap.parse_args()
    table = markdown(tour(args.only, args.sizes))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(table + "\n", encoding="utf-8")
    print(table)


if __name__ == "__main__":
    main()
