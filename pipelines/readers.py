"""Decode batch files into raw string tables, refusing unsafe or unreadable content up front.

A batch is a folder of CSV/XLSX files or one workbook whose sheets are tables. Readers know
nothing about column meaning beyond matching headers to the contract; values stay strings.
Every refusal is an :class:`pipelines.report.Issue` naming the file, row and rule.
"""
from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

from pipelines.contract import GEOJSON_TABLES, TABLES, Table, table_for_name
from pipelines.headers import RawTable, alias_index, assemble, header_key
from pipelines.normalize import clean
from pipelines.report import Issue
from pipelines.xlsx import OLE_MAGIC, ZIP_MAGIC, read_xlsx

MAX_FILE_BYTES = 100 * 1024 * 1024
SUPPORTED_SUFFIXES = {".csv", ".xlsx"}


def read_batch(path: Path) -> tuple[list[RawTable], list[Issue], list[str]]:
    """Read a folder or a single file. Returns tables, issues and notices."""
    path = Path(path)
    issues: list[Issue] = []
    notices: list[str] = []
    tables: list[RawTable] = []
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith((".", "~$")))
        if not files:
            issues.append(Issue(path.name, None, None, "空批次", "", "文件夹中没有可导入的文件"))
        for f in files:
            got, errs, notes = _read_file(f, folder_batch=True)
            tables += got
            issues += errs
            notices += notes
    elif path.is_file():
        got, errs, notes = _read_file(path, folder_batch=False)
        tables += got
        issues += errs
        notices += notes
    else:
        issues.append(Issue(str(path), None, None, "文件不存在", "", "找不到该文件或文件夹"))
    seen: dict[str, str] = {}
    for t in tables:
        if t.table.name in seen:
            issues.append(Issue(t.source, None, None, "重复表", t.table.name,
                                f"表 {t.table.name} 在本批次中出现两次(另见 {seen[t.table.name]})"))
        seen.setdefault(t.table.name, t.source)
    if not tables and not issues:
        issues.append(Issue(path.name, None, None, "空批次", "", "没有找到任何与数据约定相符的表"))
    return tables, issues, notices


def _read_file(f: Path, folder_batch: bool):
    suffix = f.suffix.lower()
    if suffix == ".xlsm":
        return [], [Issue(f.name, None, None, "宏文件", suffix, "不接受带宏的工作簿(.xlsm),请另存为 .xlsx")], []
    if suffix == ".geojson" and folder_batch:
        if f.stem.strip().lower() not in GEOJSON_TABLES:
            return [], [], [f"{f.name}: 文件名不对应任何数据表(单位边界请命名为 units.geojson),已忽略"]
    elif suffix not in SUPPORTED_SUFFIXES:
        if folder_batch and table_for_name(f.stem) is None:
            return [], [], [f"{f.name}: 不是 CSV/XLSX 文件,已忽略"]
        return [], [Issue(f.name, None, None, "文件类型不支持", suffix, "只接受 .csv 或 .xlsx")], []
    size = f.stat().st_size
    if size == 0:
        return [], [Issue(f.name, None, None, "空文件", "", "文件为空")], []
    if size > MAX_FILE_BYTES:
        return [], [Issue(f.name, None, None, "文件过大", str(size), f"文件超过 {MAX_FILE_BYTES // 2**20} MB 上限")], []
    data = f.read_bytes()
    if suffix == ".geojson":
        return read_geojson(f, data, TABLES[GEOJSON_TABLES[f.stem.strip().lower()]])
    if suffix == ".csv":
        table = table_for_name(f.stem)
        if table is None:
            return [], [], [f"{f.name}: 文件名不对应任何数据表,已忽略"]
        return _read_csv(f, data, table)
    return read_xlsx(f, data, folder_batch)


# --- GeoJSON (unit boundaries, for maps) -----------------------------------------------------

def read_geojson(f: Path, data: bytes, table: Table):
    """A FeatureCollection whose features carry ``properties.unit_id``: one row per feature (its
    number is the row), the geometry kept as compact JSON text. Only Polygon and MultiPolygon with
    closed rings of finite longitude/latitude pairs are accepted."""
    def issue(row, column, rule, value, message):
        return Issue(f.name, row, column, rule, str(value)[:80], message)

    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        return [], [issue(None, None, "格式错误", "", f"不是有效的 GeoJSON(UTF-8 编码的 JSON):{err}")], []
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        return [], [issue(None, None, "格式错误", "", "GeoJSON 须为 FeatureCollection(含 features 列表)")], []
    rows, numbers, issues = [], [], []
    for i, feature in enumerate(doc["features"], 1):
        props = feature.get("properties") if isinstance(feature, dict) else None
        unit = props.get("unit_id") if isinstance(props, dict) else None
        if not isinstance(unit, (str, int)) or str(unit).strip() == "":
            issues.append(issue(i, "unit_id", "缺少单位编码", "", f"第 {i} 个要素没有 properties.unit_id"))
            continue
        geometry = feature.get("geometry")
        problem = _geometry_problem(geometry)
        if problem:
            issues.append(issue(i, "geometry", "边界无效", unit, f"第 {i} 个要素(单位 {unit})的边界{problem}"))
            continue
        rows.append([str(unit).strip(), json.dumps(geometry, separators=(",", ":"), ensure_ascii=False)])
        numbers.append(i)
    if not rows and not issues:
        issues.append(issue(None, None, "空批次", "", "GeoJSON 中没有任何要素"))
    return [RawTable(table, f.name, ["unit_id", "geometry"], rows, numbers, f)], issues, []


