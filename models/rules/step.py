"""断点: a level shift of a series (step scan; onset = the first shifted period) that the
unit's other indicators do not share, calibrated by a robust z across the peer units."""
from __future__ import annotations

import math

import numpy as np

from models.rules.base import RuleHit, p_upper, pct, val
from models.rules.flags import fmt_num
from models.rules.panel import Panel, PanelSet
from models.rules.stats import nanmean, nanmedian
from models.rules.timescan import TimeRule, TimeScan


class Step(TimeRule):
    name = "断点"

    def _level_hit(self, ps: PanelSet, p: Panel, u: int, scan: TimeScan) -> RuleHit | None:
        cb = self.rcfg
        res, idx = scan.info[u]
        st = res["step"]
        if st is None:
            return None
        z, t = scan.z_step[u], scan.step_abs[u]
        labels = ps.labels(p.freq)
        jj = idx[st["tau"]]
        c = st["c"]
        post = idx[st["tau"]:]
        pz = p_upper(z)
        big = abs(c) >= (cb["min_rel"] if p.is_log else cb["min_pp"])
        fired = bool(pz <= cb["p_fire"] and t >= cb["min_t"] and big)
        if not fired:
            return RuleHit(self.name, pz, False, z, labels[jj])
        actual = float(np.nanmean(p.V[u, post]))
        expected = float(np.nanmean(p.V[u, post] * math.exp(-c))) if p.is_log else actual - c
        peer = float(nanmedian(nanmean(p.V[np.ix_(p.peers(u), post)], axis=1)))
        if p.is_log:
            change = f"{'跳升' if c > 0 else '骤降'}{fmt_num(abs(pct(c)))}%"
        else:
            change = f"{'跳升' if c > 0 else '骤降'}{fmt_num(abs(c))}个百分点"
        reason = (f"自{labels[jj]}起{p.name}{p.word}{val(actual, p.unit)}，按此前水平推算应为"
                  f"{val(expected, p.unit)}，{change}，同类单位同期中位数"
                  f"{val(peer, p.unit)}；本单位其他指标未见同步变化")
        return RuleHit(self.name, pz, fired, z, labels[jj], labels[jj], labels[idx[-1]],
                       reason, actual, expected, peer, f"{p.word}数值({p.unit})")
