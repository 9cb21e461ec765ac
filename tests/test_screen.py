"""The big screen page (AppTest) and its pure helpers: modes from the URL, escaping, paging,
words beside colours, and a new publish showing up without a restart."""
from __future__ import annotations

import shutil

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pipelines import db
from pipelines.home import Home
from pipelines.public import build_public
from tests.demo_world import ROOT
from ui import screen


def html_of(at: AppTest) -> str:
    return "\n".join(h.proto.body for h in at.get("html"))


def screen_app(home_root, monkeypatch, **params) -> AppTest:
    monkeypatch.setenv("SHIJI_HOME", str(home_root))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/screen.py")
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    return at


@pytest.fixture()
def demo_root(demo_world):
    return demo_world[1]


# --- the page -------------------------------------------------------------------------------

def test_overview_shows_every_panel(demo_root, monkeypatch):
    at = screen_app(demo_root, monkeypatch)
    assert not at.exception
    body = html_of(at)
    assert "数据截至 2025年12月" in body and "版本 v000001" in body
    for text in ("重点指标", "一般公共预算收入", "亮牌预警", "红牌", "单位排名", "综合得分", "实绩象限分布",
                 "高贡献区", "低效区", "不可判定", "贡献不确定"):
        assert text in body, text
    assert "▲" in body and "▼" in body                   # arrows, not colour alone
    assert any(t in body for t in (">优<", ">良<", ">中<", ">差<"))  # badge words
    assert "第1/" in body                                 # the ranking board shows its page
    assert len(at.get("plotly_chart")) == 2


def test_screen_reads_only_the_public_file(demo_root, monkeypatch):
    """No personal data on the page: no cadre id or person name in anything it renders."""
    at = screen_app(demo_root, monkeypatch)
    body = html_of(at)
    home = Home(demo_root)
    cadres = db.query(home.current_path(), "SELECT cadre_id, name FROM raw.cadres")
    assert not any(c in body for c in cadres["cadre_id"])
    assert not any(n in body for n in cadres["name"] if len(n) >= 2)
    db.close_all()


def test_screen_queries_only_the_public_file(demo_root, monkeypatch):
    """Every query the screen's modules run goes to vNNNNNN.public.duckdb, never the full file."""
    import inspect

    import streamlit as st

    from pipelines import db as db_module

    calls = []
    real = db_module.query

    def spy(path, sql, params=None):
        files = {f.filename.replace("\\", "/") for f in inspect.stack()[1:15]}
        calls.append((str(path), any(f.endswith(("ui/public_queries.py",)) or "ui/screen" in f for f in files)))
        return real(path, sql, params)

    monkeypatch.setattr(db_module, "query", spy)
    st.cache_data.clear()
    at = screen_app(demo_root, monkeypatch)
    assert not at.exception
    screen_calls = [p for p, from_screen in calls if from_screen]
    assert screen_calls and all(p.endswith(".public.duckdb") for p in screen_calls)


def test_ranking_board_pages_on_each_refresh(demo_root, monkeypatch):
    at = screen_app(demo_root, monkeypatch, panel="ranking")
    assert not at.exception
    first = html_of(at)
    at.run()
    second = html_of(at)
    assert "单位排名" in first and first != second
    pages = [p for p in ("第2/", "第3/") if p in first or p in second]
    assert pages


def test_carousel_rotates_panels_on_one_url(demo_root, monkeypatch):
    at = screen_app(demo_root, monkeypatch, rotate="20s")
    assert not at.exception
    seen = []
    for _ in range(len(screen.PANELS)):
        body = html_of(at)
        active = [name for key, name in screen.PANELS.items() if f'<span class="on">{name}</span>' in body]
        seen += active
        at.run()
    assert seen == list(screen.PANELS.values())


@pytest.mark.parametrize("panel", ["indicators", "ranking", "alerts", "quadrants", "trends", "map"])
def test_each_panel_alone(demo_root, monkeypatch, panel):
    at = screen_app(demo_root, monkeypatch, panel=panel)
    assert not at.exception
    assert f'<span class="on">{screen.PANELS[panel]}</span>' in html_of(at)


def test_the_map_colours_the_demo_towns_by_a_ranking_board(demo_root, monkeypatch):
    at = screen_app(demo_root, monkeypatch, panel="map")
    assert "单位分布 · 乡镇街道·平台 综合得分" in html_of(at)
    (chart,) = at.get("plotly_chart")
    import json

    fig = json.loads(chart.proto.spec)
    filled = [t for t in fig["data"] if t.get("fill") == "toself"]
    assert len(filled) >= 12 and all("综合得分:" in t["text"] for t in filled)  # every town has a score
    assert fig["layout"]["width"] > 0 and fig["layout"]["autosize"] is False  # a fixed canvas size


