"""Read-side query layer for pages: every SQL statement the app runs lives here.

Rules (ARCHITECTURE.md §2):
- every query function takes the caller's :class:`Scope` and filters to its allowed units in
  the query itself (rows outside the scope never leave DuckDB);
- persons follow one rule (:mod:`pipelines.scope`): a person is seen in full only when their
  current (or last) unit is allowed; one who merely served in an allowed unit appears only in
  that unit's post history. Person-returning queries filter with ``person_column`` or mask with
  :func:`seen_in_full` in their SQL;
- values are bound as DuckDB parameters (``$name``), never formatted into SQL; identifiers such
  as sort columns come from whitelists;
- results are cached per (version file, scope, query, parameters): Streamlit caches are shared
  by all users, so the scope is always part of the key.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from pipelines import db
from pipelines.home import Home
from pipelines.scope import HOME_POSTS, scope_params, sees_in_full, seen_in_full  # noqa: F401

ROLES = ("screen", "analyst", "inspector", "admin")


@dataclass(frozen=True)
class Scope:
    """Who is asking: role and the units they may see (None = every unit)."""

    role: str = "analyst"
    units: frozenset[str] | None = None
    identity: str = "demo"

    def __post_init__(self):
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role}")

    @property
    def key(self) -> tuple:
        return (self.identity, self.role, None if self.units is None else tuple(sorted(self.units)))


def current_version_path(home: Home | None = None) -> Path | None:
    return (home or Home()).current_path()


@st.cache_data(show_spinner=False, ttl=3600, max_entries=512)
def _cached(version_file: str, scope_key: tuple, sql: str, params: tuple) -> pd.DataFrame:
    return db.query(Path(version_file), sql, {k: list(v) if isinstance(v, tuple) else v for k, v in params})


def run(scope: Scope, sql: str, params: dict | None = None, unit_column: str | None = "unit_id",
        version_file: Path | None = None, person_column: str | None = None) -> pd.DataFrame:
    """Run ``sql`` restricted to the scope's units (through ``unit_column`` of its result) and
    to the persons it sees in full (through ``person_column``).

    ``sql`` is a constant of the query modules; only ``params`` vary, and they are bound.
    ``unit_column=None`` is only for relations that hold no unit data or are about persons
    (then ``person_column`` is set). A statement using :func:`seen_in_full` gets its bindings.
    """
    version_file = version_file or current_version_path()
    if version_file is None:
        return pd.DataFrame()
    params = dict(params or {})
    if scope.units is not None and unit_column is not None:
        sql = f"SELECT * FROM ({sql}) AS scoped WHERE scoped.{unit_column} IN (SELECT unnest($allowed_units))"
        params["allowed_units"] = sorted(scope.units)
    if scope.units is not None and person_column is not None:
        sql = f"SELECT * FROM ({sql}) AS persons WHERE {seen_in_full('persons.' + person_column)}"
    if "$scope_units" in sql:
        params.update(scope_params(scope.units))
    frozen = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items()))
    frame = _cached(str(version_file), scope.key, sql, frozen)
    return frame.copy()


# --- queries -------------------------------------------------------------------------------

def sees(scope: Scope, home_unit) -> bool:
    """Whether ``scope`` sees in full a person whose current (or last) unit is ``home_unit``."""
    return sees_in_full(scope.units, home_unit)


def units(scope: Scope) -> pd.DataFrame:
    return run(scope, "SELECT unit_id, name, unit_type, is_town_level FROM staging.units ORDER BY unit_id")
