"""Property tests of the query layer (issue 7): every query function, every role, generated
scopes — rows never leave the allowed units; principals never share cached rows; hostile values
are harmless; exports never carry a formula."""
import csv
import inspect
import itertools
import json
import os
import random
import re
import shutil
import subprocess

import openpyxl
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from pipelines import db
from pipelines.export import FORMULA_PREFIXES, write_table
from pipelines.home import Home
from ui import desk_queries, landing_queries, model_queries, profile_queries, queries, unit_queries
from tests.worlds import MOVERS, run_page
from ui.queries import Scope

# Every module of scoped reads (a function whose first parameter is ``scope``); ui/version_queries
# only asks what the version file holds.
MODULES = (queries, desk_queries, profile_queries, unit_queries, landing_queries, model_queries)
NOT_DATA = {"current_version_path", "run", "table_exists", "as_of", "sees", "scope_params", "sees_in_full",
            "seen_in_full"}


@pytest.fixture(scope="module")
def world(demo_world):
    import os

    os.environ["SHIJI_HOME"] = str(demo_world[1])
    path = Home(demo_world[1]).current_path()
    units = db.query(path, "SELECT unit_id FROM staging.units ORDER BY 1")["unit_id"].tolist()
    cadres = db.query(path, "SELECT cadre_id FROM staging.cadres ORDER BY 1")
    tasks = db.query(path, "SELECT task_id, unit_id FROM staging.tasks ORDER BY 1")
    yield {"units": units, "cadres": cadres, "tasks": tasks, "homes": home_units(path), "home": Home(demo_world[1])}
    os.environ.pop("SHIJI_HOME", None)


def query_functions():
    for module in MODULES:
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and not name.startswith("_") and name not in NOT_DATA:
                params = list(inspect.signature(fn).parameters)
                if params and params[0] == "scope":
                    yield f"{module.__name__}.{name}", fn


def _arguments(fn, rng: random.Random, world) -> dict:
    args = {}
    for name, p in list(inspect.signature(fn).parameters.items())[1:]:
        if name in ("cadre_id",):
            args[name] = rng.choice(world["cadres"]["cadre_id"].tolist())
        elif name in ("unit_id", "unit"):
            args[name] = rng.choice(world["units"])
        elif name == "task_id":
            args[name] = rng.choice(world["tasks"]["task_id"].tolist())
        elif name == "indicator":
            args[name] = "exports"
        elif name == "home":
            args[name] = world["home"]
        elif name == "grade_scores":
            args[name] = {"好": 100, "较好": 80, "一般": 60, "差": 40}
        elif p.default is inspect.Parameter.empty:
            raise AssertionError(f"no generator for parameter {name} of {fn.__name__}")
    return args


FUNCTIONS = list(query_functions())


def test_the_property_covers_the_query_modules():
    # 38 scoped reads in six modules; a read moved to a module not in MODULES lowers the count
    assert len(FUNCTIONS) >= 38


# What a unit's row may say about a person who only served there (``in_full`` false).
HISTORY_FIELDS = {"unit_id", "cadre_id", "name", "post", "posts", "start", "end", "first_start", "last_end",
                  "share", "indicators", "in_post", "in_full"}
PERSON_FIELDS = ("cadre_id", "lead_cadre_id")


def assert_rows_allowed(frame: pd.DataFrame, units, homes: dict, name: str) -> None:
    """Unit rows only of allowed units; a row naming a person only when the person is seen in
    full (current or last post in an allowed unit), or, flagged ``in_full`` false, the person's
    post in an allowed unit and nothing else."""
    if units is None:
        return
    for row in frame.to_dict("records"):
        people = [row[c] for c in PERSON_FIELDS if c in row and not pd.isna(row[c])]
        if "in_full" in row and not row["in_full"]:
            assert row["unit_id"] in units and homes.get(row["cadre_id"]) not in units, (name, row)
            assert all(pd.isna(v) for k, v in row.items() if k not in HISTORY_FIELDS), (name, row)
        elif people:
            assert all(homes.get(p) in units for p in people), (name, row)
        elif "unit_id" in row:
            assert row["unit_id"] in units, (name, row)


