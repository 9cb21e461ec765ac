"""pipelines.xlsx: the workbook container checks, sheets, headers under title rows, formulas, and
what a workbook can hide (hidden sheets and rows, merged data cells, the cell budget)."""
from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest

from pipelines import xlsx
from pipelines.readers import read_batch
from pipelines.xlsx import check_xlsx_container
from tests.bad_inputs import OLE_BYTES, xlsx_bytes
from tests.test_readers import col, only_table

# --- xlsx container --------------------------------------------------------------------------

def test_a_normal_workbook_passes_the_container_checks():
    assert check_xlsx_container("a.xlsx", xlsx_bytes({"units": [["unit_id"], ["U1"]]})) is None


def test_zip_limits_match_the_contract():
    assert xlsx.MAX_UNPACKED_BYTES <= 200 * 1024 * 1024
    assert xlsx.MAX_COMPRESSION_RATIO <= 100


def test_a_large_but_ordinary_workbook_is_not_a_bomb():
    """A real sheet of a few thousand rows compresses well but stays far below the ratio limit."""
    rows = [["unit_id", "indicator", "period", "value"]] + [[f"U{i % 50}", "gpb_revenue", "2024-01", i * 1.5]
                                                            for i in range(3000)]
    assert check_xlsx_container("a.xlsx", xlsx_bytes({"indicator_values": rows})) is None


# --- XLSX ------------------------------------------------------------------------------------

def save(path: Path, sheets, setup=None) -> Path:
    path.write_bytes(xlsx_bytes(sheets, setup))
    return path


def test_merged_two_row_header_progress_over_planned_and_actual(tmp_path):
    def setup(ws):
        ws.merge_cells("A1:A2")
        ws.merge_cells("B1:B2")
        ws.merge_cells("C1:D1")
    rows = [["任务编码", "期间", "进度", None, "填报日期"],
            [None, None, "计划进度", "实际进度", None],
            ["T01", "2024-09", 75, 70, dt.datetime(2024, 10, 8)],
            ["T02", "2024-09", 90, 92, None]]
    save(tmp_path / "任务进度.xlsx", {"Sheet1": rows}, setup)
    raw, _ = only_table(tmp_path)
    assert raw.table.name == "task_progress"
    assert raw.columns == ["task_id", "period", "planned_pct", "actual_pct", "reported_at"]
    assert raw.rows[0] == ["T01", "2024-09", "75", "70", "2024-10-08"]
    assert raw.row_numbers == [3, 4]


def test_workbook_batch_with_chinese_sheet_names(tmp_path):
    book = save(tmp_path / "二〇二四年报送.xlsx", {
        "说明": [["本工作簿为2024年报送数据"]],
        "单位": [["单位编码", "单位名称", "单位类型"], ["U01", "城关街道", "街道"]],
        "干部": [["干部编码", "姓名", "出生年份"], ["C01", "张伟", 1975]],
        "任职": [["干部编码", "单位编码", "任职起始", "责任份额"], ["C01", "U01", dt.datetime(2022, 1, 1), 1]],
        "指标数据": [["单位编码", "指标", "期间", "数值"], ["U01", "一般公共预算收入", "2024年3月", 1234.5]],
    })
    tables, issues, notices = read_batch(book)
    assert issues == []
    assert sorted(t.table.name for t in tables) == ["assignments", "cadres", "indicator_values", "units"]
    by = {t.table.name: t for t in tables}
    assert by["assignments"].rows == [["C01", "U01", "2022-01-01", "1"]]
    assert by["cadres"].rows == [["C01", "张伟", "1975"]]
    assert by["indicator_values"].source == "二〇二四年报送.xlsx:指标数据"
    assert any("说明" in n for n in notices)


@pytest.mark.parametrize("single", [False, True], ids=["in_folder", "single_file"])
def test_single_sheet_workbook_is_named_by_its_file(tmp_path, single):
    path = save(tmp_path / "units.xlsx", {"Sheet1": [["unit_id", "name", "unit_type"], ["U01", "城关街道", "街道"]]})
    raw, _ = only_table(path if single else tmp_path)
    assert raw.table.name == "units" and raw.source == "units.xlsx:Sheet1"


