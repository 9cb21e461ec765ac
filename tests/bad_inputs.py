"""The bad-input corpus: every way a batch must be refused.

Each case is ``Case(id, write, rule, row, column)``: ``write(folder)`` writes the bad batch into
the (empty, existing) ``folder`` and returns the path to ingest — the folder itself, or a single
file in it. ``rule`` is the Chinese rule name the report must contain; ``row``/``column``, where
given, must match the same issue (row as the user sees it in Excel or the CSV).

Batches are incremental: they are ingested on top of a home that already holds the valid batch
of ``tests.conftest``, so references to U01, C01, T01, E01 … resolve against published data.
"""
from __future__ import annotations

import csv
import io
import struct
import zipfile
from pathlib import Path
from typing import Callable, NamedTuple

import openpyxl
from openpyxl.styles import Alignment

from tests.conftest import valid_tables, write_csv


class Case(NamedTuple):
    id: str
    write: Callable[[Path], Path]
    rule: str
    row: int | None = None
    column: str | None = None


# --- helpers ---------------------------------------------------------------------------------

def table(name: str) -> tuple[list[str], list[list[str]]]:
    header, rows = valid_tables()[name]
    return list(header), [list(r) for r in rows]


def csv_text(header, rows) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def put(folder: Path, name: str, header, rows, encoding: str = "utf-8", filename: str | None = None) -> Path:
    write_csv(folder / (filename or f"{name}.csv"), header, rows, encoding=encoding)
    return folder


def edited(name: str, row_index: int, column: str, value: str, folder: Path, **kw) -> Path:
    """The valid table ``name`` with one cell changed (data row ``row_index``, 0-based)."""
    header, rows = table(name)
    rows[row_index][header.index(column)] = value
    return put(folder, name, header, rows, **kw)


def one_row(name: str, header: list[str], row: list[str]) -> Callable[[Path], Path]:
    return lambda folder: put(folder, name, header, [row])


def xlsx_bytes(sheets: dict[str, list[list]], setup: Callable | None = None) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
        if setup is not None:
            setup(ws)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def units_xlsx() -> bytes:
    header, rows = table("units")
    return xlsx_bytes({"units": [header, *rows]})


def write_bytes(folder: Path, filename: str, data: bytes, single: bool = False) -> Path:
    path = folder / filename
    path.write_bytes(data)
    return path if single else folder


def with_member(data: bytes, name: str, payload: bytes) -> bytes:
    """An existing zip (xlsx) with one more member appended."""
    buf = io.BytesIO(data)
    with zipfile.ZipFile(buf, "a", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, payload)
    return buf.getvalue()


