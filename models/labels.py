"""Model codes in Chinese: the attribution's contribution flags and bands as people read them.

Marts and model results store codes (``few_obs``, ``高``); pages, briefings and exports turn them
into words here, so a label is written once for every layer. Pure: no Streamlit, no DuckDB.
Missing values always read as "—".
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

DASH = "—"

# Contribution flags (models/attribution.py) in Chinese: short label and what it means.
FLAG_LABELS: dict[str, tuple[str, str]] = {
    "not_in_main_component": ("非主比较组", "只能与本比较组内的干部相比,不能与全县其他干部直接比较"),
    "no_mobility": ("无交流轮岗", "所在单位无人交流进出,个人贡献与平台效应无法分离"),
    "not_separable": ("不可分离", "与同单位其他干部或平台混在一起,无法单独估计"),
    "no_peers": ("无可比干部", "所在关联组内没有其他可估计的干部"),
    "few_obs": ("样本少", "参与的考核记录少于最低要求,估计不稳"),
    "too_few_records": ("记录太少", "该指标的考核记录少于干部数与单位数之和,个人与平台无法区分"),
    "weakly_identified": ("识别弱", "区间宽,估计主要来自先验(向 0 收缩)"),
    "shares_invalid": ("分工比例异常", "分工比例为负或合计超过 1,已剔除或按比例缩放"),
    "high_leverage": ("单条记录影响大", "某一条记录对估计影响很大,请核对该记录"),
    "partial_composite": ("综合项不全", "综合贡献只用到部分指标(其余指标缺数据),权重已重新归一"),
    "mixed_components": ("比较组不一", "各指标的比较组不同,综合贡献跨组合成"),
}

BAND_LABELS = {"高": "高于组内平均", "中": "无显著差异", "低": "低于组内平均", "不可判定": "不可判定"}


def is_missing(v: Any) -> bool:
    """True for None, NaN, NaT and pd.NA (scalars only)."""
    if v is None:
        return True
    try:
        missing = pd.isna(v)
    except (TypeError, ValueError):
        return False
    return bool(missing) if isinstance(missing, (bool, np.bool_)) else False


def flag_list(flags: Any) -> list[str]:
    if is_missing(flags):
        return []
    return [f for f in str(flags).split(";") if f.strip()]


def flags_text(flags: Any, sep: str = "、") -> str:
    """';'-separated flag codes as Chinese short labels; unknown codes are shown as they are."""
    labels = [FLAG_LABELS.get(f, (f, ""))[0] for f in flag_list(flags)]
    return sep.join(labels) if labels else DASH


def unidentified_reason(flags: Any) -> str:
    """Why a cadre is 不可判定, from its flags: the identification flags first."""
    codes = flag_list(flags)
    for code in ("too_few_records", "no_mobility", "not_separable", "no_peers"):
        if code in codes:
            return FLAG_LABELS[code][1]
    if not codes:
        return "本季度无可用的个人贡献估计"
    return "、".join(FLAG_LABELS.get(f, (f, ""))[0] for f in codes)
