"""Invariants of the marts over the whole county demo (issue 3): the arithmetic holds everywhere."""
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from models.config import load_reference
from models.period import period_frame
from pipelines import db
from pipelines.home import Home


@pytest.fixture(scope="module")
def q(demo_world):
    path = Home(demo_world[1]).current_path()
    return lambda sql: db.query(path, sql)


def test_cadre_totals_add_up(q):
    s = q("SELECT * FROM marts.cadre_scores WHERE total IS NOT NULL")
    assert len(s) > 300
    rating = s["rating_score"].fillna(0) * s["rating_weight_used"].fillna(0)
    expected = (s["performance_weight_used"] * s["performance_score"] + rating + s["bonus"] - s["deduction"]).clip(lower=0)
    assert np.allclose(s["total"], expected, atol=1e-6)
    both = s["rating_score"].notna()
    assert np.allclose(s.loc[both, "performance_weight_used"] + s.loc[both, "rating_weight_used"], 1.0)
    composite = load_reference("weights")["composite"]
    assert (s.loc[both, "performance_weight_used"] == composite["performance_weight"]).all()  # shipped 80/20
    assert (s["bonus"] <= composite["bonus_cap"] + 1e-9).all() and (s["total"] >= 0).all()
    assert not ((s["grade"] == "优秀") & s["red_card"]).any()


def test_every_cadre_with_tasks_has_a_score(q):
    missing = q("""
        SELECT DISTINCT r.cadre_id, t.year FROM raw.tasks AS t,
            LATERAL (SELECT t.lead_cadre_id AS cadre_id UNION ALL SELECT unnest(string_split(t.co_cadre_ids, ';'))) AS r
        WHERE r.cadre_id <> '' AND NOT EXISTS (
            SELECT 1 FROM marts.cadre_scores AS s
            WHERE s.cadre_id = r.cadre_id AND s.year = t.year AND s.performance_score IS NOT NULL)
    """)
    assert missing.empty, missing.head()


def test_cumulative_values_never_decrease_within_a_year(q):
    v = q("""SELECT unit_id, indicator, year, month_of_year, value FROM staging.indicator_values
             WHERE cumulative AND unit <> '%' ORDER BY unit_id, indicator, year, month_of_year""")
    steps = v.groupby(["unit_id", "indicator", "year"])["value"].diff().dropna()
    assert (steps >= 0).all()
    assert not q("SELECT * FROM marts.unit_scores WHERE cum_decrease").shape[0]


def test_decumulated_flows_add_back_to_the_reported_totals(q):
    o = q("""SELECT unit_id, indicator, year, month_of_year, value, period_value, months_covered
             FROM marts.indicator_outcomes WHERE cumulative ORDER BY unit_id, indicator, year, month_of_year""")
    levels = o[~o["indicator"].isin(["gdp_growth", "ind_va_growth", "fai_growth", "income_per_capita"])]
    summed = levels.groupby(["unit_id", "indicator", "year"])["period_value"].cumsum()
    assert np.allclose(summed, levels["value"])


def test_funnel_counts_are_monotone(q):
    for table in ("funnel_cadres", "funnel_units"):
        f = q(f"SELECT * FROM marts.{table}")
        stages = f[["n_signed", "n_landed", "n_started", "n_producing", "n_at_capacity"]].to_numpy()
        assert (np.diff(stages, axis=1) <= 0).all(), table


def test_task_cards_and_gaps_are_consistent(q):
    t = q("SELECT * FROM marts.task_status")
    assert np.allclose(t["gap_pp"], t["actual_pct"] - t["planned_pct"])
    assert set(t["card"]) <= {"绿", "黄", "橙", "红"}
    assert set(t["status"]) <= {"已完成", "正常推进", "进度偏慢", "滞后"}
    green = t[t["card"] == "绿"]
    assert ((green["gap_pp"] > -10 - 1e-9) | (green["status"] == "已完成")).all()
    assert (t.loc[t["gap_pp"] <= -30, "card"] == "红").all()


def test_contributions_bands_follow_intervals(q):
    c = q("SELECT * FROM marts.contributions")
    ident = c[c["identified"]]
    assert (ident.loc[ident["band"] == "高", "ci_low"] > 0).all()
    assert (ident.loc[ident["band"] == "低", "ci_high"] < 0).all()
    assert c.loc[~c["identified"], "effect"].isna().all() and (c.loc[~c["identified"], "band"] == "不可判定").all()
    assert (c["indicator"] == "*").any()