def test_title_rows_above_the_header_keep_excel_row_numbers(tmp_path):
    def setup(ws):
        ws.merge_cells("A1:D1")
    rows = [["2024年7月各单位一般公共预算收入"], [], ["单位编码", "指标", "期间", "数值"],
            ["U01", "gpb_revenue", "2024-07", 1200], [], ["U03", "gpb_revenue", "2024-07", 800], [], []]
    save(tmp_path / "指标数据.xlsx", {"指标数据": rows}, setup)
    raw, _ = only_table(tmp_path)
    assert raw.columns == ["unit_id", "indicator", "period", "value"]
    assert raw.row_numbers == [4, 6]
    assert col(raw, "value") == ["1200", "800"]


def test_cell_types_become_contract_text(tmp_path):
    def setup(ws):
        ws["D2"].number_format = "0.0%"
        ws["D3"].number_format = "0%"
    rows = [["task_id", "period", "planned_pct", "actual_pct", "reported_at", "evidence_count"],
            ["T01", dt.datetime(2024, 3, 1), 50, 0.455, dt.datetime(2024, 4, 2), 3.0],
            ["T02", "2024年3月", 60.5, 0.07, dt.date(2024, 4, 3), 2]]
    save(tmp_path / "task_progress.xlsx", {"task_progress": rows}, setup)
    raw, _ = only_table(tmp_path)
    assert raw.rows[0] == ["T01", "2024-03-01", "50", "45.5%", "2024-04-02", "3"]
    assert raw.rows[1] == ["T02", "2024年3月", "60.5", "7%", "2024-04-03", "2"]


def test_formula_with_cached_value_is_read(tmp_path):
    data = xlsx_bytes({"enterprises": [["enterprise_id", "unit_id", "land_mu", "above_scale"],
                                       ["E09", "U01", "=10*12", "是"]]})
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            payload = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                assert b"<f>10*12</f><v></v>" in payload
                payload = payload.replace(b"<f>10*12</f><v></v>", b"<f>10*12</f><v>120</v>")
            zf.writestr(info, payload)
    (tmp_path / "enterprises.xlsx").write_bytes(out.getvalue())
    raw, _ = only_table(tmp_path)
    assert col(raw, "land_mu") == ["120"]


def test_formula_without_cached_value_names_the_cell(tmp_path):
    save(tmp_path / "enterprises.xlsx", {"enterprises": [["enterprise_id", "unit_id", "land_mu", "above_scale"],
                                                          ["E09", "U01", "=10*12", "是"]]})
    tables, issues, _ = read_batch(tmp_path)
    assert tables == []
    assert [(i.rule, i.row, i.column) for i in issues] == [("公式无缓存值", 2, "C2")]


def test_xlsx_header_only_and_duplicate_header(tmp_path):
    save(tmp_path / "units.xlsx", {"units": [["unit_id", "单位编码", "name", "unit_type"], ["U1", "U2", "x", "街道"]]})
    save(tmp_path / "cadres.xlsx", {"干部": [["干部编码", "姓名"]]})
    _, issues, _ = read_batch(tmp_path)
    assert sorted(i.rule for i in issues) == ["无数据行", "重复列"]


def test_xlsm_and_xls_files_named_after_a_table_are_refused_in_a_folder(tmp_path):
    (tmp_path / "units.xlsm").write_bytes(xlsx_bytes({"units": [["unit_id", "name", "unit_type"], ["U1", "x", "街道"]]}))
    (tmp_path / "干部.xls").write_bytes(OLE_BYTES)
    (tmp_path / "notes.xls").write_bytes(OLE_BYTES)  # not named after a table: ignored with a notice
    tables, issues, notices = read_batch(tmp_path)
    assert tables == []
    assert sorted((i.source, i.rule) for i in issues) == [("units.xlsm", "宏文件"), ("干部.xls", "文件类型不支持")]
    assert any("notes.xls" in n for n in notices)


# --- what a workbook hides (issue 11, items 2 and 10) -------------------------------------------

