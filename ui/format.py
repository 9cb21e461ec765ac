"""Number and label formatting for pages: 万元/亿元, %, 个百分点, 标准差, intervals, periods, counts,
Chinese labels; one function per concept, so every page (and the wall) writes a number the same way.

Pure functions (no Streamlit): every page formats numbers the same way, and tests pin it.
Missing values (None, NaN) always format as "—". A number and its Chinese unit are separated by
one space ("1.23 亿元", "+2.5 个百分点"); "%" follows the number directly.
"""
from __future__ import annotations

import html
import re
from typing import Any

import pandas as pd

from ui import palette

# Code labels and the missing marker live with the models (pipelines read them too); re-exported
# here so pages keep one formatting namespace.
from models.labels import (BAND_LABELS, DASH, FLAG_LABELS, flag_list, flags_text,  # noqa: F401
                           is_missing, unidentified_reason)
from models.period import period_label as spoken_period

# Cell backgrounds for 亮牌 / 色档 / severity words in tables (no emoji: offline browsers and
# the big screen often lack an emoji font).
CARD_BACKGROUNDS = palette.CARD_TINT

# 年龄段 for the quadrant filters: (label, lowest age, highest age), ages in whole years.
AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("35岁及以下", 0, 35),
    ("36–45岁", 36, 45),
    ("46–55岁", 46, 55),
    ("56岁及以上", 56, 200),
)

TASK_ROLE_LABELS = {"lead": "责任人", "co": "配合"}


# CommonMark lets a backslash escape every ASCII punctuation character, and an escaped character is
# plain text to Markdown, GFM (tables, ~~, autolinks), remark-math ($) and remark-directive
# (:red[…], :small[…]); so data text escapes all of them.
_MD_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")
# Streamlit rewrites a few patterns inside text already parsed, where escapes are spent: Material
# icons (:material/x:), its logo (:streamlit:), emoji shortcodes (:smile:), typographic arrows
# between spaces (a -> b), and remark-gfm links bare URLs (http://…, www.…) and e-mail addresses.
# An invisible word joiner inside each breaks the match.
WORD_JOINER = "\u2060"
_BARE_LINK = re.compile(r"(?i)(?<=https:)(?=//)|(?<=http:)(?=//)|(?<=www)(?=\.)|(?<=@)")
_SHORTCODE = re.compile(r":(?=[A-Za-z0-9_+\-/]+:)")
_SHORTCODE_HEAD = re.compile(r"[A-Za-z0-9_+\-/]+:")
_SHORTCODE_TAIL = re.compile(r":[A-Za-z0-9_+\-/]+$")
_ARROW = re.compile(r"(?<!\S)([<\-~>])(?=(?:->|-|=|>)(?!\S))")
_LINE_BREAK = re.compile(r"\s*[\r\n]\s*")


def text(value: Any, missing: str = DASH) -> str:
    """Data text for widget options and cells: a missing value reads ``missing``, never None."""
    return missing if is_missing(value) else str(value)


def md(text: Any, missing: str = DASH) -> str:
    """Data text (names, titles, units, reasons, URL parameters) for any Streamlit element that
    reads Markdown: st.markdown/caption/title/header/subheader, alerts, metric labels and values,
    expander/tab/button/page_link labels, badges, help. Shows every character as it is written;
    line breaks become spaces (a break would end a heading or a bold run around the text)."""
    if is_missing(text):
        return missing
    s = _LINE_BREAK.sub(" ", str(text))
    s = _ARROW.sub(lambda m: m.group(1) + WORD_JOINER, _SHORTCODE.sub(":" + WORD_JOINER, s))
    s = _BARE_LINK.sub(WORD_JOINER, s)
    # the page's own text may put a ":" right before or after the data ("现任:{name}")
    if _SHORTCODE_HEAD.match(s):
        s = WORD_JOINER + s
    if _SHORTCODE_TAIL.search(s):
        s += WORD_JOINER
    return _MD_PUNCT.sub(r"\\\1", s)


def html_text(text: Any, missing: str = DASH) -> str:
    """Data text inside HTML that is rendered as HTML (st.html, unsafe_allow_html): no tag, no
    entity, no attribute break-out survives."""
    return missing if is_missing(text) else html.escape(str(text), quote=True)


def plain(text: Any) -> str:
    """Data text inside plotly text (titles, legend names, hover, tick labels, annotations), which
    reads a subset of HTML (<b>, <br>, <a href>) and decodes entities."""
    if is_missing(text):
        return DASH
    return html.escape(str(text), quote=False)


def is_true(v: Any) -> bool:
    """A flag that may be missing (a left join's NA): True only when present and true."""
    return not is_missing(v) and bool(v)


