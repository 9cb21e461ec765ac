"""Exports: what a person wrote comes back byte for byte through ingest → export, whether the
batch was written by Python's csv module (Excel dialect) or by openpyxl, and every text cell a
spreadsheet could run as a formula is escaped reversibly."""
from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from pipelines import db, steps
from pipelines.export import ESCAPED_PREFIXES, escape_cell, export, unescape_cell
from pipelines.home import Home
from pipelines.ingest import ingest
from tests.conftest import valid_tables, write_csv

# Any Unicode a UTF-8 file can hold (no surrogates, no NUL), salted with what breaks naive
# readers and writers: quotes, commas, line breaks, apostrophes and formula prefixes.
_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=30)
_TRICKY = st.sampled_from(['"', "'", ",", "\n", "\r\n", "\r", ";", "\t", *ESCAPED_PREFIXES, "_x0041_", "\ufeff"])
DELIVERED = st.lists(st.one_of(_TRICKY, _TEXT), min_size=1, max_size=4).map("".join).filter(lambda s: s.strip())


def test_escape_is_reversible_and_defuses_formulas():
    for text in ["=1+1", "+86 138", "-3", "@SUM(A1)", "'quoted", "''", "\tx", "＝1", "plain", "推进\"改革\""]:
        escaped = escape_cell(text)
        assert not escaped.startswith(ESCAPED_PREFIXES[:-1])  # nothing a spreadsheet would evaluate
        assert unescape_cell(escaped) == text
    assert escape_cell(3.5) == 3.5 and escape_cell("a\x01b", worksheet=True) == "ab"


def _batch(folder: Path, titles: list[str], names: list[str], comment: str, writer: str) -> Path:
    """The valid batch with task titles, cadre names and a rating comment replaced."""
    tables = valid_tables()
    header, rows = tables["tasks"]
    tables["tasks"] = (header, [(*r[:2], t, *r[3:]) for r, t in zip(rows, titles)])
    header, rows = tables["cadres"]
    tables["cadres"] = (header, [(r[0], n, *r[2:]) for r, n in zip(rows, names)] + rows[len(names):])
    header, rows = tables["ratings"]
    tables["ratings"] = (header, [(*rows[0][:-1], comment), *rows[1:]])
    folder.mkdir(parents=True)
    if writer == "csv":
        for name, (header, rows) in tables.items():
            write_csv(folder / f"{name}.csv", header, rows)
        return folder
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, (header, rows) in tables.items():
        ws = wb.create_sheet(name)
        for i, row in enumerate([header, *rows], start=1):
            for j, value in enumerate(row, start=1):
                cell = ws.cell(i, j)
                cell.value = value
                cell.data_type = "s"  # typed text: "=1" is text a person wrote, not a formula
    wb.save(folder / "batch.xlsx")
    return folder / "batch.xlsx"


