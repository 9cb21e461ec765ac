"""Tables of the 方法说明 page about the attribution's evidence (pure: frames in, frames out)."""
from __future__ import annotations

import pandas as pd

from ui import format as fmt


def identification_table(summary: pd.DataFrame, names: dict) -> pd.DataFrame:
    """marts.attribution_indicators in Chinese: what each indicator could tell apart."""
    return pd.DataFrame({
        "指标": [fmt.indicator_label(i, names) for i in summary["indicator"]],
        "考核记录": [f"{int(n):,}" for n in summary["n_records"]],
        "至少需要(干部 + 单位)": [f"{int(n):,}" for n in summary["n_needed"]],
        "可识别干部": [f"{int(i)} / {int(c)}" for i, c in zip(summary["n_identified"], summary["n_cadres"])],
        "冲击延续(相邻期相关)": [fmt.number(r, 2) for r in summary["serial_rho"]],
        "任期内证据折算": [fmt.DASH if fmt.is_missing(f) or f <= 1 else f"按 1/{fmt.number(f, 1)} 计" for f in summary["noise_inflation"]],
    })


def share_table(sensitivity: pd.DataFrame) -> pd.DataFrame:
    """marts.task_share_sensitivity in Chinese: each 责任人 share tried and what it changes."""
    return pd.DataFrame({
        "责任人 / 配合干部": [f"{fmt.pct(a, 0)} / {fmt.pct(b, 0)}" + ("(现行)" if c else "")
                          for a, b, c in zip(sensitivity["lead_share"], sensitivity["co_share"], sensitivity["configured"])],
        "数据支持度(偏差,0 = 最支持)": [fmt.number(d, 1) for d in sensitivity["delta_deviance"]],
        "与现行估计的相关": [fmt.number(r, 2) for r in sensitivity["corr_with_configured"]],
        "一侧确定的干部": [f"{int(n)} 人" for n in sensitivity["n_sure"]],
        "现行确定、改后不确定": [f"{int(n)} 人" for n in sensitivity["n_side_lost"]],
        "改后方向相反": [f"{int(n)} 人" for n in sensitivity["n_side_flipped"]],
    })


def favoured_share_text(sensitivity: pd.DataFrame) -> str:
    """One sentence: which share the records favour and whether that differs clearly from ours."""
    if sensitivity.empty:
        return "当前数据版本没有可估计的任务记录,无法检验分工比例。"
    best = sensitivity.loc[sensitivity["delta_deviance"].idxmin()]
    mine = sensitivity[sensitivity["configured"].astype(bool)].iloc[0]
    gap = float(mine["delta_deviance"])
    verdict = ("与现行比例相差不大(偏差差值小于 2),数据不足以推翻现行比例" if gap < 2 else
               f"明显好于现行比例(偏差差值 {fmt.number(gap, 1)});现行比例是考核政策的约定,如需调整请改 weights.yaml")
    return (f"任务记录最支持 责任人 {fmt.pct(best['lead_share'], 0)} / 配合干部 {fmt.pct(best['co_share'], 0)},"
            f"{verdict}。")
