"""标志性成果 certification rounds (docs/domain.md §5.5; result table ``landmarks``).

A claim (contract input ``landmarks``) carries evidence for the five criteria c1..c5 (empty = not
met), the committee's status (申报 / 认定 / 未认定) and its decision date. This module

* checks the one rule of weights.yaml ``landmark`` (at least ``min_criteria`` of c1..c5, one of
  ``required_any`` among them): :func:`rule_met`, also the rule behind
  ``models.composite.landmark_qualifies``;
* puts each claim in its certification round (dianjiang.yaml ``rounds.months``, June /
  September / December): :func:`round_of`;
* sets the outcome: the committee's decision wins when there is one; the rule is shown next to it
  and a disagreement is said, never hidden: :func:`certify`;
* splits a claim among its cadres (``C0001:0.6;C0002:0.4``): :func:`claim_shares`;
* counts certified landmarks per cadre × year for the composite bonus: :func:`certified_per_year`.

Pure functions on DataFrames; policy comes from models.config.load_reference only.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from models.config import is_missing, load_reference
from models.dictionary import as_list
from models.period import Period

CRITERIA = ("c1", "c2", "c3", "c4", "c5")
RESULT_COLUMNS = ["claim_id", "round", "criteria_met", "certified", "rule"]
EXTRA_COLUMNS = ["n_criteria", "rule_met", "decision", "agrees", "round_closed", "year", "unit_id",
                 "title", "submitted_at", "decided_at"]
SHARE_COLUMNS = ["claim_id", "cadre_id", "share"]
# Evidence written as one of these means "not met" (people type 否/无 into a cell rather than leave it empty).
_NEGATIVE = {"false", "0", "否", "无", "no", "n", "f", "-", "—", "不满足", "未达到"}
DECISIONS = ("认定", "未认定")


def evidence_met(x: Any) -> bool:
    """Whether one evidence cell meets its criterion: any text other than an explicit no
    (否, 无, false, 0 ...), a true boolean, a non-zero number; empty = not met."""
    if is_missing(x):
        return False
    if isinstance(x, str):
        return x.strip().lower() not in _NEGATIVE
    return bool(x)


def criteria_hits(row: dict | pd.Series) -> list[str]:
    """The criteria (``c1``..``c5``) a claim's evidence meets, in order."""
    get = row.get if hasattr(row, "get") else (lambda k: None)
    return [c for c in CRITERIA if evidence_met(get(c))]


def _rule(config: dict | None) -> dict:
    cfg = load_reference("weights") if config is None else config
    return cfg["landmark"] if "landmark" in cfg else cfg


def qualifies(hits: list[str], config: dict | None = None) -> bool:
    """The rule on a list of criteria met: ≥ ``min_criteria`` of them, one of ``required_any``."""
    lm = _rule(config)
    return len(set(hits)) >= int(lm["min_criteria"]) and any(c in hits for c in lm["required_any"])


def rule_met(row: dict | pd.Series, config: dict | None = None) -> bool:
    """标志性 by the rule: one claim row (c1..c5 evidence). ``config`` is weights.yaml (or its
    ``landmark`` section); default: the file in use. Drop-in for composite.landmark_qualifies."""
    return qualifies(criteria_hits(row), config)


def rule_text(config: dict | None = None) -> str:
    lm = _rule(config)
    anyof = " 或 ".join(c.upper() for c in lm["required_any"])
    return f"5 项标准中至少满足 {int(lm['min_criteria'])} 项,且含 {anyof} 之一"


def round_of(date: Any, months: list[int] | None = None) -> str:
    """The certification round of a submission date: ``YYYY-MM`` of the first round month at or
    after the date's month. With the default June / September / December rounds: 1 January – 30
    June → ``YYYY-06``, 1 July – 30 September → ``YYYY-09``, 1 October – 31 December → ``YYYY-12``
    (a round closes at the end of its month, so a claim of 30 June is in the June round). A
    missing or unreadable date gives ""."""
    months = sorted(months or load_reference("dianjiang")["rounds"]["months"])
    ts = pd.to_datetime(date, errors="coerce")
    if pd.isna(ts):
        return ""
    later = [m for m in months if m >= ts.month]
    year, month = (ts.year, later[0]) if later else (ts.year + 1, months[0])
    return Period.month(year, month).code


def rounds_held(first: Any, as_of: Any, months: list[int] | None = None) -> list[str]:
    """Round codes, oldest first, from the round of the date ``first`` to the last round closed
    at ``as_of`` (its last day before ``as_of``): the rounds a 四将 selection runs for."""
    months = sorted(months or load_reference("dianjiang")["rounds"]["months"])
    start, now = as_day(first), as_day(as_of)
    if pd.isna(start) or pd.isna(now):
        return []
    out, code = [], round_of(start, months)
    while code and round_end(code) < now:
        out.append(code)
        code = round_of(round_end(code) + pd.Timedelta(days=1), months)
    return out


