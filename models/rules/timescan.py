"""The time scan of each level series, shared by 突变, 断点 and the pair rules.

Per unit: isolated extremes are clipped against a centred rolling median (so one lumpy month
cannot fake a level shift), a step is scanned on the clipped series (a linear drift only enters
when it is evident next to the step; onset = the first shifted period), and the largest spike is
measured against the fitted level. The own-unit factor (median residual of the unit's other
level indicators) is a covariate: a unit that really grows moves in all of its indicators.
Spikes are calibrated against a Student t fitted to the pooled deviations of the indicator's
points, steps by a robust z across the peer units. YTD growth rates are scanned on their
month-on-month update within a year (no step scan: a kept new level is itself the 断点)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from models.rules.base import PanelRule, RuleHit, typical, val
from models.rules.flags import fmt_num
from models.rules.panel import MONTHS_PER, Panel, PanelSet
from models.rules.stats import max_tail_p, nanmedian, period_scale, robust_z, series_scan, shrunk_sigma


@dataclass
class TimeScan:
    info: dict                 # unit row -> (series_scan result, columns of its valid points)
    p_spike: np.ndarray        # p-value of each unit's largest spike
    z_spike: np.ndarray
    z_step: np.ndarray         # robust z of the step statistic across peers
    step_abs: np.ndarray       # step statistic (t against the shrunk noise SD)
    Y: np.ndarray              # what was scanned: residuals, or within-year updates of a YTD rate
    W: np.ndarray | None       # residuals with isolated extremes clipped (level series)


def time_scan(ps: PanelSet, p: Panel) -> TimeScan | None:
    """The scan of ``p`` (None for yearly panels and when no unit has enough points)."""
    return ps.cached(("time", p.code), lambda: _scan(ps, p))


def clipped(ps: PanelSet, p: Panel) -> np.ndarray:
    """Residuals with isolated extremes clipped: a single lumpy month should not make or break
    a divergence."""
    scan = time_scan(ps, p)
    return p.E if scan is None or scan.W is None else scan.W


def within_year_change(ps: PanelSet, p: Panel) -> np.ndarray:
    """Month-on-month change of a YTD rate inside each year (NaN across a year boundary).

    A YTD rate carries its early-year noise through the whole year and restarts each
    February, so its level is dominated by yearly regimes; the monthly *update* is not.
    A misreported level from some month on shows up as one unexplained update."""
    start = ps.grid.start[p.freq]
    step = MONTHS_PER[p.freq]
    D = np.full_like(p.E, np.nan)
    for j in range(1, len(start)):
        if start[j] - start[j - 1] == step and start[j] // 12 == start[j - 1] // 12:
            D[:, j] = p.E[:, j] - p.E[:, j - 1]
    return D


def _scan(ps: PanelSet, p: Panel) -> TimeScan | None:
    scfg, freq = ps.scfg, p.freq
    if freq == "year":
        return None
    start = ps.grid.start[freq]
    cov = ps.covariate(p)
    min_pts, min_seg = scfg["min_points"][freq], scfg["min_segment"][freq]
    n_u = len(ps.unit_ids)
    Y = within_year_change(ps, p) if p.ytd_rate else p.E
    need = (2 * min_pts) // 3 if p.ytd_rate else min_pts  # within-year changes lose one point a year
    tscale = period_scale(Y, p.group, p.has)
    spike_stat = np.full(n_u, np.nan)
    step_abs = np.full(n_u, np.nan)
    sig = np.full(n_u, np.nan)
    info = {}
    pool, npts, spike_sd = [], np.zeros(n_u), np.full(n_u, np.nan)
    W = None if p.ytd_rate else p.E.copy()
    for u in np.where(p.has)[0]:
        y = Y[u]
        ok = np.isfinite(y)
        if ok.sum() < need:
            continue
        res = series_scan(y[ok], start[ok].astype(float), None if cov is None else cov[u][ok], min_seg, scfg,
                          tscale[u][ok], with_step=not p.ytd_rate)
        if res is None:
            continue
        info[u] = (res, np.where(ok)[0])
        spike_sd[u] = res["spike_sd"]
        if W is not None:
            W[u, ok] = res["clipped"]
        npts[u] = ok.sum()
        if res["step"] is not None and np.isfinite(res["step"]["sigma"]):
            sig[u] = res["step"]["sigma"]
    if not info:
        return None
    # Spike z-scores against a noise SD shrunk to the peers' (see shrunk_sigma).
    spike_sd = shrunk_sigma(spike_sd, p.group, scfg["sigma_floor_share"])
    for u, (res, _) in info.items():
        res["z"] = res["z"] * res["spike_sd"] / spike_sd[u]
        res["spike_z"] = float(res["z"][res["spike_i"]])
        spike_stat[u] = abs(res["spike_z"])
        pool.append(np.abs(res["z"]))
    sig = shrunk_sigma(sig, p.group, scfg["sigma_floor_share"])
    for u, (res, _) in info.items():
        st = res["step"]
        if st is not None and np.isfinite(sig[u]):
            step_abs[u] = abs(st["c"]) * math.sqrt(st["ss"]) / max(sig[u], 1e-12)
    p_spike = max_tail_p(spike_stat, np.concatenate(pool), npts)
    z_spike = stats.norm.isf(np.clip(p_spike, 1e-300, 1.0))
    z_step = robust_z(step_abs, p.group, scfg["z_clip"])
    return TimeScan(info, p_spike, z_spike, z_step, step_abs, Y, W)


class TimeRule(PanelRule):
    """突变 and 断点: the hit of each scanned unit. For a YTD rate both come from one scan of
    its monthly updates (``ytd_hit``), and each rule keeps the hits named after it."""

    onset = True

    def _panel(self, ps: PanelSet, p: Panel) -> None:
        scan = time_scan(ps, p)
        if scan is None:
            return
        for u in scan.info:
            hit = ytd_hit(ps, p, u, scan) if p.ytd_rate else self._level_hit(ps, p, u, scan)
            if hit is not None and hit.rule == self.name:
                self._hit(u, p.code, hit)

    def _level_hit(self, ps: PanelSet, p: Panel, u: int, scan: TimeScan) -> RuleHit | None:
        raise NotImplementedError


def ytd_hit(ps: PanelSet, p: Panel, u: int, scan: TimeScan) -> RuleHit:
    """YTD rate: an unexplained monthly update that is reversed next month is a 突变,
    one that stays is a 断点 of the reported YTD rate."""
    res, idx = scan.info[u]
    z, pz, D = scan.z_spike[u], scan.p_spike[u], scan.Y[u]
    labels = ps.labels(p.freq)
    rules = ps.cfg["rules"]
    j = idx[res["spike_i"]]
    jump = res["spike_dev"]
    nxt = D[j + 1] if j + 1 < len(D) else np.nan
    reverted = np.isfinite(nxt) and np.sign(nxt) == -np.sign(jump) and abs(nxt) >= 0.5 * abs(jump)
    rule = "突变" if reverted else "断点"
    cfg = rules[rule]
    fired = bool(pz <= cfg["p_fire"] and abs(res["spike_z"]) >= rules["突变"]["min_abs_z"]
                 and abs(jump) >= cfg["min_pp"])
    if not fired:
        return RuleHit(rule, pz, False, z, labels[j])
    actual = p.V[u, j]
    expected = actual - jump
    peer = float(nanmedian(p.V[p.peers(u), j]))
    what = "当月跳变后次月回落" if reverted else "此后维持在新水平"
    reason = (f"{labels[j]}{p.name}（累计）{val(actual, p.unit)}，按上月累计与同类同期变动推算应约为"
              f"{val(expected, p.unit)}，{'跳升' if jump > 0 else '骤降'}{fmt_num(abs(jump))}个百分点"
              f"（平时每月偏差通常约{fmt_num(typical(jump, res['spike_z']))}个百分点），{what}；"
              f"同类单位同期中位数{val(peer, p.unit)}")
    end = labels[j] if reverted else labels[idx[-1]]
    return RuleHit(rule, pz, fired, z, labels[j], labels[j], end, reason, actual, expected, peer,
                   f"累计增速({p.unit})")
