"""The reporting period: one value type for a month, a quarter or a year, used by every layer.

Canonical codes are ``YYYY-MM`` (a month), ``YYYY-Qn`` (a quarter) and ``YYYY`` (a year). Files
may write periods in many ways (2025年3月, 2025年一季度, an Excel date); ``pipelines.normalize``
turns those into a canonical code once, at the door, and everything after that goes through
``Period``. A period is identified by its code; periods order by their last month, and among
periods ending in the same month the shorter one comes first (2025-12 < 2025-Q4 < 2025).

``SQL_MACROS`` gives the build's SQL the same decoding, so staging SQL and Python cannot disagree.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

KINDS = ("month", "quarter", "year")
_SPAN = {"month": 1, "quarter": 3, "year": 12}
_CN_QUARTER = "一二三四"
_CODE = re.compile(r"^(\d{4})(?:-(\d{2})|-Q([1-4]))?$")


@dataclass(frozen=True)
class Period:
    """``year``, ``kind`` (month / quarter / year) and ``number`` (the month 1–12, the quarter
    1–4, or 1 for a year)."""

    year: int
    kind: str
    number: int = 1

    def __post_init__(self) -> None:
        top = {"month": 12, "quarter": 4, "year": 1}.get(self.kind)
        if top is None or not 1 <= self.number <= top or not 1000 <= self.year <= 9999:
            raise ValueError(f"期间格式错误: {self.year}/{self.kind}/{self.number}")

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def parse(cls, value: Any) -> "Period":
        """A canonical code (or a Period) → Period. A year read back as a float ('2024.0') is
        accepted; anything else raises ValueError with the expected forms in Chinese."""
        if isinstance(value, Period):
            return value
        s = str(value).strip()
        if s.endswith(".0"):
            s = s[:-2]
        m = _CODE.match(s)
        if not m:
            raise ValueError(f"期间格式错误(应为 YYYY-MM、YYYY-Qn 或 YYYY): {value!r}")
        year = int(m.group(1))
        if m.group(2):
            month = int(m.group(2))
            if not 1 <= month <= 12:
                raise ValueError(f"期间格式错误(月份应为 01–12): {value!r}")
            return cls(year, "month", month)
        if m.group(3):
            return cls(year, "quarter", int(m.group(3)))
        return cls(year, "year")

    @classmethod
    def try_parse(cls, value: Any) -> "Period | None":
        """Period.parse for columns with gaps: None for a missing value or text that is not a code."""
        try:
            return cls.parse(value)
        except ValueError:
            return None

    @classmethod
    def month(cls, year: int, month: int) -> "Period":
        return cls(year, "month", month)

    @classmethod
    def from_month_index(cls, index: int) -> "Period":
        """The month whose ``month_index`` is ``index`` (months since January of year 0)."""
        return cls(index // 12, "month", index % 12 + 1)

    # -- the code and its parts ---------------------------------------------------------------
    @property
    def code(self) -> str:
        if self.kind == "month":
            return f"{self.year:04d}-{self.number:02d}"
        if self.kind == "quarter":
            return f"{self.year:04d}-Q{self.number}"
        return f"{self.year:04d}"

    def __str__(self) -> str:
        return self.code

    @property
    def months(self) -> int:
        """How many calendar months the period covers."""
        return _SPAN[self.kind]

    @property
    def end_month(self) -> int:
        """The month of the year (1–12) the period ends in."""
        return self.number * self.months if self.kind != "year" else 12

    @property
    def first_month(self) -> int:
        """The month of the year (1–12) the period starts in."""
        return self.end_month - self.months + 1

    @property
    def quarter(self) -> int:
        """The quarter (1–4) the period ends in."""
        return (self.end_month - 1) // 3 + 1

    @property
    def first_month_index(self) -> int:
        """Months since January of year 0 of the first month: a plain integer to subtract."""
        return 12 * self.year + self.first_month - 1

    @property
    def last_month_index(self) -> int:
        return 12 * self.year + self.end_month - 1

    @property
    def last_month(self) -> "Period":
        """The month the period ends in (a month is its own last month)."""
        return Period(self.year, "month", self.end_month)

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, self.first_month, 1)

    @property
    def end(self) -> dt.date:
        """The last calendar day the period covers."""
        m = self.end_month
        return dt.date(self.year + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)

    @property
    def key(self) -> int:
        """``100·year + end_month``: sortable, and equal for periods ending in the same month."""
        return 100 * self.year + self.end_month

    @property
    def expected_share(self) -> float:
        """时序进度: the share of the year elapsed at the period's end (end_month / 12)."""
        return self.end_month / 12.0

    @property
    def label(self) -> str:
        """The period as people say it: 2025年3月, 2025年四季度, 2025年."""
        if self.kind == "month":
            return f"{self.year}年{self.number}月"
        if self.kind == "quarter":
            return f"{self.year}年{_CN_QUARTER[self.number - 1]}季度"
        return f"{self.year}年"

    def _order(self) -> tuple[int, int]:
        return self.last_month_index, self.months

    def __lt__(self, other: "Period") -> bool:
        return self._order() < other._order()

    def __le__(self, other: "Period") -> bool:
        return self._order() <= other._order()

    def __gt__(self, other: "Period") -> bool:
        return self._order() > other._order()

    def __ge__(self, other: "Period") -> bool:
        return self._order() >= other._order()


