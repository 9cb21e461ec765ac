"""Shared fixtures for the ingestion tests: a small valid batch covering every input table, data
homes in tmp_path, and helpers that snapshot a home so tests can prove nothing committed changed.

Everything here is deterministic and offline.
"""
from __future__ import annotations

import csv
import hashlib
import os
import shutil
from pathlib import Path

import pytest

from pipelines import db
from pipelines.home import Home

REPO = Path(__file__).resolve().parents[1]
# A mark or check saved by a page test must not start a background rebuild of the test's home.
os.environ["SHIJI_REFRESH"] = "off"

# --- the valid batch -------------------------------------------------------------------------

UNITS = [
    ("U01", "城关街道", "街道", ""),
    ("U02", "东湖镇", "镇", ""),
    ("U03", "西山乡", "乡", ""),
    ("U04", "高新区", "平台", ""),
    ("U05", "发改委", "部门", ""),
]
CADRES = [
    ("C01", "张伟", "1975", "正科", "综合"),
    ("C02", "王芳", "1980", "正科", "招商"),
    ("C03", "李强", "1978", "副科", "工业"),
    ("C04", "刘洋", "1985", "副科", "招商"),
    ("C05", "陈静", "1982", "正科", "综合"),
    ("C06", "杨磊", "1979", "正科", "工业"),
    ("C07", "赵敏", "1988", "副科", "综合"),
]
# indicators the generated values use, with a value generator per indicator (deterministic)
VALUE_INDICATORS = ("gpb_revenue", "ind_va_growth", "fai_growth", "exports")


def _months(first_year: int, n: int) -> list[str]:
    return [f"{first_year + (i // 12)}-{i % 12 + 1:02d}" for i in range(n)]


def _value(indicator: str, u: int, m: int) -> tuple[str, str]:
    """A plausible (value, target) for unit number u and month index m; fixed arithmetic, no RNG."""
    if indicator.endswith("growth"):
        v = 3.0 + ((u * 7 + m * 3) % 17) * 0.5
        return f"{v:.1f}", "6.5"
    base = 1000 + u * 137 + m * 41
    return f"{base:.1f}", f"{base * 1.05:.1f}"


