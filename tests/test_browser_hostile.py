"""Hostile names and titles in Chromium (issue 11, item 7): on a batch whose unit, cadre, task
and indicator names are Markdown/HTML payloads (tests/hostile.py), the pages that show them —
异常预警 with a flag open, the 考察准备 briefing, 单位档案 and the big screen — make no request
to another host, draw no image, link, KaTeX or coloured text from them, and show each payload
literally. Screenshots: artifacts/screenshots/hostile_*.png."""
from __future__ import annotations

import pytest

from tests.browser import require_browser, screenshot_path, serve, wait_for_app
from tests.hostile import EVIL, copy_home, payload

ACCESS = {"identity": "header", "header": "X-Forwarded-User", "users": {"ana": {"role": "analyst"}}}

DOM = """() => {
  const q = (s) => document.querySelectorAll(s).length;
  return {
    images: q('img[src*="evil.example"], image[href*="evil.example"], source[srcset*="evil.example"]'),
    links: q('a[href*="evil.example"], a[*|href*="evil.example"]'),
    handlers: q('[onerror]'),
    katex: q('.katex, .katex-error, .katex-display, math'),
    coloured: [...document.querySelectorAll('[class*="stMarkdownColored"]')].filter(e => e.textContent === 'R').length,
    text: document.body.innerText.replaceAll('\\u2060', ''),
    charts: [...document.querySelectorAll('.js-plotly-plot')].map(e => e.textContent).join('\\n'),
    errors: q('[data-testid="stException"], [data-testid="stAlertContentError"]'),
  };
}"""


@pytest.fixture(scope="module")
def hostile_url(hostile_template, tmp_path_factory):
    require_browser()
    home = copy_home(hostile_template, tmp_path_factory.mktemp("hostile_browser") / "home", access=ACCESS)
    with serve(home.root) as url:
        yield url


@pytest.fixture(scope="module")
def analyst(browser):
    """A browser context whose requests carry the analyst's identity header (header mode trusts
    the loopback proxy), recording every URL the pages ask for."""
    context = browser.new_context(viewport={"width": 1600, "height": 1400},
                                  extra_http_headers={"X-Forwarded-User": "ana"})
    context.requested = []
    context.on("request", lambda request: context.requested.append(request.url))
    yield context
    context.close()


def open_page(context, url: str, ready: str):
    page = context.new_page()
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector(ready, timeout=60_000)
    wait_for_app(page)
    page.wait_for_timeout(1500)  # lazy Markdown plugins (KaTeX) and plotly finish drawing
    return page


def check(page, context, shot: str, literal: list[str], in_charts: list[str] = ()) -> dict:
    if in_charts:  # plotly draws after the script run ends: wait for the text, not a fixed time
        wanted = [payload(tag) for tag in in_charts]
        page.wait_for_function("(wanted) => { const t = [...document.querySelectorAll('.js-plotly-plot')]"
                               ".map(e => e.textContent).join('\\n'); return wanted.every(w => t.includes(w)); }",
                               arg=wanted, timeout=60_000)
    dom = page.evaluate(DOM)
    page.screenshot(path=str(screenshot_path(f"hostile_{shot}.png")), full_page=True)
    assert dom["errors"] == 0
    assert [u for u in context.requested if EVIL in u] == []
    assert (dom["images"], dom["links"], dom["handlers"], dom["katex"], dom["coloured"]) == (0, 0, 0, 0, 0), dom
    for tag in literal:
        assert payload(tag) in dom["text"], (tag, dom["text"][:3000])
    for tag in in_charts:
        assert payload(tag) in dom["charts"], (tag, dom["charts"][:3000])
    return dom


def test_anomaly_desk_shows_a_hostile_task_title_literally(hostile_url, analyst):
    page = open_page(analyst, f"{hostile_url}/anomalies?level=task&year=全部年份", "text=在表格中选择一条预警")
    grid = page.locator("[data-testid='stDataFrame']").first.bounding_box()
    page.mouse.click(grid["x"] + 18, grid["y"] + 35 + 17)  # the first row's selection box
    page.wait_for_selector("text=保存核验记录", timeout=60_000)  # the detail's last part: the check form
    wait_for_app(page)
    page.wait_for_timeout(1500)
    heading = page.locator("h3").filter(has_text=EVIL).first.inner_text().replace("\u2060", "")
    tag = heading.split(" · ")[2][:2]
    assert heading.split(" · ")[2] == payload(tag)
    check(page, analyst, "anomalies", [tag], in_charts=[tag])
    page.close()


def test_briefing_title_shows_hostile_names_literally(hostile_url, analyst):
    page = open_page(analyst, f"{hostile_url}/briefing?unit=T01&cadre=C001", "text=下载 PDF")
    check(page, analyst, "briefing", ["U1", "C1"])
    page.close()


def test_unit_profile_shows_a_hostile_unit_name_literally(hostile_url, analyst):
    page = open_page(analyst, f"{hostile_url}/unit?unit=T01", "text=干部任职")
    check(page, analyst, "unit", ["U1"])
    page.close()


def test_big_screen_legend_shows_a_hostile_indicator_name_literally(hostile_url, analyst):
    page = open_page(analyst, f"{hostile_url}/screen", "text=数据截至")
    check(page, analyst, "screen", ["I3"], in_charts=["I3"])
    page.close()
