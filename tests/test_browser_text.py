"""Every page of the demo in Chromium at 1366×768 reads Chinese: no Streamlit English (widget
placeholders, the uploader's "Upload" and size limit, the dropdowns' "Select all"), no English
month ticks on charts, no "pp" / "SD" units, no None/nan, no raw snake_case codes.

Scanned: the page's rendered text (body.innerText), plotly's SVG text (ticks, legends,
annotations), input placeholders, and the opened dropdown of every select widget. Table cells
are drawn on a canvas and are checked by the page tests (AppTest) instead."""
from __future__ import annotations

import re

from tests.browser import require_browser, screenshot_path, serve, wait_for_app
from tests.demo_world import ROOT

# Streamlit's own English and English units/markers, matched as whole words.
ENGLISH_WORDS = (
    "Choose options", "Choose an option", "Select all", "Drag and drop", "Browse files", "Upload",
    "Limit", "per file", "No results", "Clear all", "pp", "SD", "None", "nan", "NaN",
)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# A code a person would have to decode: lower-case words joined by "_" (not_separable, gpb_revenue).
RAW_CODE = re.compile(r"(?<![A-Za-z0-9_./\\-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![A-Za-z0-9_])")
# plotly's SI suffixes on value ticks ("8k", "1.2M"): a Chinese reader expects 8,000.
SI_TICK = re.compile(r"(?<![A-Za-z])\d+(?:\.\d+)?[kMGB](?![A-Za-z])")
BANNED = re.compile(r"(?<![A-Za-z])(?:" + "|".join(re.escape(w) for w in ENGLISH_WORDS + MONTHS) + r")(?![A-Za-z])")

# What a person sees: rendered text, chart text, placeholders (the page is settled first).
# Material icons are ligatures (the word "upload" draws an icon): hidden while the text is read.
TEXT = """() => {
  const icons = [...document.querySelectorAll('[data-testid="stIconMaterial"]')];
  icons.forEach(e => { e.dataset.display = e.style.display; e.style.display = 'none'; });
  const main = document.body.innerText;
  icons.forEach(e => { e.style.display = e.dataset.display; });
  const charts = [...document.querySelectorAll('.js-plotly-plot svg text')].map(e => e.textContent);
  const holders = [...document.querySelectorAll('input[placeholder], textarea[placeholder]')]
      .map(e => e.getAttribute('placeholder'));
  return {main, charts: charts.join('\\n'), holders: holders.join('\\n')};
}"""

SETTLED = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
      && !document.querySelector('[data-testid="stSkeleton"]');
}"""


def _leaks(where: str, text: str) -> list[str]:
    found = [f"{where}: {m.group(0)!r} in …{text[max(0, m.start() - 30):m.end() + 30]!r}…"
             for m in BANNED.finditer(text)]
    found += [f"{where}: code {m.group(0)!r}" for m in RAW_CODE.finditer(text)]
    if where.endswith("charts"):
        found += [f"{where}: tick {m.group(0)!r}" for m in SI_TICK.finditer(text)]
    return found


def _scan(page, label: str, url: str, home) -> list[str]:
    page.wait_for_function(SETTLED, timeout=60_000)
    page.wait_for_timeout(800)  # plotly draws after the run ends
    assert page.locator("[data-testid='stException']").count() == 0, label
    seen = page.evaluate(TEXT)
    page.screenshot(path=str(screenshot_path(f"text_{label}.png")))
    seen["dropdowns"] = _dropdowns(page)
    leaks = []
    for where, text in seen.items():
        leaks += _leaks(f"{label} {where}", text)
        if str(ROOT) in text or str(home) in text:  # the server's folders are nobody's business
            leaks.append(f"{label} {where}: a server folder path")
    return leaks


def _dropdowns(page) -> str:
    """Open each select widget in turn and return the text of its list."""
    out = []
    boxes = page.locator("[data-testid='stMultiSelect'] input, [data-testid='stSelectbox'] input")
    for i in range(boxes.count()):
        box = boxes.nth(i)
        if not box.is_visible() or box.is_disabled():
            continue
        box.click()
        page.wait_for_timeout(250)
        listbox = page.locator("[role='listbox']")
        out += [listbox.nth(j).inner_text() for j in range(listbox.count()) if listbox.nth(j).is_visible()]
        page.keyboard.press("Escape")
        page.wait_for_timeout(100)
    return "\n".join(out)


def test_every_page_reads_chinese(demo_world, browser):
    require_browser()
    batch, home, _ = demo_world
    cadre = (batch / "cadres.csv").read_text(encoding="utf-8").splitlines()[1].split(",")[0]
    unit = (batch / "units.csv").read_text(encoding="utf-8").splitlines()[1].split(",")[0]
    paths = ["/", f"/quadrants?cadre={cadre}", f"/cadre?cadre={cadre}", f"/unit?unit={unit}", "/anomalies",
             f"/briefing?units={unit}", "/data", "/methods"]
    leaks: list[str] = []
    with serve(home) as url:
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        for path in paths:
            page.goto(url + path, wait_until="domcontentloaded")
            wait_for_app(page)
            leaks += _scan(page, path.strip("/").split("?")[0] or "home", url, home)
            if path == "/anomalies":  # the desk below the table: the top flag's chart, reason, checks
                table = page.locator("[data-testid='stDataFrame']").first.bounding_box()
                page.mouse.click(table["x"] + 16, table["y"] + 36 + 17)  # first row's checkbox (canvas)
                page.wait_for_selector(".js-plotly-plot", timeout=60_000)
                leaks += _scan(page, "anomalies_desk", url, home)
        page.close()
    assert not leaks, "\n".join(leaks)
