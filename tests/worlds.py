"""Contract-valid batches of many shapes, for tests that must not depend on the demo.

A ``World`` is a small description (which tables, which periods, how deep the unit tree, how
many units and cadres, which optional columns, core and/or custom indicators); ``write_world``
turns it into CSV files with a seeded random generator, so the same World always gives the same
bytes. ``worlds()`` is the hypothesis strategy over all shapes.

Truth the tests rely on: every written batch satisfies the input contract (each reference
resolves inside the batch, shares of one unit never exceed 1, no period after ``end``), and in a
tree, a parent's value of an additive indicator is the sum of its children's values, so a total
that counts every place once equals the sum over the leaves.
"""
from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import strategies as st

ALL_TABLES = ("indicators", "units", "cadres", "assignments", "indicator_values", "tasks",
              "task_progress", "ratings", "projects", "enterprises", "enterprise_years")
# What each table needs so that its references resolve in a fresh home.
NEEDS = {
    "assignments": ("units", "cadres"), "indicator_values": ("units",), "tasks": ("units", "cadres"),
    "task_progress": ("tasks",), "ratings": ("cadres",), "projects": ("units", "cadres"),
    "enterprises": ("units",), "enterprise_years": ("enterprises",),
}
FREQ_RANK = {"month": 0, "quarter": 1, "year": 2}
# Built-in indicators a world may report, by where they are reported.
TOWN_CORE = ("gpb_revenue", "ind_va_growth", "exports", "tax_per_mu")
COUNTY_CORE = ("gdp_growth", "retail_sales", "rd_intensity")
BUILTIN = {  # frequency, cumulative, kind of value (rate / amount / per_mu)
    "gpb_revenue": ("month", True, "amount"), "ind_va_growth": ("month", True, "rate"),
    "exports": ("month", True, "amount"), "tax_per_mu": ("year", False, "per_mu"),
    "gdp_growth": ("quarter", True, "rate"), "retail_sales": ("month", True, "amount"),
    "rd_intensity": ("year", False, "rate"),
}
CUSTOM = (  # code, name, unit, frequency, cumulative, kind
    ("c_sat", "群众满意度", "%", "quarter", "false", "other"),
    ("c_green", "绿色发展指数", "分", "year", "false", "other"),
    ("c_visits", "走访企业数", "家", "month", "true", "volume"),
)
CATEGORIES = ("指标争先", "项目攻坚", "改革突破", "民生实事")
GROUPS = ("上级", "同级", "下级", "群众", "服务对象")
SURNAMES = "王李张刘陈杨赵黄周吴"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超"


@dataclass(frozen=True)
class World:
    seed: int = 0
    tables: frozenset = frozenset(ALL_TABLES)
    depth: int = 1            # 1 flat county units, 2 县 → towns, 3 市 → 区/县 → towns
    n_units: int = 3          # leaf units
    n_cadres: int = 4
    first_year: int = 2024
    end: str = "2025-06"      # last month with data
    value_freq: str = "month"  # the finest frequency the county reports (coarser indicators stay coarser)
    task_freq: str = "month"
    core: bool = True         # report built-in indicators
    custom: int = 1           # number of the county's own indicators (needs the indicators table)
    optional_columns: bool = True
    open_end: str = ""        # how a post still held is written: "" or "9999-12-31"
    checks: bool = True       # 核验记录 on a task and a value, when the batch has them (drawn from no rng)

    @property
    def complete(self) -> frozenset:
        """The tables written: the chosen ones plus what their references need."""
        out = set(self.tables)
        changed = True
        while changed:
            changed = False
            for t in list(out):
                for need in NEEDS.get(t, ()):
                    if need not in out:
                        out.add(need)
                        changed = True
        if self.custom and "indicator_values" in out:
            out.add("indicators")
        return frozenset(out)