def number(v: Any, digits: int = 1, signed: bool = False) -> str:
    """Thousands separators, ``digits`` decimals; ``signed`` adds "+" to positive values."""
    if is_missing(v):
        return DASH
    v = float(v)
    if abs(v) < 0.5 * 10 ** (-digits):
        v = 0.0
    text = f"{v:,.{digits}f}"
    return f"+{text}" if signed and v > 0 else text


def figure(v: Any) -> str:
    """A measured figure at a readable precision, never in exponent form: thousands separators
    and no decimals from 100 up ("61,827"), four significant digits below ("0.0583", "12.35")."""
    if is_missing(v):
        return DASH
    v = float(v)
    if abs(v) >= 100:
        return number(v, 0)
    text = f"{v:.4g}"
    return "0" if text in ("-0", "0") else text


def compact(v: Any) -> str:
    """A bound or count in Chinese magnitude words: 100000000 → "1亿", 5000000 → "500万", 300 → "300"."""
    if is_missing(v):
        return DASH
    v = float(v)
    for size, word in ((1e8, "亿"), (1e4, "万")):
        if abs(v) >= size:
            return f"{number(v / size, 2).rstrip('0').rstrip('.')}{word}"
    return number(v, 2).rstrip("0").rstrip(".")


def money_wan(v: Any, digits: int = 1, signed: bool = False) -> str:
    """A money amount stored in 万元: "8,123.4 万元", or "1.23 亿元" from 1 亿 (10,000 万) up."""
    return wan(v, "元", digits, signed)


def wan(v: Any, base: str, digits: int = 1, signed: bool = False) -> str:
    """An amount stored in 万<base> (万元, 万千瓦时, 万美元): "8,123.4 万<base>" below 1 亿, else
    "1.23 亿<base>" — the one magnitude rule for every 万 unit on every page."""
    if is_missing(v):
        return DASH
    v = float(v)
    if abs(v) >= 10_000:
        return f"{number(v / 10_000, 2, signed)} 亿{base}"
    return f"{number(v, digits, signed)} 万{base}"


def count(v: Any, unit: str = "") -> str:
    """A whole count with thousands separators and its measure word: 1234, "人" → "1,234 人"."""
    if is_missing(v):
        return DASH
    text = f"{int(round(float(v))):,}"
    return f"{text} {unit}" if unit else text


def pct(v: Any, digits: int = 1, signed: bool = False) -> str:
    """A fraction as a percentage: 0.123 → "12.3%"."""
    if is_missing(v):
        return DASH
    return f"{number(float(v) * 100, digits, signed)}%"


def pct_value(v: Any, digits: int = 1, signed: bool = False) -> str:
    """A value already in percent: 12.3 → "12.3%"."""
    if is_missing(v):
        return DASH
    return f"{number(v, digits, signed)}%"


PP = "个百分点"
SD = "标准差"
# The models write these unit codes; a person reads the Chinese.
UNIT_WORDS = {"pp": PP, "SD": SD}


def pp(v: Any, digits: int = 1) -> str:
    """A difference of percentages in percentage points, always signed: "+2.5 个百分点"."""
    if is_missing(v):
        return DASH
    return f"{number(v, digits, signed=True)} {PP}"


def sd(v: Any, digits: int = 2, signed: bool = False) -> str:
    """A standardised score in standard deviations: "+0.56 标准差"."""
    if is_missing(v):
        return DASH
    return f"{number(v, digits, signed)} {SD}"


def pp_words(text: Any) -> str:
    """A rule the models write with "pp" / "SD" ("差距-16.4pp‹-10pp→黄") in Chinese units
    ("差距-16.4个百分点‹-10个百分点→黄")."""
    if is_missing(text):
        return DASH
    return _SD_WORD.sub(SD, _PP_WORD.sub(PP, str(text)))


_PP_WORD = re.compile(r"(?<=\d)\s*pp\b")
_SD_WORD = re.compile(r"(?<=\d)\s*SD\b")


def with_unit(v: Any, unit: str | None, digits: int = 1, signed: bool = False) -> str:
    """A value in its indicator unit, one magnitude rule for every unit: a 万 unit reads in 亿
    from 10,000 万 up ("3.58 亿千瓦时" beside "24.01 亿元"), a plain unit in 万 from 10,000 and
    in 亿 from 10^8 ("12.35 万家"); "%" follows the number; pp and SD read 个百分点 and 标准差."""
    if is_missing(v):
        return DASH
    unit = (unit or "").strip()
    if unit.startswith("万") and len(unit) > 1:
        return wan(v, unit[1:], digits, signed)
    if unit == "%":
        return pct_value(v, digits, signed)
    unit = UNIT_WORDS.get(unit, unit)
    x = float(v)
    if unit and unit not in UNIT_WORDS.values() and not unit.startswith("亿"):
        # a count or amount in a plain unit reads in 万 / 亿 like money ("12.35 万家")
        for size, word in ((1e8, "亿"), (1e4, "万")):
            if abs(x) >= size:
                return f"{number(x / size, 2, signed)} {word}{unit}"
    text = number(v, digits, signed)
    return f"{text} {unit}" if unit else text


