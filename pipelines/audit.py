"""Append-only audit log outside the warehouse (``<home>/state/audit.jsonl``): who saw or exported
whose data, hash-chained, signed, and anchored.

Files in ``<home>/state/``:

* ``audit.jsonl``: one JSON object per line. ``hash`` = SHA-256 of the previous record's hash
  and this record's content, ``mac`` = HMAC-SHA256 of ``hash`` under the key. Each line is one
  ``os.write`` under an exclusive ``flock`` on an ``O_APPEND`` descriptor, then fsync.
* ``audit.key``: 32 random bytes (hex), created once with mode 0600 by the first append.
* ``audit.anchor``: record count, last hash and the number of leading unsigned (old-format)
  records, signed with the key; rewritten (tmp + fsync + rename) after every append, under the
  same lock.
* ``audit.torn-<time>``: a torn last line (a write cut short by a crash or a full disk), moved
  aside by the next append so the log stays appendable; it is kept, never deleted.

What ``verify`` detects:

* an edited, reordered or removed line (the chain breaks at that line);
* a record recomputed or appended by someone without the key (its ``mac`` does not match), and
  signatures stripped from records written after the key existed;
* a truncated tail, an emptied or deleted log, a deleted anchor, or a deletion followed by a
  recomputed chain (count or last hash no longer match the signed anchor);
* a torn last line (named by line number until the next append isolates it).

An append that finds the log and the anchor disagreeing (truncated, emptied, rewritten) does not
move the anchor over the damage silently: it first writes an ``audit_anchor_mismatch`` record,
which ``verify`` reports from then on.

What it cannot detect: someone who can read the key and write the state folder (the service
account, root) can rewrite log, anchor and key consistently, or put back an older consistent
copy of all three; deleting the whole state folder leaves nothing to compare. Against that,
ship the anchor off-host: ``python -m pipelines audit-verify`` prints the record count and the
last hash; note them elsewhere (paper, another machine) and check later with ``--expect``.
Keep the key readable only by the service account, and out of backups that leave the host.

Logs written before signing (records without ``mac``) still verify and are reported as
"旧格式,未签名"; the first signed append records how many there are in the anchor, and from
then on their content is protected by the signed record that chains after them.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import hmac
import json
import os
import secrets

from pipelines.home import Home, atomic_write_text, fsync_dir

GENESIS = "0" * 64
FIELDS = ("time", "identity", "role", "action", "page", "filters", "rows", "file_hash")
MISMATCH = "audit_anchor_mismatch"
TAIL_CHUNK = 1 << 16
REASONS = {
    "anchor_mismatch": "日志与锚点不符(末尾被截断、被清空,或删除记录后重算了哈希链)",
    "anchor_missing": "锚点文件 audit.anchor 缺失",
    "anchor_forged": "锚点文件 audit.anchor 的签名不符(被改写)",
    "key_missing": "密钥文件 audit.key 缺失(已生成新密钥,此前的签名无法再核对)",
}


def _digest(prev: str, body: dict) -> str:
    payload = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((prev + payload).encode("utf-8")).hexdigest()


def _mac(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def _anchor_mac(key: bytes, count: int, last_hash: str, unsigned: int) -> str:
    return _mac(key, f"anchor:{count}:{last_hash}:{unsigned}")


def log_path(home: Home):
    return home.state / "audit.jsonl"


def anchor_path(home: Home):
    return home.state / "audit.anchor"


def key_path(home: Home):
    return home.state / "audit.key"


# --- key and anchor ------------------------------------------------------------------------------

def _read_key(home: Home) -> bytes | None:
    try:
        return bytes.fromhex(key_path(home).read_text(encoding="ascii").strip())
    except (FileNotFoundError, ValueError):
        return None


def _write_new(path, data: bytes) -> None:
    """Create ``path`` (never overwriting), readable only by the owner, and make it durable."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_dir(path.parent)


def _create_key(home: Home) -> bytes:
    key = secrets.token_bytes(32)
    path = key_path(home)
    path.unlink(missing_ok=True)  # only reached when the key is unreadable or gone
    _write_new(path, key.hex().encode("ascii"))
    return key