def _months(first_year: int, end: str) -> list[tuple[int, int]]:
    ey, em = int(end[:4]), int(end[5:7])
    return [(y, m) for y in range(first_year, ey + 1) for m in range(1, 13) if (y, m) <= (ey, em)]


def _periods(freq: str, months: list[tuple[int, int]]) -> list[str]:
    if freq == "month":
        return [f"{y}-{m:02d}" for y, m in months]
    if freq == "quarter":
        return [f"{y}-Q{m // 3}" for y, m in months if m % 3 == 0]
    return [str(y) for y, m in months if m == 12]


def _date(y: int, m: int, d: int = 1) -> str:
    return f"{y}-{m:02d}-{d:02d}"


def write_world(world: World, folder: Path) -> Path:
    """Write the world's batch as UTF-8 CSV files into ``folder``; returns ``folder``."""
    rng = random.Random(world.seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tables = world.complete
    months = _months(world.first_year, world.end)
    years = sorted({y for y, _ in months})
    opt = world.optional_columns

    # --- units: a tree whose leaves are towns (or flat county units) ---------------------------
    units, leaves, parents = [], [], {}
    leaf_types = ("街道", "镇", "乡", "平台") if world.depth > 1 else ("街道", "镇", "乡", "平台", "部门")
    if world.depth == 3:
        units.append(("S0", "台州市", "市", ""))
        mids = [("D1", "椒江区", "区"), ("D2", "玉环市", "县级市")][: 1 + (world.n_units > 1)]
        units += [(uid, name, kind, "S0") for uid, name, kind in mids]
        parents = {"S0": [m[0] for m in mids]}
        for i in range(world.n_units):
            parent = mids[i % len(mids)][0]
            leaves.append(f"T{i + 1:02d}")
            parents.setdefault(parent, []).append(leaves[-1])
            units.append((leaves[-1], f"第{i + 1}镇街", leaf_types[i % len(leaf_types)], parent))
    else:
        if world.depth == 2:
            units.append(("K0", "玉环县", rng.choice(("县", "县级市")), ""))
        for i in range(world.n_units):
            leaves.append(f"T{i + 1:02d}")
            parent = "K0" if world.depth == 2 else ""
            if parent:
                parents.setdefault(parent, []).append(leaves[-1])
            units.append((leaves[-1], f"第{i + 1}单位", leaf_types[i % len(leaf_types)], parent))
    county = units[0][0] if world.depth > 1 else None

    # --- cadres and their posts -----------------------------------------------------------------
    cadre_ids = [f"C{i + 1:03d}" for i in range(world.n_cadres)]
    cadres = [(c, rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN), str(rng.randint(1965, 1995)) if opt else "",
               rng.choice(("正科", "副科")) if opt else "", rng.choice(("招商", "工业", "综合")) if opt else "")
              for c in cadre_ids]
    posted = [u[0] for u in units]
    holders: dict[str, list[str]] = {}
    for k, c in enumerate(cadre_ids):
        if k >= len(posted) and rng.random() < 0.3:
            continue  # a cadre with no post at all
        holders.setdefault(posted[k % len(posted)], []).append(c)
    span = len(months) + 12
    assignments, tenure = [], {}  # tenure: cadre -> [(unit, start month index, end month index)]
    for unit, cs in holders.items():
        cuts = sorted(rng.sample(range(1, span), min(len(cs) - 1, span - 1))) if len(cs) > 1 else []
        bounds = [0, *cuts, None]
        for c, lo, hi in zip(cs, bounds, bounds[1:]):
            sy, sm = divmod(lo, 12)
            start = _date(world.first_year - 1 + sy, sm + 1)
            if hi is None:
                end = world.open_end
            else:
                ey, em = divmod(hi - 1, 12)
                end = _date(world.first_year - 1 + ey, em + 1, 28)
            assignments.append((c, unit, "主要负责人" if opt else "", start, end, "1" if rng.random() < 0.5 else "", ""))
            tenure.setdefault(c, []).append((unit, lo, hi))
    # A mover: the first leaver takes a deputy post elsewhere afterwards (rotation identifies effects).
    leavers = [(c, u, hi) for c, posts in tenure.items() for u, lo, hi in posts if hi is not None]
    if leavers and len(posted) > 1:
        c, u, hi = leavers[0]
        other = next(p for p in posted if p != u)
        y, m = divmod(hi, 12)
        assignments.append((c, other, "副职" if opt else "", _date(world.first_year - 1 + y, m + 1), "", "0", ""))

    # --- indicators -----------------------------------------------------------------------------
    finest = FREQ_RANK[world.value_freq]
    series = []  # (code, frequency, cumulative, kind, units reported)
    if world.core:
        for code in TOWN_CORE + COUNTY_CORE:
            freq, cum, kind = BUILTIN[code]
            if FREQ_RANK[freq] < finest:
                continue  # a county reporting only quarterly or yearly has no monthly series
            where = leaves if code in TOWN_CORE else ([county] if county else leaves[:1])
            series.append((code, freq, cum, kind, where))
    custom = [c for c in CUSTOM if FREQ_RANK[c[3]] >= finest][: world.custom]
    if not custom and world.custom:
        custom = [CUSTOM[1]]
    for code, _, unit, freq, cum, kind in custom:
        series.append((code, freq, cum == "true", "amount" if kind == "volume" else "rate", leaves))
    values = []
    for code, freq, cum, kind, where in series:
        for unit in where:
            level = rng.uniform(500, 5000) if kind == "amount" else rng.uniform(20, 40) if kind == "per_mu" else rng.uniform(2, 9)
            for p in _periods(freq, months):
                v = level * (int(p[5:7]) / 12 if cum and kind == "amount" and freq == "month" else 1) * rng.uniform(0.9, 1.1)
                values.append([unit, code, p, round(v, 1), round(level * 1.02, 1) if opt else "", ""])
        # a parent reports the sum of its children for amounts (districts before the city)
        if kind == "amount" and set(where) == set(leaves):
            for parent in sorted(parents, key=lambda p: not p.startswith("D")):
                kids = parents[parent]
                for p in _periods(freq, months):
                    total = sum(r[3] for r in values if r[1] == code and r[2] == p and r[0] in kids)
                    values.append([parent, code, p, round(total, 1), "", ""])

    # --- tasks and their progress ---------------------------------------------------------------
    tasks, progress = [], []
    task_months = [(y, m) for y, m in months if world.task_freq == "month" or m % 3 == 0]
    for c, posts in sorted(tenure.items()):
        unit = posts[0][0]
        for y in years:
            for j in range(rng.randint(0, 2)):
                tid = f"{y}-{c}-{j}"
                co = [o for o in cadre_ids if o != c][:1] if opt and rng.random() < 0.4 else []
                tasks.append((tid, y, f"{rng.choice(CATEGORIES)}任务{j}“推进”,含逗号", rng.choice(CATEGORIES), unit, c,
                              ";".join(co), _date(y, 12, 31), rng.choice(("0.8", "1", "1.2")) if opt else ""))
                actual = 0.0
                for ty, tm in task_months:
                    if ty != y:
                        continue
                    plan = round(100 * tm / 12, 1)
                    actual = min(100.0, actual + rng.uniform(0, 16))
                    period = f"{ty}-{tm:02d}" if world.task_freq == "month" else f"{ty}-Q{tm // 3}"
                    progress.append((tid, period, plan, round(actual, 1), "", rng.randint(0, 3) if opt else "", ""))

    # --- ratings, projects, enterprises ---------------------------------------------------------
    ratings = []
    for c in cadre_ids[: max(1, len(cadre_ids) - 1)]:
        for y in years:
            for r in range(rng.randint(1, 6)):
                score = rng.choice(("好", "较好", "一般")) if rng.random() < 0.3 else str(rng.randint(60, 98))
                ratings.append((str(y), c, GROUPS[r % len(GROUPS)], f"R{r:02d}", score, "评语:'认真',负责" if opt else ""))
    projects = []
    for i in range(rng.randint(0, 4)):
        y, m = rng.choice(months)
        stages = [_date(y, m, 5)]
        for _ in range(rng.randint(0, 4)):
            y, m = (y + (m == 12), m % 12 + 1)
            if (y, m) > months[-1]:
                break
            stages.append(_date(y, m, 6))
        stages += [""] * (5 - len(stages))
        projects.append((f"P{i:02d}", rng.choice(leaves), rng.choice(cadre_ids), f"项目{i}", rng.randint(1000, 90000), *stages))
    enterprises, enterprise_years = [], []
    for i in range(rng.randint(0, 5)):
        eid = f"E{i:02d}"
        enterprises.append((eid, rng.choice(leaves), round(rng.uniform(5, 300), 1), rng.choice(("true", "false")),
                            rng.choice(cadre_ids) if opt and "cadres" in tables and rng.random() < 0.5 else ""))
        for y in years:
            if (y, 12) > months[-1] and len(years) > 1:
                continue
            tax = round(rng.uniform(10, 3000), 1)
            enterprise_years.append((eid, y, tax, round(tax * rng.uniform(4, 8), 1), *(
                (round(rng.uniform(50, 9000), 1), round(rng.uniform(1, 400), 1), rng.randint(5, 900),
                 round(rng.uniform(1, 900), 1), round(tax * 25, 1)) if opt else ("", "", "", "", ""))))

    defined = custom or [CUSTOM[0]]  # an indicators table alone defines an indicator not yet reported
    rows = {
        "indicators": (["indicator", "name", "unit", "direction", "frequency", "cumulative", "kind", "unit_type"],
                       [(code, name, unit, 1, freq, cum, kind, "") for code, name, unit, freq, cum, kind in defined]),
        "units": (["unit_id", "name", "unit_type", "parent_id"], units),
        "cadres": (["cadre_id", "name", "birth_year", "rank", "role_type"], cadres),
        "assignments": (["cadre_id", "unit_id", "post", "start", "end", "share", "indicators"], assignments),
        "indicator_values": (["unit_id", "indicator", "period", "value", "target", "verified_value"], values),
        "tasks": (["task_id", "year", "title", "category", "unit_id", "lead_cadre_id", "co_cadre_ids", "due",
                   "difficulty"], tasks),
        "task_progress": (["task_id", "period", "planned_pct", "actual_pct", "verified_pct", "evidence_count",
                           "reported_at"], progress),
        "ratings": (["period", "cadre_id", "rater_group", "rater_id", "score", "comment"], ratings),
        "projects": (["project_id", "unit_id", "cadre_id", "name", "agreed_investment", "signed", "landed", "started",
                      "producing", "at_capacity"], projects),
        "enterprises": (["enterprise_id", "unit_id", "land_mu", "above_scale", "cadre_id"], enterprises),
        "enterprise_years": (["enterprise_id", "year", "tax", "value_added", "energy_tce", "emission_t", "employees",
                              "rd_expense", "revenue"], enterprise_years),
    }
    # 核验记录: kept out of ALL_TABLES and of the rng so every drawn world stays the world it was.
    checks = []
    if world.checks and "tasks" in tables and progress:
        tid, period = progress[-1][0], progress[-1][1]
        checks.append(("K1", "", tid, "", "", period, "进度不实", "", max(0.0, round(progress[-1][3] - 20, 1)),
                       "现场核实进度低于填报", _date(*months[-1], 28), "考察组"))
    if world.checks and "indicator_values" in tables and values:
        unit, code, period = values[0][:3]
        checks.append(("K2", "", "", unit, code, period, "已说明", "", "", "口径说明", "", ""))
    if checks:
        rows["checks"] = (["check_id", "flag_id", "task_id", "unit_id", "indicator", "period", "result",
                           "verified_value", "verified_pct", "note", "checked_at", "checked_by"], checks)
    if "cadres" not in tables:  # references to cadres only where the batch has them
        rows["enterprises"] = (rows["enterprises"][0], [(*e[:4], "") for e in enterprises])
    for name in (*ALL_TABLES, "checks"):
        header, body = rows.get(name, ((), ()))
        if (name not in tables and name != "checks") or not body:  # a file with no data rows is refused by the contract
            continue
        with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(body)
    return folder