def test_quadrants_store_codes_and_unidentified_have_no_x(q):
    quad = q("SELECT * FROM marts.quadrants")
    # codes only: the names are quadrants.yaml's labels, put on at render and export time
    assert "quadrant" not in quad.columns
    assert set(quad["quadrant_code"]) <= {"high_high", "high_low", "low_high", "low_low", "unidentified"}
    assert quad.loc[quad["x_status"] == "unidentified", "x"].isna().all()
    # Placement by evidence: a quadrant only when x is determined, and then its interval stays off the cut.
    assert ((quad["quadrant_code"] == "unidentified") == (quad["x_status"] != "determined")).all()
    placed = quad[quad["x_status"] == "determined"]
    qcfg = load_reference("quadrants")  # shipped: cut 0, side level 0.9
    cut, level = float(qcfg["x_cut"]), float(qcfg["x_side_level"])
    assert ((placed["x_low"] > cut) | (placed["x_high"] < cut)).all() and (placed["p_side"] >= level).all()
    assert (quad["x_status"] == "uncertain").any() and quad.loc[quad["x_status"] == "uncertain", "x"].notna().all()
    assert quad["period"].str.match(r"^\d{4}-Q[1-4]$").all()


def test_every_flag_has_reason_with_numbers_and_hint(q):
    f = q("SELECT * FROM marts.anomalies")
    assert len(f) > 0
    assert f["reason"].str.contains(r"\d").all() and (f["check_hint"].str.len() > 0).all()
    assert set(f["severity"]) <= {"红", "橙", "黄"}
    assert pd.Series(f["flag_id"]).is_unique


def test_tasks_are_one_pooled_model_with_year_by_category_effects(q):
    """Split by category no task model of the demo had more records than cadres + units; the
    pooled model identifies cadres, and its period effects are year × category."""
    task = q("SELECT * FROM marts.contributions WHERE indicator LIKE 'task%'")
    assert set(task["indicator"]) == {"task"}
    assert task["identified"].sum() >= 100
    periods = q("SELECT period FROM marts.period_effects WHERE indicator = 'task'")["period"]
    assert periods.str.match(r"^\d{4}·.+$").all() and periods.str.split("·").str[1].nunique() >= 2


def test_records_under_a_live_data_flag_are_left_out_of_the_attribution(tmp_path):
    """A broken series range and a task with 无佐证 are not evidence about a cadre; a flag marked
    误报 or a rule about real performance (进度滞后) leaves the records in."""
    import pandas as pd

    from models.cards import task_roles
    from pipelines import db
    from pipelines.steps import attribution_inputs

    con = db.connect_writer(tmp_path / "t.duckdb")
    con.execute("CREATE SCHEMA marts; CREATE SCHEMA raw")
    months = [f"2024-{m:02d}" for m in range(1, 7)]
    con.register("o", pd.DataFrame({"unit_id": "U1", "indicator": "gdp", "period": months, "year": 2024,
                                    "month_of_year": range(1, 7), "outcome": [1.0, 2, 30, 31, 3, 4]}))
    con.execute("CREATE TABLE marts.indicator_outcomes AS SELECT * FROM o")
    con.register("s", pd.DataFrame({"indicator": "gdp", "unit_id": "U1", "period": months, "cadre_id": "C1", "share": 1.0}))
    con.execute("CREATE TABLE marts.attribution_shares AS SELECT * FROM s")
    con.register("t", pd.DataFrame({"task_id": ["T1", "T2", "T3"], "year": 2024, "category": "民生实事", "unit_id": "U1",
                                    "lead_cadre_id": "C1", "co_cadre_ids": "", "title": "x"}))
    con.execute("CREATE TABLE raw.tasks AS SELECT * FROM t")
    con.register("g", pd.DataFrame({"task_id": ["T1", "T2", "T3"], "period": "2024-06", "gap_pp": [-5.0, 2, 1]}))
    con.execute("CREATE TABLE marts.task_status AS SELECT * FROM g")
    flags = pd.DataFrame({
        "level": ["series", "task", "task", "task"], "unit_id": "U1", "indicator": ["gdp", None, None, None],
        "period_start": ["2024-03", None, None, None], "period_end": ["2024-04", None, None, None],
        "task_id": [None, "T1", "T2", "T3"], "rule": ["断点", "无佐证", "无佐证", "进度滞后"],
        "rules": ["断点;成效不实", "无佐证", "无佐证", "进度滞后"], "suppressed": False,
        "status": [None, None, "误报", None]})
    con.register("f", flags)
    con.execute("CREATE TABLE marts.anomalies AS SELECT * FROM f")
    rules = ["成效不实", "断点", "无佐证"]
    records, shares = attribution_inputs(con, task_roles, exclude_rules=rules)
    assert sorted(records.loc[records["indicator"] == "gdp", "period"]) == ["2024-01", "2024-02", "2024-05", "2024-06"]
    assert sorted(records.loc[records["indicator"] == "task", "record_id"]) == ["T2", "T3"]
    assert set(shares["record_id"]) == set(records["record_id"])
    everything, _ = attribution_inputs(con, task_roles, exclude_rules=[])
    assert len(everything) == 9
    con.close()


