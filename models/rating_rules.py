"""360° rating rules of the anomaly detector: collusion inside a rater group and rating rings.

Thresholds: ``ratings`` in anomaly.yaml. Flags are cadre flags (level ``cadre``, the cadre who
was rated) with the CONTRACT columns of models/anomaly_rules.py, so they sort and rank with the
series and task flags. A flag is a lead to check (需核查), never a verdict.

Per period × cadre × rater group (a rater counts once: the rater's scores are averaged first):

* 评价雷同 — a group with numeric scores whose raters agree far more closely than raters of
  that group usually do. Spread = highest − lowest score; "usual" = the median spread of the
  same group over all cadres of the period. Fires when at least ``min_identical`` raters gave
  exactly the same score (the usual spread makes that all but impossible by chance), or when
  the spread is at most ``near_spread_ratio`` × usual *and* the group rates the cadre at least
  ``min_lift_points`` above what the group usually gives beyond the other groups, *and* both
  together are rarer than ``p_fire`` for a group of ``min_raters`` or more raters scoring
  independently with the group's usual scatter (chi-square on the spread times a normal tail on
  the lift; internal only). Near-identical scores alone happen by chance among a thousand
  groups; near-identical *and* inflated do not. The lift is the group mean minus the median of the other groups' means for the same
  cadre, minus the usual value of that difference for this group (peers usually rate a little
  higher than superiors, for instance).
* 互评抬分 — raters who are themselves rated cadres (rater_id = cadre_id): an edge A→B is
  "inflated" when A's score for B is at least ``min_edge_lift`` above the mean the other raters
  give B. Reciprocal pairs and longer rings are the strongly connected parts of the inflated
  edges of one period; every member gets a flag naming the others.

Grade words (好/较好/一般/差) are converted with the grade scores of ratings.yaml for the level
comparison; only numeric groups are checked for identical scores (four words agree by nature).
Reasons state expected against observed in points (分) and rater counts, nothing else.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from models.rules.flags import ALL_COLUMNS, check_hint_for, empty_flags, flag_id, load_config
from models.config import load_reference
from models.period import Period, period_label
from models.ratings import convert_score

RATING_RULES = ("评价雷同", "互评抬分")
DEFAULTS = {
    "min_raters": 6, "min_identical": 5, "identical_share": 0.8, "scale_top": 100.0,
    "near_spread_ratio": 0.5, "min_lift_points": 5.0, "p_fire": 1.0e-5,
    "red_lift_points": 15.0, "min_edge_lift": 10.0, "red_edge_lift": 20.0, "min_other_groups": 2,
    "score_base": {"黄": 4.0, "橙": 8.0, "红": 13.0},
}
MEASURE = "评价分(0–100分)"


def _pts(x: float) -> str:
    """Points as people say them: whole points from 10 up, one decimal below."""
    x = float(x)
    s = f"{x:.0f}" if abs(x) >= 10 else f"{x:.1f}"
    return s[:-2] if s.endswith(".0") else s


def _settings(cfg: Mapping | None) -> dict:
    out = dict(DEFAULTS)
    out.update((cfg or {}).get("ratings") or {})
    return out


def rater_scores(ratings: pd.DataFrame, grade_scores: Mapping | None = None) -> pd.DataFrame:
    """One row per period × cadre × group × rater: ``score`` (0–100) and ``numeric`` (the rater
    gave numbers, not grade words)."""
    grades = dict(grade_scores or load_reference("ratings")["grade_scores"])
    df = ratings[["period", "cadre_id", "rater_group", "rater_id", "score"]].copy().reset_index(drop=True)
    # An anonymous rating counts as a rater of its own (not all anonymous raters as one).
    rid = df["rater_id"].astype(object)
    blank = rid.isna() | rid.astype(str).str.strip().eq("")
    df["rater_id"] = rid.where(~blank, pd.Series([f"_row{i}" for i in df.index], index=df.index))
    for c in ("period", "cadre_id", "rater_group", "rater_id"):
        df[c] = df[c].astype(str)
    raw = df["score"].astype(object)
    df["numeric"] = raw.map(lambda x: str(x).strip() not in grades)
    df["score"] = raw.map(lambda x: convert_score(x, grades)).astype(float)
    df = df[np.isfinite(df["score"])]
    return df.groupby(["period", "cadre_id", "rater_group", "rater_id"], as_index=False).agg(
        score=("score", "mean"), numeric=("numeric", "all"))


def group_table(per_rater: pd.DataFrame, s: Mapping) -> pd.DataFrame:
    """Per period × cadre × group: n, mean, low, high, spread, modal count, the other groups'
    median mean, the lift over it, and the usual spread and lift of that group in the period."""
    g = per_rater.groupby(["period", "cadre_id", "rater_group"], as_index=False).agg(
        n=("score", "size"), mean=("score", "mean"), low=("score", "min"), high=("score", "max"),
        numeric=("numeric", "all"))
    keys = ["period", "cadre_id", "rater_group"]
    # The most frequent score and how many raters gave it (ties: the lower score, deterministic).
    vc = per_rater.assign(_s=per_rater["score"].round(6)).groupby(keys + ["_s"]).size().rename("k").reset_index()
    vc = vc.sort_values(keys + ["k", "_s"], ascending=[True] * 3 + [False, True], kind="mergesort")
    top = vc.drop_duplicates(keys).set_index(keys)
    sd = per_rater.groupby(keys)["score"].std()
    ix = pd.MultiIndex.from_frame(g[keys])
    g["n_same"] = top["k"].reindex(ix).to_numpy()
    g["mode_score"] = top["_s"].reindex(ix).to_numpy()
    g["sd"] = sd.reindex(ix).fillna(0.0).to_numpy()
    g["spread"] = g["high"] - g["low"]
    enough = g["n"] >= int(s["min_raters"])
    # The other groups' level for the same cadre: median of their means (robust to one odd group).
    others = []
    for (_, _), sub in g.groupby(["period", "cadre_id"], sort=False):
        means = sub["mean"].to_numpy()
        ok = (sub["n"] >= 2).to_numpy()
        for i in range(len(sub)):
            rest = means[ok & (np.arange(len(sub)) != i)]
            others.append((sub.index[i], float(np.median(rest)) if rest.size >= int(s["min_other_groups"]) else np.nan))
    g["others"] = pd.Series(dict(others))
    g["lift"] = g["mean"] - g["others"]
    base = g[enough & g["numeric"]]
    usual_spread = base.groupby(["period", "rater_group"])["spread"].median()
    usual_lift = g[enough & g["others"].notna()].groupby(["period", "rater_group"])["lift"].median()
    key = pd.MultiIndex.from_frame(g[["period", "rater_group"]])
    g["usual_spread"] = usual_spread.reindex(key).to_numpy()
    g["usual_lift"] = usual_lift.reindex(key).to_numpy()
    g["excess"] = g["lift"] - g["usual_lift"]
    # How unlikely the agreement and the lift are together, if the raters scored independently
    # with the group's usual scatter (internal only: reasons speak in points).
    usual_sd = base.groupby(["period", "rater_group"])["sd"].median().reindex(key).to_numpy()
    lifts = g[enough & g["others"].notna()].groupby(["period", "rater_group"])["excess"]
    lift_scale = lifts.agg(lambda x: 1.4826 * float(np.median(np.abs(x - np.median(x))))).reindex(key).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        p_spread = stats.chi2.cdf((g["n"] - 1) * g["sd"] ** 2 / usual_sd ** 2, np.maximum(g["n"] - 1, 1))
        p_lift = stats.norm.sf(g["excess"] / lift_scale)
    g["p_joint"] = np.where(np.isfinite(p_spread * p_lift), p_spread * p_lift, 1.0)
    return g


def _excess_share(value: float, threshold: float) -> float:
    if not np.isfinite(value) or threshold <= 0:
        return 0.0
    return float(min(1.0, max(0.0, value / threshold - 1.0)))


def _uniform_hits(g: pd.DataFrame, s: Mapping) -> list[dict]:
    hits = []
    least = min(int(s["min_raters"]), int(s["min_identical"]))
    cand = g[(g["n"] >= least) & g["numeric"] & g["usual_spread"].notna()]
    for r in cand.itertuples(index=False):
        identical = (r.n_same >= int(s["min_identical"]) and r.n_same >= float(s["identical_share"]) * r.n
                     and r.usual_spread > 0 and r.mode_score < float(s["scale_top"]))
        near = r.spread <= float(s["near_spread_ratio"]) * r.usual_spread
        inflated = np.isfinite(r.excess) and r.excess >= float(s["min_lift_points"])
        unlikely = r.n >= int(s["min_raters"]) and r.p_joint <= float(s["p_fire"])
        if not (identical or (near and inflated and unlikely)):
            continue
        if inflated:
            sev = "红" if r.excess >= float(s["red_lift_points"]) else "橙"
        else:
            sev = "黄"  # agreement without a lift: a form filled in by rote, weaker evidence
        who = f"{period_label(r.period)}{r.rater_group}评价："
        if r.n_same == r.n:
            text = f"{who}{int(r.n)}人打分完全相同（都是{_pts(r.low)}分）"
        elif identical:
            text = f"{who}{int(r.n)}人中有{int(r.n_same)}人打分完全相同，最高与最低只差{_pts(r.spread)}分"
        else:
            text = (f"{who}{int(r.n)}人打分都在{_pts(r.low)}–{_pts(r.high)}分之间，"
                    f"最高与最低只差{_pts(r.spread)}分")
        text += f"（同组打分通常相差约{_pts(r.usual_spread)}分）"
        if np.isfinite(r.others):
            diff = r.mean - r.others
            usual = r.usual_lift
            how = f"高出{_pts(diff)}分" if diff >= 0 else f"低{_pts(-diff)}分"
            usual_how = (f"通常只高约{_pts(usual)}分" if usual >= 0.5 else
                         f"通常低约{_pts(-usual)}分" if usual <= -0.5 else "通常与其他主体相差不到1分")
            text += (f"；本组平均{_pts(r.mean)}分，其他评价主体给同一人约{_pts(r.others)}分，{how}"
                     f"（{r.rater_group}评价{usual_how}）")
        expected = r.others + r.usual_lift if np.isfinite(r.others) else np.nan
        hits.append({"rule": "评价雷同", "period": r.period, "cadre_id": r.cadre_id, "severity": sev,
                     "excess": _excess_share(r.excess, float(s["min_lift_points"])) if inflated else 0.0,
                     "reason": text, "actual": float(r.mean), "expected": float(expected),
                     "peer_median": float(r.others) if np.isfinite(r.others) else np.nan})
    return hits


def _ring_hits(per_rater: pd.DataFrame, s: Mapping) -> list[dict]:
    cadres = set(per_rater["cadre_id"])
    hits = []
    for period, sub in per_rater.groupby("period", sort=True):
        tot = sub.groupby("cadre_id")["score"].agg(["sum", "size"])
        edges = sub[sub["rater_id"].isin(cadres) & (sub["rater_id"] != sub["cadre_id"])]
        if edges.empty:
            continue
        # Mean the other raters give the rated cadre (this rater left out).
        t = tot.reindex(edges["cadre_id"])
        rest_n = t["size"].to_numpy() - 1
        with np.errstate(invalid="ignore", divide="ignore"):
            rest_mean = np.where(rest_n > 0, (t["sum"].to_numpy() - edges["score"].to_numpy()) / rest_n, np.nan)
        edges = edges.assign(rest=rest_mean, lift=edges["score"].to_numpy() - rest_mean)
        hot = edges[edges["lift"] >= float(s["min_edge_lift"])]
        if hot.empty:
            continue
        nodes = sorted(set(hot["rater_id"]) | set(hot["cadre_id"]))
        ix = {c: i for i, c in enumerate(nodes)}
        m = csr_matrix((np.ones(len(hot)), (hot["rater_id"].map(ix), hot["cadre_id"].map(ix))),
                       shape=(len(nodes), len(nodes)))
        _, label = connected_components(m, directed=True, connection="strong")
        comp = pd.Series(label, index=nodes)
        sizes = comp.value_counts()
        for c in nodes:
            if sizes[comp[c]] < 2:
                continue
            members = sorted(x for x in nodes if comp[x] == comp[c])
            inbound = hot[(hot["cadre_id"] == c) & hot["rater_id"].isin(members)].sort_values("rater_id")
            others = [x for x in members if x != c]
            kind = "互相打高分" if len(members) == 2 else f"{len(members)}人环状互相打高分"
            parts = [f"{e.rater_id}给本人打{_pts(e.score)}分，其他评价人平均给本人{_pts(e.rest)}分"
                     f"（高{_pts(e.lift)}分）" for e in inbound.itertuples(index=False)]
            lift = float(inbound["lift"].max())
            sev = "红" if (lift >= float(s["red_edge_lift"]) or len(members) >= 3) else "橙"
            text = (f"{period_label(period)}与{'、'.join(others)}{kind}：" + "；".join(parts)
                    + f"（互评打分比其他评价人高出{_pts(float(s['min_edge_lift']))}分以上即提示）")
            hits.append({"rule": "互评抬分", "period": period, "cadre_id": c, "severity": sev,
                         "excess": _excess_share(lift, float(s["min_edge_lift"])), "reason": text,
                         "actual": float(inbound["score"].mean()), "expected": float(inbound["rest"].mean()),
                         "peer_median": float(inbound["rest"].mean())})
    return hits


def cadre_units(assignments: pd.DataFrame | None, years) -> pd.DataFrame:
    """Per cadre × year of ``years``: the unit where the cadre spent most days (the flag's unit_id)."""
    cols = ["cadre_id", "year", "unit_id"]
    if assignments is None or not len(assignments) or not {"cadre_id", "unit_id", "start"} <= set(assignments):
        return pd.DataFrame(columns=cols)
    a = assignments.copy()
    a["start"] = pd.to_datetime(a["start"], errors="coerce")
    end = pd.to_datetime(a["end"], errors="coerce") if "end" in a else pd.Series(pd.NaT, index=a.index)
    a["end"] = end.fillna(pd.Timestamp("2099-12-31"))  # open-ended term: still in post
    a = a.dropna(subset=["start"])
    rows = []
    for y in sorted(set(years)):
        lo, hi = pd.Timestamp(f"{y}-01-01"), pd.Timestamp(f"{y}-12-31")
        days = (a["end"].clip(upper=hi) - a["start"].clip(lower=lo)).dt.days + 1
        d = a.assign(days=days)[days > 0]
        if len(d):
            best = d.groupby(["cadre_id", "unit_id"], as_index=False)["days"].sum()
            best = best.sort_values(["cadre_id", "days", "unit_id"], ascending=[True, False, True])
            rows.append(best.drop_duplicates("cadre_id").assign(year=y)[cols])
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=cols)


