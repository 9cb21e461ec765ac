"""Ingest, no-op re-ingest, incremental batches, rollback, rebuild, internal failures, and the
crash test: an ingest killed with SIGKILL at any moment never damages what is published."""
from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from pipelines import build, cli, db
from pipelines.contract import TABLE_ORDER
from pipelines.home import VERSION_RE, Home
from pipelines.ingest import ingest, rebuild, rollback
from tests.bad_inputs import csv_text, xlsx_bytes
from tests.conftest import REPO, expected_counts, sha256, snapshot, valid_tables, write_csv, write_valid_batch


@pytest.fixture(autouse=True)
def _ingestion_only(request, monkeypatch):
    """Versions are built without the analytics steps (models/) unless a test is marked
    ``real_steps``: these tests are about ingestion; the steps have their own tests."""
    if request.node.get_closest_marker("real_steps") is None:
        monkeypatch.setattr("pipelines.steps.default_steps", lambda *args, **kwargs: [])
    yield
    db.close_all()


def sql(path: Path, query: str, params=None) -> pd.DataFrame:
    """Through the app's read-only reader (one DuckDB configuration per file per process)."""
    return db.query(path, query, params)


def raw_table(path: Path, name: str) -> pd.DataFrame:
    frame = sql(path, f"SELECT * FROM raw.{name}")
    key = [c for c in frame.columns if not c.startswith("_")]
    return frame.sort_values(key).reset_index(drop=True)


def counts(path: Path) -> dict[str, int]:
    return build.row_counts(path)


def run_cli(*args) -> int:
    return cli.main([str(a) for a in args])


# --- happy path --------------------------------------------------------------------------------

@pytest.mark.real_steps
def test_happy_path_publishes_a_complete_version(home, valid_batch, capsys):
    assert run_cli("ingest", valid_batch, "--home", home.root) == 0
    assert "已发布版本 v000001" in capsys.readouterr().out
    current = home.current()
    assert current["version"] == "v000001" and current["path"].name == "v000001.duckdb"
    assert counts(current["path"]) == expected_counts()
    info = build.read_info(current["path"])
    assert info["version"] == "v000001" and info["as_of"] == "2024-06" and info["built_at"] and info["schema_version"]
    manifest = build.read_manifest(current["path"])
    assert [b["seq"] for b in manifest["batches"]] == [1]
    assert sorted(f["name"] for f in manifest["batches"][0]["files"]) == sorted(p.name for p in valid_batch.iterdir())
    for f in manifest["batches"][0]["files"]:  # every accepted file is archived, byte for byte
        assert sha256(home.archive_path(f["sha256"], f["suffix"])) == f["sha256"] == sha256(valid_batch / f["name"])
    assert not list(home.warehouse.glob("*.building*"))
    # provenance: the row the user sees
    units = raw_table(current["path"], "units")
    assert units.loc[units["unit_id"] == "U03", ["_source", "_row", "_batch"]].values.tolist() == [["units.csv", 4, 1]]
    assert run_cli("status", "--home", home.root) == 0
    assert "v000001" in capsys.readouterr().out


def test_indicator_names_are_stored_as_codes(home, tmp_path):
    folder = write_valid_batch(tmp_path / "b")
    write_csv(folder / "indicator_values.csv", ["单位编码", "指标", "期间", "数值"],
              [["U01", "一般公共预算收入", "2024年3月", "1,234.5万元"], ["U05", "群众满意度", "2024年一季度", "90"]])
    assert ingest(folder, home).status == "published"
    iv = raw_table(home.current_path(), "indicator_values")
    assert iv[["unit_id", "indicator", "period", "value"]].values.tolist() == [
        ["U01", "gpb_revenue", "2024-03", 1234.5], ["U05", "service_sat", "2024-Q1", 90.0]]


