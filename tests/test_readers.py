"""Readers: decoding, container checks, header matching (aliases, merged two-row headers, title
rows), sheet/file naming, and row numbers as the user sees them."""
from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest

from pipelines import readers
from pipelines.readers import check_xlsx_container, decode_text, read_batch
from tests.bad_inputs import OLE_BYTES, xlsx_bytes
from tests.conftest import write_csv


def only_table(path: Path):
    tables, issues, notices = read_batch(path)
    assert issues == [], [i.line() for i in issues]
    assert len(tables) == 1
    return tables[0], notices


def col(raw, name):
    j = raw.columns.index(name)
    return [r[j] for r in raw.rows]


# --- decoding --------------------------------------------------------------------------------

TEXT = "unit_id,name,unit_type\nU01,城关街道,街道\n"


@pytest.mark.parametrize("data", [TEXT.encode("utf-8"), b"\xef\xbb\xbf" + TEXT.encode("utf-8"), TEXT.encode("gb18030")],
                         ids=["utf8", "utf8_bom", "gb18030"])
def test_accepted_encodings_decode_to_the_same_text(data):
    text, issue = decode_text("units.csv", data)
    assert issue is None
    assert text == TEXT  # BOM removed, GB18030 decoded


@pytest.mark.parametrize("data,value", [
    (TEXT.encode("utf-16"), "UTF-16/二进制"),
    (TEXT.encode("utf-16-be"), "UTF-16/二进制"),
    (TEXT.encode("utf-32"), "UTF-16/二进制"),
    ("unit_id,name\nU9,ｱｲｳ\n".encode("shift_jis"), ""),
    (b"unit_id,name\nU9,Caf\xe9,x\n", ""),
    (b"unit_id,name\nU9,\x80\x80\n", ""),
])
def test_refused_encodings(data, value):
    text, issue = decode_text("units.csv", data)
    assert text is None
    assert issue.rule == "编码不支持"
    assert issue.value == value


@pytest.mark.parametrize("data", [b"PK\x03\x04rest", OLE_BYTES, b"%PDF-1.4\n"])
def test_binary_content_in_a_csv_is_a_wrong_extension(data):
    text, issue = decode_text("units.csv", data)
    assert text is None and issue.rule == "文件内容与扩展名不符"


# --- xlsx container --------------------------------------------------------------------------

def test_a_normal_workbook_passes_the_container_checks():
    assert check_xlsx_container("a.xlsx", xlsx_bytes({"units": [["unit_id"], ["U1"]]})) is None


def test_zip_limits_match_the_contract():
    assert readers.MAX_UNPACKED_BYTES <= 200 * 1024 * 1024
    assert readers.MAX_COMPRESSION_RATIO <= 100


def test_a_large_but_ordinary_workbook_is_not_a_bomb():
    """A real sheet of a few thousand rows compresses well but stays far below the ratio limit."""
    rows = [["unit_id", "indicator", "period", "value"]] + [[f"U{i % 50}", "gpb_revenue", "2024-01", i * 1.5]
                                                            for i in range(3000)]
    assert check_xlsx_container("a.xlsx", xlsx_bytes({"indicator_values": rows})) is None


# --- CSV -------------------------------------------------------------------------------------

def test_chinese_headers_and_chinese_file_name(tmp_path):
    write_csv(tmp_path / "单位.csv", ["单位编码", "单位名称", "单位类型", "上级单位"], [["U01", "城关街道", "街道", ""]])
    raw, _ = only_table(tmp_path)
    assert raw.table.name == "units"
    assert raw.columns == ["unit_id", "name", "unit_type", "parent_id"]
    assert raw.rows == [["U01", "城关街道", "街道", ""]]


def test_header_decorations_and_full_width_are_ignored(tmp_path):
    write_csv(tmp_path / "units.csv", ["*单位编码(必填)", "单位名称【全称】", " ｕｎｉｔ＿ｔｙｐｅ "], [["U01", "城关街道", "街道"]])
    raw, _ = only_table(tmp_path)
    assert raw.columns == ["unit_id", "name", "unit_type"]


