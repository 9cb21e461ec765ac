"""考察准备: the field-visit briefing for units or cadres, as data, Excel and PDF.

The same content feeds the 考察准备 page and ``python -m pipelines brief``. Queries bind every
value and take the caller's allowed units; flags are 需核查, never verdicts.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from pipelines import db
from pipelines.export import safe_frame
from pipelines.report import InputError
from pipelines.scope import HOME_POSTS, scope_params, sees_in_full, seen_in_full

FONT_DIRS = (Path("/usr/share/fonts/opentype/noto"), Path("/usr/share/fonts/truetype/noto"))
SECTION_TITLES = {
    "checks": "现场核查清单", "flags": "预警(需核查)", "tasks": "滞后任务",
    "ratings": "评价摘要", "contributions": "个人贡献(含区间)", "questions": "建议询问的问题",
}


@dataclass
class Briefing:
    title: str
    subject: pd.DataFrame  # who/what the briefing is about
    sections: dict[str, pd.DataFrame] = field(default_factory=dict)
    stamp: str = ""


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
    flags = db.query(version, """
        SELECT f.flag_id, f.severity AS 等级, f.rule AS 规则, f.rules AS 触发规则,
               coalesce(f.indicator_name, f.indicator, f.task_id) AS 对象, f.unit_id AS 单位,
               f.period_start AS 起, f.period_end AS 止, round(f.score, 1) AS 证据强度,
               f.reason AS 原因, f.check_hint AS 核查要点
        FROM marts.anomalies AS f
        WHERE (f.unit_id IN (SELECT unnest($units)) OR f.cadre_id IN (SELECT unnest($cadres)))
          AND NOT coalesce(f.suppressed, false) AND coalesce(f.status, '') <> '误报'
        ORDER BY CASE f.severity WHEN '红' THEN 0 WHEN '橙' THEN 1 ELSE 2 END, f.rank_score DESC
        LIMIT $limit
    """, {**params, "limit": int(cfg["max_flags"])})
    tasks = db.query(version, f"""
        WITH latest AS (
            SELECT s.*, row_number() OVER (PARTITION BY s.task_id ORDER BY s.period DESC) AS rn
            FROM marts.task_status AS s
            WHERE s.unit_id IN (SELECT unnest($units)) OR s.lead_cadre_id IN (SELECT unnest($cadres))
        )
        SELECT l.task_id AS 任务编码, t.title AS 任务, t.category AS 类别,
               CASE WHEN {seen_in_full('l.lead_cadre_id')} THEN c.name ELSE '不在查看范围' END AS 责任人,
               l.period AS 期间, l.planned_pct AS 计划进度, l.actual_pct AS 实际进度,
               round(l.gap_pp, 1) AS 差距pp, l.status AS 状态, l.card AS 亮牌
        FROM latest AS l JOIN staging.tasks AS t USING (task_id)
        LEFT JOIN staging.cadres AS c ON c.cadre_id = l.lead_cadre_id
        WHERE l.rn = 1 AND (l.status IN ('滞后', '进度偏慢') OR l.card IN ('红', '橙'))
        ORDER BY l.gap_pp ASC
        LIMIT $limit
    """, {**params, **scope_params(allowed_units), "limit": int(cfg["max_tasks"])})
    ratings = db.query(version, """
        SELECT r.cadre_id AS 干部编码, c.name AS 姓名, r.year AS 年度, round(r.rating_score, 1) AS 评价分,
               r.n_raters AS 评价人数, r.groups_used AS 采用主体, r.groups_dropped AS 剔除主体
        FROM marts.rating_scores AS r JOIN staging.cadres AS c USING (cadre_id)
        WHERE r.cadre_id IN (SELECT unnest($cadres))
        ORDER BY r.cadre_id, r.year
    """, {"cadres": cadre_ids})
    contributions = db.query(version, """
        SELECT k.cadre_id AS 干部编码, c.name AS 姓名, k.band AS 贡献档次,
               round(k.effect, 2) AS 个人贡献, round(k.ci_low, 2) AS 区间下限, round(k.ci_high, 2) AS 区间上限,
               k.flags AS 说明
        FROM marts.contributions AS k JOIN staging.cadres AS c USING (cadre_id)
        WHERE k.indicator = '*' AND k.cadre_id IN (SELECT unnest($cadres))
    """, {"cadres": cadre_ids})
    checks = _checklist(flags)
    questions = _questions(flags, tasks, cfg)
    as_of = db.query(version, "SELECT value FROM meta.info WHERE key = 'as_of'")["value"].iloc[0]
    names = "、".join(subject["名称"].astype(str))
    return Briefing(
        title=f"考察准备简报:{names}",
        subject=subject,
        sections={"checks": checks, "flags": flags.drop(columns="flag_id"), "tasks": tasks,
                  "ratings": ratings, "contributions": contributions, "questions": questions},
        stamp=f"数据截至 {as_of} · 版本 {version.stem} · 生成于 {dt.datetime.now():%Y-%m-%d %H:%M}",
    )


def _checklist(flags: pd.DataFrame) -> pd.DataFrame:
    """One line per distinct on-site check, with the flags that call for it."""
    rows: dict[str, list[str]] = {}
    for f in flags.itertuples(index=False):
        for hint in str(f.核查要点 or "").replace(";", ";").split(";"):
            hint = hint.strip()
            if hint:
                rows.setdefault(hint, []).append(f"{f.规则}·{f.对象}")
    return pd.DataFrame([{"序号": i + 1, "核查事项": h, "依据": "、".join(dict.fromkeys(src))}
                         for i, (h, src) in enumerate(rows.items())], columns=["序号", "核查事项", "依据"])


def _questions(flags: pd.DataFrame, tasks: pd.DataFrame, cfg: dict) -> pd.DataFrame:
    questions = []
    for f in flags.itertuples(index=False):
        template = cfg["questions"].get(f.规则, cfg["default_question"])
        questions.append(template.format(subject=f.对象, period=f.起, rule=f.规则))
    for t in tasks.itertuples(index=False):
        questions.append(cfg["questions"]["进度滞后"].format(subject=t.任务, period=t.期间, rule="进度滞后"))
    unique = list(dict.fromkeys(questions))
    return pd.DataFrame({"序号": range(1, len(unique) + 1), "问题": unique})


# --- files -----------------------------------------------------------------------------------

def write_xlsx(b: Briefing, out: Path) -> Path:
    from openpyxl.utils import get_column_letter

    out.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(out, engine="openpyxl") as xw:
        head = pd.concat([pd.DataFrame({"类型": ["简报"], "编码": [""], "名称": [b.title], "说明": [b.stamp]}), b.subject])
        safe_frame(head, worksheet=True).to_excel(xw, sheet_name="概况", index=False)
        for key, frame in b.sections.items():
            safe_frame(frame, worksheet=True).to_excel(xw, sheet_name=SECTION_TITLES[key][:31], index=False)
        for ws in xw.book.worksheets:
            for i, col in enumerate(ws.iter_cols(min_row=1, max_row=min(ws.max_row, 50)), start=1):
                width = max((len(str(c.value)) if c.value is not None else 0) for c in col)
                ws.column_dimensions[get_column_letter(i)].width = min(max(8, width * 1.6), 80)
    return out


@lru_cache(maxsize=1)
def cjk_font() -> tuple[str, int]:
    """Path and collection index of a Simplified-Chinese Noto Sans CJK font (fonts-noto-cjk)."""
    from fontTools.ttLib import TTCollection

    for d in FONT_DIRS:
        for path in sorted(d.glob("NotoSansCJK-Regular.tt*")):
            if path.suffix == ".ttc":
                for i, font in enumerate(TTCollection(str(path)).fonts):
                    if font["name"].getDebugName(4) == "Noto Sans CJK SC":
                        return str(path), i
            return str(path), 0
    raise RuntimeError("找不到中文字体:请安装 fonts-noto-cjk (apt-get install -y fonts-noto-cjk)")


def write_pdf(b: Briefing, out: Path) -> Path:
    from fpdf import FPDF

    path, index = cjk_font()
    pdf = FPDF(orientation="L", format="A4")
    pdf.add_font("cjk", fname=path, collection_font_number=index)
    pdf.set_auto_page_break(True, margin=12)
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.set_font("cjk", size=16)
    pdf.multi_cell(0, 9, b.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=9)
    pdf.set_text_color(90, 90, 90)
    pdf.multi_cell(0, 5, b.stamp + " · 预警为需核查事项,不是结论", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    _pdf_table(pdf, "对象", b.subject)
    for key, frame in b.sections.items():
        _pdf_table(pdf, SECTION_TITLES[key], frame)
    out.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(out))
    return out


def _pdf_table(pdf, title: str, frame: pd.DataFrame) -> None:
    from fpdf.fonts import FontFace

    pdf.ln(3)
    pdf.set_font("cjk", size=12)
    pdf.cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=8)
    if frame.empty:
        pdf.cell(0, 6, "无", new_x="LMARGIN", new_y="NEXT")
        return
    text = frame.astype(object).where(frame.notna(), "").astype(str)
    widths = [max(6, min(60, text[c].str.len().max() if len(text) else 4, 60)) for c in text.columns]
    widths = [max(w, len(str(c))) for w, c in zip(widths, text.columns)]
    with pdf.table(col_widths=widths, headings_style=FontFace(fill_color=(230, 236, 245)),
                   line_height=LINE_HEIGHT, text_align="LEFT") as table:
        table.row([str(c) for c in text.columns])
        for row in _page_rows(pdf, text, widths):
            table.row(row)


LINE_HEIGHT = 4.5
CONTINUED = "(续)"


def _page_rows(pdf, text: pd.DataFrame, widths: list[float]) -> list[list[str]]:
    """The table rows, each short enough for one page. A table row cannot span pages (fpdf2
    refuses it), so a cell that wraps to more lines than fit continues in the rows below,
    marked 续: a long task title or comment is split, never cut."""
    max_lines = int((pdf.h - pdf.t_margin - pdf.b_margin) * 0.7 / LINE_HEIGHT)
    # a little narrower than the table's cells, so a piece never wraps to more lines there
    inner = [pdf.epw * w / sum(widths) - 2 * pdf.c_margin - 1.0 for w in widths]
    rows = []
    for row in text.itertuples(index=False):
        pieces = []
        for value, width in zip(row, inner):
            if len(value) <= max_lines:  # even one character a line fits
                pieces.append([value])
                continue
            lines = pdf.multi_cell(width, LINE_HEIGHT, value, dry_run=True, output="LINES")
            pieces.append(["\n".join(lines[i:i + max_lines]) for i in range(0, len(lines), max_lines)] or [""])
        for k in range(max(len(p) for p in pieces)):
            cells = [p[k] if k < len(p) else "" for p in pieces]
            if k:
                cells[0] = CONTINUED + cells[0]
            rows.append(cells)
    return rows


def write_briefing(b: Briefing, out: Path) -> Path:
    suffix = Path(out).suffix.lower()
    if suffix == ".xlsx":
        return write_xlsx(b, Path(out))
    if suffix == ".pdf":
        return write_pdf(b, Path(out))
    raise InputError("简报只能导出为 .xlsx 或 .pdf")