def write_csv(path: Path, header, rows, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding=encoding) as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def valid_tables(units: int = 0, months: int = 6) -> dict[str, tuple[list[str], list[tuple]]]:
    """The valid batch as {table: (header, rows)}.

    ``units`` extra generated street units (U100…) and ``months`` of indicator values make the
    batch as large as a test needs (the crash test uses a few thousand indicator_values rows).
    """
    unit_rows = list(UNITS) + [(f"U{100 + i}", f"生成街道{i}", "街道", "U01") for i in range(units)]
    value_units = ["U01", "U02", "U03", "U04"] + [f"U{100 + i}" for i in range(units)]
    values = []
    for u, unit in enumerate(value_units):
        for ind in VALUE_INDICATORS:
            for m, period in enumerate(_months(2023, months)):
                v, t = _value(ind, u, m)
                values.append((unit, ind, period, v, t, ""))
    values.append(("U05", "service_sat", "2024-Q1", "91.5", "90", ""))
    return {
        "indicators": (
            ["indicator", "name", "unit", "direction", "frequency", "cumulative", "kind", "unit_type"],
            [("service_sat", "群众满意度", "%", "1", "quarter", "false", "other", "部门")],
        ),
        "units": (["unit_id", "name", "unit_type", "parent_id"], unit_rows),
        "cadres": (["cadre_id", "name", "birth_year", "rank", "role_type"], CADRES),
        "assignments": (
            ["cadre_id", "unit_id", "post", "start", "end", "share", "indicators"],
            [
                ("C01", "U01", "书记", "2022-01-01", "2023-06-30", "1", ""),
                ("C02", "U01", "书记", "2023-07-01", "", "1", ""),
                ("C03", "U02", "镇长", "2022-01-01", "", "0.6", ""),
                ("C04", "U02", "副镇长", "2022-03-01", "", "0.4", "gpb_revenue;exports"),
                ("C05", "U03", "乡长", "2022-01-01", "", "1", ""),
                ("C06", "U04", "主任", "2022-01-01", "", "1", ""),
                ("C07", "U05", "主任", "2022-01-01", "", "1", ""),
            ],
        ),
        "indicator_values": (["unit_id", "indicator", "period", "value", "target", "verified_value"], values),
        "tasks": (
            ["task_id", "year", "title", "category", "unit_id", "lead_cadre_id", "co_cadre_ids", "due", "difficulty"],
            [
                ("T01", "2024", "老旧小区改造", "项目攻坚", "U01", "C02", "C01", "2024-12", "1.2"),
                ("T02", "2024", "亩均效益提升", "改革突破", "U02", "C03", "C04;C06", "2024-09-30", "1.0"),
                ("T03", "2024", "出口争先", "指标争先", "U04", "C06", "", "2024-12-31", ""),
            ],
        ),
        "task_progress": (
            ["task_id", "period", "planned_pct", "actual_pct", "verified_pct", "evidence_count", "reported_at"],
            [
                ("T01", "2024-03", "25", "20", "20", "3", "2024-04-02"),
                ("T01", "2024-06", "50", "45", "", "5", "2024-07-03"),
                ("T02", "2024-03", "30", "35", "35", "2", "2024-04-01"),
                ("T02", "2024-06", "60", "62", "", "4", ""),
                ("T03", "2024-06", "50", "30", "", "1", "2024-07-05"),
            ],
        ),
        "ratings": (
            ["period", "cadre_id", "rater_group", "rater_id", "score", "comment"],
            [
                ("2024", "C02", "上级", "R01", "92", "表现突出"),
                ("2024", "C02", "同级", "R02", "较好", ""),
                ("2024", "C03", "上级", "R01", "85", ""),
                ("2024", "C03", "群众", "R10", "好", ""),
                ("2024", "C06", "服务对象", "R20", "78.5", ""),
            ],
        ),
        "projects": (
            ["project_id", "unit_id", "cadre_id", "name", "agreed_investment",
             "signed", "landed", "started", "producing", "at_capacity"],
            [
                ("P01", "U04", "C06", "新能源电池项目", "50000", "2023-03-01", "2023-06-15", "2023-09-01", "2024-05-01", ""),
                ("P02", "U02", "C04", "智能装备产业园", "12000", "2023-08-10", "2024-01-20", "", "", ""),
                ("P03", "U04", "C02", "生物医药基地", "8000", "2024-02-01", "", "", "", ""),
            ],
        ),
        "enterprises": (
            ["enterprise_id", "unit_id", "land_mu", "above_scale", "cadre_id"],
            [
                ("E01", "U02", "120.5", "true", "C03"),
                ("E02", "U02", "45", "false", ""),
                ("E03", "U04", "300", "true", "C06"),
            ],
        ),
        "enterprise_years": (
            ["enterprise_id", "year", "tax", "value_added", "energy_tce", "emission_t",
             "employees", "rd_expense", "revenue"],
            [
                ("E01", "2023", "850", "5200", "3100", "120", "310", "260", "21000"),
                ("E01", "2024", "910", "5600", "3050", "115", "325", "300", "23000"),
                ("E02", "2024", "60", "400", "", "", "40", "", "1500"),
                ("E03", "2023", "2400", "15000", "9800", "400", "820", "900", "60000"),
                ("E03", "2024", "2600", "16100", "9500", "390", "860", "1000", "64000"),
            ],
        ),
    }


INPUT_TABLES = ("units", "cadres", "assignments", "indicator_values", "tasks", "task_progress",
                "ratings", "projects", "enterprises", "enterprise_years")


