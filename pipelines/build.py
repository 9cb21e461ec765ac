"""Build a new warehouse version: raw tables from the merged state, then staging views and marts
from ``pipelines/sql``, then the analytics steps, then CHECKPOINT, close, fsync, rename.

A version file is complete or it does not exist under its final name: it is built as
``vNNNNNN.duckdb.building`` and renamed only after DuckDB has checkpointed and closed it.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
from graphlib import TopologicalSorter
from pathlib import Path

import pandas as pd

from models.period import SQL_MACROS, Period
from pipelines import db
from pipelines.coerce import empty_frame
from pipelines.contract import TABLE_ORDER, TABLES
from pipelines.home import Home, fsync_dir, fsync_file
from pipelines.progress import SILENT, Progress

SQL_DIR = Path(__file__).with_name("sql")
DUCK_TYPES = {
    "str": "VARCHAR", "text": "VARCHAR", "list": "VARCHAR", "period": "VARCHAR", "score": "VARCHAR",
    "int": "BIGINT", "number": "DOUBLE", "pct": "DOUBLE", "share": "DOUBLE",
    "date": "DATE", "bool": "BOOLEAN",
}
PROVENANCE = ("_source", "_row", "_batch")
# 3: staging.units.level, anomalies.rank_score/age_months, cadre_scores.basis; 4: cadre_scores 优秀名额 columns;
# 5: contributions.df_resid, one pooled "task" model (was one per "task:<类别>"), task_status.title;
# 6: contributions.weight_identified/cause/cause_indicator, quadrants' reasons, marts.attribution_indicators,
# cadre_scores.performance_continuous/task_lead (y's tie-break)
# 7: raw.checks (核验记录) and marts.checks; anomalies.check_id/check_result; inspection_targets.target_type/
# flag_ids/status; task_status and unit_scores read check figures
# 8: raw/staging.unit_boundaries (units.geojson); meta.app_checks and meta.info state_*; public
# unit_boundaries and unit_ranking.unit_id
# 9: marts.quadrants stores quadrant_code (names at render), marts.quadrant_points, marts.task_roles
# 10: marts.attribution_records (a home built at 9 during the change lacks it); task_roles.role lead/co
# 11: marts.task_latest (each task's latest month and card counts, read by the profile pages)
SCHEMA_VERSION = 11
FEEDBACK_TABLES = ("checks", "unit_boundaries")  # optional: listed once delivered


# --- state ---------------------------------------------------------------------------------

def load_state(version_path: Path | None) -> dict[str, pd.DataFrame]:
    """Raw tables of a published version as typed frames (empty frames when there is none)."""
    state = {}
    for name in TABLE_ORDER:
        frame = None
        if version_path is not None and _has_raw(version_path, name):
            frame = db.query(version_path, f"SELECT * FROM raw.{name}")  # name from the contract whitelist
        state[name] = _retype(name, frame) if frame is not None else _with_batch(empty_frame(TABLES[name]))
        state[name]["_new"] = False
    return state


def _has_raw(version_path: Path, name: str) -> bool:
    """A version built before a table joined the contract (checks, schema 7) has no raw table."""
    return bool(db.query(version_path, "SELECT count(*) AS n FROM information_schema.tables "
                         "WHERE table_schema = 'raw' AND table_name = $t", {"t": name})["n"].iloc[0])


def _with_batch(frame: pd.DataFrame) -> pd.DataFrame:
    frame["_batch"] = pd.Series([], dtype="Int64") if frame.empty else pd.NA
    return frame


def _retype(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    template = empty_frame(TABLES[name])
    for col in template.columns:
        if col not in frame:
            frame[col] = pd.NA
        frame[col] = frame[col].astype(template[col].dtype)
    frame["_batch"] = frame["_batch"].astype("Int64")
    return frame


def upsert(state: dict[str, pd.DataFrame], batch: dict[str, pd.DataFrame], batch_seq: int) -> dict[str, pd.DataFrame]:
    """Batch rows add to or replace published rows by the table's key; other tables stay."""
    merged = {}
    for name, old in state.items():
        new = batch.get(name)
        if new is None or new.empty:
            merged[name] = old.assign(_new=False)
            continue
        key = list(TABLES[name].key)
        new = new.copy()
        new["_batch"] = pd.array([batch_seq] * len(new), dtype="Int64")
        new["_new"] = True
        if old.empty:
            merged[name] = new.reset_index(drop=True)
            continue
        old_keys = pd.MultiIndex.from_frame(old[key].astype("string"))
        new_keys = pd.MultiIndex.from_frame(new[key].astype("string"))
        kept = old[~old_keys.isin(new_keys)].assign(_new=False)
        merged[name] = pd.concat([kept, new], ignore_index=True)
    return merged


