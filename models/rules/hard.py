"""硬指标背离: a volume that rises while its hard evidence (kind ``hard``: tax, electricity,
…) does not follow. Onset form: an upward step of the volume minus the evidence; yearly form:
the year's excess growth of the volume over the evidence, against the peers."""
from __future__ import annotations

import math

import numpy as np

from models.rules.base import growth
from models.rules.flags import fmt_num
from models.rules.pairs import PairRule
from models.rules.stats import design, period_scale, robust_z, step_or_trend, winsorize


class HardDivergence(PairRule):
    name = "硬指标背离"
    partner_kind = "hard"
    onset = True

    def _annual_stat(self, Av, Ap, zv, zp, groups, clip) -> np.ndarray:
        return np.column_stack([robust_z(Av[:, j] - Ap[:, j], groups, clip) for j in range(Av.shape[1])])

    def _annual_fired(self, Av: float, Ap: float, zv: float) -> bool:
        cfg = self.rcfg
        return Av >= cfg["min_gap_pp"] and Ap <= cfg["max_follow_share"] * Av and zv >= cfg["window_min_z"]

    def _onset_scan(self, ps, v, Ev, Ep, both, rows, start, min_seg):
        n_u = len(ps.unit_ids)
        stat = np.full(n_u, np.nan)
        res = {}
        tscale = period_scale(Ev - Ep, v.group, v.has)
        sig = np.full(n_u, np.nan)
        for u in rows:
            ok = both[u]
            tt = start[ok].astype(float)
            dw = winsorize((Ev - Ep)[u][ok], design(tt, None), tscale[u][ok], ps.scfg)
            st = step_or_trend(dw, tt, None, min_seg, +1, 1.0 / tscale[u][ok], ps.scfg["trend_t"])
            if st is not None:
                res[u] = (st["tau"], np.where(ok)[0], st)
                sig[u] = st["sigma"]
        sig = self.shrunk(sig, v, ps)
        for u, (_, _, st) in res.items():
            stat[u] = st["c"] * math.sqrt(st["ss"]) / max(sig[u], 1e-12)
        return stat, res

    def _onset_fired(self, ps, v, u, freq, pre, post, c_v, c_p, extra) -> bool:
        cfg = self.rcfg
        c_d = c_v - c_p
        return c_d >= cfg["min_gap"] and c_v >= cfg["min_volume_share"] * c_d and c_p <= cfg["max_follow_share"] * c_v

    def _onset_reason(self, head, names, v, moved, expected) -> str:
        follow = (f"相对同类只增长{fmt_num(moved)}%" if moved > 0.05 else
                  f"相对同类反而下降{fmt_num(abs(moved))}%" if moved < -0.05 else "相对同类没有变化")
        return f"{head}，而{names}{follow}；按硬指标推算{v.name}应{growth(expected, True)}"
