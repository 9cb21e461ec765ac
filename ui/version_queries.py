"""Catalogue queries of the current data version: which relations and columns it has and the
month its data run up to. No unit data: every statement reads the catalogue or ``meta``."""
from __future__ import annotations

from ui.queries import Scope, run


def table_exists(scope: Scope, schema: str, name: str) -> bool:
    """Whether a relation exists in the current version (catalogue only: no unit data)."""
    frame = run(scope, """
        SELECT count(*) AS n FROM information_schema.tables
        WHERE table_schema = $schema AND table_name = $name
    """, {"schema": schema, "name": name}, unit_column=None)
    return bool(len(frame)) and int(frame["n"].iloc[0]) > 0


def has_column(scope: Scope, schema: str, table: str, column: str) -> bool:
    """Whether a relation of the current version has a column: versions built before a column
    was added (check_id since issue 13, the quadrant evidence since issue 12) still open."""
    frame = run(scope, """
        SELECT count(*) AS n FROM information_schema.columns
        WHERE table_schema = $schema AND table_name = $table AND column_name = $column
    """, {"schema": schema, "table": table, "column": column}, unit_column=None)
    return bool(len(frame)) and int(frame["n"].iloc[0]) > 0


def column_or_null(scope: Scope, schema: str, table: str, column: str, alias: str, sql_type: str = "VARCHAR") -> str:
    """``alias.column`` when the version has it, else a typed NULL under the same name."""
    if has_column(scope, schema, table, column):
        return f"{alias}.{column}"
    return f"NULL::{sql_type} AS {column}"


def as_of(scope: Scope) -> str | None:
    """The 'YYYY-MM' the current version's data run up to."""
    frame = run(scope, "SELECT value FROM meta.info WHERE key = 'as_of'", unit_column=None)
    return None if frame.empty else str(frame["value"].iloc[0])
