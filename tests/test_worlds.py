"""Any contract-valid batch works end to end, not only the demo.

Generated worlds (tests/worlds.py) of every shape (a subset of tables, month/quarter/year
periods, flat or two- or three-level unit trees, 1 unit and 1 cadre up, optional columns
present or not, custom indicators) must ingest (exit 0), export every result table, and render
every page without an exception or a literal nan/None. The named worlds below reproduce the
failures found by trying fifteen realistic batches.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from streamlit.testing.v1 import AppTest

from pipelines import db
from pipelines.home import Home
from tests.demo_world import ROOT
from tests.worlds import ALL_TABLES, MOVERS, World, build, open_on, run_page, worlds

EXPORTS = ("contributions", "platform_effects", "quadrants", "anomalies", "task_status", "cadre_scores",
           "unit_scores", "inspection_targets")
ANALYST_PAGES = ("home", "screen", "quadrants", "cadre", "unit", "anomalies", "briefing", "methods")
ADMIN_PAGES = ("data",)
LITERAL_MISSING = re.compile(r"(?<![A-Za-z_])(nan|None|NaN|NaT|<NA>)(?![A-Za-z_])")

NAMED = {
    "tasks_only": World(seed=2, tables=frozenset({"tasks", "task_progress"}), core=False, custom=0),
    "custom_indicators_only": World(seed=3, tables=frozenset({"indicator_values"}), core=False, custom=2),
    "people_only": World(seed=4, tables=frozenset({"assignments"}), core=False, custom=0),
    "yearly_values_quarterly_tasks": World(seed=5, value_freq="year", task_freq="quarter", end="2025-12"),
    "three_level_city": World(seed=6, depth=3, n_units=4, n_cadres=7),
    "one_unit_one_cadre": World(seed=7, n_units=1, n_cadres=1),
    "no_tasks_open_posts_9999": World(seed=8, tables=frozenset(set(ALL_TABLES) - {"tasks", "task_progress"}),
                                      n_units=4, n_cadres=6, open_end="9999-12-31"),
}


@pytest.fixture(scope="module")
def named(built_world):
    """named('people_only') → the home of that named world, built once per session."""
    return lambda name: built_world(NAMED[name])


def run_exports(home: Home, out: Path, briefing: bool = False) -> None:
    """Every result table as CSV; with ``briefing``, the field-visit briefing of the first unit and
    the first cadre as Excel and PDF (the PDF needs fonts-noto-cjk)."""
    from pipelines.export import export

    for name in EXPORTS:
        export(home, name, out / f"{name}.csv")
        assert (out / f"{name}.csv").exists()
    if not briefing:
        return
    from pipelines.briefing import build_briefing, write_briefing

    version = home.current_path()
    units = db.query(version, "SELECT unit_id FROM staging.units ORDER BY unit_id LIMIT 1")["unit_id"].tolist()
    cadres = db.query(version, "SELECT cadre_id FROM staging.cadres ORDER BY cadre_id LIMIT 1")["cadre_id"].tolist()
    for who in ({"unit_ids": units}, {"cadre_ids": cadres}):
        if not next(iter(who.values())):
            continue
        b = build_briefing(version, **who)
        for suffix in (".xlsx", ".pdf"):
            write_briefing(b, out / f"brief{suffix}")
            assert (out / f"brief{suffix}").stat().st_size > 0


def grant_access(home: Home) -> None:
    users = {"ana": {"role": "analyst"}, "adm": {"role": "admin"}}
    (home.root / "access.yaml").write_text(yaml.safe_dump({"identity": "local", "users": users}), encoding="utf-8")


def shown_text(at: AppTest) -> str:
    """Everything a reader sees as text: headings, markdown, captions, alerts, metrics, html, cells."""
    parts = [e.value for kind in ("title", "header", "subheader", "markdown", "caption", "error", "warning",
                                  "info", "success") for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value} {m.delta or ''}" for m in at.metric]
    parts += [h.proto.body for h in at.get("html")]
    for frame in at.dataframe:
        value = getattr(frame.value, "data", frame.value)
        for col in value.columns:
            if value[col].dtype == object or str(value[col].dtype).startswith("string"):
                # a missing text cell is drawn as a grey "None" by st.dataframe
                parts += [str(v) if v is not None and v == v else "None" for v in value[col]]
    return "\n".join(str(p) for p in parts)


def render_pages(home: Home, monkeypatch) -> dict[str, str]:
    """Open every page as the role that may see it; returns the text each page shows."""
    grant_access(home)
    monkeypatch.setenv("SHIJI_HOME", str(home.root))
    shown = {}
    for identity, pages in (("ana", ANALYST_PAGES), ("adm", ADMIN_PAGES)):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
        at.session_state["_local_identity"] = identity
        for page in pages:  # each page in the same session, the first one opened as a deep link
            open_on(at, page)
            assert not at.exception, (page, [e.stack_trace for e in at.exception])
            text = shown_text(at)
            assert not LITERAL_MISSING.search(text), (page, LITERAL_MISSING.search(text), text[:2000])
            shown[page] = text
    db.close_all()
    return shown


@pytest.mark.parametrize("name", sorted(NAMED))
def test_named_world_ingests_exports_and_renders(name, named, tmp_path, monkeypatch):
    home = named(name)
    run_exports(home, tmp_path, briefing=True)
    render_pages(home, monkeypatch)


def test_as_of_comes_from_every_period_kind(named):
    home = named("yearly_values_quarterly_tasks")
    info = db.query(home.current_path(), "SELECT value FROM meta.info WHERE key = 'as_of'")
    assert info["value"].iloc[0] == "2025-12"


def test_three_level_city_counts_each_place_once(named):
    home = named("three_level_city")
    version = home.current_path()
    leaves = db.query(version, """
        SELECT period, sum(value) AS v FROM staging.indicator_values
        WHERE indicator = 'gpb_revenue' AND unit_id LIKE 'T%' GROUP BY period""").set_index("period")["v"]
    board = db.query(home.public_path(home.current()["version"]),
                     "SELECT * FROM public.indicator_board WHERE indicator = 'gpb_revenue'").iloc[0]
    # the city reports its own total, which already holds its districts and their towns
    assert board["value"] == pytest.approx(leaves[board["period"]], rel=1e-3)
    assert board["n_units"] == 1 and board["aggregation"] == "台州市"
    types = set(db.query(version, "SELECT unit_type FROM staging.units")["unit_type"])
    assert {"市", "区"} <= types


def test_board_shows_the_delivered_indicators_in_dictionary_order(named):
    home = named("custom_indicators_only")
    board = db.query(home.public_path(home.current()["version"]), "SELECT * FROM public.indicator_board ORDER BY seq")
    assert list(board["indicator"]) == ["c_sat", "c_green"]
    meta = dict(db.query(home.public_path(home.current()["version"]), "SELECT * FROM public.meta").values)
    assert "地区生产总值增速" in meta["undelivered_core"]


def test_county_without_tasks_open_posts_9999(named, monkeypatch):
    home = named("no_tasks_open_posts_9999")
    version = home.current_path()
    posts = db.query(version, "SELECT * FROM staging.assignments")
    assert posts["end"].isna().sum() >= 1 and (posts["in_post"] == posts["end"].isna()).all()
    # no task table: the units a cadre led still give him a score and a quadrant y
    leaders = set(db.query(version, """
        SELECT DISTINCT a.cadre_id FROM staging.assignments AS a JOIN marts.unit_scores AS s USING (unit_id)
        WHERE a.share > 0 AND s.score IS NOT NULL
          AND year(a.start) <= s.year AND (a."end" IS NULL OR year(a."end") >= s.year)""")["cadre_id"])
    scored = db.query(version, "SELECT * FROM marts.cadre_scores WHERE performance_score IS NOT NULL")
    assert leaders and leaders <= set(scored["cadre_id"]) and set(scored["basis"]) == {"所任单位指标"}
    assert leaders <= set(db.query(version, "SELECT cadre_id FROM marts.quadrants WHERE y IS NOT NULL")["cadre_id"])
    at = open_page(named("no_tasks_open_posts_9999"), monkeypatch, "cadre", cadre=sorted(leaders)[0])
    table = next(f.value for f in at.dataframe if "实绩分构成" in f.value.columns)
    assert set(table["实绩分构成"]) <= {"所任单位指标", "无实绩数据"} and "所任单位指标" in set(table["实绩分构成"])


# CI runs a fixed set of 4 generated worlds (the named worlds above cover the shapes users sent) (derandomized) plus the @examples; a deeper local run:
# SHIJI_WORLDS=200 python -m pytest tests/test_worlds.py -k generated (random, new worlds each time).
DEEP = int(os.environ.get("SHIJI_WORLDS", "0"))


@settings(max_examples=DEEP or 4, deadline=None, derandomize=not DEEP, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(world=worlds())
@example(world=World(tables=frozenset({"indicators"}), core=False, custom=0))
@example(world=World(tables=frozenset({"assignments", "indicator_values", "task_progress"}), n_units=2, n_cadres=1,
                     first_year=2022, end="2025-01", core=False, custom=2, optional_columns=False))  # None in a table
def test_generated_worlds_ingest_export_and_render(world, tmp_path_factory, monkeypatch):
    base = tmp_path_factory.mktemp("world")
    home = build(world, base)
    run_exports(home, base)
    render_pages(home, monkeypatch)


def open_page(home: Home, monkeypatch, page: str, **params) -> AppTest:
    grant_access(home)
    monkeypatch.setenv("SHIJI_HOME", str(home.root))
    at = run_page("ana", page, **params)
    assert not at.exception, [e.stack_trace for e in at.exception]
    return at


def test_cadre_without_any_post_has_a_profile(built_world, monkeypatch):
    home = built_world(MOVERS)  # the session's movers world (test_scoping): C006 holds no post
    posts = db.query(home.current_path(), "SELECT cadre_id FROM staging.assignments")["cadre_id"]
    cadres = db.query(home.current_path(), "SELECT cadre_id FROM staging.cadres")["cadre_id"]
    assert "C006" in set(cadres) and "C006" not in set(posts)
    at = open_page(home, monkeypatch, "cadre", cadre="C006")
    assert "C006" in shown_text(at) and not LITERAL_MISSING.search(shown_text(at))
    assert any("没有任职记录" in t for t in shown_text(at).splitlines())


def test_unit_page_when_attribution_had_nothing_to_fit(named, monkeypatch):
    home = named("people_only")
    assert db.query(home.current_path(), "SELECT count(*) AS n FROM marts.platform_effects")["n"].iloc[0] == 0
    at = open_page(home, monkeypatch, "unit", unit="T01")
    assert "第1单位" in shown_text(at)
