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
import zipfile
from dataclasses import dataclass
import re
from pathlib import Path

from pipelines.contract import GEOJSON_TABLES, TABLES, Table, table_for_name
from pipelines.normalize import clean
from pipelines.report import Issue

# Limits checked on the zip directory before any XML is parsed (zip-bomb defence).
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
MAX_ZIP_ENTRIES = 5_000
MAX_FILE_BYTES = 100 * 1024 * 1024

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SUPPORTED_SUFFIXES = {".csv", ".xlsx"}


@dataclass
class RawTable:
    """One table as read from a file or sheet: canonical column names, string cells."""

    table: Table
    source: str  # file name, or "file.xlsx:sheet"
    columns: list[str]
    rows: list[list[str]]
    row_numbers: list[int]  # as the user sees them in Excel or a text editor
    path: Path | None = None


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
    return _read_xlsx(f, data, folder_batch)


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
        return len({index.get(_header_key(h)) for h in first} - {None})

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
    return _assemble(f, f.name, table, [raw_rows[0]], raw_rows[1:], line_numbers[1:])


# --- XLSX ------------------------------------------------------------------------------------

def check_xlsx_container(name: str, data: bytes) -> Issue | None:
    """Magic bytes, macros and zip-bomb limits, all from the zip directory alone."""
    if data.startswith(OLE_MAGIC):
        return Issue(name, None, None, "文件内容与扩展名不符", "OLE2",
                     "这是旧版 .xls 或其他 Office 二进制文件,请另存为 .xlsx")
    if not data.startswith(ZIP_MAGIC):
        return Issue(name, None, None, "文件内容与扩展名不符", data[:4].hex(),
                     "扩展名是 .xlsx,但内容不是 Excel 工作簿")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except zipfile.BadZipFile:
        return Issue(name, None, None, "文件内容与扩展名不符", "", "工作簿已损坏,无法打开")
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        return Issue(name, None, None, "文件内容与扩展名不符", "", "压缩包中没有 Excel 工作簿结构")
    if len(infos) > MAX_ZIP_ENTRIES:
        return Issue(name, None, None, "压缩炸弹", str(len(infos)), "压缩包内文件数超过上限")
    total = sum(i.file_size for i in infos)
    if total > MAX_UNPACKED_BYTES:
        return Issue(name, None, None, "压缩炸弹", str(total),
                     f"解压后大小超过 {MAX_UNPACKED_BYTES // 2**20} MB 上限")
    for i in infos:
        if i.compress_size and i.file_size / i.compress_size > MAX_COMPRESSION_RATIO and i.file_size > 1_000_000:
            return Issue(name, None, None, "压缩炸弹", f"{i.file_size / i.compress_size:.0f}",
                         f"{i.filename} 的压缩比超过 {MAX_COMPRESSION_RATIO} 倍")
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        return Issue(name, None, None, "宏文件", "vbaProject.bin", "工作簿含有宏,请去掉宏后另存为 .xlsx")
    content_types = zf.read("[Content_Types].xml").decode("utf-8", "replace")
    if "macroEnabled" in content_types:
        return Issue(name, None, None, "宏文件", "macroEnabled", "工作簿含有宏,请去掉宏后另存为 .xlsx")
    return None


def _read_xlsx(f: Path, data: bytes, folder_batch: bool):
    issue = check_xlsx_container(f.name, data)
    if issue:
        return [], [issue], []
    import openpyxl  # imported late: CSV-only batches never pay for it

    try:
        # Read-only mode streams each sheet row by row: memory stays bounded by the rows kept,
        # and the cell budget below stops a sheet long before it could exhaust the machine.
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many types for malformed parts
        return [], [Issue(f.name, None, None, "文件内容与扩展名不符", "", f"工作簿无法解析: {type(e).__name__}")], []
    tables, issues, notices = [], [], []
    file_table = table_for_name(f.stem)
    budget = CellBudget()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for ws in wb.worksheets:
            table = table_for_name(ws.title)
            if table is None and file_table is not None and len(wb.worksheets) == 1:
                table = file_table
            if ws.sheet_state != "visible":
                if table is not None:  # a hidden copy of a table would change data no one sees
                    issues.append(Issue(f"{f.name}:{ws.title}", None, None, "隐藏工作表", ws.sheet_state,
                                        f"工作表「{ws.title}」被隐藏,其内容不会被核对者看到:请取消隐藏并核对,或删除该工作表"))
                else:
                    notices.append(f"{f.name}:{ws.title}: 隐藏的工作表,不对应任何数据表,已忽略")
                continue
            if table is None:
                notices.append(f"{f.name}:{ws.title}: 工作表名不对应任何数据表,已忽略")
                continue
            source = f"{f.name}:{ws.title}"
            layout = scan_sheet_xml(zf, ws._worksheet_path)
            got, errs, notes = _read_sheet(f, source, table, ws, layout, data, budget)
            tables += got
            issues += errs
            notices += notes
            if budget.exceeded:
                break
    wb.close()
    return tables, issues, notices


