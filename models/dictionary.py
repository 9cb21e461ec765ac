"""The one indicator dictionary: data/reference/indicators.yaml extended by the client's optional
``indicators`` input table (new indicators, or overrides of built-in ones).

The build, the scoring model and ingestion all take it from here, so one build never holds two
dictionaries. One rule for missing values: a blank cell of the client's table keeps the
built-in value of that indicator; a new indicator's blank cell takes ``DEFAULTS`` (its name, its
code). Every entry is normalised the same way: ``direction`` an int, ``cumulative`` a bool,
``unit_types`` a list; other YAML fields (``core``, ``valid_min``/``valid_max``) pass through.

    >>> d = indicator_dictionary()
    >>> d["gpb_revenue"]["unit"], d["gpb_revenue"]["cumulative"]
    ('万元', True)
"""
from __future__ import annotations

import os
from typing import Any

import pandas as pd

from models.config import is_missing, load_reference

DEFAULTS: dict[str, Any] = {"unit": "", "direction": 1, "frequency": "month", "cumulative": False,
                            "kind": "other", "unit_types": [], "core": False}
FRAME_COLUMNS = ["name", "unit", "direction", "frequency", "cumulative", "kind", "unit_types", "core",
                 "valid_min", "valid_max"]
TRUE_WORDS = ("true", "1", "是", "yes", "y", "t")


def as_list(x: Any) -> list[str]:
    """A list cell (``a;b``, a list, or blank) as a list of stripped, non-empty strings."""
    if isinstance(x, (list, tuple, set)):
        return [str(v).strip() for v in x if not is_missing(v) and str(v).strip()]
    if hasattr(x, "tolist") and not isinstance(x, str):  # a numpy array
        return as_list(x.tolist())
    if is_missing(x):
        return []
    return [v.strip() for v in str(x).split(";") if v.strip()]


def as_bool(x: Any) -> bool:
    if isinstance(x, str):
        return x.strip().lower() in TRUE_WORDS
    return False if is_missing(x) else bool(x)


def _normalise(code: str, spec: dict) -> dict:
    out = {**DEFAULTS, "name": code, **{k: v for k, v in spec.items() if not _blank(v)}}
    out["direction"] = int(out["direction"])
    out["cumulative"] = as_bool(out["cumulative"])
    out["unit_types"] = as_list(out["unit_types"])
    return out


def _blank(v: Any) -> bool:
    return not isinstance(v, (list, tuple, set)) and not hasattr(v, "tolist") and is_missing(v)


def builtin_indicators(directory: str | os.PathLike | None = None) -> dict[str, dict]:
    """indicators.yaml (of the reference folder in use) as code → normalised spec."""
    return {str(code): _normalise(str(code), spec or {})
            for code, spec in load_reference("indicators", directory)["indicators"].items()}


def indicator_dictionary(table: pd.DataFrame | None = None,
                         directory: str | os.PathLike | None = None) -> dict[str, dict]:
    """The built-in indicators overlaid with the rows of the contract ``indicators`` table
    (indicator, name, unit, direction, frequency, cumulative[, kind, unit_type]); rows without a
    code are skipped, blank cells keep the built-in value (or the default)."""
    merged = builtin_indicators(directory)
    if table is None or table.empty:
        return merged
    for rec in table.to_dict("records"):
        if is_missing(rec.get("indicator")):
            continue
        code = str(rec["indicator"]).strip()
        given = {k: rec.get(k) for k in ("name", "unit", "direction", "frequency", "cumulative", "kind")}
        given["unit_types"] = as_list(rec.get("unit_type")) or None
        merged[code] = _normalise(code, {**merged.get(code, {}), **{k: v for k, v in given.items() if not _blank(v)}})
    return merged


def indicator_frame(table: pd.DataFrame | None = None,
                    directory: str | os.PathLike | None = None) -> pd.DataFrame:
    """``indicator_dictionary`` as a frame indexed by code (``unit_types`` a list per row)."""
    rows = indicator_dictionary(table, directory)
    frame = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=FRAME_COLUMNS)
    frame.index.name = "indicator"
    return frame
