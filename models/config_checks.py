"""Value checks for the reference-file schemas: small functions that take a parsed YAML value and
return None when it is fine, else the rule it breaks, in Chinese (models/config_schema.py uses
them; models/config.py reports them with the file and key path).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

Check = Callable[[Any], "str | None"]  # None = the value is fine, else the rule it breaks
Problem = tuple[str, str]  # (key path, rule)


def is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def number(lo: float | None = None, hi: float | None = None, *, gt: float | None = None,
           lt: float | None = None) -> Check:
    """A real number within the given bounds (``lo``/``hi`` inclusive, ``gt``/``lt`` strict)."""
    bounds = [f"≥ {lo:g}" if lo is not None else "", f"≤ {hi:g}" if hi is not None else "",
              f"> {gt:g}" if gt is not None else "", f"< {lt:g}" if lt is not None else ""]
    rule = "应为数值" + (",且 " + "、".join(b for b in bounds if b) if any(bounds) else "")

    def check(x: Any) -> str | None:
        if not is_number(x) or x != x:
            return rule
        if (lo is not None and x < lo) or (hi is not None and x > hi) \
                or (gt is not None and x <= gt) or (lt is not None and x >= lt):
            return f"{rule}(现为 {x:g})"
        return None
    return check


def integer(lo: int | None = None) -> Check:
    rule = "应为整数" + (f",且 ≥ {lo}" if lo is not None else "")

    def check(x: Any) -> str | None:
        if isinstance(x, bool) or not isinstance(x, int):
            return rule
        return f"{rule}(现为 {x})" if lo is not None and x < lo else None
    return check


def boolean(x: Any) -> str | None:
    return None if isinstance(x, bool) else "应为 true 或 false"


def text(x: Any) -> str | None:
    return None if isinstance(x, str) and x.strip() else "应为非空文字"


def one_of(*values: Any) -> Check:
    def check(x: Any) -> str | None:
        return None if x in values else f"应为 {' / '.join(map(str, values))} 之一(现为 {x!r})"
    return check


def mapping(values: Check | None = None, required: Iterable[Any] = ()) -> Check:
    """A mapping, with the ``required`` keys, whose values all pass ``values``."""
    required = tuple(required)

    def check(x: Any) -> str | None:
        if not isinstance(x, dict):
            return "应为键值映射"
        missing = [k for k in required if k not in x]
        if missing:
            return f"缺少键 {'、'.join(map(str, missing))}"
        for k, v in x.items():
            err = values(v) if values else None
            if err:
                return f"{k}: {err}"
        return None
    return check


def seq(items: Check | None = None) -> Check:
    def check(x: Any) -> str | None:
        if not isinstance(x, list):
            return "应为列表"
        for i, v in enumerate(x):
            err = items(v) if items else None
            if err:
                return f"第 {i + 1} 项{err}"
        return None
    return check


def optional(check: Check) -> Check:
    """``check``, or an empty value (``~`` in YAML)."""
    return lambda x: None if x is None else check(x)


def either(*checks: Check) -> Check:
    def check(x: Any) -> str | None:
        errs = [c(x) for c in checks]
        return None if any(e is None for e in errs) else " 或 ".join(errs)
    return check


probability = number(gt=0, hi=1)
share = number(0, 1)
non_negative = number(0)
positive = number(gt=0)


@dataclass(frozen=True)
class Schema:
    fields: dict[str, Check]
    checks: tuple[Callable[[dict], list[Problem]], ...] = field(default_factory=tuple)
