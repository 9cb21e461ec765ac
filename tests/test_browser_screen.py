"""The big screen in Debian's Chromium: 1920×1080 and device scale factor 2 (a 3840×2160 picture),
no scrollbars, no error elements, Chinese fonts present, panels refreshing in place; the canvas
scaled to fit 1366×768 … 3840×2160 with nothing cut and charts drawn in their slots; Esc and the
corner button lead back to the pages. Screenshots: artifacts/screenshots/screen_*.png."""
from __future__ import annotations

import struct

import pytest

from tests.browser import screenshot_path, wait_for_app
from ui.screen import PAGE_SECONDS, PANELS

LAYOUT_JS = """() => {
  const de = document.documentElement, main = document.querySelector('[data-testid="stMain"]');
  const panels = [...document.querySelectorAll('[class*="st-key-scr-"]')].map(e => {
    const r = e.getBoundingClientRect();
    return {key: (e.className.match(/st-key-scr-[a-z]+/) || [''])[0], bottom: r.bottom, right: r.right,
            overflow: e.scrollHeight - e.clientHeight};
  });
  return {
    docH: de.scrollHeight, docW: de.scrollWidth, bodyH: document.body.scrollHeight,
    mainH: main ? main.scrollHeight - main.clientHeight : 0, mainW: main ? main.scrollWidth - main.clientWidth : 0,
    innerH: window.innerHeight, innerW: window.innerWidth, dpr: window.devicePixelRatio,
    errors: document.querySelectorAll('[data-testid="stException"], .stException, [data-testid="stAlertContentError"]').length,
    cjk: document.fonts.check('20px "Noto Sans CJK SC"', '实绩数据截至'),
    panels,
  };
}"""


def png_size(path) -> tuple[int, int]:
    with open(path, "rb") as fh:
        head = fh.read(24)
    return struct.unpack(">II", head[16:24])


@pytest.fixture(scope="module")
def wall(browser):
    """One 1920×1080 browser context for the module (its cache keeps the app's bundle warm)."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    yield context
    context.close()


def open_screen(target, app_url, query: str = "", charts: int = 0, page=None):
    """Open /screen<query> in ``page`` (or a new page of ``target``, a browser or a context)."""
    page = page or target.new_page()
    page.goto(f"{app_url}/screen{query}", wait_until="domcontentloaded")
    page.wait_for_selector("text=数据截至", timeout=60_000)
    wait_for_app(page)
    if charts:
        page.wait_for_function(f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {charts}",
                               timeout=30_000)
    page.evaluate("document.fonts.ready")
    page.wait_for_timeout(300)
    return page


# The layout is judged on a settled page: no element marked stale (a fragment mid-run, e.g. the
# carousel between two panels, shows the old panel's elements beside the new ones), no script
# running, fonts in, and ``until`` true. Waiting for that state and measuring happen in one
# evaluation, so the next tick of a fragment cannot slip in between (a sleep could, under load).
SETTLED_FIT_JS = """(until) => {
  if (document.querySelector('[data-stale="true"], [data-testid="stStatusWidget"]')) return false;
  if (!new Function('return (' + until + ')')()) return false;
  const i = (%s)();
  const fits = i.errors === 0 && i.docH <= i.innerH && i.docW <= i.innerW && i.bodyH <= i.innerH
    && i.mainH <= 0 && i.mainW <= 0 && i.cjk && i.panels.length > 0
    && i.panels.every(p => p.bottom <= i.innerH + 0.5 && p.right <= i.innerW + 0.5 && p.overflow <= 1);
  return fits ? i : false;
}""" % LAYOUT_JS


def assert_fits(page, until: str = "true", timeout_ms: int = 30_000) -> dict:
    """The settled page fits (see SETTLED_FIT_JS); when it never does, the assertions below say why."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        info = page.wait_for_function(SETTLED_FIT_JS, arg=until, timeout=timeout_ms).json_value()
    except PlaywrightTimeout:
        info = page.evaluate(LAYOUT_JS)
    assert info["errors"] == 0, info
    assert info["docH"] <= info["innerH"] and info["docW"] <= info["innerW"], info
    assert info["bodyH"] <= info["innerH"], info
    assert info["mainH"] <= 0 and info["mainW"] <= 0, info           # Streamlit's own scroll container
    assert info["cjk"], "Noto Sans CJK SC is not available: Chinese would render as tofu"
    assert info["panels"], "no screen panels rendered"
    for p in info["panels"]:
        assert p["bottom"] <= info["innerH"] + 0.5 and p["right"] <= info["innerW"] + 0.5, p
        assert p["overflow"] <= 1, p                                  # nothing clipped inside a panel
    assert page.get_by_text("数据截至").first.is_visible()
    return info