def interval(lo: Any, hi: Any, unit: str | None = None, digits: int = 2) -> str:
    """A 95 % interval as "[lo, hi]" in the unit (money in 万元/亿元)."""
    if is_missing(lo) or is_missing(hi):
        return DASH
    return f"[{with_unit(lo, unit, digits)}, {with_unit(hi, unit, digits)}]"


def period_label(period: Any) -> str:
    """'2025-Q4' → '2025年四季度', '2025-03' → '2025年3月', '2025' → '2025年' (models.period's
    label); the dash when missing."""
    return DASH if is_missing(period) else spoken_period(period)


def age_band(birth_year: Any, ref_year: int) -> str | None:
    if is_missing(birth_year):
        return None
    age = int(ref_year) - int(birth_year)
    for label, lo, hi in AGE_BANDS:
        if lo <= age <= hi:
            return label
    return None


def indicator_label(code: Any, names: dict[str, str] | None = None) -> str:
    """An indicator code as its Chinese name; 'task:改革突破' → '任务·改革突破'; '*' → '综合贡献'."""
    if is_missing(code):
        return DASH
    code = str(code)
    if code == "*":
        return "综合贡献"
    if code == "task":
        return "任务推进(各类别合并)"
    if code.startswith("task:"):
        return f"任务·{code[5:]}"
    return (names or {}).get(code, code)


def indicator_unit(code: Any, units: dict[str, str] | None = None) -> str:
    """The unit an effect of this indicator is measured in (task gaps in pp, composite in SD)."""
    code = "" if is_missing(code) else str(code)
    if code == "*":
        return "SD"
    if code == "task" or code.startswith("task:"):
        return "pp"
    return (units or {}).get(code, "")


def yes_no(v: Any) -> str:
    if is_missing(v):
        return DASH
    return "是" if bool(v) else "否"


def contribution_rows(contrib: pd.DataFrame, names: dict[str, str] | None = None,
                      units: dict[str, str] | None = None) -> pd.DataFrame:
    """Display rows for a cadre's contributions (``ui.profile_queries.cadre_contributions``):
    every number in its indicator's unit, intervals as text, flags in Chinese. Never a rank."""
    rows = []
    for r in contrib.itertuples(index=False):
        unit = indicator_unit(r.indicator, units)
        identified = bool(r.identified) if not is_missing(r.identified) else False
        n_platform = 0 if is_missing(getattr(r, "n_platform", None)) else int(r.n_platform)
        if r.indicator == "*":
            platform = period = observed = DASH
        else:
            platform = with_unit(r.platform, unit, 2) if n_platform else "不可分离"
            period = with_unit(r.period_effect, unit, 2)
            observed = with_unit(r.observed, unit, 2)
        rows.append({
            "indicator": r.indicator,
            "指标": indicator_label(r.indicator, names),
            "单位": UNIT_WORDS.get(unit, unit) or DASH,
            "个人贡献": with_unit(r.effect, unit, 2, signed=True) if identified else "不可判定",
            "95% 区间": interval(r.ci_low, r.ci_high, unit, 2) if identified else DASH,
            "判定": BAND_LABELS.get(r.band, r.band) if not is_missing(r.band) else DASH,
            "平台效应": platform,
            "周期效应": period,
            "实际均值": observed,
            "分工比例": pct(getattr(r, "mean_share", None), 0),
            "记录数": DASH if is_missing(r.n_obs) else int(r.n_obs),
            "提示": flags_text(r.flags),
        })
    return pd.DataFrame(rows)


def interval_rows(contrib: pd.DataFrame, names: dict[str, str] | None = None,
                  units: dict[str, str] | None = None) -> pd.DataFrame:
    """Rows for :func:`ui.charts.interval_chart`: label, effect, ci_low, ci_high, band,
    identified and the hover text in the indicator's unit."""
    out = contrib[["indicator", "effect", "ci_low", "ci_high", "band", "identified"]].copy()
    out["label"] = [indicator_label(i, names) for i in out["indicator"]]
    out["text"] = [
        f"{with_unit(e, indicator_unit(i, units), 2, signed=True)},95% 区间 "
        f"{interval(lo, hi, indicator_unit(i, units), 2)}"
        for i, e, lo, hi in zip(out["indicator"], out["effect"], out["ci_low"], out["ci_high"])]
    return out