def chinese_folder_batch(folder: Path) -> Path:
    """Chinese everything: a workbook with Chinese sheet names and a merged two-row header, a
    GB18030 CSV, a UTF-8-BOM CSV, all the period and amount spellings, full-width digits."""
    folder.mkdir(parents=True, exist_ok=True)
    t = valid_tables()
    wb = openpyxl.Workbook()
    wb.remove(wb.active)

    def sheet(title, header, rows):
        ws = wb.create_sheet(title)
        ws.append(header)
        for r in rows:
            ws.append(list(r))
        return ws

    sheet("单位", ["单位编码", "单位名称", "单位类型", "上级单位"], t["units"][1])
    sheet("干部", ["干部编码", "姓名", "出生年份", "职级", "条线"], [("Ｃ０１", "张伟", "１９７５", "正科", "综合"), *t["cadres"][1][1:]])
    sheet("任职", ["干部编码", "单位编码", "职务", "任职起始", "任职结束", "责任份额", "分管指标"],
          [(*r[:5], r[5], r[6].replace("gpb_revenue", "一般公共预算收入")) for r in t["assignments"][1]])
    sheet("任务", ["任务编码", "年度", "任务名称", "类别", "责任单位", "责任人", "配合干部", "完成时限", "难度系数"],
          [(*r[:7], "2024年12月", r[8]) for r in t["tasks"][1]])
    ws = wb.create_sheet("任务进度")
    ws.append(["任务编码", "期间", "进度", None, "佐证数"])
    ws.append([None, None, "计划进度", "实际进度", None])
    for cell in ("A1:A2", "B1:B2", "C1:D1", "E1:E2"):
        ws.merge_cells(cell)
    ws.append(["T01", "2024年3月", "25%", "２０", 3])
    ws.append(["T02", "2024-Q2", 0.6, 0.62, 4])
    ws["C4"].number_format = ws["D4"].number_format = "0%"
    wb.save(folder / "基础信息.xlsx")

    write_csv(folder / "指标数据.csv", ["单位编码", "指标", "期间", "数值", "目标值"], [
        ["U01", "一般公共预算收入", "2024年3月", "1,234.5万元", "1,300"],
        ["U01", "一般公共预算收入", "2024年1-2月", "８８０．５", ""],
        ["U02", "规上工业增加值增速", "2024-03", "12.5%", "10％"],
        ["U05", "地区生产总值增速", "2024-Q1", "5.2", ""],
        ["U05", "城乡居民人均可支配收入", "2024年一季度", "12,345元", ""],
        ["U04", "exports", "2024年", "３，４５６", ""],
    ], encoding="gb18030")
    write_csv(folder / "企业.csv", ["企业编码", "单位编码", "用地面积", "规上", "挂联干部"],
              [["E01", "U02", "120.5亩", "是", "C03"], ["E02", "U02", "45亩", "否", ""]], encoding="utf-8-sig")
    write_csv(folder / "企业年度.csv", ["企业编码", "年份", "税收", "增加值"],
              [["E01", "2024", "0.091亿元", "0.56亿元"], ["E02", "2024", "0.006亿元", "0.04亿元"]])
    return folder


def test_chinese_batch_end_to_end(home, tmp_path):
    outcome = ingest(chinese_folder_batch(tmp_path / "中文批次"), home)
    assert outcome.status == "published", [i.line() for i in outcome.issues]
    path = home.current_path()
    iv = raw_table(path, "indicator_values").set_index(["unit_id", "indicator", "period"])
    assert iv.loc[("U01", "gpb_revenue", "2024-03"), ["value", "target"]].tolist() == [1234.5, 1300.0]
    assert iv.loc[("U01", "gpb_revenue", "2024-02"), "value"] == 880.5
    assert iv.loc[("U02", "ind_va_growth", "2024-03"), ["value", "target"]].tolist() == [12.5, 10.0]
    assert iv.loc[("U05", "gdp_growth", "2024-Q1"), "value"] == 5.2
    assert iv.loc[("U05", "income_per_capita", "2024-Q1"), "value"] == 12345.0
    assert iv.loc[("U04", "exports", "2024"), "value"] == 3456.0
    tp = raw_table(path, "task_progress").set_index(["task_id", "period"])
    assert tp.loc[("T01", "2024-03"), ["planned_pct", "actual_pct", "evidence_count"]].tolist() == [25.0, 20.0, 3]
    assert tp.loc[("T02", "2024-Q2"), ["planned_pct", "actual_pct"]].tolist() == [pytest.approx(60.0), pytest.approx(62.0)]
    tp_sources = set(raw_table(path, "task_progress")["_source"])
    assert tp_sources == {"基础信息.xlsx:任务进度"}
    assert set(raw_table(path, "task_progress")["_row"]) == {3, 4}
    cadres = raw_table(path, "cadres")
    assert cadres.loc[cadres["cadre_id"] == "C01", "birth_year"].tolist() == [1975]
    asg = raw_table(path, "assignments")
    assert asg.loc[asg["cadre_id"] == "C04", "indicators"].tolist() == ["gpb_revenue;exports"]
    tasks = raw_table(path, "tasks")
    assert set(tasks["due"].astype(str)) == {"2024-12-31"}
    ent = raw_table(path, "enterprises")
    assert ent["land_mu"].tolist() == [120.5, 45.0] and ent["above_scale"].tolist() == [True, False]
    ey = raw_table(path, "enterprise_years")
    assert ey["tax"].tolist() == [pytest.approx(910.0), pytest.approx(60.0)]
    assert ey["value_added"].tolist() == [pytest.approx(5600.0), pytest.approx(400.0)]