def test_screen_1080p_and_ranking_pages_without_flicker(app_url, wall):
    page = open_screen(wall, app_url, charts=2)
    info = assert_fits(page)
    assert info["dpr"] == 1
    keys = {p["key"] for p in info["panels"]}
    assert {"st-key-scr-header", "st-key-scr-indicators", "st-key-scr-kpi", "st-key-scr-trends",
            "st-key-scr-ranking", "st-key-scr-quadrants"} <= keys
    path = screenshot_path("screen_1080p.png")
    page.screenshot(path=str(path))
    assert png_size(path) == (1920, 1080)

    # The ranking fragment turns its page every PAGE_SECONDS; stale elements are never dimmed.
    label = ".st-key-scr-ranking .scr-title span"
    current = page.locator(label).first.inner_text()          # e.g. "第1/9页"
    number, total = current[1:-1].split("/")
    following = f"第{int(number) % int(total) + 1}/{total}页"
    page.evaluate("""() => { window.__minOpacity = 1; window.__watch = setInterval(() => {
        for (const e of document.querySelectorAll('.stElementContainer, [data-stale="true"]')) {
            window.__minOpacity = Math.min(window.__minOpacity, parseFloat(getComputedStyle(e).opacity));
        } }, 50); }""")
    page.wait_for_function(f"() => document.querySelector('{label}').innerText === '{following}'",
                           timeout=(3 * PAGE_SECONDS) * 1000)
    assert_fits(page)  # settled after the turn: the watch saw the whole refresh
    assert page.evaluate("() => { clearInterval(window.__watch); return window.__minOpacity; }") == 1
    page.close()


def test_screen_4k_at_device_scale_factor_2(app_url, browser):
    page = browser.new_page(viewport={"width": 1920, "height": 1080}, device_scale_factor=2)
    page = open_screen(browser, app_url, charts=2, page=page)
    info = assert_fits(page)
    assert info["dpr"] == 2 and info["innerW"] == 1920
    path = screenshot_path("screen_4k.png")
    page.screenshot(path=str(path))
    assert png_size(path) == (3840, 2160)
    page.close()


def test_each_carousel_panel(app_url, wall):
    page = wall.new_page()
    for panel in [p for p in PANELS if p != "overview"]:
        charts = {"alerts": 1, "quadrants": 1, "trends": 2, "map": 1}.get(panel, 0)
        open_screen(wall, app_url, f"?panel={panel}", charts=charts, page=page)
        assert_fits(page)
        cut = page.evaluate(FIT_JS)
        assert not cut["cut"] and not cut["ellipsis"], (panel, cut)
        assert page.locator(".scr-dots span.on").inner_text() == PANELS[panel]
        page.screenshot(path=str(screenshot_path(f"screen_panel_{panel}.png")))
    page.close()


def test_carousel_rotates_on_one_url(app_url, wall):
    page = open_screen(wall, app_url, "?rotate=5s")
    names = list(PANELS.values())
    active = page.locator(".scr-dots span.on").inner_text()
    following = names[(names.index(active) + 1) % len(names)]
    url = page.url
    page.wait_for_function(
        f"() => (document.querySelector('.scr-dots span.on') || {{}}).innerText === '{following}'", timeout=20_000)
    assert page.url == url                      # same URL, no navigation
    # Any panel after the first, once settled: on a slow machine the carousel may have moved on
    # again, and a panel between two ticks is judged only when no stale element is left.
    assert_fits(page, until=f"(document.querySelector('.scr-dots span.on') || {{}}).innerText !== '{active}'")
    page.close()