def _geometry_problem(geometry) -> str:
    """'' when the geometry is a valid Polygon/MultiPolygon, else what is wrong (Chinese)."""
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        kind = geometry.get("type") if isinstance(geometry, dict) else "缺失"
        return f"类型为 {kind},只接受 Polygon 或 MultiPolygon"
    polygons = geometry.get("coordinates")
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    if not isinstance(polygons, list) or not polygons:
        return "没有坐标"
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            return "没有坐标"
        for ring in polygon:
            if not isinstance(ring, list) or len(ring) < 4:
                return "的环少于 4 个点"
            for point in ring:
                if (not isinstance(point, list) or len(point) < 2
                        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                                   for v in point[:2])):
                    return "含有非数字坐标"
                if not (-180 <= point[0] <= 180 and -90 <= point[1] <= 90):
                    return f"坐标 {point[:2]} 超出经纬度范围"
            if ring[0][:2] != ring[-1][:2]:
                return "的环没有闭合(首尾坐标不同)"
    return ""


# --- CSV -------------------------------------------------------------------------------------

def decode_text(name: str, data: bytes) -> tuple[str | None, Issue | None]:
    """UTF-8 (with or without BOM), else GB18030; anything else is refused."""
    if data.startswith(ZIP_MAGIC) or data.startswith(OLE_MAGIC) or data.startswith(b"%PDF"):
        return None, Issue(name, None, None, "文件内容与扩展名不符", data[:4].hex(),
                           "扩展名是 .csv,但内容是二进制文件(如 Excel 或 PDF)")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        return None, Issue(name, None, None, "编码不支持", "UTF-16/二进制",
                           "只接受 UTF-8 或 GB18030 编码的 CSV")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding), None
        except UnicodeDecodeError:
            continue
    return None, Issue(name, None, None, "编码不支持", "", "只接受 UTF-8 或 GB18030 编码的 CSV")


DELIMITERS = (",", ";", "\t")
QUOTING_HELP = ("含逗号、引号或换行的单元格须整体用英文双引号括起,单元格内的双引号写作两个双引号"
                "(Excel/WPS“另存为 CSV”即是此格式)")


def csv_dialect(text: str, table: Table) -> type[csv.Dialect]:
    """RFC 4180 (Excel's CSV) with the delimiter that makes the header line match the most
    contract columns. Only the delimiter is detected, and only from the header: a body is never
    used to guess a quoting rule, so row 401 is read by the same rule as row 2."""
    index = alias_index(table)

    def matches(delimiter: str) -> int:
        first = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
        return len({index.get(header_key(h)) for h in first} - {None})

    best = max(DELIMITERS, key=matches)  # ties keep the comma (first)

    class Rfc4180(csv.excel):
        delimiter = best
        strict = True  # text after a closing quote or an unterminated quote is an error, not data

    return Rfc4180


def _read_csv(f: Path, data: bytes, table: Table):
    text, issue = decode_text(f.name, data)
    if issue:
        return [], [issue], []
    reader = csv.reader(io.StringIO(text), csv_dialect(text, table))
    raw_rows, line_numbers = [], []
    try:
        # Row numbers as Excel/WPS show them: one row per record, even when a quoted cell
        # spans several lines (reader.line_num would give the record's last text line).
        for number, row in enumerate(reader, start=1):
            raw_rows.append(row)
            line_numbers.append(number)
    except csv.Error as e:
        reason = "引号没有结束" if "end of data" in str(e) else "引号后紧跟了其他字符(或用了反斜杠转义引号)"
        return [], [Issue(f.name, len(raw_rows) + 1, None, "CSV引号错误", str(e)[:60],
                          f"{reason}:{QUOTING_HELP}")], []
    while raw_rows and not any(clean(c) for c in raw_rows[-1]):
        raw_rows.pop()
        line_numbers.pop()
    if not raw_rows:
        return [], [Issue(f.name, None, None, "空文件", "", "文件中没有内容")], []
    width = len(raw_rows[0])
    wide = [Issue(f.name, n, None, "列数不符", str(len(r)),
                  f"该行有 {len(r)} 个字段,表头只有 {width} 列(含逗号的数值如 1,234.5 需加引号)")
            for r, n in zip(raw_rows[1:], line_numbers[1:]) if len(r) > width]
    if wide:
        return [], wide, []
    return assemble(f, f.name, table, [raw_rows[0]], raw_rows[1:], line_numbers[1:])


# --- XLSX ------------------------------------------------------------------------------------


__all__ = ["RawTable", "read_batch", "TABLES"]