def write_valid_batch(folder: Path, units: int = 0, months: int = 6, indicators: bool = True,
                      only: tuple[str, ...] | None = None) -> Path:
    """Write a complete, valid batch (all 10 input tables, plus the optional ``indicators`` table)
    as UTF-8 CSV files into ``folder``; returns ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, (header, rows) in valid_tables(units, months).items():
        if name == "indicators" and not indicators:
            continue
        if only is not None and name not in only:
            continue
        write_csv(folder / f"{name}.csv", header, rows)
    return folder


def expected_counts(units: int = 0, months: int = 6, indicators: bool = True) -> dict[str, int]:
    counts = {name: len(rows) for name, (_, rows) in valid_tables(units, months).items()}
    if not indicators:
        counts["indicators"] = 0
    return counts


# --- snapshots -------------------------------------------------------------------------------

def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def listing(folder: Path) -> list[str]:
    folder = Path(folder)
    if not folder.exists():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def snapshot(home: Home) -> dict:
    """Everything a rejected batch must leave untouched: the pointer, the current version's bytes,
    the warehouse and archive listings (reports/ is allowed to grow)."""
    current = home.current()
    return {
        "CURRENT": sha256(home.pointer) if home.pointer.exists() else None,
        "version": current["version"] if current else None,
        "version_sha": sha256(current["path"]) if current else None,
        "warehouse": listing(home.warehouse),
        "archive": listing(home.archive),
        "archive_sha": {p: sha256(home.archive / p) for p in listing(home.archive) if (home.archive / p).is_file()},
    }


# --- fixtures --------------------------------------------------------------------------------

def pytest_configure(config):
    config.addinivalue_line("markers", "real_steps: build versions with the analytics steps (models/) "
                                       "in tests that otherwise build ingestion-only versions")


@pytest.fixture
def home(tmp_path) -> Home:
    """An empty data home."""
    return Home(tmp_path / "home")


@pytest.fixture
def valid_batch(tmp_path) -> Path:
    return write_valid_batch(tmp_path / "valid")


@pytest.fixture(scope="session")
def published_template(tmp_path_factory) -> Path:
    """A data home with the valid batch ingested once (v000001); copied by ``published_home``."""
    from pipelines.ingest import ingest

    root = tmp_path_factory.mktemp("template")
    batch = write_valid_batch(root / "valid")
    h = Home(root / "home")
    outcome = ingest(batch, h, steps=[])  # ingestion only: the corpus never reaches a build
    assert outcome.status == "published", outcome.issues
    db.close_all()
    return h.root


@pytest.fixture
def published_home(published_template, tmp_path) -> Home:
    """A fresh copy of a home whose current version holds the valid batch."""
    dest = tmp_path / "home"
    shutil.copytree(published_template, dest)
    yield Home(dest)
    db.close_all()


# Session fixtures shared by many modules are registered here, once: a fixture imported into
# several test modules would be a separate fixture per module (a new demo build, a second
# Playwright instance in the same thread).
from tests.browser import app_url, browser  # noqa: E402,F401
from tests.demo_world import demo_batch, demo_world  # noqa: E402,F401
from tests.hostile import hostile_template  # noqa: E402,F401
from tests.worlds import built_world  # noqa: E402,F401


@pytest.fixture(scope="session")
def analysed_template(tmp_path_factory):
    """The small valid batch built through the CLI with every analytics step (the published_home
    template skips them); copied by ``analysed_home`` for tests that write."""
    from pipelines import cli

    root = tmp_path_factory.mktemp("analysed_world")
    assert cli.main(["ingest", str(write_valid_batch(root / "batch")), "--home", str(root / "home")]) == 0
    db.close_all()
    return root / "home"


@pytest.fixture
def analysed_home(analysed_template, tmp_path):
    shutil.copytree(analysed_template, tmp_path / "home")
    yield Home(tmp_path / "home")
    db.close_all()


@pytest.fixture()
def checked(tmp_path_factory, monkeypatch):
    """The small batch with two 核验记录 (tests/checks_batch.py), as the app's data home."""
    from tests.checks_batch import checked_home

    home = checked_home(tmp_path_factory)
    monkeypatch.setenv("SHIJI_HOME", str(home.root))
    yield home
    db.close_reader(home.current_path())