def detect_rating_anomalies(ratings: pd.DataFrame | None, cfg: Mapping | None = None,
                            assignments: pd.DataFrame | None = None,
                            grade_scores: Mapping | None = None) -> pd.DataFrame:
    """Cadre flags from the 360° ratings (评价雷同, 互评抬分), one per cadre × period × rule."""
    if ratings is None or not len(ratings):
        return empty_flags()
    s = _settings(cfg)
    per_rater = rater_scores(ratings, grade_scores)
    if per_rater.empty:
        return empty_flags()
    hits = _uniform_hits(group_table(per_rater, s), s) + _ring_hits(per_rater, s)
    if not hits:
        return empty_flags()
    years = {p.year for p in map(Period.try_parse, per_rater["period"].unique()) if p}
    units = cadre_units(assignments, years)
    home = {(str(r.cadre_id), int(r.year)): r.unit_id for r in units.itertuples(index=False)}
    # Several groups of one cadre can fire in one period: one flag per cadre × period × rule.
    hits.sort(key=lambda h: (h["period"], h["cadre_id"], h["rule"], -("黄橙红".index(h["severity"])), -h["excess"]))
    merged: dict[tuple, dict] = {}
    for h in hits:
        k = (h["period"], h["cadre_id"], h["rule"])
        if k in merged:
            merged[k]["reason"] += "；另" + h["reason"]
        else:
            merged[k] = dict(h)
    base = s["score_base"]
    hint_cfg = cfg if cfg is not None and "check_hints" in cfg else load_config()
    rows = []
    for h in merged.values():
        period = Period.try_parse(h["period"])
        year = period.year if period else None
        unit = home.get((h["cadre_id"], year))
        rows.append({
            "flag_id": flag_id("cadre", unit, h["cadre_id"], None, None, h["rule"], h["period"]),
            "level": "cadre", "unit_id": unit, "cadre_id": h["cadre_id"], "task_id": None, "indicator": None,
            "period_start": h["period"], "period_end": h["period"], "rule": h["rule"],
            "severity": h["severity"], "score": round(float(base[h["severity"]]) + h["excess"], 3),
            "reason": h["reason"] + "。（需核查）", "check_hint": check_hint_for(h["rule"], [], [], hint_cfg),
            "rules": h["rule"], "actual": h["actual"], "expected": h["expected"], "peer_median": h["peer_median"],
            "measure": MEASURE, "onset": h["period"], "iforest_score": np.nan,
            # what lists and briefings name the flag by (its subject): no indicator, no task
            "indicator_name": f"{period_label(h['period'])}360度评价",
        })
    out = pd.DataFrame(rows, columns=ALL_COLUMNS)
    return out.sort_values(["score", "flag_id"], ascending=[False, True], kind="mergesort").reset_index(drop=True)