@pytest.mark.real_steps
def test_single_workbook_batch_with_chinese_sheets(home, tmp_path):
    t = valid_tables()
    sheets = {"单位": [["单位编码", "单位名称", "单位类型"], *[list(r[:3]) for r in t["units"][1]]],
              "干部": [["干部编码", "姓名"], *[list(r[:2]) for r in t["cadres"][1]]],
              "任职": [["干部编码", "单位编码", "任职起始"], ["C02", "U01", "2023年7月1日"]],
              "指标数据": [["单位编码", "指标", "期间", "数值"], ["U01", "一般公共预算收入", "2024年3月", 1234.5]],
              "封面": [["2024年一季度报送"]]}
    book = tmp_path / "2024年一季度.xlsx"
    book.write_bytes(xlsx_bytes(sheets))
    outcome = ingest(book, home)
    assert outcome.status == "published", [i.line() for i in outcome.issues]
    assert outcome.rows["units"] == 5 and outcome.rows["assignments"] == 1
    assert any("封面" in n for n in outcome.notices)
    # the same workbook again is a no-op; rebuild replays the single-file batch
    assert ingest(book, home).status == "unchanged"
    before = raw_table(home.current_path(), "assignments")
    assert rebuild(home).status == "published"
    pd.testing.assert_frame_equal(raw_table(home.current_path(), "assignments"), before)


# --- no-op, incremental ------------------------------------------------------------------------

def test_reingesting_identical_files_is_a_noop(published_home, tmp_path, capsys):
    again = write_valid_batch(tmp_path / "again")  # same bytes, another folder, new mtimes
    before = snapshot(published_home)
    assert run_cli("ingest", again, "--home", published_home.root) == 0
    assert "无变化" in capsys.readouterr().out
    assert snapshot(published_home) == before
    one = write_valid_batch(tmp_path / "one", only=("ratings",))  # a subset of an accepted batch
    assert ingest(one, published_home).status == "unchanged"
    assert snapshot(published_home) == before


def test_incremental_batch_replaces_rows_by_key_and_keeps_other_tables(published_home, tmp_path):
    v1 = published_home.current_path()
    header, rows = valid_tables()["units"]
    batch = tmp_path / "inc"
    write_csv(batch / "units.csv", header, [("U01", "城关街道(新)", "街道", ""), ("U06", "南湖镇", "镇", "")])
    iv_header, iv_rows = valid_tables()["indicator_values"]
    write_csv(batch / "indicator_values.csv", iv_header, [("U01", "gpb_revenue", "2023-01", "999", "", ""),
                                                          ("U06", "gpb_revenue", "2023-01", "10", "", "")])
    outcome = ingest(batch, published_home)
    assert outcome.status == "published" and outcome.version == "v000002"
    assert outcome.rows["units"] == 2 and outcome.rows["cadres"] == 0
    v2 = published_home.current_path()
    exp = expected_counts()
    assert counts(v2) == {**exp, "units": exp["units"] + 1, "indicator_values": exp["indicator_values"] + 1}
    units = raw_table(v2, "units").set_index("unit_id")
    assert units.loc["U01", "name"] == "城关街道(新)" and units.loc["U01", "_batch"] == 2
    assert units.loc["U02", "name"] == "东湖镇" and units.loc["U02", "_batch"] == 1
    iv = raw_table(v2, "indicator_values").set_index(["unit_id", "indicator", "period"])
    assert iv.loc[("U01", "gpb_revenue", "2023-01"), "value"] == 999.0
    assert pd.isna(iv.loc[("U01", "gpb_revenue", "2023-01"), "target"])  # the whole row is replaced
    for name in TABLE_ORDER:
        if name not in ("units", "indicator_values"):
            pd.testing.assert_frame_equal(raw_table(v2, name), raw_table(v1, name))
    assert len(build.read_manifest(v2)["batches"]) == 2
    assert sha256(v1) == sha256(published_home.version_path("v000001"))  # the old version is untouched


