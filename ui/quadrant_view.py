"""Presentation helpers of the 实绩象限 page: the evidence counts and the words for a cadre whose
x is not determined (kept out of the page script so it stays short)."""
from __future__ import annotations

import pandas as pd

from ui import format as fmt

UNCERTAIN_NOTE = ("个人贡献的判定区间跨过分界线的干部,无法判断其贡献在分界线哪一侧(落在某一侧的概率不足 {level}),"
                  "记为“贡献不确定”,只按实绩分画在分界线上的灰色竖条里,不归入任何象限。")


def status_of(frame: pd.DataFrame, names: dict) -> pd.Series:
    """x_status per row; data versions without it count every 不可判定 as unidentified."""
    if "x_status" in frame:
        return frame["x_status"].fillna("unidentified")
    return pd.Series(["unidentified" if q == names["unidentified"] else "determined" for q in frame["quadrant"]],
                     index=frame.index, dtype=object)


def headline(now: pd.DataFrame, names: dict) -> tuple[list[tuple[str, str, str]], str]:
    """The three evidence counts (label, value, help) and one line with the four quadrants."""
    status = status_of(now, names).value_counts()
    total = int(len(now))
    n = {k: int(status.get(k, 0)) for k in ("determined", "uncertain", "unidentified")}
    metrics = [
        ("已判定", f"{n['determined']} / {total} 人", "个人贡献落在分界线某一侧的证据足够,归入四个象限"),
        ("贡献不确定", f"{n['uncertain']} 人", "有个人贡献估计,但区间跨过分界线,不归入象限"),
        (names["unidentified"], f"{n['unidentified']} 人", "个人贡献无法估计(与平台分不开或记录太少)"),
    ]
    counts = now.loc[status_of(now, names) == "determined", "quadrant"].value_counts()
    parts = [f"{names[c]} {int(counts.get(names[c], 0))} 人" for c in ("high_high", "high_low", "low_high", "low_low")]
    return metrics, "已判定的干部中:" + " · ".join(parts)


def apart_reason(row, level: float, cut: float = 0.0) -> str:
    """Why this cadre is in no quadrant, with the numbers."""
    if getattr(row, "x_status", None) == "uncertain":
        side = "以上" if row.x > cut else "以下"
        return (f"贡献不确定:x = {fmt.number(row.x, 2, signed=True)},判定区间 {fmt.interval(row.x_low, row.x_high, None, 2)}"
                f" 跨过分界线;在分界线{side}的概率 {fmt.pct(row.p_side, 0)},未达 {fmt.pct(level, 0)}")
    if fmt.is_true(getattr(row, "identified_current", None)):
        return "该季度时数据不足以识别,其后已可识别"
    return fmt.unidentified_reason(row.flags)


def where_text(row, names: dict) -> str:
    """The badge text: the quadrant, or 贡献不确定 / 不可判定."""
    if getattr(row, "x_status", None) == "uncertain":
        return "贡献不确定(不归入象限)"
    return str(row.quadrant)


def latest_note(row) -> str:
    """Help of the 最新象限 metric: the quarter and, where x has an estimate, the evidence."""
    note = fmt.period_label(row["period"])
    if row.get("x_status") in ("determined", "uncertain") and not fmt.is_missing(row.get("p_side")):
        note += (f";判定区间 {fmt.interval(row['x_low'], row['x_high'], None, 2)},"
                 f"落在所在一侧的概率 {fmt.pct(row['p_side'], 0)}")
        if row["x_status"] == "uncertain":
            note += ",区间跨过分界线,不归入象限"
    return note


def evidence_columns(history: pd.DataFrame) -> dict[str, list[str]]:
    """判定区间 and the side probability per quarter (empty on data versions without them)."""
    if "x_low" not in history:
        return {}
    return {"判定区间": [fmt.interval(lo, hi, None, 2) for lo, hi in zip(history["x_low"], history["x_high"])],
            "所在一侧概率": [fmt.pct(p, 0) for p in history["p_side"]]}
