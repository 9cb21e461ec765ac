"""models/config.py and config_schema.py: every reference YAML loads through one loader, is
checked against its schema, and every problem of every file is reported at once."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from models.config import (
    NAMES,
    REFERENCE_DIR,
    ConfigError,
    check_reference,
    clear_cache,
    load_reference,
    read_yaml,
    validate_all,
)
from models.config_checks import Schema
from models.config_schema import SCHEMAS
from tests import test_cards as card_checks
from tests import test_grades as grade_checks
from tests import test_performance as performance_checks
from tests import test_ratings as rating_checks
from tests import test_scoring as scoring_checks
from tests.reference_edit import edited_reference, write_reference

OWNED = ("weights", "cards", "ratings", "mujun", "funnel")
ROOT = Path(__file__).resolve().parents[1]


def test_every_reference_file_has_a_schema():
    shipped = sorted(p.stem for p in REFERENCE_DIR.glob("*.yaml"))
    assert shipped == sorted(NAMES) == sorted(SCHEMAS)


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_reference_file_loads_complete(name):
    data = load_reference(name)
    assert check_reference(name, data) == []


def test_validate_all_passes_on_the_files_in_use():
    validate_all()


def test_load_returns_private_copy():
    a = load_reference("ratings")
    before = a["group_weights"]["上级"]
    a["group_weights"]["上级"] = before + 1
    assert load_reference("ratings")["group_weights"]["上级"] == before


def test_name_with_suffix_and_missing_file(tmp_path):
    assert load_reference("cards.yaml") == load_reference("cards")
    with pytest.raises(ConfigError, match="文件不存在"):
        load_reference("cards", directory=tmp_path)
    with pytest.raises(ConfigError, match="没有名为 nope"):  # every file the code reads has a schema
        load_reference("nope")


def test_missing_key_is_reported_by_name(tmp_path):
    def drop(d):
        del d["thresholds"]["red_at_or_below_pp"]
        del d["deductions"]

    folder = edited_reference(tmp_path, {"cards": drop})
    with pytest.raises(ConfigError) as exc:
        load_reference("cards", directory=folder)
    msg = str(exc.value)
    assert "cards.yaml 的 thresholds.red_at_or_below_pp:缺少此配置项" in msg and "deductions" in msg
    assert len(exc.value.problems) == 2  # every problem, not only the first
    assert {p.path for p in exc.value.problems} == {"thresholds.red_at_or_below_pp", "deductions"}


def _set(path: str, value):
    def mutate(d):
        *parents, last = path.split(".")
        for part in parents:
            d = d[part]
        d[last] = value
    return mutate


@pytest.mark.parametrize(
    "name, mutate, fragment",
    [
        ("ratings", lambda d: d["group_weights"].update({"上级": d["group_weights"]["上级"] + 0.1}),
         "group_weights 之和"),
        ("ratings", lambda d: d["group_weights"].pop("群众"), "群众"),
        ("weights", lambda d: d["composite"].update({"rating_weight": d["composite"]["rating_weight"] + 0.1}),
         "80/20"),
        ("weights", lambda d: (shares := d["performance"]["role_shares"]).update({"co": 1.05 - shares["lead"]}),
         "role_shares"),
        ("weights", lambda d: d["indicator_scoring"]["indicators"]["gdp_growth"].update({"method": "magic"}),
         "gdp_growth.method"),
        ("weights", _set("indicator_scoring.defaults.cap", "一点二"), "indicator_scoring.defaults.cap:应为数值"),
        ("cards", lambda d: d["thresholds"].update({"orange_at_or_below_pp": d["thresholds"]["red_at_or_below_pp"]}),
         "red < orange"),
        ("cards", lambda d: d["deductions"].update({"红": 0}), "不减"),
        ("mujun", lambda d: d["above_scale_weights"].update({"tax_per_mu": d["above_scale_weights"]["tax_per_mu"] + 1}),
         "之和应为 100"),
        ("mujun", lambda d: d["benchmarks"].update({"source": "温岭"}), "benchmarks.source"),
        ("mujun", lambda d: d["classes"]["cut_shares"].update({"B": 0.0}), "cut_shares"),
        ("funnel", lambda d: d["conversion"].update({"numerator": "signed"}), "conversion"),
        # 优秀名额: a quota above the cap, a cap above the national 30 %, unknown group keys.
        ("weights", _set("grades.excellent_quota", 0.35), "excellent_quota=0.35 超出允许范围"),
        ("weights", lambda d: d["grades"].update({"excellent_quota": 0.25, "excellent_quota_cap": 0.2}),
         "excellent_quota=0.25 超出允许范围"),
        ("weights", _set("grades.excellent_quota_cap", 0.5), "不超过 30%"),
        ("weights", _set("grades.assessment_groups.by", ["unit"]), "assessment_groups.by"),
        ("weights", _set("grades.assessment_groups.min_size", 0), "min_size"),
        ("weights", lambda d: d["grades"].pop("excellent_quota"), "grades.excellent_quota:缺少此配置项"),
        # the files that had no checks before: anomaly, attribution, quadrants, briefing, indicators
        ("anomaly", _set("rules.突变.p_fire", 2), "rules.突变.p_fire"),
        ("anomaly", _set("tasks.进度滞后.orange_pp", 1000), "lag_pp < orange_pp < red_pp"),
        ("anomaly", _set("budget.red_per_month", "十"), "budget.red_per_month:应为整数"),
        ("anomaly", lambda d: d["series"].pop("min_points"), "series.min_points:缺少此配置项"),
        ("attribution", _set("composite_weights.财政.task", 0.9), "composite_weights.财政"),
        ("attribution", _set("estimator.ci_level", 95), "estimator.ci_level"),
        ("quadrants", _set("y_cut", 50), "y_cut"),
        ("quadrants", lambda d: d["names"].pop("low_low"), "low_low"),
        ("quadrants", lambda d: d["names"].update({"high_low": d["names"]["high_high"]}), "不能重复"),
        ("briefing", _set("max_flags", 0), "max_flags"),
        ("briefing", lambda d: d["default_question"].pop("task"), "default_question.task"),
        ("indicators", _set("indicators.gdp_growth.direction", 2), "indicators.gdp_growth.direction"),
        ("indicators", lambda d: d["indicators"]["exports"].pop("frequency"), "indicators.exports.frequency"),
        ("indicators", _set("indicators.exports.kind", "数量"), "indicators.exports.kind"),
        ("indicators", _set("indicators.exports.valid_min", 10 ** 12), "valid_min 应不大于 valid_max"),
    ],
)
def test_inconsistent_values_rejected(tmp_path, name, mutate, fragment):
    folder = edited_reference(tmp_path, {name: mutate})
    with pytest.raises(ConfigError) as exc:
        load_reference(name, directory=folder)
    assert fragment in str(exc.value)
    assert f"{name}.yaml" in str(exc.value)


def test_validate_all_reports_every_problem_of_every_file_at_once(tmp_path):
    folder = edited_reference(tmp_path, {
        "weights": _set("composite.rating_weight", 0.7),
        "quadrants": _set("y_cut", 2),
        "anomaly": _set("rules.断点.p_fire", 0),
    })
    (folder / "briefing.yaml").write_text("max_flags: [\n", encoding="utf-8")
    (folder / "funnel.yaml").unlink()
    with pytest.raises(ConfigError) as exc:
        validate_all(folder)
    found = {(p.file, p.path) for p in exc.value.problems}
    assert found == {("weights.yaml", "composite"), ("quadrants.yaml", "y_cut"),
                     ("anomaly.yaml", "rules.断点.p_fire"), ("briefing.yaml", ""), ("funnel.yaml", "")}
    msg = str(exc.value)
    assert msg.startswith("配置文件有 5 处问题") and str(folder) in msg
    assert "不是有效的 YAML(第 2 行" in msg and "文件不存在" in msg
    assert all(p.rule for p in exc.value.problems)


def test_validate_all_honours_the_reference_dir(tmp_path, monkeypatch):
    folder = edited_reference(tmp_path, {"quadrants": _set("x_side_level", 2)})
    monkeypatch.setenv("SHIJI_REFERENCE_DIR", str(folder))
    with pytest.raises(ConfigError, match="x_side_level"):
        validate_all()


def test_cli_refuses_to_start_on_a_broken_policy(tmp_path, monkeypatch, capsys):
    from pipelines.cli import EXIT_REJECTED, main

    folder = edited_reference(tmp_path, {"cards": _set("deduction_mode", "每次"), "quadrants": _set("y_cut", 2)})
    monkeypatch.setenv("SHIJI_REFERENCE_DIR", str(folder))
    assert main(["status", "--home", str(tmp_path / "home")]) == EXIT_REJECTED
    err = capsys.readouterr().err
    assert err.startswith("错误: 配置文件有 2 处问题")
    assert "cards.yaml 的 deduction_mode" in err and "quadrants.yaml 的 y_cut" in err
    assert "Traceback" not in err


def test_app_refuses_to_start_on_a_broken_policy(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    folder = edited_reference(tmp_path, {"briefing": _set("max_tasks", -1)})
    monkeypatch.setenv("SHIJI_REFERENCE_DIR", str(folder))
    monkeypatch.setenv("SHIJI_HOME", str(tmp_path / "home"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception and len(at.error) == 1
    shown = at.error[0].value
    assert shown.startswith("配置文件有 1 处问题") and "1. briefing.yaml 的 max_tasks:应为整数" in shown
    assert not (tmp_path / "home").exists()  # stopped before the first run could build anything


def test_read_yaml_outside_the_reference_folder(tmp_path):
    path = tmp_path / "access.yaml"
    path.write_text("identity: local\nusers: {ana: {role: analyst}}\n", encoding="utf-8")
    assert read_yaml(path) == {"identity": "local", "users": {"ana": {"role": "analyst"}}}
    assert read_yaml(path, Schema({"identity": lambda x: None})) is not None
    with pytest.raises(ConfigError, match="identity"):
        read_yaml(path, Schema({"identity": lambda x: "应为 header"}))
    path.write_text("trusted_proxies: [::1]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="不是有效的 YAML"):
        read_yaml(path)


def test_edit_is_picked_up_without_restart(tmp_path):
    folder = edited_reference(tmp_path, {})
    before = load_reference("ratings", directory=folder)
    data = dict(before, min_raters=before["min_raters"] + 2)
    path = write_reference(folder, "ratings", data)
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert load_reference("ratings", directory=folder)["min_raters"] == before["min_raters"] + 2
    clear_cache()


def test_env_override_directory(tmp_path, monkeypatch):
    folder = edited_reference(tmp_path, {"ratings": _set("min_raters", 3)})
    monkeypatch.setenv("SHIJI_REFERENCE_DIR", str(folder))
    assert load_reference("ratings")["min_raters"] == 3


def test_models_do_not_import_pipelines():
    for path in (ROOT / "models").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import) pipelines\b", text, re.M), path.name


YAML_READERS = re.compile(r"\byaml\.(safe_load|load|full_load|unsafe_load)\s*\(")


def test_every_yaml_read_goes_through_the_loader():
    """Only models/config*.py parses YAML: every other module reads through load_reference or
    read_yaml, so every file honours $SHIJI_REFERENCE_DIR and is checked against its schema."""
    paths = [ROOT / "app.py"] + [p for d in ("models", "pipelines", "ui", "pages", "datasets", "bench")
                                  for p in (ROOT / d).rglob("*.py")]
    offenders = sorted(str(p.relative_to(ROOT)) for p in paths
                       if not p.name.startswith("config") or p.parent.name != "models"
                       if YAML_READERS.search(p.read_text(encoding="utf-8")))
    assert offenders == []


# --- a client who edits the policy as documented keeps a green suite ----------------------------

def _client_weights(d: dict) -> None:
    sc = d["indicator_scoring"]
    sc["defaults"].update(cap=1.5, growth_gap_width=25, weight=8)
    for spec in sc["indicators"].values():
        spec["weight"] = float(spec.get("weight", 10)) * 0.7
    sc["indicators"]["industrial_power"]["weight"] = 2
    sc["bands"] = [{"max_share": s, "band": b} for s, b in ((0.2, "绿"), (0.4, "黄"), (0.8, "橙"), (1.0, "红"))]
    d["performance"]["role_shares"] = {"lead": 0.7, "co": 0.3}
    d["performance"]["category_weights"].update({"指标争先": 0.5, "改革突破": 0.2})
    d["performance"]["role_indicators"]["share"] = 0.3
    d["composite"].update(performance_weight=0.7, rating_weight=0.3)
    d["grades"]["levels"][0]["min"] = 92


def _client_ratings(d: dict) -> None:
    d["group_weights"] = {"上级": 0.3, "同级": 0.2, "下级": 0.15, "群众": 0.1, "服务对象": 0.25}
    d["grade_scores"]["较好"] = 85
    d["min_raters"] = 6


def _client_cards(d: dict) -> None:
    d["thresholds"].update(yellow_below_pp=-8, orange_at_or_below_pp=-18, red_at_or_below_pp=-26)
    d["overdue"].update(yellow_max_days=20, orange_max_days=45)
    d["escalation"].update(streak_to_orange=2, streak_to_red=4)
    d["deductions"] = {"绿": 0, "黄": 0.5, "橙": 3, "红": 6}
    d["deduction_attribution"] = {"lead": 0.8, "co": 0.2}
    d["talk_levels"]["黄"] = "提醒"


def _cases(check):
    """The parameter sets of a parametrized test function, to run it by hand."""
    return next(m for m in check.pytestmark if m.name == "parametrize").args[1]


KEY_CHECKS = [
    *(getattr(scoring_checks, name) for name in (
        "test_completion_prorated_by_time_elapsed_and_capped", "test_jan_feb_merged_first_point_uses_two_twelfths",
        "test_direction_minus_one_completion_and_rank", "test_direction_minus_one_growth_gap",
        "test_rank_method_and_ties", "test_growth_gap_against_peer_mean_and_given_benchmark",
        "test_growth_gap_against_a_county_series_loaded_as_a_unit", "test_unit_totals_add_up")),
    *(getattr(card_checks, name) for name in (
        "test_gap_thresholds_at_their_edges", "test_overdue_thresholds_at_their_edges",
        "test_escalation_over_consecutive_months_and_reset", "test_deduction_modes",
        "test_overrides_are_separate_rows_with_reason", "test_roles_and_shares",
        "test_deductions_go_to_the_lead_and_red_blocks", "test_invariants_on_random_progress")),
    *(getattr(performance_checks, name) for name in (
        "test_performance_categories_difficulty_and_shares", "test_role_share_weights_tasks_within_a_category",
        "test_role_indicators_for_zhaoshang_and_industrial_cadres")),
    grade_checks.test_grade_cutoffs,
    *(getattr(rating_checks, name) for name in (
        "test_grade_words_converted", "test_all_groups_full_uses_nominal_weights",
        "test_dropped_rater_group_and_renormalised_weights", "test_absent_group_renormalised_too",
        "test_staging_layout_score_num_and_grade", "test_several_cadres_independent")),
]


@pytest.fixture
def client_policy(tmp_path, monkeypatch):
    folder = edited_reference(tmp_path, {"weights": _client_weights, "cards": _client_cards,
                                         "ratings": _client_ratings})
    monkeypatch.setenv("SHIJI_REFERENCE_DIR", str(folder))
    assert load_reference("weights")["indicator_scoring"]["defaults"]["cap"] == 1.5  # the edit is in force
    return folder


@pytest.mark.parametrize("check", KEY_CHECKS, ids=lambda f: f.__name__.removeprefix("test_"))
def test_key_checks_follow_an_edited_policy(client_policy, check):
    """The scoring, card, performance, grade and rating tests' key checks under a client's
    weights.yaml, cards.yaml and ratings.yaml (other caps, weights, widths, bands, shares,
    thresholds, deductions, cut-offs, rater weights): they read the policy in use."""
    if hasattr(check, "pytestmark"):
        for case in _cases(check):
            check(*case)
    else:
        check()


def test_the_edited_policy_changes_the_outcomes(client_policy):
    """The rerun above can fail: under the edited policy the numbers the tests used to copy (a
    capped score of 120, shares 0.6/0.4, a −10 pp tolerance) no longer hold."""
    import pandas as pd

    from models.cards import task_roles, task_status
    from models.scoring import score_indicators

    v = pd.DataFrame({"unit_id": ["B"], "indicator": ["gpb_revenue"], "period": ["2024-06"],
                      "value": [650.0], "target": [1000.0]})
    assert score_indicators(v).iloc[0]["score"] == pytest.approx(130.0)  # 1.3 under the cap 1.5, not 120
    roles = task_roles(pd.DataFrame({"task_id": ["A"], "year": 2024, "lead_cadre_id": ["L"], "co_cadre_ids": ["X"]}))
    assert roles.set_index("cadre_id")["share"].to_dict() == pytest.approx({"L": 0.7, "X": 0.3})
    progress = pd.DataFrame({"task_id": ["T"], "period": ["2024-06"], "planned_pct": [50.0], "actual_pct": [41.0]})
    assert task_status(card_checks._tasks(["T"]), progress).iloc[0]["card"] == "黄"  # −9 pp: 绿 when shipped


@pytest.mark.parametrize("name", OWNED)
def test_every_top_level_block_carries_a_source_label(name):
    """Policy numbers are labelled [V]/[P]/[D] in the YAML comments, block by block."""
    text = (REFERENCE_DIR / f"{name}.yaml").read_text(encoding="utf-8")
    blocks, current = [], []
    for line in text.splitlines():
        if re.match(r"^[A-Za-z_]", line):  # a top-level key starts a new block ...
            lead = []  # ... together with the comment lines right above it
            while current and current[-1].startswith("#"):
                lead.insert(0, current.pop())
            blocks.append("\n".join(current))
            current = lead
        current.append(line)
    blocks.append("\n".join(current))
    for block in blocks[1:]:  # blocks[0] is the file header
        key = next(x for x in block.splitlines() if not x.startswith("#"))
        assert re.search(r"\[(V|P|D)\]", block), f"{name}.yaml block {key!r} has no [V]/[P]/[D] label"