def _read_anchor(home: Home, key: bytes | None) -> dict | None | str:
    """The anchor if present and signed by ``key``; None if absent; "forged" otherwise."""
    try:
        anchor = json.loads(anchor_path(home).read_text(encoding="utf-8"))
        count, last, unsigned = int(anchor["count"]), str(anchor["last_hash"]), int(anchor.get("unsigned", 0))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        return "forged"
    if key is None or not hmac.compare_digest(str(anchor.get("mac", "")), _anchor_mac(key, count, last, unsigned)):
        return "forged"
    return {"count": count, "last_hash": last, "unsigned": unsigned}


def _write_anchor(home: Home, key: bytes, count: int, last_hash: str, unsigned: int) -> None:
    anchor = {"count": count, "last_hash": last_hash, "unsigned": unsigned,
              "time": dt.datetime.now().isoformat(timespec="seconds"),
              "mac": _anchor_mac(key, count, last_hash, unsigned)}
    atomic_write_text(anchor_path(home), json.dumps(anchor, ensure_ascii=False) + "\n")


# --- reading the log -----------------------------------------------------------------------------

def _parse(raw: bytes) -> dict | None:
    try:
        record = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _hash_of(raw: bytes, record: dict | None) -> str:
    """The chain value a line passes on; an unreadable line still yields one, so appending never stops."""
    if record is not None and isinstance(record.get("hash"), str):
        return record["hash"]
    return hashlib.sha256(raw).hexdigest()


def _scan(data: bytes) -> tuple[list[tuple[int, bytes, dict | None]], bytes]:
    """(non-blank complete lines as (line number, raw, record or None), text after the last newline)."""
    *lines, tail = data.split(b"\n")
    return [(n, raw, _parse(raw)) for n, raw in enumerate(lines, start=1) if raw.strip()], tail


def _tail(fd: int, size: int) -> tuple[bytes | None, bytes]:
    """(last non-blank complete line, torn fragment after the last newline), reading from the end."""
    k = TAIL_CHUNK
    while True:
        start = max(0, size - k)
        buf = os.pread(fd, size - start, start)
        cut = buf.rfind(b"\n")
        if cut >= 0:
            lines = buf[:cut].split(b"\n")
            for i in range(len(lines) - 1, -1, -1):
                if lines[i].strip() and (i > 0 or start == 0):
                    return lines[i], buf[cut + 1:]
        if start == 0:
            return None, buf[cut + 1:] if cut >= 0 else buf
        k *= 4


def _valid_after(raw: bytes, prev: str, key: bytes | None) -> dict | None:
    record = _parse(raw)
    if record is None or key is None or record.get("prev") != prev:
        return None
    body = {k: record.get(k) for k in FIELDS}
    if record.get("hash") != _digest(prev, body):
        return None
    return record if hmac.compare_digest(str(record.get("mac", "")), _mac(key, record["hash"])) else None


def _leading_unsigned(entries) -> int:
    n = 0
    for _, _, record in entries:
        if record is None or "mac" in record:
            break
        n += 1
    return n


# --- append --------------------------------------------------------------------------------------

def _write_signed(fd: int, key: bytes, prev: str, body: dict) -> dict:
    """Chain, sign and write one record as a single line (one write, O_APPEND, lock held)."""
    record = {**body, "prev": prev, "hash": _digest(prev, body)}
    record["mac"] = _mac(key, record["hash"])
    data = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
    written = os.write(fd, data)
    while written < len(data):  # a short write: finish it while still holding the lock
        written += os.write(fd, data[written:])
    os.fsync(fd)
    return record


def _isolate(home: Home, fd: int, fragment: bytes, size: int) -> None:
    """Move a torn last line to its own file (kept), then cut it from the log."""
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S%f")
    _write_new(home.state / f"audit.torn-{stamp}", fragment)
    os.ftruncate(fd, size - len(fragment))
    os.fsync(fd)