@pytest.mark.parametrize("name,fn", FUNCTIONS, ids=[n for n, _ in FUNCTIONS])
def test_rows_stay_inside_generated_scopes(world, name, fn):
    rng = random.Random(name)
    for trial in range(4):
        allowed = frozenset(rng.sample(world["units"], rng.choice([0, 1, 3, 8])))
        for role in ("inspector", "analyst"):
            scope = Scope(role=role, units=allowed if role == "inspector" else None, identity=f"p{trial}{role}")
            result = fn(scope, **_arguments(fn, rng, world))
            if isinstance(result, pd.DataFrame):
                assert_rows_allowed(result, scope.units, world["homes"], name)


def test_two_principals_with_the_same_filters_get_their_own_rows(world):
    a = Scope(role="inspector", units=frozenset({world["units"][0]}), identity="a")
    b = Scope(role="inspector", units=frozenset({world["units"][1]}), identity="b")
    ra, rb = desk_queries.flags(a), desk_queries.flags(b)
    assert set(ra["unit_id"]) <= a.units and set(rb["unit_id"]) <= b.units
    assert queries.units(a)["unit_id"].tolist() == [world["units"][0]]
    assert queries.units(b)["unit_id"].tolist() == [world["units"][1]]


@pytest.mark.parametrize("hostile", ["' OR 1=1 --", "x'; DROP TABLE staging.units; --", "\u2018 OR \u20181\u2019=\u20181", "；DROP"])
def test_hostile_values_match_nothing(world, hostile):
    scope = Scope()
    assert profile_queries.cadre_profile(scope, hostile).empty
    assert desk_queries.task_progress(scope, hostile).empty
    assert len(queries.units(scope)) == len(world["units"])  # nothing was dropped


DANGEROUS = st.sampled_from(list(FORMULA_PREFIXES))
CELL = st.one_of(st.text(max_size=12), st.tuples(DANGEROUS, st.text(max_size=12)).map("".join),
                 st.floats(allow_nan=False, allow_infinity=False, width=32), st.integers(-10**6, 10**6))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(CELL, CELL), min_size=1, max_size=6))
@example(rows=[("\r", -0.0), ("", "")])  # a bare CR in a cell was written unquoted and split the row
def test_exports_never_carry_a_formula(tmp_path, rows):
    frame = pd.DataFrame(rows, columns=["a", "b"])
    xlsx = write_table(frame, tmp_path / "x.xlsx")
    for row in openpyxl.load_workbook(xlsx).active.iter_rows(min_row=2):
        for cell, original in zip(row, frame.loc[row[0].row - 2]):
            assert cell.data_type != "f"
            if isinstance(cell.value, str):
                assert not cell.value.startswith(FORMULA_PREFIXES)
            if isinstance(original, (int, float)) and not isinstance(original, bool):
                assert isinstance(cell.value, (int, float))  # numbers stay numbers
    out = write_table(frame, tmp_path / "x.csv")
    with open(out, encoding="utf-8", newline="") as fh:
        parsed = list(csv.reader(fh))[1:]
    for fields, original in zip(parsed, frame.itertuples(index=False)):
        for field, value in zip(fields, original):
            if isinstance(value, str):
                assert not field.startswith(FORMULA_PREFIXES)


# --- who may be seen: a small world with movers (issue 11, item 5) ------------------------------
# tests/worlds.py MOVERS (seed 0): C001 led T01 and moved to a deputy post in T02; C002 left T02
# and holds no post now (last post T02); C004 left T01 (last post T01); C006 never held a post.
# The facts are asserted below.
MOVER, MOVED_FROM, MOVED_TO = "C001", "T01", "T02"


@pytest.fixture(scope="module")
def movers(built_world):
    home = built_world(MOVERS)  # built once per session, shared with test_worlds
    posts = db.query(home.current_path(), 'SELECT cadre_id, unit_id, in_post FROM staging.assignments')
    mover = posts[posts["cadre_id"] == MOVER]
    assert set(mover["unit_id"]) == {MOVED_FROM, MOVED_TO}
    assert mover.loc[mover["in_post"], "unit_id"].tolist() == [MOVED_TO]
    yield home
    db.close_all()