def replace_member(data: bytes, name: str, payload: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            zf.writestr(info.filename, payload if info.filename == name else src.read(info.filename))
    return out.getvalue()


XLSX_SKELETON = {
    "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
    "xl/workbook.xml": b'<?xml version="1.0"?><workbook/>',
}


def zip_bomb_real(folder: Path) -> Path:
    """An .xlsx-named zip with a 150 MB member of zeros (about 150 KB on disk): ratio ~1000."""
    path = folder / "units.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, payload in XLSX_SKELETON.items():
            zf.writestr(name, payload)
        chunk = b"\0" * (1 << 20)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            for _ in range(150):
                fh.write(chunk)
    assert path.stat().st_size < 2_000_000
    return folder


def zip_bomb_claimed_size(folder: Path) -> Path:
    """A tiny zip whose central directory claims a 300 MB member (checked before unpacking)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, payload in XLSX_SKELETON.items():
            zf.writestr(name, payload)
        zf.writestr("xl/worksheets/sheet1.xml", b"<worksheet/>")
    data = bytearray(buf.getvalue())
    # patch "uncompressed size" (offset 24) of every central-directory record
    pos = data.find(b"PK\x01\x02")
    while pos != -1:
        struct.pack_into("<I", data, pos + 24, 300 * 1024 * 1024)
        pos = data.find(b"PK\x01\x02", pos + 4)
    return write_bytes(folder, "units.xlsx", bytes(data))


def zip_too_many_entries(folder: Path) -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, payload in XLSX_SKELETON.items():
            zf.writestr(name, payload)
        for i in range(5_001):
            zf.writestr(f"x/{i}", b"")
    return write_bytes(folder, "units.xlsx", buf.getvalue())


OLE_BYTES = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + b"Workbook" + b"\0" * 1000


# --- xlsx layouts ----------------------------------------------------------------------------

def merged_header_no_template(folder: Path) -> Path:
    """Two-row header, merged cells, whose names match no column of the units table."""
    def setup(ws):
        ws.merge_cells("A1:C1")
        ws["A1"].alignment = Alignment(horizontal="center")
    data = xlsx_bytes({"units": [["基本情况", None, None], ["甲", "乙", "丙"], ["U20", "新街道", "街道"]]}, setup)
    return write_bytes(folder, "units.xlsx", data)


def merged_header_unknown_subheaders(folder: Path) -> Path:
    """进度 merged over 计划/实际: sub-headers that are not the contract's 计划进度/实际进度."""
    def setup(ws):
        ws.merge_cells("A1:A2")
        ws.merge_cells("B1:B2")
        ws.merge_cells("C1:D1")
    rows = [["任务编码", "期间", "进度", None], [None, None, "计划", "实际"], ["T01", "2024-09", 75, 70]]
    return write_bytes(folder, "task_progress.xlsx", xlsx_bytes({"任务进度": rows}, setup))


def formula_without_cache(folder: Path) -> Path:
    """openpyxl writes formulas without cached values: exactly what an un-recalculated file has."""
    header, rows = table("enterprises")
    rows = [header, *rows]
    rows[2][2] = "=B2*10"  # land_mu of the second data row, at Excel row 3, cell C3
    return write_bytes(folder, "enterprises.xlsx", xlsx_bytes({"enterprises": rows}))


def percent_cells_over_100(folder: Path) -> Path:
    """Excel stores a cell shown as 120% as 1.2; it must be read as 120 (out of range), not 1.2."""
    rows = [["task_id", "period", "planned_pct", "actual_pct"], ["T01", "2024-09", 1.2, 0.7], ["T02", "2024-09", 0.8, 0.75]]

    def setup(ws):
        for r in range(2, ws.max_row + 1):
            for col in "CD":
                ws[f"{col}{r}"].number_format = "0%"
    return write_bytes(folder, "task_progress.xlsx", xlsx_bytes({"task_progress": rows}, setup))


def title_row_bad_value(folder: Path) -> Path:
    """A title row (merged) and a blank row above the header: the bad value is at Excel row 6."""
    header = ["单位编码", "指标", "期间", "数值"]
    body = [["U01", "gpb_revenue", "2024-07", 1200], ["U02", "gpb_revenue", "2024-07", 900],
            ["U03", "gpb_revenue", "2024-07", "待核实"], ["U04", "gpb_revenue", "2024-07", 700]]

    def setup(ws):
        ws.merge_cells("A1:D1")
    data = xlsx_bytes({"指标数据": [["2024年7月各单位一般公共预算收入"], [], header, *body]}, setup)
    return write_bytes(folder, "指标数据.xlsx", data)


def header_only_xlsx(folder: Path) -> Path:
    header, _ = table("cadres")
    return write_bytes(folder, "cadres.xlsx", xlsx_bytes({"cadres": [header]}))


def empty_sheet_xlsx(folder: Path) -> Path:
    return write_bytes(folder, "batch.xlsx", xlsx_bytes({"单位": [], "干部": [["cadre_id", "name"], ["C30", "周八"]]}),
                       single=True)


def workbook_same_table_twice(folder: Path) -> Path:
    header, rows = table("units")
    data = xlsx_bytes({"units": [header, *rows], "单位": [header, *rows]})
    return write_bytes(folder, "batch.xlsx", data, single=True)


def xlsm_file(folder: Path) -> Path:
    return write_bytes(folder, "units.xlsm", units_xlsx())


def xlsm_single(folder: Path) -> Path:
    return write_bytes(folder, "全部数据.xlsm", units_xlsx(), single=True)


def xlsx_with_vba(folder: Path) -> Path:
    return write_bytes(folder, "units.xlsx", with_member(units_xlsx(), "xl/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"\0" * 600))


def xlsx_macro_content_type(folder: Path) -> Path:
    data = units_xlsx()
    ct = zipfile.ZipFile(io.BytesIO(data)).read("[Content_Types].xml").replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
    return write_bytes(folder, "units.xlsx", replace_member(data, "[Content_Types].xml", ct))


def truncated_xlsx(folder: Path) -> Path:
    data = units_xlsx()
    return write_bytes(folder, "units.xlsx", data[: len(data) // 2])


def plain_zip_as_xlsx(folder: Path) -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("units.csv", csv_text(*table("units")))
    return write_bytes(folder, "units.xlsx", buf.getvalue())


def xlsx_parts_garbage(folder: Path) -> Path:
    """Zip structure of a workbook, but the workbook XML is garbage."""
    data = replace_member(units_xlsx(), "xl/workbook.xml", b"<<<not xml")
    return write_bytes(folder, "units.xlsx", data)


# --- encodings -------------------------------------------------------------------------------

def encoded(name: str, text: str, encoding: str, filename: str | None = None) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        (folder / (filename or f"{name}.csv")).write_bytes(text.encode(encoding))
        return folder
    return write


UNITS_TEXT = "unit_id,name,unit_type\r\nU20,新城街道,街道\r\n"


def gb18030_bad_value(folder: Path) -> Path:
    """Chinese headers, GB18030 bytes, one non-numeric value at CSV row 4."""
    rows = [["U01", "一般公共预算收入", "2024年7月", "1,200.5"], ["U02", "一般公共预算收入", "2024年7月", "980"],
            ["U03", "一般公共预算收入", "2024年7月", "约八百"], ["U04", "一般公共预算收入", "2024年7月", "700"]]
    data = csv_text(["单位编码", "指标", "期间", "数值"], rows).encode("gb18030")
    data.decode("gb18030")
    try:
        data.decode("utf-8")
        raise AssertionError("the GB18030 fixture must not be valid UTF-8")
    except UnicodeDecodeError:
        pass
    return write_bytes(folder, "指标数据.csv", data)


def latin1_text() -> bytes:
    data = "cadre_id,name\r\nC30,José Müller\r\n".encode("latin-1")
    for enc in ("utf-8", "gb18030"):
        try:
            data.decode(enc)
            raise AssertionError(f"latin-1 fixture decodes as {enc}")
        except UnicodeDecodeError:
            pass
    return data


def shift_jis_text() -> bytes:
    data = "unit_id,name,unit_type\r\nU20,ｱｲｳ,平台\r\n".encode("shift_jis")
    for enc in ("utf-8", "gb18030"):
        try:
            data.decode(enc)
            raise AssertionError(f"shift-jis fixture decodes as {enc}")
        except UnicodeDecodeError:
            pass
    return data


# --- folder-level ----------------------------------------------------------------------------

def same_table_twice(folder: Path) -> Path:
    header, rows = table("units")
    put(folder, "units", header, rows)
    return put(folder, "units", header, rows[:2], filename="单位.csv")


def nothing_matching(folder: Path) -> Path:
    (folder / "说明.txt").write_text("本批次数据说明", encoding="utf-8")
    put(folder, "x", ["a", "b"], [["1", "2"]], filename="汇总表.csv")
    return folder


def several_errors(folder: Path) -> Path:
    """Several files, several errors: all of them must be reported, not only the first."""
    edited("units", 0, "unit_type", "村", folder)
    edited("cadres", 1, "birth_year", "1900", folder)
    edited("enterprises", 2, "land_mu", "-1", folder)
    return folder


def unquoted_thousands(folder: Path) -> Path:
    text = ("unit_id,indicator,period,value,target,verified_value\r\n"
            "U01,gpb_revenue,2024-07,1200,1260,\r\n"
            "U02,gpb_revenue,2024-07,1,234.5,1300,\r\n")
    (folder / "indicator_values.csv").write_text(text, encoding="utf-8")
    return folder


IV = ["unit_id", "indicator", "period", "value"]
ASG = ["cadre_id", "unit_id", "start", "end", "share", "indicators"]
TP = ["task_id", "period", "planned_pct", "actual_pct"]
RT = ["period", "cadre_id", "rater_group", "rater_id", "score"]
ENT = ["enterprise_id", "unit_id", "land_mu", "above_scale"]
PRJ = ["project_id", "unit_id", "cadre_id", "name", "agreed_investment", "signed", "landed", "started", "producing"]


def e(name, i, col, value, **kw) -> Callable[[Path], Path]:
    return lambda folder: edited(name, i, col, value, folder, **kw)


CASES: list[Case] = [
    # --- encodings and file shapes
    Case("utf16_bom_csv", encoded("units", UNITS_TEXT, "utf-16"), "编码不支持"),
    Case("utf16le_no_bom_csv", encoded("units", UNITS_TEXT, "utf-16-le"), "编码不支持"),
    Case("shift_jis_csv", lambda f: write_bytes(f, "units.csv", shift_jis_text()), "编码不支持"),
    Case("latin1_csv", lambda f: write_bytes(f, "cadres.csv", latin1_text()), "编码不支持"),
    Case("empty_0_byte_csv", lambda f: write_bytes(f, "units.csv", b""), "空文件"),
    Case("blank_lines_csv", lambda f: write_bytes(f, "units.csv", b"\r\n \r\n,,\r\n"), "空文件"),
    Case("header_only_csv", lambda f: put(f, "units", table("units")[0], []), "无数据行"),
    Case("header_only_xlsx", header_only_xlsx, "无数据行"),
    Case("empty_sheet_in_workbook", empty_sheet_xlsx, "空文件"),
    Case("missing_required_column", lambda f: put(f, "cadres", ["cadre_id", "rank"], [["C30", "正科"]]),
         "缺少必填列", None, "name"),
    Case("duplicate_columns_alias", lambda f: put(f, "units", ["unit_id", "name", "unit_type", "单位编码"],
                                                  [["U20", "新城街道", "街道", "U21"]]), "重复列"),
    Case("rows_wider_than_header", unquoted_thousands, "列数不符", 3),
    Case("same_table_twice_in_folder", same_table_twice, "重复表"),
    Case("same_table_twice_in_workbook", workbook_same_table_twice, "重复表"),
    Case("empty_folder", lambda f: f, "空批次"),
    Case("no_file_matches_a_table", nothing_matching, "空批次"),
    Case("path_does_not_exist", lambda f: f / "没有这个文件夹", "文件不存在"),
    # --- keys and references
    Case("duplicate_key", e("units", 1, "unit_id", "U01"), "主键重复", 3, "unit_id"),
    Case("duplicate_key_after_period_normalisation",
         lambda f: put(f, "indicator_values", IV, [["U01", "gpb_revenue", "2024-08", "1"],
                                                    ["U01", "一般公共预算收入", "2024年8月", "2"]]),
         "主键重复", 3),
    Case("unknown_unit", one_row("indicator_values", IV, ["U999", "gpb_revenue", "2024-07", "1200"]),
         "未知单位", 2, "unit_id"),
    Case("unknown_parent_unit", one_row("units", ["unit_id", "name", "unit_type", "parent_id"],
                                        ["U20", "新城街道", "街道", "U888"]), "未知单位", 2, "parent_id"),
    Case("unknown_cadre", one_row("assignments", ASG, ["C999", "U05", "2024-01-01", "", "0", ""]),
         "未知干部", 2, "cadre_id"),
    Case("unknown_co_cadre", e("tasks", 1, "co_cadre_ids", "C04;C998"), "未知干部", 3, "co_cadre_ids"),
    Case("unknown_indicator", one_row("indicator_values", IV, ["U01", "no_such_indicator", "2024-07", "5"]),
         "未知指标", 2, "indicator"),
    Case("unknown_indicator_in_assignment", e("assignments", 3, "indicators", "gpb_revenue;不存在的指标"),
         "未知指标", 5, "indicators"),
    Case("unknown_task", one_row("task_progress", TP, ["T99", "2024-09", "70", "60"]), "未知任务", 2, "task_id"),
    Case("unknown_enterprise", e("enterprise_years", 2, "enterprise_id", "E99"), "未知企业", 4, "enterprise_id"),
    # --- values
    Case("value_abc", one_row("indicator_values", IV, ["U01", "gpb_revenue", "2024-07", "abc"]), "非数值", 2, "value"),
    Case("value_em_dash", e("task_progress", 2, "actual_pct", "—"), "非数值", 4, "actual_pct"),
    Case("value_infinite", one_row("indicator_values", IV, ["U01", "gpb_revenue", "2024-07", "1e999"]), "非数值", 2, "value"),
    Case("non_integer_year", e("enterprise_years", 0, "year", "2023.5"), "非整数", 2, "year"),
    Case("bad_bool", e("enterprises", 0, "above_scale", "maybe"), "是否格式", 2, "above_scale"),
    Case("required_value_empty", e("units", 2, "name", ""), "必填为空", 4, "name"),
    Case("percent_out_of_range", e("task_progress", 1, "planned_pct", "120"), "超出范围", 3, "planned_pct"),
    Case("percent_cells_xlsx_out_of_range", percent_cells_over_100, "超出范围", 2, "planned_pct"),
    Case("share_over_one_in_a_row", one_row("assignments", ASG, ["C07", "U03", "2024-01-01", "", "150%", ""]),
         "超出范围", 2, "share"),
    Case("negative_land", e("enterprises", 1, "land_mu", "-12"), "超出范围", 3, "land_mu"),
    Case("negative_investment", e("projects", 0, "agreed_investment", "-100"), "超出范围", 2, "agreed_investment"),
    Case("difficulty_out_of_range", e("tasks", 0, "difficulty", "2"), "超出范围", 2, "difficulty"),
    Case("birth_year_out_of_range", e("cadres", 3, "birth_year", "1900"), "超出范围", 5, "birth_year"),
    Case("indicator_value_outside_dictionary_range",
         one_row("indicator_values", IV, ["U01", "ind_va_growth", "2024-07", "999"]), "超出范围", 2, "value"),
    Case("rating_over_100", one_row("ratings", RT, ["2024", "C05", "上级", "R01", "150"]), "评分越界", 2, "score"),
    Case("rating_bad_word", one_row("ratings", RT, ["2024", "C05", "上级", "R01", "优秀"]), "评分格式", 2, "score"),
    Case("invalid_enum_unit_type", e("units", 0, "unit_type", "村"), "枚举值", 2, "unit_type"),
    Case("unit_parent_cycle", one_row("units", ["unit_id", "name", "unit_type", "parent_id"],
                                      ["U01", "城关街道", "街道", "U01"]), "上级成环", 2, "parent_id"),
    Case("invalid_enum_rater_group", one_row("ratings", RT, ["2024", "C05", "领导", "R01", "90"]),
         "枚举值", 2, "rater_group"),
    Case("indicator_direction_zero", e("indicators", 0, "direction", "0"), "枚举值", 2, "direction"),
    Case("indicator_unit_type_enum", e("indicators", 0, "unit_type", "部门;村"), "枚举值", 2, "unit_type"),
    # --- periods and dates
    Case("bad_period_month_13", one_row("indicator_values", IV, ["U01", "gpb_revenue", "2024年13月", "5"]),
         "期间格式", 2, "period"),
    Case("bad_period_words", e("task_progress", 0, "period", "三月份"), "期间格式", 2, "period"),
    Case("bad_date_feb_30", e("assignments", 2, "start", "2022-02-30"), "日期格式", 4, "start"),
    Case("bad_date_words", e("tasks", 2, "due", "年底"), "日期格式", 4, "due"),
    Case("future_period", one_row("indicator_values", IV, ["U01", "gpb_revenue", "2099-01", "5"]),
         "未来期间", 2, "period"),
    Case("future_stage_date", e("projects", 2, "landed", "2099-01-01"), "未来日期", 4, "landed"),
    Case("end_before_start", e("assignments", 0, "end", "2021-12-31"), "结束早于开始", 2, "end"),
    Case("stage_dates_out_of_order", one_row("projects", PRJ, ["P09", "U04", "C06", "倒序项目", "100",
                                                               "2023-05-01", "2023-03-01", "", ""]),
         "阶段倒序", 2, "landed"),
    # --- cross-row rules
    Case("shares_over_one_for_unit_month", one_row("assignments", ASG, ["C07", "U01", "2024-01-01", "", "0.5", ""]),
         "份额超限", 2, "share"),
    Case("shares_over_one_for_one_indicator",
         one_row("assignments", ASG, ["C07", "U02", "2024-01-01", "", "0.3", "gpb_revenue"]), "份额超限", 2, "share"),
    Case("mixed_units_indicator_values",
         lambda f: put(f, "indicator_values", IV, [["U01", "gpb_revenue", "2024-07", "1200万元"],
                                                    ["U02", "gpb_revenue", "2024-07", "0.12亿元"],
                                                    ["U03", "gpb_revenue", "2024-07", "800万元"]]),
         "单位混用", 3, "value"),
    Case("mixed_units_land", lambda f: put(f, "enterprises", ENT, [["E01", "U02", "120亩", "是"], ["E02", "U02", "45亩", "否"],
                                                                   ["E03", "U04", "3万元", "是"]]),
         "单位混用", 4, "land_mu"),
    Case("mixed_units_money_wan_yi", e("enterprise_years", 1, "tax", "0.091亿元"), "单位混用", 3, "tax"),
    Case("wrong_unit_for_indicator", one_row("indicator_values", IV, ["U01", "ind_va_growth", "2024-07", "5万元"]),
         "单位不符", 2, "value"),
    # --- xlsx content
    Case("merged_header_matches_no_template", merged_header_no_template, "表头无法识别"),
    Case("merged_header_unknown_subheaders", merged_header_unknown_subheaders, "缺少必填列", None, "planned_pct"),
    Case("formula_without_cached_value", formula_without_cache, "公式无缓存值", 3),
    Case("xlsx_title_row_bad_value_row_number", title_row_bad_value, "非数值", 6, "value"),
    Case("gb18030_bad_value_row_number", gb18030_bad_value, "非数值", 4, "value"),
    # --- containers
    Case("zip_bomb_150mb_of_zeros", zip_bomb_real, "压缩炸弹"),
    Case("zip_bomb_claimed_size", zip_bomb_claimed_size, "压缩炸弹"),
    Case("zip_too_many_entries", zip_too_many_entries, "压缩炸弹"),
    Case("xlsm_in_folder", xlsm_file, "宏文件"),
    Case("xlsm_single_file", xlsm_single, "宏文件"),
    Case("xlsx_with_vbaproject", xlsx_with_vba, "宏文件"),
    Case("xlsx_macro_enabled_content_type", xlsx_macro_content_type, "宏文件"),
    Case("xlsx_that_is_text", lambda f: write_bytes(f, "units.xlsx", "unit_id,name,unit_type\nU20,新城街道,街道\n".encode()),
         "文件内容与扩展名不符"),
    Case("csv_that_is_zip", lambda f: write_bytes(f, "units.csv", units_xlsx()), "文件内容与扩展名不符"),
    Case("csv_that_is_pdf", lambda f: write_bytes(f, "units.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"),
         "文件内容与扩展名不符"),
    Case("xls_ole_named_xlsx", lambda f: write_bytes(f, "units.xlsx", OLE_BYTES), "文件内容与扩展名不符"),
    Case("xls_ole_single_file", lambda f: write_bytes(f, "units.xls", OLE_BYTES, single=True), "文件类型不支持"),
    Case("xls_named_after_table_in_folder", lambda f: write_bytes(f, "单位.xls", OLE_BYTES), "文件类型不支持"),
    Case("truncated_xlsx", truncated_xlsx, "文件内容与扩展名不符"),
    Case("plain_zip_named_xlsx", plain_zip_as_xlsx, "文件内容与扩展名不符"),
    Case("xlsx_with_garbage_workbook_xml", xlsx_parts_garbage, "文件内容与扩展名不符"),
]

# Batches with errors in several files: every listed rule must be reported.
MULTI_ERROR = (several_errors, ("枚举值", "超出范围"), 3)

assert len({c.id for c in CASES}) == len(CASES)