def append(home: Home, identity: str, role: str, action: str, page: str = "", filters: dict | None = None,
           rows: int | None = None, file_hash: str | None = None) -> dict:
    """Append one record (view of named people, export, upload …) and move the anchor, under an
    exclusive lock. Never refuses because of earlier damage: it isolates a torn tail and records a
    mismatch with the anchor, so the pages that log keep working."""
    home.state.mkdir(parents=True, exist_ok=True)
    body = {"time": dt.datetime.now().isoformat(timespec="seconds"), "identity": identity, "role": role,
            "action": action, "page": page, "filters": filters or {}, "rows": rows, "file_hash": file_hash}
    fd = os.open(log_path(home), os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        last_raw, fragment = _tail(fd, size)
        prev = GENESIS if last_raw is None else _hash_of(last_raw, _parse(last_raw))
        key = _read_key(home)
        if fragment:
            whole = _valid_after(fragment, prev, key)
            if whole is not None:  # cut just before its newline: the record is complete, keep it
                os.write(fd, b"\n")
                os.fsync(fd)
                last_raw, prev = fragment, whole["hash"]
            else:
                _isolate(home, fd, fragment, size)

        anchor = _read_anchor(home, key)
        problem = None
        if key is None:
            has_signed = last_raw is not None and "mac" in (_parse(last_raw) or {})
            problem = "key_missing" if anchor is not None or has_signed else None
            key = _create_key(home)
        elif anchor is None:
            problem = "anchor_missing"
        elif anchor == "forged":
            problem = "anchor_forged"

        if problem is None and isinstance(anchor, dict) and anchor["last_hash"] == prev:
            count, unsigned = anchor["count"], anchor["unsigned"]
        else:
            entries, _ = _scan(os.pread(fd, os.fstat(fd).st_size, 0))
            count, unsigned = len(entries), _leading_unsigned(entries)
            if isinstance(anchor, dict):
                unsigned = anchor["unsigned"]
                at = GENESIS if anchor["count"] == 0 else (
                    _hash_of(entries[anchor["count"] - 1][1], entries[anchor["count"] - 1][2])
                    if anchor["count"] <= count else None)
                if at != anchor["last_hash"]:
                    problem = problem or "anchor_mismatch"
            # else: first signed append on an old-format log, or the key/anchor problem found above
            if problem is not None:
                note = {"reason": problem, "log_count": count, "log_hash": prev,
                        **({"anchor_count": anchor["count"], "anchor_hash": anchor["last_hash"]}
                           if isinstance(anchor, dict) else {})}
                mark = {"time": body["time"], "identity": "system", "role": "system", "action": MISMATCH,
                        "page": "audit", "filters": note, "rows": None, "file_hash": None}
                prev = _write_signed(fd, key, prev, mark)["hash"]
                count += 1

        record = _write_signed(fd, key, prev, body)
        _write_anchor(home, key, count + 1, record["hash"], unsigned)
        return record
    finally:
        os.close(fd)  # releases the lock


# --- verify --------------------------------------------------------------------------------------

def _mismatch_message(number: int, record: dict) -> str:
    note = record.get("filters") or {}
    reason = REASONS.get(note.get("reason"), "日志与锚点不符")
    counts = (f":锚点记录应有 {note['anchor_count']} 条,当时日志中有 {note.get('log_count')} 条"
              if "anchor_count" in note else "")
    return (f"第{number}行:{record.get('time') or '某时'} 写入时发现{reason}{counts}。"
            "此前的日志被删改过,请对照备份核查;核查完毕后,可把 state 文件夹中的 audit.* 文件整体归档移走,"
            "系统会开始新的日志。")


def verify(home: Home, expect: tuple[int, str] | None = None) -> tuple[bool, int, str]:
    """(ok, records checked, message in Chinese). The first bad line or the anchor mismatch is
    named. ``expect`` = (count, hash) noted earlier off-host: record ``count`` must still carry it."""
    path = log_path(home)
    data = b""
    if path.exists():
        with open(path, "rb") as fh:
            fcntl.flock(fh, fcntl.LOCK_SH)
            data = fh.read()
            key = _read_key(home)
            anchor = _read_anchor(home, key)
    else:
        key = _read_key(home)
        anchor = _read_anchor(home, key)
    entries, tail = _scan(data)
    limit = anchor["unsigned"] if isinstance(anchor, dict) else len(entries)
    prev, n, legacy, hashes = GENESIS, 0, 0, [GENESIS]
    for number, _, record in entries:
        if record is None:
            return False, n, f"第{number}行不是有效记录(内容残缺或被改动)"
        body = {k: record.get(k) for k in FIELDS}
        if record.get("prev") != prev or record.get("hash") != _digest(prev, body):
            return False, n, f"第{number}行被篡改或顺序被改变(哈希链断开)"
        if "mac" in record:
            if key is None:
                return False, n, f"第{number}行带签名,但密钥文件 audit.key 缺失,无法核对。请从备份恢复密钥后再校验"
            if not hmac.compare_digest(str(record["mac"]), _mac(key, record["hash"])):
                return False, n, f"第{number}行签名不符:该记录是伪造的,或被改动后重算了哈希"
        elif legacy == n and n < limit:
            legacy += 1
        else:
            return False, n, f"第{number}行缺少签名:签名启用后的记录被去掉了签名或被伪造"
        if record.get("action") == MISMATCH:
            return False, n, _mismatch_message(number, record)
        prev = record["hash"]
        hashes.append(prev)
        n += 1
    if tail:
        last_line = data.count(b"\n") + 1
        return False, n, (f"第{last_line}行残缺(没有写完,多为断电或磁盘满造成的写入中断)。"
                          "下次记录时会自动把它移到 audit.torn-* 文件保存;如非写入中断,请核查")

    if key is None and anchor is None:
        if n == 0:
            return True, 0, "审计日志为空"
        ok_text = f"审计日志完整:{n} 条记录,哈希链无断点;全部为旧格式,未签名(下次记录时启用签名)"
    elif key is None:
        return False, n, "密钥文件 audit.key 缺失,锚点无法核对。请从备份恢复密钥后再校验"
    elif anchor is None:
        return False, n, "锚点文件 audit.anchor 缺失:无法确认日志末尾没有被截断或清空。请核查"
    elif anchor == "forged":
        return False, n, "锚点文件 audit.anchor 的签名不符:锚点被改写过,日志末尾可能被截断或重写。请核查"
    elif n < anchor["count"]:
        return False, n, (f"日志只有 {n} 条记录,锚点记录应有 {anchor['count']} 条:"
                          "末尾被截断、日志被清空或删除了记录。请对照备份核查")
    elif hashes[anchor["count"]] != anchor["last_hash"]:
        return False, n, (f"第 {anchor['count']} 条记录的哈希与锚点不符:日志被改写后重算了哈希链。请对照备份核查")
    else:
        ok_text = f"审计日志完整:{n} 条记录,哈希链无断点,签名与锚点一致"
        if legacy:
            ok_text += f";其中前 {legacy} 条为旧格式,未签名(已由其后的签名记录保护)"
        if n > anchor["count"]:
            ok_text += f";锚点落后 {n - anchor['count']} 条(上次写入在更新锚点前中断,下次记录时自动更新)"
    if expect is not None:
        count, digest = expect
        if count > n or hashes[count] != digest:
            return False, n, (f"与您此前记下的不符:第 {count} 条记录的哈希应为 {digest}。"
                              "日志在本机上被整体改写或换成了旧副本,请核查")
        ok_text += f";与此前记下的第 {count} 条记录一致"
    torn = sorted(p.name for p in home.state.glob("audit.torn-*")) if home.state.exists() else []
    if torn:
        ok_text += f"。另有 {len(torn)} 个写入中断留下的残缺片段已隔离保存({', '.join(torn)}),未计入哈希链"
    return True, n, (f"{ok_text}。\n末条哈希:{prev}\n"
                     "请把记录条数和末条哈希记在本机之外(纸面或另一台机器),日后用 --expect 条数:哈希 核对。")