def open_as(home: Home, role: str, units, page: str, **params) -> AppTest:
    """Run ``page`` as a user of ``role`` with ``units`` (None = every unit), through app.py."""
    user = {"role": role, **({} if units is None else {"units": sorted(units)})}
    (home.root / "access.yaml").write_text(yaml.safe_dump({"identity": "local", "users": {"who": user}}),
                                           encoding="utf-8")
    old = os.environ.get("SHIJI_HOME")
    os.environ["SHIJI_HOME"] = str(home.root)
    try:
        at = run_page("who", page, **params)
    finally:
        if old is None:
            os.environ.pop("SHIJI_HOME", None)
        else:
            os.environ["SHIJI_HOME"] = old
    assert not at.exception, (page, [e.stack_trace for e in at.exception])
    return at


def frames(at: AppTest) -> list[pd.DataFrame]:
    return [getattr(f.value, "data", f.value) for f in at.dataframe]


def test_unit_page_shows_a_mover_only_in_its_post_history(movers):
    at = open_as(movers, "inspector", {MOVED_FROM}, "unit", unit=MOVED_FROM)
    tables = frames(at)
    history = next(t for t in tables if "止" in t.columns and "干部" in t.columns)
    assert history["干部"].str.contains(MOVER).any()  # the post he held here stays in the unit's history
    scored = [t for t in tables if {"最新象限", "个人贡献(综合)"} & set(t.columns)]
    assert scored and not any(t.astype(str).apply(lambda c: c.str.contains(MOVER)).any().any() for t in scored)


# --- every page × role × scope renders only the persons the rule allows -----------------------------
POST_HISTORY_COLUMNS = {"干部", "职级", "条线", "职务", "起", "止", "分工比例", "画像"}  # 单位档案 · 干部任职
TIMELINE_KEY = "timeline"  # the unit page's post timeline (names and posts only)


def home_units(version) -> dict[str, str]:
    """The oracle: cadre → current post's unit, else the last post's (computed here in pandas)."""
    posts = db.query(version, 'SELECT cadre_id, unit_id, start, in_post, share FROM staging.assignments')
    posts = posts.sort_values(["cadre_id", "in_post", "start", "share", "unit_id"],
                              ascending=[True, False, False, False, True], na_position="last")
    return posts.drop_duplicates("cadre_id").set_index("cadre_id")["unit_id"].to_dict()


def standing(version, units) -> dict[str, str]:
    """cadre → 'full' | 'history' (served in an allowed unit, now elsewhere) | 'none'."""
    cadres = db.query(version, "SELECT cadre_id FROM staging.cadres")["cadre_id"]
    posts = db.query(version, "SELECT cadre_id, unit_id FROM staging.assignments")
    homes = home_units(version)
    out = {}
    for c in cadres:
        served = set(posts.loc[posts["cadre_id"] == c, "unit_id"])
        if units is None or homes.get(c) in units:
            out[c] = "full"
        else:
            out[c] = "history" if served & set(units) else "none"
    return out


def mentions(version) -> dict[str, re.Pattern]:
    """cadre → a pattern for its id or its name (a name shared by two cadres is matched by id only)."""
    names = db.query(version, "SELECT cadre_id, name FROM staging.cadres")
    shared = set(names["name"][names["name"].duplicated()])
    return {c: re.compile(rf"(?<![A-Za-z0-9-]){re.escape(c)}(?![A-Za-z0-9-])"
                          + ("" if n in shared or not n else f"|{re.escape(n)}"))
            for c, n in zip(names["cadre_id"], names["name"])}


def rendered(at: AppTest) -> list[tuple[str, str]]:
    """(where, text) for every element and container of the page: table cells row by row (with the
    table's columns as where), chart data, and every other element's full message (markdown,
    metrics, widget labels and options, links)."""
    from google.protobuf import text_format

    out = []
    for node in at._tree:
        kind = getattr(node, "type", "")
        if kind == "dataframe":
            frame = getattr(node.value, "data", node.value)
            where = "table:" + "|".join(map(str, frame.columns))
            out += [(where, " ".join(map(str, row))) for row in frame.itertuples(index=False)]
        elif kind == "plotly_chart":
            spec = json.dumps(json.loads(node.proto.spec), ensure_ascii=False)
            out.append((f"chart:{getattr(node, 'key', None)}", spec))
        elif getattr(node, "proto", None) is not None:
            out.append((kind, text_format.MessageToString(node.proto, as_utf8=True)))
    return out


