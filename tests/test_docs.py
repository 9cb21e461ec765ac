"""The repository's own reference docs (docs/*.md) stay true to the code that cites them.

* every ``docs/<file>.md §<n>`` citation in *.py, *.sql and *.yaml names a doc that exists and a
  section heading it has;
* docs/contract.md §1 lists exactly the input tables of ``pipelines.contract.TABLES`` (key,
  columns, Chinese header aliases, kinds, optional, allowed values), §2 the commands of
  ``pipelines.cli``, §3 the result names of ``pipelines.export.RESULTS`` with their contract
  columns;
* every ``models/…``, ``pipelines/…``, ``ui/…``, ``pages/…``, ``datasets/…`` path written in
  backticks in a doc exists.

After changing the input contract, print the §1 rows to paste with
``python -m tests.test_docs``.
"""
from __future__ import annotations

import importlib
import os
import re
from pathlib import Path

import pytest

from pipelines.contract import TABLES, Column, Table

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SOURCE_SUFFIXES = {".py", ".sql", ".yaml", ".yml"}
SKIP_DIRS = {".git", "__pycache__", ".pytest_cache", ".hypothesis", "artifacts", ".venv", "node_modules"}
# A doc citation and the section list after it: "docs/domain.md §5.4, §6", "docs/domain.md §5.5 / §5.3".
CITATION = re.compile(r"docs/([\w-]+\.md)((?:(?:\s*(?:,|/|and|&)\s*|\s+)§\d+(?:\.\d+)*)*)")
SECTION = re.compile(r"§(\d+(?:\.\d+)*)")
HEADING = re.compile(r"^#{1,6}\s+(\d+(?:\.\d+)*)\.?\s", re.M)
PATH_PREFIXES = ("models/", "pipelines/", "ui/", "pages/", "datasets/")
BACKTICKED = re.compile(r"`([^`\s]+)`")


def source_files() -> list[Path]:
    out = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
        out += [Path(folder) / f for f in files if Path(f).suffix in SOURCE_SUFFIXES]
    return sorted(p for p in out if p != Path(__file__).resolve())


def headings(doc: Path) -> set[str]:
    return set(HEADING.findall(doc.read_text(encoding="utf-8")))


def citations(text: str) -> list[tuple[str, list[str]]]:
    return [(m.group(1), SECTION.findall(m.group(2))) for m in CITATION.finditer(text)]


def section(doc: Path, number: str) -> str:
    """The text of the top-level section ``## <number>.`` of a doc, up to the next one."""
    text = doc.read_text(encoding="utf-8")
    m = re.search(rf"^## {re.escape(number)}\.?\s.*?(?=^## |\Z)", text, re.M | re.S)
    assert m, f"{doc.name} has no section {number}"
    return m.group(0)


# --- contract §1 rows, rendered from pipelines.contract ------------------------------------

def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def render_column(c: Column) -> str:
    parts = [f"`{c.name}` ({', '.join(c.aliases)})"]
    if c.kind != "str":
        parts.append(c.kind)
    if not c.required:
        parts.append("optional")
    if c.enum:
        parts.append("/".join(c.enum))
    if c.min is not None and c.max is not None:
        parts.append(f"{_number(c.min)}..{_number(c.max)}")
    elif c.min is not None:
        parts.append(f">= {_number(c.min)}")
    elif c.max is not None:
        parts.append(f"<= {_number(c.max)}")
    if c.month_end:
        parts.append("(a month alone = its last day)")
    return " ".join(parts)


def render_row(t: Table) -> str:
    names = ", ".join((t.zh, *t.aliases))
    key = ", ".join(f"`{k}`" for k in t.key)
    return f"| `{t.name}` ({names}) | {key} | {'; '.join(render_column(c) for c in t.columns)} |"


def table_rows(text: str) -> dict[str, str]:
    """Markdown table rows whose first cell starts with a backticked name, by that name."""
    rows = {}
    for line in text.splitlines():
        m = re.match(r"\|\s*`(\w+)`", line)
        if m:
            rows[m.group(1)] = line.strip()
    return rows


# --- citations -----------------------------------------------------------------------------

def test_citation_pattern_reads_section_lists():
    text = "(docs/domain.md §5.4, §6) see docs/domain.md §5.5 / §5.3 and docs/contract.md, docs/x.md §2 and §3"
    assert citations(text) == [("domain.md", ["5.4", "6"]), ("domain.md", ["5.5", "5.3"]),
                               ("contract.md", []), ("x.md", ["2", "3"])]


def test_every_doc_citation_names_an_existing_doc_and_section():
    problems = []
    for path in source_files():
        for doc_name, numbers in citations(path.read_text(encoding="utf-8", errors="replace")):
            doc, where = DOCS / doc_name, path.relative_to(ROOT)
            if not doc.exists():
                # docs/architecture.md is written separately: its citations are checked once it lands
                if doc_name != "architecture.md":
                    problems.append(f"{where}: docs/{doc_name} does not exist")
                continue
            missing = [n for n in numbers if n not in headings(doc)]
            if missing:
                problems.append(f"{where}: docs/{doc_name} has no section {', '.join('§' + n for n in missing)}")
    assert not problems, "\n".join(problems)


def test_every_verified_source_cited_is_listed_in_domain():
    listed = set(re.findall(r"^- (S\d+) ", section(DOCS / "domain.md", "9"), re.M))
    problems = []
    for path in [*source_files(), DOCS / "domain.md"]:
        for i, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if "[V" in line:
                problems += [f"{path.relative_to(ROOT)}:{i} {s}" for s in re.findall(r"\b(S\d+)[a-f]?\b", line)
                             if s not in listed]
    assert not problems, "sources cited as [V] but missing from docs/domain.md §9:\n" + "\n".join(problems)