def test_batch_may_reference_published_rows(published_home, tmp_path):
    batch = tmp_path / "refs"
    write_csv(batch / "task_progress.csv", ["task_id", "period", "planned_pct", "actual_pct"], [["T03", "2024-09", "75", "60"]])
    assert ingest(batch, published_home).status == "published"


def test_resending_an_older_file_after_a_change_is_not_a_noop(published_home, tmp_path):
    header, rows = valid_tables()["units"]
    changed = tmp_path / "changed"
    write_csv(changed / "units.csv", header, [("U01", "改名街道", "街道", "")])
    assert ingest(changed, published_home).status == "published"
    original = write_valid_batch(tmp_path / "original", only=("units",))
    assert ingest(original, published_home).status == "published"
    units = raw_table(published_home.current_path(), "units").set_index("unit_id")
    assert units.loc["U01", "name"] == "城关街道"


def test_known_bytes_under_another_table_name_are_validated(published_home, tmp_path):
    batch = tmp_path / "renamed"
    batch.mkdir()
    shutil.copyfile(write_valid_batch(tmp_path / "v", only=("units",)) / "units.csv", batch / "cadres.csv")
    assert ingest(batch, published_home).status == "rejected"  # no cadre_id column


# --- rollback, rebuild -------------------------------------------------------------------------

def second_batch(tmp_path: Path) -> Path:
    header, _ = valid_tables()["cadres"]
    return Path(write_csv(tmp_path / "b2" / "cadres.csv", header, [("C08", "孙丽", "1990", "科员", "综合")]).parent)


def test_rollback(published_home, tmp_path, capsys):
    v2 = ingest(second_batch(tmp_path), published_home).version
    assert v2 == "v000002"
    v2_sha = sha256(published_home.version_path(v2))
    assert run_cli("rollback", "--home", published_home.root) == 0
    assert "v000001" in capsys.readouterr().out
    assert published_home.current()["version"] == "v000001"
    assert published_home.current()["rolled_back_from"] == "v000002"
    assert counts(published_home.current_path())["cadres"] == 7
    assert sha256(published_home.version_path(v2)) == v2_sha  # rolled-away version kept intact
    with pytest.raises(ValueError):
        rollback(published_home)  # nothing earlier than v000001
    assert run_cli("rollback", "v000009", "--home", published_home.root) == 2
    assert published_home.current()["version"] == "v000001"
    assert rollback(published_home, "v000002") == "v000002"
    assert counts(published_home.current_path())["cadres"] == 8
    # a batch after a rollback builds on the version rolled back to
    rollback(published_home, "v000001")
    header, _ = valid_tables()["cadres"]
    write_csv(tmp_path / "b3" / "cadres.csv", header, [("C09", "周明", "1991", "科员", "综合")])
    outcome = ingest(tmp_path / "b3", published_home)
    assert outcome.version == "v000003"
    cadres = set(raw_table(published_home.current_path(), "cadres")["cadre_id"])
    assert "C09" in cadres and "C08" not in cadres


def test_rebuild_reproduces_the_data_from_the_archive(published_home, tmp_path, capsys):
    ingest(second_batch(tmp_path), published_home)
    inc = tmp_path / "inc"
    write_csv(inc / "units.csv", ["单位编码", "单位名称", "单位类型"], [("U02", "东湖镇(改)", "镇")])
    assert ingest(inc, published_home).version == "v000003"
    v3 = published_home.current_path()
    shutil.rmtree(tmp_path / "b2")  # the sources are gone: only the archive remains
    shutil.rmtree(inc)
    assert run_cli("rebuild", "--home", published_home.root) == 0
    assert "v000004" in capsys.readouterr().out
    v4 = published_home.current_path()
    assert v4.name == "v000004.duckdb"
    for name in TABLE_ORDER:
        pd.testing.assert_frame_equal(raw_table(v4, name), raw_table(v3, name))
    assert build.read_manifest(v4) == build.read_manifest(v3)
    assert build.read_info(v4)["version"] == "v000004"


