"""突变: the largest deviation of a series from its fitted level (isolated extremes clipped
first), calibrated against the heavy tail of all the indicator's points."""
from __future__ import annotations

import math

from models.rules.base import RuleHit, pct, typical, val
from models.rules.flags import fmt_num
from models.rules.panel import Panel, PanelSet
from models.rules.stats import nanmedian
from models.rules.timescan import TimeRule, TimeScan


class Spike(TimeRule):
    name = "突变"

    def _level_hit(self, ps: PanelSet, p: Panel, u: int, scan: TimeScan) -> RuleHit:
        cs = self.rcfg
        res, idx = scan.info[u]
        z, pz = scan.z_spike[u], scan.p_spike[u]
        labels = ps.labels(p.freq)
        j = idx[res["spike_i"]]
        dev = res["spike_dev"]
        big = abs(dev) >= (cs["min_rel"] if p.is_log else cs["min_pp"])
        fired = bool(pz <= cs["p_fire"] and abs(res["spike_z"]) >= cs["min_abs_z"] and big)
        if not fired:
            return RuleHit(self.name, pz, False, z, labels[j])
        actual = p.V[u, j]
        expected = actual * math.exp(-dev) if p.is_log else actual - dev
        peer = float(nanmedian(p.V[p.peers(u), j]))
        usual = typical(dev, res["spike_z"])
        if p.is_log:
            change = f"{'偏高' if dev > 0 else '偏低'}{fmt_num(abs(pct(dev)))}%"
            usual_txt = f"{fmt_num(pct(usual))}%"
        else:
            change = f"{'偏高' if dev > 0 else '偏低'}{fmt_num(abs(dev))}个百分点"
            usual_txt = f"{fmt_num(usual)}个百分点"
        reason = (f"{labels[j]}{p.name}{p.word}{val(actual, p.unit)}，较本单位前后水平推算的"
                  f"{val(expected, p.unit)}{change}（平时各期偏离通常只有约{usual_txt}），"
                  f"同类单位同期中位数{val(peer, p.unit)}")
        return RuleHit(self.name, pz, fired, z, labels[j], labels[j], labels[j], reason,
                       actual, expected, peer, f"{p.word}数值({p.unit})")
