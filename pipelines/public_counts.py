"""The public file's counts about people: 亮牌 per month and colour, live 需核查 flags by
severity, rule and level, cadres per 实绩象限 group per quarter. Counts only, never who; each row
carries ``n_people`` so :mod:`pipelines.suppression` can hide small groups.
"""
from __future__ import annotations

import pandas as pd

from models.flag_status import live_flags
from models.labels import quadrant_group_names
from pipelines.public_tables import CARDS, SCHEMAS, SEVERITIES, _Full

# The public count's group: the quadrant code, or ``uncertain`` for a cadre whose x is estimated
# but not determined (marts.quadrants keeps ``unidentified`` in quadrant_code for both).
QUADRANT_GROUP = "CASE WHEN x_status = 'uncertain' THEN 'uncertain' ELSE quadrant_code END"


def card_counts(full: _Full) -> pd.DataFrame:
    columns = [c for c, _ in SCHEMAS["card_counts"]]
    if not full.has("marts.task_status"):
        return pd.DataFrame(columns=columns)
    frame = full.q("""
        WITH periods AS (SELECT DISTINCT period FROM marts.task_status WHERE card IS NOT NULL),
        cards AS (SELECT unnest($cards) AS card, generate_subscripts($cards, 1) AS card_seq),
        counts AS (
            SELECT period, card, count(*) AS n_tasks, count(DISTINCT lead_cadre_id) AS n_people
            FROM marts.task_status WHERE card IS NOT NULL GROUP BY period, card
        )
        SELECT p.period, c.card, c.card_seq, coalesce(n.n_tasks, 0) AS n_tasks,
               coalesce(n.n_people, 0) AS n_people
        FROM periods AS p CROSS JOIN cards AS c
        LEFT JOIN counts AS n ON n.period = p.period AND n.card = c.card
        ORDER BY p.period, c.card_seq
    """, {"cards": list(CARDS)})
    return frame.assign(suppressed=False)[columns]  # suppressed by protect_public


def flag_counts(full: _Full) -> pd.DataFrame:
    """Live flags by severity, rule and level. Group size = distinct cadres, tasks or units the
    flags concern (conservative: units are not people, but a unit-level cell is small too)."""
    columns = [c for c, _ in SCHEMAS["flag_counts"]]
    if not full.has("marts.anomalies"):
        return pd.DataFrame(columns=columns)
    cols = full.columns("marts.anomalies")
    need = {"severity", "rule", "level"}
    if not need <= cols:
        return pd.DataFrame(columns=columns)
    flags = full.q("SELECT * FROM marts.anomalies")
    flags = flags[live_flags(flags)]
    subject = pd.Series([None] * len(flags), index=flags.index, dtype=object)
    for col, prefix in (("unit_id", "u:"), ("task_id", "t:"), ("cadre_id", "c:")):  # most specific wins
        if col in flags:
            has = flags[col].notna() & (flags[col].astype(str) != "")
            subject = subject.mask(has, prefix + flags[col].astype(str))
    flags = flags.assign(_subject=subject)
    level_names = {"task": "任务", "series": "指标", "cadre": "干部", "unit": "单位"}
    parts = []
    for dimension, col, order in (
        ("severity", "severity", list(SEVERITIES)),
        ("rule", "rule", sorted(flags["rule"].dropna().unique())),
        ("level", "level", sorted(flags["level"].dropna().unique())),
    ):
        g = flags.groupby(col).agg(n_flags=("_subject", "size"), n_people=("_subject", "nunique"))
        for seq, category in enumerate(order, start=1):
            n_flags = int(g.loc[category, "n_flags"]) if category in g.index else 0
            n_people = int(g.loc[category, "n_people"]) if category in g.index else 0
            label = level_names.get(category, category) if dimension == "level" else category
            parts.append({"dimension": dimension, "category": label, "seq": seq,
                          "n_flags": n_flags, "n_people": n_people})
    frame = pd.DataFrame(parts, columns=["dimension", "category", "seq", "n_flags", "n_people"])
    return frame.assign(suppressed=False)[columns]  # suppressed by protect_public


def quadrant_counts(full: _Full) -> pd.DataFrame:
    """Cadres per quarter and group (``quadrant_code``: the four quadrants, ``uncertain`` for an
    estimate whose interval crosses the cut, ``unidentified``), in the policy's order, with the
    group's name today (``quadrant``; the wall reads it again from the code at render)."""
    columns = [c for c, _ in SCHEMAS["quadrant_counts"]]
    if not full.has("marts.quadrants"):
        return pd.DataFrame(columns=columns)
    counts = full.q(f"""
        SELECT period, {QUADRANT_GROUP} AS quadrant_code, count(DISTINCT cadre_id) AS n_people
        FROM marts.quadrants WHERE quadrant_code IS NOT NULL GROUP BY ALL
    """)
    if counts.empty:
        return pd.DataFrame(columns=columns)
    names = quadrant_group_names()
    order = list(names) + sorted(set(counts["quadrant_code"]) - set(names))
    grid = pd.MultiIndex.from_product([sorted(counts["period"].unique()), order], names=["period", "quadrant_code"])
    frame = counts.set_index(["period", "quadrant_code"]).reindex(grid, fill_value=0).reset_index()
    frame["seq"] = frame["quadrant_code"].map({q: i for i, q in enumerate(order, start=1)})
    frame["quadrant"] = frame["quadrant_code"].map(lambda c: names.get(c, c))
    return frame.assign(suppressed=False)[columns]  # suppressed by protect_public
