"""The unit tree (``units.parent_id``): count each place once.

A three-level city (市 → 区/县 → 乡镇街道) may report the same indicator at every level: the
city's 一般公共预算收入 already contains its districts', which contain their towns'. A total over
all reporting units would count each place two or three times. The rule used everywhere: among
the units that report a figure for one indicator and period, keep those with no reporting
ancestor (the topmost reporters); their areas do not overlap, so each place counts once.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

# Names of the unit levels (staging.units.level, from the unit type): units of one level are
# compared with each other only.
LEVEL_NAMES = {"city": "市级", "county": "区县", "town": "乡镇街道·平台", "dept": "部门"}


def parent_map(units: pd.DataFrame) -> dict[str, str]:
    """unit_id → parent_id for units that have a parent."""
    if units is None or units.empty or "parent_id" not in units:
        return {}
    has = units["parent_id"].notna() & (units["parent_id"].astype(str) != "")
    return dict(zip(units.loc[has, "unit_id"].astype(str), units.loc[has, "parent_id"].astype(str)))


def ancestors(unit: str, parents: Mapping[str, str]) -> list[str]:
    """Parent, grandparent, … of ``unit`` (a cycle, refused at ingest, stops the walk)."""
    out, seen = [], {unit}
    p = parents.get(unit)
    while p and p not in seen:
        out.append(p)
        seen.add(p)
        p = parents.get(p)
    return out


def topmost(unit_ids: Iterable[str], parents: Mapping[str, str]) -> list[bool]:
    """For each unit: True when none of its ancestors is among ``unit_ids``."""
    ids = [str(u) for u in unit_ids]
    present = set(ids)
    return [not any(a in present for a in ancestors(u, parents)) for u in ids]


def count_once(frame: pd.DataFrame, parents: Mapping[str, str], by: list[str]) -> pd.DataFrame:
    """Rows of ``frame`` (unit_id plus the ``by`` columns) whose unit has no ancestor reporting
    in the same ``by`` group."""
    if frame.empty or not parents:
        return frame
    keep = pd.Series(True, index=frame.index)
    for _, group in frame.groupby(by, sort=False, dropna=False):
        keep[group.index] = topmost(group["unit_id"], parents)
    return frame[keep.to_numpy()]