def period_label(value: Any) -> str:
    """A canonical code as people say it; text that is not a period comes back unchanged."""
    try:
        return Period.parse(value).label
    except ValueError:
        return str(value)


def span_label(start: Any, end: Any = None) -> str:
    """From–to as people say it: '2024年3月至2024年6月'; one label when the two agree or one is
    missing; the dash with neither."""
    start, end = ("" if v is None or pd.isna(v) else str(v) for v in (start, end))
    if not start or not end or start == end:
        return period_label(start or end) if start or end else "—"
    return f"{period_label(start)}至{period_label(end)}"


def period_frame(periods: pd.Series) -> pd.DataFrame:
    """Decode a column of canonical codes at once: year, period_kind, end_month, expected_share
    and period_end (a Timestamp), indexed like ``periods``."""
    s = periods.astype(str)
    parsed = {p: Period.parse(p) for p in pd.unique(s)}
    out = pd.DataFrame(index=periods.index)
    out["year"] = s.map({p: v.year for p, v in parsed.items()}).astype("int64")
    out["period_kind"] = s.map({p: v.kind for p, v in parsed.items()})
    out["end_month"] = s.map({p: v.end_month for p, v in parsed.items()}).astype("int64")
    out["expected_share"] = out["end_month"] / 12.0
    out["period_end"] = s.map({p: pd.Timestamp(v.end) for p, v in parsed.items()}).astype("datetime64[ns]")
    return out


def complete_quarters(as_of: Any, n: int) -> list[Period]:
    """The last ``n`` quarters (oldest first) whose final month is at or before ``as_of``."""
    if as_of is None or str(as_of) == "":
        return []
    last = Period.parse(as_of)
    year, number = last.year, last.end_month // 3  # 0: no quarter of this year has ended yet
    out: list[Period] = []
    while len(out) < n and year >= 1000:
        if number == 0:
            year, number = year - 1, 4
            continue
        out.append(Period(year, "quarter", number))
        number -= 1
    return out[::-1]


# The same decoding for DuckDB, so the staging SQL reads ``period_kind(period)`` instead of
# re-deriving it from substrings. Persistent, not TEMP: the staging relations are views, and the
# pages, the public build and the tests read them through other connections to the version file,
# which must find the macros in the file itself. A NULL period gives NULL.
SQL_MACROS = """
CREATE OR REPLACE MACRO period_kind(p) AS
    CASE WHEN p IS NULL THEN NULL WHEN p LIKE '____-Q_' THEN 'quarter' WHEN length(p) = 4 THEN 'year'
         ELSE 'month' END;
CREATE OR REPLACE MACRO period_end_month(p) AS
    CASE WHEN p LIKE '____-Q_' THEN 3 * CAST(substr(p, 7, 1) AS INTEGER)
         WHEN length(p) = 4 THEN 12
         ELSE CAST(substr(p, 6, 2) AS INTEGER) END;
CREATE OR REPLACE MACRO period_year(p) AS CAST(substr(p, 1, 4) AS INTEGER);
CREATE OR REPLACE MACRO period_end(p) AS
    last_day(make_date(period_year(p), period_end_month(p), 1));
CREATE OR REPLACE MACRO period_start(p) AS
    make_date(period_year(p),
              period_end_month(p) - CASE period_kind(p) WHEN 'quarter' THEN 2 WHEN 'year' THEN 11 ELSE 0 END,
              1);
"""
