"""考察准备: the field-visit briefing for any mix of units and cadres, assembled as data
(``pipelines/briefing_files.py`` writes it as Excel and PDF).

The same content feeds the 考察准备 page and ``python -m pipelines brief``. Queries bind every
value and take the caller's allowed units; flags are 需核查, never verdicts. The briefing is a
document an inspector carries: names instead of ids, Chinese for every code, one group of
questions per task or indicator. A flag whose status in ``marts.anomalies`` is 误报 or 已说明
(however it was marked: the desk or a ``checks`` record) leaves the findings and the questions
and is listed in the appendix 已核销线索.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from models.labels import BAND_LABELS, flags_text
from models.period import span_label
from pipelines import db
from pipelines.report import InputError
from pipelines.scope import HOME_POSTS, scope_params, sees_in_full, seen_in_full

SECTION_TITLES = {
    "checks": "现场核查清单", "flags": "预警(需核查)", "tasks": "滞后任务",
    "ratings": "评价摘要", "contributions": "个人贡献(含区间)", "questions": "建议询问的问题",
    "written_off": "附录:已核销线索",
}
CLASSIFICATION = "内部资料 注意保密"
NOTE = "预警为需核查事项,不是结论"
# A flag marked so is settled: out of the findings and questions, into the appendix.
WRITTEN_OFF = ("误报", "已说明")
# Where the mart carries the note, author and time of the mark or check behind a status (the
# first column present wins; a mart built before they existed shows 未记录).
MARK_DETAIL_COLUMNS = {
    "note": ("status_note", "mark_note", "check_note", "note"),
    "by": ("status_by", "marked_by", "checked_by"),
    "at": ("status_at", "marked_at", "checked_at"),
}
_TASK_ID = re.compile(r"\d{4}-[A-Z]\d+-\d+")
_SCORE_NOTE = re.compile(r"[（(]得分[-\d.]+[）)]")


@dataclass
class Briefing:
    title: str
    subject: pd.DataFrame  # who/what the briefing is about
    sections: dict[str, pd.DataFrame] = field(default_factory=dict)
    stamp: str = ""
    flag_ids: list[str] = field(default_factory=list)  # live flags in the findings
    written_off_ids: list[str] = field(default_factory=list)  # flags in the appendix


def _config() -> dict:
    from models.config import load_reference

    return load_reference("briefing")


def _homes(version: Path, cadre_ids: list[str]) -> dict[str, str]:
    """cadre → the unit of the current (or last) post, the unit the scope rule judges by."""
    if not cadre_ids:
        return {}
    posts = db.query(version, f"SELECT cadre_id, unit_id FROM ({HOME_POSTS}) WHERE cadre_id IN (SELECT unnest($cadres))",
                     {"cadres": cadre_ids})
    return dict(zip(posts["cadre_id"], posts["unit_id"]))


def _columns(version: Path, schema: str, table: str) -> set[str]:
    return set(db.query(version, "SELECT column_name FROM information_schema.columns "
                                 "WHERE table_schema = $s AND table_name = $t", {"s": schema, "t": table})["column_name"])


def _rule_label(rule, rules) -> str:
    """The rule, and the other rules the same figures tripped, in one phrase."""
    others = [r for r in dict.fromkeys(str(rules or "").split(";")) if r and r != rule]
    return f"{rule}(另触发{'、'.join(others)})" if others else str(rule)


def readable_reasons(text, task_titles: dict[str, str]) -> str:
    """An inspection_targets reason for people: task ids become 「titles」 and the internal
    ranking score in brackets is dropped (it has no unit an inspector could read)."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return "—"
    s = _SCORE_NOTE.sub("", str(text))
    return _TASK_ID.sub(lambda m: f"任务「{task_titles[m.group(0)]}」" if m.group(0) in task_titles else m.group(0), s)


