"""Policy configuration: the one loader for every YAML file the application reads.

Every weight and threshold the models use lives in YAML under ``data/reference/`` (or the folder
named by $SHIJI_REFERENCE_DIR) so a client changes policy without touching code. Each file has a
schema in models/config_schema.py. ``load_reference(name)`` parses a file once per modification
time (so an edited file is picked up), checks it against its schema and returns a private deep
copy (callers may mutate it freely); ``validate_all()`` checks every file at start and reports
every problem of every file in one Chinese message. Nothing falls back to built-in defaults: a
missing or wrong file raises ``ConfigError``. ``read_yaml(path)`` reads a YAML file kept outside
the reference folder (the access file) with the same error reporting.

    >>> cfg = load_reference("cards")
    >>> cfg["deductions"]["红"]
    4
"""
from __future__ import annotations

import copy
import math
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, NamedTuple

import yaml

from models.config_checks import Schema
from models.config_schema import CARDS, SCHEMAS, SCORING_METHODS, check_quota
from models.dianjiang_schema import SCHEMAS as DIANJIANG_SCHEMAS

SCHEMAS.update(DIANJIANG_SCHEMAS)  # dianjiang.yaml and archetypes.yaml (干部点将台), in their own module

REFERENCE_DIR = Path(__file__).resolve().parents[1] / "data" / "reference"
NAMES = tuple(SCHEMAS)  # every reference file the application reads

CARD_LEVEL = {c: i for i, c in enumerate(CARDS)}
__all__ = ["CARDS", "CARD_LEVEL", "SCORING_METHODS", "ConfigError", "ConfigProblem", "check_reference",
           "load_reference", "read_yaml", "reference_dir", "resolve", "validate_all", "is_missing"]
_check_quota = check_quota  # models/composite.py checks the quota again when it grades


class ConfigProblem(NamedTuple):
    file: str  # e.g. weights.yaml
    path: str  # dotted key path, "" for the whole file
    rule: str  # what the value must be, in Chinese

    def __str__(self) -> str:
        return f"{self.file} 的 {self.path}:{self.rule}" if self.path else f"{self.file}:{self.rule}"


class ConfigError(ValueError):
    """One or more configuration files are missing, unreadable or break their schema.

    ``problems`` lists every issue as a ConfigProblem (file, key path, rule); the message lists
    them all, one a line, in Chinese.
    """

    def __init__(self, name: str, problems: Iterable[Any], folder: str | os.PathLike | None = None):
        self.name = name
        file = _file_name(name)
        self.problems = [_as_problem(file, p) for p in problems]
        lines = "\n".join(f"  {i}. {p}" for i, p in enumerate(self.problems, 1))
        where = f"(目录 {folder})" if folder is not None else ""
        head = f"配置文件有 {len(self.problems)} 处问题{where},请按下列各项修改后重试:"
        super().__init__(f"{head}\n{lines}")


def _file_name(name: str) -> str:
    return name if not name or name.endswith((".yaml", ".yml")) else f"{name}.yaml"


def _as_problem(file: str, p: Any) -> ConfigProblem:
    if isinstance(p, ConfigProblem):
        return p
    if isinstance(p, tuple):
        return ConfigProblem(file, str(p[0]), str(p[1]))
    return ConfigProblem(file, "", str(p))


# --- checking a parsed file against its schema -----------------------------------------------

def _values_at(data: Any, dotted: str, prefix: str = "") -> list[tuple[str, bool, Any]]:
    """(concrete path, present, value) for a dotted path; a ``*`` part expands over the keys."""
    head, _, rest = dotted.partition(".")
    if head == "*":
        if not isinstance(data, dict):
            return []  # the mapping itself is reported by its own field
        keys = list(data)
    else:
        keys = [head]
    out = []
    for key in keys:
        path = f"{prefix}{key}"
        if not isinstance(data, dict) or key not in data:
            out.append((path, False, None))
        elif rest:
            out += _values_at(data[key], rest, path + ".")
        else:
            out.append((path, True, data[key]))
    return out


