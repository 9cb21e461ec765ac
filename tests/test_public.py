"""The public file of the big screen: aggregates only, no person data, no group under 5 people,
built atomically next to every published version."""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from pipelines import db
from pipelines import public as pub
from pipelines.home import Home

# Column names that would carry person-level data (exact names, then substrings).
PERSONAL_COLUMNS = {
    "cadre_id", "name", "birth_year", "role_type", "post", "rater_id", "rater_group", "comment",
    "performance_score", "rating_score", "total", "grade", "bonus", "deduction", "effect", "effect_fe",
    "se", "ci_low", "ci_high", "x", "y", "lead_cadre_id", "co_cadre_ids", "task_id", "flag_id",
    "reason", "check_hint", "title", "project_id", "enterprise_id", "band_person",
}
PERSONAL_SUBSTRINGS = ("cadre", "rater", "comment", "rating", "person", "birth", "employee")
ALLOWED_NAME_COLUMNS = {"unit_name", "indicator_name", "board_name", "series_name"}


@pytest.fixture(scope="module")
def demo(demo_world):
    _, root, _ = demo_world
    home = Home(root)
    current = home.current()
    public = home.public_path(current["version"])
    yield home, current["path"], public
    db.close_all()


def tables_of(public: Path) -> dict[str, pd.DataFrame]:
    names = db.query(public, "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'public'")["table_name"]
    return {n: db.query(public, f"SELECT * FROM public.{n}") for n in names}  # names from the file itself


def scan_public(public: Path, full: Path) -> list[str]:
    """Every privacy problem of a public file (empty list = clean)."""
    problems = []
    schemas = db.query(public, "SELECT DISTINCT schema_name FROM duckdb_tables()")["schema_name"]
    problems += [f"schema {s} besides public" for s in schemas if s != "public"]
    tables = tables_of(public)
    for table, frame in tables.items():
        for col in frame.columns:
            low = col.lower()
            if low in PERSONAL_COLUMNS or (low.endswith("name") and low not in ALLOWED_NAME_COLUMNS) \
                    or any(s in low for s in PERSONAL_SUBSTRINGS):
                problems.append(f"{table}.{col}: personal column")
        if "n_people" in frame:
            n = frame["n_people"]
            bad = n.notna() & (n > 0) & (n < pub.MIN_GROUP)
            problems += [f"{table}: group of {int(v)} people" for v in n[bad]]
            if "suppressed" not in frame:
                problems.append(f"{table}: n_people without suppressed flag")
            else:
                hidden = frame["suppressed"].fillna(False).astype(bool)
                if (hidden & n.notna()).any():
                    problems.append(f"{table}: group size published for a suppressed group")
                measures = [c for c in frame.columns if c.startswith("n_") or c == "value"]
                for c in measures:
                    if frame.loc[hidden, c].notna().any():
                        problems.append(f"{table}.{c}: value published for a suppressed group")
    # values: no identifier, name or comment of a person anywhere in a text cell
    cadres = db.query(full, "SELECT cadre_id, name FROM raw.cadres")
    raters = db.query(full, "SELECT DISTINCT rater_id, comment FROM raw.ratings")
    tasks = db.query(full, "SELECT task_id, title, lead_cadre_id FROM raw.tasks")
    exact = set(cadres["cadre_id"]) | set(cadres["name"].dropna()) | set(raters["rater_id"].dropna()) \
        | set(tasks["task_id"]) | set(tasks["lead_cadre_id"].dropna())
    names = [n for n in cadres["name"].dropna() if len(n) >= 2]
    comments = [c for c in raters["comment"].dropna() if len(c) >= 4]
    for table, frame in tables.items():
        for col in frame.columns:
            if frame[col].dtype != object and str(frame[col].dtype) not in ("string", "str"):
                continue
            for v in frame[col].dropna().astype(str).unique():
                if v in exact:
                    problems.append(f"{table}.{col}: identifier or name {v!r}")
                elif any(nm in v for nm in names) or any(c in v for c in comments):
                    problems.append(f"{table}.{col}: contains a person's name or a comment: {v!r}")
    return problems


# --- the demo's public file ---------------------------------------------------------------

