"""Indicator scores per unit × indicator × period (DOMAIN.md §2, result table `unit_scores`).

Input: an ``indicator_values`` frame with the contract columns
``unit_id, indicator, period, value[, target, verified_value]`` where ``target`` is the annual
target and ``period`` is ``YYYY-MM`` (January+February merged as ``YYYY-02``), ``YYYY-Qn`` or
``YYYY``. The indicator dictionary (direction, cumulative, unit, unit types) comes from
``data/reference/indicators.yaml``, optionally extended by a contract ``indicators`` frame
(models/dictionary.py).

Per row the module computes:

* ``expected_share`` (时序进度): end month / 12 (``YYYY-02`` → 2/12, ``Q2`` → 6/12, year → 1);
* ``target_to_date``: the annual target pro-rated by 时序进度 for cumulative (year-to-date)
  non-percentage indicators, the annual target otherwise (a year-to-date growth rate is compared
  with the annual growth target as it stands);
* ``completion``: value / target_to_date, or target_to_date / value for direction −1;
* ``rank`` among comparable units (1 = best, direction-adjusted, ties share the best rank);
* ``score`` on 0–100 by the method configured per indicator in ``weights.yaml``:
  completion ``100·clip(completion, 0, cap)``; rank ``100·(N − rank)/(N − 1)``;
  growth gap ``100·clip(0.5 + dir·(g − g_benchmark)/width, 0, 1)``.
  ``weighted_score = weight · score / 100`` is what a unit total adds up.

Everything is a pure function of DataFrames; no I/O beyond the cached YAML.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from models.config import resolve
from models.dictionary import indicator_frame
from models.period import period_frame

RESULT_COLUMNS = ["unit_id", "indicator", "period", "value", "target", "completion", "rank", "score"]


# --------------------------------------------------------------------------------------------
# Scoring specs
# --------------------------------------------------------------------------------------------

def scoring_spec(indicator: str, config: dict | None = None) -> dict:
    """The scoring parameters of one indicator: the defaults overridden per indicator."""
    cfg = resolve(config, "weights")["indicator_scoring"]
    spec = dict(cfg["defaults"])
    spec.update((cfg.get("indicators") or {}).get(indicator) or {})
    return spec


def _is_rate_unit(unit: Any, kind: Any) -> bool:
    return str(unit).strip() in ("%", "％", "pp", "百分点") or kind == "rate"


# --------------------------------------------------------------------------------------------
# Cumulative series
# --------------------------------------------------------------------------------------------

def period_increments(values: pd.DataFrame, indicators: pd.DataFrame | None = None) -> pd.DataFrame:
    """Add ``period_value``: the in-period flow of a year-to-date (累计) series.

    The first point of a year (usually ``YYYY-02`` = January+February) is its own flow; each later
    point is the difference to the previous point of the same unit, indicator and year. Rates and
    non-cumulative indicators get NaN. Also adds ``cum_decrease`` (累计值回落: a YTD value below the
    previous one, which is always a data problem).
    """
    d = indicator_frame(indicators)
    out = values.copy()
    pf = period_frame(out["period"])
    out["_year"], out["_end"] = pf["year"], pf["end_month"]
    rate_codes = pd.Series([_is_rate_unit(u, k) for u, k in zip(d["unit"], d["kind"])], index=d.index)
    cumulative = out["indicator"].map(d["cumulative"].astype(bool)).fillna(False).astype(bool)
    rate = out["indicator"].map(rate_codes).fillna(False).astype(bool)
    out = out.sort_values(["unit_id", "indicator", "_year", "_end"], kind="stable")
    prev = out.groupby(["unit_id", "indicator", "_year"], sort=False)["value"].shift(1)
    flow = (out["value"] - prev).where(prev.notna(), out["value"])
    mask_cum = cumulative.reindex(out.index).astype(bool)
    mask_flow = mask_cum & ~rate.reindex(out.index).astype(bool)
    out["period_value"] = flow.where(mask_flow)
    out["cum_decrease"] = (mask_flow & prev.notna() & (out["value"] < prev - 1e-9)).astype(bool)
    return out.drop(columns=["_year", "_end"]).sort_index()


def check_cumulative(values: pd.DataFrame, indicators: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rows where a cumulative (累计) amount falls below the previous period of the same year."""
    inc = period_increments(values, indicators)
    bad = inc[inc["cum_decrease"]]
    return bad[["unit_id", "indicator", "period", "value", "period_value"]].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Scores
