"""The series rule registry (models/rules/): the rule protocol, the scikit-learn-style detector,
a rule list of one's own, the period grid and the configuration read through the one loader.

What the rules find is tested against planted truth in tests/test_anomaly.py."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from datasets.anomaly_world import make_benchmark
from models.config import REFERENCE_DIR
from models.rules.base import PanelRule, RuleHit
from models.rules.detector import SeriesDetector
from models.rules.flags import load_config
from models.rules.panel import Grid
from models.rules.registry import RULES, SERIES_RULES, onset_names
from models.rules.spike import Spike

CFG = load_config()


@pytest.fixture(scope="module")
def world():
    return make_benchmark(11, n_units=40, n_fast=2, counts={("level_shift", "level_shift"): 4, ("spike", "spike"): 3})


@pytest.fixture(scope="module")
def fitted(world):
    return SeriesDetector(CFG).fit(world.values, world.indicators, world.units)


def test_registry_lists_every_rule_once_in_flag_order():
    assert SERIES_RULES == ("突变", "断点", "同类偏离", "硬指标背离", "重数量轻质量", "重增速轻效益", "数字可疑", "成效不实")
    assert len({r.name for r in RULES}) == len(RULES)
    assert onset_names() == {"突变", "断点", "硬指标背离", "重数量轻质量", "重增速轻效益"}
    assert all(r.name in CFG["rules"] for r in RULES)  # each rule's thresholds live under its name


def test_every_rule_reports_hits_under_its_own_names(fitted):
    ps = fitted.panels_
    assert [type(r) for r in fitted.rules_] == RULES
    seen = set()
    for rule in fitted.rules_:
        for u, code, hit in rule.hits():
            assert isinstance(hit, RuleHit) and hit.rule in type(rule).rule_names()
            assert 0 <= u < len(ps.unit_ids) and code in ps.panels
            assert 0 <= hit.p <= 1
            seen.add(hit.rule)
    assert {"突变", "断点", "同类偏离", "数字可疑"} <= seen


def test_detector_keeps_configuration_in_init_and_learns_in_fit(world, fitted):
    det = SeriesDetector(CFG, rules=[Spike])
    assert det.config is CFG and det.rules == [Spike]
    assert not [a for a in vars(det) if a.endswith("_")]  # nothing learned before fit
    assert det.fit(world.values, world.indicators, world.units) is det
    assert {"config_", "panels_", "rules_", "hits_", "features_", "flags_"} <= set(vars(fitted))
    assert set(det.flags_["rule"]) == {"突变"}
    # a partial configuration is merged over anomaly.yaml at fit, the caller's dict left alone
    strict = {"rules": {"突变": {"p_fire": 0.0}}}
    quiet = SeriesDetector(strict, rules=[Spike]).fit(world.values, world.indicators, world.units)
    assert quiet.flags_.empty and quiet.config_["rules"]["突变"]["min_abs_z"] == CFG["rules"]["突变"]["min_abs_z"]
    assert strict == {"rules": {"突变": {"p_fire": 0.0}}}
    # the full registry finds the planted level shifts the spike rule alone cannot name
    assert "断点" in set(fitted.flags_["rule"])


def test_a_rule_of_ones_own_joins_through_the_list(world):
    class Planted(PanelRule):
        """Fires on the first unit of every panel (a stand-in for a client's rule)."""
        name = "演示规则"

        def _panel(self, ps, p):
            u = int(np.where(p.has)[0][0])
            self._hit(u, p.code, RuleHit(self.name, 1e-8, True, 5.0, None, "2024-01", "2024-12", "演示原因"))

    det = SeriesDetector(CFG, rules=[Planted]).fit(world.values, world.indicators, world.units)
    mine = det.flags_[det.flags_["rules"].str.contains("演示规则")]
    assert len(mine) == det.flags_["indicator"].nunique() == len(det.panels_.panels)
    assert mine["reason"].str.contains("演示原因").all()
    assert set(det.flags_["rule"]) == {"演示规则"} and det.flags_["score"].gt(0).all()


def test_grid_labels_come_from_period_codes():
    """2023-11 to 2024-03: January is reported with February, so 2024-01 is no column."""
    g = Grid.span(2023 * 12 + 10, 2024 * 12 + 2)
    assert g.labels["month"] == ["2023-11", "2023-12", "2024-02", "2024-03"]
    assert g.labels["quarter"] == ["2023-Q4", "2024-Q1"]
    assert g.labels["year"] == ["2023", "2024"]
    assert list(g.start["quarter"]) == [2023 * 12 + 9, 2024 * 12]


def test_configuration_is_read_through_the_reference_loader(tmp_path, monkeypatch):
    shutil.copy(REFERENCE_DIR / "anomaly.yaml", tmp_path / "anomaly.yaml")
    text = (tmp_path / "anomaly.yaml").read_text(encoding="utf-8")
    cap = CFG["budget"]["red_per_month"]
    edited = text.replace(f"red_per_month: {cap}", f"red_per_month: {cap + 7}", 1)
    assert edited != text
    (tmp_path / "anomaly.yaml").write_text(edited, encoding="utf-8")
    monkeypatch.setenv("SHIJI_REFERENCE_DIR", str(tmp_path))
    assert load_config()["budget"]["red_per_month"] == cap + 7
    assert load_config({"budget": {"red_per_month": 1}})["budget"]["red_per_month"] == 1
