"""The audit log: hash-chained, signed with a key kept in the state folder, anchored by a record
count and last hash written after every append. Editing, truncating, emptying, deleting and
recomputing, or appending a forged record are all detected; a torn last line is reported and
isolated without losing a record; every page and command that shows named people writes a record."""
import getpass
import hashlib
import json
import os
import shutil
import stat
import threading

import pytest
from streamlit.testing.v1 import AppTest

from pipelines import db
from pipelines.audit import FIELDS, GENESIS, _digest, anchor_path, append, key_path, log_path, verify
from pipelines.cli import main
from pipelines.home import Home
from tests.demo_world import ROOT


def _log(tmp_path, n=5) -> Home:
    home = Home(tmp_path)
    for i in range(n):
        append(home, f"user{i}", "analyst", "view_cadre", page="cadre", filters={"cadre": f"C{i:04d}"}, rows=1)
    return home


def _lines(home) -> list[str]:
    return log_path(home).read_text(encoding="utf-8").splitlines()


def _write(home, lines: list[str]) -> None:
    log_path(home).write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def _rechain(records: list[dict], keep_mac: bool) -> list[str]:
    """What someone without the key can do: recompute the plain SHA-256 chain."""
    prev, out = GENESIS, []
    for record in records:
        body = {k: record.get(k) for k in FIELDS}
        record = {**record, "prev": prev, "hash": _digest(prev, body)}
        if not keep_mac:
            record.pop("mac", None)
        prev = record["hash"]
        out.append(json.dumps(record, ensure_ascii=False))
    return out


