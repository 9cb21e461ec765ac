"""招商 funnel: cohort 项目转化率 and 项目转化达产率 per cadre and per unit (DOMAIN.md §4).

A cohort is the set of projects signed in one year (``funnel.yaml`` ``cohort``). Each project is
followed from its own signing date:

* funnel counts (签约 → 落地 → 开工 → 投产 → 达产) and 项目转化率 = 开工 ÷ 签约 count a stage only
  if it is reached within ``window_months`` (12) of 签约 and not after ``as_of``;
* 项目转化达产率 = 达产 ÷ 投产, both counted within ``capacity.window_months`` (36) of 签约;
* a later stage dated in the window implies the earlier ones, so the funnel is monotone;
* projects whose window has not closed by ``as_of`` are counted as observed so far and the cohort
  is marked ``complete = False`` (provisional).

Credit goes to ``projects.cadre_id`` (招商责任人 at 签约): a cadre is judged on the projects signed
on his or her watch and never inherits a predecessor's pipeline. With ``assignments`` the
signing cadre must have held a post on the signing date, otherwise the project is excluded
from that cadre's cohort (and counted in ``n_excluded``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from models.config import resolve


def _cohort(signed: pd.Series, kind: str) -> pd.Series:
    if kind == "quarter":
        return signed.dt.year.astype(str) + "-Q" + signed.dt.quarter.astype(str)
    return signed.dt.year.astype(str)


def project_stages(
    projects: pd.DataFrame,
    as_of: str | pd.Timestamp | None = None,
    assignments: pd.DataFrame | None = None,
    config: dict | None = None,
) -> pd.DataFrame:
    """One row per signed project with the stages reached inside each window.

    Columns: project_id, unit_id, cadre_id, agreed_investment, signed, cohort, window_end,
    capacity_window_end, as_of, window_complete, capacity_window_complete,
    in_<stage> (bool, within window_months), cap_<stage> (bool, within the 达产 window),
    in_post_at_signing, flags.
    """
    cfg = resolve(config, "funnel")
    stages = list(cfg["stages"])
    names = cfg["stage_names"]
    df = projects.copy()
    for st in stages:
        if st not in df.columns:
            df[st] = pd.NaT
        df[st] = pd.to_datetime(df[st], errors="coerce")
    if as_of is None:
        as_of_ts = df[stages].max().max()
    else:
        as_of_ts = pd.Timestamp(as_of)
    keep = ["project_id", "unit_id", "cadre_id", "agreed_investment", "signed", "cohort",
            "window_end", "capacity_window_end", "as_of", "window_complete",
            "capacity_window_complete"]
    keep = [c for c in keep if c in df.columns or c not in ("project_id", "unit_id", "cadre_id",
                                                             "agreed_investment", "signed")]
    keep += [f"in_{s}" for s in stages] + [f"cap_{s}" for s in stages] + ["in_post_at_signing", "flags"]
    if pd.isna(as_of_ts):
        return pd.DataFrame(columns=keep)
    df = df[df["signed"].notna() & (df["signed"] <= as_of_ts)].copy()
    if df.empty:
        return pd.DataFrame(columns=keep)
    w = int(cfg["window_months"])
    wc = int(cfg["capacity"]["window_months"])
    df["cohort"] = _cohort(df["signed"], cfg["cohort"])
    df["window_end"] = [s + pd.DateOffset(months=w) for s in df["signed"]]
    df["capacity_window_end"] = [s + pd.DateOffset(months=wc) for s in df["signed"]]
    df["as_of"] = as_of_ts
    df["window_complete"] = df["window_end"] <= as_of_ts
    df["capacity_window_complete"] = df["capacity_window_end"] <= as_of_ts
    imply = bool(cfg["later_stage_implies_earlier"])
    flags = [[] for _ in range(len(df))]

    for prefix, end_col in (("in", "window_end"), ("cap", "capacity_window_end")):
        horizon = df[end_col].where(df[end_col] <= as_of_ts, as_of_ts)
        own = {st: (df[st].notna() & (df[st] <= horizon)).to_numpy() for st in stages}
        reached_later = np.zeros(len(df), dtype=bool)
        for st in reversed(stages):
            reached = own[st] | reached_later if imply else own[st]
            df[f"{prefix}_{st}"] = reached
            if prefix == "in" and imply:
                for i in np.flatnonzero(reached & ~own[st]):
                    flags[i].append(f"{names[st]}由后续阶段推定")
            reached_later = reached
    # Stage dates out of order (a data problem worth showing, never silently fixed).
    dates = df[stages].to_numpy()
    for i, row in enumerate(dates):
        seen = [(st, d) for st, d in zip(stages, row) if not pd.isna(d)]
        for (s1, d1), (s2, d2) in zip(seen, seen[1:]):
            if d2 < d1:
                flags[i].append(f"{names[s2]}日期早于{names[s1]}")
    if assignments is not None and cfg.get("require_in_post_at_signing", True):
        a = assignments.copy()
        a["start"] = pd.to_datetime(a["start"], errors="coerce")
        a["end"] = pd.to_datetime(a["end"], errors="coerce") if "end" in a.columns else pd.NaT
        by_cadre = {c: g for c, g in a.groupby(a["cadre_id"].astype(str))}
        in_post = []
        for cadre, signed in zip(df["cadre_id"].astype(str), df["signed"]):
            g = by_cadre.get(cadre)
            ok = g is not None and bool(((g["start"] <= signed) & (g["end"].isna() | (g["end"] >= signed))).any())
            in_post.append(ok)
        df["in_post_at_signing"] = in_post
        for i in np.flatnonzero(~df["in_post_at_signing"].to_numpy()):
            flags[i].append("签约时招商责任人不在任")
    else:
        df["in_post_at_signing"] = True
    df["flags"] = [";".join(f) for f in flags]
    return df[keep].reset_index(drop=True)


def funnel(
    projects: pd.DataFrame,
    by: str = "cadre_id",
    as_of: str | pd.Timestamp | None = None,
    assignments: pd.DataFrame | None = None,
    config: dict | None = None,
) -> pd.DataFrame:
    """Cohort funnel per ``by`` (cadre_id or unit_id) × cohort.

    Columns: <by>, cohort, n_signed, n_landed, n_started, n_producing, n_at_capacity (within
    window_months), conversion_rate, cap_n_producing, cap_n_at_capacity (within the 达产
    window), capacity_rate, agreed_investment, n_window_open, complete, capacity_complete,
    n_excluded, window_months, capacity_window_months, rule.
    """
    cfg = resolve(config, "funnel")
    stages = list(cfg["stages"])
    ps = project_stages(projects, as_of=as_of, assignments=assignments if by == "cadre_id" else None,
                        config=cfg)
    cols = [by, "cohort"] + [f"n_{s}" for s in stages] + [
        "conversion_rate", "cap_n_producing", "cap_n_at_capacity", "capacity_rate"]
    if "agreed_investment" in projects.columns:
        cols.append("agreed_investment")
    cols += ["n_window_open", "complete", "capacity_complete", "n_excluded", "window_months",
             "capacity_window_months", "rule"]
    if ps.empty or not ps["in_post_at_signing"].any():
        return pd.DataFrame(columns=cols)
    excluded = ps[~ps["in_post_at_signing"].astype(bool)].groupby([by, "cohort"]).size()
    ps = ps[ps["in_post_at_signing"]] if by == "cadre_id" else ps
    conv_num, conv_den = cfg["conversion"]["numerator"], cfg["conversion"]["denominator"]
    cap_num, cap_den = cfg["capacity"]["numerator"], cfg["capacity"]["denominator"]
    agg = {f"n_{s}": (f"in_{s}", "sum") for s in stages}
    agg.update({
        "cap_n_producing": (f"cap_{cap_den}", "sum"),
        "cap_n_at_capacity": (f"cap_{cap_num}", "sum"),
        "n_window_open": ("window_complete", lambda s: int((~s).sum())),
        "n_capacity_window_open": ("capacity_window_complete", lambda s: int((~s).sum())),
    })
    if "agreed_investment" in ps.columns:
        agg["agreed_investment"] = ("agreed_investment", "sum")
    out = ps.groupby([by, "cohort"], as_index=False).agg(**agg)
    for c in [f"n_{s}" for s in stages] + ["cap_n_producing", "cap_n_at_capacity"]:
        out[c] = out[c].astype(int)
    out["conversion_rate"] = out[f"n_{conv_num}"] / out[f"n_{conv_den}"].where(out[f"n_{conv_den}"] > 0)
    out["capacity_rate"] = out["cap_n_at_capacity"] / out["cap_n_producing"].where(out["cap_n_producing"] > 0)
    out["complete"] = out["n_window_open"] == 0
    out["capacity_complete"] = out["n_capacity_window_open"] == 0
    out["n_excluded"] = [int(excluded.get((k, c), 0)) for k, c in zip(out[by], out["cohort"])]
    out["window_months"] = int(cfg["window_months"])
    out["capacity_window_months"] = int(cfg["capacity"]["window_months"])
    names = cfg["stage_names"]
    out["rule"] = [
        f"{c}年签约队列:{names[conv_num]}/{names[conv_den]}按签约后{cfg['window_months']}个月计,"
        f"{names[cap_num]}/{names[cap_den]}按签约后{cfg['capacity']['window_months']}个月计"
        + ("" if ok else f";{o}个项目观察期未满,暂定值")
        + (f";{x}个项目签约时责任人不在任,不计入" if x else "")
        for c, ok, o, x in zip(out["cohort"], out["complete"], out["n_window_open"], out["n_excluded"])
    ]
    return out[cols]


def funnel_by_cadre(projects: pd.DataFrame, as_of=None, assignments=None, config=None) -> pd.DataFrame:
    """Cohort funnel per 招商 cadre (the cadre of record at 签约)."""
    return funnel(projects, by="cadre_id", as_of=as_of, assignments=assignments, config=config)


def funnel_by_unit(projects: pd.DataFrame, as_of=None, config=None) -> pd.DataFrame:
    """Cohort funnel per unit."""
    return funnel(projects, by="unit_id", as_of=as_of, config=config)