# --- 核验记录 (checks) flow back into the marts (issue 13) --------------------------------------

CHECK_HEADER = ["check_id", "flag_id", "task_id", "unit_id", "indicator", "period", "result", "verified_pct",
                "verified_value", "note", "checked_at", "checked_by"]


def _ingest_checks(home, tmp_path, rows):
    from pipelines import cli
    from tests.conftest import write_csv

    folder = tmp_path / "checks"
    folder.mkdir()
    write_csv(folder / "checks.csv", CHECK_HEADER, rows)
    assert cli.main(["ingest", str(folder), "--home", str(home.root)]) == 0
    return lambda sql: db.query(home.current_path(), sql)


def test_a_progress_check_with_a_verified_pct_changes_the_card_and_the_cadre_score(analysed_home, tmp_path):
    """T03 (lead C06, 2024, due 2024-12-31) reported 30 % against a 50 % plan in 2024-06: gap −20 pp,
    an orange card (−2). On site 15 % was found (进度不实): gap −35 pp ≤ −30, a red card (−4);
    the reported 30 % stays visible beside it, and C06's 2024 deduction grows by 4 − 2 = 2."""
    before = lambda sql: db.query(analysed_home.current_path(), sql)
    card0 = before("SELECT * FROM marts.task_status WHERE task_id = 'T03' AND period = '2024-06'").iloc[0]
    score0 = before("SELECT * FROM marts.cadre_scores WHERE cadre_id = 'C06' AND year = 2024").iloc[0]
    assert (card0["card"], card0["gap_pp"], card0["deduction"]) == ("橙", -20, 2)

    after = _ingest_checks(analysed_home, tmp_path, [
        ["K1", "", "T03", "", "", "2024-06", "进度不实", "15", "", "现场只见到一成半", "2024-07-10", "考察组"]])
    card = after("SELECT * FROM marts.task_status WHERE task_id = 'T03' AND period = '2024-06'").iloc[0]
    assert (card["card"], card["gap_pp"], card["deduction"]) == ("红", -35, 4)
    assert (card["actual_pct"], card["reported_pct"], card["pct_source"], card["check_id"]) == (15, 30, "现场核验", "K1")
    score = after("SELECT * FROM marts.cadre_scores WHERE cadre_id = 'C06' AND year = 2024").iloc[0]
    assert score["deduction"] == pytest.approx(score0["deduction"] + 2)
    assert score["total"] < score0["total"]
    check = after("SELECT * FROM marts.checks").iloc[0]
    assert bool(check["applied"]) and check["figure_kind"] == "任务进度" and check["figure_period"] == "2024-06"
    # the check counts as a confirmed (属实) mark of T03's flags, with its own word kept
    flags = after("SELECT status, check_result FROM marts.anomalies WHERE task_id = 'T03'")
    assert len(flags) and (flags["status"] == "属实").all() and (flags["check_result"] == "进度不实").all()
    precision = after("SELECT * FROM marts.rule_precision WHERE n_confirmed > 0")
    assert len(precision)