def test_the_map_says_why_it_is_empty_without_boundaries(demo_root, tmp_path, monkeypatch):
    from pipelines import db

    root = tmp_path / "home"
    shutil.copytree(demo_root, root)
    home = Home(root)
    con = db.connect_writer(home.public_path(home.current()["version"]))  # a batch without units.geojson
    con.execute("DELETE FROM public.unit_boundaries")
    con.close()
    at = screen_app(root, monkeypatch, panel="map")
    assert not at.exception
    assert "批次中没有单位边界" in html_of(at)


def test_new_publish_shows_without_restart(demo_root, tmp_path, monkeypatch):
    """Left on for weeks: each refresh re-reads CURRENT, so a new version appears in place."""
    root = tmp_path / "home"
    shutil.copytree(demo_root, root)
    home = Home(root)
    at = screen_app(root, monkeypatch)
    assert "版本 v000001" in html_of(at)
    src = home.version_path("v000001")
    new = home.version_path("v000002")
    shutil.copyfile(src, new)
    con = db.connect_writer(new)
    con.execute("UPDATE meta.info SET value = 'v000002' WHERE key = 'version'")
    con.execute("UPDATE meta.info SET value = '2026-01' WHERE key = 'as_of'")
    con.execute("CHECKPOINT")
    con.close()
    build_public(new, home.public_path("v000002"))
    home.publish("v000002")
    at.run()
    body = html_of(at)
    assert "版本 v000002" in body and "数据截至 2026年1月" in body
    db.close_all()


def test_missing_public_file_is_a_message_not_an_error(demo_root, tmp_path, monkeypatch):
    root = tmp_path / "home"
    shutil.copytree(demo_root, root)
    for p in (root / "warehouse").glob("*.public.duckdb"):
        p.unlink()
    at = screen_app(root, monkeypatch)
    assert not at.exception
    assert "没有大屏公开数据文件" in html_of(at)


# --- pure helpers ---------------------------------------------------------------------------

@pytest.mark.parametrize("text,seconds", [("20s", 20), ("20", 20), ("2m", 120), ("1min", 60), ("1s", 5),
                                          ("99999", 3600), ("abc", None), (None, None), ("-5s", None)])
def test_parse_seconds(text, seconds):
    assert screen.parse_seconds(text) == seconds


def test_screen_mode():
    assert screen.screen_mode({}) == ("overview", None, None)
    assert screen.screen_mode({"rotate": "30s"}) == ("carousel", 30, None)
    assert screen.screen_mode({"rotate": "junk"}) == ("carousel", screen.DEFAULT_ROTATE, None)
    assert screen.screen_mode({"panel": "trends", "rotate": "30s"}) == ("panel", None, "trends")
    assert screen.screen_mode({"panel": "<script>"}) == ("overview", None, None)


def test_formatting():
    """The wall writes numbers as every other page does: "62.39 亿元", "7.5%", "1.6 个百分点"."""
    from ui import format as fmt

    assert screen.fmt_value(623934.8, "万元") == "62.39 亿元" == fmt.with_unit(623934.8, "万元")
    assert screen.fmt_value(7.46, "%") == "7.5%"
    assert screen.fmt_value(81868, "元") == "81,868 元"
    assert screen.fmt_value(None, "%") == "—"
    assert screen.fmt_diff(-1.6, "%") == "−1.6 个百分点"
    assert screen.fmt_period("2025-12") == "2025年12月"
    assert screen.fmt_period("2025-Q4") == "2025年四季度"
    assert screen.fmt_period("2025") == "2025年"


def test_words_accompany_colours():
    assert "▲" in screen.rank_change_html(2) and "升2" in screen.rank_change_html(2)
    assert "▼" in screen.rank_change_html(-3) and "降3" in screen.rank_change_html(-3)
    assert "持平" in screen.rank_change_html(0)
    assert ">优<" in screen.badge_html("优", "绿")
    # more red cards is bad: arrow up, the word 增, and the "bad" class
    up = screen.change_html(2, higher_is_worse=True, word="较上月")
    assert "▲" in up and "增2" in up and "scr-bad" in up


def test_data_text_is_escaped():
    rows = pd.DataFrame({"unit_name": ["<img src=x onerror=alert(1)>"], "unit_type": ["镇"], "rank": [1],
                         "prev_rank": [2], "rank_change": [1], "score": [90.0], "band": ["绿"], "tier": ["优"],
                         "n_units": [1], "measure": ["综合得分"], "unit": ["分"], "period": ["2025-12"],
                         "board_name": ["<b>x</b>"]})
    page = {"board": "b", "board_name": "<b>x</b>", "period": "2025-12", "measure": "综合得分", "unit": "分",
            "start": 0, "page": 1, "pages": 1}
    out = screen.ranking_html(rows, page, 600, 0, 1)
    assert "<img" not in out and "&lt;img" in out and "<b>x</b>" not in out