def build_briefing(version: Path, unit_ids: list[str] | None = None, cadre_ids: list[str] | None = None,
                   allowed_units: list[str] | None = None) -> Briefing:
    """Assemble the briefing. ``allowed_units`` (None = all) is the caller's scope: units outside
    it and cadres it does not see in full (pipelines.scope) are refused, and a task lead it does
    not see in full is not named. The briefing covers the chosen units plus the cadres' units."""
    unit_ids, cadre_ids = sorted(set(unit_ids or [])), sorted(set(cadre_ids or []))
    if not unit_ids and not cadre_ids:
        raise InputError("请至少选择一个单位或干部")
    homes = _homes(version, cadre_ids)
    units = sorted(set(unit_ids) | set(homes.values()))
    if allowed_units is not None:
        refused = sorted(set(unit_ids) - set(allowed_units)) + [
            c for c in cadre_ids if not sees_in_full(allowed_units, homes.get(c))]
        if refused:
            raise PermissionError(f"无权查看这些单位或干部的数据: {', '.join(refused)}")
    cfg = _config()
    params = {"units": units, "cadres": cadre_ids}
    subject = db.query(version, """
        SELECT '单位' AS 类型, u.unit_id AS 编码, u.name AS 名称, u.unit_type AS 说明
        FROM staging.units AS u WHERE u.unit_id IN (SELECT unnest($units))
        UNION ALL
        SELECT '干部', c.cadre_id, c.name,
               concat_ws(' · ', c.rank, c.role_type, (SELECT string_agg(DISTINCT un.name || a.post, '、')
                  FROM staging.assignments AS a JOIN staging.units AS un USING (unit_id)
                  WHERE a.cadre_id = c.cadre_id AND a.in_post))
        FROM staging.cadres AS c WHERE c.cadre_id IN (SELECT unnest($cadres))
    """, {"units": unit_ids, "cadres": cadre_ids})
    missing = sorted((set(unit_ids) | set(cadre_ids)) - set(subject["编码"]))
    if missing:
        raise InputError(f"找不到这些单位或干部: {', '.join(missing)}")
    flags = _flags(version, params)
    live = flags[~flags["written_off"]].head(int(cfg["max_flags"]))
    settled = flags[flags["written_off"]]
    tasks = db.query(version, f"""
        WITH latest AS (
            SELECT s.*, row_number() OVER (PARTITION BY s.task_id ORDER BY s.period DESC) AS rn
            FROM marts.task_status AS s
            WHERE s.unit_id IN (SELECT unnest($units)) OR s.lead_cadre_id IN (SELECT unnest($cadres))
        )
        SELECT l.task_id, t.title AS 任务, t.category AS 类别, coalesce(u.name, l.unit_id) AS 单位,
               CASE WHEN {seen_in_full('l.lead_cadre_id')} THEN coalesce(c.name, '未指定')
                    ELSE '不在查看范围' END AS 责任人,
               l.period AS 期间, round(l.planned_pct, 1) AS "计划进度(%)", round(l.actual_pct, 1) AS "实际进度(%)",
               round(-l.gap_pp, 1) AS "落后(百分点)", l.status AS 状态, l.card AS 亮牌
        FROM latest AS l JOIN staging.tasks AS t USING (task_id)
        LEFT JOIN staging.units AS u ON u.unit_id = l.unit_id
        LEFT JOIN staging.cadres AS c ON c.cadre_id = l.lead_cadre_id
        WHERE l.rn = 1 AND (l.status IN ('滞后', '进度偏慢') OR l.card IN ('红', '橙'))
        ORDER BY l.gap_pp ASC, l.task_id
        LIMIT $limit
    """, {**params, **scope_params(allowed_units), "limit": int(cfg["max_tasks"])})
    ratings = db.query(version, """
        SELECT c.name AS 姓名, r.year AS 年度, round(r.rating_score, 1) AS 评价分,
               r.n_raters AS 评价人数, replace(r.groups_used, ';', '、') AS 采用主体,
               replace(r.groups_dropped, ';', '、') AS 剔除主体
        FROM marts.rating_scores AS r JOIN staging.cadres AS c USING (cadre_id)
        WHERE r.cadre_id IN (SELECT unnest($cadres))
        ORDER BY r.cadre_id, r.year
    """, {"cadres": cadre_ids})
    contributions = db.query(version, """
        SELECT c.name AS 姓名, k.band AS 贡献档次,
               round(k.effect, 2) AS 个人贡献, round(k.ci_low, 2) AS 区间下限, round(k.ci_high, 2) AS 区间上限,
               k.flags AS 说明
        FROM marts.contributions AS k JOIN staging.cadres AS c USING (cadre_id)
        WHERE k.indicator = '*' AND k.cadre_id IN (SELECT unnest($cadres))
        ORDER BY k.cadre_id
    """, {"cadres": cadre_ids})
    tasks["期间"] = [span_label(p) for p in tasks["期间"]]
    contributions["贡献档次"] = contributions["贡献档次"].map(lambda b: BAND_LABELS.get(b, b))
    contributions["说明"] = contributions["说明"].map(lambda f: flags_text(f) if isinstance(f, str) and f else "—")
    as_of = db.query(version, "SELECT value FROM meta.info WHERE key = 'as_of'")["value"].iloc[0]
    names = "、".join(subject["名称"].astype(str))
    sections = {
        "checks": _checklist(live),
        "flags": live[["等级", "线索", "对象", "单位", "期间", "证据强度", "原因", "核查要点"]].reset_index(drop=True),
        "tasks": tasks.drop(columns="task_id"),
    }
    if cadre_ids:  # a unit briefing has no ratings or contributions to show
        sections |= {"ratings": ratings, "contributions": contributions}
    settled_tasks = set(settled["task_id"].dropna()) - set(live["task_id"].dropna())
    sections["questions"] = _questions(live, tasks[~tasks["task_id"].isin(settled_tasks)], cfg)
    sections["written_off"] = _written_off(version, settled)
    return Briefing(
        title=f"考察准备简报:{names}",
        subject=subject.drop(columns="编码"),
        sections=sections,
        stamp=f"数据截至 {as_of} · 数据版本 {version.stem} · 生成于 {dt.datetime.now():%Y-%m-%d %H:%M}",
        flag_ids=live["flag_id"].tolist(),
        written_off_ids=settled["flag_id"].tolist(),
    )


