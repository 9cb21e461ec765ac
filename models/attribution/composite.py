"""The composite indicator '*': per cadre, a role-weighted mean of the standardised effects of
the indicators that identified the cadre, with why it is 不可判定 when none did."""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd
from scipy.stats import t as student

from models.attribution.schema import (
    CAUSES, COMPOSITE, CONTRIBUTION_COLUMNS, CONTRIBUTION_EXTRA, FLAGS, NO_RECORDS, _first_cause, bands,
)


def composite_contributions(
    contributions: pd.DataFrame,
    sd_cadre: Mapping[str, float],
    weights: Mapping[str, Mapping[str, float]] | None = None,
    roles: Mapping[str, str] | pd.Series | pd.DataFrame | None = None,
    ci_level: float = 0.95,
) -> pd.DataFrame:
    """Composite indicator '*' per cadre: a role-weighted mean of standardised effects.

    Each indicator's effect (and effect_fe, se) is divided by ``sd_cadre[indicator]``, the
    estimated SD of cadre effects for that indicator, so the composite is in SD units. The
    weights of a cadre come from ``weights[roles[cadre]]`` (role_type -> {indicator: weight};
    ``roles`` maps cadre_id -> role_type: a mapping, a Series, or the cadres table);
    a cadre whose role is unknown or missing from ``weights`` uses ``weights['*']`` if given,
    else equal weights. Only identified indicators with positive weight enter, and weights are
    renormalised over them; with none, the composite is 不可判定.

    ``weight_identified`` is the share of the cadre's intended weight that entered: the
    positive weights of its role over the indicators delivered for its posts (it has a row),
    identified or not. An indicator the county does not report for the cadre's units is a
    different job, not a gap in the evidence; one reported but not separable from the
    platform is a gap. A composite resting on a small share stands for little of what the
    cadre is judged on, and the quadrant treats it as uncertain below a configured share. Flags are those of the
    indicators used (of every indicator when none was). ``cause`` says why a composite is
    不可判定: the identification flag of :data:`CAUSES` that holds the most weight among the
    cadre's weighted indicators (``cause_indicator`` the heaviest of them); ``no_records`` when
    no weighted indicator has a record of the cadre, ``no_spread`` when the only identified ones
    have an estimated cadre spread of zero (no standardised effect exists).

    SE: sqrt(sum w_k^2 se_k^2) / sum w_k, i.e. the per-indicator errors are ASSUMED
    INDEPENDENT. They are not exactly (the same assignments drive every indicator, and outcome
    noise may correlate across indicators), so the composite interval can be too narrow when
    the indicators' errors are positively correlated. component_id is the cadre's component
    if it is the same in every entering indicator, else -1 (flag ``mixed_components``); as
    every standardised effect is centred within its own component, the composite is still a
    within-component comparison.
    """
    rows = contributions[contributions["indicator"] != COMPOSITE].copy()
    rows["sd"] = rows["indicator"].map(sd_cadre).astype(float)
    if isinstance(roles, pd.DataFrame):  # the cadres table: cadre_id, role_type
        roles = roles.set_index("cadre_id")["role_type"]
    role_of = pd.Series(roles, dtype=object) if roles is not None else pd.Series(dtype=object)
    role = rows["cadre_id"].map(role_of)
    rows["w"] = [_weight(weights, r, ind) for r, ind in zip(role, rows["indicator"])]
    use = rows["identified"].astype(bool) & (rows["w"] > 0) & (rows["sd"] > 0)
    rows["use"] = use
    w = np.where(use, rows["w"], 0.0)
    sd = np.where(use, rows["sd"], 1.0)
    terms = pd.DataFrame({
        "cadre_id": rows["cadre_id"].to_numpy(),
        "w": w,
        "n_used": use.to_numpy(int),
        "eff": w * np.nan_to_num(rows["effect"].to_numpy(float)) / sd,
        "eff_fe": w * np.nan_to_num(rows["effect_fe"].to_numpy(float)) / sd,
        "var": (w * np.nan_to_num(rows["se"].to_numpy(float)) / sd) ** 2,
        "var_fe": (w * np.nan_to_num(rows["se_fe"].to_numpy(float)) / sd) ** 2,
        "rel": w * np.nan_to_num(rows["reliability"].to_numpy(float)),
        "n_obs": np.where(use, rows["n_obs"], 0),
        "n_units": rows["n_units"].to_numpy(),
        "comp_lo": np.where(use, rows["component_id"], np.iinfo(np.int64).max),
        "comp_hi": np.where(use, rows["component_id"], -1),
        # without residual degrees of freedom (rows made elsewhere) the interval is normal
        "df": np.where(use, rows.get("df_resid", pd.Series(np.inf, index=rows.index)).to_numpy(float), np.inf),
    })
    agg = terms.groupby("cadre_id", sort=True).agg(
        w=("w", "sum"), n_used=("n_used", "sum"), eff=("eff", "sum"), eff_fe=("eff_fe", "sum"),
        var=("var", "sum"), var_fe=("var_fe", "sum"), rel=("rel", "sum"), n_obs=("n_obs", "sum"),
        n_units=("n_units", "max"), comp_lo=("comp_lo", "min"), comp_hi=("comp_hi", "max"),
        df=("df", "min"),
    )
    ok = agg["n_used"].to_numpy() > 0
    wsum = np.where(ok, agg["w"], 1.0)
    nan_if = lambda v: np.where(ok, v, np.nan)  # noqa: E731
    effect = nan_if(agg["eff"] / wsum)
    se = nan_if(np.sqrt(agg["var"]) / wsum)
    # t with the fewest residual degrees of freedom among the indicators used: conservative.
    df = nan_if(agg["df"].to_numpy(float))
    q = student.ppf(0.5 + ci_level / 2, np.where(ok, df, 1.0))
    lo, hi = effect - q * se, effect + q * se
    same = agg["comp_lo"].to_numpy() == agg["comp_hi"].to_numpy()
    component = np.where(ok & same, agg["comp_hi"], -1)

    indicators = sorted(rows["indicator"].unique())
    expected = np.array([
        sum(_weight(weights, role_of.get(c), ind) > 0 for ind in indicators) for c in agg.index
    ])
    intended = rows.assign(w=rows["w"].clip(lower=0)).groupby("cadre_id", sort=True)["w"].sum().reindex(agg.index).to_numpy()
    extra = {
        "partial_composite": agg["n_used"].to_numpy() < np.maximum(expected, 1),
        "mixed_components": ok & ~same,
    }
    # The flags of the indicators the composite stands on; a cadre with none shows them all.
    shown = rows[rows["use"] | ~rows["cadre_id"].map(pd.Series(ok, index=agg.index)).astype(bool)]
    inherited = shown.groupby("cadre_id", sort=True)["flags"].agg(
        lambda f: set(";".join(f).split(";")) - {""}
    ).reindex(agg.index, fill_value=set())
    order = FLAGS + tuple(extra)
    flags = [
        ";".join(
            name for name in order
            if name in have or (name in extra and extra[name][i])
        )
        for i, have in enumerate(inherited)
    ]
    cause, cause_indicator = _composite_cause(rows, agg.index, ok)
    frame = pd.DataFrame({
        "cadre_id": agg.index.to_numpy(),
        "indicator": COMPOSITE,
        "effect": effect,
        "effect_fe": nan_if(agg["eff_fe"] / wsum),
        "se": se,
        "ci_low": lo,
        "ci_high": hi,
        "n_obs": np.where(ok, agg["n_obs"], rows.groupby("cadre_id", sort=True)["n_obs"].sum()),
        "n_units": agg["n_units"].to_numpy(np.int64),
        "component_id": component.astype(np.int64),
        "identified": ok,
        "band": bands(lo, hi, ok),
        "flags": flags,
        "se_fe": nan_if(np.sqrt(agg["var_fe"]) / wsum),
        "reliability": nan_if(agg["rel"] / wsum),
        "df_resid": df,
        "weight_identified": np.minimum(agg["w"].to_numpy() / np.where(intended > 0, intended, np.nan), 1.0),
        "cause": cause,
        "cause_indicator": cause_indicator,
    })
    return frame[list(CONTRIBUTION_COLUMNS + CONTRIBUTION_EXTRA)]