FIT_JS = """() => {
  const c = document.querySelector('[data-testid="stMainBlockContainer"]').getBoundingClientRect();
  const cut = [...document.querySelectorAll(
      '.st-key-scr-ranking td, .st-key-scr-ranking th, .scr-title b, .scr-title span, .scr-tile .k, .scr-tile .c,'
      + ' .scr-tile .d, .scr-note, .scr-ind .n, .scr-ind .v, .scr-stamp, .scr-exit')]
    .filter(e => e.scrollWidth > e.clientWidth + 1
                 || (getComputedStyle(e).overflowY !== 'visible' && e.scrollHeight > e.clientHeight + 1))
    .map(e => e.innerText);
  const ellipsis = [...document.querySelectorAll('.st-key-scr-ranking *')].flatMap(e => [...e.childNodes])
    .filter(n => n.nodeType === 3 && /(…|\\.\\.\\.)\\s*$/.test(n.textContent)).map(n => n.textContent);
  const clipped = [...document.querySelectorAll('.st-key-scr-ranking td, .st-key-scr-ranking th')]
    .filter(e => getComputedStyle(e).textOverflow === 'ellipsis').length;
  const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].map(f => {
    const svg = f.querySelector('.main-svg');
    // the element container, not the frame: the screen re-measures the frame in canvas pixels
    const slot = f.closest('[data-testid="stElementContainer"]');
    return svg ? [svg.getBoundingClientRect().width, slot.getBoundingClientRect().width] : null;
  });
  return {canvas: [c.left, c.top, c.width, c.height], cut, ellipsis, clipped, charts,
          innerW: window.innerWidth, innerH: window.innerHeight};
}"""

VIEWPORTS = [(3840, 2160), (1366, 768), (1920, 1080), (2560, 1440)]


def assert_scaled_to_fit(page, width: int, height: int) -> dict:
    """The 16:9 canvas fills the viewport (≥ 95 % of its limiting side), nothing is cut, no ranking
    text ends in an ellipsis, and every chart is drawn inside its own slot."""
    scale = min(width / 1920, height / 1080)
    page.wait_for_function(
        "s => Math.abs(document.querySelector('[data-testid=\"stMainBlockContainer\"]')"
        ".getBoundingClientRect().width - 1920 * s) < 1", arg=scale, timeout=10_000)
    assert_fits(page)
    info = page.evaluate(FIT_JS)
    left, top, w, h = info["canvas"]
    assert left >= -0.5 and top >= -0.5 and left + w <= width + 0.5 and top + h <= height + 0.5, info
    assert max(w / width, h / height) >= 0.95, info
    assert abs(w / h - 16 / 9) < 0.01, info
    assert not info["cut"], info["cut"]
    assert not info["ellipsis"] and info["clipped"] == 0, info
    assert info["charts"] and all(c is not None for c in info["charts"]), info
    for svg_w, slot_w in info["charts"]:
        assert 0.9 * slot_w <= svg_w <= slot_w + 1, info["charts"]
    return info


def test_canvas_scales_to_fit_every_viewport(app_url, browser):
    """One page, opened at 4K (where a chart sized from the scaled page would be drawn twice its
    slot), then resized: the canvas follows the viewport without a reload."""
    page = browser.new_page(viewport={"width": 3840, "height": 2160})
    open_screen(browser, app_url, charts=2, page=page)
    for width, height in VIEWPORTS:
        page.set_viewport_size({"width": width, "height": height})
        assert_scaled_to_fit(page, width, height)
        page.screenshot(path=str(screenshot_path(f"screen_fit_{width}x{height}.png")))
    page.close()


def test_exit_by_escape_and_by_the_corner_button(app_url, wall):
    page = open_screen(wall, app_url, "?rotate=30s")
    assert page.locator("[data-testid='stSidebarNav']").count() == 0 or not page.locator(
        "[data-testid='stSidebarNav']").is_visible()
    page.keyboard.press("Escape")
    page.wait_for_url("**/home", timeout=30_000)
    page.wait_for_selector("[data-testid='stSidebarNav']", state="visible", timeout=60_000)
    assert page.locator(".scr-header").count() == 0
    open_screen(wall, app_url, page=page)
    button = page.locator("a.scr-exit")
    assert button.is_visible() and button.inner_text().strip() == "✕ 退出大屏"
    button.click()
    page.wait_for_url("**/home", timeout=30_000)
    page.close()