@st.composite
def worlds(draw) -> World:
    """Every shape of contract-valid batch, kept small so an example ingests in seconds."""
    tables = draw(st.sets(st.sampled_from(ALL_TABLES), min_size=1))
    first_year = draw(st.integers(2022, 2025))
    end_year = draw(st.integers(first_year, 2025))
    return World(
        seed=draw(st.integers(0, 10_000)),
        tables=frozenset(tables),
        depth=draw(st.integers(1, 3)),
        n_units=draw(st.integers(1, 5)),
        n_cadres=draw(st.integers(1, 7)),
        first_year=first_year,
        end=f"{end_year}-{draw(st.integers(1, 12)):02d}",
        value_freq=draw(st.sampled_from(tuple(FREQ_RANK))),
        task_freq=draw(st.sampled_from(("month", "quarter"))),
        core=draw(st.booleans()),
        custom=draw(st.integers(0, 2)),
        optional_columns=draw(st.booleans()),
        open_end=draw(st.sampled_from(("", "9999-12-31"))),
        checks=draw(st.booleans()),
    )


def build(world: World, base: Path):
    """Write and ingest ``world`` through the CLI's entry point; returns its home (asserts exit 0)."""
    import contextlib
    import io

    from pipelines import cli, db
    from pipelines.home import Home

    batch = write_world(world, base / "batch")
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = cli.main(["ingest", str(batch), "--home", str(base / "home")])
    db.close_all()
    assert code == 0, err.getvalue()[-3000:]
    return Home(base / "home")