# --- SQL -----------------------------------------------------------------------------------

def sql_relations() -> list[tuple[str, str, Path]]:
    """(schema, name, file) for every SQL relation, in dependency order."""
    files = {}
    for schema in ("staging", "marts"):
        for p in sorted((SQL_DIR / schema).glob("*.sql")):
            files[f"{schema}.{p.stem}"] = p
    graph = {}
    for rel, p in files.items():
        text = p.read_text(encoding="utf-8")
        graph[rel] = {d for d in re.findall(r"\b((?:staging|marts)\.\w+)", text) if d in files and d != rel}
    order = TopologicalSorter(graph).static_order()
    return [(rel.split(".")[0], rel.split(".")[1], files[rel]) for rel in order]


def run_sql(con, skip_marts: bool = False) -> None:
    con.execute(SQL_MACROS)  # the SQL decodes periods as models.period does; stored in the file
    for schema, name, path in sql_relations():
        if skip_marts and schema == "marts":
            continue
        body = path.read_text(encoding="utf-8").strip().rstrip(";")
        kind = "VIEW" if schema == "staging" else "TABLE"
        con.execute(f"CREATE OR REPLACE {kind} {schema}.{name} AS\n{body}")


# --- version ---------------------------------------------------------------------------------

def dictionary_frame(dictionary: dict) -> pd.DataFrame:
    rows = []
    for code, d in dictionary.items():
        rows.append({
            "indicator": code, "name": d.get("name"), "unit": d.get("unit"),
            "direction": int(d.get("direction", 1)), "frequency": d.get("frequency"),
            "cumulative": bool(d.get("cumulative", False)), "kind": d.get("kind") or "other",
            "unit_types": ";".join(d.get("unit_types") or []), "core": bool(d.get("core", False)),
            "valid_min": d.get("valid_min"), "valid_max": d.get("valid_max"),
        })
    return pd.DataFrame(rows)


def write_version(home: Home, version: str, state: dict[str, pd.DataFrame], manifest: dict,
                  dictionary: dict, steps=(), progress: Progress = SILENT) -> Path:
    """Build ``version`` from ``state`` under its ``.building`` name (checkpointed, closed and
    fsynced) and return that path; ``finalize_version`` gives it its final name once the public
    file exists. Raises on any failure."""
    building = home.building_path(version)
    building.unlink(missing_ok=True)
    progress.stage("构建")
    con = db.connect_writer(building)
    try:
        for schema in ("raw", "staging", "marts", "meta"):
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for name in TABLE_ORDER:
            _write_raw(con, name, state[name])
        con.register("dictionary_df", dictionary_frame(dictionary))
        con.execute("CREATE TABLE raw.indicator_dictionary AS SELECT * FROM dictionary_df")
        con.unregister("dictionary_df")
        _write_meta(con, version, manifest, state)
        run_sql(con)
        for step in steps:
            progress.step(step)
            step(con)
        _check_counts(con, state)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    wal = building.with_name(building.name + ".wal")
    if wal.exists():
        raise RuntimeError("DuckDB left a WAL after CHECKPOINT; refusing to publish")
    fsync_file(building)
    return building


def finalize_version(home: Home, version: str) -> Path:
    """Rename a finished ``.building`` file to its final name: only now is it listed and reachable
    by rollback."""
    final = home.version_path(version)
    os.replace(home.building_path(version), final)
    fsync_dir(final.parent)
    return final