# --------------------------------------------------------------------------------------------

def _band(share: float, bands: list[dict]) -> str | None:
    if share is None or pd.isna(share):
        return None
    for b in bands:
        if share <= float(b["max_share"]) + 1e-9:
            return b["band"]
    return bands[-1]["band"]


def score_indicators(
    values: pd.DataFrame,
    indicators: pd.DataFrame | None = None,
    units: pd.DataFrame | None = None,
    benchmarks: pd.DataFrame | None = None,
    config: dict | None = None,
) -> pd.DataFrame:
    """Score every unit × indicator × period row (result table ``unit_scores``).

    Parameters
    ----------
    values : contract ``indicator_values`` (unit_id, indicator, period, value[, target,
        verified_value]); ``target`` is the annual target and may be given on one row per year.
    indicators : optional contract ``indicators`` table extending indicators.yaml.
    units : optional contract ``units`` table (unit_id, unit_type): units are compared only with
        units of the indicator's ``unit_types``; without it every unit is comparable.
    benchmarks : optional (indicator, period, benchmark) for growth_gap, e.g. the county or
        Taizhou growth; overrides ``growth_benchmark`` from weights.yaml.
    config : the parsed weights.yaml (default: load it).

    Returns the contract columns ``unit_id, indicator, period, value, target, completion, rank,
    score`` plus: reported_value, value_source, year, period_kind, expected_share,
    target_to_date, actual_share, progress_gap_pp, direction, cumulative, method,
    method_used, n_comparable, benchmark, score_fraction, weight, weighted_score, band,
    period_value, cum_decrease, note.
    """
    cfg = resolve(config, "weights")
    sc = cfg["indicator_scoring"]
    missing = [c for c in ("unit_id", "indicator", "period", "value") if c not in values.columns]
    if missing:
        raise ValueError(f"indicator_values 缺少列 {missing}")
    extra = [
        "reported_value", "value_source", "year", "period_kind", "expected_share",
        "target_to_date", "actual_share", "progress_gap_pp", "direction", "cumulative", "method",
        "method_used", "n_comparable", "benchmark", "score_fraction", "weight", "weighted_score",
        "band", "period_value", "cum_decrease", "note",
    ]
    if len(values) == 0:
        return pd.DataFrame(columns=RESULT_COLUMNS + extra)
    d = indicator_frame(indicators)
    df = values.copy().reset_index(drop=True)
    # The contract accepts the indicator's code or its Chinese name.
    by_name = {str(n): code for code, n in d["name"].items()}
    df["indicator"] = df["indicator"].astype(str).map(lambda x: x if x in d.index else by_name.get(x, x))
    unknown = sorted(set(df["indicator"]) - set(d.index))
    if unknown:
        raise ValueError(f"指标字典中没有这些指标: {unknown}")

    df["unit_id"] = df["unit_id"].astype(str)
    df["period"] = df["period"].astype(str)
    for col in ("target", "verified_value"):
        if col not in df.columns:
            df[col] = np.nan
    df["reported_value"] = pd.to_numeric(df["value"], errors="coerce").astype(float)
    df["verified_value"] = pd.to_numeric(df["verified_value"], errors="coerce").astype(float)
    df["target"] = pd.to_numeric(df["target"], errors="coerce").astype(float)
    use_verified = bool(sc.get("use_verified", True))
    has_ver = df["verified_value"].notna() & use_verified
    df["value"] = df["verified_value"].where(has_ver, df["reported_value"])
    df["value_source"] = np.where(has_ver, "核实值", "填报值")

    pf = period_frame(df["period"])
    df = pd.concat([df, pf], axis=1)
    # The annual target may be given on one row per year: spread it to the year's rows.
    first_target = df.groupby(["unit_id", "indicator", "year"])["target"].transform("first")
    df["target"] = df["target"].fillna(first_target)

    specs = {code: scoring_spec(code, cfg) for code in df["indicator"].unique()}
    meta = d.loc[df["indicator"]]
    df["direction"] = meta["direction"].to_numpy().astype(int)
    df["cumulative"] = meta["cumulative"].to_numpy().astype(bool)
    rate_like = np.array([_is_rate_unit(u, k) for u, k in zip(meta["unit"], meta["kind"])])
    mode = df["indicator"].map(lambda c: specs[c]["target_mode"])
    prorate = np.where(mode == "prorate", True,
                       np.where(mode == "as_is", False, df["cumulative"].to_numpy() & ~rate_like))
    df["target_to_date"] = np.where(prorate, df["target"] * df["expected_share"], df["target"])
    df["actual_share"] = np.where(prorate, df["value"] / df["target"].where(df["target"] != 0), np.nan)
    df["progress_gap_pp"] = np.where(
        prorate, (df["actual_share"] - df["expected_share"]) * 100.0, np.nan
    )

    # Completion ratio (完成率), direction-aware.
    cap = df["indicator"].map(lambda c: float(specs[c]["cap"])).astype(float)
    v, t = df["value"], df["target_to_date"]
    notes = pd.Series("", index=df.index, dtype=object)
    comp_pos = (v / t).where(t > 0)
    comp_neg = (t / v).where((t > 0) & (v > 0))
    zero_best = (df["direction"] == -1) & (t > 0) & (v <= 0)
    comp_neg = comp_neg.mask(zero_best, cap)
    notes = notes.mask(zero_best, "逆向指标数值≤0,按封顶计")
    notes = notes.mask(t.isna(), "无目标值")
    notes = notes.mask(t.notna() & (t <= 0), "目标值≤0,完成率不适用")
    df["completion"] = np.where(df["direction"] == -1, comp_neg, comp_pos)

    # Comparable groups (unit types the indicator is compared across).
    if units is not None and "unit_type" in units.columns:
        utype = df["unit_id"].map(units.assign(unit_id=units["unit_id"].astype(str))
                                  .set_index("unit_id")["unit_type"])
        types = meta["unit_types"].to_numpy()
        df["_group"] = [
            "peers" if (not ts or ut in ts) else f"type:{ut}"
            for ut, ts in zip(utype, types)
        ]
    else:
        df["_group"] = "peers"
    gkeys = ["indicator", "period", "_group"]

    basis = df["indicator"].map(lambda c: specs[c]["rank_basis"])
    df["_rank_basis"] = np.where(basis == "value", df["value"] * df["direction"], df["completion"])
    # A comparison group without any target is ranked on the direction-adjusted value instead.
    no_target = df.groupby(gkeys)["_rank_basis"].transform("count") == 0
    df["_rank_basis"] = df["_rank_basis"].mask(no_target, df["value"] * df["direction"])
    df["rank"] = df.groupby(gkeys)["_rank_basis"].rank(ascending=False, method="min")
    df["n_comparable"] = df.groupby(gkeys)["_rank_basis"].transform("count").astype("int64")
    n = df["n_comparable"].astype(float)
    rank_frac = np.where(n > 1, (n - df["rank"]) / (n - 1).where(n > 1), 1.0)
    rank_frac = pd.Series(rank_frac, index=df.index).where(df["rank"].notna())

    # Growth-gap benchmark.
    bench = pd.Series(np.nan, index=df.index)
    for code, spec in specs.items():
        m = df["indicator"] == code
        how = str(spec["growth_benchmark"])
        sub = df.loc[m]
        if how.startswith("unit:"):
            uid = how.split(":", 1)[1]
            ref = sub.loc[sub["unit_id"] == uid].set_index("period")["value"]
            bench.loc[m] = sub["period"].map(ref).to_numpy()
        else:
            agg = "median" if how == "median" else "mean"
            bench.loc[m] = sub.groupby(["period", "_group"])["value"].transform(agg).to_numpy()
    if benchmarks is not None and len(benchmarks):
        b = benchmarks.assign(indicator=benchmarks["indicator"].astype(str),
                              period=benchmarks["period"].astype(str))
        ext = df[["indicator", "period"]].merge(b[["indicator", "period", "benchmark"]],
                                               on=["indicator", "period"], how="left")
        bench = pd.Series(ext["benchmark"].to_numpy(), index=df.index).fillna(bench)
    width = df["indicator"].map(lambda c: float(specs[c]["growth_gap_width"])).astype(float)
    gap_frac = (0.5 + df["direction"] * (df["value"] - bench) / width).clip(0.0, 1.0)
    uses_gap = (df["indicator"].map(lambda c: specs[c]["method"]) == "growth_gap") | (
        df["indicator"].map(lambda c: specs[c]["fallback_method"]) == "growth_gap")
    df["benchmark"] = bench.where(uses_gap)

    comp_frac = df["completion"].clip(lower=0.0).clip(upper=cap)
    fractions = {"completion": comp_frac, "rank": rank_frac, "growth_gap": gap_frac}
    method = df["indicator"].map(lambda c: specs[c]["method"])
    fallback = df["indicator"].map(lambda c: specs[c]["fallback_method"])
    chosen = pd.Series(np.nan, index=df.index)
    used = pd.Series("", index=df.index, dtype=object)
    for name, frac in fractions.items():
        m = (method == name) & frac.notna()
        chosen = chosen.mask(m, frac)
        used = used.mask(m, name)
    for name, frac in fractions.items():
        m = chosen.isna() & (fallback == name) & frac.notna()
        chosen = chosen.mask(m, frac)
        used = used.mask(m, name)
        notes = notes.mask(m, (notes + ";").str.lstrip(";") + f"按备用方法{name}评分")
    df["method"] = method
    df["method_used"] = used.replace("", np.nan)
    df["score_fraction"] = chosen
    df["score"] = chosen * 100.0
    df["weight"] = df["indicator"].map(lambda c: float(specs[c]["weight"])).astype(float)
    df["weighted_score"] = df["weight"] * chosen
    bands = sc["bands"]
    # A ranking band needs at least two comparable units (a lone county series has no rank).
    df["band"] = [_band(r / k if k >= 2 else np.nan, bands) for r, k in zip(df["rank"], df["n_comparable"])]
    df["note"] = notes.str.strip(";")

    inc = period_increments(df[["unit_id", "indicator", "period", "value"]], indicators)
    df["period_value"] = inc["period_value"]
    df["cum_decrease"] = inc["cum_decrease"]

    out = df[RESULT_COLUMNS + extra].copy()
    out["rank"] = out["rank"].astype("Int64")
    return out.sort_values(["indicator", "period", "unit_id"], kind="stable").reset_index(drop=True)


def unit_totals(unit_scores: pd.DataFrame) -> pd.DataFrame:
    """Weighted total per unit × period over the indicators scored in that period.

    total = Σ weight · score / Σ weight (0–100, above 100 only through capped completion).
    """
    s = unit_scores[unit_scores["score"].notna()]
    g = s.assign(_ws=s["weight"] * s["score"]).groupby(["unit_id", "period"], as_index=False)
    out = g.agg(weighted=("_ws", "sum"), weight=("weight", "sum"), n_indicators=("indicator", "count"))
    out["total"] = out["weighted"] / out["weight"].where(out["weight"] > 0)
    return out[["unit_id", "period", "n_indicators", "weight", "total"]]
