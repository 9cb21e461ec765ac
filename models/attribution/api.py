"""Several indicators at once: :func:`fit_contributions` fits each and adds the composite
'*'; :class:`AttributionResult` holds the tables the build writes."""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import pandas as pd

from models.attribution.composite import composite_contributions
from models.attribution.data import _require
from models.attribution.estimator import ContributionAttribution
from models.attribution.schema import INDICATOR_SUMMARY_COLUMNS, RECORD_COLUMNS


@dataclass
class AttributionResult:
    contributions: pd.DataFrame  # result table `contributions`, composite rows indicator '*'
    platform_effects: pd.DataFrame  # result table `platform_effects`
    period_effects: pd.DataFrame
    models: dict = field(default_factory=dict)  # indicator -> fitted ContributionAttribution
    sd_cadre: dict = field(default_factory=dict)  # indicator -> sqrt(sigma2_cadre_)

    def indicator_summary(self) -> pd.DataFrame:
        """One row per fitted indicator: records, what identification needs (cadres + units),
        cadres identified, the estimated cadre spread and the residual degrees of freedom."""
        rows = [{
            "indicator": ind, "n_records": int(m.n_records_), "n_needed": int(m.n_cadres_ + m.n_units_),
            "n_cadres": int(m.n_cadres_), "n_units": int(m.n_units_),
            "n_identified": int(m.cadre_effects_["identified"].sum()),
            "sd_cadre": self.sd_cadre[ind], "df_resid": float(m.df_resid_),
            "serial_rho": m.serial_rho_, "noise_inflation": m.noise_inflation_,
        } for ind, m in self.models.items()]
        return pd.DataFrame(rows, columns=INDICATOR_SUMMARY_COLUMNS)


def fit_contributions(
    records: pd.DataFrame,
    shares: pd.DataFrame,
    weights: Mapping[str, Mapping[str, float]] | None = None,
    roles: Mapping[str, str] | pd.Series | pd.DataFrame | None = None,
    **params,
) -> AttributionResult:
    """Fit every indicator of ``records`` and add the composite indicator '*'.

    ``records``: indicator, record_id, unit_id, period, y. ``shares``: record_id, cadre_id,
    share, optionally indicator (then shares are matched per indicator; without it the same
    shares apply to every indicator's records with that record_id). ``params`` go to
    :class:`ContributionAttribution`. See :func:`composite_contributions` for ``weights`` and
    ``roles``. An indicator whose fit fails (e.g. too few records) is skipped with a warning.
    """
    _require(records, ("indicator",) + RECORD_COLUMNS, "records")
    per_indicator_shares = "indicator" in shares.columns
    models, frames, platforms, periods = {}, [], [], []
    design_cache: dict = {}
    for ind, rec in records.groupby("indicator", sort=True):
        sh = shares[shares["indicator"] == ind] if per_indicator_shares else shares
        try:
            model = ContributionAttribution(**params)._fit(rec, sh, str(ind), design_cache)
        except ValueError as exc:
            warnings.warn(f"indicator {ind}: {exc}", stacklevel=2)
            continue
        models[str(ind)] = model
        frames.append(model.cadre_effects_)
        platforms.append(model.platform_effects_)
        periods.append(model.period_effects_)
    if not models:
        raise ValueError("no indicator could be fitted")
    sd = {k: float(np.sqrt(m.sigma2_cadre_)) for k, m in models.items()}
    contributions = pd.concat(frames, ignore_index=True)
    ci_level = params.get("ci_level", 0.95)
    composite = composite_contributions(contributions, sd, weights, roles, ci_level)
    return AttributionResult(
        contributions=pd.concat([contributions, composite], ignore_index=True),
        platform_effects=pd.concat(platforms, ignore_index=True),
        period_effects=pd.concat(periods, ignore_index=True),
        models=models,
        sd_cadre=sd,
    )