def round_end(code: str) -> pd.Timestamp:
    """The last day of a round (its month's last day): the round is closed after it."""
    return pd.Timestamp(Period.parse(code).end)


def as_day(x: Any) -> pd.Timestamp:
    """A date cell as a Timestamp at midnight; NaT when empty or unreadable (shared by the
    点将台 modules: awards, plans)."""
    return pd.NaT if is_missing(x) else pd.to_datetime(x, errors="coerce").normalize()


def certify(landmarks: pd.DataFrame, as_of: Any = None, config: dict | None = None,
            rounds_config: dict | None = None) -> pd.DataFrame:
    """One row per claim: the round, the criteria met, the rule and the outcome.

    Input: contract ``landmarks`` (claim_id, cadre_ids, unit_id, title, submitted_at, c1..c5,
    status 申报/认定/未认定, decided_at); missing columns read as empty.
    ``as_of``: the date the data stands at; a round is closed once ``as_of`` is past its last day,
    and a decision dated after ``as_of`` is not known yet. ``None``: every round is closed and every
    decision known (a finished history).
    ``config``: weights.yaml (default: in use); ``rounds_config``: dianjiang.yaml.

    Output columns: claim_id, round (YYYY-06/09/12, "" without a submission date), criteria_met
    ("C1,C3,C4", "" for none), certified (bool), rule (Chinese), plus n_criteria, rule_met (bool),
    decision (认定 / 未认定 decided; 待认定 round closed, undecided; 待评审 round not yet held),
    agrees (bool, NA while undecided), round_closed, year (the round's year), unit_id, title,
    submitted_at, decided_at.

    certified is the committee's decision (认定 → true, 未认定 → false); an undecided claim is not
    certified, whatever the rule says. Where the decision and the rule differ the rule text says so.
    """
    months = (rounds_config or load_reference("dianjiang"))["rounds"]["months"]
    now = as_day(as_of) if as_of is not None else pd.NaT
    what = rule_text(config)
    rows = []
    for rec in landmarks.to_dict("records"):
        hits = criteria_hits(rec)
        met = qualifies(hits, config)
        rnd = round_of(rec.get("submitted_at"), months)
        closed = bool(rnd) and (pd.isna(now) or now > round_end(rnd))
        decided_on = as_day(rec.get("decided_at"))
        status = "" if is_missing(rec.get("status")) else str(rec.get("status")).strip()
        known = status in DECISIONS and (pd.isna(now) or pd.isna(decided_on) or decided_on <= now)
        decision = status if known else ("待认定" if closed else "待评审")
        certified = decision == "认定"
        agrees = (certified == met) if known else pd.NA
        shown = "、".join(c.upper() for c in hits)
        text = (f"满足 {shown} 共 {len(hits)} 项" if hits else "未满足任何一项标准") \
            + f"(标准:{what})→ 按标准{'应' if met else '不应'}认定;"
        if known:
            text += f"认定组结论:{decision}," + ("与标准一致" if agrees else "与标准不一致,以认定组结论为准,请核对佐证")
        elif decision == "待认定":
            text += f"{Period.parse(rnd).label}集中考核已结束但尚无认定结论,暂不计入"
        elif rnd:
            text += f"待 {Period.parse(rnd).label}集中考核认定"
        else:
            text += "缺少申报日期,无法确定考核批次"
        rows.append({
            "claim_id": rec.get("claim_id"), "round": rnd, "criteria_met": ",".join(c.upper() for c in hits),
            "certified": certified, "rule": text, "n_criteria": len(hits), "rule_met": met,
            "decision": decision, "agrees": agrees, "round_closed": closed,
            "year": Period.parse(rnd).year if rnd else pd.NA, "unit_id": rec.get("unit_id"),
            "title": rec.get("title"), "submitted_at": as_day(rec.get("submitted_at")), "decided_at": decided_on,
        })
    out = pd.DataFrame(rows, columns=RESULT_COLUMNS + EXTRA_COLUMNS)
    out["year"] = out["year"].astype("Int64")
    out["agrees"] = out["agrees"].astype("boolean")
    return out