def test_public_file_is_written_next_to_the_version(demo):
    home, full, public = demo
    assert public.exists() and public.name == "v000001.public.duckdb"
    assert not list(home.warehouse.glob("*.building*"))
    assert not public.with_name(public.name + ".wal").exists()
    tables = tables_of(public)
    assert set(tables) == set(pub.SCHEMAS)
    for name, schema in pub.SCHEMAS.items():
        assert list(tables[name].columns) == [c for c, _ in schema], name
    meta = dict(zip(tables["meta"]["key"], tables["meta"]["value"]))
    assert meta["version"] == "v000001" and meta["as_of"] == "2025-12" and meta["min_group"] == "5"


def test_the_demo_boundaries_reach_the_public_file_for_the_wall_map(demo):
    """The demo ships units.geojson: every 乡镇街道 and the 平台 has a closed polygon, departments none."""
    import json

    _, full, public = demo
    shapes = tables_of(public)["unit_boundaries"]
    towns = db.query(full, "SELECT unit_id, name FROM staging.units WHERE unit_type <> '部门' ORDER BY unit_id")
    assert shapes["unit_id"].tolist() == towns["unit_id"].tolist() and shapes["unit_name"].tolist() == towns["name"].tolist()
    ranked = tables_of(public)["unit_ranking"]  # the map colours places by a board: joined by unit_id
    assert set(ranked.loc[ranked["board"] == "total:town", "unit_id"]) <= set(shapes["unit_id"])
    for g in shapes["geometry"]:
        ring = json.loads(g)["coordinates"][0]
        assert len(ring) == 5 and ring[0] == ring[-1]


def test_scan_finds_no_personal_columns_and_no_group_under_5(demo):
    _, full, public = demo
    assert scan_public(public, full) == []


def test_scan_catches_what_it_should(demo, tmp_path):
    """The scan itself is tested: a file with a cadre column, a name and a group of 3 fails."""
    _, full, _ = demo
    bad = tmp_path / "bad.duckdb"
    con = db.connect_writer(bad)
    name = db.query(full, "SELECT name FROM raw.cadres LIMIT 1")["name"].iloc[0]
    con.execute("CREATE SCHEMA public")
    con.execute("CREATE TABLE public.t AS SELECT 'C0001' AS cadre_id, $n AS label, 3 AS n_people, "
                "false AS suppressed", {"n": name})
    con.close()
    problems = scan_public(bad, full)
    assert any("personal column" in p for p in problems)
    assert any("group of 3" in p for p in problems)
    assert any("name" in p and name in p for p in problems)
    db.close_reader(bad)


def test_counts_match_the_full_version_or_are_suppressed(demo):
    _, full, public = demo
    q_full = db.query(full, f"SELECT period, {pub.QUADRANT_GROUP} AS quadrant_code, count(DISTINCT cadre_id) AS n "
                            "FROM marts.quadrants GROUP BY ALL")
    q_pub = db.query(public, "SELECT * FROM public.quadrant_counts")
    merged = q_pub.merge(q_full, on=["period", "quadrant_code"], how="left")
    merged["n"] = merged["n"].fillna(0)
    shown = ~merged["suppressed"]
    assert (merged.loc[shown, "n_people"] == merged.loc[shown, "n"]).all()
    # every small cell is hidden; a larger one only as the complement that keeps it hidden
    assert (~shown[merged["n"].between(1, 4)]).all()
    assert merged.loc[~shown, "n"].between(1, 4).any() or not (~shown).any()
    assert set(q_pub["quadrant"]) >= {"高贡献区", "逆势担当区", "平台红利区", "低效区", "不可判定"}
    # an estimate whose interval crosses the cut is counted as 贡献不确定, never in a quadrant
    from models.quadrant import UNCERTAIN_NAME

    assert "'uncertain'" in pub.QUADRANT_GROUP and UNCERTAIN_NAME in set(q_pub["quadrant"])
    assert set(q_pub["quadrant_code"]) >= {"high_high", "high_low", "low_high", "low_low", "uncertain", "unidentified"}
    uncertain = db.query(full, "SELECT period, count(*) AS n FROM marts.quadrants WHERE x_status = 'uncertain' GROUP BY 1")
    got = q_pub[q_pub["quadrant"] == UNCERTAIN_NAME].set_index("period")["n_people"]
    assert all(got[p] == n for p, n in zip(uncertain["period"], uncertain["n"]) if n >= 5)

    c_full = db.query(full, """SELECT period, card, count(*) AS n, count(DISTINCT lead_cadre_id) AS people
                               FROM marts.task_status GROUP BY ALL""")
    c_pub = db.query(public, "SELECT * FROM public.card_counts")
    merged = c_pub.merge(c_full, on=["period", "card"], how="left").fillna({"n": 0, "people": 0})
    shown = ~merged["suppressed"]
    assert (merged.loc[shown, "n_tasks"] == merged.loc[shown, "n"]).all()
    small = merged["people"].between(1, 4)
    assert not (small & shown).any()
    # a larger group is hidden only as the complement of a small one in the same month
    complements = merged[~shown & ~small]
    assert len(complements) and complements["period"].isin(set(merged.loc[small, "period"])).all()
    assert (merged.loc[~shown & ~small, "n"] > 0).all()  # a hidden zero would protect nothing
    assert c_pub.groupby("period").size().eq(4).all()  # every colour every month, zeros included