def test_ranking_pages_split_long_boards():
    boards = pd.DataFrame({"board": ["a", "b"], "board_name": ["A", "B"], "board_seq": [1, 2],
                           "period": ["2025-12"] * 2, "measure": ["m"] * 2, "unit": ["分"] * 2,
                           "n_units": [30, 12]})
    pages = screen.ranking_pages(boards)
    assert [(p["board"], p["start"]) for p in pages] == [("a", 0), ("a", 12), ("a", 24), ("b", 0)]
    assert pages[2]["page"] == 3 and pages[2]["pages"] == 3


def test_layout_sums_to_1080():
    assert 2 * screen.PAD + screen.HEADER_H + screen.GAP + screen.BODY_H == 1080
    assert screen.KPI_H + screen.GAP + screen.TRENDS_H == screen.BODY_H
    assert screen.RANK_H + screen.GAP + screen.QUAD_H == screen.BODY_H


def test_a_hidden_card_of_any_colour_is_marked_not_drawn_as_zero():
    """Complementary suppression hides yellow and orange cards too: a month with any hidden
    card gets an upright 不公开 mark, and the note says a hidden cell may be a larger group."""
    rows = []
    for period, hidden in (("2025-01", set()), ("2025-02", {"黄", "橙"}), ("2025-03", {"红", "橙"})):
        for seq, card in enumerate(("绿", "黄", "橙", "红"), start=1):
            rows.append({"period": period, "card": card, "card_seq": seq, "n_tasks": None if card in hidden else 9,
                         "n_people": None if card in hidden else 7, "suppressed": card in hidden})
    fig = screen.cards_figure(pd.DataFrame(rows), pd.DataFrame(), 400)
    marks = [a for a in fig.layout.annotations if a.text == screen.HIDDEN]
    labels = list(fig.data[0].x)
    assert [a.x for a in marks] == labels[1:]
    assert [a.y for a in marks] == [9, 9]               # on top of the cards that are shown
    assert "推算" in screen.SUPPRESSED_NOTE


# --- fit, 不公开, groups outside the quadrants, exit (issue 14) ----------------------------------

def test_hidden_counts_read_不公开_with_the_rule_once_per_panel_and_a_way_out(demo_root, monkeypatch):
    at = screen_app(demo_root, monkeypatch)
    panels = {h.proto.body for h in at.get("html")}
    body = "\n".join(panels)
    assert "项任务</small>" in body
    assert "—<small>" not in body and "较上月 —" not in body and "较上季 —" not in body
    # one statement of the rule in each panel that can hide a count: 亮牌, 趋势 (card chart), 象限
    assert body.count(screen.SUPPRESSED_NOTE) == 3
    assert "不足5人" in screen.SUPPRESSED_NOTE
    assert 'class="scr-exit" href="home"' in body                   # the demo scope has 数据概况


def test_a_hidden_count_is_不公开_and_its_change_is_not_invented():
    rows = []
    for period, hidden in (("2025-11", {"黄"}), ("2025-12", {"橙"})):
        for seq, card in enumerate(("绿", "黄", "橙", "红"), start=1):
            rows.append({"period": period, "card": card, "card_seq": seq,
                         "n_tasks": None if card in hidden else 10 + seq, "suppressed": card in hidden})
    out = screen.card_tiles_html(pd.DataFrame(rows))
    tiles = out.split('class="scr-tile"')[1:]
    by_card = {t.split('class="k">')[1][:1]: t for t in tiles}
    assert "不公开" in by_card["橙"] and "项任务" not in by_card["橙"]          # hidden now
    assert "上月不公开" in by_card["黄"] and "12<small>项任务" in by_card["黄"]  # hidden before
    assert "▲" not in by_card["绿"] and "持平" in by_card["绿"]
    assert "—" not in out


def quads(now: dict, before: dict) -> pd.DataFrame:
    names = ["高贡献区", "逆势担当区", "平台红利区", "低效区", "贡献不确定", "不可判定"]
    return pd.DataFrame([{"period": p, "quadrant": n, "seq": i, "n_people": counts.get(n)}
                         for p, counts in (("2025-Q3", before), ("2025-Q4", now)) for i, n in enumerate(names)])


