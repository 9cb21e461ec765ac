"""Number and label formatting of the pages (ui/format.py)."""
import html
import math
import re

import pandas as pd
import pytest

from ui import format as fmt


@pytest.mark.parametrize("value, text", [
    (812.34, "812.3 万元"),
    (9_999.94, "9,999.9 万元"),
    (10_000, "1.00 亿元"),
    (123_456.7, "12.35 亿元"),
    (-25_000, "-2.50 亿元"),
    (0, "0.0 万元"),
])
def test_money_switches_to_yi_from_ten_thousand_wan(value, text):
    assert fmt.money_wan(value) == text


@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA, pd.NaT, math.nan])
def test_missing_values_show_a_dash(missing):
    for f in (fmt.money_wan, fmt.pct, fmt.pp, fmt.number, fmt.pct_value):
        assert f(missing) == "—"
    assert fmt.with_unit(missing, "万元") == "—"
    assert fmt.interval(missing, 1.0) == "—"


def test_compact_magnitudes():
    assert fmt.compact(100_000_000) == "1亿"
    assert fmt.compact(10_000_000) == "1,000万"
    assert fmt.compact(-100) == "-100"
    assert fmt.compact(0.25) == "0.25"
    assert fmt.compact(None) == "—"


def test_percent_and_percentage_points():
    assert fmt.pct(0.1234) == "12.3%"
    assert fmt.pct(0.5, 0) == "50%"
    assert fmt.pct_value(12.34) == "12.3%"
    assert fmt.pp(2.5) == "+2.5 个百分点"
    assert fmt.pp(-10) == "-10.0 个百分点"
    assert fmt.pp(0) == "0.0 个百分点"
    assert fmt.sd(-3.371) == "-3.37 标准差"
    assert fmt.number(0.3, 2, signed=True) == "+0.30"
    assert fmt.number(-0.0001, 2, signed=True) == "0.00"   # no "-0.00"


def test_values_in_their_indicator_unit():
    assert fmt.with_unit(23_326.8, "万元") == "2.33 亿元"
    assert fmt.with_unit(5.26, "%") == "5.3%"
    assert fmt.with_unit(12, "万千瓦时") == "12.0 万千瓦时"
    assert fmt.with_unit(35_846.3, "万千瓦时") == "3.58 亿千瓦时"  # the 亿 rule for every 万 unit
    assert fmt.with_unit(123_456, "家") == "12.35 万家" and fmt.with_unit(2.5e8, "元") == "2.50 亿元"
    assert fmt.with_unit(9_999, "家") == "9,999.0 家" and fmt.with_unit(12_000, "pp") == "12,000.0 个百分点"
    assert fmt.with_unit(-3.0, "pp") == "-3.0 个百分点"
    assert fmt.with_unit(0.56, "SD", 2, signed=True) == "+0.56 标准差"
    assert fmt.interval(-0.5, 1.2, "SD") == "[-0.50 标准差, 1.20 标准差]"


def test_figures_never_in_exponent_form():
    assert fmt.figure(61_827.0) == "61,827" and fmt.figure(0.0583) == "0.0583" and fmt.figure(12.345) == "12.35"
    assert fmt.figure(-0.0) == "0" and fmt.figure(None) == "—"


def test_rules_and_counts_in_chinese_units():
    assert fmt.pp_words("差距-16.4pp‹-10pp→黄") == "差距-16.4个百分点‹-10个百分点→黄"
    assert fmt.pp_words("偏离 -3.37 SD") == "偏离 -3.37标准差"
    assert fmt.pp_words("app 2pp") == "app 2个百分点"   # only a unit after a number
    assert fmt.count(1234.0, "人") == "1,234 人" and fmt.count(None) == "—"


def test_flags_become_chinese_and_unknown_codes_survive():
    assert fmt.flags_text("few_obs;no_mobility") == "样本少、无交流轮岗"
    assert fmt.flags_text("") == "—"
    assert fmt.flags_text(None) == "—"
    assert fmt.flags_text("brand_new_flag") == "brand_new_flag"
    assert "交流" in fmt.unidentified_reason("not_in_main_component;no_mobility;few_obs")
    assert fmt.unidentified_reason(None)


def test_every_attribution_flag_has_a_label():
    from models import attribution

    source = open(attribution.__file__, encoding="utf-8").read()
    for code in ("not_in_main_component", "no_mobility", "not_separable", "no_peers", "few_obs",
                 "weakly_identified", "shares_invalid", "high_leverage", "partial_composite", "mixed_components"):
        assert code in source
        assert code in fmt.FLAG_LABELS


def test_periods_and_age_bands():
    # the labels are models.period's (tests/test_period.py); the page adds the dash for a gap
    assert fmt.period_label("2025-Q4") == "2025年四季度"
    assert [fmt.period_label(v) for v in (None, float("nan"), pd.NA)] == [fmt.DASH] * 3
    assert fmt.age_band(1990, 2025) == "35岁及以下"
    assert fmt.age_band(1980, 2025) == "36–45岁"
    assert fmt.age_band(1970, 2025) == "46–55岁"
    assert fmt.age_band(1965, 2025) == "56岁及以上"
    assert fmt.age_band(None, 2025) is None