def check_against(schema: Schema, data: Any) -> list[tuple[str, str]]:
    """Every (key path, rule) ``data`` breaks; empty when it follows ``schema``."""
    if not isinstance(data, dict):
        return [("", "文件内容应为 YAML 键值映射 (mapping)")]
    problems = []
    for dotted, check in schema.fields.items():
        for path, present, value in _values_at(data, dotted):
            rule = check(value) if present else "缺少此配置项"
            if rule:
                problems.append((path, rule))
    if problems:  # the rules that tie keys together assume every field has the right type
        return problems
    for check in schema.checks:
        try:
            problems += check(data)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:  # a key the fields do not cover
            problems.append(("", f"配置值格式错误: {exc!r}"))
    return problems


def check_reference(name: str, data: Any) -> list[tuple[str, str]]:
    """Every (key path, rule) a parsed reference file breaks (empty = complete and consistent)."""
    stem = _stem(name)
    if stem not in SCHEMAS:
        return [("", f"没有名为 {stem} 的参考配置(可用: {', '.join(NAMES)})")]
    return check_against(SCHEMAS[stem], data)


def _stem(name: str) -> str:
    return name[:-5] if name.endswith(".yaml") else name[:-4] if name.endswith(".yml") else name


# --- reading --------------------------------------------------------------------------------

def _parse(path: Path) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except FileNotFoundError:
        raise ConfigError(path.name, [f"文件不存在: {path}"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行," if mark is not None else ""
        raise ConfigError(path.name, [f"不是有效的 YAML({where}{exc.__class__.__name__})"]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path.name, [f"无法读取 {path}({exc.__class__.__name__})"]) from exc


def read_yaml(path: str | os.PathLike, schema: Schema | None = None) -> Any:
    """Parse a YAML file kept outside the reference folder (e.g. a home's access file).

    Raises ConfigError when the file is missing, is not valid YAML or breaks ``schema``.
    """
    path = Path(path)
    data = _parse(path)
    problems = check_against(schema, data) if schema is not None else []
    if problems:
        raise ConfigError(path.name, problems)
    return data


@lru_cache(maxsize=64)
def _load_cached(path: str, mtime_ns: int) -> dict:
    data = _parse(Path(path))
    problems = check_reference(Path(path).stem, data)
    if problems:
        raise ConfigError(Path(path).name, problems)
    return data


def reference_dir(directory: str | os.PathLike | None = None) -> Path:
    """The reference folder: ``directory``, else $SHIJI_REFERENCE_DIR, else data/reference/."""
    if directory is not None:
        return Path(directory)
    env = os.environ.get("SHIJI_REFERENCE_DIR")
    return Path(env) if env else REFERENCE_DIR


def _checked(name: str, directory: str | os.PathLike | None) -> dict:
    stem = _stem(name)
    if stem not in SCHEMAS:
        raise ConfigError(f"{stem}.yaml", check_reference(stem, None))
    path = reference_dir(directory) / f"{stem}.yaml"
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise ConfigError(path.name, [f"文件不存在: {path}"]) from None
    return _load_cached(str(path.resolve()), mtime)


def load_reference(name: str, directory: str | os.PathLike | None = None) -> dict:
    """Parse ``<reference folder>/<name>.yaml``, check it against its schema, return a deep copy.

    Cached per (path, modification time). Raises ConfigError listing every problem of the file
    (missing, not YAML, a missing key, a value outside its rule).
    """
    return copy.deepcopy(_checked(name, directory))


def validate_all(directory: str | os.PathLike | None = None) -> None:
    """Check every reference file at start; raise one ConfigError listing every problem of every
    file (file, key path and rule), so a client fixes them all in one round."""
    problems: list[ConfigProblem] = []
    for name in NAMES:
        try:
            _checked(name, directory)
        except ConfigError as exc:
            problems += exc.problems
    if problems:
        raise ConfigError("", problems, folder=reference_dir(directory))


def clear_cache() -> None:
    _load_cached.cache_clear()


def resolve(config: dict | None, name: str) -> dict:
    """``config`` if the caller passed one, else the reference file ``name``."""
    return load_reference(name) if config is None else config


def is_missing(x: Any) -> bool:
    """True for None, NaN, NaT, pd.NA and empty strings."""
    if x is None:
        return True
    if isinstance(x, str):
        return x.strip() == ""
    try:
        import pandas as pd

        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return isinstance(x, float) and math.isnan(x)
