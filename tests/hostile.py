"""A contract-valid batch whose free text is hostile Markdown/HTML, for the rendering tests.

Every unit, cadre, task, custom indicator, post, comment and project name carries the same
payload after a short tag naming what it is (``U1``, ``C2``, ``T3``…): a Streamlit colour
directive, a Markdown image and link to another host, LaTeX, bold, an HTML image with an
``onerror`` handler and an HTML link (which plotly would draw). Only ASCII punctuation, so the
text means the same before and after NFKC.
A page that shows any of these strings must show them literally.
"""
from __future__ import annotations

import csv
import html
import json
import re
from pathlib import Path

import pytest

from tests.worlds import World, write_world

EVIL = "evil.example"
WORLD = World(seed=11, n_units=3, n_cadres=5, custom=3, end="2025-06")


def payload(tag: str) -> str:
    return (f"{tag}:red[R]![i](http://{EVIL}/{tag}.png)[a](http://{EVIL}/{tag})$x^2$"
            f"<img src=http://{EVIL}/{tag}h.png onerror=alert(1)><a href='http://{EVIL}/{tag}a'>A</a>**B**")


# (table, column, tag prefix): which free-text columns become hostile.
HOSTILE_COLUMNS = (("units", "name", "U"), ("cadres", "name", "C"), ("tasks", "title", "T"),
                   ("indicators", "name", "I"), ("assignments", "post", "P"), ("ratings", "comment", "R"),
                   ("projects", "name", "J"), ("cadres", "role_type", "L"))


def write_hostile_world(folder: Path) -> Path:
    """Write WORLD into ``folder`` and replace its free text with payloads; returns ``folder``."""
    folder = write_world(WORLD, folder)
    for table, column, prefix in HOSTILE_COLUMNS:
        path = folder / f"{table}.csv"
        if not path.exists():
            continue
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        j = rows[0].index(column)
        seen: dict[str, str] = {}  # equal values stay equal (a role_type is a category)
        for row in rows[1:]:
            if row[j]:
                row[j] = seen.setdefault(row[j], payload(f"{prefix}{len(seen) + 1}"))
        with open(path, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(rows)
    return folder


def build_hostile(base: Path, access: dict | None = None):
    """Ingest the hostile batch into ``base/home`` through the CLI (asserts exit 0) and write an
    access file (an analyst ``ana`` and an admin ``adm`` in local mode unless ``access`` is
    given); returns the Home."""
    import contextlib
    import io

    import yaml

    from pipelines import cli, db
    from pipelines.home import Home

    batch = write_hostile_world(base / "batch")
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = cli.main(["ingest", str(batch), "--home", str(base / "home")])
    db.close_all()
    assert code == 0, err.getvalue()[-3000:]
    access = access or {"identity": "local", "users": {"ana": {"role": "analyst"}, "adm": {"role": "admin"}}}
    (base / "home" / "access.yaml").write_text(yaml.safe_dump(access), encoding="utf-8")
    return Home(base / "home")


@pytest.fixture(scope="session")
def hostile_template(tmp_path_factory):
    """The hostile batch ingested once per session (local access: ``ana`` analyst, ``adm``
    admin). Tests take a copy (``copy_home``): a page may save a mark, a test may change access."""
    return build_hostile(tmp_path_factory.mktemp("hostile_template"))


def copy_home(template, dest: Path, access: dict | None = None):
    """A copy of ``template`` (a Home) at ``dest``, with ``access`` written when given."""
    import shutil

    import yaml

    from pipelines.home import Home

    shutil.copytree(template.root, dest)
    if access is not None:
        (dest / "access.yaml").write_text(yaml.safe_dump(access), encoding="utf-8")
    return Home(dest)


# --- checks ---------------------------------------------------------------------------------------

TAG = re.compile(r"(?<![A-Za-z0-9])([UCTIPRJL]\d+)\\?:")  # the tag before a payload, escaped or not
# A ":" or "$" not preceded by an odd number of backslashes: a directive or math delimiter that
# reaches remark as syntax.
_UNESCAPED_DIRECTIVE = re.compile(r"(?<!\\)(?:\\\\)*:[A-Za-z][\w-]*\[")
_UNESCAPED_DOLLAR = re.compile(r"(?<!\\)(?:\\\\)*\$")
_SHORTCODE = re.compile(r":(material[/_]\w+|streamlit|[\w+-]+):")
_AUTOLINK = re.compile(r"(https?://|www(?=\.))[-.\w]+|[-.\w+]+@[-\w]+(\.[-\w]+)+", re.IGNORECASE)
PLOTLY_TAGS = re.compile(r"</?(br|b|i|em|sup|sub|extra)>")


def markdown_problems(source: str) -> list[str]:
    """What in a Markdown ``source`` that holds payloads would not show them literally: links,
    images, raw HTML or math a CommonMark parser finds, Streamlit directives or shortcodes,
    or a payload missing from the visible text."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    problems = []
    parser = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).use(dollarmath_plugin)
    tokens = parser.parse(source)
    inline = [c for t in tokens if t.type == "inline" for c in t.children or []]
    for t in [*tokens, *inline]:
        if t.type in ("image", "html_inline", "html_block", "math_inline", "math_block", "code_inline") or (
                t.type == "link_open" and EVIL in str(t.attrs.get("href", ""))):
            problems.append(f"{t.type}: {t.content[:60]!r}")
    if _UNESCAPED_DIRECTIVE.search(source):
        problems.append("directive")
    if _UNESCAPED_DOLLAR.search(source):
        problems.append("$")
    if _SHORTCODE.search(source.replace("\\", "")):
        problems.append("shortcode")
    if _AUTOLINK.search(source.replace("\\", "")):
        problems.append("bare URL or e-mail (remark-gfm links it)")
    text = "".join(c.content for c in inline if c.type == "text").replace("\u2060", "")
    problems += [f"{tag} not literal" for tag in set(TAG.findall(source)) if payload(tag) not in text]
    return problems


def html_problems(body: str) -> list[str]:
    """Tags or attributes in an HTML ``body`` that come from a payload, or a payload not shown."""
    from html.parser import HTMLParser

    found = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag in ("img", "a", "script") or any(EVIL in str(v) for _, v in attrs):
                found.append(f"<{tag}>")


    Parser().feed(body)
    text = html.unescape(re.sub(r"<[^>]*>", "", body))
    found += [f"{tag} not literal" for tag in set(TAG.findall(text)) if payload(tag) not in text]
    return found


def plotly_problems(spec: str) -> list[str]:
    """Strings of a plotly figure (JSON) that hold payload text plotly would read as HTML."""
    problems = []

    def walk(v):
        if isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, str) and EVIL in v:
            if "<" in PLOTLY_TAGS.sub("", v):
                problems.append(v[:120])

    walk(json.loads(spec))
    return problems
