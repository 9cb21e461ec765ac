"""亩均效益综合评价 (亩均论英雄, DOMAIN.md §3): firm scores, A/B/C/D classes, unit and cadre levels.

Firm score (``data/reference/mujun.yaml``, 黄岩 method):

    规上 score = Σ_k w_k · x_k / B_k,  k = 亩均税收 30, 亩均增加值 20, 单位能耗增加值 20,
                                        单位排放增加值 10, 全员劳动生产率 10, R&D占比 10
    规下 score = 亩均税收/B·50 + 单位电耗税收/B'·50 (re-normalised to the indicators available)

with B the county benchmark of the year (computed as Σ numerator ÷ Σ denominator over the scale
group, or the published 黄岩 values), each sub-score floored at 0 and capped at 2 × weight, and
the average 排放 sub-score for firms without emission data. Classes A/B/C/D by rank share
within scale group and year (10 / 35 / 45 / 10 % of the
ranked list, position (rank − ½)/N), and 亩均税收 < 1/3 benchmark → D.

Unit / cadre level (``mujun_levels``): L_t = Σ 税收 / Σ 亩 on all firms of the group, and the
提升值 L_t − L_{t−1} and 提升率 on the balanced panel of firms present in both years, with 升档数
(firms whose class improved) on the same panel.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from models.config import is_missing, resolve

CLASSES = ("A", "B", "C", "D")
_CLASS_RANK = {c: i for i, c in enumerate(CLASSES)}
_EPS = 1e-9


def _bool(x: Any) -> bool:
    if isinstance(x, str):
        return x.strip().lower() in ("true", "1", "是", "yes", "y", "t", "规上")
    return False if is_missing(x) else bool(x)


def firm_indicators(enterprises: pd.DataFrame, enterprise_years: pd.DataFrame,
                    config: dict | None = None) -> pd.DataFrame:
    """Firm × year with the per-mu indicator values (NaN when the data cannot support one)."""
    cfg = resolve(config, "mujun")
    ent_cols = [c for c in ("enterprise_id", "unit_id", "land_mu", "above_scale", "cadre_id")
                if c in enterprises.columns]
    ey = enterprise_years.copy()
    ent = enterprises[ent_cols].copy()
    if "land_mu" in ey.columns:  # a per-year land area wins over the static one
        ent = ent.drop(columns="land_mu", errors="ignore")
    df = ey.merge(ent, on="enterprise_id", how="left", validate="many_to_one")
    missing_ent = df["unit_id"].isna() if "unit_id" in df.columns else pd.Series(True, index=df.index)
    if missing_ent.any():
        raise ValueError(f"企业年度数据中有未登记的企业: {sorted(df.loc[missing_ent, 'enterprise_id'].unique())[:5]}")
    df["above_scale"] = df["above_scale"].map(_bool)
    df["scale_group"] = np.where(df["above_scale"], "规上", "规下")
    df["year"] = df["year"].astype(int)
    for code, spec in cfg["indicators"].items():
        num, den = spec["numerator"], spec["denominator"]
        if num in df.columns and den in df.columns:
            n = pd.to_numeric(df[num], errors="coerce").astype(float)
            d = pd.to_numeric(df[den], errors="coerce").astype(float)
            df[code] = (n / d).where(d > 0)
        else:
            df[code] = np.nan
    return df


def county_benchmarks(indicators_df: pd.DataFrame, config: dict | None = None) -> pd.DataFrame:
    """Benchmark B per year × scale group × indicator.

    computed: Σ numerator ÷ Σ denominator over the group's firms with valid data;
    ``benchmarks.source: <place>`` replaces the 规上 values by that place's published ones
    for the years it has. Columns: year, scale_group, indicator, benchmark, source.
    """
    cfg = resolve(config, "mujun")
    src = cfg["benchmarks"]["source"]
    published = (cfg["benchmarks"]["published"] or {}).get(src, {}) if src != "computed" else {}
    published = {int(k): v for k, v in published.items()}
    rows = []
    for (year, group), sub in indicators_df.groupby(["year", "scale_group"]):
        for code, spec in cfg["indicators"].items():
            num, den = spec["numerator"], spec["denominator"]
            b, source = np.nan, "computed"
            if group == "规上" and int(year) in published and code in published[int(year)]:
                b, source = float(published[int(year)][code]), f"published:{src}:{int(year)}"
            elif num in sub.columns and den in sub.columns:
                n = pd.to_numeric(sub[num], errors="coerce")
                d = pd.to_numeric(sub[den], errors="coerce")
                ok = n.notna() & (d > 0)
                if ok.any() and d[ok].sum() > 0:
                    b = float(n[ok].sum() / d[ok].sum())
            rows.append((int(year), group, code, b, source))
    return pd.DataFrame(rows, columns=["year", "scale_group", "indicator", "benchmark", "source"])


def _class_of(share: float, cuts: dict) -> str:
    for c in CLASSES:
        if share <= float(cuts[c]) + _EPS:
            return c
    return "D"


def firm_scores(
    enterprises: pd.DataFrame,
    enterprise_years: pd.DataFrame,
    benchmarks: pd.DataFrame | None = None,
    config: dict | None = None,
) -> pd.DataFrame:
    """Score and class every firm × year.

    Parameters
    ----------
    enterprises : contract ``enterprises`` (enterprise_id, unit_id, land_mu, above_scale[, cadre_id]).
    enterprise_years : contract ``enterprise_years`` (enterprise_id, year, tax, value_added,
        energy_tce, emission_t, employees, rd_expense, revenue[, power_kwh, land_mu]).
    benchmarks : optional (year, indicator, benchmark[, scale_group]) replacing the configured ones.

    Returns one row per firm × year: enterprise_id, year, unit_id, cadre_id, above_scale,
    scale_group, land_mu, the indicator values, ``s_<indicator>`` sub-scores, score, rank,
    n_in_group, class, class_name, class_rule, imputed, benchmark_source.
    """
    cfg = resolve(config, "mujun")
    df = firm_indicators(enterprises, enterprise_years, cfg)
    bm = county_benchmarks(df, cfg)
    if benchmarks is not None and len(benchmarks):
        ext = benchmarks.copy()
        ext["year"] = ext["year"].astype(int)
        if "scale_group" not in ext.columns:
            ext["scale_group"] = "规上"
        ext = ext.assign(source="given")[["year", "scale_group", "indicator", "benchmark", "source"]]
        bm = pd.concat([ext, bm]).drop_duplicates(["year", "scale_group", "indicator"], keep="first")
    bmap = bm.set_index(["year", "scale_group", "indicator"])

    cap_mult = cfg["item_cap_multiple"]
    floor = float(cfg["item_floor"])
    weight_sets = {"规上": cfg["above_scale_weights"], "规下": cfg["below_scale_weights"]}
    all_codes = list(dict.fromkeys(k for w in weight_sets.values() for k in w))
    for code in all_codes:
        df[f"s_{code}"] = np.nan
    df["score"] = np.nan
    df["imputed"] = ""
    df["benchmark_source"] = ""

    for (year, group), idx in df.groupby(["year", "scale_group"]).groups.items():
        sub = df.loc[idx]
        weights = weight_sets[group]
        # Indicators with no data at all in this group-year (e.g. no power_kwh column) drop out
        # and the remaining weights are re-normalised to the same total.
        avail = {k: float(w) for k, w in weights.items() if sub[k].notna().any()}
        total_w = sum(float(w) for w in weights.values())
        scale = total_w / sum(avail.values()) if avail else 0.0
        score = pd.Series(0.0, index=idx)
        imputed = pd.Series("", index=idx, dtype=object)
        sources = set()
        for code, w in avail.items():
            w_eff = w * scale
            b = bmap["benchmark"].get((int(year), group, code), np.nan)
            sources.add(bmap["source"].get((int(year), group, code), ""))
            s = w_eff * sub[code] / b if b and not pd.isna(b) and b > 0 else pd.Series(np.nan, index=idx)
            s = s.clip(lower=floor * w_eff)
            if cap_mult is not None:
                s = s.clip(upper=float(cap_mult) * w_eff)
            miss = s.isna()
            if miss.any():
                if cfg["indicators"][code]["missing"] == "average" and s.notna().any():
                    s = s.fillna(float(s.mean()))
                    imputed = imputed.mask(miss, imputed + f"{code}=均值;")
                else:
                    s = s.fillna(0.0)
                    imputed = imputed.mask(miss, imputed + f"{code}=0;")
            df.loc[idx, f"s_{code}"] = s
            score = score + s
        df.loc[idx, "score"] = score
        df.loc[idx, "imputed"] = imputed.str.rstrip(";")
        df.loc[idx, "benchmark_source"] = ";".join(sorted(src for src in sources if src))

    # Classes within scale group (or all firms) and year.
    cl = cfg["classes"]
    keys = ["year", "scale_group"] if cl["within_scale_group"] else ["year"]
    df["rank"] = df.groupby(keys)["score"].rank(ascending=False, method="min").astype(int)
    df["n_in_group"] = df.groupby(keys)["score"].transform("count").astype(int)
    # Position share at the firm's midpoint, (rank − ½)/N: a class boundary cuts N·share
    # firms rounded to the nearest whole firm, and a lone firm is neither top nor bottom.
    share = (df["rank"] - 0.5) / df["n_in_group"]
    df["class"] = [_class_of(s, cl["cut_shares"]) for s in share]
    df["class_rule"] = [f"位次{r}/{n}(分位{s:.1%})→{c}" for r, n, s, c in
                        zip(df["rank"], df["n_in_group"], share, df["class"])]
    dov = cl["d_override"]
    code, frac = dov["indicator"], float(dov["below_share_of_benchmark"])
    b_ind = pd.Series([bmap["benchmark"].get((int(y), g, code), np.nan)
                       for y, g in zip(df["year"], df["scale_group"])], index=df.index)
    low = df[code].notna() & b_ind.notna() & (df[code] < frac * b_ind - _EPS)
    name = cfg["indicators"][code]["name"]
    df.loc[low & (df["class"] != "D"), "class_rule"] = [
        f"{name}{v:.2f}<基准{b:.2f}×{frac:.3f}→D(原{c})"
        for v, b, c in zip(df.loc[low & (df["class"] != "D"), code],
                           b_ind[low & (df["class"] != "D")], df.loc[low & (df["class"] != "D"), "class"])]
    df.loc[low, "class"] = "D"
    df["class_name"] = df["class"].map(cl.get("names", {}))

    base = ["enterprise_id", "year", "unit_id", "cadre_id", "above_scale", "scale_group", "land_mu"]
    base = [c for c in base if c in df.columns]
    inds = list(cfg["indicators"])
    out_cols = base + ["tax", "value_added"] + inds + [f"s_{c}" for c in all_codes] + [
        "score", "rank", "n_in_group", "class", "class_name", "class_rule", "imputed", "benchmark_source"]
    return df[out_cols].sort_values(["year", "enterprise_id"]).reset_index(drop=True)


def mujun_levels(
    scores: pd.DataFrame,
    by: str = "unit_id",
    links: pd.DataFrame | None = None,
    config: dict | None = None,
) -> pd.DataFrame:
    """亩均 level, 提升值/提升率 (balanced panel) and 升档数 per group × year.

    scores : output of ``firm_scores``.
    by : the group column: ``unit_id`` (default), or the column of ``links`` naming the group.
    links : optional (``by``, enterprise_id[, year]) assigning firms to groups, e.g. cadres'
        挂联企业 from ``cadre_links``; a link without year holds for every year.

    Columns: <by>, year, n_firms, land_mu, <level> (all firms in year t) and, on the balanced
    panel of firms with data in t and t−1: n_balanced, <level>_bal, <level>_bal_prev,
    <level>_uplift (提升值), <level>_uplift_rate (提升率); the primary level repeated as
    uplift / uplift_rate; upgrades (升档数), downgrades, n_class_d, upgrade_share.
    """
    cfg = resolve(config, "mujun")
    levels = list(cfg["uplift"]["levels"])
    primary = cfg["uplift"]["primary"]
    nums = {lv: cfg["indicators"][lv]["numerator"] for lv in levels}

    def _valid(df: pd.DataFrame) -> pd.DataFrame:
        df = df[df["land_mu"] > 0]
        return df[df[[nums[lv] for lv in levels]].notna().all(axis=1)]

    base = _valid(scores)
    s = base.copy()
    if links is not None:
        lk = links.copy()
        if "year" in lk.columns and lk["year"].notna().any():
            fixed = lk[lk["year"].isna()].drop(columns="year")
            yearly = lk[lk["year"].notna()].assign(year=lambda x: x["year"].astype(int))
            parts = []
            if len(fixed):
                parts.append(s.drop(columns=[by], errors="ignore").merge(fixed, on="enterprise_id"))
            if len(yearly):
                parts.append(s.drop(columns=[by], errors="ignore").merge(yearly, on=["enterprise_id", "year"]))
            s = pd.concat(parts, ignore_index=True).drop_duplicates([by, "enterprise_id", "year"])
        else:
            lk = lk.drop(columns="year", errors="ignore").drop_duplicates([by, "enterprise_id"])
            s = s.drop(columns=[by], errors="ignore").merge(lk, on="enterprise_id")
    # The firm set of a group-year is fixed by year t; its t−1 data come from the same firms
    # whoever answered for them then (a cadre new to a unit is judged on the unit's firms).
    prev_cols = ["enterprise_id", "land_mu", "class"] + [nums[lv] for lv in levels]
    prev_cols = [c for c in dict.fromkeys(prev_cols) if c in base.columns]
    base_by_year = {int(y): g[prev_cols] for y, g in base.groupby("year")}
    cols = [by, "year", "n_firms", "land_mu"] + levels + ["n_balanced", "balanced_land_mu"]
    for lv in levels:
        cols += [f"{lv}_bal", f"{lv}_bal_prev", f"{lv}_uplift", f"{lv}_uplift_rate"]
    cols += ["uplift", "uplift_rate", "upgrades", "downgrades", "n_class_d", "upgrade_share"]
    rows = []
    groups = {key: g for key, g in s.groupby([by, "year"], sort=True)}
    for (gid, year), cur in groups.items():
        row: dict[str, Any] = {by: gid, "year": int(year), "n_firms": len(cur),
                               "land_mu": float(cur["land_mu"].sum())}
        for lv in levels:
            row[lv] = float(cur[nums[lv]].sum() / cur["land_mu"].sum())
        prev = base_by_year.get(int(year) - 1, base.iloc[0:0][prev_cols])
        both = cur.merge(prev, on="enterprise_id", suffixes=("", "_prev"))
        row["n_balanced"] = len(both)
        row["balanced_land_mu"] = float(both["land_mu"].sum()) if len(both) else np.nan
        for lv in levels:
            if len(both):
                lt = both[nums[lv]].sum() / both["land_mu"].sum()
                lp = both[f"{nums[lv]}_prev"].sum() / both["land_mu_prev"].sum()
                row[f"{lv}_bal"], row[f"{lv}_bal_prev"] = float(lt), float(lp)
                row[f"{lv}_uplift"] = float(lt - lp)
                row[f"{lv}_uplift_rate"] = float((lt - lp) / lp) if lp > 0 else np.nan
            else:
                for suffix in ("_bal", "_bal_prev", "_uplift", "_uplift_rate"):
                    row[f"{lv}{suffix}"] = np.nan
        row["uplift"], row["uplift_rate"] = row[f"{primary}_uplift"], row[f"{primary}_uplift_rate"]
        if len(both) and "class" in both.columns:
            now = both["class"].map(_CLASS_RANK)
            before = both["class_prev"].map(_CLASS_RANK)
            row["upgrades"] = int((now < before).sum())
            row["downgrades"] = int((now > before).sum())
            row["upgrade_share"] = row["upgrades"] / len(both)
        else:
            row["upgrades"], row["downgrades"], row["upgrade_share"] = 0, 0, np.nan
        row["n_class_d"] = int((cur["class"] == "D").sum())
        rows.append(row)
    return pd.DataFrame(rows, columns=cols)


def unit_mujun(scores: pd.DataFrame, config: dict | None = None) -> pd.DataFrame:
    """mujun_levels per unit (乡镇街道/平台 the firm's land is in)."""
    return mujun_levels(scores, by="unit_id", config=config)


def county_mujun(scores: pd.DataFrame, config: dict | None = None) -> pd.DataFrame:
    """mujun_levels for the whole county (one group, ``county`` = '全县')."""
    return mujun_levels(scores.assign(county="全县"), by="county", config=config)


def cadre_links(
    enterprises: pd.DataFrame,
    assignments: pd.DataFrame | None = None,
    cadres: pd.DataFrame | None = None,
    years: list[int] | None = None,
    role_types: tuple[str, ...] = ("工业",),
) -> pd.DataFrame:
    """Which firms a cadre answers for: cadre_id, enterprise_id, year (NaN = every year), basis.

    * 挂联: enterprises.cadre_id (the firm's linked cadre), every year;
    * 属地: with ``assignments`` and ``years``, every firm of a unit the cadre held a post in
      during the year, for cadres whose ``cadres.role_type`` is in ``role_types`` (all cadres in
      the assignments when ``cadres`` is not given).
    A cadre linked to a firm both ways keeps the 挂联 row.
    """
    parts = []
    if "cadre_id" in enterprises.columns:
        # .map on an empty frame returns an object Series; as a mask it must stay boolean.
        e = enterprises[enterprises["cadre_id"].map(lambda x: not is_missing(x)).astype(bool)]
        parts.append(pd.DataFrame({"cadre_id": e["cadre_id"].astype(str),
                                   "enterprise_id": e["enterprise_id"],
                                   "year": np.nan, "basis": "挂联"}))
    if assignments is not None and years:
        a = assignments.copy()
        if cadres is not None and "role_type" in cadres.columns:
            keep = set(cadres.loc[cadres["role_type"].isin(role_types), "cadre_id"].astype(str))
            a = a[a["cadre_id"].astype(str).isin(keep)]
        a["start"] = pd.to_datetime(a["start"], errors="coerce")
        a["end"] = pd.to_datetime(a.get("end"), errors="coerce") if "end" in a.columns else pd.NaT
        for y in years:
            lo, hi = pd.Timestamp(year=y, month=1, day=1), pd.Timestamp(year=y, month=12, day=31)
            act = a[(a["start"] <= hi) & (a["end"].isna() | (a["end"] >= lo))]
            m = act[["cadre_id", "unit_id"]].merge(enterprises[["enterprise_id", "unit_id"]], on="unit_id")
            parts.append(pd.DataFrame({"cadre_id": m["cadre_id"].astype(str),
                                       "enterprise_id": m["enterprise_id"],
                                       "year": float(y), "basis": "属地"}))
    if not parts:
        return pd.DataFrame(columns=["cadre_id", "enterprise_id", "year", "basis"])
    out = pd.concat(parts, ignore_index=True)
    # Drop 属地 rows duplicating a 挂联 link of the same cadre and firm.
    linked = set(zip(out.loc[out["basis"] == "挂联", "cadre_id"], out.loc[out["basis"] == "挂联", "enterprise_id"]))
    dup = (out["basis"] == "属地").to_numpy() & np.array(
        [(c, e) in linked for c, e in zip(out["cadre_id"], out["enterprise_id"])], dtype=bool)
    return out[~dup].drop_duplicates().reset_index(drop=True)


def cadre_mujun(scores: pd.DataFrame, links: pd.DataFrame, config: dict | None = None) -> pd.DataFrame:
    """mujun_levels per cadre over the linked firms (see ``cadre_links``)."""
    return mujun_levels(scores, by="cadre_id", links=links[["cadre_id", "enterprise_id", "year"]]
                        if "year" in links.columns else links[["cadre_id", "enterprise_id"]],
                        config=config)