def _write_raw(con, name: str, frame: pd.DataFrame) -> None:
    table = TABLES[name]
    cols = [f'CAST("{c.name}" AS {DUCK_TYPES[c.kind]}) AS "{c.name}"' for c in table.columns]
    cols += ['CAST("_source" AS VARCHAR) AS "_source"', 'CAST("_row" AS BIGINT) AS "_row"',
             'CAST("_batch" AS BIGINT) AS "_batch"']
    out = frame[[*table.column_names, *PROVENANCE]].copy()
    for c in table.columns:
        if c.kind == "date":
            out[c.name] = out[c.name].astype("datetime64[s]")
    con.register("frame_df", out)
    con.execute(f"CREATE TABLE raw.{name} AS SELECT {', '.join(cols)} FROM frame_df")
    con.unregister("frame_df")


def _write_meta(con, version: str, manifest: dict, state) -> None:
    as_of = _as_of(state)
    info = {
        "version": version,
        "built_at": dt.datetime.now().isoformat(timespec="seconds"),
        "as_of": as_of,
        "schema_version": str(SCHEMA_VERSION),
    }
    con.execute("CREATE TABLE meta.info (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.executemany("INSERT INTO meta.info VALUES (?, ?)", list(info.items()))
    con.execute("""CREATE TABLE meta.batches (batch_seq BIGINT, accepted_at VARCHAR, source VARCHAR,
                   files VARCHAR, kind VARCHAR, demo BOOLEAN, replace_tables VARCHAR)""")
    con.executemany("INSERT INTO meta.batches VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(b["seq"], b["accepted_at"], b["source"], json.dumps(b["files"], ensure_ascii=False),
                      b.get("kind", "folder"), bool(b.get("demo", False)), ",".join(b.get("replace", ())))
                     for b in manifest["batches"]])


def _as_of(state) -> str:
    """'YYYY-MM': the last month any indicator value or progress report covers (a quarter or a
    year counts to its last month); failing those, the last rating period; '' with none."""
    for tables in (("indicator_values", "task_progress"), ("ratings",)):
        periods = pd.concat([state[t]["period"] for t in tables]).dropna().astype(str).unique()
        if len(periods):
            return max(Period.parse(p) for p in periods).last_month.code
    return ""


def _check_counts(con, state) -> None:
    """A failed statement can roll back silently: make sure every row arrived."""
    for name in TABLE_ORDER:
        got = con.execute(f"SELECT count(*) FROM raw.{name}").fetchone()[0]
        if got != len(state[name]):
            raise RuntimeError(f"raw.{name}: expected {len(state[name])} rows, found {got}")


def read_manifest(version_path: Path | None) -> dict:
    if version_path is None:
        return {"batches": []}
    frame = db.query(version_path, "SELECT * FROM meta.batches ORDER BY batch_seq")
    return {"batches": [
        {"seq": int(r.batch_seq), "accepted_at": r.accepted_at, "source": r.source, "files": json.loads(r.files),
         "kind": getattr(r, "kind", "folder"), "demo": bool(getattr(r, "demo", False)),
         "replace": [t for t in str(getattr(r, "replace_tables", "") or "").split(",") if t]}
        for r in frame.itertuples()
    ]}


def is_demo(version_path: Path) -> bool:
    """True when every batch of the version is the generated demo (no real data at all)."""
    batches = read_manifest(version_path)["batches"]
    return bool(batches) and all(b["demo"] for b in batches)


def built_by_older_code(version_path: Path) -> bool:
    """True when the version's tables predate this code's schema: pages need a rebuild first."""
    return int(read_info(version_path).get("schema_version", "0") or 0) < SCHEMA_VERSION


def read_info(version_path: Path) -> dict:
    frame = db.query(version_path, "SELECT key, value FROM meta.info")
    return dict(zip(frame["key"], frame["value"]))


def row_counts(version_path: Path) -> dict[str, int]:
    counts = {}
    for name in TABLE_ORDER:
        n = int(db.query(version_path, f"SELECT count(*) AS n FROM raw.{name}")["n"].iloc[0]) \
            if _has_raw(version_path, name) else 0
        # 核验记录 (feedback on the data) and boundaries (for maps only): listed once delivered
        if n or name not in FEEDBACK_TABLES:
            counts[name] = n
    return counts
