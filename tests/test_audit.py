"""The audit log is hash-chained: every change to a past line is detected."""
import json

from pipelines.audit import append, log_path, verify
from pipelines.cli import main
from pipelines.home import Home


def _log(tmp_path, n=5) -> Home:
    home = Home(tmp_path)
    for i in range(n):
        append(home, f"user{i}", "analyst", "view_cadre", page="cadre", filters={"cadre": f"C{i:04d}"}, rows=1)
    return home


def test_intact_log_verifies(tmp_path, capsys):
    home = _log(tmp_path)
    assert verify(home)[:2] == (True, 5)
    assert main(["audit-verify", "--home", str(tmp_path)]) == 0
    assert "5 条记录" in capsys.readouterr().out


def test_editing_one_line_is_detected(tmp_path):
    home = _log(tmp_path)
    lines = log_path(home).read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[2])
    record["filters"] = {"cadre": "C9999"}
    lines[2] = json.dumps(record, ensure_ascii=False)
    log_path(home).write_text("\n".join(lines) + "\n", encoding="utf-8")
    ok, checked, message = verify(home)
    assert not ok and checked == 2 and "第3行" in message
    assert main(["audit-verify", "--home", str(tmp_path)]) == 1


def test_removing_or_reordering_lines_is_detected(tmp_path):
    home = _log(tmp_path)
    lines = log_path(home).read_text(encoding="utf-8").splitlines()
    log_path(home).write_text("\n".join(lines[:1] + lines[2:]) + "\n", encoding="utf-8")
    assert not verify(home)[0]
    log_path(home).write_text("\n".join([lines[1], lines[0]] + lines[2:]) + "\n", encoding="utf-8")
    assert not verify(home)[0]