UNITS_SHEET = [["unit_id", "name", "unit_type"], ["U01", "城关街道", "街道"], ["U02", "东湖镇", "镇"]]
VALUES_SHEET = [["unit_id", "indicator", "period", "value", "target"],
                ["U01", "gdp", "2024-03", 120, None], ["U02", "gdp", "2024-03", 95, 100]]


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_a_hidden_sheet_named_after_a_table_is_refused(tmp_path, state):
    def setup(ws):
        if ws.title == "cadres":
            ws.sheet_state = state
    cadres = [["cadre_id", "name"], ["C01", "冒名顶替"]]
    save(tmp_path / "batch.xlsx", {"units": UNITS_SHEET, "cadres": cadres}, setup)
    tables, issues, _ = read_batch(tmp_path / "batch.xlsx")
    assert [(i.source, i.rule, i.value) for i in issues] == [("batch.xlsx:cadres", "隐藏工作表", state)]
    assert "取消隐藏" in issues[0].message


def test_a_hidden_helper_sheet_that_is_no_table_is_ignored_with_a_notice(tmp_path):
    def setup(ws):
        if ws.title == "下拉选项":
            ws.sheet_state = "hidden"
    save(tmp_path / "units.xlsx", {"units": UNITS_SHEET, "下拉选项": [["街道"], ["镇"]]}, setup)
    raw, notices = only_table(tmp_path / "units.xlsx")
    assert raw.table.name == "units" and any("下拉选项" in n and "隐藏" in n for n in notices)


def test_a_value_merged_across_value_and_target_is_refused(tmp_path):
    save(tmp_path / "indicator_values.xlsx", {"indicator_values": VALUES_SHEET},
         lambda ws: ws.merge_cells("D2:E2"))  # 120 would otherwise also fill the empty target
    tables, issues, _ = read_batch(tmp_path)
    assert tables == []
    assert [(i.row, i.column, i.rule) for i in issues] == [(2, "D2:E2", "数据区合并单元格")]
    assert "取消合并" in issues[0].message


def test_a_merged_title_above_the_header_is_fine(tmp_path):
    rows = [["2024年一季度指标数据", None, None, None, None], *VALUES_SHEET]
    save(tmp_path / "indicator_values.xlsx", {"indicator_values": rows}, lambda ws: ws.merge_cells("A1:E1"))
    raw, _ = only_table(tmp_path)
    assert col(raw, "target") == ["", "100"] and raw.row_numbers == [3, 4]


def test_hidden_rows_are_read_and_named_in_a_notice(tmp_path):
    save(tmp_path / "units.xlsx", {"units": UNITS_SHEET}, lambda ws: setattr(ws.row_dimensions[3], "hidden", True))
    raw, notices = only_table(tmp_path)
    assert col(raw, "unit_id") == ["U01", "U02"]
    assert any("第 3 行" in n and "隐藏" in n for n in notices)


def test_a_sheet_beyond_the_cell_budget_stops_while_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_WORKBOOK_CELLS", 300)
    rows = [["unit_id", "name", "unit_type"]] + [[f"U{i:03d}", f"单位{i}", "镇"] for i in range(200)]
    save(tmp_path / "units.xlsx", {"units": rows})
    tables, issues, _ = read_batch(tmp_path)
    assert tables == []
    assert [(i.rule, i.row) for i in issues] == [("工作表过大", 101)]  # stopped at cell 303, not at the end


def test_the_layout_scan_finds_tags_cut_by_a_chunk_boundary(tmp_path):
    save(tmp_path / "units.xlsx", {"units": UNITS_SHEET * 40}, lambda ws: (ws.merge_cells("A100:B100"),
                                                                          setattr(ws.row_dimensions[90], "hidden", True)))
    with zipfile.ZipFile(tmp_path / "units.xlsx") as zf:
        whole = xlsx.scan_sheet_xml(zf, "xl/worksheets/sheet1.xml")
        for chunk in (7, 64, 100, 333):
            assert xlsx.scan_sheet_xml(zf, "xl/worksheets/sheet1.xml", chunk=chunk) == whole
    assert whole.merged == [(100, 1, 100, 2)] and whole.hidden_rows == [90] and not whole.has_formulas


def test_the_readme_states_the_workbook_limit():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert f"at most {xlsx.MAX_WORKBOOK_CELLS // 10**6} million cells" in readme.replace("\n", " ")
