"""The profile queries (ui/profile_queries.py, ui/unit_queries.py) on the small batch with two
核验记录 (tests/checks_batch.py): the verified figure the cards and scores use comes with the
reported one beside it, and task shares follow the build's rule and the weights in use."""
import pytest

from pipelines import db
from ui import profile_queries as pq
from ui import unit_queries as uq
from tests.reference_edit import edited_reference
from ui.queries import Scope


def test_a_cadres_task_shows_the_verified_figure_with_the_report_beside_it(checked):
    from tests.checks_batch import TASK

    tasks = pq.cadre_tasks(Scope(), "C02").set_index("task_id")
    row = tasks.loc[TASK["task_id"]]
    assert row["last_period"] == TASK["period"]
    assert (row["actual_pct"], row["reported_pct"], row["check_id"]) == (TASK["verified"], TASK["reported"], "K001")
    assert row["gap_pp"] == pytest.approx(TASK["verified"] - TASK["planned"])  # the card's gap uses the check
    history = pq.cadre_card_history(Scope(), "C02").set_index(["task_id", "period"])
    assert history.loc[(TASK["task_id"], TASK["period"]), "check_id"] == "K001"
    assert history.drop(index=(TASK["task_id"], TASK["period"]))["check_id"].isna().all()


def test_a_units_tasks_and_scores_carry_the_check_and_the_reported_figure(checked):
    from tests.checks_batch import SERIES, TASK

    task = uq.unit_tasks(Scope(), "U01").set_index("task_id").loc[TASK["task_id"]]
    assert (task["actual_pct"], task["reported_pct"], task["check_id"]) == (TASK["verified"], TASK["reported"], "K001")
    scores = uq.unit_scores(Scope(), SERIES["unit_id"]).set_index(["indicator", "period"])
    row = scores.loc[(SERIES["indicator"], SERIES["period"])]
    assert (row["value"], row["reported_value"], row["check_id"]) == (SERIES["verified"], SERIES["reported"], "K002")
    assert row["value_source"] == "现场核验"
    rest = scores.drop(index=(SERIES["indicator"], SERIES["period"]))
    assert rest["check_id"].isna().all() and rest["reported_value"].isna().all()
    # another unit's inspector sees none of it
    assert uq.unit_scores(Scope(role="inspector", units=frozenset({"U02"}), identity="i"), "U01").empty


def test_task_shares_are_the_builds_rule_stored_with_the_version(checked, tmp_path, monkeypatch):
    """Shares come from marts.task_roles, the rule the build applied with the weights in use then:
    a weights.yaml edited after the build changes nothing shown until the next build, so the
    shares on the page stay the ones the version's estimates rest on."""
    from models.cards import task_roles
    from models.config import load_reference

    shares = load_reference("weights")["performance"]["role_shares"]
    lead = pq.cadre_task_shares(Scope(), "C02").set_index("task_id")["share"]
    co = pq.cadre_task_shares(Scope(), "C01").set_index("task_id")["share"]
    assert lead["T01"] == pytest.approx(float(shares["lead"])) and co["T01"] == pytest.approx(float(shares["co"]))
    tasks = db.query(checked.current_path(), "SELECT * FROM staging.tasks")
    roles = task_roles(tasks)
    assert lead.to_dict() == pytest.approx(roles[roles["cadre_id"] == "C02"].set_index("task_id")["share"].to_dict())
    # the tasks a cadre is on, and as what, are the same stored rule
    mine = pq.cadre_tasks(Scope(), "C01").set_index("task_id")["role"]
    assert set(mine.index) == set(co.index) and mine["T01"] == "co"
    assert pq.cadre_tasks(Scope(), "C02").set_index("task_id").loc["T01", "role"] == "lead"
    new_lead = round(1.0 - float(shares["lead"]) / 2, 2)
    edited = edited_reference(tmp_path, {"weights": lambda w: w["performance"].update(
        role_shares={"lead": new_lead, "co": round(1.0 - new_lead, 2)})})
    monkeypatch.setenv("SHIJI_REFERENCE_DIR", str(edited))
    assert pq.cadre_task_shares(Scope(), "C02").set_index("task_id")["share"]["T01"] == pytest.approx(float(shares["lead"]))


def test_the_interval_applies_to_the_quarter_fitted_on_all_the_data(demo_world, monkeypatch):
    """ci_applies marks the quarter ending in the as-of month (the build fits it on all the data,
    like the current estimate), not quarters whose x happens to equal the current one."""
    from pipelines.home import Home

    home = demo_world[1]
    monkeypatch.setenv("SHIJI_HOME", str(home))
    points = pq.quadrant_points(Scope())
    as_of = pq.as_of(Scope())
    year, quarter = points["period"].str[:4].astype(int), points["period"].str[-1].astype(int)
    ends_at_as_of = (year.astype(str) + "-" + (3 * quarter).map("{:02d}".format)) == as_of
    expected = ends_at_as_of & points["x"].notna() & points["x_current"].notna()
    assert points["ci_applies"].tolist() == expected.tolist()
    applied = points[points["ci_applies"]]
    if len(applied):  # the build's fit of that quarter is the current estimate
        assert (applied["x"] - applied["x_current"]).abs().max() < 1e-6
    db.close_reader(Home(home).current_path())


def test_task_shares_of_a_cadre_outside_the_scope_are_not_returned(checked):
    inspector = Scope(role="inspector", units=frozenset({"U02"}), identity="i")
    assert len(pq.cadre_task_shares(Scope(), "C02")) and pq.cadre_task_shares(inspector, "C02").empty


def test_a_quadrant_renamed_after_publishing_reads_with_its_new_name_and_colour(demo_world, tmp_path, monkeypatch):
    """The marts store quadrant codes; names are quadrants.yaml's labels put on at render and
    export: a version published before the rename shows the new names, each on its own colour,
    on the quadrant page, in the export and on the wall."""
    from models.config import load_reference
    from pipelines.export import result_frame
    from pipelines.home import Home
    from ui import charts, palette
    from ui import public_queries as pub_q

    home = Home(demo_world[1])
    monkeypatch.setenv("SHIJI_HOME", str(home.root))
    before = load_reference("quadrants")["names"]
    renamed = {code: f"{name}(新)" for code, name in before.items()}
    monkeypatch.setenv("SHIJI_REFERENCE_DIR", str(edited_reference(tmp_path, {"quadrants": lambda q: q.update(
        names=renamed)})))
    qcfg = load_reference("quadrants")
    assert qcfg["names"] == renamed
    points = pq.quadrant_points(Scope())
    assert (points["quadrant"] == points["quadrant_code"].map(renamed)).all()
    now = points[points["period"] == points["period"].max()]
    placed = now[now["x_status"] == "determined"]
    assert placed["quadrant_code"].nunique() >= 2
    traces = {t.name: t for t in charts.quadrant_scatter(now, qcfg, show_intervals=False).data}
    for code, part in placed.groupby("quadrant_code"):
        trace = traces[renamed[code]]
        assert trace.marker.color == palette.QUADRANT[code]
        assert sorted(c[0] for c in trace.customdata) == sorted(part["cadre_id"])
    exported = result_frame(home, "quadrants")
    assert list(exported.columns[:5]) == ["cadre_id", "period", "x", "y", "quadrant"]
    assert set(exported["quadrant"]) <= set(renamed.values())
    assert (exported["quadrant"] == exported["quadrant_code"].map(renamed)).all()
    wall = pub_q.quadrant_counts(home.public_path(home.current()["version"]))
    assert set(renamed.values()) <= set(wall["quadrant"])
    assert not set(before.values()) & set(wall["quadrant"])