def _flags(version: Path, params: dict) -> pd.DataFrame:
    """Flags of the units and cadres, strongest first, with names and plain labels; live ones
    (not suppressed, not marked 误报/已说明) first, then the settled ones."""
    cols = _columns(version, "marts", "anomalies")
    detail = {k: next((c for c in names if c in cols), None) for k, names in MARK_DETAIL_COLUMNS.items()}
    extra = ", ".join(f"CAST(f.{c} AS VARCHAR) AS mark_{k}" if c else f"NULL::VARCHAR AS mark_{k}"
                      for k, c in detail.items())
    frame = db.query(version, f"""
        SELECT f.flag_id, f.level, f.task_id, f.indicator, f.unit_id, f.severity AS 等级, f.rule, f.rules,
               CASE WHEN f.task_id IS NOT NULL THEN '任务「' || coalesce(t.title, f.task_id) || '」'
                    WHEN f.level = 'cadre' THEN coalesce(c.name, '干部') || '的'
                         || coalesce(f.indicator_name, f.indicator, '评价')
                    ELSE coalesce(f.indicator_name, f.indicator, '综合') END AS 对象, f.cadre_id,
               coalesce(u.name, f.unit_id, '—') AS 单位, f.period_start, f.period_end,
               round(f.score, 1) AS 证据强度, f.reason AS 原因, f.check_hint AS 核查要点,
               CAST(f.status AS VARCHAR) AS status,
               coalesce(CAST(f.status AS VARCHAR), '') IN (SELECT unnest($off)) AS written_off,
               coalesce(f.suppressed, false) AS suppressed, {extra}
        FROM marts.anomalies AS f
        LEFT JOIN staging.tasks AS t ON t.task_id = f.task_id
        LEFT JOIN staging.units AS u ON u.unit_id = f.unit_id
        LEFT JOIN staging.cadres AS c ON c.cadre_id = f.cadre_id
        WHERE (f.unit_id IN (SELECT unnest($units)) OR f.cadre_id IN (SELECT unnest($cadres)))
          AND (NOT coalesce(f.suppressed, false) OR coalesce(CAST(f.status AS VARCHAR), '') IN (SELECT unnest($off)))
        ORDER BY written_off, CASE f.severity WHEN '红' THEN 0 WHEN '橙' THEN 1 ELSE 2 END, f.rank_score DESC, f.flag_id
    """, {**params, "off": list(WRITTEN_OFF)})
    frame["线索"] = [_rule_label(r, rs) for r, rs in zip(frame["rule"], frame["rules"])]
    frame["期间"] = [span_label(a, b) for a, b in zip(frame["period_start"], frame["period_end"])]
    frame["原因"] = frame["原因"].fillna("—")
    frame["核查要点"] = frame["核查要点"].fillna("—")
    return frame