def _cli_verify(tmp_path, capsys) -> tuple[int, str]:
    code = main(["audit-verify", "--home", str(tmp_path)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_intact_log_verifies(tmp_path, capsys):
    home = _log(tmp_path)
    assert verify(home)[:2] == (True, 5)
    code, out = _cli_verify(tmp_path, capsys)
    last = json.loads(_lines(home)[-1])["hash"]
    assert code == 0 and "5 条记录" in out and last in out  # the operator notes count and last hash off-host


def test_key_is_private_and_records_are_signed(tmp_path):
    home = _log(tmp_path, 2)
    assert stat.S_IMODE(os.stat(key_path(home)).st_mode) == 0o600
    assert all(len(json.loads(line)["mac"]) == 64 for line in _lines(home))
    anchor = json.loads(anchor_path(home).read_text(encoding="utf-8"))
    assert anchor["count"] == 2 and anchor["last_hash"] == json.loads(_lines(home)[-1])["hash"]


def test_editing_one_line_is_detected(tmp_path, capsys):
    home = _log(tmp_path)
    lines = _lines(home)
    record = json.loads(lines[2])
    record["filters"] = {"cadre": "C9999"}
    lines[2] = json.dumps(record, ensure_ascii=False)
    _write(home, lines)
    ok, checked, message = verify(home)
    assert not ok and checked == 2 and "第3行" in message
    code, out = _cli_verify(tmp_path, capsys)
    assert code == 2 and "第3行" in out


def test_removing_or_reordering_lines_is_detected(tmp_path):
    home = _log(tmp_path)
    lines = _lines(home)
    _write(home, lines[:1] + lines[2:])
    assert not verify(home)[0]
    _write(home, [lines[1], lines[0]] + lines[2:])
    assert not verify(home)[0]


def test_truncated_tail_is_detected(tmp_path, capsys):
    home = _log(tmp_path)
    _write(home, _lines(home)[:3])
    ok, _, message = verify(home)
    assert not ok and "锚点" in message and "5" in message and "3" in message
    code, out = _cli_verify(tmp_path, capsys)
    assert code == 2 and "锚点" in out


def test_emptied_or_deleted_log_is_detected(tmp_path):
    home = _log(tmp_path)
    log_path(home).write_text("", encoding="utf-8")
    assert not verify(home)[0]
    log_path(home).unlink()
    ok, _, message = verify(home)
    assert not ok and "锚点" in message


def test_deleted_anchor_is_detected(tmp_path):
    home = _log(tmp_path)
    anchor_path(home).unlink()
    ok, _, message = verify(home)
    assert not ok and "锚点" in message


@pytest.mark.parametrize("keep_mac", [True, False])
def test_deleting_a_record_and_recomputing_the_chain_is_detected(tmp_path, keep_mac):
    home = _log(tmp_path)
    records = [json.loads(line) for line in _lines(home)]
    forged = _rechain(records[:2] + records[3:], keep_mac)
    _write(home, forged)
    # the anchor rewritten to the new count and last hash, without the key to sign it
    anchor = json.loads(anchor_path(home).read_text(encoding="utf-8"))
    anchor.update(count=4, last_hash=json.loads(forged[-1])["hash"])
    anchor_path(home).write_text(json.dumps(anchor), encoding="utf-8")
    ok, checked, message = verify(home)
    assert not ok, message
    # signed records after the gap no longer carry a valid signature; unsigned ones fail the anchor
    assert ("第3行签名不符" in message) if keep_mac else ("锚点" in message or "缺少签名" in message)


def test_forged_appended_record_is_detected(tmp_path, capsys):
    home = _log(tmp_path)
    lines = _lines(home)
    prev = json.loads(lines[-1])["hash"]
    body = {k: None for k in FIELDS} | {"time": "2025-01-01T00:00:00", "identity": "ghost", "role": "analyst",
                                        "action": "view_cadre", "filters": {}}
    digest = _digest(prev, body)
    for mac in ("0" * 64, hashlib.sha256(digest.encode()).hexdigest(), None):
        record = {**body, "prev": prev, "hash": digest, **({"mac": mac} if mac else {})}
        _write(home, lines + [json.dumps(record, ensure_ascii=False)])
        ok, checked, message = verify(home)
        assert not ok and checked == 5 and "第6行" in message, message
    code, out = _cli_verify(tmp_path, capsys)
    assert code == 2 and "第6行" in out


def test_truncation_stays_detected_after_later_appends(tmp_path):
    """The next legitimate append must not bless a truncated log by moving the anchor."""
    home = _log(tmp_path)
    _write(home, _lines(home)[:3])
    append(home, "late", "analyst", "view_cadre", filters={"cadre": "C0100"})
    ok, _, message = verify(home)
    assert not ok and "锚点" in message
    assert json.loads(_lines(home)[-1])["identity"] == "late"  # the view itself is still recorded


def test_torn_last_line_is_reported_then_isolated_without_loss(tmp_path, capsys):
    home = _log(tmp_path, 3)
    fragment = '{"time": "2025-06-01T10:00:00", "identity": "user3", "ro'
    with open(log_path(home), "a", encoding="utf-8") as fh:
        fh.write(fragment)
    ok, checked, message = verify(home)
    assert not ok and checked == 3 and "第4行" in message
    code, out = _cli_verify(tmp_path, capsys)
    assert code == 2 and "第4行" in out

    append(home, "user4", "analyst", "view_cadre", filters={"cadre": "C0004"})
    append(home, "user5", "analyst", "view_cadre", filters={"cadre": "C0005"})
    lines = _lines(home)
    assert [json.loads(line)["identity"] for line in lines] == ["user0", "user1", "user2", "user4", "user5"]
    ok, checked, message = verify(home)
    assert ok and checked == 5 and "残缺" in message, message
    torn = list(home.state.glob("audit.torn-*"))
    assert len(torn) == 1 and torn[0].read_text(encoding="utf-8") == fragment


def test_complete_record_without_newline_is_kept(tmp_path):
    """A write cut just before its newline, before the anchor moved: the record is whole, so it stays."""
    home = _log(tmp_path, 2)
    anchor_before = anchor_path(home).read_text(encoding="utf-8")
    append(home, "user2", "analyst", "view_cadre", filters={"cadre": "C0002"})
    data = log_path(home).read_bytes()
    log_path(home).write_bytes(data[:-1])
    anchor_path(home).write_text(anchor_before, encoding="utf-8")
    append(home, "user3", "analyst", "view_cadre", filters={"cadre": "C0003"})
    assert [json.loads(line)["identity"] for line in _lines(home)] == ["user0", "user1", "user2", "user3"]
    assert verify(home)[:2] == (True, 4)
    assert not list(home.state.glob("audit.torn-*"))


def test_anchor_one_step_behind_after_a_crash_is_not_tampering(tmp_path):
    home = _log(tmp_path, 2)
    anchor_before = anchor_path(home).read_text(encoding="utf-8")
    append(home, "user2", "analyst", "view_cadre", filters={"cadre": "C0002"})
    anchor_path(home).write_text(anchor_before, encoding="utf-8")  # crash between line and anchor
    assert verify(home)[:2] == (True, 3)
    append(home, "user3", "analyst", "view_cadre", filters={"cadre": "C0003"})
    ok, checked, message = verify(home)
    assert ok and checked == 4, message


def _legacy_log(home: Home, n: int) -> list[str]:
    """A log written by the previous format: chained, no key, no anchor, no mac field."""
    home.state.mkdir(parents=True, exist_ok=True)
    records = [{k: None for k in FIELDS} | {"time": "2024-01-01T00:00:00", "identity": f"old{i}", "role": "analyst",
                                            "action": "view_cadre", "page": "cadre", "filters": {"cadre": f"C{i}"},
                                            "rows": 1} for i in range(n)]
    lines = _rechain(records, keep_mac=False)
    _write(home, lines)
    return lines


def test_old_format_log_verifies_as_unsigned_and_is_protected_once_signed(tmp_path):
    home = Home(tmp_path)
    _legacy_log(home, 3)
    ok, checked, message = verify(home)
    assert ok and checked == 3 and "旧格式,未签名" in message
    append(home, "new", "analyst", "view_cadre", filters={"cadre": "C0009"})
    ok, checked, message = verify(home)
    assert ok and checked == 4 and "旧格式,未签名" in message
    # an old record changed and the chain recomputed: the signed record after it no longer matches
    records = [json.loads(line) for line in _lines(home)]
    records[1]["filters"] = {"cadre": "X"}
    _write(home, _rechain(records, keep_mac=True))
    assert not verify(home)[0]


def test_signatures_stripped_from_a_signed_log_are_detected(tmp_path):
    home = _log(tmp_path, 3)
    _write(home, _rechain([json.loads(line) for line in _lines(home)], keep_mac=False))
    assert not verify(home)[0]


def test_concurrent_appends_keep_one_chain(tmp_path):
    home = Home(tmp_path)

    def worker(i):
        for j in range(10):
            append(home, f"t{i}", "analyst", "view_cadre", filters={"cadre": f"C{i}{j}"})

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert verify(home)[:2] == (True, 40)


# --- every page and command that shows named people writes a record -------------------------------

@pytest.fixture(scope="module")
def audit_home_template(demo_world, tmp_path_factory):
    dest = tmp_path_factory.mktemp("audit") / "home"
    shutil.copytree(demo_world[1], dest)
    return dest


@pytest.fixture()
def home(audit_home_template, monkeypatch):
    monkeypatch.setenv("SHIJI_HOME", str(audit_home_template))
    yield Home(audit_home_template)
    db.close_all()


def _records(home: Home, action: str) -> list[dict]:
    if not log_path(home).exists():
        return []
    return [r for r in map(json.loads, _lines(home)) if r["action"] == action]


def _first(home: Home, sql: str) -> str:
    return db.query(home.current_path(), sql).iloc[0, 0]


def _page(page: str, params: dict) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def test_unit_page_view_is_audited(home):
    unit = _first(home, "SELECT unit_id FROM staging.assignments WHERE in_post ORDER BY unit_id LIMIT 1")
    before = len(_records(home, "view_unit"))
    at = _page("unit", {"unit": unit})
    at.run()  # a rerun of the same view is not a new view
    new = _records(home, "view_unit")[before:]
    assert len(new) == 1 and new[0]["filters"] == {"unit": unit} and new[0]["rows"] > 0
    assert verify(home)[0]


def test_quadrant_drilldown_is_audited(home):
    cadre = _first(home, "SELECT cadre_id FROM marts.quadrants ORDER BY cadre_id LIMIT 1")
    before = len(_records(home, "view_quadrants"))
    _page("quadrants", {"cadre": cadre})
    new = _records(home, "view_quadrants")[before:]
    assert len(new) == 1 and new[0]["filters"] == {"cadre": cadre}


def test_anomaly_desk_view_is_audited_with_its_filters(home):
    before = len(_records(home, "view_anomalies"))
    _page("anomalies", {"severity": "红"})
    new = _records(home, "view_anomalies")[before:]
    assert len(new) == 1 and new[0]["filters"]["severity"] == ["红"] and "year" in new[0]["filters"]


def test_briefing_view_and_downloads_are_audited(home):
    unit = _first(home, "SELECT unit_id FROM staging.assignments WHERE in_post ORDER BY unit_id LIMIT 1")
    before = len(_records(home, "view_briefing"))
    _page("briefing", {"unit": unit})
    new = _records(home, "view_briefing")[before:]
    assert len(new) == 1 and new[0]["filters"] == {"unit": [unit], "cadre": []}

    # A download's bytes are built on click, outside the script run, so it is called directly here.
    from ui.auth import DEMO_SCOPE
    from ui.briefing import briefing_file

    before = len(_records(home, "download_briefing"))
    data = briefing_file(DEMO_SCOPE, [unit], [], ".pdf")
    new = _records(home, "download_briefing")[before:]
    assert len(new) == 1 and new[0]["filters"] == {"unit": [unit], "cadre": [], "format": "pdf"}
    assert new[0]["file_hash"] == hashlib.sha256(data).hexdigest()


def test_cli_brief_and_export_are_audited(home, tmp_path):
    cadre = _first(home, "SELECT cadre_id FROM staging.assignments WHERE in_post ORDER BY cadre_id LIMIT 1")
    out = tmp_path / "brief.xlsx"
    before = len(_records(home, "cli_brief"))
    assert main(["brief", "--cadre", cadre, "--out", str(out), "--home", str(home.root)]) == 0
    new = _records(home, "cli_brief")[before:]
    assert len(new) == 1 and new[0]["identity"] == getpass.getuser() and new[0]["role"] == "cli"
    assert new[0]["filters"]["cadre"] == [cadre] and new[0]["filters"]["format"] == "xlsx"
    assert new[0]["file_hash"] == hashlib.sha256(out.read_bytes()).hexdigest()

    out = tmp_path / "cadre_scores.csv"
    before = len(_records(home, "cli_export"))
    assert main(["export", "cadre_scores", "--out", str(out), "--home", str(home.root)]) == 0
    new = _records(home, "cli_export")[before:]
    assert len(new) == 1 and new[0]["filters"]["name"] == "cadre_scores" and new[0]["rows"] > 0
    assert new[0]["file_hash"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert verify(home)[0]


def test_unreadable_last_line_does_not_stop_later_appends(tmp_path):
    home = _log(tmp_path, 2)
    with open(log_path(home), "a", encoding="utf-8") as fh:
        fh.write("garbage\n")
    append(home, "after", "analyst", "view_cadre", filters={"cadre": "C0003"})  # the page keeps working
    assert json.loads(_lines(home)[-1])["identity"] == "after"
    ok, checked, message = verify(home)
    assert not ok and checked == 2 and "第3行" in message


@pytest.mark.parametrize("damage", ["key", "anchor", "anchor_text"])
def test_missing_key_or_forged_anchor_stays_detected_after_appends(tmp_path, damage):
    home = _log(tmp_path, 3)
    if damage == "key":
        key_path(home).unlink()
    elif damage == "anchor":
        anchor_path(home).unlink()
    else:
        anchor_path(home).write_text('{"count": 3, "last_hash": "x", "mac": "y"}', encoding="utf-8")
    assert not verify(home)[0]
    append(home, "after", "analyst", "view_cadre", filters={"cadre": "C0009"})
    assert json.loads(_lines(home)[-1])["identity"] == "after"
    assert not verify(home)[0]


def test_full_rewrite_is_caught_only_by_an_off_host_note(tmp_path, capsys):
    """Whoever deletes key and anchor and rewrites the log as old-format passes the local check;
    the count and last hash noted elsewhere catch it."""
    home = _log(tmp_path)
    noted = f"5:{json.loads(_lines(home)[-1])['hash']}"
    assert main(["audit-verify", "--expect", noted, "--home", str(tmp_path)]) == 0
    records = [json.loads(line) for line in _lines(home)]
    key_path(home).unlink()
    anchor_path(home).unlink()
    _write(home, _rechain(records[:2] + records[3:], keep_mac=False))
    assert verify(home)[0]  # the documented limit
    capsys.readouterr()
    assert main(["audit-verify", "--expect", noted, "--home", str(tmp_path)]) == 2
    assert "此前记下" in capsys.readouterr().err
    assert main(["audit-verify", "--expect", "five", "--home", str(tmp_path)]) == 2
