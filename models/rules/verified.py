"""成效不实 (series): the reported value exceeds the verified value (核实值) beyond the
tolerance. Not a statistic: each mismatching period is fixed evidence."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from models.rules.base import PanelRule, RuleHit
from models.rules.flags import fmt_num
from models.rules.panel import Panel, PanelSet


class VerifiedRule(PanelRule):
    name = "成效不实"

    def _panel(self, ps: PanelSet, p: Panel) -> None:
        raw = p.raw
        if "verified_value" not in raw.columns:
            return
        cfg = self.rcfg
        v = pd.to_numeric(raw["value"], errors="coerce").to_numpy(float)
        ver = pd.to_numeric(raw["verified_value"], errors="coerce").to_numpy(float)
        ok = np.isfinite(v) & np.isfinite(ver)
        if not ok.any():
            return
        if p.unit == "%":
            over = v - ver
            bad = ok & (np.round(over, 9) > cfg["tolerance_pp"])
        else:
            over = np.where(ok & (np.abs(ver) > 0), v / np.where(ver == 0, 1, np.abs(ver)) - np.sign(ver), np.nan)
            bad = ok & (np.round(over, 9) > cfg["tolerance_rel"])
        units = raw["unit_id"].to_numpy()
        per = raw["period"].astype(str).to_numpy()
        for uid in np.unique(units[bad]):
            sel = np.where(bad & (units == uid))[0]
            j = sel[np.argmax(over[sel])]
            pv = cfg["p_per_period"] ** min(len(sel), 2)
            gap = f"{fmt_num(over[j])}个百分点" if p.unit == "%" else f"{fmt_num(100 * over[j])}%"
            span = sorted(per[sel])
            reason = (f"{p.name}有{len(sel)}期报送值高于核实值（{per[j]}报送{fmt_num(v[j])}{p.unit}，"
                      f"核实{fmt_num(ver[j])}{p.unit}，高出{gap}）")
            self._hit(ps.row_of[uid], p.code, RuleHit(self.name, pv, True, float(stats.norm.isf(pv)), per[j],
                                                       span[0], span[-1], reason, v[j], ver[j], np.nan,
                                                       f"报送值({p.unit})"))
