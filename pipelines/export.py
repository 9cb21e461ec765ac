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
    "checks": "marts.checks",
}
# Contract columns (CONTRACT.md §3) shown first; every other column of the mart follows.
LEADING = {
    "quadrants": ["cadre_id", "period", "x", "y", "quadrant"],
    "inspection_targets": ["target_type", "unit_id", "cadre_id", "score", "reasons", "flag_ids", "status"],
}
# Leading characters that make Excel/LibreOffice evaluate a cell, full-width forms included.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
# A text that already starts with an apostrophe gets one too, so the escape is reversible:
# removing one leading apostrophe from any escaped text gives back exactly what was delivered.
ESCAPED_PREFIXES = (*FORMULA_PREFIXES, "'")


def escape_cell(value, worksheet: bool = False):
    """Text that could start a formula (or starts with an apostrophe) gets a leading apostrophe;
    for a worksheet, control characters that a worksheet cannot hold are dropped too. Other
    values pass unchanged."""
    if not isinstance(value, str):
        return value
    if worksheet:
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + value if value.startswith(ESCAPED_PREFIXES) else value


def unescape_cell(value: str) -> str:
    """The delivered text of an exported text cell (the inverse of :func:`escape_cell`)."""
    return value[1:] if value.startswith("'") else value


def safe_frame(frame: pd.DataFrame, worksheet: bool = False) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: escape_cell(v, worksheet))
    return out


def write_table(frame: pd.DataFrame, out: Path, sheet: str = "data") -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    frame = safe_frame(frame, worksheet=out.suffix.lower() == ".xlsx")
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
    return present(name, db.query(current["path"], f"SELECT * FROM {RESULTS[name]}"))


def present(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Contract wording of a mart: a quadrant's ``quadrant`` is the name quadrants.yaml gives its
    code now (不可判定 unless x is determined); an unmarked flag is 未核查, and a check's
    进度不实/成效不实 (a confirmed finding, 属实 inside the build) is shown as found."""
    out = frame.copy()
    if name == "quadrants" and "quadrant_code" in out:
        from models.labels import quadrant_label

        out["quadrant"] = quadrant_label(out["quadrant_code"])
    if name == "anomalies" and "status" in out:
        status = out["status"].astype(object).where(out["status"].notna(), "未核查")
        if "check_result" in out:
            finer = out["check_result"].isin(["进度不实", "成效不实"]) & (status == "属实")
            status = status.where(~finer, out["check_result"])
        out["status"] = status
    lead = [c for c in LEADING.get(name, []) if c in out]
    return out[lead + [c for c in out.columns if c not in lead]]


def export(home: Home, name: str, out: Path) -> int:
    frame = result_frame(home, name)
    write_table(frame, out, sheet=name)
    return len(frame)