def test_unknown_columns_are_ignored_with_a_notice(tmp_path):
    write_csv(tmp_path / "units.csv", ["unit_id", "name", "unit_type", "备注"], [["U01", "城关街道", "街道", "x"]])
    raw, notices = only_table(tmp_path)
    assert raw.columns == ["unit_id", "name", "unit_type"]
    assert any("备注" in n and "已忽略" in n for n in notices)


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig"])
def test_gb18030_and_bom_csv(tmp_path, encoding):
    write_csv(tmp_path / "指标数据.csv", ["单位编码", "指标", "期间", "数值"],
              [["U01", "一般公共预算收入", "2024年3月", "1,234.5万元"]], encoding=encoding)
    raw, _ = only_table(tmp_path)
    assert raw.table.name == "indicator_values"
    assert raw.columns == ["unit_id", "indicator", "period", "value"]  # BOM did not stick to 单位编码
    assert raw.rows[0] == ["U01", "一般公共预算收入", "2024年3月", "1,234.5万元"]


@pytest.mark.parametrize("sep", [";", "\t"])
def test_other_delimiters_are_sniffed(tmp_path, sep):
    (tmp_path / "units.csv").write_text(f"unit_id{sep}name{sep}unit_type\nU01{sep}城关街道{sep}街道\nU02{sep}东湖镇{sep}镇\n",
                                        encoding="utf-8")
    raw, _ = only_table(tmp_path)
    assert col(raw, "name") == ["城关街道", "东湖镇"]


def test_header_with_an_unmatched_delimiter_is_not_guessed(tmp_path):
    # The delimiter comes from the header line alone: a comma header with semicolons in the
    # body stays comma-separated (the semicolons are text).
    (tmp_path / "units.csv").write_text("unit_id,name,unit_type\nU01,城关;东湖;西城,街道\n", encoding="utf-8")
    raw, _ = only_table(tmp_path)
    assert col(raw, "name") == ["城关;东湖;西城"]


def _tasks_csv(path: Path, titles: list[str]) -> Path:
    rows = [[f"T{i:04d}", "2025", title, "重点", "U01", "C01", "", "2025-12", ""] for i, title in enumerate(titles)]
    return write_csv(path / "tasks.csv", ["task_id", "year", "title", "category", "unit_id", "lead_cadre_id",
                                          "co_cadre_ids", "due", "difficulty"], rows)


def test_excel_quoting_is_read_the_same_on_row_401_as_on_row_2(tmp_path):
    # The quoting rule is RFC 4180 for the whole file, not guessed from its first 4 KB.
    titles = [f"普通任务{i}" for i in range(400)] + ['推进"最多跑一次"改革', 'a ""b"", c', "It's fine, really"]
    _tasks_csv(tmp_path, titles)
    assert '"推进""最多跑一次""改革"' in (tmp_path / "tasks.csv").read_text(encoding="utf-8")
    raw, _ = only_table(tmp_path)
    assert col(raw, "title") == titles


def test_an_apostrophe_and_a_comma_early_in_the_file_are_text(tmp_path):
    titles = ["It's fine, really", "'引号', 逗号", "x'y"] + [f"任务{i}" for i in range(5)]
    _tasks_csv(tmp_path, titles)
    raw, _ = only_table(tmp_path)
    assert col(raw, "title") == titles