def assert_only_allowed_persons(at: AppTest, version, units, page: str) -> dict[str, set[str]]:
    """Every person shown is seen in full, or only in the unit page's post history (never next to a
    score); returns cadre → where it was shown."""
    standing_ = standing(version, units)
    seen: dict[str, set[str]] = {}
    for where, text in rendered(at):
        if where == "warning" and "不在您的查看范围内" in text:
            continue  # the refusal repeats the id the user asked for, nothing more
        for cadre, pattern in mentions(version).items():
            if not pattern.search(text):
                continue
            seen.setdefault(cadre, set()).add(where)
            state = standing_[cadre]
            assert state != "none", (page, units, cadre, where, text[:300])
            if state == "history":
                history = (where.startswith("table:") and set(where[6:].split("|")) <= POST_HISTORY_COLUMNS) \
                    or where == f"chart:{TIMELINE_KEY}"
                assert page == "unit" and history, (page, units, cadre, where, text[:300])
    return seen


CADRES = [f"C{i:03d}" for i in range(1, 8)]
UNITS = ["T01", "T02", "T03"]
UNIT_SETS = st.sets(st.sampled_from(UNITS), max_size=3).map(frozenset)


PERSON_PAGES = {"cadre", "unit", "briefing", "quadrants", "anomalies"}


def _role_pages() -> list[tuple[str, str]]:
    """Every (role, page) the role may open; pages that list persons count twice."""
    from ui.auth import ROLE_PAGES

    pairs = [(role, page) for role in sorted(ROLE_PAGES) for page in sorted(ROLE_PAGES[role])]
    return pairs + [p for p in pairs if p[1] in PERSON_PAGES]


@st.composite
def views(draw):
    """(role, allowed units, page, query parameters): every page a role may open; inspectors
    with no, one or several units, other roles unscoped or scoped (the access file allows it)."""
    role, page = draw(st.sampled_from(_role_pages()))
    units = draw(UNIT_SETS if role == "inspector" else st.one_of(st.none(), UNIT_SETS))
    params = {}
    if page in ("cadre", "quadrants") or (page == "briefing" and draw(st.booleans())):
        params["cadre"] = draw(st.sampled_from(CADRES))
    if page in ("unit", "briefing") and (page == "unit" or not params or draw(st.booleans())):
        params["unit"] = draw(st.sampled_from(UNITS))
    return role, units, page, params


