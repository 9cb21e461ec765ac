"""Presentation helpers of the 实绩象限 page: the evidence counts and the words for a cadre whose
x is not determined (kept out of the page script so it stays short)."""
from __future__ import annotations

import pandas as pd

from ui import format as fmt
from ui.charts import codes_of

UNCERTAIN_NOTE = ("个人贡献的判定区间跨过分界线(落在某一侧的概率不足 {level}),或可识别的指标不足其所任单位报送指标权重的 {weight}"
                  "的干部,记为“贡献不确定”,只按实绩分画在分界线上的灰色竖条里,不归入任何象限。")


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
        ("贡献不确定", f"{n['uncertain']} 人", "有个人贡献估计,但区间跨过分界线或可识别的指标权重不足,不归入象限"),
        (names["unidentified"], f"{n['unidentified']} 人", "个人贡献无法估计(与平台分不开或记录太少)"),
    ]
    counts = codes_of(now, names)[status_of(now, names) == "determined"].value_counts()
    parts = [f"{names[c]} {int(counts.get(c, 0))} 人" for c in ("high_high", "high_low", "low_high", "low_low")]
    return metrics, "已判定的干部中:" + " · ".join(parts)


# Why a cadre without x has none (marts.quadrants x_reason), with its numbers: n = reason_value,
# need = reason_threshold, ind = the indicator the cause is on.
_UNIDENTIFIED_TEXT = {
    "too_few_records": "记录太少:{ind}只有 {n} 条考核记录,少于干部数与单位数之和 {need},个人贡献与平台效应无法区分",
    "few_obs": "记录太少:本人在{ind}只有 {n} 条考核记录(至少需 {need} 条),不足以把个人与所在单位分开",
    "no_mobility": "无交流可比:本人在{ind}的 {n} 条考核记录都在同一单位,这些记录中该单位也没有交流进出的干部,个人贡献与单位平台无法分开",
    "not_separable": "与同单位其他干部始终同进同出:本人在{ind}的 {n} 条考核记录无法与他人或平台分开估计",
    "no_peers": "所在比较组没有其他可估计的干部(本人在{ind}有 {n} 条考核记录),没有可比对象",
    "no_records": "没有本人所在条线应考核指标的记录(任职单位未报送这些指标,也无任务记录)",
    "no_spread": "所用指标上干部之间的差别估计为零,无法换算成综合贡献",
    "no_estimate": "本季度没有可用于估计个人贡献的考核记录",
}


def apart_reason(row, level: float, cut: float = 0.0, indicator_names: dict | None = None) -> str:
    """Why this cadre is in no quadrant, with the numbers."""
    reason = getattr(row, "x_reason", None)
    if getattr(row, "x_status", None) == "uncertain":
        if reason == "low_weight":
            return (f"依据不足:可识别的指标只占其所任单位报送指标权重的 {fmt.pct(row.reason_value, 0)},"
                    f"低于 {fmt.pct(row.reason_threshold, 0)};个人贡献只反映岗位职责的一小部分")
        side = "以上" if row.x > cut else "以下"
        return (f"贡献不确定:x = {fmt.number(row.x, 2, signed=True)},判定区间 {fmt.interval(row.x_low, row.x_high, None, 2)}"
                f" 跨过分界线;在分界线{side}的概率 {fmt.pct(row.p_side, 0)},未达 {fmt.pct(level, 0)}")
    if fmt.is_true(getattr(row, "identified_current", None)):
        return "该季度时数据不足以识别,其后已可识别"
    if reason in _UNIDENTIFIED_TEXT:
        n, need = getattr(row, "reason_value", None), getattr(row, "reason_threshold", None)
        return _UNIDENTIFIED_TEXT[reason].format(
            ind=fmt.indicator_label(getattr(row, "reason_indicator", None), indicator_names),
            n=fmt.DASH if fmt.is_missing(n) else f"{int(n):,}",
            need=fmt.DASH if fmt.is_missing(need) else f"{int(need):,}")
    return fmt.unidentified_reason(row.flags)


def where_text(row, names: dict) -> str:
    """The badge text: the quadrant, or 贡献不确定 / 不可判定."""
    if getattr(row, "x_status", None) == "uncertain":
        return "贡献不确定(不归入象限)"
    code = getattr(row, "quadrant_code", None)
    return names.get(code, str(row.quadrant)) if isinstance(code, str) else str(row.quadrant)


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