def test_a_top_flag_checked_as_false_leaves_the_inspection_targets(analysed_home, tmp_path):
    before = lambda sql: db.query(analysed_home.current_path(), sql)
    top = before("SELECT * FROM marts.inspection_targets ORDER BY rank").iloc[0]
    flag_id = top["flag_ids"].split(";")[0]
    assert top["status"] == "未核查" and top["target_type"] in ("unit", "cadre")
    flag = before(f"SELECT * FROM marts.anomalies WHERE flag_id = '{flag_id}'").iloc[0]
    if shutil.which("pdftotext"):  # before: among the findings, not in the appendix
        findings, appendix = _briefing_text(analysed_home, tmp_path, top["unit_id"]).split("附录:已核销线索")
        assert flag["rule"] in findings and flag["rule"] not in appendix

    after = _ingest_checks(analysed_home, tmp_path, [
        ["K9", flag_id, "", "", "", "", "误报", "", "", "口径调整", "2024-07-11", "考察组"]])
    targets = after("SELECT * FROM marts.inspection_targets")
    assert not targets["flag_ids"].fillna("").str.contains(flag_id).any()
    # what stays of the target comes from its cards only, not from the cleared flag
    assert not targets["reasons"].str.contains(f"{flag['rule']}·").any()
    marked = after(f"SELECT status FROM marts.anomalies WHERE flag_id = '{flag_id}'")
    assert marked["status"].tolist() == ["误报"]
    precision = after(f"SELECT * FROM marts.rule_precision WHERE rule = '{flag['rule']}'").iloc[0]
    assert precision["n_false"] == 1
    assert bool(after("SELECT applied FROM marts.checks")["applied"].iloc[0])
    # the PDF briefing of the target: the flag leaves the findings for the appendix 已核销线索
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils not installed")
    findings, appendix = _briefing_text(analysed_home, tmp_path, top["unit_id"]).split("附录:已核销线索")
    assert flag["rule"] not in findings
    assert flag["rule"] in appendix and "误报" in appendix and "口径调整" in appendix and "考察组" in appendix


def _briefing_text(home, tmp_path, unit_id: str) -> str:
    from pipelines import cli

    out = tmp_path / f"brief-{unit_id}.pdf"
    assert cli.main(["brief", "--unit", unit_id, "--out", str(out), "--home", str(home.root)]) == 0
    return subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout


def test_a_check_on_a_value_or_through_its_flag_replaces_the_figure_and_keeps_the_reported_one(analysed_home, tmp_path):
    """A check naming a unit's indicator in a period replaces that value in unit_scores (the
    reported value stays in reported_value); a check naming only a flag finds its task through
    the flag, and the cards and scores are computed again with its figure."""
    before = lambda sql: db.query(analysed_home.current_path(), sql)
    row0 = before("SELECT * FROM marts.unit_scores WHERE unit_id = 'U01' AND indicator = 'exports' "
                  "AND period = '2023-03'").iloc[0]
    t03 = before("SELECT flag_id FROM marts.anomalies WHERE task_id = 'T03'")["flag_id"].iloc[0]
    after = _ingest_checks(analysed_home, tmp_path, [
        ["K1", "", "", "U01", "货物出口额", "2023-03", "成效不实", "", str(row0["value"] / 2), "", "2024-07-01", ""],
        ["K2", t03, "", "", "", "", "进度不实", "15", "", "", "2024-07-02", ""]])
    row = after("SELECT * FROM marts.unit_scores WHERE unit_id = 'U01' AND indicator = 'exports' "
                "AND period = '2023-03'").iloc[0]
    assert row["value"] == pytest.approx(row0["value"] / 2) and row["reported_value"] == pytest.approx(row0["value"])
    assert (row["value_source"], row["check_id"]) == ("现场核验", "K1")
    card = after("SELECT * FROM marts.task_status WHERE task_id = 'T03' AND period = '2024-06'").iloc[0]
    assert (card["card"], card["actual_pct"], card["reported_pct"], card["check_id"]) == ("红", 15, 30, "K2")
    applied = after("SELECT check_id, applied, figure_kind FROM marts.checks ORDER BY check_id")
    assert applied["applied"].tolist() == [True, True]
    assert applied["figure_kind"].tolist() == ["指标数值", "任务进度"]


def test_quadrant_points_place_each_quarter_at_the_post_held_then(q):
    """marts.quadrant_points (built once, pages only select): one row per marts.quadrants row; the
    unit is one the cadre held during that quarter, the post covering the quarter's end first;
    the current interval applies to the as-of quarter only."""
    points = q("SELECT * FROM marts.quadrant_points")
    quad = q("SELECT cadre_id, period, quadrant_code FROM marts.quadrants")
    assert len(points) == len(quad) and not points.duplicated(["cadre_id", "period"]).any()
    assert points.merge(quad, on=["cadre_id", "period", "quadrant_code"]).shape[0] == len(quad)
    posts = q('SELECT cadre_id, unit_id, start, "end" FROM staging.assignments')
    frame = period_frame(points["period"])
    points = points.assign(q_end=frame["period_end"],
                           q_start=frame["period_end"] - pd.offsets.QuarterBegin(startingMonth=1))
    joined = points.merge(posts, on="cadre_id", suffixes=("", "_post"))
    end = pd.to_datetime(joined["end"]).fillna(joined["q_end"])
    overlap = (pd.to_datetime(joined["start"]) <= joined["q_end"]) & (end >= joined["q_start"])
    held = joined[overlap]
    at_end = held[end[overlap] >= held["q_end"]]
    for (cadre, period), g in held.groupby(["cadre_id", "period"]):
        assert g["unit_id"].iloc[0] in set(g["unit_id_post"]), (cadre, period)
        ends = at_end[(at_end["cadre_id"] == cadre) & (at_end["period"] == period)]
        if len(ends):
            assert g["unit_id"].iloc[0] in set(ends["unit_id_post"]), (cadre, period)
    as_of = q("SELECT value FROM meta.info WHERE key = 'as_of'")["value"].iloc[0]
    applies = points[points["ci_applies"]]
    assert len(applies) and (applies["q_end"].dt.strftime("%Y-%m") == as_of).all()
    assert applies["x"].notna().all() and applies["x_current"].notna().all()


