"""Validate a batch: per-table rules with pandera (lazy, every error at once), then rules across
tables checked on the merged state (published data plus the batch).

Only rows of the incoming batch (``_new`` true) are reported: published rows were valid when
they were accepted, and a batch may legitimately reference them.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pandera.pandas as pa

from models.period import Period
from pipelines import normalize as nz
from pipelines.contract import REFERENCES, TABLES, UNIT_TYPES, Table
from pipelines.report import Issue

SHARE_TOLERANCE = 1e-6
REFERENCE_RULES = {
    "units": "未知单位",
    "cadres": "未知干部",
    "tasks": "未知任务",
    "enterprises": "未知企业",
}
CHECK_RULES = {
    "not_nullable": "必填为空",
    "multiple_fields_uniqueness": "主键重复",
    "field_uniqueness": "主键重复",
    "isin": "枚举值",
    "in_range": "超出范围",
}
STAGES = ("signed", "landed", "started", "producing", "at_capacity")


# --- per table -----------------------------------------------------------------------------

def table_schema(table: Table) -> pa.DataFrameSchema:
    columns = {}
    for col in table.columns:
        checks = []
        if col.enum is not None:
            checks.append(pa.Check.isin(list(col.enum)))
        if col.min is not None and col.max is not None:
            checks.append(pa.Check.in_range(col.min, col.max))
        elif col.min is not None:
            checks.append(pa.Check.in_range(col.min, np.inf))
        columns[col.name] = pa.Column(checks=checks, nullable=not col.required, required=False, coerce=False)
    return pa.DataFrameSchema(columns, unique=list(table.key), report_duplicates="all", strict=False)


def check_table(table: Table, frame: pd.DataFrame) -> list[Issue]:
    """Types were checked while parsing; here: required values, enums, ranges, duplicate keys."""
    if frame.empty:
        return []
    probe = frame[table.column_names].copy()
    if table.name == "indicators":
        probe["direction"] = probe["direction"].astype("float64")
    try:
        table_schema(table).validate(probe, lazy=True)
        return []
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
    issues = []
    for case in cases.itertuples(index=False):
        idx = case.index
        if idx is None or (isinstance(idx, float) and np.isnan(idx)):
            continue
        check = str(case.check)
        rule = next((r for k, r in CHECK_RULES.items() if check.startswith(k)), check)
        column = case.column
        value = "" if pd.isna(case.failure_case) else str(case.failure_case)
        source, row = frame.at[idx, "_source"], frame.at[idx, "_row"]
        if rule == "主键重复":
            column = "+".join(table.key)
            value = "/".join(str(frame.at[idx, k]) for k in table.key)
        issues.append(Issue(str(source), int(row), column, rule, value, _message(table, column, rule, check)))
    return issues


def _message(table: Table, column: str, rule: str, check: str) -> str:
    if rule == "必填为空":
        return f"{column} 为必填项"
    if rule == "枚举值":
        return f"{column} 只能取 {'/'.join(table.column(column).enum)}"
    if rule == "超出范围":
        col = table.column(column)
        if col.max is None:
            return f"{column} 不能小于 {col.min:g}"
        return f"{column} 应在 {col.min:g}–{col.max:g} 之间"
    if rule == "主键重复":
        return f"主键 ({', '.join(table.key)}) 在本批次中重复"
    return check


# --- across tables ---------------------------------------------------------------------------

def check_batch(state: dict[str, pd.DataFrame], dictionary: dict, today: dt.date,
                replaced: set[str] = frozenset()) -> list[Issue]:
    """Rules that need other tables or published data. ``state`` is the merged state; a table in
    ``replaced`` was taken whole from the batch, so published rows that point into it are
    checked too (replacing units must not orphan the assignments that name them)."""
    issues: list[Issue] = []
    issues += _references(state, replaced)
    issues += _indicator_values(state, dictionary)
    issues += _future(state, today)
    issues += _assignments(state)
    issues += _projects(state)
    issues += _ratings(state)
    issues += _indicator_definitions(state)
    issues += _unit_tree(state)
    issues += _checks(state, dictionary)
    return issues


def _new(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["_new"].fillna(False).astype(bool)] if "_new" in frame else frame.iloc[0:0]


def _issue(row, column: str, rule: str, value, message: str) -> Issue:
    return Issue(str(row["_source"]), int(row["_row"]), column, rule, "" if value is None else str(value), message)


def _references(state, replaced: set[str] = frozenset()) -> list[Issue]:
    issues = []
    for (tname, col), (ref_table, ref_col) in REFERENCES.items():
        frame = state[tname] if ref_table in replaced else _new(state[tname])
        if frame.empty or col not in frame:
            continue
        values = frame[col].dropna().astype(str)
        if TABLES[tname].column(col).kind == "list":
            values = values.str.split(";").explode()
        values = values[values != ""]
        known = set(state[ref_table][ref_col].dropna().astype(str))
        rule = REFERENCE_RULES[ref_table]
        # the person fixing the file knows the tables by their Chinese names, not by code
        ref = TABLES[ref_table]
        where = f"{ref.zh}表的{(ref.column(ref_col).aliases or (ref_col,))[0]}"
        for idx, v in values[~values.isin(known)].items():
            issues.append(_issue(frame.loc[idx], col, rule, v,
                                 f"{where}中没有「{v}」(本批次和已发布数据中都找不到)"))
    return issues


def resolve_indicators(frame: pd.DataFrame, dictionary: dict, column: str = "indicator") -> tuple[pd.DataFrame, list[Issue]]:
    """Map indicator codes or Chinese names to codes; unknown ones are reported."""
    lookup = {code.lower(): code for code in dictionary}
    lookup.update({nz.clean(d["name"]).lower(): code for code, d in dictionary.items()})
    issues = []
    if frame.empty:
        return frame, issues
    frame = frame.copy()
    if column == "indicators":  # assignments: ';'-separated list
        resolved = []
        for _, row in frame.iterrows():
            if pd.isna(row[column]) or not str(row[column]):
                resolved.append(row[column])
                continue
            codes = []
            for part in str(row[column]).split(";"):
                code = lookup.get(part.lower())
                if code is None:
                    issues.append(_issue(row, column, "未知指标", part, "指标字典中没有该指标编码或名称"))
                codes.append(code or part)
            resolved.append(";".join(dict.fromkeys(codes)))
        frame[column] = pd.array(resolved, dtype="string")
        return frame, issues
    mapped = frame[column].astype("string").str.lower().map(lookup)
    for _, row in frame[mapped.isna() & frame[column].notna()].iterrows():
        issues.append(_issue(row, column, "未知指标", row[column], "指标字典中没有该指标编码或名称"))
    frame[column] = mapped.fillna(frame[column]).astype("string")
    return frame, issues


def _indicator_values(state, dictionary) -> list[Issue]:
    frame = _new(state["indicator_values"])
    issues = []
    if frame.empty:
        return issues
    for code, group in frame.groupby("indicator"):
        spec = dictionary.get(code)
        if spec is None:
            continue
        unit = str(spec.get("unit", ""))
        if "_suffix" in group:
            sufs = group["_suffix"].fillna("")
            explicit = sufs[sufs != ""]
            if explicit.nunique() > 1:
                majority = explicit.value_counts().index[0]
                for idx in explicit[explicit != majority].index:
                    issues.append(_issue(group.loc[idx], "value", "单位混用", sufs[idx],
                                         f"指标 {code} 的数值混用了不同单位(多数行为「{majority}」)"))
            for idx in explicit.index:
                if sufs[idx] != unit and not (unit == "%" and sufs[idx] == "%"):
                    issues.append(_issue(group.loc[idx], "value", "单位不符", sufs[idx],
                                         f"指标 {code} 的计量单位是「{unit}」"))
        lo, hi = spec.get("valid_min"), spec.get("valid_max")
        for col in ("value", "target", "verified_value"):
            vals = group[col]
            bad = vals.notna() & (((vals < lo) if lo is not None else False) | ((vals > hi) if hi is not None else False))
            for idx in group.index[bad]:
                issues.append(_issue(group.loc[idx], col, "超出范围", f"{vals[idx]:g}",
                                     f"指标 {code} 的合理范围是 {lo}–{hi} {unit}"))
    return issues


def _future(state, today: dt.date) -> list[Issue]:
    issues = []
    for tname in ("indicator_values", "task_progress", "ratings"):
        frame = _new(state[tname])
        periods = frame["period"].dropna().astype(str)
        starts = periods.map({p: Period.parse(p).start for p in periods.unique()})
        for idx in starts.index[starts > today]:
            row = frame.loc[idx]
            issues.append(_issue(row, "period", "未来期间", row["period"], f"期间晚于今天({today.isoformat()})"))
    dated = [("task_progress", "reported_at"), ("checks", "checked_at")] + [("projects", s) for s in STAGES]
    for tname, col in dated:
        frame = _new(state[tname])
        future = frame[frame[col].notna() & (frame[col] > pd.Timestamp(today))]
        for _, row in future.iterrows():
            issues.append(_issue(row, col, "未来日期", row[col].date().isoformat(), f"日期晚于今天({today.isoformat()})"))
    return issues


def _assignments(state) -> list[Issue]:
    frame = state["assignments"]
    new = _new(frame)
    issues = []
    bad = new[new["end"].notna() & (new["end"] < new["start"])]
    for _, row in bad.iterrows():
        issues.append(_issue(row, "end", "结束早于开始", row["end"].date().isoformat(),
                             f"任职结束早于任职起始 {row['start'].date().isoformat()}"))
    issues += _share_sums(frame)
    return issues


def share_months(frame: pd.DataFrame, until: pd.Timestamp | None = None) -> pd.DataFrame:
    """One row per assignment × calendar month it covers (at least partly) up to ``until``
    (default today: no data may be later), with its share. An open end or one after ``until``
    (9999-12-31 from HR systems) stops at ``until``, so a span never grows past the data."""
    frame = frame[frame["start"].notna()].copy()
    until = until or pd.Timestamp(dt.date.today())
    end = frame["end"].where(frame["end"] <= until).fillna(until)
    end = end.where(end >= frame["start"], frame["start"])
    start_m = frame["start"].dt.year * 12 + frame["start"].dt.month - 1
    end_m = end.dt.year * 12 + end.dt.month - 1
    n = (end_m - start_m + 1).clip(lower=1).astype(int).to_numpy()
    rep = frame.loc[frame.index.repeat(n)].copy()
    rep["_month"] = np.repeat(start_m.to_numpy(), n) + _ranges(n)
    rep["share"] = rep["share"].fillna(1.0)
    return rep


def _ranges(n: np.ndarray) -> np.ndarray:
    total = int(n.sum())
    if total == 0:
        return np.zeros(0, dtype=int)
    offsets = np.repeat(np.cumsum(n) - n, n)
    return np.arange(total) - offsets


def _share_sums(frame: pd.DataFrame) -> list[Issue]:
    """Shares of one unit, month and indicator may not add up to more than 1."""
    if frame.empty or not frame["_new"].fillna(False).any():
        return []
    months = share_months(frame)
    months["_ind"] = months["indicators"].fillna("").astype(str).str.split(";")
    long = months.explode("_ind")
    # An empty list means "all indicators": it counts against every indicator of the unit.
    specific = long[long["_ind"] != ""]
    general = long[long["_ind"] == ""]
    totals = []
    if not specific.empty:
        gen_sum = general.groupby(["unit_id", "_month"])["share"].sum()
        spec_sum = specific.groupby(["unit_id", "_month", "_ind"])["share"].sum().reset_index()
        spec_sum["total"] = spec_sum["share"] + spec_sum.set_index(["unit_id", "_month"]).index.map(gen_sum).fillna(0).to_numpy()
        totals.append(spec_sum[["unit_id", "_month", "_ind", "total"]])
    gen_only = general.groupby(["unit_id", "_month"])["share"].sum().reset_index().rename(columns={"share": "total"})
    gen_only["_ind"] = ""
    totals.append(gen_only)
    over = pd.concat(totals)
    over = over[over["total"] > 1 + SHARE_TOLERANCE]
    if over.empty:
        return []
    issues = []
    first = over.sort_values("_month").groupby(["unit_id"]).first().reset_index()
    for _, o in first.iterrows():
        month = f"{o['_month'] // 12}-{o['_month'] % 12 + 1:02d}"
        involved = long[(long["unit_id"] == o["unit_id"]) & (long["_month"] == o["_month"])
                        & ((long["_ind"] == o["_ind"]) | (long["_ind"] == ""))]
        is_new = involved["_new"].fillna(False).astype(bool)
        published = involved[~is_new].drop_duplicates(["cadre_id", "start"])
        hint = ""
        if len(published):  # likely a corrected start date beside the old row it should replace
            held = "、".join(f"{r.cadre_id}(起 {r.start:%Y-%m-%d})" for r in published.itertuples())
            hint = (f";与已发布的任职 {held} 重叠。如是在更正任职起始日期,"
                    "请用 python -m pipelines ingest --replace assignments 整表替换任职表")
        what = f"指标 {o['_ind']}" if o["_ind"] else "全部指标"
        for _, row in involved[is_new].drop_duplicates(["_source", "_row"]).iterrows():
            issues.append(_issue(row, "share", "份额超限", f"{o['total']:.2f}",
                                 f"单位 {o['unit_id']} 在 {month} 的{what}责任份额合计 {o['total']:.2f},超过 1{hint}"))
    return issues


def _projects(state) -> list[Issue]:
    frame = _new(state["projects"])
    issues = []
    for _, row in frame.iterrows():
        reached = [(s, row[s]) for s in STAGES if pd.notna(row[s])]
        for (s1, d1), (s2, d2) in zip(reached, reached[1:]):
            if d2 < d1:
                issues.append(_issue(row, s2, "阶段倒序", d2.date().isoformat(),
                                     f"{s2} 日期早于前一阶段 {s1} ({d1.date().isoformat()})"))
    return issues


def _ratings(state) -> list[Issue]:
    frame = _new(state["ratings"])
    issues = []
    numeric = pd.to_numeric(frame["score"], errors="coerce")
    for idx in frame.index[numeric.notna() & ((numeric < 0) | (numeric > 100))]:
        issues.append(_issue(frame.loc[idx], "score", "评分越界", frame.at[idx, "score"], "评分应在 0–100 之间,或为 好/较好/一般/差"))
    return issues


def _indicator_definitions(state) -> list[Issue]:
    frame = _new(state["indicators"])
    issues = []
    for _, row in frame.iterrows():
        if pd.notna(row["direction"]) and int(row["direction"]) not in (1, -1):
            issues.append(_issue(row, "direction", "枚举值", row["direction"], "方向只能是 1 或 -1"))
        for t in str(row["unit_type"] or "").split(";") if pd.notna(row["unit_type"]) else []:
            if t and t not in UNIT_TYPES:
                issues.append(_issue(row, "unit_type", "枚举值", t, f"适用单位类型只能取 {'/'.join(UNIT_TYPES)}"))
    return issues


def _unit_tree(state) -> list[Issue]:
    """parent_id must form a tree: a unit may not be its own ancestor."""
    from models.hierarchy import ancestors, parent_map

    units = state["units"]
    parents = parent_map(units)
    issues = []
    for _, row in _new(units).iterrows():
        uid = str(row["unit_id"])
        chain = ancestors(uid, parents)
        if parents.get(chain[-1] if chain else uid) in {uid, *chain}:  # the walk stopped at a unit seen before
            issues.append(_issue(row, "parent_id", "上级成环", row["parent_id"],
                                 f"单位 {uid} 的上级链出现循环({' → '.join([uid, *chain])} → …),上级单位必须构成树"))
    return issues


def _checks(state, dictionary) -> list[Issue]:
    """A 核验记录 must say what was checked: a flag, a task, or a unit's indicator in a period;
    its indicator must be known (by code or Chinese name, resolved when the build reads it)."""
    frame = _new(state["checks"])
    issues = []
    if frame.empty:
        return issues
    known = {code.lower() for code in dictionary} | {nz.clean(d["name"]).lower() for d in dictionary.values()}

    def given(col):
        return frame[col].notna() & (frame[col].astype("string").fillna("") != "")

    series = given("unit_id") & given("indicator") & given("period")
    for _, row in frame[~(given("flag_id") | given("task_id") | series)].iterrows():
        issues.append(_issue(row, "flag_id", "缺少核验对象", "",
                             "核验记录须填写 线索编号,或 任务编码,或 单位编码+指标+期间 三项"))
    for _, row in frame[given("indicator")].iterrows():
        if str(row["indicator"]).lower() not in known:
            issues.append(_issue(row, "indicator", "未知指标", row["indicator"], "指标字典中没有该指标编码或名称"))
    return issues
