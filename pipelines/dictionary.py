"""The indicator dictionary in force: data/reference/indicators.yaml extended by the optional
``indicators`` input table (client-defined indicators, or overrides of built-in ones)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml

from pipelines.home import PROJECT_ROOT

REFERENCE_DIR = PROJECT_ROOT / "data" / "reference"


@lru_cache(maxsize=None)
def _builtin(path: Path) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)["indicators"]


def builtin_indicators() -> dict:
    return {k: dict(v) for k, v in _builtin(REFERENCE_DIR / "indicators.yaml").items()}


def indicator_dictionary(indicators_table: pd.DataFrame | None) -> dict:
    """Built-in indicators overlaid with rows of the ``indicators`` table."""
    merged = builtin_indicators()
    if indicators_table is None or indicators_table.empty:
        return merged
    for row in indicators_table.itertuples(index=False):
        if pd.isna(row.indicator):
            continue
        spec = merged.get(row.indicator, {"core": False})
        spec.update({
            "name": row.name, "unit": row.unit,
            "direction": int(row.direction) if pd.notna(row.direction) else spec.get("direction", 1),
            "frequency": row.frequency, "cumulative": bool(row.cumulative) if pd.notna(row.cumulative) else False,
        })
        if pd.notna(row.kind):
            spec["kind"] = row.kind
        if pd.notna(row.unit_type) and str(row.unit_type):
            spec["unit_types"] = str(row.unit_type).split(";")
        merged[row.indicator] = spec
    return merged
