"""Match a table's header rows to the contract's columns and assemble the rows under them.

Shared by the CSV and XLSX readers: a one- or two-row header, column names or any of their
Chinese aliases (brackets, spaces and asterisks ignored), unknown columns noted and dropped."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pipelines.contract import Table
from pipelines.normalize import clean
from pipelines.report import Issue

@dataclass
class RawTable:
    """One table as read from a file or sheet: canonical column names, string cells."""

    table: Table
    source: str  # file name, or "file.xlsx:sheet"
    columns: list[str]
    rows: list[list[str]]
    row_numbers: list[int]  # as the user sees them in Excel or a text editor
    path: Path | None = None



HEADER_SEARCH_ROWS = 6  # the header starts in one of the first rows (title rows may sit above)


def find_header(cells: list[list[str]], table: Table) -> tuple[int | None, int]:
    """The header is the first of the top rows whose cells match the contract, one or two rows deep."""
    best = (None, 1, 0)
    for start in range(min(HEADER_SEARCH_ROWS, len(cells))):
        for depth in (1, 2):
            if start + depth > len(cells):
                continue
            names = _header_names(cells[start:start + depth], table)
            score = len({n for n in names if n})
            if score > best[2] or (score == best[2] and score and depth == 1 and best[0] == start):
                best = (start, depth, score)
    start, depth, score = best
    required = sum(c.required for c in table.columns)
    return (start, depth) if score >= max(2, min(required, 2)) else (None, 1)


_PAREN = re.compile(r"[(\[（【].*?[)\]）】]")


def header_key(h: str) -> str:
    return _PAREN.sub("", clean(h)).replace(" ", "").replace("*", "").lower()


def alias_index(table: Table) -> dict[str, str]:
    index = {}
    for col in table.columns:
        for a in (col.name, *col.aliases):
            index.setdefault(header_key(a), col.name)
    return index


def _header_names(header_rows: list[list[str]], table: Table) -> list[str | None]:
    """Map each column of a one- or two-row header to a canonical name (or None)."""
    index = alias_index(table)
    width = max(len(r) for r in header_rows)
    names = []
    for j in range(width):
        parts = [r[j] if j < len(r) else "" for r in header_rows]
        candidates = [parts[-1], "".join(dict.fromkeys(parts)), parts[0]]
        name = None
        for cand in candidates:
            key = header_key(cand)
            if key in index:
                name = index[key]
                break
        names.append(name)
    return names


def assemble(f: Path, source: str, table: Table, header_rows, body, numbers):
    names = _header_names(header_rows, table)
    shown = [" ".join(dict.fromkeys(p for p in (r[j] if j < len(r) else "" for r in header_rows) if p))
             for j in range(len(names))]
    issues, notices = [], []
    seen: dict[str, int] = {}
    for j, n in enumerate(names):
        if n is None:
            if shown[j]:
                notices.append(f"{source}: 列「{shown[j]}」不在数据约定中,已忽略")
            continue
        if n in seen:
            issues.append(Issue(source, None, shown[j], "重复列", shown[j],
                                f"列 {n} 出现两次(第 {seen[n] + 1} 列和第 {j + 1} 列)"))
        else:
            seen[n] = j
    if len(header_rows) > 1 and not seen:
        issues.append(Issue(source, 1, None, "表头无法识别", " | ".join(shown)[:80], "合并表头与任何模板都不匹配"))
    for col in table.columns:
        if col.required and col.name not in seen:
            issues.append(Issue(source, None, col.name, "缺少必填列", "",
                                f"缺少必填列 {col.name}({' / '.join(col.aliases)})"))
    if not body:
        issues.append(Issue(source, None, None, "无数据行", "", "只有表头,没有数据行"))
    if issues:
        return [], issues, notices
    cols = list(seen)
    idx = [seen[c] for c in cols]
    rows = [[(r[j] if j < len(r) else "") for j in idx] for r in body]
    keep = [i for i, r in enumerate(rows) if any(clean(c) for c in r)]
    return [RawTable(table, source, cols, [rows[i] for i in keep], [numbers[i] for i in keep], f)], [], notices