def _parse_claim(claim_id: Any, text: Any) -> tuple[list[tuple[str, float]], str | None]:
    """(cadre, share) pairs of one ``cadre_ids`` cell, or an error in Chinese."""
    if is_missing(text):
        return [], None
    parts = as_list(text)  # full-width ;: are NFKC-folded at the door
    given: dict[str, float | None] = {}
    for part in parts:
        cadre, _, raw = part.partition(":")
        cadre = cadre.strip()
        if not cadre or ":" in raw:
            return [], f"成果 {claim_id} 的干部“{part}”格式不对(应为 干部编码 或 干部编码:份额)"
        if cadre in given:
            return [], f"成果 {claim_id} 中干部 {cadre} 重复出现"
        raw = raw.strip()
        try:
            value = float(raw.rstrip("%")) / (100 if raw.endswith("%") else 1) if raw else None
        except ValueError:
            return [], f"成果 {claim_id} 中干部 {cadre} 的份额“{raw}”不是数字"
        if value is not None and not 0 < value <= 1:
            return [], f"成果 {claim_id} 中干部 {cadre} 的份额 {raw} 应在 0 与 1 之间"
        given[cadre] = value
    stated = sum(v for v in given.values() if v is not None)
    free = [c for c, v in given.items() if v is None]
    if free:
        rest = 1.0 - stated
        if rest <= 1e-9:
            return [], f"成果 {claim_id} 已写明的份额合计 {stated:g},未写份额的干部分不到份额"
        given.update({c: rest / len(free) for c in free})
    elif abs(stated - 1.0) > 1e-6:
        return [], f"成果 {claim_id} 各干部份额合计为 {stated:g},应为 1"
    return [(c, float(v)) for c, v in given.items()], None


def claim_shares(landmarks: pd.DataFrame) -> pd.DataFrame:
    """Claims exploded into claim_id × cadre_id × share.

    Input: contract ``landmarks`` (claim_id, cadre_ids). ``cadre_ids`` is ``;``-separated; a share
    is written ``C0001:0.6`` (or ``60%``). No shares: equal parts. Some shares: the cadres without
    one split the rest equally. The shares of a claim must sum to 1; a claim that does not, a share
    outside (0, 1], a cadre named twice or an unreadable share raises ValueError listing every such
    claim in Chinese. A claim with no cadre (a unit's claim) has no rows.

    Output: claim_id, cadre_id, share (float, summing to 1 per claim).
    """
    rows, errors = [], []
    for claim, text in zip(landmarks["claim_id"], landmarks.get("cadre_ids", pd.Series(index=landmarks.index))):
        pairs, err = _parse_claim(claim, text)
        if err:
            errors.append(err)
        rows += [{"claim_id": claim, "cadre_id": c, "share": s} for c, s in pairs]
    if errors:
        raise ValueError("标志性成果的干部份额有误,请修改后重新导入:\n" + "\n".join(f"  {e}" for e in errors))
    return pd.DataFrame(rows, columns=SHARE_COLUMNS)


def landmark_credits(results: pd.DataFrame, shares: pd.DataFrame) -> pd.DataFrame:
    """Certification results per cadre: :func:`certify` joined with :func:`claim_shares`.

    Output: claim_id, cadre_id, share, round, year, criteria_met, certified, decision; one row per
    cadre named on a claim (a unit-only claim has none). Input to models.four_generals.
    """
    cols = ["claim_id", "round", "year", "criteria_met", "certified", "decision"]
    out = shares.merge(results[cols], on="claim_id", how="inner")
    return out[SHARE_COLUMNS + cols[1:]].reset_index(drop=True)


def certified_per_year(credits: pd.DataFrame) -> pd.DataFrame:
    """Certified landmarks per cadre × year (the round's year), for the composite bonus.

    Input: :func:`landmark_credits`. Output: cadre_id, year, n_certified (claims certified that
    name the cadre: each counts whole, as the bonus is per landmark), share_sum (the cadre's
    shares of them, for a weighted reading). Cadre-years with none have no row.
    """
    ok = credits[credits["certified"].astype(bool) & credits["year"].notna()]
    if ok.empty:
        return pd.DataFrame({"cadre_id": pd.Series(dtype=object), "year": pd.Series(dtype="int64"),
                             "n_certified": pd.Series(dtype="int64"), "share_sum": pd.Series(dtype=float)})
    out = ok.groupby(["cadre_id", ok["year"].astype("int64")]).agg(
        n_certified=("claim_id", "nunique"), share_sum=("share", "sum")).reset_index()
    out["share_sum"] = out["share_sum"].astype(float).round(6)
    return out.sort_values(["cadre_id", "year"], ignore_index=True)


def composite_landmarks(credits: pd.DataFrame) -> pd.DataFrame:
    """The ``landmarks`` argument of models.composite.cadre_scores, from certification: one row
    per certified claim × cadre with cadre_id, year and verified (always true), and no c1..c5
    columns, so the composite counts what the committee certified instead of re-applying the rule."""
    ok = credits[credits["certified"].astype(bool) & credits["year"].notna()]
    out = pd.DataFrame({"cadre_id": ok["cadre_id"].astype(str), "year": ok["year"].astype("int64"),
                        "claim_id": ok["claim_id"], "verified": np.ones(len(ok), dtype=bool)})
    return out.reset_index(drop=True)