def test_headings_are_numbered_once_per_doc():
    for doc in sorted(DOCS.glob("*.md")):
        numbers = HEADING.findall(doc.read_text(encoding="utf-8"))
        assert len(numbers) == len(set(numbers)), f"{doc.name}: duplicate section numbers"


def test_domain_keeps_the_cited_section_numbers():
    assert {"2", "3", "4", "5.1", "5.2", "5.3", "5.4", "5.5", "5.6", "5.7", "6", "8", "9"} <= headings(DOCS / "domain.md")


# --- contract -----------------------------------------------------------------------------

def test_contract_inputs_match_pipelines_contract():
    rows = table_rows(section(DOCS / "contract.md", "1"))
    assert set(rows) == set(TABLES), f"tables only in the doc: {set(rows) - set(TABLES)}, only in code: {set(TABLES) - set(rows)}"
    stale = {name: render_row(t) for name, t in TABLES.items() if rows[name] != render_row(t)}
    assert not stale, "docs/contract.md §1 rows out of date; replace them with:\n" + "\n".join(stale.values())


def test_contract_rows_name_every_column_and_alias():
    # the renderer itself must not drop anything the code knows
    for t in TABLES.values():
        row = render_row(t)
        assert f"`{t.name}` ({t.zh}" in row
        for c in t.columns:
            assert f"`{c.name}` ({', '.join(c.aliases)})" in row
            assert all(a in row for a in c.aliases)


def test_contract_commands_match_the_cli():
    from pipelines.cli import COMMANDS

    text = section(DOCS / "contract.md", "2")
    documented = set(re.findall(r"python -m pipelines ([\w-]+)", text))
    assert documented == set(COMMANDS)


# name -> (module, attribute) holding its contract columns, in order
RESULT_COLUMN_SOURCES = {
    "task_status": [("models.cards", "RESULT_COLUMNS")],
    "unit_scores": [("models.scoring", "RESULT_COLUMNS")],
    "cadre_scores": [("models.composite", "RESULT_COLUMNS")],
    "quadrants": [("models.quadrant", "QUADRANT_COLUMNS")],
    "contributions": [("models.attribution", "CONTRIBUTION_COLUMNS"),
                      ("models.attribution.estimator", "CONTRIBUTION_COLUMNS")],
    "platform_effects": [("models.attribution", "PLATFORM_COLUMNS"),
                         ("models.attribution.estimator", "PLATFORM_COLUMNS")],
    "anomalies": [("models.rules.flags", "FLAG_COLUMNS"), ("models.anomaly_rules", "FLAG_COLUMNS"),
                  ("models.anomaly", "FLAG_COLUMNS")],
}


def documented_results() -> dict[str, list[str]]:
    """Result name -> the columns of its §3 row's third cell (the contract columns, in order)."""
    out = {}
    for name, line in table_rows(section(DOCS / "contract.md", "3")).items():
        cells = [c.strip() for c in line.strip("|").split("|")]
        out[name] = re.findall(r"`(\w+)`", cells[2])
    return out


def test_contract_results_match_export():
    from pipelines.export import RESULTS

    assert set(documented_results()) == set(RESULTS)


@pytest.mark.parametrize("name", sorted(RESULT_COLUMN_SOURCES))
def test_contract_result_columns_match_the_models(name):
    for module, attribute in RESULT_COLUMN_SOURCES[name]:
        try:
            columns = getattr(importlib.import_module(module), attribute)
            break
        except (ImportError, AttributeError):
            continue
    else:  # moved: the export test's pinned list (checked there against a real export) stands in
        from tests.test_cli import CONTRACT_COLUMNS as columns_by_name

        columns = columns_by_name[name]
    assert documented_results()[name] == list(columns)


def test_contract_result_columns_of_inspection_targets_and_checks():
    from pipelines.export import LEADING

    docs = documented_results()
    assert docs["inspection_targets"] == LEADING["inspection_targets"]
    assert docs["checks"] == TABLES["checks"].column_names + ["applied"]


# --- paths named in docs ---------------------------------------------------------------------

def named_paths(text: str) -> list[str]:
    out = []
    for token in BACKTICKED.findall(text):
        token = re.sub(r"<[^>]*>", "*", token.rstrip(".,;:"))
        if token.startswith(PATH_PREFIXES) and re.fullmatch(r"[\w./*-]+", token):
            out.append(token.split("::")[0])
    return out


def path_exists(path: str) -> bool:
    if any(ch in path for ch in "*?["):
        return any(ROOT.glob(path.rstrip("/")))
    return (ROOT / path.rstrip("/")).exists()


def test_named_path_pattern():
    text = "see `models/period.py`, `pipelines/sql/staging/<table>.sql`, `ui/` and `python -m pipelines ingest`"
    assert named_paths(text) == ["models/period.py", "pipelines/sql/staging/*.sql", "ui/"]
    assert path_exists("pipelines/sql/staging/*.sql") and not path_exists("models/no_such_module.py")


@pytest.mark.parametrize("doc_name", ["domain.md", "contract.md", "architecture.md"])
def test_paths_named_in_docs_exist(doc_name):
    doc = DOCS / doc_name
    if not doc.exists():
        pytest.skip(f"docs/{doc_name} not written yet")
    missing = [p for p in named_paths(doc.read_text(encoding="utf-8")) if not path_exists(p)]
    assert not missing, f"docs/{doc_name} names paths that do not exist: {missing}"


if __name__ == "__main__":
    for table in TABLES.values():
        print(render_row(table))
