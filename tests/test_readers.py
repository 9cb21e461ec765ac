"""Readers: decoding, container checks, header matching (aliases, merged two-row headers, title
rows), sheet/file naming, and row numbers as the user sees them. Workbooks: tests/test_xlsx.py."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.readers import decode_text, read_batch
from tests.bad_inputs import OLE_BYTES
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
