"""Read XLSX workbooks safely: the container checked from the zip directory alone (magic bytes,
macros, zip-bomb limits), sheets streamed under a cell budget, hidden rows, merged data cells and
formulas found in the sheet XML, one table per sheet named after it (or after the file)."""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from pipelines.contract import Table, table_for_name
from pipelines.headers import HEADER_SEARCH_ROWS, assemble, find_header
from pipelines.report import Issue

# Limits checked on the zip directory before any XML is parsed (zip-bomb defence).
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
MAX_ZIP_ENTRIES = 5_000
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

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


def read_xlsx(f: Path, data: bytes, folder_batch: bool):
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
    header_start, depth = find_header(cells, table)
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
    got, issues, notices = assemble(f, source, table, header_rows, body, numbers)
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