def test_rebuild_of_an_empty_home(home):
    assert rebuild(home).status == "unchanged"
    assert home.current() is None


# --- failures that are not the user's fault ------------------------------------------------------

def test_failing_build_step_publishes_nothing(published_home, tmp_path):
    before = snapshot(published_home)

    def broken_step(con):
        raise RuntimeError("model crashed")

    with pytest.raises(RuntimeError):
        ingest(second_batch(tmp_path), published_home, steps=[broken_step])
    assert published_home.current()["version"] == before["version"]
    assert sha256(published_home.current_path()) == before["version_sha"]
    assert published_home.versions() == ["v000001"]
    # the next run cleans the partial build and succeeds
    assert ingest(second_batch(tmp_path), published_home).version == "v000002"
    assert not list(published_home.warehouse.glob("*.building*"))


def test_ingest_while_another_writer_holds_the_lock(published_home, tmp_path, capsys):
    before = snapshot(published_home)
    with published_home.writer_lock():
        assert run_cli("ingest", second_batch(tmp_path), "--home", published_home.root) == 1
    assert "正在写入" in capsys.readouterr().err
    assert snapshot(published_home) == before


# --- crash test --------------------------------------------------------------------------------

CRASH_SEED = 20240317
CRASH_KILLS = 4
CRASH_UNITS, CRASH_MONTHS = 30, 24
MARK = ("U01", "gpb_revenue", "2023-01")
# Ingest processes are forked from a warmed-up "zygote" (interpreter and libraries loaded, no
# threads of its own but allocator housekeeping): each child runs the real CLI, ``ingest PATH
# --home DIR``. Kill moments are measured from the fork, so every kill lands in ingest work (read,
# validate, archive, build, publish) rather than in Python start-up, and a round costs no start-up.
# The zygote reaps a child only when told to, so the pid we kill is always our own child.
ZYGOTE = r"""
import os, sys
import pandera.pandas, duckdb, openpyxl
from pipelines import cli, ingest, build, validate, readers, coerce, steps
steps.default_steps = lambda *args, **kwargs: []  # ingestion only (see _ingestion_only); the final ingest has them
# warm the lazy parts (pandera backends, dictionary, regexes) without touching DuckDB, so every
# child starts equally warm and the zygote has no DuckDB threads when it forks
ingest.parse_batch(sys.argv[1], build.load_state(None), __import__("datetime").date.today())
print("ready", flush=True)
child = None
for line in sys.stdin:
    cmd, *args = line.rstrip("\n").split("\t")
    if cmd == "run":
        child = os.fork()
        if child == 0:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.dup2(null, 2)
            try:
                code = cli.main(args)
            except BaseException:
                code = 1
            os._exit(code if isinstance(code, int) else 1)
        print(f"pid {child}", flush=True)
    elif cmd == "reap":
        _, status = os.waitpid(child, 0)
        print(f"exit {status}", flush=True)
    else:
        break
"""


