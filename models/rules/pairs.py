"""What the two pair rules share: a volume series (kind ``volume``) against partner evidence
(kind ``hard`` for 硬指标背离, ``efficiency`` for 重数量轻质量 / 重增速轻效益).

Level volumes get an onset scan on the clipped residuals (the volume's change against the
evidence's, from some period on); growth-rate volumes (unit %) and yearly evidence are compared
year by year, in percentage points against the peers. Subclasses say how the two series are
combined into a statistic and when the effect is large enough to fire."""
from __future__ import annotations

import math

import numpy as np
from scipy import stats

from models.rules.base import Rule, RuleHit, band_text, growth, p_upper, pct, val
from models.rules.flags import fmt_num
from models.rules.panel import FREQ_RANK, Panel, PanelSet
from models.rules.stats import nanmean, nanmedian, robust_z, shrunk_sigma
from models.rules.timescan import clipped


def annual_excess(ps: PanelSet, p: Panel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per unit and calendar year, in pp against the peers: the growth of a level series
    (year mean against the previous year's) or, for a growth-rate series, the year's rate
    against the unit's usual rate. Also the unit's own figure for the reason (growth %, or
    the rate: last YTD value of the year)."""
    years = ps.grid.year[p.freq]
    uy = np.unique(years)
    ex = np.full((len(ps.unit_ids), len(uy)), np.nan)
    own = np.full_like(ex, np.nan)
    for j, y in enumerate(uy):
        cols = years == y
        if p.is_log:
            prev = years == y - 1
            if not prev.any():
                continue
            g = nanmean(p.E[:, cols], axis=1) - nanmean(p.E[:, prev], axis=1)
            ex[:, j] = 100 * np.expm1(g)
            own[:, j] = 100 * np.expm1(nanmean(p.X[:, cols], axis=1) - nanmean(p.X[:, prev], axis=1))
        else:
            # against the unit's own usual rate (a persistently fast grower is not a jump)
            ex[:, j] = nanmean(p.E[:, cols], axis=1)
            vals = p.V[:, cols]
            if p.ytd_rate:
                last = np.where(np.isfinite(vals), np.arange(vals.shape[1])[None, :], -1).max(axis=1)
                own[:, j] = np.where(last >= 0, vals[np.arange(len(vals)), np.maximum(last, 0)], np.nan)
            else:
                own[:, j] = nanmean(vals, axis=1)
    ex[~p.has] = np.nan
    return uy, ex, own


def volume_stack(ps: PanelSet, freq: str, exclude: str) -> list[np.ndarray]:
    """Clipped residuals of the other level volume indicators at ``freq``."""
    stack = ps.cached(("volumes", freq), lambda: {
        p.code: ps.grid.aggregate(clipped(ps, p), p.freq, freq)
        for p in ps.log_panels(kinds=("volume",)) if FREQ_RANK[p.freq] <= FREQ_RANK[freq]})
    return [a for c, a in stack.items() if c != exclude]


class PairRule(Rule):
    partner_kind: str = ""

    def rule_for(self, v: Panel) -> str:
        return self.name

    def _fit(self, ps: PanelSet) -> None:
        for v in (p for p in ps.panels.values() if p.kind == "volume"):
            partners = [p for p in ps.log_panels(kinds=(self.partner_kind,)) if p.code != v.code]
            if not partners:
                continue
            coarse = max([v.freq] + [p.freq for p in partners], key=FREQ_RANK.get)
            if v.is_log and coarse != "year":
                self._onset_form(ps, v, partners)
            else:
                self._annual_form(ps, v, partners)

    # -- year by year ------------------------------------------------------------------------
    def _annual_stat(self, Av, Ap, zv, zp, groups, clip) -> np.ndarray:
        raise NotImplementedError

    def _annual_fired(self, Av: float, Ap: float, zv: float) -> bool:
        raise NotImplementedError

    def _annual_form(self, ps: PanelSet, v: Panel, partners: list[Panel]) -> None:
        """The volume's excess over peers against the evidence's, said in the indicators' units
        ("...增速18%，比同类高9个百分点（八成同类单位在…之间），而亩均税收增速比同类低12个百分点")."""
        rule = self.rule_for(v)
        yv, Av, own = annual_excess(ps, v)
        parts = []
        for p in partners:
            yp, Ap, _ = annual_excess(ps, p)
            parts.append(np.column_stack([Ap[:, list(yp).index(y)] if y in yp else np.full(len(Ap), np.nan)
                                          for y in yv]))
        Ap = nanmedian(np.stack(parts), axis=0)
        clip = ps.scfg["z_clip"]
        zv = np.column_stack([robust_z(Av[:, j], v.group, clip) for j in range(len(yv))])
        zp = np.column_stack([robust_z(Ap[:, j], v.group, clip) for j in range(len(yv))])
        st = self._annual_stat(Av, Ap, zv, zp, v.group, clip)
        names = "、".join(p.name for p in partners)
        n_years = max(1, int(np.isfinite(st).any(axis=0).sum()))
        for u in np.where(np.isfinite(st).any(axis=1))[0]:
            j = int(np.nanargmax(st[u]))
            p1 = p_upper(st[u, j])
            pv = max(float(-math.expm1(n_years * math.log1p(-min(p1, 1 - 1e-16)))), p1)
            fired = bool(self._annual_fired(Av[u, j], Ap[u, j], zv[u, j]) and pv <= self.rcfg["p_fire"])
            z_feat = float(stats.norm.isf(max(pv, 1e-300)))
            if not fired:
                self._hit(u, v.code, RuleHit(rule, pv, False, z_feat))
                continue
            y = int(yv[j])
            peer = v.peer_median(own[:, j], u)
            unit = "%" if v.is_log else v.unit
            expected = peer + Ap[u, j] if not v.is_log else np.nan
            lo, hi = v.peer_band(own[:, j], u)
            gap = Ap[u, j]
            follow = (f"比同类低{fmt_num(abs(gap))}个百分点" if gap < -0.05 else
                      f"只比同类高{fmt_num(gap)}个百分点" if gap > 0.05 else "与同类持平")
            # A growth-rate indicator is measured against its own usual rate moved with the peers.
            above = "比同类高" if v.is_log else "比按本单位往年水平和同类当年走势推算的高"
            reason = (f"{y}年{v.name}{'增速' if v.is_log else ''}{val(own[u, j], unit)}，{above}"
                      f"{fmt_num(Av[u, j])}个百分点（同类中位数{val(peer, unit)}，{band_text(lo, hi, unit)}），"
                      f"而{names}增速{follow}")
            if np.isfinite(expected):
                reason += f"，按其推算应约为{val(expected, unit)}"
            labels = [lab for lab, yy in zip(ps.labels(v.freq), ps.grid.year[v.freq]) if yy == y]
            self._hit(u, v.code, RuleHit(rule, pv, fired, z_feat, labels[0], labels[0], labels[-1], reason,
                                         own[u, j], expected, peer, f"{y}年({unit})",
                                         [p.name for p in partners], [p.kind for p in partners]))

    # -- onset scan --------------------------------------------------------------------------
    def _onset_scan(self, ps: PanelSet, v: Panel, Ev, Ep, both, rows, start, min_seg) -> tuple[np.ndarray, dict]:
        """Per unit row: the statistic, and (onset position, valid columns, extra evidence)."""
        raise NotImplementedError

    def _onset_fired(self, ps, v, u, freq, pre, post, c_v, c_p, extra) -> bool:
        raise NotImplementedError

    def _onset_reason(self, head: str, names: str, v: Panel, moved: float, expected: float) -> str:
        raise NotImplementedError

    def _onset_form(self, ps: PanelSet, v: Panel, partners: list[Panel]) -> None:
        rule = self.rule_for(v)
        freq = max([v.freq] + [p.freq for p in partners], key=FREQ_RANK.get)
        # Clipped residuals: a single lumpy month should not make or break a divergence.
        Ev = ps.grid.aggregate(clipped(ps, v), v.freq, freq)
        Xv = ps.grid.aggregate(v.X, v.freq, freq)
        Ep = nanmedian(np.stack([ps.grid.aggregate(clipped(ps, p), p.freq, freq) for p in partners]), axis=0)
        start = ps.grid.start[freq]
        labels = ps.labels(freq)
        cfg = self.rcfg
        both = np.isfinite(Ev) & np.isfinite(Ep)
        rows = [u for u in np.where(v.has)[0] if both[u].sum() >= ps.scfg["min_pair_points"]]
        if not rows:
            return
        stat, res = self._onset_scan(ps, v, Ev, Ep, both, rows, start, ps.scfg["min_segment"][freq])
        zc = robust_z(stat, v.group, ps.scfg["z_clip"])
        names = "、".join(p.name for p in partners)
        for u, (tau, idx, extra) in res.items():
            onset_col = idx[tau]
            pre, post = idx[:tau], idx[tau:]
            c_v = float(np.mean(Ev[u, post]) - np.mean(Ev[u, pre]))
            c_p = float(np.mean(Ep[u, post]) - np.mean(Ep[u, pre]))
            pv = p_upper(zc[u])
            fired = self._onset_fired(ps, v, u, freq, pre, post, c_v, c_p, extra)
            fired = bool(fired and pv <= cfg["p_fire"] and stat[u] >= cfg["min_t"])
            if not fired:
                self._hit(u, v.code, RuleHit(rule, pv, False, zc[u], labels[onset_col]))
                continue
            # Growth of every unit at this onset (same columns): the peers' range for the reason.
            raw_v = nanmean(Xv[:, post], axis=1) - nanmean(Xv[:, pre], axis=1)
            peer_raw = v.peer_median(raw_v, u)
            actual, peer = pct(raw_v[u]), pct(peer_raw)
            expected = pct(peer_raw + c_p)
            lo, hi = (pct(x) for x in v.peer_band(raw_v, u))
            head = (f"自{labels[onset_col]}起{v.name}较此前{growth(actual)}（同类中位数为{growth(peer)}，"
                    f"{band_text(lo, hi, '%', as_growth=True)}）")
            reason = self._onset_reason(head, names, v, pct(c_p), expected)
            self._hit(u, v.code, RuleHit(rule, pv, fired, zc[u], labels[onset_col], labels[onset_col],
                                         labels[idx[-1]], reason, actual, expected, peer, "增幅(%)",
                                         [p.name for p in partners], [p.kind for p in partners]))

    @staticmethod
    def shrunk(values: np.ndarray, v: Panel, ps: PanelSet) -> np.ndarray:
        return shrunk_sigma(values, v.group, ps.scfg["sigma_floor_share"])