def config_rows(config: Any, prefix: str = "") -> list[tuple[str, str]]:
    """A nested YAML mapping flattened to (dotted key, value text) rows for display."""
    rows: list[tuple[str, str]] = []
    if isinstance(config, dict):
        for key, value in config.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, dict):
                rows.extend(config_rows(value, path))
            else:
                rows.append((path, config_value(value)))
    else:
        rows.append((prefix, config_value(config)))
    return rows


def config_value(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, tuple)):
        return "、".join(config_value(v) for v in value)
    if isinstance(value, dict):
        return ";".join(f"{k}: {config_value(v)}" for k, v in value.items())
    if value is None:
        return DASH
    return str(value)


def cells(frame: pd.DataFrame) -> pd.DataFrame:
    """A table for display: a missing value in a text column reads "—" (st.dataframe would draw
    a grey "None")."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].astype(object).where(out[col].notna(), DASH)
    return out


def style_cards(frame: pd.DataFrame, columns: list[str]):
    """A Styler colouring cells whose value is a card word (绿/黄/橙/红) in ``columns``."""
    def css(v: Any) -> str:
        color = CARD_BACKGROUNDS.get(v) if isinstance(v, str) else None
        return f"background-color: {color}" if color else ""
    return cells(frame).style.map(css, subset=[c for c in columns if c in frame.columns])


def tenure(start: Any, end: Any, share: Any = None) -> str:
    """"2018-11 至 2021-12,分工比例 30%" ("至今" for an open post)."""
    if is_missing(start):
        return DASH
    until = "今" if is_missing(end) else f"{pd.Timestamp(end):%Y-%m}"
    text = f"{pd.Timestamp(start):%Y-%m} 至 {until}"
    return text if is_missing(share) else f"{text},分工比例 {pct(share, 0)}"


def excellent_quota_note(score: Any) -> str:
    """Why a cadre-year's grade is (or is not) 优秀 under the group's 优秀名额, for a caption;
    "" when the cadre was not above the 优秀 line (or the version predates the quota)."""
    get = score.get if hasattr(score, "get") else (lambda k, d=None: d)
    rank, n, k = get("excellent_rank"), get("group_n"), get("excellent_quota_n")
    if is_missing(rank) or is_missing(n) or is_missing(k):
        return ""
    year = get("year")
    when = f"{int(year)} 年" if not is_missing(year) else ""
    head = (f"所在考核组“{md(get('group'))}”参评 {int(n)} 人,优秀名额 {int(k)} 个,"
            f"本人在达到优秀线的干部中排第 {int(rank)}")
    if int(rank) <= int(k):
        return f"{when}优秀等次:{head},在优秀名额内。"
    why = "参评人数少,按比例向下取整为 0 个名额" if int(k) == 0 else "同分依次比较实绩分、评价分、干部编号"
    return (f"{when}综合得分达到优秀线,但{head},超出名额,评为{md(get('grade'))}({why})。"
            "优秀名额按各考核组参评人数的比例确定,见“方法说明”。")


def grade_with_quota(score: Any) -> str:
    """The grade for a table cell, saying when the 优秀名额 decided it: "称职(达到优秀线,名额外,组内第 r)"."""
    get = score.get if hasattr(score, "get") else (lambda k, d=None: d)
    grade, rank, k = get("grade"), get("excellent_rank"), get("excellent_quota_n")
    if is_missing(grade):
        return DASH
    if is_missing(rank) or is_missing(k) or int(rank) <= int(k):
        return str(grade)
    return f"{grade}(达到优秀线,名额外,组内第 {int(rank)})"


def rule_precision_table(res: pd.DataFrame) -> pd.DataFrame:
    """models.anomaly.rule_precision in Chinese: counts, and precision as % or 尚无标记."""
    def share(v, n):
        return pct(v, 0) if n and not is_missing(v) else "尚无标记"

    return pd.DataFrame({
        "规则": res["rule"], "线索数": res["n_flags"].astype(int), "已标记": res["n_marked"].astype(int),
        "属实": res["n_confirmed"].astype(int), "已说明": res["n_explained"].astype(int), "误报": res["n_false"].astype(int),
        "核实准确率(属实 / 已标记)": [share(v, n) for v, n in zip(res["precision"], res["n_marked"])],
        "不计已说明(属实 / 属实+误报)": [share(v, a + b) for v, a, b in
                                    zip(res["precision_excl_explained"], res["n_confirmed"], res["n_false"])],
    })