class Zygote:
    def __init__(self, warmup_batch: Path):
        env = {k: v for k, v in os.environ.items() if k != "SHIJI_HOME"}
        env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
        self.proc = subprocess.Popen([sys.executable, "-c", ZYGOTE, str(warmup_batch)], cwd=REPO, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready"

    def _ask(self, line: str) -> str:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().strip()
        assert answer, "zygote died"
        return answer

    def start(self, batch: Path, home: Home) -> tuple[int, float]:
        pid = int(self._ask(f"run\tingest\t{batch}\t--home\t{home.root}").split()[1])
        return pid, time.monotonic()

    @staticmethod
    def done(pid: int) -> bool:
        """The child has exited (it stays a zombie until reaped)."""
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"

    def reap(self) -> int:
        return int(self._ask("reap").split()[1])

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
        self.proc.stdout.close()


def marked_batch(folder: Path, marker: int) -> Path:
    """The big valid batch whose value for MARK is ``marker`` (only indicator_values differs)."""
    write_valid_batch(folder, units=CRASH_UNITS, months=CRASH_MONTHS)
    header, rows = valid_tables(CRASH_UNITS, CRASH_MONTHS)["indicator_values"]
    rows = [list(r) for r in rows]
    assert tuple(rows[0][:3]) == MARK
    rows[0][3] = str(marker)
    (folder / "indicator_values.csv").write_text(csv_text(header, rows), encoding="utf-8")
    return folder


def follow_up_batch(folder: Path, i: int) -> Path:
    header, rows = valid_tables(CRASH_UNITS, CRASH_MONTHS)["units"]
    rows = [list(r) for r in rows]
    rows[0][1] = f"城关街道{i}"
    write_csv(folder / "units.csv", header, rows)
    return folder


def inspect_version(path: Path) -> dict:
    info = build.read_info(path)
    marker = sql(path, "SELECT value FROM raw.indicator_values WHERE unit_id=$u AND indicator=$i AND period=$p",
                 dict(zip("uip", MARK)))["value"].tolist()
    return {"info": info, "counts": counts(path), "marker": marker[0] if marker else None}


def test_sigkill_at_random_moments_never_damages_the_published_version(tmp_path):
    rng = random.Random(CRASH_SEED)
    started = time.monotonic()
    home = Home(tmp_path / "home")
    expected = expected_counts(CRASH_UNITS, CRASH_MONTHS)
    assert expected["indicator_values"] > 2500
    zygote = Zygote(write_valid_batch(tmp_path / "warmup"))
    try:
        assert ingest(marked_batch(tmp_path / "m0", 0), home).status == "published"

        # how long a normal ingest of such a batch takes (the mean of two runs)
        durations = []
        for marker in (1, 2):
            pid, t0 = zygote.start(marked_batch(tmp_path / f"m{marker}", marker), home)
            while not zygote.done(pid):
                assert time.monotonic() - t0 < 120, "ingest hangs"
                time.sleep(0.002)
            durations.append(time.monotonic() - t0)
            assert zygote.reap() == 0
        duration = sum(durations) / len(durations)

        # stratified, seeded kill moments over 0 .. 1.2 × duration, in random order
        delays = [(k + rng.random()) / CRASH_KILLS * 1.2 * duration for k in range(CRASH_KILLS)]
        rng.shuffle(delays)
        outcomes = {"killed": 0, "finished": 0, "killed_mid_build": 0, "published_then_killed": 0}
        verified: dict[str, str] = {}
        for i, delay in enumerate(delays, start=3):
            before = home.current()
            before_sha = sha256(before["path"])
            pid, t0 = zygote.start(marked_batch(tmp_path / f"m{i}", 1000 + i), home)
            while not zygote.done(pid) and time.monotonic() - t0 < delay:
                time.sleep(0.002)
            os.kill(pid, signal.SIGKILL)  # our unreaped child: a no-op if it has already exited
            status = zygote.reap()
            killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
            if killed:
                outcomes["killed"] += 1
            else:
                assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
                outcomes["finished"] += 1

            outcomes["killed_mid_build"] += killed and any(home.warehouse.glob("*.building"))

            # the pointer names a complete, final version file …
            record = json.loads(home.pointer.read_text(encoding="utf-8"))
            assert VERSION_RE.match(record["file"]) and not record["file"].endswith(".building"), record
            current = home.current()
            assert current["path"].exists()
            state = inspect_version(current["path"])
            assert state["counts"] == expected
            assert state["info"]["version"] == current["version"] and state["info"]["as_of"]
            if current["version"] == before["version"]:
                assert sha256(current["path"]) == before_sha  # byte-for-byte the same
                assert state["marker"] == marker
            else:
                assert current["version"] > before["version"]
                assert state["marker"] == 1000 + i
                marker = 1000 + i
                outcomes["published_then_killed"] += killed
            # … and so is every other version under a final name; once final, never modified
            for v in home.versions():
                digest = sha256(home.version_path(v))
                if v not in verified:
                    assert inspect_version(home.version_path(v))["counts"] == expected, v
                    verified[v] = digest
                assert verified[v] == digest, v

            # a following ingest succeeds and leaves no partial build behind (analytics steps
            # skipped here for time; the last ingest below is a complete normal one)
            follow = ingest(follow_up_batch(tmp_path / f"f{i}", i), home, steps=[])
            assert follow.status == "published", [x.line() for x in follow.issues]
            after = inspect_version(home.current_path())
            assert after["counts"] == expected and after["marker"] == marker
            verified[follow.version] = sha256(home.current_path())
            assert not list(home.warehouse.glob("*.building*"))
            db.close_all()
    finally:
        zygote.close()

    # after all the crashes, a normal ingest (analytics steps included) as a fresh process succeeds
    env = {k: v for k, v in os.environ.items() if k != "SHIJI_HOME"}
    final = subprocess.run([sys.executable, "-m", "pipelines", "ingest", str(marked_batch(tmp_path / "last", 7)),
                            "--home", str(home.root)], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert final.returncode == 0, final.stderr
    state = inspect_version(home.current_path())
    assert state["counts"] == expected and state["marker"] == 7
    assert not list(home.warehouse.glob("*.building*"))

    # every accepted file the current version names is still in the archive, intact
    for batch in build.read_manifest(home.current_path())["batches"]:
        for f in batch["files"]:
            assert sha256(home.archive_path(f["sha256"], f["suffix"])) == f["sha256"]
    elapsed = time.monotonic() - started
    print(f"crash test: ingest {durations[0]:.2f}/{durations[1]:.2f}s, {outcomes}, total {elapsed:.1f}s")
    assert outcomes["killed"] >= CRASH_KILLS // 2


# --- corrections (--replace) and demo provenance -------------------------------------------------

def _assignments_with_c02_moved(folder: Path, start: str) -> Path:
    """The valid assignments table with C02's start at U01 corrected to ``start``."""
    header, rows = valid_tables()["assignments"]
    fixed = [(*r[:3], start, *r[4:]) if r[0] == "C02" else r for r in rows]
    return write_csv(folder / "assignments.csv", header, fixed).parent


def test_a_corrected_assignment_start_is_refused_as_a_merge_and_explained(published_home, tmp_path, capsys):
    # C02 really started a month later: the fixed row is a new key beside the published one
    batch = _assignments_with_c02_moved(tmp_path / "fix", "2023-08-01")
    before = snapshot(published_home)
    assert cli.main(["ingest", str(batch), "--home", str(published_home.root)]) == 2
    err = capsys.readouterr().err
    assert "份额超限" in err and "--replace assignments" in err and "C02(起 2023-07-01)" in err
    assert snapshot(published_home) == before


def test_replace_takes_the_table_whole_and_rebuild_reproduces_it(published_home, tmp_path, capsys):
    batch = _assignments_with_c02_moved(tmp_path / "fix", "2023-08-01")
    assert cli.main(["ingest", "--replace", "assignments", str(batch), "--home", str(published_home.root)]) == 0
    posts = sql(published_home.current_path(), "SELECT start FROM raw.assignments WHERE cadre_id = 'C02'")
    assert [str(d)[:10] for d in posts["start"]] == ["2023-08-01"]  # the wrong-start row is gone
    assert len(sql(published_home.current_path(), "SELECT * FROM raw.assignments")) == len(valid_tables()["assignments"][1])
    assert cli.main(["rebuild", "--home", str(published_home.root)]) == 0
    again = sql(published_home.current_path(), "SELECT start FROM raw.assignments WHERE cadre_id = 'C02'")
    assert [str(d)[:10] for d in again["start"]] == ["2023-08-01"]


def test_replace_must_name_tables_of_the_batch(published_home, tmp_path, capsys):
    batch = _assignments_with_c02_moved(tmp_path / "fix", "2023-08-01")
    before = snapshot(published_home)
    assert cli.main(["ingest", "--replace", "units", str(batch), "--home", str(published_home.root)]) == 2
    assert cli.main(["ingest", "--replace", "nonsense", str(batch), "--home", str(published_home.root)]) == 2
    assert "不在本批次中" in capsys.readouterr().err
    assert snapshot(published_home) == before


def test_replacing_units_may_not_orphan_published_rows(published_home, tmp_path):
    header, rows = valid_tables()["units"]
    batch = write_csv(tmp_path / "u" / "units.csv", header, [r for r in rows if r[0] != "U05"]).parent
    outcome = ingest(batch, published_home, replace=("units",))
    assert outcome.status == "rejected"
    assert {(i.rule, i.value) for i in outcome.issues} >= {("未知单位", "U05")}


def test_real_data_with_a_copied_truth_folder_is_not_demo(home, tmp_path):
    batch = write_valid_batch(tmp_path / "real")
    (batch / "_truth").mkdir()
    (batch / "_truth" / "params.json").write_text('{"seed": 7}', encoding="utf-8")
    assert ingest(batch, home).status == "published"
    assert not build.is_demo(home.current_path())


def test_demo_and_real_data_never_mix(home, tmp_path, capsys):
    demo_batch = write_valid_batch(tmp_path / "demo")
    home.register_demo(demo_batch)  # what `python -m pipelines demo` records for the files it writes
    assert ingest(demo_batch, home).status == "published" and build.is_demo(home.current_path())
    real = write_valid_batch(tmp_path / "real", only=("cadres",))
    header, rows = valid_tables()["cadres"]
    write_csv(real / "cadres.csv", header, [("C99", "真实干部", "1980", "正科", "综合")])
    before = snapshot(home)
    assert cli.main(["ingest", str(real), "--home", str(home.root)]) == 2
    assert "--start-over" in capsys.readouterr().err and snapshot(home) == before
    assert cli.main(["ingest", "--start-over", str(real), "--home", str(home.root)]) == 0
    assert list(sql(home.current_path(), "SELECT cadre_id FROM raw.cadres")["cadre_id"]) == ["C99"]
    assert not build.is_demo(home.current_path())
    assert cli.main(["ingest", str(demo_batch), "--home", str(home.root)]) == 2  # nor the demo into real data


def test_a_version_whose_public_file_failed_is_never_listed_nor_rolled_back_to(published_home, tmp_path,
                                                                                monkeypatch, capsys):
    """The version file gets its final name only after its public file is complete."""
    from pipelines import ingest as ingest_module

    def crash(full_version, public_path):
        raise RuntimeError("killed while building the public file")

    monkeypatch.setattr(ingest_module, "build_public", crash)
    batch = write_valid_batch(tmp_path / "b", months=7)
    before = published_home.versions()
    with pytest.raises(RuntimeError):
        ingest(batch, published_home)
    assert published_home.versions() == before and published_home.current()["version"] == "v000001"
    assert cli.main(["status", "--home", str(published_home.root)]) == 0
    assert "v000002.duckdb.building" in capsys.readouterr().out  # status shows the leftover
    assert cli.main(["rollback", "v000002", "--home", str(published_home.root)]) == 2
    monkeypatch.undo()
    assert ingest(batch, published_home).status == "published"
    assert not list(published_home.warehouse.glob("*.building*"))


def test_an_orphan_public_file_is_removed_by_the_next_ingest(published_home, tmp_path):
    orphan = published_home.public_path("v000009")
    shutil.copyfile(published_home.public_path("v000001"), orphan)
    published_home.clean_partial()
    assert not orphan.exists() and published_home.public_path("v000001").exists()


def test_rollback_skips_a_version_without_public_file(published_home, tmp_path):
    ingest(write_valid_batch(tmp_path / "b", months=7), published_home)
    ingest(write_valid_batch(tmp_path / "c", months=8), published_home)
    published_home.public_path("v000002").unlink()  # e.g. left by older code
    assert rollback(published_home) == "v000001"


def test_unit_boundaries_are_ingested_archived_and_checked_against_the_units(published_home, tmp_path):
    """units.geojson rides along with a batch: rows by unit, rebuilt from the archive; a feature
    for an unknown unit rejects the batch (file, feature number, column, rule) and changes nothing."""
    import json

    def square(x):
        return {"type": "Polygon", "coordinates": [[[x, 28], [x + 0.1, 28], [x + 0.1, 28.1], [x, 28.1], [x, 28]]]}

    def write(folder, units):
        folder.mkdir()
        doc = {"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"unit_id": u}, "geometry": square(121 + k / 10)} for k, u in enumerate(units)]}
        (folder / "units.geojson").write_text(json.dumps(doc), encoding="utf-8")
        return folder

    before = snapshot(published_home)
    outcome = ingest(write(tmp_path / "bad", ["U01", "X99"]), published_home)
    assert outcome.status == "rejected" and snapshot(published_home) == before
    assert [(i.source, i.row, i.column) for i in outcome.issues] == [("units.geojson", 2, "unit_id")]

    assert ingest(write(tmp_path / "good", ["U01", "U02"]), published_home).status == "published"
    path = published_home.current_path()
    shapes = raw_table(path, "unit_boundaries").set_index("unit_id")
    assert sorted(shapes.index) == ["U01", "U02"] and json.loads(shapes.loc["U02", "geometry"]) == square(121.1)
    assert build.row_counts(path)["unit_boundaries"] == 2
    assert rebuild(published_home).status == "published"
    pd.testing.assert_frame_equal(raw_table(published_home.current_path(), "unit_boundaries"), raw_table(path, "unit_boundaries"))
