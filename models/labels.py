"""Model codes in Chinese: the attribution's contribution flags and bands, and the 实绩象限, as
people read them.

Marts and model results store codes (``few_obs``, ``高``, ``high_high``); pages, briefings and
exports turn them into words here, so a label is written once for every layer and a quadrant
renamed in quadrants.yaml reads with its new name in every version already published. Pure: no
Streamlit, no DuckDB. Missing values always read as "—".
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

# A cadre's role on a task (marts.task_roles.role) and how people say it.
TASK_ROLES = {"lead": "责任人", "co": "配合"}

# 实绩象限 codes (marts.quadrants.quadrant_code), in the policy's order: the four quadrants, then
# the code of every cadre in none (x not determined: uncertain or not identified).
QUADRANT_CODES = ("high_high", "high_low", "low_high", "low_low")
UNPLACED = "unidentified"
# A cadre whose x is estimated but not determined is counted apart from the 不可判定 in
# summaries (page, big screen); x_status "uncertain" says which.
UNCERTAIN = "uncertain"
UNCERTAIN_NAME = "贡献不确定"


def quadrant_names(names: dict | None = None) -> dict[str, str]:
    """Code → Chinese name of every quadrant code (quadrants.yaml ``names`` in use unless given)."""
    if names is None:
        from models.config import load_reference

        names = load_reference("quadrants")["names"]
    return {code: str(names[code]) for code in (*QUADRANT_CODES, UNPLACED) if code in names}


def quadrant_label(codes: pd.Series, names: dict | None = None) -> pd.Series:
    """Quadrant codes as their Chinese names (missing stays missing; an unknown code as it is)."""
    table = quadrant_names(names)
    return codes.map(lambda c: c if is_missing(c) else table.get(str(c), str(c))).astype(object)


def quadrant_code(name: Any, names: dict | None = None) -> str:
    """A quadrant name back to its code (a code passes through); unknown → ``unidentified``."""
    if str(name) in (*QUADRANT_CODES, UNPLACED):
        return str(name)
    return {v: k for k, v in quadrant_names(names).items()}.get(str(name), UNPLACED)


def quadrant_group(codes: pd.Series, x_status: pd.Series) -> pd.Series:
    """The group a cadre is counted in: its quadrant code, ``uncertain`` where x is estimated but
    not determined, else ``unidentified``."""
    uncertain = x_status.fillna("").astype(str).eq(UNCERTAIN).to_numpy()
    return pd.Series(np.where(uncertain, UNCERTAIN, codes.fillna(UNPLACED).astype(str)), index=codes.index,
                     dtype=object)


def quadrant_group_names(names: dict | None = None) -> dict[str, str]:
    """The count groups in order, code → name: the four quadrants, 贡献不确定, 不可判定."""
    table = quadrant_names(names)
    out = {c: table[c] for c in QUADRANT_CODES if c in table}
    out[UNCERTAIN] = UNCERTAIN_NAME
    if UNPLACED in table:
        out[UNPLACED] = table[UNPLACED]
    return out


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