def test_indicator_board_aggregates_the_delivered_indicators(demo):
    _, full, public = demo
    board = db.query(public, "SELECT * FROM public.indicator_board ORDER BY seq")
    delivered = db.query(full, """SELECT indicator FROM staging.indicators AS i
                                  WHERE EXISTS (SELECT 1 FROM staging.indicator_values AS v WHERE v.indicator = i.indicator)""")
    dictionary_order = list(db.query(full, "SELECT indicator FROM staging.indicators")["indicator"])
    assert list(board["indicator"]) == [i for i in dictionary_order if i in set(delivered["indicator"])]
    core = db.query(full, "SELECT indicator FROM staging.indicators WHERE core")["indicator"]
    assert set(core) <= set(board["indicator"]) and len(board) == 13  # the demo's 12 core plus 工业用电量
    gpb = board.set_index("indicator").loc["gpb_revenue"]
    expected = db.query(full, """SELECT sum(coalesce(verified_value, value)) AS v, sum(target) AS t
                                 FROM staging.indicator_values WHERE indicator = 'gpb_revenue' AND period = $p""",
                        {"p": gpb["period"]})
    assert gpb["value"] == pytest.approx(expected["v"].iloc[0])
    assert gpb["completion"] == pytest.approx(expected["v"].iloc[0] / expected["t"].iloc[0])
    assert gpb["mode"] == "progress" and gpb["aggregation"] == "合计" and gpb["elapsed"] == pytest.approx(1.0)
    growth = board.set_index("indicator").loc["ind_va_growth"]
    assert growth["mode"] == "level" and growth["aggregation"] == "平均"
    assert set(board["status"]) <= {"快于时序", "慢于时序", "达到目标", "低于目标", "暂无目标", "暂无数据"}


def test_unit_ranking_boards(demo):
    _, _, public = demo
    r = db.query(public, "SELECT * FROM public.unit_ranking")
    assert r["board"].iloc[0] == "total:town"
    for board, g in r.groupby("board"):
        assert g["rank"].min() == 1 and g["rank"].max() <= len(g), board
        moved = g[g["prev_rank"].notna()]
        assert (moved["rank_change"] == moved["prev_rank"] - moved["rank"]).all()
        assert set(g["tier"]) <= {"优", "良", "中", "差"}
        assert (g.sort_values("rank")["band"].map("绿黄橙红".index).diff().dropna() >= 0).all()
    total = r[r["board"] == "total:town"]
    assert len(total) == 12 and total["score"].is_monotonic_decreasing


def test_suppress_small_blanks_groups_of_1_to_4():
    frame = pd.DataFrame({"n_tasks": [0, 3, 9, 12], "n_people": [0, 2, 4, 5]})
    out = pub.suppress_small(frame, ["n_tasks"])
    assert out["suppressed"].tolist() == [False, True, True, False]
    assert out["n_tasks"].isna().tolist() == [False, True, True, False]
    assert out["n_people"].isna().tolist() == [False, True, True, False]
    assert out.loc[0, "n_people"] == 0 and out.loc[3, "n_tasks"] == 12


# --- flags, absent marts, atomicity -----------------------------------------------------------

