"""实绩象限: place each cadre per quarter by contribution (x) and observed performance (y).

x is the shrunken composite contribution (platform taken out); y is the percentile of the
实绩分 (platform included). Cadres whose contribution is not identified are 不可判定, never
placed by a number they do not have.
"""
from __future__ import annotations

import pandas as pd

QUADRANT_COLUMNS = ["cadre_id", "period", "x", "y", "quadrant"]


def assign_quadrants(points: pd.DataFrame, config: dict) -> pd.DataFrame:
    """``points``: cadre_id, period, x, y, identified. Returns the contract columns plus identified."""
    names = config["names"]
    out = points.copy()
    high_x = out["x"] > config["x_cut"]
    high_y = out["y"] > config["y_cut"]
    quadrant = pd.Series(names["low_low"], index=out.index, dtype="object")
    quadrant[high_x & high_y] = names["high_high"]
    quadrant[high_x & ~high_y] = names["high_low"]
    quadrant[~high_x & high_y] = names["low_high"]
    unidentified = ~out["identified"].fillna(False).astype(bool) | out["x"].isna() | out["y"].isna()
    quadrant[unidentified] = names["unidentified"]
    out["quadrant"] = quadrant
    out.loc[unidentified, "x"] = float("nan")
    return out[QUADRANT_COLUMNS + ["identified"]].sort_values(["period", "cadre_id"]).reset_index(drop=True)


def performance_percentile(scores: pd.DataFrame) -> pd.Series:
    """Percentile (0-1] of each cadre's score among the cadres scored in the same period."""
    return scores.groupby("period")["score"].rank(pct=True, method="average")


def long_stays(history: pd.DataFrame, quadrant: str, min_quarters: int) -> pd.DataFrame:
    """Cadres whose most recent run of consecutive quarters in ``quadrant`` is at least
    ``min_quarters`` long (the 季度微调 list). Columns: cadre_id, quarters, since, until."""
    rows = []
    for cadre_id, h in history.sort_values("period").groupby("cadre_id"):
        run = 0
        for q in reversed(h["quadrant"].tolist()):
            if q != quadrant:
                break
            run += 1
        if run >= min_quarters:
            periods = h["period"].tolist()
            rows.append({"cadre_id": cadre_id, "quarters": run, "since": periods[-run], "until": periods[-1]})
    return pd.DataFrame(rows, columns=["cadre_id", "quarters", "since", "until"]).sort_values(
        ["quarters", "cadre_id"], ascending=[False, True]).reset_index(drop=True)
