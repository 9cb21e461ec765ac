"""考察准备 briefing on the demo: content, Excel without formulas, PDF with an embedded CJK font."""
import shutil
import subprocess

import openpyxl
import pytest

from pipelines.briefing import build_briefing, write_briefing
from pipelines.cli import main
from pipelines.export import FORMULA_PREFIXES
from pipelines.home import Home
from tests.browser import screenshot_path


@pytest.fixture()
def version(demo_world):
    return Home(demo_world[1]).current_path()


def _busiest_unit(version):
    from pipelines import db

    return db.query(version, "SELECT unit_id FROM marts.anomalies GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")["unit_id"][0]


def test_unit_briefing_lists_checks_flags_tasks_and_questions(version):
    unit = _busiest_unit(version)
    b = build_briefing(version, unit_ids=[unit])
    assert b.title.startswith("考察准备简报:")
    assert len(b.sections["flags"]) > 0 and (b.sections["flags"]["单位"] == unit).all()
    assert len(b.sections["checks"]) > 0 and len(b.sections["questions"]) >= len(b.sections["flags"])
    assert "数据截至 2025-12" in b.stamp


def test_scope_refuses_units_outside(version):
    with pytest.raises(PermissionError):
        build_briefing(version, unit_ids=["T01"], allowed_units=["T02"])
    with pytest.raises(ValueError):
        build_briefing(version, unit_ids=["NOPE"])


def test_excel_has_no_formula_cells(version, tmp_path):
    out = write_briefing(build_briefing(version, unit_ids=[_busiest_unit(version)]), tmp_path / "b.xlsx")
    wb = openpyxl.load_workbook(out)
    assert "现场核查清单" in wb.sheetnames
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
                assert not (isinstance(cell.value, str) and cell.value.startswith(FORMULA_PREFIXES))


def test_pdf_embeds_cjk_font_and_extracts_chinese(demo_world, version, tmp_path):
    if not shutil.which("pdffonts"):
        pytest.skip("poppler-utils not installed")
    unit = _busiest_unit(version)
    out = tmp_path / "brief.pdf"
    assert main(["brief", "--unit", unit, "--out", str(out), "--home", str(demo_world[1])]) == 0
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout
    assert "NotoSansCJK" in fonts and " yes " in fonts.splitlines()[2]  # embedded
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "考察准备简报" in text and "现场核查清单" in text and "需核查" in text
    png = screenshot_path("briefing_page1")
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(out), str(png)], check=True)
    assert png.with_suffix(".png").stat().st_size > 10_000


def test_pdf_keeps_every_character_of_very_long_cells(version, tmp_path):
    """A 10,000-character task title and a 5,000-character flag text: the rows continue across
    pages and nothing is lost (counted character by character in the extracted text)."""
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils not installed")
    b = build_briefing(version, unit_ids=[_busiest_unit(version)])
    tasks, flags = b.sections["tasks"].copy(), b.sections["flags"].copy()
    assert len(tasks) and len(flags)
    tasks["任务"] = tasks["任务"].astype(object)
    tasks.loc[tasks.index[0], "任务"] = "璇" * 9_000 + "Long title, words too. " * 40 + "\n第二段" + "琮" * 77
    flags["原因"] = flags["原因"].astype(object)
    flags.loc[flags.index[0], "原因"] = "瑾" * 5_000
    b.sections["tasks"], b.sections["flags"] = tasks, flags
    out = write_briefing(b, tmp_path / "long.pdf")
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert text.count("璇") == 9_000 and text.count("琮") == 77 and "第二段" in text
    assert text.replace("\n", " ").count("words") >= 40
    assert text.count("瑾") == 5_000
    pages = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    assert int(next(line.split()[-1] for line in pages.splitlines() if line.startswith("Pages:"))) >= 3
    assert "(续)" in text  # a continued row says so