# Streaming limits, checked while reading (the zip directory cannot show how many cells a sheet
# holds). A county's largest table is ~120k rows × 6 columns; ten counties ~0.6M rows.
MAX_SHEET_ROWS = 1_048_576  # Excel's own limit
MAX_WORKBOOK_CELLS = 6_000_000


class CellBudget:
    """Cells read so far in one workbook; reading stops at the limit."""

    def __init__(self, limit: int | None = None):
        self.limit, self.used, self.exceeded = limit or MAX_WORKBOOK_CELLS, 0, False

    def spend(self, n: int) -> bool:
        self.used += n
        self.exceeded = self.used > self.limit
        return not self.exceeded


@dataclass
class SheetLayout:
    """What the values alone do not show, read from the sheet's XML by a streaming scan."""

    merged: list[tuple[int, int, int, int]]  # (min_row, min_col, max_row, max_col)
    hidden_rows: list[int]
    has_formulas: bool


_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*\bref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
_HIDDEN_ROW = re.compile(rb'<(?:\w+:)?row\b[^>]*?\br="(\d+)"[^>]*?\bhidden="(?:1|true)"')
_FORMULA = re.compile(rb'<(?:\w+:)?f[\s>/]')


def scan_sheet_xml(zf: zipfile.ZipFile, member: str, chunk: int = 1 << 20) -> SheetLayout:
    from openpyxl.utils import column_index_from_string as col

    merged, hidden, formulas, text = [], [], False, b""
    with zf.open(member.lstrip("/")) as fh:
        while True:
            block = fh.read(chunk)
            text += block
            # A tag is far shorter than the overlap: a match starting before the cut is complete,
            # one starting after it is left for the next round (so none is counted twice).
            cut = max(len(text) - 1024, 0) if block else len(text)
            merged += [(int(m[2]), col(m[1].decode()), int(m[4]), col(m[3].decode()))
                       for m in _MERGE.finditer(text) if m.start() < cut]
            hidden += [int(m[1]) for m in _HIDDEN_ROW.finditer(text) if m.start() < cut]
            formulas = formulas or bool(_FORMULA.search(text))
            if not block:
                break
            text = text[cut:]
    return SheetLayout(sorted(set(merged)), sorted(set(hidden)), formulas)