def _copy_version(full: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "v000001.duckdb"
    shutil.copyfile(full, dest)
    return dest


def test_flag_counts_come_from_marts_anomalies_when_present(demo, tmp_path):
    _, full, _ = demo
    copy = _copy_version(full, tmp_path)
    flags = pd.DataFrame({
        "flag_id": [f"F{i}" for i in range(14)],
        "level": ["task"] * 8 + ["series"] * 6,
        "unit_id": [f"U{i}" for i in range(14)],
        "cadre_id": [f"C{i}" for i in range(8)] + [None] * 6,
        "task_id": [f"T{i}" for i in range(8)] + [None] * 6,
        "rule": ["进度滞后"] * 8 + ["突变"] * 3 + ["断点"] * 3,
        "severity": ["红"] * 6 + ["黄"] * 8,
        "suppressed": [False] * 13 + [True],
    })
    con = db.connect_writer(copy)
    con.register("f", flags)
    con.execute("CREATE OR REPLACE TABLE marts.anomalies AS SELECT * FROM f")
    con.close()
    out = tmp_path / "v000001.public.duckdb"
    pub.build_public(copy, out)
    counts = db.query(out, "SELECT * FROM public.flag_counts")
    by = counts.set_index(["dimension", "category"])
    assert by.loc[("severity", "红"), "n_flags"] == 6
    assert by.loc[("severity", "黄"), "n_flags"] == 7          # the suppressed (已说明) flag is not counted
    assert by.loc[("severity", "橙"), "n_flags"] == 0
    assert pd.isna(by.loc[("rule", "突变"), "n_flags"]) and by.loc[("rule", "突变"), "suppressed"]  # 3 subjects
    # 突变 3 + 断点 2 would be known from the severity total minus 进度滞后, pinning each to 1–4:
    # 进度滞后 is hidden with them
    assert by.loc[("rule", "进度滞后"), "suppressed"] and pd.isna(by.loc[("rule", "进度滞后"), "n_flags"])
    assert by.loc[("level", "任务"), "n_flags"] == 8
    meta = db.query(out, "SELECT value FROM public.meta WHERE key = 'has_flags'")["value"].iloc[0]
    assert meta == "true"
    assert scan_public(out, copy) == []
    db.close_all()


def test_builds_without_model_marts(published_home):
    """An ingestion-only version (no marts from the models) still gets a valid, mostly empty file."""
    version = published_home.current()["version"]
    public = published_home.public_path(version)
    assert public.exists()  # written by the ingest that made the fixture
    tables = tables_of(public)
    assert set(tables) == set(pub.SCHEMAS)
    assert tables["unit_ranking"].empty and tables["quadrant_counts"].empty and tables["flag_counts"].empty
    assert len(tables["indicator_board"]) == 5  # the indicators the batch delivers, no empty rows


def test_a_failed_build_leaves_no_public_file(demo, tmp_path, monkeypatch):
    _, full, _ = demo
    copy = _copy_version(full, tmp_path)
    out = tmp_path / "v000001.public.duckdb"

    def boom(con, name, schema, frame):
        if name == "trends":
            raise RuntimeError("disk full")
        return original(con, name, schema, frame)

    original = pub._write_table
    monkeypatch.setattr(pub, "_write_table", boom)
    with pytest.raises(RuntimeError):
        pub.build_public(copy, out)
    assert not out.exists()  # never a half file under the final name
    # what is left is a *.building file, which Home.clean_partial removes on the next start
    assert all(p.name.startswith("v000001.public.duckdb.building") for p in tmp_path.glob("*.building*"))
    db.close_all()


def test_ingest_publishes_nothing_when_the_public_build_fails(published_home, tmp_path, monkeypatch):
    from pipelines import ingest as ingest_mod
    from tests.conftest import write_valid_batch

    before = published_home.current()["version"]

    def boom(full, public):
        raise RuntimeError("public build failed")

    monkeypatch.setattr(ingest_mod, "build_public", boom)
    batch = write_valid_batch(tmp_path / "b2", months=7)
    with pytest.raises(RuntimeError):
        ingest_mod.ingest(batch, published_home, steps=[])
    assert published_home.current()["version"] == before


# --- complementary suppression: an attacker with the public file ------------------------------
# The attacker holds the public file and what an outsider may know anyway: the number of tasks on
# the county's task list each month and the number of cadres assessed each quarter. Each linear
# rule is applied only where it leaves exactly one unknown, so what it yields is a value the
# attacker can be sure of (no peeking at the truth to choose); the truth only scores the attack.

def _solve(known: dict, equations: list[tuple[dict, float]]) -> dict:
    """Propagate Σ coef·cell = rhs: any equation with one unknown left is solved, repeatedly."""
    known = dict(known)
    progress = True
    while progress:
        progress = False
        for coefs, rhs in equations:
            unknown = [k for k in coefs if k not in known]
            if len(unknown) == 1 and coefs[unknown[0]] != 0:
                rest = sum(c * known[k] for k, c in coefs.items() if k in known)
                known[unknown[0]] = (rhs - rest) / coefs[unknown[0]]
                progress = True
    return known


def _recovered(hidden: dict, truth: dict, equations: list[tuple[dict, float]], known: dict, how: str) -> list[str]:
    solved = _solve(known, equations)
    return [f"{how}: {key} = {truth[key]}" for key in hidden
            if key in solved and round(solved[key]) == truth[key]]


def card_attack(public: Path, full: Path) -> list[str]:
    """Monthly card counts: total − visible cards; 按期推进率 × total; total = green ÷ rate; the rate's
    group size as a denominator (one task per cadre); rate group size − visible people."""
    cards = db.query(public, "SELECT * FROM public.card_counts")
    rates = db.query(public, "SELECT * FROM public.trends WHERE series = 'on_track_rate'").set_index("period")
    truth = db.query(full, """SELECT period, card, count(*) AS n_tasks, count(DISTINCT lead_cadre_id) AS n_people
                              FROM marts.task_status WHERE card IS NOT NULL GROUP BY ALL""")
    tasks = {(p, c): int(n) for p, c, n in zip(truth["period"], truth["card"], truth["n_tasks"])}
    people = {(p, c): int(n) for p, c, n in zip(truth["period"], truth["card"], truth["n_people"])}
    found = []
    for period, month in cards.groupby("period"):
        hidden = month[month["suppressed"].astype(bool)]
        if hidden.empty:
            continue
        shown = month[~month["suppressed"].astype(bool)]
        keys = [(period, c) for c in pub.CARDS]
        true_t = {k: tasks.get(k, 0) for k in keys}
        true_p = {k: people.get(k, 0) for k in keys}
        known_t = {(period, c): float(n) for c, n in zip(shown["card"], shown["n_tasks"])}
        known_p = {(period, c): float(n) for c, n in zip(shown["card"], shown["n_people"])}
        hidden_keys = [(period, c) for c in hidden["card"]]
        total = float(sum(true_t.values()))                       # the task list is public
        whole = {k: 1.0 for k in keys}
        green = (period, "绿")
        rate = rates.loc[period] if period in rates.index and not bool(rates.loc[period, "suppressed"]) else None
        sets = [("任务总数 − 可见牌数", [(whole, total)])]
        if rate is not None:
            r = float(rate["value"]) / 100.0
            sets.append(("推进率 × 任务总数", [({green: 1.0}, r * total), (whole, total)]))
            if r > 0:  # total = green / rate, then total − visible
                sets.append(("绿牌 ÷ 推进率", [({**whole, green: 1.0 - 1.0 / r}, 0.0)]))
            n = float(rate["n_people"])
            sets.append(("推进率 × 推进率人数", [({green: 1.0}, r * n), (whole, n)]))
            found += _recovered(hidden_keys, true_p, [(whole, n)], known_p, "推进率人数 − 可见人数")
        for how, equations in sets:
            found += _recovered(hidden_keys, true_t, equations, known_t, how)
        # every hidden card holds at least one task: k hidden cards summing to k are all 1
        rest = total - sum(known_t.values())
        if round(rest) == len(hidden_keys) and all(true_t[k] == 1 for k in hidden_keys):
            found.append(f"隐藏格合计等于格数,每格为1: {period}")
    return found


def flag_attack(public: Path, truth: pd.DataFrame) -> list[str]:
    """Flag counts: the three breakdowns (severity, rule, level) share one total."""
    flags = db.query(public, "SELECT * FROM public.flag_counts")
    true = {(d, c): int(n) for d, c, n in zip(truth["dimension"], truth["category"], truth["n_flags"])}
    hidden = flags["suppressed"].astype(bool)
    known = {(d, c): float(n) for d, c, n in zip(flags["dimension"][~hidden], flags["category"][~hidden],
                                                 flags["n_flags"][~hidden])}
    equations = [({**{(d, c): 1.0 for c in g["category"]}, "total": -1.0}, 0.0)
                 for d, g in flags.groupby("dimension")]
    keys = list(zip(flags["dimension"][hidden], flags["category"][hidden]))
    return _recovered(keys, true, equations, known, "另一维度合计 − 可见类别")


def quadrant_attack(public: Path, full: Path) -> list[str]:
    """Quadrant counts: cadres assessed that quarter (or in a fully shown quarter) − visible quadrants."""
    quads = db.query(public, "SELECT * FROM public.quadrant_counts")
    truth = db.query(full, f"SELECT period, {pub.QUADRANT_GROUP} AS quadrant_code, count(DISTINCT cadre_id) AS n "
                           "FROM marts.quadrants GROUP BY ALL")
    true = {(p, q): int(n) for p, q, n in zip(truth["period"], truth["quadrant_code"], truth["n"])}
    complete = [g["n_people"].sum() for _, g in quads.groupby("period") if not g["suppressed"].any()]
    found = []
    for period, g in quads.groupby("period"):
        hidden = g["suppressed"].astype(bool)
        keys = [(period, q) for q in g["quadrant_code"][hidden]]
        if not keys:
            continue
        cells = {(period, q): 1.0 for q in g["quadrant_code"]}
        known = {(period, q): float(n) for q, n in zip(g["quadrant_code"][~hidden], g["n_people"][~hidden])}
        total = float(sum(v for (p, _), v in true.items() if p == period))
        found += _recovered(keys, {k: true.get(k, 0) for k in keys}, [(cells, total)], known, "干部总数 − 可见象限")
        for other in complete:  # the roster hardly changes from one quarter to the next
            found += _recovered(keys, {k: true.get(k, 0) for k in keys}, [(cells, float(other))], known,
                                "相邻季度合计 − 可见象限")
    return found


def test_attacker_cannot_recover_hidden_card_counts(demo):
    _, full, public = demo
    assert db.query(public, "SELECT count(*) AS n FROM public.card_counts WHERE suppressed")["n"].iloc[0] > 0
    assert card_attack(public, full) == []


def test_attacker_cannot_recover_hidden_flag_or_quadrant_counts(demo, tmp_path):
    """A rule with one small cell next to the severity total; a quarter with one small quadrant."""
    _, full, _ = demo
    copy = _copy_version(full, tmp_path)
    flags = pd.DataFrame({
        "flag_id": [f"F{i}" for i in range(20)], "level": ["task"] * 20,
        "unit_id": [f"U{i}" for i in range(20)], "cadre_id": [f"C{i}" for i in range(20)],
        "task_id": [f"T{i}" for i in range(20)],
        "rule": ["进度滞后"] * 11 + ["突变"] * 6 + ["断点"] * 3,
        "severity": ["红"] * 9 + ["黄"] * 11, "suppressed": [False] * 20,
    })
    con = db.connect_writer(copy)
    con.register("f", flags)
    con.execute("CREATE OR REPLACE TABLE marts.anomalies AS SELECT * FROM f")
    # exactly three cadres are 高贡献区 in the last quarter (any others there move to 低效区)
    last = con.execute("SELECT max(period) FROM marts.quadrants").fetchone()[0]
    con.execute("UPDATE marts.quadrants SET quadrant_code = 'low_low' WHERE period = $p AND quadrant_code = 'high_high'",
                {"p": last})
    con.execute("""UPDATE marts.quadrants SET quadrant_code = 'high_high', x_status = 'determined'
                   WHERE period = $p AND cadre_id IN (
                       SELECT cadre_id FROM marts.quadrants WHERE period = $p ORDER BY cadre_id LIMIT 3)""", {"p": last})
    con.close()
    out = tmp_path / "v000001.public.duckdb"
    pub.build_public(copy, out)
    truth = pd.DataFrame({"dimension": ["severity", "severity", "severity", "rule", "rule", "rule", "level"],
                          "category": ["红", "橙", "黄", "进度滞后", "突变", "断点", "任务"],
                          "n_flags": [9, 0, 11, 11, 6, 3, 20]})
    shown = db.query(out, "SELECT * FROM public.flag_counts").set_index(["dimension", "category"])
    assert shown.loc[("rule", "断点"), "suppressed"]
    assert flag_attack(out, truth) == []
    quads = db.query(out, "SELECT * FROM public.quadrant_counts WHERE period = $p", {"p": last})
    assert quads.set_index("quadrant").loc["高贡献区", "suppressed"]
    assert quadrant_attack(out, copy) == []
    assert card_attack(out, copy) == []
    assert scan_public(out, copy) == []
    db.close_all()


def test_no_count_of_people_is_broken_down_by_unit(demo):
    """A parent's count minus its visible children would reveal a hidden child: counts about
    people are county-wide only, and the unit tables carry no counts of people."""
    _, _, public = demo
    tables = tables_of(public)
    for name, frame in tables.items():
        if "n_people" in frame:  # ("unit" alone is a unit of measure, e.g. %)
            assert not {c for c in frame.columns if c.startswith("unit_") or "parent" in c}, name
    assert not {c for c in tables["unit_ranking"].columns if c.startswith("n_") and c != "n_units"}


# --- 核验记录: the big screen counts the figures cards and scores use (issue 13) ---------------

@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    """The valid batch whose version applies K001 (T01 2024-06: 45 % reported, 30 % on site) and
    K002 (U01 货物出口额 2023-06: 1205 reported, 1180 on site); see tests/checks_batch.py."""
    from tests.checks_batch import checked_home

    yield checked_home(tmp_path_factory).current_path()
    db.close_all()


def test_card_counts_and_the_on_track_rate_count_the_checked_progress(checked):
    """Cards computed again from the reported progress alone give T01 a green card in 2024-06;
    the public counts and 按期推进率 have it orange, as marts.task_status does."""
    from models import cards
    from tests.checks_batch import TASK

    period = TASK["period"]
    reported = cards.task_status(db.query(checked, "SELECT * FROM raw.tasks"),
                                 db.query(checked, "SELECT * FROM raw.task_progress"))
    reported = reported[reported["period"] == period].set_index("task_id")["card"]
    assert reported[TASK["task_id"]] == "绿"
    expected = reported.copy()
    expected[TASK["task_id"]] = "橙"
    full = pub._Full(checked)
    counts = pub.card_counts(full)
    got = counts[counts["period"] == period].set_index("card")["n_tasks"].to_dict()
    assert got == {c: int((expected == c).sum()) for c in pub.CARDS}
    assert got != {c: int((reported == c).sum()) for c in pub.CARDS}
    rate = pub.trends(full, pub.indicator_board(full), pub._info(full).get("as_of", ""))
    rate = rate[(rate["series"] == "on_track_rate") & (rate["period"] == period)]["value"]
    assert rate.tolist() == [pytest.approx(100.0 * (expected == "绿").mean())]


def _without_check_figures(path: Path, tmp_path: Path) -> Path:
    """A copy of the version as a build before 核验记录 existed would leave it."""
    copy = _copy_version(path, tmp_path)
    con = db.connect_writer(copy)
    con.execute("DROP TABLE marts.check_figures")
    con.close()
    return copy


def test_indicator_board_and_completion_count_the_checked_value(checked, tmp_path):
    """The county 货物出口额 of 2023-06 sums U01's on-site 1180 instead of its reported 1205, like
    marts.unit_scores; without check figures it is the plain sum of the delivered values."""
    from tests.checks_batch import SERIES

    ind, period, delta = SERIES["indicator"], SERIES["period"], SERIES["verified"] - SERIES["reported"]
    delivered = db.query(checked, "SELECT sum(coalesce(verified_value, value)) AS v, sum(target) AS t "
                                  "FROM staging.indicator_values WHERE indicator = $i AND period = $p",
                         {"i": ind, "p": period}).iloc[0]
    scored = db.query(checked, "SELECT value FROM marts.unit_scores WHERE unit_id = $u AND indicator = $i "
                               "AND period = $p", {"u": SERIES["unit_id"], "i": ind, "p": period})["value"]
    assert scored.tolist() == [SERIES["verified"]]

    def board_and_completion(path):
        full = pub._Full(path)
        board = pub.indicator_board(full).set_index("indicator").loc[ind]
        trend = pub.trends(full, pub.indicator_board(full), pub._info(full).get("as_of", ""))
        completion = trend[(trend["series"] == f"completion:{ind}") & (trend["period"] == period)]["value"]
        return board, completion.iloc[0]

    board, completion = board_and_completion(checked)
    assert board["period"] == period
    assert board["value"] == pytest.approx(delivered["v"] + delta)
    assert completion == pytest.approx(100.0 * (delivered["v"] + delta) / delivered["t"])
    before, completion0 = board_and_completion(_without_check_figures(checked, tmp_path))
    assert before["value"] == pytest.approx(delivered["v"])
    assert completion0 == pytest.approx(100.0 * delivered["v"] / delivered["t"])
    db.close_all()
