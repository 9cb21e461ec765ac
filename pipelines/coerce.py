"""Turn a raw string table into a typed DataFrame, reporting every cell that cannot be parsed.

The typed frame keeps two provenance columns, ``_source`` and ``_row``, so later checks can name
the file and row the user sees.
"""
from __future__ import annotations

from collections import Counter

import pandas as pd

from pipelines import normalize as nz
from pipelines.contract import Column, Table
from pipelines.readers import RawTable
from pipelines.report import Issue

PARSE_RULES = {
    "number": "非数值",
    "pct": "非数值",
    "share": "非数值",
    "int": "非整数",
    "period": "期间格式",
    "date": "日期格式",
    "bool": "是否格式",
    "score": "评分格式",
}
# Columns stored in 万元: money suffixes (元/亿元) are converted, other units refused.
MONEY_COLUMNS = {("projects", "agreed_investment")} | {
    ("enterprise_years", c) for c in ("tax", "value_added", "rd_expense", "revenue")
}


def coerce(raw: RawTable) -> tuple[pd.DataFrame, list[Issue]]:
    table = raw.table
    issues: list[Issue] = []
    data: dict[str, list] = {}
    suffixes: dict[str, list[str]] = {}
    for j, name in enumerate(raw.columns):
        col = table.column(name)
        values, sufs, written = [], [], []
        money = (table.name, name) in MONEY_COLUMNS
        parsed: dict[str, tuple] = {}  # cells repeat a lot (ids, periods, grades): parse each text once
        for row, rownum in zip(raw.rows, raw.row_numbers):
            cell = row[j]
            hit = parsed.get(cell)
            if hit is None:
                hit = parsed[cell] = _parse_cell(col, cell, money)
            value, suffix, as_written, error = hit
            if error is not None:
                rule, text, message = error
                issues.append(Issue(raw.source, rownum, name, rule, text, message))
            values.append(value)
            sufs.append(suffix)
            written.append(as_written)
        data[name] = values
        suffixes[name] = sufs
        issues += _mixed_units(raw, name, written)
    for col in table.columns:
        if col.name not in data:
            data[col.name] = [None] * len(raw.rows)
    frame = pd.DataFrame({c: _series(table.column(c), data[c]) for c in table.column_names})
    if "value" in suffixes and table.name == "indicator_values":
        frame["_suffix"] = suffixes["value"]
    frame["_source"] = raw.source
    frame["_row"] = pd.array(raw.row_numbers, dtype="Int64")
    return frame, issues


def _parse_cell(col: Column, cell: str, money: bool):
    """(value, suffix, unit as written, error or None) for one raw cell."""
    if col.kind == "text":
        # What a person wrote comes back byte for byte: no normalising, no trimming, and words
        # like "null" or "-" are text. Only an empty or all-blank cell is missing.
        return (cell if cell.strip() else None), "", "", None
    text = nz.clean(cell)
    if nz.is_blank(text):
        return None, "", "", None
    try:
        value, suffix = _parse(col, text)
    except ValueError as e:
        return None, "", "", (PARSE_RULES.get(col.kind, "格式错误"), text, str(e))
    # The unit as written (a bare amount in a money column means 万元): checked for
    # mixing before 元/亿元 are converted, so "500万元" next to "1.2亿元" is refused.
    as_written = suffix or ("万元" if money else "")
    if money and suffix:
        if suffix not in nz.MONEY_FACTORS:
            return value, suffix, as_written, ("单位不符", text, "金额应以万元(或元/亿元)填写")
        value, suffix = value * nz.MONEY_FACTORS[suffix], "万元"
    return value, suffix, as_written, None


# Column kind -> parser returning (value, unit suffix as written); only numbers keep a suffix.
PARSERS = {
    "str": lambda text, col: (text, ""),
    "number": lambda text, col: nz.parse_number(text),
    "pct": lambda text, col: (nz.parse_pct(text), ""),
    "share": lambda text, col: (nz.parse_share(text), ""),
    "int": lambda text, col: (nz.parse_int(text), ""),
    "period": lambda text, col: (nz.parse_period(text), ""),
    "date": lambda text, col: (nz.parse_date(text, month_end=col.month_end), ""),
    "bool": lambda text, col: (nz.parse_bool(text), ""),
    "list": lambda text, col: (nz.parse_list(text), ""),
    "score": lambda text, col: (nz.parse_score(text), ""),
}


def _parse(col: Column, text: str):
    return PARSERS[col.kind](text, col)


def _mixed_units(raw: RawTable, name: str, sufs: list[str]) -> list[Issue]:
    """Two different explicit units in one column (e.g. 万元 and 亿元 rows mixed) are an error."""
    counts = Counter(s for s in sufs if s)
    if len(counts) < 2 or raw.table.name == "indicator_values":
        return []  # indicator values carry each indicator's own unit; checked per indicator later
    majority = counts.most_common(1)[0][0]
    return [
        Issue(raw.source, rownum, name, "单位混用", s, f"同一列中混用了不同单位(多数行为「{majority}」)")
        for s, rownum in zip(sufs, raw.row_numbers)
        if s and s != majority
    ]


def _series(col: Column, values: list) -> pd.Series:
    kind = col.kind
    if kind in ("number", "pct", "share"):
        return pd.Series([float("nan") if v is None else v for v in values], dtype="float64")
    if kind == "int":
        return pd.Series(values, dtype="Int64")
    if kind == "bool":
        return pd.Series(values, dtype="boolean")
    if kind == "date":
        return pd.to_datetime(pd.Series(values, dtype="object"), errors="coerce").astype("datetime64[s]")
    return pd.Series(values, dtype="object").astype("string")


def empty_frame(table: Table) -> pd.DataFrame:
    """A zero-row typed frame for a table no batch has delivered yet."""
    frame = pd.DataFrame({c.name: _series(c, []) for c in table.columns})
    frame["_source"] = pd.Series([], dtype="string")
    frame["_row"] = pd.Series([], dtype="Int64")
    return frame
