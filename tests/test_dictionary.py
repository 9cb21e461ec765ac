"""models/dictionary.py: the one indicator dictionary (indicators.yaml of the folder in use plus
the client's table) with one missing-value rule, used by ingestion, the build and scoring."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from models.config import load_reference
from models.dictionary import DEFAULTS, as_bool, as_list, builtin_indicators, indicator_dictionary, indicator_frame
from models.scoring import score_indicators, scoring_spec
from tests.reference_edit import edited_reference

TABLE_COLUMNS = ["indicator", "name", "unit", "direction", "frequency", "cumulative", "kind", "unit_type"]


def _table(*rows) -> pd.DataFrame:
    return pd.DataFrame([dict(zip(TABLE_COLUMNS, r)) for r in rows], columns=TABLE_COLUMNS)


def test_builtin_is_the_yaml_in_use_normalised():
    ref = load_reference("indicators")["indicators"]
    d = builtin_indicators()
    assert list(d) == list(ref)
    for code, spec in ref.items():
        assert d[code]["name"] == spec["name"] and d[code]["unit"] == spec["unit"]
        assert d[code]["direction"] == int(spec["direction"]) and isinstance(d[code]["direction"], int)
        assert d[code]["cumulative"] is bool(spec["cumulative"])
        assert d[code]["unit_types"] == list(spec.get("unit_types") or [])
        for key in ("core", "valid_min", "valid_max"):  # other fields pass through
            if key in spec:
                assert d[code][key] == spec[key]


def test_reference_dir_is_honoured(tmp_path, monkeypatch):
    code = next(iter(load_reference("indicators")["indicators"]))
    folder = edited_reference(tmp_path, {"indicators": lambda d: d["indicators"][code].update(name="改过的名称")})
    monkeypatch.setenv("SHIJI_REFERENCE_DIR", str(folder))
    assert indicator_dictionary()[code]["name"] == "改过的名称"
    assert indicator_frame().loc[code, "name"] == "改过的名称"


def test_a_blank_cell_keeps_the_builtin_value():
    code, spec = next(iter(builtin_indicators().items()))
    blank = _table((code, None, float("nan"), None, "", None, None, ""))
    assert indicator_dictionary(blank)[code] == spec
    flipped = _table((code, "新名称", "亿元", -spec["direction"], "year", not spec["cumulative"], "hard", "镇; 乡"))
    got = indicator_dictionary(flipped)[code]
    assert (got["name"], got["unit"], got["frequency"], got["kind"]) == ("新名称", "亿元", "year", "hard")
    assert got["direction"] == -spec["direction"] and got["cumulative"] is (not spec["cumulative"])
    assert got["unit_types"] == ["镇", "乡"]
    assert {k: got[k] for k in ("core", "valid_min", "valid_max") if k in spec} == \
        {k: spec[k] for k in ("core", "valid_min", "valid_max") if k in spec}


def test_a_new_indicator_takes_the_defaults_and_rows_without_code_are_skipped():
    table = _table(("client_x", "客户指标", None, None, None, "是", None, None),
                   (None, "无编码", "个", 1, "month", False, None, None))
    d = indicator_dictionary(table)
    assert d["client_x"] == {**DEFAULTS, "name": "客户指标", "cumulative": True}
    assert len(d) == len(builtin_indicators()) + 1
    assert indicator_dictionary(_table(("client_y",) + (None,) * 7))["client_y"]["name"] == "client_y"


def test_frame_and_scoring_use_the_same_dictionary():
    code, spec = next((c, s) for c, s in builtin_indicators().items() if s["unit"] != "%")
    frame = indicator_frame()
    assert frame.loc[code, "unit_types"] == spec["unit_types"] and frame.index.name == "indicator"
    values = pd.DataFrame({"unit_id": ["A", "B"], "indicator": code, "period": "2024",
                           "value": [50.0, 100.0], "target": [100.0, 100.0]})
    plain = score_indicators(values).set_index("unit_id")
    flipped = _table((code, None, None, -spec["direction"], None, None, None, None))
    other = score_indicators(values, indicators=flipped).set_index("unit_id")
    assert (plain["direction"] == spec["direction"]).all() and (other["direction"] == -spec["direction"]).all()
    assert plain.loc["A", "completion"] == pytest.approx(1 / other.loc["A", "completion"])


def test_ingestion_reads_the_same_dictionary():
    from pipelines import ingest

    assert ingest.indicator_dictionary is indicator_dictionary


def test_cells_as_lists_and_booleans():
    assert as_list("a; b;;c ") == ["a", "b", "c"] and as_list(["x", None, " "]) == ["x"] and as_list(math.nan) == []
    assert as_bool("是") and as_bool("TRUE") and not as_bool("否") and not as_bool(None) and as_bool(1)


def test_every_dictionary_indicator_has_a_valid_scoring_spec():
    weights = load_reference("weights")
    configured = set(weights["indicator_scoring"]["indicators"])
    assert set(builtin_indicators()) <= configured, "every indicator in indicators.yaml gets an explicit scoring entry"
    for code in builtin_indicators():
        spec = scoring_spec(code, weights)
        assert spec["method"] in ("completion", "rank", "growth_gap")
        assert spec["cap"] >= 1 and spec["weight"] >= 0
