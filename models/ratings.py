"""360° evaluation (多维评价) aggregated to 评价分 per cadre × period or year (DOMAIN.md §5.2).

Rules (``data/reference/ratings.yaml``):

* grade words 好/较好/一般/差 → 100/80/60/40 (海盐 1.0–0.4 coefficients × 100); numbers 0–100 as is;
* each rater counts once per group: a rater's scores in the aggregation period are averaged first;
* group score = mean over its raters; a group with fewer than ``min_raters`` raters is dropped;
* 评价分 = Σ w_g · score_g / Σ w_g over the kept groups (weights re-normalised);
* the rule applied is spelled out in ``rule`` and ``groups_dropped``.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from models.config import is_missing, resolve
from models.period import period_frame


def convert_score(x: Any, grade_scores: dict[str, float]) -> float:
    """A rating as a number 0–100: numbers pass, grade words are converted, else NaN."""
    if is_missing(x):
        return np.nan
    if isinstance(x, (int, float, np.integer, np.floating)):
        return float(x)
    s = str(x).strip()
    if s in grade_scores:
        return float(grade_scores[s])
    try:
        return float(s.rstrip("分"))
    except ValueError:
        return np.nan


def _scores(ratings: pd.DataFrame, grade_scores: dict) -> pd.Series:
    if "score" in ratings.columns:
        return ratings["score"].map(lambda x: convert_score(x, grade_scores)).astype(float)
    # The staging view splits the contract column into score_num and grade.
    num = pd.to_numeric(ratings.get("score_num"), errors="coerce").astype(float)
    word = ratings.get("grade", pd.Series(np.nan, index=ratings.index))
    return num.fillna(word.map(lambda x: convert_score(x, grade_scores)).astype(float))


def _key(ratings: pd.DataFrame, by: str) -> pd.Series:
    if by == "year":
        return period_frame(ratings["period"])["year"]
    if by == "period":
        return ratings["period"].astype(str)
    raise ValueError("by 应为 'year' 或 'period'")


def rating_groups(ratings: pd.DataFrame, by: str = "year", config: dict | None = None) -> pd.DataFrame:
    """One row per cadre × (year|period) × rater group.

    Columns: cadre_id, <by>, rater_group, n_raters, mean_score, weight_nominal, kept,
    weight_used, reason.
    """
    cfg = resolve(config, "ratings")
    weights = {k: float(v) for k, v in cfg["group_weights"].items()}
    min_raters = int(cfg["min_raters"])
    # Superiors are few by nature (3–5 county leaders); a group may have its own minimum.
    group_min = {k: int(v) for k, v in (cfg.get("min_raters_by_group") or {}).items()}
    df = ratings.copy()
    df["_score"] = _scores(df, cfg["grade_scores"])
    bad = df[df["_score"].isna() | (df["_score"] < 0) | (df["_score"] > 100)]
    if len(bad):
        raise ValueError(f"评价得分无法识别或超出0–100: {bad['score'].head(5).tolist() if 'score' in bad else len(bad)}")
    df[by] = _key(df, by)
    per_rater = df.groupby(["cadre_id", by, "rater_group", "rater_id"], as_index=False)["_score"].mean()
    g = per_rater.groupby(["cadre_id", by, "rater_group"], as_index=False).agg(
        n_raters=("rater_id", "nunique"), mean_score=("_score", "mean"))
    g["weight_nominal"] = g["rater_group"].map(weights).fillna(0.0)
    g["min_raters"] = g["rater_group"].map(group_min).fillna(min_raters).astype(int)
    g["kept"] = (g["n_raters"] >= g["min_raters"]) & (g["weight_nominal"] > 0)
    g["reason"] = np.where(
        g["weight_nominal"] <= 0, "该评价主体无权重",
        np.where(g["kept"], "", g["n_raters"].astype(str) + "人<" + g["min_raters"].astype(str) + "人,剔除"))
    kept_w = g["weight_nominal"].where(g["kept"], 0.0)
    total = kept_w.groupby([g["cadre_id"], g[by]]).transform("sum")
    g["weight_used"] = (kept_w / total.where(total > 0)).fillna(0.0)
    order = {k: i for i, k in enumerate(weights)}
    g["_o"] = g["rater_group"].map(order).fillna(len(order))
    return g.sort_values(["cadre_id", by, "_o"]).drop(columns="_o").reset_index(drop=True)


def aggregate_ratings(ratings: pd.DataFrame, by: str = "year", config: dict | None = None) -> pd.DataFrame:
    """评价分 per cadre × year (default) or period.

    Columns: cadre_id, <by>, rating_score (NaN when every group is dropped), n_raters,
    groups_used, groups_dropped, weights_used, nominal_weight_kept, rule.
    """
    cfg = resolve(config, "ratings")
    g = rating_groups(ratings, by=by, config=cfg)
    keys = ["cadre_id", by]
    columns = ["cadre_id", by, "rating_score", "n_raters", "groups_used",
               "groups_dropped", "weights_used", "nominal_weight_kept", "rule"]
    if g.empty:
        return pd.DataFrame(columns=columns)
    # Vectorised per group; only the rule sentence is assembled row by row (cheap strings).
    kept = g[g["kept"]]
    dropped = g[~g["kept"]]
    out = g.groupby(keys, sort=True).agg(n_raters=("n_raters", "sum"),
                                         present=("rater_group", lambda s: set(s))).reset_index()
    idx = pd.MultiIndex.from_frame(out[keys])

    def per_group(frame: pd.DataFrame, values: pd.Series, how) -> pd.Series:
        series = values.groupby([frame["cadre_id"], frame[by]]).agg(how)
        return series.reindex(idx)

    score = per_group(kept, kept["weight_used"] * kept["mean_score"], "sum")
    out["rating_score"] = score.where(per_group(kept, kept["kept"], "size").fillna(0).to_numpy() > 0).to_numpy()
    out["nominal_weight_kept"] = per_group(kept, kept["weight_nominal"], "sum").fillna(0.0).to_numpy()
    out["groups_used"] = per_group(kept, kept["rater_group"], ";".join).fillna("").to_numpy()
    out["weights_used"] = per_group(
        kept, kept["rater_group"] + ":" + kept["weight_used"].map("{:.4f}".format).astype(str), ";".join).fillna("").to_numpy()
    out["groups_dropped"] = per_group(
        dropped, dropped["rater_group"] + "(" + dropped["reason"] + ")", ";".join).fillna("").to_numpy()
    dropped_names = per_group(dropped, dropped["rater_group"], list).to_numpy()
    weighted = [k for k, w in cfg["group_weights"].items() if float(w) > 0]
    rules = []
    for score_, nominal, names, present in zip(out["rating_score"], out["nominal_weight_kept"],
                                               dropped_names, out["present"]):
        names = names if isinstance(names, list) else []
        absent = [k for k in weighted if k not in present]
        if pd.isna(score_):
            rules.append(f"各评价主体人数均不足{cfg['min_raters']}人,评价分空缺")
        elif nominal < 1 - 1e-9:
            parts = []
            if names:
                parts.append("剔除" + "、".join(names))
            if absent:
                parts.append("缺少" + "、".join(absent))
            rules.append(",".join(parts) + f";保留权重合计{nominal:.2f},按比例归一到1")
        else:
            rules.append("五类评价主体齐全,按原权重加权")
    out["rule"] = rules
    out["n_raters"] = out["n_raters"].astype(int)
    return out[columns]


# --- free-text comments ------------------------------------------------------------------------
# A comment from a group smaller than its minimum is as identifying as its score: it is withheld.

def comment_minimums(config: dict | None = None) -> tuple[int, dict[str, int]]:
    """(default minimum group size, minimum per rater group) below which comments are withheld."""
    cfg = resolve(config, "ratings")
    return int(cfg["min_raters"]), {str(k): int(v) for k, v in (cfg.get("min_raters_by_group") or {}).items()}


def withheld_note(n_comments: int, minimum: int) -> str:
    return f"{int(n_comments)} 条评语未显示:评价人数不足 {int(minimum)} 人,为保护评价人不显示"
