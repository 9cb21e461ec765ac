"""考察准备 as files: the assembled ``Briefing`` (pipelines/briefing.py) written as an Excel workbook
(frozen headers, filters, widths, coloured grades) and as an A4 PDF with an embedded Noto CJK
font, the 内部资料 marking, page numbers, headings kept with their tables and long cells
continued across pages rather than cut."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from pipelines.briefing import CLASSIFICATION, NOTE, SECTION_TITLES, Briefing
from pipelines.export import safe_frame

FONT_DIRS = (Path("/usr/share/fonts/opentype/noto"), Path("/usr/share/fonts/truetype/noto"))


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
