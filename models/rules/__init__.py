"""Indicator (series) rules of the anomaly detector, as a registry of small rule classes.

Layout: ``flags`` (the flag table all levels share: columns, config, ids, wording of numbers),
``stats`` (robust statistics and scans), ``panel`` (periods → unit × period panels; the
``PanelSet`` of one run), ``base`` (the ``Rule`` protocol: ``name``, ``fit(panels)``, ``hits()``),
``timescan`` (the time scan 突变, 断点 and the pair rules share), one module per rule
(``spike``, ``step``, ``peer``, ``hard``, ``efficiency`` on the shared ``pairs``, ``digits``,
``verified``), ``registry`` (the list of rules) and ``detector`` (``SeriesDetector``).

Pipeline per indicator:

1. **Periods.** Monthly series lose January: January and February are reported together
   (Spring Festival), so ``YYYY-02`` is the first monthly point (a separate January is merged
   into it). Cumulative (YTD) level series are de-cumulated into *per-month* flows,
   ``(YTD_m - YTD_prev) / (m - m_prev)`` within a year: the merged Jan+Feb point is
   ``YTD_02 / 2`` and a missing month spreads over the gap; a YTD below the previous one gives
   no flow and counts as 累计值回落. Quarterly YTD series likewise; yearly as they are.
   YTD *growth rates* (unit ``%`` or kind ``rate``) are kept as reported for the level-type
   rules (同类偏离, yearly pair rules, digits), and their time rules run on the month-on-month
   *update* of the YTD rate within a year: the YTD level carries its early-year noise through
   the whole year, the update does not. (Recovering single-month rates would need last year's
   monthly levels, which the table does not carry.)
2. **Transform.** Level series are logged; rates stay in percentage points.
3. **Peer period effects.** A two-way median polish per peer group gives each unit's level and
   each period's peer effect, which carries the county cycle, the seasonal pattern and the
   moving Spring Festival. No per-unit seasonal model is fitted on three years of data (robust
   STL needs five cycles); with at least ``min_cycles_unit_seasonal`` years a robust per-unit
   month-of-year profile is removed as well. Periods that are noisier for every peer (early
   YTD updates, for example) are down-weighted (``period_scale``).
4. **Own-unit factor.** The median residual of the unit's *other* level indicators is a
   covariate of the time rules: a unit that really grows moves in all of its indicators, so
   its growth is explained; a single series that jumps alone is not.
5. **Rules.** 突变, 断点, 同类偏离, 硬指标背离 / 重数量轻质量 / 重增速轻效益 (by ``kind``),
   数字可疑, 成效不实: each module's docstring states its test.
6. **Calibration and score.** Every statistic is calibrated per indicator against the peers:
   spikes against a Student t fitted to the pooled deviations of all the indicator's points
   (heavy-tailed investment needs a bigger jump), step and divergence statistics by a robust z
   across the peer units, digit counts by a binomial test against the peers' median rate.
   The p-values of the rules that fired are combined with the Cauchy combination (valid under
   dependence between rules); score = -log10(p). Severity from score cut-offs.
"""
