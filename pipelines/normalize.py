"""Parse the spellings the contract accepts into canonical values.

Every parser takes a raw cell string (already NFKC-normalised) and returns the canonical value,
or raises ``ValueError`` with a short Chinese explanation that ends up in the validation report.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata

from models.period import Period
from models.vocabulary import GRADE_WORDS as GRADES

CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
TRUE_WORDS = {"true", "t", "yes", "y", "1", "是", "对", "√", "规上"}
FALSE_WORDS = {"false", "f", "no", "n", "0", "否", "不是", "×", "规下"}
# Values written as blanks by people and by exports from other systems.
BLANKS = {"", "nan", "none", "null", "nat", "-", "/"}


def clean(value) -> str:
    """NFKC-normalise and strip a cell; full-width digits and ％ become ASCII."""
    if value is None:
        return ""
    s = unicodedata.normalize("NFKC", str(value)).strip()
    # Zero-width and non-breaking spaces survive NFKC in some exports.
    return s.replace("\u200b", "").replace("\ufeff", "").strip()


def is_blank(s: str) -> bool:
    return s.strip().lower() in BLANKS


_PERIOD_PATTERNS = [
    (re.compile(r"^(\d{4})[-/.年]?(?:第)?([1-4一二三四])(?:季度|季|q)$", re.I), "Q"),
    (re.compile(r"^(\d{4})[-/.]?q([1-4])$", re.I), "Q"),
    # "2024年1-2月" / "2024年1—2月": January and February reported together, stored as 02.
    (re.compile(r"^(\d{4})年0?1[-~—–至]0?2月$"), "JF"),
    (re.compile(r"^(\d{4})[-/.年](\d{1,2})月?$"), "M"),
    # Excel turns a typed "2024-03" or "2024年3月" into a date cell, read back as 2024-03-01.
    (re.compile(r"^(\d{4})-(\d{2})-01(?:[ t]00:00(?::00)?)?$", re.I), "M"),
    (re.compile(r"^(\d{4})(\d{2})$"), "M"),
    (re.compile(r"^(\d{4})年?(?:度)?$"), "Y"),
]


def parse_period(s: str) -> str:
    """'2024-03', '2024年3月', '2024-Q1', '2024年一季度', '2024', '2024年' → canonical period; a
    date on the first or last day of a month (as Excel writes a month, or its serial) → the month.
    This is the door: past it every layer reads the code through ``models.period.Period``."""
    written = clean(s)
    s = written.replace(" ", "")
    for pattern, kind in _PERIOD_PATTERNS:
        m = pattern.match(s)
        if not m:
            continue
        year = int(m.group(1))
        if not 1990 <= year <= 2100:
            raise ValueError("年份超出范围")
        if kind == "Q":
            return Period(year, "quarter", CN_DIGITS[m.group(2)]).code
        if kind == "JF":
            return Period.month(year, 2).code
        if kind == "M":
            month = int(m.group(2))
            if not 1 <= month <= 12:
                raise ValueError("月份超出范围")
            return Period.month(year, month).code
        return Period(year, "year").code
    try:
        day = parse_date(written)
    except ValueError:
        raise ValueError(f"无法识别的期间写法,{PERIOD_FORMS}") from None
    if day.day == 1 or day == Period.month(day.year, day.month).end:
        return parse_period(f"{day.year}-{day.month:02d}")
    raise ValueError(f"{day.isoformat()} 不是月初或月末日期,{PERIOD_FORMS}")


PERIOD_FORMS = "期间应写作 2025-11 或 2025年11月(月度)、2025-Q4 或 2025年四季度(季度)、2025(年度)"


_DATE_PATTERNS = [
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ t]\d{1,2}:\d{2}(?::\d{2})?)?$", re.I),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]
EXCEL_EPOCH = dt.date(1899, 12, 30)
# Serials from 1990-01-01 (32874) to 2100-12-31 (73415): five digits, never a YYYY or YYYYMM.
_EXCEL_SERIAL = re.compile(r"^(3[2-9]\d{3}|[4-6]\d{4}|7[0-3]\d{3})(?:\.0+)?$")
_MONTH_PATTERNS = [re.compile(r"^(\d{4})[-/.](\d{1,2})$"), re.compile(r"^(\d{4})年(\d{1,2})月$")]


def parse_date(s, month_end: bool = False) -> dt.date:
    """'2024-03-15', '2024/3/15', '2024年3月15日', '2024-03' (first or last day) → date."""
    if isinstance(s, dt.datetime):
        return s.date()
    if isinstance(s, dt.date):
        return s
    s = clean(s)
    serial = _EXCEL_SERIAL.match(s)
    if serial:  # a date cell exported as a number (Excel counts days from 1899-12-30)
        return EXCEL_EPOCH + dt.timedelta(days=int(serial.group(1)))
    for pattern in _DATE_PATTERNS:
        m = pattern.match(s)
        if m:
            try:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                raise ValueError("日期不存在") from None
    for pattern in _MONTH_PATTERNS:
        m = pattern.match(s)
        if m:
            year, month = int(m.group(1)), int(m.group(2))
            if not 1 <= month <= 12:
                raise ValueError("月份超出范围")
            return Period.month(year, month).end if month_end else dt.date(year, month, 1)
    raise ValueError("无法识别的日期写法")


_NUMBER = re.compile(r"^([+-]?(?:\d+(?:,\d{3})*|\d*)(?:\.\d+)?)(?:[eE]([+-]?\d+))?\s*(.*)$")
# Money suffixes convert to the storage unit 万元; anything else is kept as a label.
MONEY_FACTORS = {"万元": 1.0, "亿元": 10000.0, "元": 0.0001}


def parse_number(s) -> tuple[float, str]:
    """'1,234.5万元' → (1234.5, '万元'); '12.5%' → (12.5, '%'); '-3' → (-3.0, '')."""
    if isinstance(s, bool):
        raise ValueError("不是数值")
    if isinstance(s, (int, float)):
        if s != s:  # NaN
            raise ValueError("不是数值")
        return float(s), ""
    s = clean(s)
    if s.startswith("(") and s.endswith(")"):  # accounting negative
        s = "-" + s[1:-1]
    m = _NUMBER.match(s)
    if not m or m.group(1) in ("", "+", "-", ".") :
        raise ValueError("不是数值")
    mantissa = m.group(1).replace(",", "")
    exponent = m.group(2)
    suffix = m.group(3).strip()
    if suffix and not re.fullmatch(r"[%‰万亿元美千瓦时吨标煤亩/人个项]+", suffix):
        raise ValueError("不是数值")
    value = float(mantissa + (f"e{exponent}" if exponent else ""))
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("不是数值")
    return value, suffix


def parse_pct(s) -> float:
    """'45%', '45', 45.0 → 45.0 (percent points)."""
    value, suffix = parse_number(s)
    if suffix not in ("", "%"):
        raise ValueError("百分比带有不相容的单位")
    return value


def parse_share(s) -> float:
    """'0.6' → 0.6, '60%' → 0.6."""
    value, suffix = parse_number(s)
    if suffix == "%":
        return value / 100.0
    if suffix:
        raise ValueError("份额带有不相容的单位")
    return value


def parse_int(s) -> int:
    value, suffix = parse_number(s)
    if suffix and suffix not in ("人", "个", "项", "年"):
        raise ValueError("不是整数")
    if value != int(value):
        raise ValueError("不是整数")
    return int(value)


def parse_bool(s) -> bool:
    if isinstance(s, bool):
        return s
    w = clean(s).lower()
    if w in TRUE_WORDS:
        return True
    if w in FALSE_WORDS:
        return False
    raise ValueError("不是是/否值")


def parse_list(s) -> str:
    """'a; b；c' → 'a;b;c' (canonical ';'-joined, order kept, duplicates dropped)."""
    parts = [p.strip() for p in re.split(r"[;,、，；\s]+", clean(s)) if p.strip()]
    return ";".join(dict.fromkeys(parts))


def parse_score(s) -> str:
    """A rating: a number 0..100 (kept as text) or one of the grade words."""
    w = clean(s)
    if w in GRADES:
        return w
    value, suffix = parse_number(w)
    if suffix:
        raise ValueError("评分带有单位")
    return f"{value:g}"
