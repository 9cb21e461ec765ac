"""How much the task contributions depend on the 配合干部 share.

A task record is credited to its 责任人 and its 配合干部 by configured shares (weights.yaml
``performance.role_shares``, 责任人 0.6). The data can say a little about that choice: the task
model is refitted with other 责任人 shares on the same records, and each fit's restricted
likelihood (same records, same unit and period effects, so the deviances compare) tells which
share the records favour. The table also says what the choice changes: how the cadres' task
effects correlate with those of the configured share, and how many cadres whose side of 0 is
sure under the configured share lose that side or change it.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from models.attribution import ContributionAttribution
from models.cards import task_roles
from models.quadrant import side_probability

LEAD_SHARES = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
COLUMNS = ["lead_share", "co_share", "configured", "deviance", "delta_deviance", "sd_cadre", "n_identified",
           "n_sure", "corr_with_configured", "n_side_lost", "n_side_flipped"]


def co_share_sensitivity(records: pd.DataFrame, tasks: pd.DataFrame, configured: dict,
                         lead_shares=LEAD_SHARES, level: float = 0.9, **params) -> pd.DataFrame:
    """One row per 责任人 share tried (``configured`` = {"lead": .., "co": ..} always included).

    ``records``: the task records (record_id = task_id, unit_id, period, y); ``tasks``: the
    tasks table (task_id, lead_cadre_id, co_cadre_ids, year); ``params`` go to
    :class:`ContributionAttribution`. ``delta_deviance`` is the deviance minus the smallest
    (0 = the share the records favour; differences under about 2 are not a clear preference).
    ``n_sure``: cadres whose task effect is on one side of 0 with probability >= ``level``.
    Empty when the configured fit fails or identifies nobody (too few records).
    """
    lead = float(configured["lead"])
    grid = sorted({round(float(s), 6) for s in lead_shares} | {round(lead, 6)})
    fits = {}
    for s in grid:
        roles = task_roles(tasks, {"performance": {"role_shares": {"lead": s, "co": 1.0 - s}}})
        shares = roles.rename(columns={"task_id": "record_id"})[["record_id", "cadre_id", "share"]]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fits[s] = ContributionAttribution(**params).fit(records, shares, indicator="task")
        except ValueError:
            continue
    if round(lead, 6) not in fits or not fits[round(lead, 6)].cadre_effects_["identified"].any():
        return pd.DataFrame(columns=COLUMNS)
    base = _effects(fits[round(lead, 6)], level)
    best = min((m.deviance_ for m in fits.values()), default=np.nan)
    rows = []
    for s, m in fits.items():
        e = _effects(m, level)
        both = base.join(e, rsuffix="_alt", how="inner")
        both = both[both["identified"] & both["identified_alt"]]
        was_sure = both["sure"]
        rows.append({
            "lead_share": s, "co_share": round(1.0 - s, 6), "configured": s == round(lead, 6),
            "deviance": m.deviance_, "delta_deviance": m.deviance_ - best,
            "sd_cadre": float(np.sqrt(m.sigma2_cadre_)), "n_identified": int(e["identified"].sum()),
            "n_sure": int(e["sure"].sum()),
            "corr_with_configured": float(both["effect"].corr(both["effect_alt"])) if len(both) > 2 else np.nan,
            "n_side_lost": int((was_sure & ~both["sure_alt"]).sum()),
            "n_side_flipped": int((was_sure & both["sure_alt"]
                                   & (np.sign(both["effect"]) != np.sign(both["effect_alt"]))).sum()),
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def _effects(model: ContributionAttribution, level: float) -> pd.DataFrame:
    c = model.cadre_effects_.set_index("cadre_id")
    p = side_probability(c["effect"], c["se"], 0.0, c["df_resid"])
    return pd.DataFrame({"effect": c["effect"], "identified": c["identified"].astype(bool),
                         "sure": np.nan_to_num(p) >= level}, index=c.index)