def _when(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "未记录"
    stamp = pd.to_datetime(value, errors="coerce")
    return str(value) if pd.isna(stamp) else f"{stamp:%Y-%m-%d %H:%M}".replace(" 00:00", "")


def _written_off(version: Path, settled: pd.DataFrame) -> pd.DataFrame:
    cols = ["线索", "对象", "单位", "期间", "核销结论", "说明", "标记人", "标记时间"]
    if settled.empty:
        return pd.DataFrame(columns=cols)
    details = settled.set_index("flag_id")
    out = settled.assign(
        核销结论=settled["status"],
        说明=settled["flag_id"].map(details["mark_note"]).map(lambda v: "未填写" if v is None or pd.isna(v) or not str(v).strip() else str(v)),
        标记人=settled["flag_id"].map(details["mark_by"]).map(lambda v: "未记录" if v is None or pd.isna(v) or not str(v).strip() else str(v)),
        标记时间=settled["flag_id"].map(details["mark_at"]).map(_when),
    )
    return out[cols].reset_index(drop=True)


def _checklist(flags: pd.DataFrame) -> pd.DataFrame:
    """One line per distinct on-site check, with the flags that call for it."""
    rows: dict[str, list[str]] = {}
    for f in flags.itertuples(index=False):
        for hint in str(f.核查要点 or "").replace(";", ";").split(";"):
            hint = hint.strip()
            if hint and hint != "—":
                rows.setdefault(hint, []).append(f"{f.rule}·{f.对象}")
    return pd.DataFrame([{"序号": i + 1, "核查事项": h, "依据": "、".join(dict.fromkeys(src))}
                         for i, (h, src) in enumerate(rows.items())], columns=["序号", "核查事项", "依据"])


def _questions(flags: pd.DataFrame, tasks: pd.DataFrame, cfg: dict) -> pd.DataFrame:
    """The questions to ask, one row per task or indicator: a task that is both flagged and
    lagging is asked about once, under its title. The caller leaves out lagging tasks whose
    flag was settled (误报/已说明): the explanation was already given."""
    groups: dict[tuple, dict] = {}

    def add(key, subject, unit, text):
        g = groups.setdefault(key, {"对象": subject, "单位": unit, "问题": []})
        if text not in g["问题"]:
            g["问题"].append(text)

    for f in flags.itertuples(index=False):
        is_task = isinstance(f.task_id, str) and f.task_id
        table = cfg["questions"]["task" if is_task else "series"]
        template = table.get(f.rule, cfg["default_question"]["task" if is_task else "series"])
        subject = f.对象
        name = re.sub(r"^任务「(.*)」$", r"\1", subject)  # templates add their own 「」
        key = ("task", f.task_id) if is_task else (f.level, f.unit_id, f.cadre_id if f.level == "cadre" else None,
                                                   f.indicator)
        add(key, subject, f.单位, template.format(subject=name, period=span_label(f.period_start), rule=f.rule))
    for t in tasks.itertuples(index=False):
        add(("task", t.task_id), f"任务「{t.任务}」", t.单位,
            cfg["questions"]["task"]["进度滞后"].format(subject=t.任务, period=t.期间, rule="进度滞后"))
    rows = []
    for i, g in enumerate(groups.values(), start=1):
        qs = g["问题"]
        text = qs[0] if len(qs) == 1 else "\n".join(f"{k}. {q}" for k, q in enumerate(qs, start=1))
        rows.append({"序号": i, "对象": g["对象"], "单位": g["单位"], "问题": text})
    return pd.DataFrame(rows, columns=["序号", "对象", "单位", "问题"])


def write_briefing(b: Briefing, out: Path) -> Path:
    """The briefing as .xlsx or .pdf (pipelines/briefing_files.py writes both)."""
    from pipelines.briefing_files import write_pdf, write_xlsx

    suffix = Path(out).suffix.lower()
    if suffix == ".xlsx":
        return write_xlsx(b, Path(out))
    if suffix == ".pdf":
        return write_pdf(b, Path(out))
    raise InputError("简报只能导出为 .xlsx 或 .pdf")
