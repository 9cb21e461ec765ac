"""``export NAME``: write a result table (CONTRACT.md §3) as CSV or XLSX.

Cells that a spreadsheet would run as a formula are escaped; numbers stay numbers.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from pipelines import db
from pipelines.report import InputError
from pipelines.home import Home

# Result name -> relation in the warehouse. A whitelist: names never reach SQL otherwise.
RESULTS = {
    "contributions": "marts.contributions",
    "platform_effects": "marts.platform_effects",
    "quadrants": "marts.quadrants",
    "anomalies": "marts.anomalies",
    "task_status": "marts.task_status",
    "cadre_scores": "marts.cadre_scores",
    "unit_scores": "marts.unit_scores",
    "inspection_targets": "marts.inspection_targets",
}
# Leading characters that make Excel/LibreOffice evaluate a cell, full-width forms included.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def escape_cell(value):
    """Text that could start a formula gets a leading apostrophe, and control characters that a
    worksheet cannot hold are dropped; other values pass unchanged."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(escape_cell)
    return out


def write_table(frame: pd.DataFrame, out: Path, sheet: str = "data") -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    frame = safe_frame(frame)
    if out.suffix.lower() == ".xlsx":
        frame.to_excel(out, index=False, sheet_name=sheet[:31], engine="openpyxl")
    elif out.suffix.lower() == ".csv":
        for col in frame.columns:
            if pd.api.types.is_bool_dtype(frame[col]):
                frame[col] = frame[col].map({True: "true", False: "false"})
        frame.to_csv(out, index=False, encoding="utf-8", lineterminator="\r\n")  # RFC 4180: CR and LF in a cell get quoted
    else:
        raise InputError(f"只支持导出为 .csv 或 .xlsx: {out.name}")
    return out


def result_frame(home: Home, name: str) -> pd.DataFrame:
    if name not in RESULTS:
        raise InputError(f"未知的结果表 {name}(可选: {', '.join(RESULTS)})")
    current = home.current()
    if current is None:
        raise InputError("尚无已发布的数据")
    schema, table = RESULTS[name].split(".")
    exists = db.query(current["path"],
                      "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = $s AND table_name = $t",
                      {"s": schema, "t": table})["n"].iloc[0]
    if not exists:
        raise InputError(f"当前版本 {current['version']} 中还没有结果表 {name}")
    return db.query(current["path"], f"SELECT * FROM {RESULTS[name]}")


def export(home: Home, name: str, out: Path) -> int:
    frame = result_frame(home, name)
    write_table(frame, out, sheet=name)
    return len(frame)