@pytest.mark.parametrize("line,why", [
    ('T1,2025,"推进"改革,重点,U01,C01,,2025-12,\n', "引号"),       # text after a closing quote
    ('T1,2025,"推进\\"改革",重点,U01,C01,,2025-12,\n', "引号"),  # backslash escaping is not RFC 4180
    ('T1,2025,"没有结束引号,重点,U01,C01,,2025-12,\n', "引号"),    # unterminated quote
])
def test_other_quoting_dialects_are_refused_not_reinterpreted(tmp_path, line, why):
    header = "task_id,year,title,category,unit_id,lead_cadre_id,co_cadre_ids,due,difficulty\n"
    ok = "T0,2025,普通,重点,U01,C01,,2025-12,\n"
    (tmp_path / "tasks.csv").write_text(header + ok + line + ok.replace("T0", "T2"), encoding="utf-8")
    tables, issues, _ = read_batch(tmp_path)
    assert tables == []
    assert [(i.source, i.row, i.rule) for i in issues] == [("tasks.csv", 3, "CSV引号错误")]
    assert why in issues[0].message and "两个双引号" in issues[0].message


def test_csv_row_numbers_skip_blank_rows_and_count_multiline_cells_once(tmp_path):
    text = ('period,cadre_id,rater_group,rater_id,score,comment\n'
            '2024,C01,上级,R1,90,"第一行\n第二行"\n'
            '\n'
            '2024,C02,上级,R1,80,\n'
            '2024,C03,上级,R1,70,\n'
            ',,,,,\n\n')
    (tmp_path / "ratings.csv").write_text(text, encoding="utf-8")
    raw, _ = only_table(tmp_path)
    # as Excel shows it: header row 1, the two-line comment is one row (2), a blank row (3)
    assert raw.row_numbers == [2, 4, 5]
    assert col(raw, "comment")[0] == "第一行\n第二行"


def test_rows_wider_than_the_header_are_refused(tmp_path):
    (tmp_path / "units.csv").write_text("unit_id,name,unit_type\nU01,城关街道,街道\nU02,东湖,镇,多余\n", encoding="utf-8")
    tables, issues, _ = read_batch(tmp_path)
    assert tables == []
    assert [(i.rule, i.row) for i in issues] == [("列数不符", 3)]


def test_short_rows_are_padded(tmp_path):
    (tmp_path / "units.csv").write_text("unit_id,name,unit_type,parent_id\nU01,城关街道,街道\n", encoding="utf-8")
    raw, _ = only_table(tmp_path)
    assert raw.rows == [["U01", "城关街道", "街道", ""]]


def test_hidden_lock_and_foreign_files_are_ignored(tmp_path):
    write_csv(tmp_path / "units.csv", ["unit_id", "name", "unit_type"], [["U01", "城关街道", "街道"]])
    (tmp_path / "~$units.xlsx").write_bytes(b"lock")
    (tmp_path / ".DS_Store").write_bytes(b"\0\0")
    (tmp_path / "说明.txt").write_text("x", encoding="utf-8")
    write_csv(tmp_path / "汇总.csv", ["a"], [["1"]])
    raw, notices = only_table(tmp_path)
    assert raw.table.name == "units"
    assert any("说明.txt" in n for n in notices) and any("汇总.csv" in n for n in notices)


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
    monkeypatch.setattr(readers, "MAX_WORKBOOK_CELLS", 300)
    rows = [["unit_id", "name", "unit_type"]] + [[f"U{i:03d}", f"单位{i}", "镇"] for i in range(200)]
    save(tmp_path / "units.xlsx", {"units": rows})
    tables, issues, _ = read_batch(tmp_path)
    assert tables == []
    assert [(i.rule, i.row) for i in issues] == [("工作表过大", 101)]  # stopped at cell 303, not at the end


def test_the_layout_scan_finds_tags_cut_by_a_chunk_boundary(tmp_path):
    save(tmp_path / "units.xlsx", {"units": UNITS_SHEET * 40}, lambda ws: (ws.merge_cells("A100:B100"),
                                                                          setattr(ws.row_dimensions[90], "hidden", True)))
    with zipfile.ZipFile(tmp_path / "units.xlsx") as zf:
        whole = readers.scan_sheet_xml(zf, "xl/worksheets/sheet1.xml")
        for chunk in (7, 64, 100, 333):
            assert readers.scan_sheet_xml(zf, "xl/worksheets/sheet1.xml", chunk=chunk) == whole
    assert whole.merged == [(100, 1, 100, 2)] and whole.hidden_rows == [90] and not whole.has_formulas


