"""The attribution's output tables: their columns and dtypes, the flags and bands a row
carries, and the causes that say why a cadre has no estimate."""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd


RECORD_COLUMNS = ("record_id", "unit_id", "period", "y")
SHARE_COLUMNS = ("record_id", "cadre_id", "share")
CONTRIBUTION_COLUMNS = (
    "cadre_id", "indicator", "effect", "effect_fe", "se", "ci_low", "ci_high", "n_obs",
    "n_units", "component_id", "identified", "band", "flags",
)
CONTRIBUTION_EXTRA = ("se_fe", "reliability", "df_resid", "weight_identified", "cause", "cause_indicator")
# Why a cadre has no estimate, most basic first: the first of these flags a row carries. An
# unidentified cadre with fewer than min_obs records of its own is told that first: its few
# records cannot show a move even where the unit saw some (a stayer with many records is told
# nobody moved).
CAUSES = ("too_few_records", "few_obs", "no_mobility", "not_separable", "no_peers")
# The composite's cause when none of the cadre's weighted indicators has a record of the cadre.
NO_RECORDS = "no_records"
INDICATOR_SUMMARY_COLUMNS = ("indicator", "n_records", "n_needed", "n_cadres", "n_units", "n_identified",
                             "sd_cadre", "df_resid", "serial_rho", "noise_inflation")
PLATFORM_COLUMNS = ("unit_id", "indicator", "effect", "se", "n_movers")
PLATFORM_EXTRA = ("component_id", "identified")
_COLUMN_DTYPES = {
    "effect": "float64", "effect_fe": "float64", "se": "float64", "ci_low": "float64", "ci_high": "float64",
    "se_fe": "float64", "reliability": "float64", "df_resid": "float64", "weight_identified": "float64", "n_obs": "int64", "n_units": "int64", "n_movers": "int64",
    "component_id": "int64", "identified": "bool", "n_records": "int64", "n_needed": "int64", "n_cadres": "int64",
    "n_identified": "int64", "sd_cadre": "float64", "serial_rho": "float64", "noise_inflation": "float64",
}
FLAGS = (
    "not_in_main_component", "no_mobility", "not_separable", "no_peers", "few_obs",
    "too_few_records", "weakly_identified", "shares_invalid", "high_leverage",
)
BAND_HIGH, BAND_MID, BAND_LOW, BAND_NONE = "高", "中", "低", "不可判定"
COMPOSITE = "*"
SOLVERS = ("auto", "dense", "schur", "iterative")


def empty_results() -> dict[str, pd.DataFrame]:
    """Typed, empty result tables for data that supports no model (every column the pages read)."""
    def frame(columns):
        return pd.DataFrame({c: pd.Series(dtype=_COLUMN_DTYPES.get(c, "string")) for c in columns})

    return {"contributions": frame(CONTRIBUTION_COLUMNS + CONTRIBUTION_EXTRA),
            "platform_effects": frame(PLATFORM_COLUMNS + PLATFORM_EXTRA),
            "period_effects": frame(("period", "indicator", "effect")),
            "attribution_indicators": frame(INDICATOR_SUMMARY_COLUMNS)}


def _first_cause(flags: str) -> str:
    """The first of :data:`CAUSES` in a ';'-joined flag string ("" when none)."""
    have = str(flags).split(";")
    return next((c for c in CAUSES if c in have), "")


def _join_flags(flags: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    out = np.full(n, "", dtype=object)
    for name in FLAGS:
        if name in flags:
            hit = np.asarray(flags[name], bool)
            out[hit] = np.where(out[hit] == "", name, out[hit] + ";" + name)
    return out


def bands(lo: np.ndarray, hi: np.ndarray, identified: np.ndarray) -> np.ndarray:
    """高 where the interval lies above zero, 低 below it, 中 across it; 不可判定 where not
    identified (the Bands section of the package docstring)."""
    return np.where(identified, np.where(lo > 0, BAND_HIGH, np.where(hi < 0, BAND_LOW, BAND_MID)), BAND_NONE)
