"""The public file: aggregates only, for the city-brain big screen (ARCHITECTURE.md §1, §4).

``build_public(full_version, public_path)`` reads a finished full version read-only and writes a
NEW DuckDB file next to it (``vNNNNNN.public.duckdb``) holding only county-level aggregates and
unit (organisation) rankings:

=========================  ==========================================================================
``public.meta``            key/value: version, as_of, built_at, min_group, schema_version
``public.indicator_board`` the core indicators, county level: value, annual target, completion, 时序进度
``public.unit_ranking``    unit rankings (综合得分 and per indicator) with the previous rank and a band
``public.card_counts``     亮牌 counts per month and card colour
``public.flag_counts``     需核查 flags by severity / rule / level (empty until marts.anomalies exists)
``public.quadrant_counts`` cadres per 实绩象限 per quarter (counts only, never who), by code
``public.trends``          county series per month: 按期推进率, indicator completion, 时序进度
=========================  ==========================================================================

Figures are the assessed ones the cards and scores use: cards and 按期推进率 from
``marts.task_status``, rankings from ``marts.unit_scores``, indicator values with a 核验记录's
figure (``marts.check_figures``) over the verified value over the reported one.

Privacy rules, checked by tests/test_public.py:

* no person identifiers, names, ratings, comments or personal scores: units are organisations and
  their economic indicators are not personal data; everything about people is a count;
* every row computed from people carries ``n_people`` (the size of the group it describes); a
  group of 1..4 people is suppressed: its figures and ``n_people`` are NULL and ``suppressed`` is
  true. Zero stays zero (there is no one to protect);
* complementary suppression (pipelines/suppression.py): a hidden count must not come back by
  subtraction from a total an outsider knows or reads off another breakdown, nor from the
  按期推进率, so more cells (the next smallest) or the rate of that month are hidden with it.

The tables are computed in :mod:`pipelines.public_tables` (board, rankings, trends, boundaries)
and :mod:`pipelines.public_counts` (the counts about people); this module protects and writes them.

The file is built as ``<public_path>.building`` and renamed only after CHECKPOINT and close, so a
crash never leaves a half public file under its final name (``Home.clean_partial`` removes the
leftover).
"""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pandas as pd

from pipelines import db
from pipelines.home import fsync_dir, fsync_file
# The tables' builders and constants, re-exported: callers and tests read them under this name.
from pipelines.public_counts import QUADRANT_GROUP, card_counts, flag_counts, quadrant_counts  # noqa: F401
from pipelines.public_tables import (CARDS, PERSON_TABLES, SCHEMAS, SEVERITIES, TIER_OF_BAND,  # noqa: F401
                                     TREND_MONTHS, _Full, _info, indicator_board, trends, undelivered_core,
                                     unit_boundaries, unit_ranking)
from pipelines.suppression import MIN_GROUP, protect_public, suppress_small  # noqa: F401 (re-exported)

# 2: quadrant_counts.quadrant_code (the wall names the groups from the code at render)
SCHEMA_VERSION = "2"


def public_tables(full_version: Path) -> dict[str, pd.DataFrame]:
    """Every public table as a frame (computed from the full version; nothing written)."""
    full = _Full(full_version)
    info = _info(full)
    as_of = info.get("as_of", "") or ""
    board = indicator_board(full)
    tables = protect_public({
        "indicator_board": board,
        "unit_ranking": unit_ranking(full, as_of),
        "card_counts": card_counts(full),
        "flag_counts": flag_counts(full),
        "quadrant_counts": quadrant_counts(full),
        "trends": trends(full, board, as_of),
    })
    tables["unit_boundaries"] = unit_boundaries(full)
    meta = {
        "version": info.get("version", ""),
        "as_of": as_of,
        "source_built_at": info.get("built_at", ""),
        "built_at": dt.datetime.now().isoformat(timespec="seconds"),
        "min_group": str(MIN_GROUP),
        "schema_version": SCHEMA_VERSION,
        "has_flags": "true" if full.has("marts.anomalies") else "false",
        "undelivered_core": "、".join(undelivered_core(full)),
    }
    tables["meta"] = pd.DataFrame({"key": list(meta), "value": list(meta.values())})
    return tables


def build_public(full_version: Path, public_path: Path) -> None:
    """Write the aggregates-only public file of a finished full version (atomically)."""
    full_version, public_path = Path(full_version), Path(public_path)
    try:
        tables = public_tables(full_version)
    finally:
        db.close_reader(full_version)  # the build process does not keep the version open
    building = public_path.with_name(public_path.name + ".building")
    building.unlink(missing_ok=True)
    building.with_name(building.name + ".wal").unlink(missing_ok=True)
    con = db.connect_writer(building)
    try:
        con.execute("CREATE SCHEMA public")
        for name, schema in SCHEMAS.items():
            _write_table(con, name, schema, tables[name])
        con.execute("CHECKPOINT")
    finally:
        con.close()
    if building.with_name(building.name + ".wal").exists():
        raise RuntimeError("DuckDB left a WAL after CHECKPOINT; refusing to publish the public file")
    fsync_file(building)
    os.replace(building, public_path)
    fsync_dir(public_path.parent)


def _write_table(con, name: str, schema: list[tuple[str, str]], frame: pd.DataFrame) -> None:
    ddl = ", ".join(f'"{c}" {t}' for c, t in schema)
    con.execute(f"CREATE TABLE public.{name} ({ddl})")  # names and types from SCHEMAS only
    if frame is None or frame.empty:
        return
    out = frame.reindex(columns=[c for c, _ in schema]).copy()
    for col, typ in schema:  # plain object columns so pandas NA becomes SQL NULL whatever the dtype
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    con.register("public_df", out)
    try:
        select = ", ".join(f'CAST("{c}" AS {t})' for c, t in schema)
        con.execute(f"INSERT INTO public.{name} SELECT {select} FROM public_df")
    finally:
        con.unregister("public_df")
    got = con.execute(f"SELECT count(*) FROM public.{name}").fetchone()[0]
    if got != len(out):
        raise RuntimeError(f"public.{name}: expected {len(out)} rows, found {got}")