@settings(max_examples=3, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(titles=st.lists(DELIVERED, min_size=3, max_size=3, unique=True),
       names=st.lists(DELIVERED, min_size=2, max_size=2), comment=DELIVERED,
       writer=st.sampled_from(["csv", "openpyxl"]))
@example(titles=['推进"最多跑一次"改革', "It's fine, really", "=HYPERLINK(\"http://x\")"],
         names=["'张三", " 李四\r\n"], comment="好,\"很好\"", writer="csv")
@example(titles=["_x0041_", "第一行\n第二行", "＝1"], names=["\ufeff王五", "赵六 "], comment="-", writer="openpyxl")
def test_delivered_text_comes_back_byte_identical(tmp_path_factory, titles, names, comment, writer):
    if writer == "openpyxl":  # a worksheet cannot hold control characters; Excel cannot write them either
        titles, names = [ILLEGAL_CHARACTERS_RE.sub("", t) or "x" for t in titles], [ILLEGAL_CHARACTERS_RE.sub("", n) or "x" for n in names]
        comment = ILLEGAL_CHARACTERS_RE.sub("", comment) or "x"
        if len(set(titles)) < 3 or not all(t.strip() for t in [*titles, *names, comment]):
            return
    root = tmp_path_factory.mktemp("roundtrip")
    home = Home(root / "home")
    outcome = ingest(_batch(root / "batch", titles, names, comment, writer), home, steps=[steps.assessment_step])
    assert outcome.status == "published", [i.line() for i in outcome.issues]
    stored = db.query(home.current_path(), "SELECT task_id, title FROM staging.tasks ORDER BY task_id")
    assert stored["title"].tolist() == titles
    people = db.query(home.current_path(), "SELECT name FROM staging.cadres ORDER BY cadre_id")["name"].tolist()
    assert people[:2] == names
    said = db.query(home.current_path(), "SELECT comment FROM staging.ratings WHERE comment IS NOT NULL")
    assert said["comment"].tolist() == [comment]

    export(home, "task_status", root / "task_status.csv")
    with open(root / "task_status.csv", encoding="utf-8", newline="") as fh:
        exported = {unescape_cell(r["title"]) for r in csv.DictReader(fh)}
    assert exported == set(titles)
    export(home, "task_status", root / "task_status.xlsx")
    ws = openpyxl.load_workbook(root / "task_status.xlsx").active
    header = [c.value for c in ws[1]]
    column = header.index("title")
    in_sheet = {unescape_cell(r[column].value) for r in ws.iter_rows(min_row=2)}
    assert all(r[column].data_type == "s" for r in ws.iter_rows(min_row=2))
    assert in_sheet == {ILLEGAL_CHARACTERS_RE.sub("", t) for t in titles}  # only what a worksheet cannot hold is dropped
    db.close_all()


@pytest.mark.parametrize("text", ["推进\"最多跑一次\"改革", "a\u3000b", "Ｔ０１", "①②", " x "])
def test_free_text_is_not_normalised(tmp_path, text):
    tables = valid_tables()
    header, rows = tables["tasks"]
    tables["tasks"] = (header, [(*rows[0][:2], text, *rows[0][3:]), *rows[1:]])
    folder = tmp_path / "b"
    for name, (header, rows) in tables.items():
        write_csv(folder / f"{name}.csv", header, rows)
    home = Home(tmp_path / "home")
    assert ingest(folder, home, steps=[]).status == "published"
    got = db.query(home.current_path(), "SELECT title FROM staging.tasks WHERE task_id = 'T01'")["title"][0]
    assert got == text
    db.close_all()


def test_checks_status_and_inspection_targets_are_exported_in_contract_words(published_home, tmp_path):
    """CONTRACT §3: ``checks`` as delivered plus applied; ``anomalies.status`` 未核查/属实/已说明/误报
    (进度不实/成效不实 as found on site); ``inspection_targets`` with its live flag ids and status.
    The valid batch is in place; ingesting the checks builds the analytics on both."""
    from pipelines import cli

    home = published_home.root
    folder = tmp_path / "checks"
    folder.mkdir()
    write_csv(folder / "核验记录.csv", ["核验编码", "任务编码", "核验结论", "核实进度", "核验日期"],
              [["K1", "T03", "进度不实", "15", "2024-07-10"]])
    assert cli.main(["ingest", str(folder), "--home", str(home)]) == 0

    def read(name):
        out = tmp_path / f"{name}.csv"
        assert cli.main(["export", name, "--out", str(out), "--home", str(home)]) == 0
        with open(out, encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))

    checks = read("checks")
    assert [(r["check_id"], r["task_id"], r["result"], r["verified_pct"], r["checked_at"], r["applied"])
            for r in checks] == [("K1", "T03", "进度不实", "15.0", "2024-07-10", "true")]
    flags = read("anomalies")
    assert {r["status"] for r in flags} <= {"未核查", "属实", "已说明", "误报", "进度不实", "成效不实"}
    assert {r["status"] for r in flags if r["task_id"] == "T03"} == {"进度不实"}
    assert "未核查" in {r["status"] for r in flags}
    targets = read("inspection_targets")
    assert list(targets[0])[:7] == ["target_type", "unit_id", "cadre_id", "score", "reasons", "flag_ids", "status"]
    t03 = {r["flag_id"] for r in flags if r["task_id"] == "T03"}
    c06 = next(r for r in targets if r["cadre_id"] == "C06")
    assert set(c06["flag_ids"].split(";")) == t03 and c06["status"] == "属实"
    db.close_all()