def _composite_cause(rows: pd.DataFrame, cadres: pd.Index, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(cause, cause_indicator) per cadre of ``cadres``: see :func:`composite_contributions`."""
    cause = pd.Series("", index=cadres, dtype=object)
    where = pd.Series("", index=cadres, dtype=object)
    weighted = rows[(rows["w"] > 0) & rows["cadre_id"].isin(cadres[~ok])]
    cause[~ok] = NO_RECORDS
    spread_zero = weighted[weighted["identified"].astype(bool)]
    cause[spread_zero["cadre_id"].unique()] = "no_spread"
    # from the flags of the rows not identified, as each indicator row's own cause (rows made
    # elsewhere, without a cause column, explain themselves too)
    first = ["" if ok else _first_cause(f) for ok, f in zip(weighted["identified"].astype(bool), weighted["flags"])]
    known = weighted.assign(cause=first)[[bool(c) for c in first]]
    if len(known):
        rank = {c: i for i, c in enumerate(CAUSES)}
        by = (known.groupby(["cadre_id", "cause"], sort=False)["w"].sum().rename("total").reset_index()
              .assign(rank=lambda f: f["cause"].map(rank))
              .sort_values(["cadre_id", "total", "rank"], ascending=[True, False, True])
              .drop_duplicates("cadre_id").set_index("cadre_id")["cause"])
        cause[by.index] = by
        heaviest = (known.merge(by.rename("top"), left_on="cadre_id", right_index=True)
                    .query("cause == top").sort_values(["cadre_id", "w", "indicator"], ascending=[True, False, True])
                    .drop_duplicates("cadre_id").set_index("cadre_id")["indicator"])
        where[heaviest.index] = heaviest
    return cause.to_numpy(), where.to_numpy()


def _weight(weights, role, indicator) -> float:
    if weights is None:
        return 1.0
    table = weights.get(role) if isinstance(role, str) else None
    if table is None:
        table = weights.get(COMPOSITE)
    if table is None:
        return 1.0
    return float(table.get(indicator, 0.0))