def test_indicator_labels_and_units():
    names, units = {"exports": "货物出口额"}, {"exports": "万元"}
    assert fmt.indicator_label("exports", names) == "货物出口额"
    assert fmt.indicator_label("task:改革突破") == "任务·改革突破"
    assert fmt.indicator_label("task") == "任务推进(各类别合并)"
    assert fmt.indicator_label("*") == "综合贡献"
    assert fmt.indicator_unit("exports", units) == "万元"
    assert fmt.indicator_unit("task:项目攻坚") == "pp"
    assert fmt.indicator_unit("*") == "SD"


def test_contribution_rows_never_print_a_number_for_unidentified():
    contrib = pd.DataFrame([
        {"indicator": "*", "effect": 0.3, "ci_low": -0.1, "ci_high": 0.7, "band": "中", "identified": True,
         "flags": "few_obs", "n_obs": 12, "platform": None, "n_platform": None, "period_effect": None,
         "observed": None, "mean_share": None},
        {"indicator": "exports", "effect": float("nan"), "ci_low": float("nan"), "ci_high": float("nan"),
         "band": "不可判定", "identified": False, "flags": "no_mobility", "n_obs": 30, "platform": float("nan"),
         "n_platform": 0, "period_effect": 10.0, "observed": 23_000.0, "mean_share": 0.3},
    ])
    rows = fmt.contribution_rows(contrib, {"exports": "货物出口额"}, {"exports": "万元"})
    assert rows.loc[0, "个人贡献"] == "+0.30 标准差"
    assert rows.loc[0, "95% 区间"] == "[-0.10 标准差, 0.70 标准差]"
    assert rows.loc[1, "个人贡献"] == "不可判定"
    assert rows.loc[1, "95% 区间"] == "—"
    assert rows.loc[1, "平台效应"] == "不可分离"
    assert rows.loc[1, "实际均值"] == "2.30 亿元"
    assert rows.loc[1, "提示"] == "无交流轮岗"


def test_config_rows_flatten_nested_yaml():
    rows = dict(fmt.config_rows({"a": {"b": 1, "c": [1, 2]}, "d": True}))
    assert rows == {"a.b": "1", "a.c": "1、2", "d": "是"}


def test_card_styler_colours_only_card_words():
    frame = pd.DataFrame({"亮牌": ["红", "绿", "—"], "任务": ["红", "x", "y"]})
    html = fmt.style_cards(frame, ["亮牌"]).to_html()
    assert fmt.CARD_BACKGROUNDS["红"] in html and fmt.CARD_BACKGROUNDS["绿"] in html
    assert html.count(fmt.CARD_BACKGROUNDS["红"]) == 1   # the 任务 column is not styled


HOSTILE = [
    ":red[红字] :blue-background[底色] :small[小] :help[提示]",
    "[点我](http://evil.example/a) <http://evil.example/b> HTTPS://evil.example/c www.evil.example x@evil.example",
    "![图](http://evil.example/x.png) ![][ref]\n\n[ref]: http://evil.example/r.png",
    "$x^2$ 与 $$\\frac{1}{2}$$",
    "**粗** *斜* _斜_ ~~删~~ `代码` # 标题 > 引用 - 列表 1. 列表 | 表 |",
    "<img src=http://evil.example/h.png onerror=alert(1)> <script>alert(1)</script> &lt;b&gt; &amp;",
    ":material/home: :material_home: :streamlit: :smile: :+1: a -> b <- c <-> d -- e >= f <= g ~= h",
    "C:\\temp\\ 12:30 “全角”\t制表",
]