@settings(max_examples=8, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(view=views())
@example(view=("inspector", frozenset({MOVED_FROM}), "unit", {"unit": MOVED_FROM}))
@example(view=("inspector", frozenset({MOVED_FROM}), "cadre", {"cadre": MOVER}))
@example(view=("inspector", frozenset({MOVED_FROM, "T03"}), "briefing", {"unit": MOVED_FROM}))
@example(view=("inspector", frozenset(), "anomalies", {}))
@example(view=("analyst", frozenset({MOVED_FROM}), "quadrants", {"cadre": MOVER}))
@example(view=("analyst", None, "unit", {"unit": MOVED_FROM}))
def test_pages_show_only_the_persons_the_scope_may_see(movers, view):
    role, units, page, params = view
    event(f"{role} · {page} · {'unscoped' if units is None else f'{len(units)} units'}")
    version = movers.current_path()
    at = open_as(movers, role, units, page, **params)
    seen = assert_only_allowed_persons(at, version, units, page)
    # The check has something to find: a unit page lists everyone who served there, a cadre
    # page the cadre it may open.
    if page == "unit" and (units is None or params["unit"] in units):
        posts = db.query(version, "SELECT DISTINCT cadre_id FROM staging.assignments WHERE unit_id = $u",
                         {"u": params["unit"]})
        assert set(posts["cadre_id"]) <= set(seen), (units, params, seen)
    if page == "cadre" and standing(version, units)[params["cadre"]] == "full":
        assert params["cadre"] in seen


@pytest.mark.parametrize("name,fn", FUNCTIONS, ids=[n for n, _ in FUNCTIONS])
def test_every_query_follows_the_person_rule_on_the_movers(movers, monkeypatch, name, fn):
    monkeypatch.setenv("SHIJI_HOME", str(movers.root))
    version = movers.current_path()
    world = {"units": UNITS, "cadres": pd.DataFrame({"cadre_id": CADRES}),
             "tasks": db.query(version, "SELECT task_id, unit_id FROM staging.tasks ORDER BY 1"), "home": movers}
    homes = home_units(version)
    rng = random.Random(name)
    scopes = [None] + [frozenset(s) for k in range(4) for s in itertools.combinations(UNITS, k)]
    for units in scopes:
        for trial in range(5):
            result = fn(Scope(role="inspector", units=units, identity="m"), **_arguments(fn, rng, world))
            if isinstance(result, pd.DataFrame):
                assert_rows_allowed(result, units, homes, name)


def test_a_mover_is_seen_in_full_where_he_sits_and_as_history_where_he_served(movers, monkeypatch):
    monkeypatch.setenv("SHIJI_HOME", str(movers.root))
    here = Scope(role="inspector", units=frozenset({MOVED_TO}), identity="to")
    there = Scope(role="inspector", units=frozenset({MOVED_FROM}), identity="from")
    # where he sits now: every post (also the one outside the scope), his scores and his quadrants
    assert set(profile_queries.cadre_assignments(here, MOVER)["unit_id"]) == {MOVED_FROM, MOVED_TO}
    assert len(profile_queries.cadre_scores(here, MOVER)) and len(profile_queries.cadre_quadrants(here, MOVER))
    assert MOVER in set(desk_queries.cadres_in_scope(here)["cadre_id"])
    # where he served: the post in the unit's history, nothing else
    assert profile_queries.cadre_profile(there, MOVER).empty and profile_queries.cadre_scores(there, MOVER).empty
    assert MOVER not in set(profile_queries.quadrant_points(there)["cadre_id"])
    assert MOVER not in set(desk_queries.cadres_in_scope(there)["cadre_id"])
    posts = profile_queries.unit_assignments(there, MOVED_FROM).set_index("cadre_id")
    assert not posts.loc[MOVER, "in_full"] and pd.isna(posts.loc[MOVER, "rank"])
    row = profile_queries.unit_cadres(there, MOVED_FROM).set_index("cadre_id").loc[MOVER]
    assert not row["in_full"] and pd.isna(row["quadrant"]) and pd.isna(row["grade"])
    assert row["posts"] and queries.sees(here, MOVED_TO) and not queries.sees(there, MOVED_TO)


def briefing_text(b, tmp_path) -> str:
    """What the Excel and the PDF of a briefing say, read back from the files' bytes."""
    from pipelines.briefing import write_briefing

    book = openpyxl.load_workbook(write_briefing(b, tmp_path / "b.xlsx"))
    cells = [str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    pdf = write_briefing(b, tmp_path / "b.pdf")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout \
        if shutil.which("pdftotext") else ""
    return "\n".join(cells) + "\n" + text


@pytest.mark.parametrize("units", [[MOVED_FROM], [MOVED_FROM, "T03"], [MOVED_TO], []], ids=str)
def test_briefing_files_name_only_persons_seen_in_full(movers, tmp_path, units):
    from pipelines.briefing import build_briefing

    version = movers.current_path()
    state = standing(version, set(units))
    full = sorted(c for c, s in state.items() if s == "full")
    for chosen in ({"unit_ids": units}, {"cadre_ids": full}):
        if not next(iter(chosen.values())):
            continue
        text = briefing_text(build_briefing(version, **chosen, allowed_units=units), tmp_path)
        for cadre, pattern in mentions(version).items():
            assert state[cadre] == "full" or not pattern.search(text), (units, chosen, cadre)
    for cadre in sorted(set(state) - set(full)):
        with pytest.raises(PermissionError):
            build_briefing(version, cadre_ids=[cadre], allowed_units=units)
    with pytest.raises(PermissionError):
        build_briefing(version, unit_ids=sorted(set(UNITS) - set(units))[:1] or ["T99"], allowed_units=units)


def test_unscoped_briefing_still_names_every_lead(movers, tmp_path):
    from pipelines.briefing import build_briefing

    version = movers.current_path()
    text = briefing_text(build_briefing(version, unit_ids=[MOVED_FROM]), tmp_path)
    assert mentions(version)[MOVER].search(text) and "不在查看范围" not in text  # the check above can fail
