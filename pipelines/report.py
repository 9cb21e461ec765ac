"""Validation issues and the report users read: on the terminal and as a CSV."""
from __future__ import annotations

import csv
from dataclasses import astuple, dataclass
from pathlib import Path

REPORT_HEADER = ("文件/工作表", "行号", "列", "规则", "值", "说明")


@dataclass(frozen=True)
class Issue:
    """One reason a batch is refused. ``row`` is the row number the user sees in Excel or the CSV."""

    source: str
    row: int | None
    column: str | None
    rule: str
    value: str
    message: str

    def line(self) -> str:
        row = f"第{self.row}行" if self.row else "—"
        column = f"列 {self.column}" if self.column else "—"
        value = f"值「{self.value}」" if self.value not in ("", None) else "值 —"
        return f"{self.source}, {row}, {column}, 规则:{self.rule}, {value}: {self.message}"


def sort_issues(issues: list[Issue]) -> list[Issue]:
    unique = list(dict.fromkeys(issues))
    return sorted(unique, key=lambda i: (i.source, i.row or 0, i.column or "", i.rule))


def format_report(issues: list[Issue], limit: int = 200) -> str:
    issues = sort_issues(issues)
    lines = [f"数据校验未通过:共 {len(issues)} 个问题,本批次未发布,当前版本保持不变。"]
    lines += [i.line() for i in issues[:limit]]
    if len(issues) > limit:
        lines.append(f"……另有 {len(issues) - limit} 个问题,详见报告 CSV。")
    return "\n".join(lines)


def write_report_csv(issues: list[Issue], path: Path) -> Path:
    """The report as CSV; every cell formula-escaped like the exports (a rejected value such as
    ``=HYPERLINK(...)`` must not run when the report is opened in Excel)."""
    from pipelines.export import escape_cell

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh)
        w.writerow(REPORT_HEADER)
        for i in sort_issues(issues):
            w.writerow([escape_cell("" if v is None else v) for v in astuple(i)])
    return path


class InputError(ValueError):
    """A mistake in what the user asked for (unknown name, missing data): exit status 2."""
