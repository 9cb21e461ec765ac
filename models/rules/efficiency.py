"""重数量轻质量 (a level volume) / 重增速轻效益 (a growth-rate volume): the volume rises while
its efficiency evidence (kind ``efficiency``: tax per mu, …) falls. Onset form: the volume's
rise and the efficiency's fall, each standardised by its own noise and added (Stouffer), so a
precise efficiency series is not drowned by a noisy investment series."""
from __future__ import annotations

import math

import numpy as np

from models.rules.base import growth
from models.rules.flags import fmt_num
from models.rules.pairs import PairRule, volume_stack
from models.rules.panel import Panel
from models.rules.stats import diff_sd, opposite_shift_scan


class QualityDivergence(PairRule):
    name = "重数量轻质量"
    names = ("重数量轻质量", "重增速轻效益")
    partner_kind = "efficiency"
    onset = True

    def rule_for(self, v: Panel) -> str:
        return "重数量轻质量" if v.is_log else "重增速轻效益"

    def _annual_stat(self, Av, Ap, zv, zp, groups, clip) -> np.ndarray:
        return (zv - zp) / math.sqrt(2)

    def _annual_fired(self, Av: float, Ap: float, zv: float) -> bool:
        # same effect-size bar as the onset form: efficiency down >= min_drop against peers
        return zv >= self.rcfg["window_min_z"] and Ap <= -100 * self.rcfg["min_drop"]

    def _onset_scan(self, ps, v, Ev, Ep, both, rows, start, min_seg):
        n_u = len(ps.unit_ids)
        stat = np.full(n_u, np.nan)
        res = {}
        sv = self.shrunk(np.array([diff_sd(Ev[u][both[u]]) if u in rows else np.nan for u in range(n_u)]), v, ps)
        sp = self.shrunk(np.array([diff_sd(Ep[u][both[u]]) if u in rows else np.nan for u in range(n_u)]), v, ps)
        for u in rows:
            idx = np.where(both[u])[0]
            best = opposite_shift_scan(Ev[u][idx], Ep[u][idx], sv[u], sp[u], min_seg)
            if best is not None:
                res[u] = (best[0], idx, best[2])
                stat[u] = best[1]
        return stat, res

    def _onset_fired(self, ps, v, u, freq, pre, post, c_v, c_p, extra) -> bool:
        # The volume rise must stand on its own (not ride on the efficiency fall) and stand
        # out from the unit's other volume indicators at the same onset.
        cfg = self.rcfg
        others = [float(np.mean(o[u, post]) - np.mean(o[u, pre])) for o in volume_stack(ps, freq, v.code)
                  if np.isfinite(o[u, post]).all() and np.isfinite(o[u, pre]).all()]
        c_rel = c_v - (float(np.median(others)) if others else 0.0)
        return (c_v >= cfg["min_rise"] and c_rel >= cfg["min_rise"] and c_p <= -cfg["min_drop"]
                and extra >= cfg["min_t_volume"])

    def _onset_reason(self, head, names, v, moved, expected) -> str:
        return (f"{head}，而{names}相对同类下降{fmt_num(abs(moved))}%；"
                f"按效益指标推算应{growth(expected, True)}")