def test_the_readme_states_the_workbook_limit():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert f"at most {readers.MAX_WORKBOOK_CELLS // 10**6} million cells" in readme.replace("\n", " ")


# --- units.geojson (unit boundaries for maps) -------------------------------------------------

def _square(x, y, d=0.1):
    return {"type": "Polygon", "coordinates": [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]}


def _feature(unit, geometry):
    return {"type": "Feature", "properties": {"unit_id": unit, "name": "任意"}, "geometry": geometry}


def test_a_geojson_of_unit_boundaries_is_read_as_one_row_per_feature(tmp_path):
    import json

    from pipelines.readers import read_batch

    doc = {"type": "FeatureCollection", "features": [
        _feature("U01", _square(121.2, 28.1)),
        _feature("U02", {"type": "MultiPolygon", "coordinates": [_square(121.4, 28.1)["coordinates"]]})]}
    (tmp_path / "units.geojson").write_text(json.dumps(doc), encoding="utf-8")
    tables, issues, notices = read_batch(tmp_path)
    assert issues == [] and notices == []
    (t,) = tables
    assert t.table.name == "unit_boundaries" and t.row_numbers == [1, 2]
    assert [r[0] for r in t.rows] == ["U01", "U02"]
    assert json.loads(t.rows[0][1]) == _square(121.2, 28.1)


@pytest.mark.parametrize("geometry, words", [
    ({"type": "Point", "coordinates": [121.0, 28.0]}, "只接受 Polygon 或 MultiPolygon"),
    ({"type": "Polygon", "coordinates": [[[121, 28], [122, 28], [122, 29]]]}, "少于 4 个点"),
    ({"type": "Polygon", "coordinates": [[[121, 28], [122, 28], [122, 29], [121.5, 29]]]}, "没有闭合"),
    ({"type": "Polygon", "coordinates": [[[121, 28], ["x", 28], [122, 29], [121, 28]]]}, "非数字坐标"),
    ({"type": "Polygon", "coordinates": [[[121, 28], [200, 28], [122, 29], [121, 28]]]}, "超出经纬度范围"),
    (None, "类型为 缺失"),
])
def test_an_invalid_boundary_names_the_feature_and_the_rule(tmp_path, geometry, words):
    import json

    from pipelines.readers import read_batch

    doc = {"type": "FeatureCollection", "features": [_feature("U01", _square(121.2, 28.1)), _feature("U02", geometry)]}
    (tmp_path / "units.geojson").write_text(json.dumps(doc), encoding="utf-8")
    _, issues, _ = read_batch(tmp_path)
    assert [(i.source, i.row, i.column, i.rule) for i in issues] == [("units.geojson", 2, "geometry", "边界无效")]
    assert words in issues[0].message and "第 2 个要素(单位 U02)" in issues[0].message


def test_a_geojson_that_is_not_a_feature_collection_or_lacks_unit_ids_is_refused(tmp_path):
    import json

    from pipelines.readers import read_batch

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "units.geojson").write_text('{"type": "Feature"}', encoding="utf-8")
    assert [i.rule for i in read_batch(tmp_path / "a")[1]] == ["格式错误"]
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "units.geojson").write_text("{not json", encoding="utf-8")
    assert [i.rule for i in read_batch(tmp_path / "b")[1]] == ["格式错误"]
    (tmp_path / "c").mkdir()
    doc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": _square(1, 1)}]}
    (tmp_path / "c" / "units.geojson").write_text(json.dumps(doc), encoding="utf-8")
    assert [(i.row, i.column, i.rule) for i in read_batch(tmp_path / "c")[1]] == [(1, "unit_id", "缺少单位编码")]
