"""数字可疑: figures that look made rather than measured. Sub-tests, each calibrated against
the peers: too smooth (month-on-month changes far below the peers'), seasonality lost (the
peers' seasonal swing missing, as when a yearly target is spread by the calendar), round last
digits (a binomial test against the peers' rate at the indicator's usual precision), bunching
just above target, and 累计值回落 (a year-to-date figure below the previous one). The smallest
sub-test p-value, Bonferroni over the four, decides; every fired sub-test is named.

No per-unit Benford first-digit test: one unit's three years are far too few values over far
too few orders of magnitude."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from models.rules.base import PanelRule, RuleHit
from models.rules.flags import fmt_num
from models.rules.panel import Panel, PanelSet
from models.rules.stats import group_median, nanmean, nanmedian, robust_z


class DigitRule(PanelRule):
    name = "数字可疑"

    def _panel(self, ps: PanelSet, p: Panel) -> None:
        cfg = self.rcfg
        subs: dict[int, list[tuple[float, bool, str, float, float, float, str, str, str]]] = {}

        def add(u, pv, fired, text, actual, expected, peer, measure, p_start, p_end):
            subs.setdefault(u, []).append((pv, fired, text, actual, expected, peer, measure, p_start, p_end))

        labels = ps.labels(p.freq)
        years = ps.grid.year[p.freq]
        feats = {}
        if p.is_log and p.freq in ("month", "quarter"):
            self._smooth_season(ps, p, cfg, labels, years, add, feats)
        self._round_bunch(ps, p, cfg, add, feats)
        for u in np.where(p.n_decrease > 0)[0]:
            n = int(p.n_decrease[u])
            pv = cfg["decrease_p"] ** min(n, 2)
            add(u, pv, True, f"累计值较上期回落{n}次", float(n), np.nan, np.nan, "累计值回落次数",
                labels[0], labels[-1])
        for u, items in subs.items():
            items.sort(key=lambda t: t[0])
            n_sub = 4
            pv = min(1.0, items[0][0] * n_sub)
            fired_items = [t for t in items if t[1]]
            fired = bool(fired_items) and pv <= cfg["p_fire"] * n_sub
            top = fired_items[0] if fired_items else items[0]
            text = "；".join(t[2] for t in (fired_items or items[:1]))
            z = float(stats.norm.isf(max(pv, 1e-300)))
            hit = RuleHit(self.name, pv, fired, min(z, ps.scfg["z_clip"]), None, top[7], top[8],
                          f"{p.name}{text}", top[3], top[4], top[5], top[6])
            self._hit(u, p.code, hit)
        for u, f in feats.items():
            self.features_.setdefault((int(u), p.code), {}).update(f)

    def _smooth_season(self, ps, p, cfg, labels, years, add, feats) -> None:
        uy = np.unique(years)
        if p.freq == "month":
            windows = [(str(y), np.where(years == y)[0]) for y in uy]
        else:
            windows = [("", np.arange(len(years)))]
        vol = np.full((len(ps.unit_ids), len(windows)), np.nan)
        beta = np.full_like(vol, np.nan)
        # For the reason, in the indicator's terms: the month where the peers' seasonal swing is
        # largest, the peers' level there against the year's monthly average, and the unit's.
        top_col = np.zeros(vol.shape, dtype=int)
        peer_eff = np.full_like(vol, np.nan)
        own_eff = np.full_like(vol, np.nan)
        for w, (_, cols) in enumerate(windows):
            E = p.E[:, cols]
            ok = np.isfinite(E)
            rows = p.has & (ok.sum(axis=1) >= 6)
            vol[:, w] = np.where(rows, nanmean(np.abs(np.diff(E, axis=1)), axis=1), np.nan) * math.sqrt(math.pi) / 2
            if p.freq != "month":
                continue
            # one lumpy month must not decide the seasonal fit: clip at 2.5 robust SDs
            med = nanmedian(E, axis=1)[:, None]
            lim = 2.5 * np.maximum(1.4826 * nanmedian(np.abs(E - med), axis=1), 1e-9)[:, None]
            Ec = np.clip(E, med - lim, med + lim)
            Sx = np.where(ok, p.S[:, cols], np.nan)
            Sc = Sx - nanmean(Sx, axis=1)[:, None]
            Ecc = Ec - nanmean(Ec, axis=1)[:, None]
            den = np.nansum(Sc * Sc, axis=1)
            sd_s = np.sqrt(den / np.maximum(ok.sum(axis=1), 1))
            good = rows & (sd_s >= ps.scfg["min_season_sd"]) & (den > 0)
            beta[:, w] = np.where(good, np.nansum(Ecc * Sc, axis=1) / np.where(den > 0, den, 1.0), np.nan)
            k = np.where(np.isfinite(Sc), np.abs(Sc), -1.0).argmax(axis=1)
            r = np.arange(len(k))
            top_col[:, w] = cols[k]
            own = Sc + (E - nanmean(E, axis=1)[:, None])
            peer_eff[:, w] = np.where(good, 100 * np.exp(Sc[r, k]), np.nan)
            own_eff[:, w] = np.where(good, 100 * np.exp(own[r, k]), np.nan)
        with np.errstate(divide="ignore"):
            lv = np.log(np.where(vol > 0, vol, 1e-12))
        zv = np.column_stack([robust_z(np.where(np.isfinite(vol[:, w]), lv[:, w], np.nan), p.group,
                                       ps.scfg["z_clip"]) for w in range(len(windows))])
        zb = np.column_stack([robust_z(beta[:, w], p.group, ps.scfg["z_clip"]) for w in range(len(windows))])
        peer_vol = np.column_stack([group_median(vol[:, w], p.group, p.has) for w in range(len(windows))])
        for u in np.where(p.has)[0]:
            if np.isfinite(zv[u]).any():
                w = int(np.nanargmin(zv[u]))
                pv = float(stats.norm.cdf(zv[u, w]))
                peer = peer_vol[u, w]
                ratio = vol[u, w] / peer if peer > 0 else np.nan
                fired = bool(pv <= cfg["p_fire"] and ratio <= cfg["smooth_max_ratio"])
                yl, cols = windows[w]
                step = {"month": "月", "quarter": "季度"}.get(p.freq, "期")
                own_pct, peer_pct = 100 * vol[u, w], 100 * peer
                add(u, pv, fired, f"{yl + '年' if yl else ''}本单位每{step}与上{step}相比通常只变动约"
                    f"{fmt_num(own_pct)}%，同类单位通常变动约{fmt_num(peer_pct)}%（本单位起伏只有同类的"
                    f"{fmt_num(100 * ratio)}%），数据过于平滑", own_pct, peer_pct, peer_pct,
                    f"每{step}变动幅度(%)", labels[cols[0]], labels[cols[-1]])
                feats.setdefault(u, {})["过于平滑"] = -zv[u, w]
            if np.isfinite(zb[u]).any():
                w = int(np.nanargmin(zb[u]))
                pv = float(stats.norm.cdf(zb[u, w]))
                fired = bool(pv <= cfg["p_fire"] and cfg["season_min_beta"] <= beta[u, w] <= cfg["season_max_beta"])
                yl, cols = windows[w]
                own_m, peer_m = own_eff[u, w], peer_eff[u, w]
                month = f"{int(labels[top_col[u, w]][5:7])}月"
                own_txt = f"本单位是月均的{fmt_num(own_m)}%" if np.isfinite(own_m) else "本单位该月缺数"
                add(u, pv, fired, f"{yl}年{month}：同类单位该月通常是当年月均水平的{fmt_num(peer_m)}%，{own_txt}，"
                    f"季节起伏明显弱于同类，疑似按时序进度均摊报数", own_m, peer_m,
                    peer_m, f"{month}相当于月均(%)", labels[cols[0]], labels[cols[-1]])
                feats.setdefault(u, {})["季节性消失"] = -zb[u, w]

    def _round_bunch(self, ps: PanelSet, p: Panel, cfg, add, feats) -> None:
        raw = p.raw
        vals = pd.to_numeric(raw["value"], errors="coerce")
        rows = raw["unit_id"].map(ps.row_of).to_numpy()
        per = raw["period"].astype(str).to_numpy()
        v = vals.to_numpy(float)
        fin = np.isfinite(v)
        # Usual precision of the indicator: modal number of decimals across all its values.
        dec = np.zeros(len(v), int)
        for k in range(1, 5):
            scaled = v * 10 ** (k - 1)
            dec = np.where(fin & (np.abs(scaled - np.round(scaled)) > 1e-6 * np.maximum(1, np.abs(scaled))), k, dec)
        prec = int(pd.Series(dec[fin]).mode().iat[0]) if fin.any() else 0
        tz = int(cfg["round_trailing_zeros"])
        n_int = np.round(np.where(fin, v, 0) * 10 ** prec)
        eligible = fin & (np.abs(n_int) >= 10 ** (tz + 1))
        is_round = eligible & (np.mod(n_int, 10 ** tz) == 0)
        self._binom_rule(ps, p, rows, per, eligible, is_round, 10.0 ** -tz, cfg["round_min_count"],
                         cfg["round_min_share"], None, "末位取整", add, feats,
                         lambda k, n, sh, peer: f"{k}/{n}个报送值末{tz}位为0（占{fmt_num(sh)}%，同类单位{fmt_num(peer)}%）",
                         "取整占比(%)")
        if "target" in raw.columns:
            tgt = pd.to_numeric(raw["target"], errors="coerce").to_numpy(float)
            has_t = fin & np.isfinite(tgt)
            if has_t.sum():
                if p.unit == "%":
                    diff = v - tgt
                    band = cfg["bunch_band_pp"]
                    band_txt = f"{fmt_num(band)}个百分点"
                else:
                    diff = np.where(np.abs(tgt) > 0, v / np.where(tgt == 0, 1, tgt) - 1.0, np.nan)
                    band = cfg["bunch_band_rel"]
                    band_txt = f"{fmt_num(100 * band)}%"
                inb = has_t & (diff >= -1e-9) & (diff <= band + 1e-9)
                self._binom_rule(ps, p, rows, per, has_t, inb, cfg["bunch_min_rate"], cfg["bunch_min_count"], 0.0,
                                 cfg["bunch_min_ratio"], "目标扎堆", add, feats,
                                 lambda k, n, sh, peer: f"{k}/{n}期数值恰在目标上方0至{band_txt}以内（占{fmt_num(sh)}%，"
                                                        f"同类单位{fmt_num(peer)}%）",
                                 "目标上方扎堆占比(%)")

    def _binom_rule(self, ps, p, rows, per, eligible, hit, min_rate, min_count, min_share, min_ratio, key,
                    add, feats, text, measure) -> None:
        cfg = self.rcfg
        n_u = len(ps.unit_ids)
        ok = eligible & (rows >= 0)
        n = np.bincount(rows[ok].astype(int), minlength=n_u).astype(float)
        k = np.bincount(rows[ok & hit].astype(int), minlength=n_u).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(n > 0, k / n, np.nan)
        rate = np.maximum(group_median(share, p.group), min_rate)
        pvals = np.where(k > 0, stats.binom.sf(k - 1, np.maximum(n, 1), np.nan_to_num(rate, nan=min_rate)), 1.0)
        for u in np.where(n > 0)[0]:
            rate0 = float(rate[u])
            pv = max(float(pvals[u]), 1e-300)
            fired = bool(pv <= cfg["p_fire"] and k[u] >= min_count and share[u] >= (min_share or 0)
                         and (min_ratio is None or share[u] >= min_ratio * rate0))
            if fired:
                pers = sorted(per[(rows == u) & hit])
            else:
                pers = [None]
            add(u, pv, fired, text(int(k[u]), int(n[u]), 100 * share[u], 100 * rate0), 100 * share[u],
                100 * rate0, 100 * rate0, measure, pers[0], pers[-1])
            feats.setdefault(u, {})[key] = float(min(stats.norm.isf(pv), ps.scfg["z_clip"]))
