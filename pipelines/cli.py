"""``python -m pipelines COMMAND``: exit 0 on success, 2 on rejected input (or a broken audit log),
1 on internal failure."""
from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

from models.config import ConfigError, validate_all
from pipelines.home import Home, LockedError
from pipelines.report import InputError, format_report

EXIT_OK, EXIT_FAILURE, EXIT_REJECTED = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m pipelines", description="实绩 Shiji 数据管道")
    sub = p.add_subparsers(dest="command", required=True)

    def command(name, help_text):
        c = sub.add_parser(name, help=help_text)
        c.add_argument("--home", type=Path, default=None, help="数据目录(默认 data/ 或 SHIJI_HOME)")
        return c

    c = command("demo", "生成演示数据批次")
    c.add_argument("--out", type=Path, required=True)
    c.add_argument("--seed", type=int, default=7)
    c.add_argument("--scale", choices=("county", "province"), default="county")
    c = command("ingest", "校验并导入一个批次(文件夹或工作簿)")
    c.add_argument("path", type=Path)
    c.add_argument("--replace", default="", metavar="TABLE[,TABLE]",
                   help="整表替换这些表(而不是按主键合并),用于更正主键,例如任职起始日期")
    c.add_argument("--start-over", action="store_true",
                   help="放弃当前数据(例如演示数据),以本批次从空白重新开始;旧版本仍可回退")
    command("rebuild", "从归档重建当前数据(配置变更后)")
    command("status", "当前版本、各表行数、数据截至")
    c = command("rollback", "回退到更早的版本")
    c.add_argument("version", nargs="?")
    c = command("export", "导出结果表为 .csv 或 .xlsx")
    c.add_argument("name")
    c.add_argument("--out", type=Path, required=True)
    c = command("brief", "生成考察准备简报(.xlsx 或 .pdf)")
    # units and cadres together, like the basket of the 考察准备 page; at least one (cmd_brief
    # says so in Chinese: argparse's own required-group message is English)
    c.add_argument("--unit", action="append", default=[], help="单位编码(可重复,可与 --cadre 同时使用)")
    c.add_argument("--cadre", action="append", default=[], help="干部编码(可重复,可与 --unit 同时使用)")
    c.add_argument("--out", type=Path, required=True)
    c = command("audit-verify", "校验审计日志(哈希链、签名、锚点)")
    c.add_argument("--expect", default=None, metavar="条数:哈希",
                   help="此前在本机之外记下的记录条数和末条哈希,核对日志没有被整体改写")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    home = Home(args.home)
    try:
        validate_all()  # every reference file checked before any command reads one: all problems in one message
        return COMMANDS[args.command](args, home)
    except LockedError as e:
        print(f"错误: {e}", file=sys.stderr)
        return EXIT_FAILURE
    except (InputError, PermissionError, ConfigError) as e:  # the operator's to fix: the message, no trace
        print(f"错误: {e}", file=sys.stderr)
        return EXIT_REJECTED
    except Exception:  # internal failure: keep the trace for the operator
        traceback.print_exc()
        return EXIT_FAILURE


def cmd_demo(args, home) -> int:
    from pipelines.demo import write_demo

    counts = write_demo(args.out, home, seed=args.seed, scale=args.scale)
    for name, n in counts.items():
        print(f"{name}: {n} 行")
    print(f"演示批次已写入 {args.out}(真值在 {args.out / '_truth'},不会被导入);"
          f"已在数据目录 {home.root} 登记为演示数据")
    return EXIT_OK


def cmd_ingest(args, home) -> int:
    from pipelines.ingest import ingest
    from pipelines.progress import Progress

    replace = tuple(t.strip() for t in args.replace.split(",") if t.strip())
    outcome = ingest(args.path, home, replace=replace, start_over=args.start_over, progress=Progress(stream=sys.stderr))
    for notice in outcome.notices:
        print(f"提示: {notice}")
    if outcome.status == "rejected":
        print(format_report(outcome.issues), file=sys.stderr)
        print(f"校验报告: {outcome.report}", file=sys.stderr)
        return EXIT_REJECTED
    if outcome.status == "unchanged":
        print(f"无变化,当前版本仍为 {outcome.version}")
        return EXIT_OK
    print(f"已发布版本 {outcome.version}")
    for name, n in outcome.rows.items():
        if n:
            print(f"  {name}: {n} 行")
    return EXIT_OK


def cmd_rebuild(args, home) -> int:
    from pipelines.ingest import rebuild
    from pipelines.progress import Progress

    outcome = rebuild(home, progress=Progress(stream=sys.stderr))
    if outcome.status == "rejected":
        print(format_report(outcome.issues), file=sys.stderr)
        return EXIT_REJECTED
    print(f"已重建为版本 {outcome.version}" if outcome.version else outcome.notices[0])
    return EXIT_OK


def cmd_status(args, home) -> int:
    from pipelines.status import status_text

    print(status_text(home))
    return EXIT_OK


def cmd_rollback(args, home) -> int:
    from pipelines.ingest import rollback

    print(f"已回退到版本 {rollback(home, args.version)}")
    return EXIT_OK


def cmd_export(args, home) -> int:
    from pipelines.export import export

    n = export(home, args.name, args.out)
    _audit_cli(home, "cli_export", {"name": args.name, "out": str(args.out)}, n, args.out)
    print(f"已导出 {args.name}: {n} 行 → {args.out}")
    return EXIT_OK


def cmd_brief(args, home) -> int:
    from pipelines.briefing import build_briefing, write_briefing

    if not args.unit and not args.cadre:
        raise InputError("请至少指定一个单位(--unit)或干部(--cadre),两者可同时使用、各自重复")
    current = home.current()
    if current is None:
        raise InputError("尚无已发布的数据")
    b = build_briefing(current["path"], unit_ids=args.unit, cadre_ids=args.cadre)
    write_briefing(b, args.out)
    _audit_cli(home, "cli_brief", {"unit": args.unit, "cadre": args.cadre,
                                    "format": args.out.suffix.lower().lstrip("."), "out": str(args.out)},
               sum(len(f) for f in b.sections.values()), args.out)
    print(f"已生成简报 {args.out}:{b.title}")
    return EXIT_OK


def _audit_cli(home, action: str, filters: dict, rows: int, out: Path) -> None:
    """A file with named people left the system from the command line: log who ran it (the OS
    user; the command line has no other identity) and the file's hash."""
    import getpass

    from pipelines.audit import append
    from pipelines.home import sha256_file

    append(home, getpass.getuser(), "cli", action, page="cli", filters=filters, rows=rows,
           file_hash=sha256_file(out))


def cmd_audit_verify(args, home) -> int:
    from pipelines.audit import verify

    expect = None
    if args.expect:
        count, _, digest = args.expect.partition(":")
        if not count.isdigit() or len(digest) != 64:
            raise InputError("--expect 的格式是 条数:末条哈希(64 位十六进制),即 audit-verify 上次打印的两项")
        expect = (int(count), digest.lower())
    ok, _, message = verify(home, expect=expect)
    print(message, file=sys.stdout if ok else sys.stderr)
    return EXIT_OK if ok else EXIT_REJECTED


COMMANDS = {
    "demo": cmd_demo, "ingest": cmd_ingest, "rebuild": cmd_rebuild, "status": cmd_status,
    "rollback": cmd_rollback, "export": cmd_export, "brief": cmd_brief,
    "audit-verify": cmd_audit_verify,
}