def test_groups_outside_the_quadrants_get_their_own_tiles():
    out = screen.quadrant_html(quads({"高贡献区": 30, "逆势担当区": None, "平台红利区": 12, "低效区": 8,
                                      "贡献不确定": 126, "不可判定": 142},
                                     {"高贡献区": 28, "贡献不确定": 120, "不可判定": 150}), 370)
    tiles = out.split('class="scr-tile"')[1:]
    assert len(tiles) == 6
    big = {t.split('class="k">')[1].split("<")[0]: t for t in tiles}
    assert "142<small>人" in big["不可判定"] and "较上季减8人" in big["不可判定"]
    assert "126<small>人" in big["贡献不确定"] and "较上季增6人" in big["贡献不确定"]
    assert "不公开" in big["逆势担当区"]
    assert "未归入象限" in out
    note = out.split('class="scr-note"')[1]
    assert "142" not in note and "126" not in note                      # no longer a footnote


def test_ranking_values_and_names_are_whole():
    name = "玉环经济开发区管理委员会漩门湾农业园区"
    rows = pd.DataFrame({"unit_name": [name, "清港镇"], "unit_type": ["平台", "镇"], "rank": [1, 2],
                         "prev_rank": [1, 3], "rank_change": [0, 1], "score": [1_654_321.7, 35_846.3],
                         "band": ["绿", "红"], "tier": ["优", "差"], "n_units": [2, 2], "measure": ["工业用电量"] * 2,
                         "unit": ["万千瓦时"] * 2, "period": ["2025-12"] * 2, "board_name": ["工业用电量"] * 2})
    page = {"board": "b", "board_name": "乡镇街道·平台 工业用电量", "period": "2025-12", "measure": "工业用电量",
            "unit": "万千瓦时", "start": 0, "page": 1, "pages": 1}
    out = screen.ranking_html(rows, page, 600, 0, 1)
    assert "工业用电量(亿千瓦时)" in out
    assert ">165.43<" in out and ">3.58<" in out                      # one unit per board, whole numbers
    assert name in out and "white-space:normal" in out               # a long name wraps, it is not cut
    assert "…" not in out
    value_w = int(out.split("text-align:right\">工业用电量")[0].rsplit("width:", 1)[1].split("px")[0])
    assert value_w >= screen.text_em("165.43") * 19 and value_w >= screen.text_em("工业用电量(亿千瓦时)") * 15
    values, unit = screen.rank_values([93.94, None], "分")
    assert values == ["93.9", "暂无"] and unit == ""
    assert screen.rank_values([1234.5, 12.345], "元")[0] == ["1,234", "12.35"]


def test_fit_font_shrinks_long_text_only():
    assert screen.fit_font("清港镇", 200, 19) == 19
    small = screen.fit_font("玉环经济开发区管理委员会漩门湾农业园区", 200, 19, 12)
    assert 12 <= small < 19 and 19 * screen.text_em("玉环经济开发区管理委员会漩门湾农业园区") > 200
    assert screen.fit_font("玉环经济开发区管理委员会漩门湾农业园区", 200, 19, 12, lines=2) > small


def test_no_exit_control_where_there_is_nowhere_to_go():
    import datetime as dt

    assert "scr-exit" not in screen.header_html({"as_of": "2025-12"}, dt.datetime(2025, 12, 1), exit_to=None)
    assert "Escape" in screen.SCREEN_JS


def test_charts_have_fixed_canvas_sizes_that_fit_their_slot(demo_root, monkeypatch):
    """The canvas is scaled as a whole, so a chart gets a fixed size in canvas pixels (never
    'responsive', which would measure the scaled page)."""
    import json

    for params in ({}, {"panel": "trends"}):
        at = screen_app(demo_root, monkeypatch, **params)
        for chart in at.get("plotly_chart"):
            layout = json.loads(chart.proto.spec)["layout"]
            config = json.loads(chart.proto.config)
            assert layout["width"] <= (screen.INNER_W[1] if not params else screen.BIG_INNER_W), params
            assert config["responsive"] is False


def test_canvas_geometry():
    assert screen.CANVAS_W / screen.CANVAS_H == 16 / 9
    assert abs(sum(screen.COL_W) + 2 * screen.GAP - screen.BODY_W) < 1e-6
    assert sum(screen.split_w(1000, (3, 2))) + screen.GAP <= 1000


def test_a_hidden_quadrant_bar_is_marked_where_it_would_stand():
    frame = quads({"高贡献区": None, "逆势担当区": 7, "平台红利区": 12, "低效区": None},
                  {"高贡献区": 9, "逆势担当区": None, "平台红利区": 11, "低效区": 8})
    fig = screen.quadrant_figure(frame, 400)
    marks = sorted((a.x, a.y) for a in fig.layout.annotations if a.text == screen.HIDDEN)
    # 4 bars per quarter, 0.2 apart around each quarter's centre (0 = 2025-Q3, 1 = 2025-Q4)
    assert marks == [(-0.1, 0), (1 - 0.3, 0), (1 + 0.3, 0)]