# seed 0: C001 led T01 and moved to a deputy post in T02; C002 left T02 and holds no post now (last
# post T02); C004 left T01 (last post T01); C006 never held a post (test_scoping asserts the facts).
MOVERS = World(seed=0, n_units=3, n_cadres=7)


@pytest.fixture(scope="session")
def built_world(tmp_path_factory):
    """built_world(World) → the Home of that world, written and ingested once per session for
    every module that reads it. A test writes its own access.yaml before opening a page and saves
    no mark (a test that changes the home builds its own)."""
    homes: dict = {}

    def get(world: World):
        if world not in homes:
            homes[world] = build(world, tmp_path_factory.mktemp(f"world{world.seed}_"))
        return homes[world]

    return get


ROOT = Path(__file__).resolve().parents[1]


def open_on(at, page: str, **params):
    """Run ``at`` on ``page`` with URL ``params``. On a fresh AppTest this is its first run, as
    a browser opening a deep link (/cadre?cadre=…) does: no run of the user's landing page first,
    which every page test used to pay for. Each url_path in app.py is its script's stem, so the
    page is found by file name before st.navigation has run; afterwards the check below makes
    sure st.navigation registered that page for this user (a page the role may not open would
    otherwise be replaced by the landing page and pass unseen)."""
    at.switch_page(f"pages/{page}.py")
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    script = at._registered_pages.get(at._page_hash, {}).get("script_path")
    assert script and Path(str(script)).resolve() == (ROOT / "pages" / f"{page}.py").resolve(), \
        (page, "not a page of this user", [i.get("url_pathname") for i in at._registered_pages.values()])
    return at


def run_page(identity: str, page: str, **params):
    """``page`` opened through app.py (navigation, scope) by the logged-in local user
    ``identity``, with URL ``params``; the caller points SHIJI_HOME at the data home."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state["_local_identity"] = identity
    return open_on(at, page, **params)
