"""models/config.py: every reference YAML loads, is complete, consistent and labelled."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from models.config import (
    REFERENCE_DIR,
    ConfigError,
    check_reference,
    clear_cache,
    load_reference,
)
from models.scoring import indicator_dictionary, scoring_spec

OWNED = ("weights", "cards", "ratings", "mujun", "funnel")


@pytest.mark.parametrize("name", OWNED + ("indicators",))
def test_reference_file_loads_complete(name):
    data = load_reference(name)
    assert check_reference(name, data) == []


def test_load_returns_private_copy():
    a = load_reference("ratings")
    a["group_weights"]["上级"] = 0.99
    assert load_reference("ratings")["group_weights"]["上级"] == 0.35


def test_name_with_suffix_and_missing_file(tmp_path):
    assert load_reference("cards.yaml")["deductions"]["红"] == 4
    with pytest.raises(FileNotFoundError):
        load_reference("nope", directory=tmp_path)


def _copy(tmp_path: Path, name: str) -> tuple[Path, dict]:
    shutil.copy(REFERENCE_DIR / f"{name}.yaml", tmp_path / f"{name}.yaml")
    shutil.copy(REFERENCE_DIR / "indicators.yaml", tmp_path / "indicators.yaml")
    with open(tmp_path / f"{name}.yaml", encoding="utf-8") as fh:
        return tmp_path / f"{name}.yaml", yaml.safe_load(fh)


def _write(path: Path, data: dict) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        yaml.safe_dump(data, fh, allow_unicode=True)


def test_missing_key_is_reported_by_name(tmp_path):
    path, data = _copy(tmp_path, "cards")
    del data["thresholds"]["red_at_or_below_pp"]
    del data["deductions"]
    _write(path, data)
    with pytest.raises(ConfigError) as exc:
        load_reference("cards", directory=tmp_path)
    msg = str(exc.value)
    assert "thresholds.red_at_or_below_pp" in msg and "deductions" in msg
    assert len(exc.value.problems) == 2  # every problem, not only the first


@pytest.mark.parametrize(
    "name, mutate, fragment",
    [
        ("ratings", lambda d: d["group_weights"].update({"上级": 0.5}), "group_weights 之和"),
        ("ratings", lambda d: d["group_weights"].pop("群众"), "群众"),
        ("weights", lambda d: d["composite"].update({"rating_weight": 0.3}), "80/20"),
        ("weights", lambda d: d["performance"]["role_shares"].update({"co": 0.5}), "role_shares"),
        ("weights", lambda d: d["indicator_scoring"]["indicators"]["gdp_growth"].update({"method": "magic"}),
         "gdp_growth.method"),
        ("cards", lambda d: d["thresholds"].update({"orange_at_or_below_pp": -40}), "red < orange"),
        ("cards", lambda d: d["deductions"].update({"红": 0}), "不减"),
        ("mujun", lambda d: d["above_scale_weights"].update({"tax_per_mu": 40}), "之和应为 100"),
        ("mujun", lambda d: d["benchmarks"].update({"source": "温岭"}), "benchmarks.source"),
        ("mujun", lambda d: d["classes"]["cut_shares"].update({"B": 0.05}), "cut_shares"),
        ("funnel", lambda d: d["conversion"].update({"numerator": "signed"}), "conversion"),
        # 优秀名额: a quota above the cap, a cap above the national 30 %, unknown group keys.
        ("weights", lambda d: d["grades"].update({"excellent_quota": 0.35}), "excellent_quota=0.35 超出允许范围"),
        ("weights", lambda d: d["grades"].update({"excellent_quota": 0.25, "excellent_quota_cap": 0.2}),
         "excellent_quota=0.25 超出允许范围"),
        ("weights", lambda d: d["grades"].update({"excellent_quota_cap": 0.5}), "不超过 30%"),
        ("weights", lambda d: d["grades"]["assessment_groups"].update({"by": ["unit"]}), "assessment_groups.by"),
        ("weights", lambda d: d["grades"]["assessment_groups"].update({"min_size": 0}), "min_size"),
        ("weights", lambda d: d["grades"].pop("excellent_quota"), "缺少配置项 grades.excellent_quota"),
    ],
)
def test_inconsistent_values_rejected(tmp_path, name, mutate, fragment):
    path, data = _copy(tmp_path, name)
    mutate(data)
    _write(path, data)
    with pytest.raises(ConfigError) as exc:
        load_reference(name, directory=tmp_path)
    assert fragment in str(exc.value)


def test_edit_is_picked_up_without_restart(tmp_path):
    path, data = _copy(tmp_path, "ratings")
    assert load_reference("ratings", directory=tmp_path)["min_raters"] == 5
    data["min_raters"] = 7
    _write(path, data)
    import os

    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert load_reference("ratings", directory=tmp_path)["min_raters"] == 7
    clear_cache()


def test_env_override_directory(tmp_path, monkeypatch):
    path, data = _copy(tmp_path, "ratings")
    data["min_raters"] = 3
    _write(path, data)
    monkeypatch.setenv("SHIJI_REFERENCE_DIR", str(tmp_path))
    assert load_reference("ratings")["min_raters"] == 3


def test_every_dictionary_indicator_has_a_valid_scoring_spec():
    d = indicator_dictionary()
    weights = load_reference("weights")
    configured = set(weights["indicator_scoring"]["indicators"])
    assert set(d.index) <= configured, "every indicator in indicators.yaml gets an explicit scoring entry"
    for code in d.index:
        spec = scoring_spec(code, weights)
        assert spec["method"] in ("completion", "rank", "growth_gap")
        assert spec["cap"] >= 1 and spec["weight"] >= 0


def test_default_policy_numbers_match_domain():
    w = load_reference("weights")
    assert w["composite"]["performance_weight"] == 0.80 and w["composite"]["rating_weight"] == 0.20
    assert w["composite"]["bonus_cap"] == 5 and w["composite"]["bonus_per_landmark"] == 2
    assert w["performance"]["category_weights"]["指标争先"] == 0.40
    assert w["performance"]["category_weights"]["项目攻坚"] == 0.35
    assert w["performance"]["category_weights"]["改革突破"] == 0.25
    assert w["performance"]["role_shares"] == {"lead": 0.6, "co": 0.4}
    assert w["indicator_scoring"]["defaults"]["cap"] == 1.2
    r = load_reference("ratings")
    assert r["grade_scores"] == {"好": 100, "较好": 80, "一般": 60, "差": 40}
    assert r["min_raters"] == 5
    m = load_reference("mujun")
    assert m["benchmarks"]["published"]["黄岩"][2022]["tax_per_mu"] == 24.097
    assert list(m["above_scale_weights"].values()) == [30, 20, 20, 10, 10, 10]
    f = load_reference("funnel")
    assert f["window_months"] == 12
    g = w["grades"]
    assert (g["excellent_quota"], g["excellent_quota_cap"]) == (0.20, 0.30)  # 《公务员考核规定》
    assert g["assessment_groups"] == {"by": ["unit_level"], "min_size": 5}


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