def _rendered(source: str):
    """(visible text, tokens) of ``source`` through a CommonMark renderer with $-math and raw HTML on
    (the strictest reading: anything Markdown could turn into a tag shows up as a token)."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    parser = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).use(dollarmath_plugin)
    tokens = parser.parse(source)
    inline = [c for t in tokens if t.type == "inline" for c in t.children or []]
    text = "".join(c.content if c.type == "text" else " " if c.type in ("softbreak", "hardbreak") else "" for c in inline)
    return text, [t.type for t in tokens] + [c.type for c in inline]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_markdown_escape_renders_the_literal_characters(hostile):
    pytest.importorskip("markdown_it")
    escaped = fmt.md(hostile)
    text, kinds = _rendered(escaped)
    one_line = re.sub(r"\s*[\r\n]\s*", " ", hostile)  # a line break would end a heading or a bold run
    assert text.replace(fmt.WORD_JOINER, "") == one_line
    assert {"paragraph_open", "inline", "text", "paragraph_close"} >= set(kinds), kinds
    # Streamlit's own syntax, which a CommonMark renderer does not know: every ":" and "[" reaches
    # remark-directive escaped, and the text-level rewrites (icons, logo, emoji, arrows) find no match
    assert not re.search(r"(?<!\\)(?:\\\\)*[:\[$<]", escaped)
    shown = escaped.replace("\\", "")
    assert not re.search(r":(material[/_]\w+|streamlit|[\w+-]+):", shown)
    assert not re.search(r"(^|\s)(<->|->|<-|--|>=|<=|~=)(\s|$)", shown)
    # remark-gfm finds bare URLs and e-mail addresses in parsed text too
    assert not re.search(r"(https?://|www(?=\.))[-.\w]+|[-.\w+]+@[-\w]+(\.[-\w]+)+", shown, re.IGNORECASE)


@pytest.mark.parametrize("before, data, after", [
    ("现任:", "streamlit: 某单位", ""), ("单位 ", "某某:material_home", ": 职务"), ("现任:", "material/home:", ""),
])
def test_markdown_escape_holds_at_the_edges_of_the_data(before, data, after):
    source = before + fmt.md(data) + after
    assert not re.search(r":(material[/_]\w+|streamlit):", source.replace("\\", ""))
    assert _rendered(source)[0].replace(fmt.WORD_JOINER, "") == before + data + after


def test_markdown_escape_keeps_plain_text_and_marks_missing_values():
    assert fmt.md("玉城街道") == "玉城街道" and fmt.md("C0001") == "C0001"
    assert fmt.md("第1单位 (T01)") == "第1单位 \\(T01\\)"
    assert fmt.md(None) == fmt.DASH and fmt.md(float("nan")) == fmt.DASH


@pytest.mark.parametrize("hostile", HOSTILE)
def test_html_escape_leaves_no_tag(hostile):
    from html.parser import HTMLParser

    class Tags(HTMLParser):
        found: list = []

        def handle_starttag(self, tag, attrs):
            self.found.append(tag)

    parser = Tags()
    parser.found = []
    escaped = fmt.html_text(hostile)
    parser.feed(f"<div>{escaped}</div>")
    parser.close()
    assert parser.found == ["div"]
    assert html.unescape(escaped) == hostile
    assert fmt.html_text(None) == fmt.DASH and fmt.html_text(None, "") == ""


def test_plotly_text_escapes_its_pseudo_html():
    assert fmt.plain("<a href='http://evil.example'>y</a><br><b>z</b> & w") == \
        "&lt;a href='http://evil.example'&gt;y&lt;/a&gt;&lt;br&gt;&lt;b&gt;z&lt;/b&gt; &amp; w"
    assert fmt.plain(None) == fmt.DASH


def test_cells_never_show_none():
    import pandas as pd

    from ui.format import DASH, cells

    out = cells(pd.DataFrame({"单位": ["甲", None], "得分": [1.0, None], "职务": pd.array([None, "书记"], dtype="string")}))
    assert out["单位"].tolist() == ["甲", DASH] and out["职务"].tolist() == [DASH, "书记"]
    assert out["得分"].isna().tolist() == [False, True]  # numbers stay numbers


def test_excellent_quota_texts():
    from ui.format import excellent_quota_note, grade_with_quota

    past = {"year": 2025, "group": "部门", "group_n": 158, "excellent_quota_n": 31, "excellent_rank": 33,
            "grade": "称职", "grade_by_score": "优秀"}
    assert excellent_quota_note(past).startswith("2025 年综合得分达到优秀线,但所在考核组“部门”参评 158 人,优秀名额 31 个,"
                                                 "本人在达到优秀线的干部中排第 33,超出名额,评为称职")
    assert grade_with_quota(past) == "称职(达到优秀线,名额外,组内第 33)"
    inside = dict(past, excellent_rank=4, grade="优秀")
    assert "在优秀名额内" in excellent_quota_note(inside) and grade_with_quota(inside) == "优秀"
    tiny = dict(past, group_n=3, excellent_quota_n=0, excellent_rank=1)
    assert "向下取整为 0 个名额" in excellent_quota_note(tiny)
    # Below the line, or a version without the quota columns: nothing to explain, never "nan".
    below = {"year": 2025, "grade": "称职", "excellent_rank": None, "group_n": 158, "excellent_quota_n": 31}
    assert excellent_quota_note(below) == "" and grade_with_quota(below) == "称职"
    assert excellent_quota_note({"grade": "称职"}) == "" and grade_with_quota({"grade": None}) == "—"


def test_rule_precision_table_speaks_chinese_without_machine_values():
    res = pd.DataFrame({"rule": ["断点", "突变"], "n_flags": [6, 3], "n_marked": [3, 0], "n_confirmed": [1, 0],
                        "n_explained": [1, 0], "n_false": [1, 0], "precision": [1 / 3, float("nan")],
                        "precision_excl_explained": [0.5, float("nan")], "precision_smoothed": [0.4, 0.5]})
    table = fmt.rule_precision_table(res)
    assert table.iloc[0].tolist() == ["断点", 6, 3, 1, 1, 1, "33%", "50%"]
    assert table.iloc[1, -2:].tolist() == ["尚无标记", "尚无标记"]
    assert "precision" not in " ".join(table.columns)
