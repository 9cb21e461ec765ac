"""Which 需核查 flags are live: the one rule every layer counts flags by.

A flag is live unless the rules suppressed it (``suppressed``) or a person marked it 误报 or
已说明 (``status``); 属实 and unmarked flags stay live. The inspection list, the attribution's
exclusions, the wall's counts and the pages all count live flags by this rule.
"""
from __future__ import annotations

import pandas as pd

# Marks that close a flag: it was wrong, or the unit explained it.
CLOSED_STATUSES = ("误报", "已说明")


def live_flags(flags: pd.DataFrame) -> pd.Series:
    """Boolean Series (indexed like ``flags``): not suppressed and not marked 误报/已说明. A frame
    without a ``suppressed`` or ``status`` column counts every flag as not suppressed / unmarked."""
    live = pd.Series(True, index=flags.index)
    if "suppressed" in flags:
        live &= ~flags["suppressed"].astype("boolean").fillna(False).astype(bool)
    if "status" in flags:
        live &= ~flags["status"].isin(CLOSED_STATUSES)
    return live
