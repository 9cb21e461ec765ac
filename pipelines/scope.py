"""Which persons a scope may see: the one rule every person-returning query applies.

A scope is a set of allowed units, or None for every unit. A person is *seen in full* (scores,
quadrant, contribution, flags, ratings, tasks, every post) when their home unit is allowed: the
unit of their current post or, for a person who holds none now, of their last post. A person
who once served in an allowed unit but now sits elsewhere appears only in that unit's post
history (name, post, start, end, share); a person with no post at all only to an unscoped
caller. The home unit is the same one the cadre picker filters by, so the cadre page, the unit
page, the desk, the quadrants and the briefing all agree.

The rule lives here, not in ``ui/``, because the briefing (``pipelines/briefing.py``, also used
by the CLI) applies it too; ``ui/queries.py`` re-exports it for the pages.
"""
from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

# One row per cadre: the current post, else the last one (ties: larger share, then unit id, so
# the choice never depends on row order).
HOME_POSTS = """
    SELECT cadre_id, unit_id, post, start, "end", in_post
    FROM staging.assignments
    QUALIFY row_number() OVER (
        PARTITION BY cadre_id ORDER BY in_post DESC, start DESC, share DESC NULLS LAST, unit_id) = 1
"""

# The cadre ids whose home unit is in $scope_units.
HOMED_IN_SCOPE = f"""
    SELECT home.cadre_id FROM ({HOME_POSTS}) AS home
    WHERE home.unit_id IN (SELECT unnest($scope_units))
"""


def seen_in_full(column: str) -> str:
    """SQL predicate: the person in ``column`` (a trusted identifier) is seen in full. Binds
    $scope_all (no unit restriction: everyone, posted or not) and $scope_units."""
    return f"($scope_all OR {column} IN ({HOMED_IN_SCOPE}))"


def scope_params(units: Iterable[str] | None) -> dict:
    """The parameters :func:`seen_in_full` binds, for allowed ``units`` (None = every unit)."""
    return {"scope_all": units is None, "scope_units": [] if units is None else sorted(units)}


def sees_in_full(units: Iterable[str] | None, home_unit) -> bool:
    """The same rule in Python: ``home_unit`` is the person's current (or last) unit."""
    if units is None:
        return True
    if home_unit is None or (isinstance(home_unit, float) and pd.isna(home_unit)):
        return False
    return str(home_unit) in set(units)