def _read_sheet(f: Path, source: str, table: Table, ws, layout: SheetLayout, data: bytes, budget: CellBudget):
    ws.reset_dimensions()  # never trust the <dimension> tag of a file written by another tool
    formulas = _formula_cells(data, ws.title, CellBudget()) if layout.has_formulas else {}
    cells: list[list[str]] = []
    issues = []
    for number, row in enumerate(ws.iter_rows(), start=1):
        if number > MAX_SHEET_ROWS or not budget.spend(len(row)):
            limit = (f"超过 {MAX_SHEET_ROWS:,} 行" if number > MAX_SHEET_ROWS
                     else f"工作簿单元格超过 {budget.limit:,} 个")
            return [], [Issue(source, number, None, "工作表过大", str(number),
                              f"读到第 {number} 行时{limit}的上限,已停止读取;请按表拆分或删去多余的行列")], []
        texts = []
        for j, cell in enumerate(row, start=1):
            value = _cell_value(cell)
            if value is None and (number, j) in formulas:
                issues.append(Issue(source, number, cell.coordinate, "公式无缓存值", formulas[number, j],
                                    "公式单元格没有计算结果,请在 Excel 中重新计算并保存,或粘贴为数值"))
            texts.append(_cell_text(value))
        cells.append(texts)  # text at once: a second copy of a large sheet as values is not kept
    if issues:
        return [], issues, []
    if not any(c for r in cells for c in r):
        return [], [Issue(source, None, None, "空文件", "", "工作表为空")], []
    # Merged header cells read naturally (the top-left value fills the range), but only above
    # the data: the header is looked for in the first rows, a merge below it is refused.
    header_area = HEADER_SEARCH_ROWS + 1
    for r0, c0, r1, c1 in layout.merged:
        if r1 > header_area:
            continue
        top_left = cells[r0 - 1][c0 - 1] if r0 - 1 < len(cells) and c0 - 1 < len(cells[r0 - 1]) else ""
        for r in range(r0 - 1, min(r1, len(cells))):
            cells[r] += [""] * (c1 - len(cells[r]))
            for c in range(c0 - 1, c1):
                cells[r][c] = top_left
    header_start, depth = _find_header(cells, table)
    if header_start is None:
        return [], [Issue(source, 1, None, "表头无法识别", " | ".join(c for c in cells[0] if c)[:80],
                          f"前几行中找不到与表 {table.name}({table.zh})相符的表头")], []
    body_from = header_start + depth + 1  # first data row, as Excel numbers it
    merged_body = [(r0, c0, r1, c1) for r0, c0, r1, c1 in layout.merged if r0 >= body_from]
    if merged_body:
        from openpyxl.utils import get_column_letter as letter

        return [], [Issue(source, r0, f"{letter(c0)}{r0}:{letter(c1)}{r1}", "数据区合并单元格", f"{letter(c0)}{r0}:{letter(c1)}{r1}",
                          "数据行中有合并单元格,无法判断其值属于哪一格(例如把数值填进了目标值):请取消合并,每格填写各自的值")
                    for r0, c0, r1, c1 in merged_body], []
    header_rows = cells[header_start:header_start + depth]
    body = cells[header_start + depth:]
    numbers = list(range(body_from, body_from + len(body)))
    while body and not any(body[-1]):
        body.pop()
        numbers.pop()
    got, issues, notices = _assemble(f, source, table, header_rows, body, numbers)
    hidden = [n for n in layout.hidden_rows if n >= body_from and n <= (numbers[-1] if numbers else 0)]
    if got and hidden:
        shown = "、".join(map(str, hidden[:10])) + (" 等" if len(hidden) > 10 else "")
        notices.append(f"{source}: 第 {shown} 行({len(hidden)} 行)在 Excel 中被隐藏或筛掉,已一并导入,请核对")
    return got, issues, notices


def _formula_cells(data: bytes, title: str, budget: CellBudget) -> dict[tuple[int, int], str]:
    """(row, column) → formula text of every formula cell, from a streaming pass over the formulas
    (the values pass then names those whose workbook holds no calculated result)."""
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    found = {}
    for number, row in enumerate(wb[title].iter_rows(), start=1):
        if not budget.spend(len(row)):
            break  # the values pass stops at the same limit and says so
        for j, cell in enumerate(row, start=1):
            if getattr(cell, "data_type", None) == "f":
                found[number, j] = str(cell.value)[:40]
    wb.close()
    return found


def _cell_value(cell):
    """A cell's value; a number shown as a percentage (stored as 0.45) becomes the text "45%"."""
    v = cell.value
    if isinstance(v, (int, float)) and not isinstance(v, bool) and "%" in (cell.number_format or ""):
        return f"{round(v * 100, 10):.15g}%"
    return v


def _cell_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if hasattr(v, "isoformat"):
        text = v.isoformat()
        return text[:10] if text.endswith("T00:00:00") or len(text) == 10 else text
    return str(v)  # as typed: the contract's parsers normalise codes, free text stays verbatim


HEADER_SEARCH_ROWS = 6  # the header starts in one of the first rows (title rows may sit above)


def _find_header(cells: list[list[str]], table: Table) -> tuple[int | None, int]:
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


# --- Header mapping ----------------------------------------------------------------------------

_PAREN = re.compile(r"[(\[（【].*?[)\]）】]")


def _header_key(h: str) -> str:
    return _PAREN.sub("", clean(h)).replace(" ", "").replace("*", "").lower()


def alias_index(table: Table) -> dict[str, str]:
    index = {}
    for col in table.columns:
        for a in (col.name, *col.aliases):
            index.setdefault(_header_key(a), col.name)
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
            key = _header_key(cand)
            if key in index:
                name = index[key]
                break
        names.append(name)
    return names


def _assemble(f: Path, source: str, table: Table, header_rows, body, numbers):
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


__all__ = ["RawTable", "read_batch", "TABLES"]
