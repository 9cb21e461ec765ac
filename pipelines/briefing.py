"""考察准备: the field-visit briefing for units or cadres, as data, Excel and PDF.

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
from functools import lru_cache
from pathlib import Path

import pandas as pd

from models.labels import BAND_LABELS, flags_text
from pipelines import db
from pipelines.export import safe_frame
from pipelines.report import InputError
from pipelines.scope import HOME_POSTS, scope_params, sees_in_full, seen_in_full

FONT_DIRS = (Path("/usr/share/fonts/opentype/noto"), Path("/usr/share/fonts/truetype/noto"))
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


def _period(start, end) -> str:
    start, end = ("" if pd.isna(v) else str(v) for v in (start, end))
    if not start or not end or start == end:
        return start or end or "—"
    return f"{start}至{end}"


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
    frame["期间"] = [_period(a, b) for a, b in zip(frame["period_start"], frame["period_end"])]
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
        add(key, subject, f.单位, template.format(subject=name, period=f.period_start or "", rule=f.rule))
    for t in tasks.itertuples(index=False):
        add(("task", t.task_id), f"任务「{t.任务}」", t.单位,
            cfg["questions"]["task"]["进度滞后"].format(subject=t.任务, period=t.期间, rule="进度滞后"))
    rows = []
    for i, g in enumerate(groups.values(), start=1):
        qs = g["问题"]
        text = qs[0] if len(qs) == 1 else "\n".join(f"{k}. {q}" for k, q in enumerate(qs, start=1))
        rows.append({"序号": i, "对象": g["对象"], "单位": g["单位"], "问题": text})
    return pd.DataFrame(rows, columns=["序号", "对象", "单位", "问题"])


# --- files -----------------------------------------------------------------------------------

def _display_width(s: str) -> int:
    """Characters as a spreadsheet shows them: a Chinese character takes two columns."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in s)


def write_xlsx(b: Briefing, out: Path) -> Path:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    out.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(out, engine="openpyxl") as xw:
        head = pd.DataFrame({"简报": [CLASSIFICATION, b.title, b.stamp, NOTE]})
        head.to_excel(xw, sheet_name="概况", index=False, header=False)
        safe_frame(b.subject, worksheet=True).to_excel(xw, sheet_name="概况", index=False, startrow=len(head) + 1)
        for key, frame in b.sections.items():
            shown = frame if len(frame) else pd.DataFrame([["无"] + [""] * (len(frame.columns) - 1)],
                                                           columns=frame.columns)
            safe_frame(shown, worksheet=True).to_excel(xw, sheet_name=SECTION_TITLES[key].replace(":", " ")[:31],
                                                       index=False)
        for ws in xw.book.worksheets:
            header_row = len(head) + 2 if ws.title == "概况" else 1
            ws.freeze_panes = f"A{header_row + 1}"
            ws.auto_filter.ref = f"A{header_row}:{get_column_letter(ws.max_column)}{ws.max_row}"
            ws.oddHeader.center.text = CLASSIFICATION
            ws.oddFooter.center.text = "第 &P 页 / 共 &N 页"
            ws.print_title_rows = f"{header_row}:{header_row}"
            for cell in ws[header_row]:
                cell.font = Font(bold=True)
                if cell.value in ("等级", "亮牌"):
                    for below in ws[cell.column_letter][header_row:]:
                        fill = CARD_FILLS.get(below.value)
                        if fill:
                            below.fill = PatternFill("solid", fgColor="%02X%02X%02X" % fill)
            for i, col in enumerate(ws.iter_cols(min_row=header_row, max_row=min(ws.max_row, 200)), start=1):
                width = max((max(_display_width(line) for line in str(c.value).split("\n"))
                             for c in col if c.value is not None), default=4)
                ws.column_dimensions[get_column_letter(i)].width = min(max(6, width + 2), 60)
                if width > 60:  # long text wraps inside its column instead of running off the sheet
                    for c in col[1:]:
                        c.alignment = Alignment(wrap_text=True, vertical="top")
            if ws.title == "概况":
                ws["A1"].font = Font(bold=True, color="B00000")
                ws["A2"].font = Font(bold=True, size=14)
                ws.column_dimensions["A"].width = max(ws.column_dimensions["A"].width, 12)
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


def _document(stamp: str):
    """An A4 landscape page with the 内部资料 marking on top and the page number, data version
    and generation time at the foot of every page."""
    from fpdf import FPDF

    class Document(FPDF):
        def header(self):
            self.set_font("cjk", size=9)
            self.set_text_color(176, 0, 0)
            self.cell(0, 5, CLASSIFICATION, align="R", new_x="LMARGIN", new_y="NEXT")
            self.set_draw_color(176, 0, 0)
            self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
            self.set_draw_color(0, 0, 0)
            self.set_text_color(0, 0, 0)
            self.ln(2)

        def footer(self):
            self.set_y(-11)
            self.set_font("cjk", size=8)
            self.set_text_color(110, 110, 110)
            self.cell(0, 5, stamp, align="L")
            self.set_x(self.l_margin)
            self.cell(0, 5, f"第 {self.page_no()} 页 / 共 {{nb}} 页", align="R")
            self.set_text_color(0, 0, 0)

    return Document(orientation="L", format="A4")


