"""Read queries for the attribution's own diagnostics (方法说明): what each indicator could
identify and how the task contributions depend on the 配合干部 share. County-wide counts of the
model, no unit data and no person: every scope reads the same table."""
from __future__ import annotations

import pandas as pd

from ui.profile_queries import table_exists
from ui.queries import Scope, run

# Whitelisted relations: the names never come from a user.
_TABLES = {"attribution_indicators": "SELECT * FROM marts.attribution_indicators ORDER BY indicator",
           "task_share_sensitivity": "SELECT * FROM marts.task_share_sensitivity ORDER BY lead_share"}


def _read(scope: Scope, name: str) -> pd.DataFrame:
    """The mart, or an empty frame on a data version built before it existed."""
    if not table_exists(scope, "marts", name):
        return pd.DataFrame()
    return run(scope, _TABLES[name], unit_column=None)


def attribution_indicators(scope: Scope) -> pd.DataFrame:
    return _read(scope, "attribution_indicators")


def task_share_sensitivity(scope: Scope) -> pd.DataFrame:
    return _read(scope, "task_share_sensitivity")