def test_task_roles_are_the_rule_the_attribution_uses(q):
    """marts.task_roles holds models.cards.task_roles of the delivered tasks: pages read shares."""
    from models.cards import task_roles

    stored = q("SELECT * FROM marts.task_roles").sort_values(["task_id", "cadre_id"]).reset_index(drop=True)
    expected = task_roles(q("SELECT * FROM raw.tasks"))[["task_id", "cadre_id", "role", "share"]]
    expected["role"] = expected["role"].map({"责任人": "lead", "配合": "co"})
    expected = expected.sort_values(["task_id", "cadre_id"]).reset_index(drop=True)
    assert len(stored) > 100
    pd.testing.assert_frame_equal(stored, expected, check_dtype=False)
    assert set(stored["role"]) == {"lead", "co"} and (stored["share"] > 0).all()


def test_a_cadres_decomposition_rests_on_the_records_the_estimate_used(q, demo_world, monkeypatch):
    """marts.attribution_records holds the fitted records: per cadre and indicator, the page's
    decomposition counts exactly the records the contribution's n_obs counts."""
    from ui import profile_queries as pq
    from ui.queries import Scope

    records = q("SELECT * FROM marts.attribution_records")
    assert len(records) and (records["share"] > 0).all() and not records.duplicated(["record_id", "cadre_id",
                                                                                      "indicator"]).any()
    n_obs = q("SELECT cadre_id, indicator, n_obs FROM marts.contributions WHERE indicator <> '*' AND n_obs > 0")
    counted = records.groupby(["cadre_id", "indicator"]).size().rename("n").reset_index()
    both = n_obs.merge(counted, on=["cadre_id", "indicator"], how="left").fillna({"n": 0})
    assert (both["n"] == both["n_obs"]).all(), both[both["n"] != both["n_obs"]].head()
    monkeypatch.setenv("SHIJI_HOME", str(demo_world[1]))
    cadre = both.sort_values(["n_obs", "cadre_id"], ascending=[False, True])["cadre_id"].iloc[0]
    shown = pq.cadre_contributions(Scope(), cadre).set_index("indicator")
    mine = both[both["cadre_id"] == cadre].set_index("indicator")["n_obs"]
    assert shown.loc[mine.index, "n_records"].tolist() == mine.tolist()


def test_task_latest_is_each_tasks_last_month_with_its_card_counts(q):
    """marts.task_latest (built once; the cadre and unit pages select from it)."""
    latest = q("SELECT * FROM marts.task_latest").set_index("task_id")
    status = q("SELECT * FROM marts.task_status")
    assert set(latest.index) == set(status["task_id"])
    last = status.assign(end=period_frame(status["period"])["period_end"]).sort_values(["task_id", "end"])
    last = last.groupby("task_id").tail(1).set_index("task_id")
    assert (latest["last_period"] == last.loc[latest.index, "period"]).all()
    assert (latest["card"].fillna("") == last.loc[latest.index, "card"].fillna("")).all()
    counts = status.pivot_table(index="task_id", columns="card", values="period", aggfunc="count").fillna(0)
    for card, column in (("黄", "n_yellow"), ("橙", "n_orange"), ("红", "n_red")):
        expected = counts[card] if card in counts else 0
        assert (latest[column] == pd.Series(expected, index=counts.index).reindex(latest.index).fillna(0)).all()
    deduction = status.groupby("task_id")["deduction"].sum()
    assert np.allclose(latest["deduction"], deduction.reindex(latest.index).fillna(0))
    assert latest["n_red"].sum() > 0