def write_pdf(b: Briefing, out: Path) -> Path:
    path, index = cjk_font()
    pdf = _document(b.stamp)
    pdf.add_font("cjk", fname=path, collection_font_number=index)
    pdf.set_auto_page_break(True, margin=15)
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.set_font("cjk", size=16)
    pdf.multi_cell(0, 9, b.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=9)
    pdf.set_text_color(90, 90, 90)
    pdf.multi_cell(0, 5, f"{b.stamp} · {NOTE}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    _pdf_table(pdf, "考察对象", b.subject)
    numerals = "一二三四五六七八九十"
    body = [k for k in b.sections if k != "written_off"]
    for i, key in enumerate(body):
        _pdf_table(pdf, f"{numerals[i]}、{SECTION_TITLES[key]}", b.sections[key])
    if "written_off" in b.sections:
        _pdf_table(pdf, SECTION_TITLES["written_off"], b.sections["written_off"],
                   empty="无(本简报范围内没有标记为误报或已说明的线索)",
                   note="以下线索已标记为误报或已说明,不列入上文的预警和问题,仅供备查。")
    out.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(out))
    return out


LINE_HEIGHT = 4.5
CONTINUED = "(续)"
# 等级 and 亮牌 cells in their colour (light, so black text stays readable in print)
CARD_FILLS = {"红": (239, 154, 154), "橙": (255, 204, 128), "黄": (255, 245, 157), "绿": (200, 230, 201)}
HEADING_HEIGHT = 8
SHORT_COLUMN = 32.0  # mm: a column this narrow (grade, unit, period, number) is never wrapped
TEXT_FLOOR = 34.0  # mm: the narrowest a wrapped text column gets


def _cell_text(value) -> str:
    """A cell as printed: 100.0 reads 100, 0.470 reads 0.47 (the frames are already rounded)."""
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def _col_widths(pdf, text: pd.DataFrame) -> list[float]:
    """Column widths in mm: short columns (grades, units, periods, numbers) as wide as their
    longest cell, so a date or a name never wraps mid-token; the text columns share the rest
    by their natural width, so the reasons get the room and titles wrap instead of padding."""
    pad = 2 * pdf.c_margin + 1.5
    natural = []
    for c in text.columns:
        cells = [str(c)] + [line for v in text[c] for line in v.split("\n")]
        # a very long cell is as wide as the page at most: measure a prefix, not 10,000 characters
        natural.append(max(pdf.get_string_width(s[:200]) for s in cells) + pad)
    total = pdf.epw
    if sum(natural) <= total:
        return natural
    short = [w <= SHORT_COLUMN for w in natural]
    room = total - sum(w for w, s in zip(natural, short) if s)
    flexible = [i for i, s in enumerate(short) if not s]
    if not flexible or room < TEXT_FLOOR * len(flexible):  # too many short columns: shrink all alike
        return natural
    # the text columns share the room by their natural width, none narrower than TEXT_FLOOR
    widths, floored = list(natural), set()
    while True:
        free = [i for i in flexible if i not in floored]
        left = room - TEXT_FLOOR * len(floored)
        weight = sum(min(natural[i], total) for i in free)
        for i in free:
            widths[i] = left * min(natural[i], total) / weight
        low = [i for i in free if widths[i] < TEXT_FLOOR]
        if not low:
            return widths
        for i in low:
            widths[i] = TEXT_FLOOR
            floored.add(i)


def _pdf_table(pdf, title: str, frame: pd.DataFrame, empty: str = "无", note: str = "") -> None:
    from fpdf.fonts import FontFace

    text = frame.astype(object).where(frame.notna(), "").map(_cell_text) if len(frame) else frame
    pdf.set_font("cjk", size=8)
    widths = _col_widths(pdf, text) if len(frame) else []
    rows = _page_rows(pdf, text, widths) if len(frame) else []
    # keep the heading with the table's header row and its first row (or the 无 line)
    first = 0.0
    if rows:
        first = max(len(pdf.multi_cell(pdf.epw * w / sum(widths) - 2 * pdf.c_margin, LINE_HEIGHT, v,
                                       dry_run=True, output="LINES")) for v, w in zip(rows[0], widths)) * LINE_HEIGHT
    need = 3 + HEADING_HEIGHT + (5 if note else 0) + (LINE_HEIGHT + 2) * 2 + first
    if pdf.get_y() + need > pdf.page_break_trigger:
        pdf.add_page()
    pdf.ln(3)
    pdf.set_font("cjk", size=12)
    pdf.cell(0, HEADING_HEIGHT, title, new_x="LMARGIN", new_y="NEXT")
    if note:
        pdf.set_font("cjk", size=8)
        pdf.set_text_color(90, 90, 90)
        pdf.cell(0, 5, note, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
    pdf.set_font("cjk", size=8)
    if frame.empty:
        pdf.cell(0, 6, empty, new_x="LMARGIN", new_y="NEXT")
        return
    with pdf.table(col_widths=widths, headings_style=FontFace(fill_color=(230, 236, 245)),
                   line_height=LINE_HEIGHT, text_align="LEFT", repeat_headings=1) as table:
        table.row([str(c) for c in text.columns])
        coloured = [i for i, c in enumerate(text.columns) if c in ("等级", "亮牌")]
        for row in rows:
            cells = table.row()
            for i, value in enumerate(row):
                fill = CARD_FILLS.get(value) if i in coloured else None
                cells.cell(value, style=FontFace(fill_color=fill) if fill else None)


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
