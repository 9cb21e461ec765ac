"""同类偏离: the last 12 months' growth (level series) or level (rates) against the peers,
beyond what the unit's other indicators explain (a unit whose every indicator runs high is a
fast grower, not a misreport)."""
from __future__ import annotations

import numpy as np
from scipy import stats

from models.rules.base import Rule, RuleHit, band_text, growth, pct, val
from models.rules.panel import MONTHS_PER, Panel, PanelSet
from models.rules.stats import mad_sd, nanmean, nanmedian, robust_z, window_cols


def window_stats(ps: PanelSet, p: Panel) -> dict | None:
    """Recent growth against peers: ``G`` (peer-adjusted), ``raw`` (the unit's own figure), its
    robust ``z`` and the window's first and last period label."""
    start = ps.grid.start[p.freq]
    have = np.isfinite(p.X).any(axis=0)
    if not have.any():
        return None
    last_month = int(start[have].max())
    months = ps.scfg["recent_window"][p.freq] * MONTHS_PER[p.freq]
    last, prev = window_cols(start, last_month, months)
    need = max(1, last.sum() // 2)
    n_last = np.isfinite(p.X[:, last]).sum(axis=1)
    n_prev = np.isfinite(p.X[:, prev]).sum(axis=1)
    if p.is_log:
        ok = (n_last >= need) & (n_prev >= max(1, prev.sum() // 2))
        G = nanmean(p.E[:, last], axis=1) - nanmean(p.E[:, prev], axis=1)
        raw = nanmean(p.X[:, last], axis=1) - nanmean(p.X[:, prev], axis=1)
    else:
        ok = n_last >= need
        G = nanmean(p.X[:, last] - p.M[:, last], axis=1)
        raw = nanmean(p.V[:, last], axis=1)
    G = np.where(ok & p.has, G, np.nan)
    raw = np.where(ok & p.has, raw, np.nan)
    z = robust_z(G, p.group, ps.scfg["z_clip"])
    labels = ps.labels(p.freq)
    cols = np.where(last & have)[0]
    return {"G": G, "raw": raw, "z": z,
            "start": labels[cols[0]] if cols.size else None,
            "end": labels[cols[-1]] if cols.size else None}


class PeerDeviation(Rule):
    name = "同类偏离"

    def _fit(self, ps: PanelSet) -> None:
        window = {c: w for c, p in ps.panels.items() if (w := window_stats(ps, p)) is not None}
        codes = list(window)
        if not codes:
            return
        Z = np.column_stack([window[c]["z"] for c in codes])
        cfg = self.rcfg
        k_share = 1.0 / cfg["explained_share"]
        for k, code in enumerate(codes):
            p = ps.panels[code]
            w = window[code]
            others = np.delete(Z, k, axis=1)
            n_oth = np.isfinite(others).sum(axis=1)
            zbar = np.where(n_oth >= 2, nanmedian(others, axis=1), 0.0)
            zk = w["z"]
            D = np.where(zk >= 0, np.maximum(0.0, zk - k_share * np.maximum(zbar, 0.0)),
                         np.minimum(0.0, zk - k_share * np.minimum(zbar, 0.0)))
            # D is already in peer-z units: no second calibration (most units have D = 0).
            for u in np.where(np.isfinite(zk) & np.isfinite(D))[0]:
                pv = float(2 * stats.norm.sf(abs(D[u])))
                fired = bool(pv <= cfg["p_fire"] and abs(zk[u]) >= cfg["min_peer_z"] and abs(D[u]) >= cfg["min_gap_z"])
                if not fired:
                    self._hit(u, code, RuleHit(self.name, pv, False, abs(D[u])))
                    continue
                self._hit(u, code, self._fired(p, w, u, pv, zk[u], zbar[u], D[u]))

    def _fired(self, p: Panel, w: dict, u: int, pv: float, zk: float, zbar: float, d: float) -> RuleHit:
        G = w["G"]
        peers = (p.group == p.group[u]) & np.isfinite(G)
        medG = float(np.median(G[peers]))
        scale = mad_sd(G[peers]) or 1.0
        g_exp = medG + max(min(zbar, abs(zk)), -abs(zk)) * scale
        peer_raw = p.peer_median(w["raw"], u)
        lo, hi = p.peer_band(w["raw"], u)
        if abs(zbar) < 0.5:
            others_txt = "本单位其他指标与同类相近"
        else:
            others_txt = f"本单位其他指标也普遍{'偏高' if zbar > 0 else '偏低'}"
        if p.is_log:
            actual, peer = pct(w["raw"][u]), pct(peer_raw)
            expected = pct(peer_raw + (g_exp - medG))
            lo, hi = pct(lo), pct(hi)
            reason = (f"近12个月{p.name}{growth(actual)}，同类单位中位数为{growth(peer)}、"
                      f"{band_text(lo, hi, '%', as_growth=True)}；{others_txt}，据此推算应{growth(expected, True)}")
            measure = "近12个月增幅(%)"
        else:
            actual, peer = w["raw"][u], peer_raw
            expected = peer_raw + (g_exp - medG)
            reason = (f"近12个月{p.name}平均{val(actual, p.unit)}，同类单位中位数{val(peer, p.unit)}、"
                      f"{band_text(lo, hi, p.unit)}；{others_txt}，据此推算应约为{val(expected, p.unit)}")
            measure = f"近12个月均值({p.unit})"
        return RuleHit(self.name, pv, True, abs(d), None, w["start"], w["end"], reason,
                       actual, expected, peer, measure)
