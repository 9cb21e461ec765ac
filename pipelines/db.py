"""The one module that opens DuckDB.

Writers: only the build, on a brand-new version file. Readers: the app and the CLI, read-only,
with external access off and configuration locked. DuckDB caches database instances per path
inside a process, so readers are cached per *version file*, never per "current" path; each
query takes its own cursor because one connection object must not be shared across threads.
"""
from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import pandas as pd

READER_CONFIG = {
    "enable_external_access": False,
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "lock_configuration": True,
}

_readers: dict[str, duckdb.DuckDBPyConnection] = {}
_readers_lock = threading.Lock()


def connect_writer(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-write connection for building a new version file (the build owns it alone)."""
    return duckdb.connect(str(path), config={"autoinstall_known_extensions": False,
                                             "autoload_known_extensions": False})


def reader(path: Path) -> duckdb.DuckDBPyConnection:
    """The cached read-only connection to one version file."""
    key = str(Path(path).resolve())
    with _readers_lock:
        con = _readers.get(key)
        if con is None:
            con = duckdb.connect(key, read_only=True, config=READER_CONFIG)
            _readers[key] = con
        return con


def query(path: Path, sql: str, params: dict | list | None = None) -> pd.DataFrame:
    """Run one bound query on a version file and return a DataFrame."""
    cur = reader(path).cursor()
    try:
        return cur.execute(sql, params or {}).df()
    finally:
        cur.close()


def close_reader(path: Path) -> None:
    """Drop a cached reader (pruned or rolled-away versions, tests)."""
    key = str(Path(path).resolve())
    with _readers_lock:
        con = _readers.pop(key, None)
    if con is not None:
        con.close()


def close_all() -> None:
    with _readers_lock:
        items = list(_readers.values())
        _readers.clear()
    for con in items:
        con.close()
