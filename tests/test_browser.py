"""Every page of the built book, loaded over HTTP in headless Chromium.

Runs when ``make book`` has built ``_build/html`` and Debian's ``chromium`` is
installed (``.ci/run`` installs it and builds the book first). Each page must
load with no request leaving the local server, no console error, every image
loaded and described, every internal link and anchor resolving, every formula
typeset, every glued value filled in, no nbval marker or traceback in the text,
and every explorer (a ``.nt-explorer`` plotly figure) changing its figure when
its slider is moved. Every table must read as a table, not raw output: no
column named like code, no counting index, large numbers with thousands
separators. No page may carry more than a screen of prose without a heading,
figure, table or code cell, nor more than three bold phrases in a paragraph,
and every figure is a vector image (SVG). A screenshot of each page is kept in ``_build/screenshots``.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
    "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


def _skip_or_fail(reason: str) -> None:
    # CI sets NT_REQUIRE_BROWSER=1 (.ci/run): there a missing prerequisite fails.
    if os.environ.get("NT_REQUIRE_BROWSER") == "1":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason, allow_module_level=True)


if not (SITE / "index.html").is_file():
    _skip_or_fail("the book is not built: run `make book` first "
                  "(_build/html/index.html is missing)")
if not CHROMIUM.is_file():
    _skip_or_fail("Debian's chromium is not installed: apt-get install chromium")

playwright_sync = pytest.importorskip("playwright.sync_api")

PAGES = sorted(
    p.relative_to(SITE).as_posix() for p in SITE.rglob("*.html")
    if not p.relative_to(SITE).parts[0].startswith("_")
)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def origin():
    handler = functools.partial(_Quiet, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def screenshots():
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    return SCREENSHOTS


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("id", "name") and value:
                self.ids.add(value)


@functools.cache
def anchors(path: Path) -> frozenset[str]:
    parser = _Ids()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return frozenset(parser.ids)


def broken_links(hrefs: list[str], origin: str) -> list[str]:
    """Internal links whose page or anchor does not exist in the built site."""
    broken = []
    for href in hrefs:
        if not href.startswith(origin + "/"):
            continue
        parts = urlsplit(href)
        path = SITE / unquote(parts.path).lstrip("/")
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file():
            broken.append(f"{href} (no such file)")
        elif parts.fragment and path.suffix == ".html":
            if unquote(parts.fragment) not in anchors(path):
                broken.append(f"{href} (no such anchor)")
    return broken


EXPLORER_CLASS = re.compile(r"""class=["'](?:[^"']*\s)?nt-explorer(?:\s[^"']*)?["']""")


def expected_explorers(page: str) -> int:
    """How many explorers the page's notebook puts in its shown outputs."""
    notebook = ROOT / Path(page).with_suffix(".ipynb")
    if not notebook.is_file():
        return 0
    count = 0
    for cell in json.loads(notebook.read_text())["cells"]:
        tags = cell.get("metadata", {}).get("tags", [])
        if "remove-output" in tags or "remove-cell" in tags:
            continue
        for output in cell.get("outputs", []):
            html = "".join(output.get("data", {}).get("text/html", ""))
            count += len(EXPLORER_CLASS.findall(html))
    return count


MATHJAX_DONE_JS = """() =>
  (window.MathJax && MathJax.startup && MathJax.startup.promise)
    ? MathJax.startup.promise.then(() => true) : true"""

PAGE_TEXT_JS = """() => {
  const main = document.querySelector('main') || document.body;
  const clone = main.cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, textarea, mjx-container, '
                         + 'mjx-assistive-mml, .MathJax').forEach(e => e.remove());
  return {prose: clone.textContent, all: document.body.textContent};
}"""

PAGE_FACTS_JS = """() => ({
  brokenImages: [...document.images]
      .filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src),
  undescribedImages: [...document.querySelectorAll('main img')]
      .filter(i => { const a = (i.getAttribute('alt') || '').trim();
                     return a.length < 8 || /\\.(png|jpe?g|svg|gif)$/i.test(a)
                            || a.includes('_images/'); })
      .map(i => i.src),
  emptyGlue: [...document.querySelectorAll('.pasted-text, .pasted-inline')]
      .filter(e => e.textContent.trim() === '' && !e.querySelector('img')).length,
  hrefs: [...document.querySelectorAll('a[href]')].map(a => a.href),
  explorers: document.querySelectorAll('.nt-explorer').length,
})"""


#: Layout of a page as a student reads it: what sticks out of the column
#: (outside a frame that scrolls), code lines wider than 79 characters, "chapter
#: N" written without a link, and the chapter and figure numbers.
LAYOUT_FACTS_JS = """() => {
  const main = document.querySelector('article.bd-article');
  if (!main) return null;
  const limit = main.getBoundingClientRect().right + 1;
  const sticking = [];
  for (const el of main.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= limit) continue;
    let p = el.parentElement, framed = false;
    while (p && p !== main) {
      const s = getComputedStyle(p);
      if ((s.overflowX === 'auto' || s.overflowX === 'scroll')
          && p.getBoundingClientRect().right <= limit) { framed = true; break; }
      p = p.parentElement;
    }
    if (!framed) sticking.push(`${el.tagName.toLowerCase()} `
        + `(${Math.round(r.right - limit)} px): ${el.textContent.slice(0, 40)}`);
  }
  const longLines = [...main.querySelectorAll('div.cell_input pre')]
    .flatMap(pre => pre.textContent.split('\\n')).filter(l => l.length > 79);
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  const unlinked = [];
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.parentElement.closest('a, pre, code, .cell_input, .cell_output'))
      continue;
    const found = node.textContent.match(/\\b[Cc]hapters? \\d+/);
    if (found) unlinked.push(node.textContent.trim().slice(0, 60));
  }
  // The tallest run of prose (paragraphs and lists one after another) with no
  // heading, figure, table, code or box to break it.
  const PROSE = new Set(['P', 'UL', 'OL', 'BLOCKQUOTE', 'DL']);
  let top = null, bottom = 0, opening = '', wall = {height: 0, opening: ''};
  const endRun = () => {
    if (top !== null && bottom - top > wall.height)
      wall = {height: Math.round(bottom - top), opening};
    top = null;
  };
  for (const el of main.querySelectorAll('section > *')) {
    const r = el.getBoundingClientRect();
    if (r.height === 0) continue;
    if (!PROSE.has(el.tagName)) { endRun(); continue; }
    if (top === null) { top = r.top; opening = el.textContent.trim().slice(0, 50); }
    bottom = r.bottom;
  }
  endRun();
  // bold as the reader sees it: <strong>, and any text styled bold (glue)
  const bold = e => Number(getComputedStyle(e).fontWeight) >= 600;
  const boldest = [...main.querySelectorAll('p')]
    .map(p => ({count: [...p.querySelectorAll('*')]
                  .filter(e => bold(e) && !bold(e.parentElement)).length,
                text: p.textContent.trim().slice(0, 50)}))
    .reduce((a, b) => (b.count > a.count ? b : a), {count: 0, text: ''});
  const raster = [...main.querySelectorAll('img')].map(i => i.getAttribute('src') || '')
    .filter(src => /\\.(png|jpe?g|gif)$/i.test(src.split('?')[0])
                   || /^data:image\\/(png|jpe?g|gif)/i.test(src));
  const number = document.querySelector('h1 .section-number');
  return {
    wall, boldest, raster: raster.slice(0, 5),
    sticking: sticking.slice(0, 5), longLines: longLines.slice(0, 5),
    unlinked: unlinked.slice(0, 5),
    chapterNumber: number ? number.textContent.trim() : '',
    figureNumbers: [...main.querySelectorAll('figcaption .caption-number')]
      .map(e => e.textContent.trim()),
  };
}"""


#: The tallest run of prose a page may carry without a heading, figure, table
#: or code cell to break it: one 1280 x 900 screen.
WALL_PX = 900
#: The most bold words in one paragraph: beyond that, bold no longer guides.
MAX_BOLD = 3


def chapter_number(page_path: str) -> int | None:
    """The number a chapter page carries (None: the toolbox and the rest)."""
    stem = Path(page_path).stem
    prefix = stem.split("_", 1)[0]
    return int(prefix) if prefix.isdigit() and int(prefix) > 0 else None


def layout_problems(page, page_path: str) -> list[str]:
    facts = page.evaluate(LAYOUT_FACTS_JS)
    if facts is None:
        return []
    problems = [f"sticks out of the column: {s}" for s in facts["sticking"]]
    problems += [f"code line over 79 characters: {line}"
                 for line in facts["longLines"]]
    problems += [f"a chapter named without a link: {t!r}"
                 for t in facts["unlinked"]]
    if facts["wall"]["height"] > WALL_PX:
        problems.append(f"{facts['wall']['height']} px of prose with nothing to "
                        f"break it, from {facts['wall']['opening']!r}")
    if facts["boldest"]["count"] > MAX_BOLD:
        problems.append(f"{facts['boldest']['count']} bold phrases in one "
                        f"paragraph: {facts['boldest']['text']!r}")
    problems += [f"a raster figure, not a vector one: {src[:60]}"
                 for src in facts["raster"]]
    number = chapter_number(page_path)
    if number is not None:
        if facts["chapterNumber"] != f"{number}.":
            problems.append(f"title numbered {facts['chapterNumber']!r}, "
                            f"not {number}.")
        problems += [f"figure numbered {f!r} in chapter {number}"
                     for f in facts["figureNumbers"]
                     if not f.startswith(f"Fig. {number}.")]
    return problems


def check_explorer(page, index: int) -> str | None:
    """Click another step on an explorer's slider rail; None if its title changed."""
    explorer = page.locator(".nt-explorer").nth(index)
    explorer.scroll_into_view_if_needed()
    plot = explorer.locator(".js-plotly-plot").first
    if plot.count() == 0:
        return f"explorer {index}: no plotly figure was drawn"
    state = plot.evaluate("""gd => ({
        title: (gd.layout.title && gd.layout.title.text) || '',
        steps: ((gd.layout.sliders || [])[0] || {steps: []}).steps.length,
        active: ((gd.layout.sliders || [])[0] || {}).active || 0})""")
    if state["steps"] < 2:
        return f"explorer {index}: no slider with two or more steps"
    ticks = explorer.locator(".slider-tick-rect")
    rail = explorer.locator(".slider-rail-rect").first
    if ticks.count() != state["steps"] or rail.count() == 0:
        return f"explorer {index}: slider rail or its {state['steps']} ticks not drawn"
    target = (state["active"] + state["steps"] // 2) % state["steps"]
    if target == state["active"]:
        target = (state["active"] + 1) % state["steps"]
    tick, bar = ticks.nth(target).bounding_box(), rail.bounding_box()
    page.mouse.click(tick["x"] + tick["width"] / 2, bar["y"] + bar["height"] / 2)
    try:
        page.wait_for_function(
            "([gd, before]) => ((gd.layout.title && gd.layout.title.text) || '')"
            " !== before",
            arg=[plot.element_handle(), state["title"]], timeout=5000)
    except playwright_sync.TimeoutError:
        return (f"explorer {index}: title stayed {state['title']!r} after clicking "
                f"step {target} of {state['steps']}")
    return None


def inspect(browser, origin: str, page_path: str, screenshot: Path | None) -> list[str]:
    """Everything wrong with one page, as readable lines."""
    problems: list[str] = []
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    local = re.escape(origin + "/")
    context.route(re.compile(rf"^(?!{local}|data:|blob:|about:)"),
                  lambda route: (problems.append(f"request to {route.request.url}"),
                                 route.abort()))
    page = context.new_page()
    page.on("console", lambda m: m.type == "error"
            and problems.append(f"console error: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("response", lambda r: r.status >= 400
            and problems.append(f"HTTP {r.status} for {r.url}"))
    try:
        refresh = re.search(r'http-equiv="Refresh" content="0; url=([^"]+)"',
                            (SITE / page_path).read_text(), re.I)
        if refresh:  # the site's index.html only forwards to the first page
            target = urlsplit(f"{origin}/{page_path}")._replace(
                path=str(Path("/" + page_path).parent / refresh.group(1))).geturl()
            page.goto(f"{origin}/{page_path}")
            page.wait_for_url(target, wait_until="load")
            return problems + broken_links([target], origin)
        page.goto(f"{origin}/{page_path}", wait_until="load")
        page.evaluate(MATHJAX_DONE_JS)
        facts = page.evaluate(PAGE_FACTS_JS)
        text = page.evaluate(PAGE_TEXT_JS)
        problems += layout_problems(page, page_path)
        problems += [f"image did not load: {src}" for src in facts["brokenImages"]]
        problems += [f"image without descriptive alt text: {src}"
                     for src in facts["undescribedImages"]]
        problems += [f"broken internal link: {h}"
                     for h in broken_links(facts["hrefs"], origin)]
        if facts["emptyGlue"]:
            problems.append(f"{facts['emptyGlue']} glued value(s) are empty")
        for raw in ("\\[", "\\(", "$$", "\\begin{"):
            if raw in text["prose"]:
                at = text["prose"].index(raw)
                problems.append(f"raw TeX {raw!r} on the page: "
                                f"{text['prose'][max(0, at - 40):at + 40]!r}")
        if "NBVAL" in text["all"]:
            problems.append("an nbval marker is on the page")
        if "Traceback (most recent call last)" in text["all"] or page.locator(
                ".output.traceback").count():
            problems.append("a traceback is on the page")
        wanted = expected_explorers(page_path)
        if facts["explorers"] != wanted:
            problems.append(f"{facts['explorers']} explorer(s) on the page, "
                            f"{wanted} in the notebook's outputs")
        for index in range(facts["explorers"]):
            problem = check_explorer(page, index)
            if problem:
                problems.append(problem)
        if screenshot is not None:
            page.screenshot(path=str(screenshot), full_page=True)
    finally:
        context.close()
    return problems


@pytest.mark.parametrize("page_path", PAGES)
def test_page(browser, origin, screenshots, page_path):
    name = page_path.replace("/", "__").removesuffix(".html") + ".png"
    problems = inspect(browser, origin, page_path, screenshots / name)
    assert not problems, f"{page_path}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("page_path", [p for p in PAGES if p != "index.html"])
def test_page_fits_a_phone(browser, origin, page_path):
    """At 390 px (a phone), nothing sticks out of the column either."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(f"{origin}/{page_path}", wait_until="load")
        page.evaluate(MATHJAX_DONE_JS)
        problems = [p for p in layout_problems(page, page_path)
                    if p.startswith("sticks out")]
    finally:
        context.close()
    assert not problems, f"{page_path} at 390 px:\n  " + "\n  ".join(problems)


def test_every_chapter_is_a_page():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]] + [
        entry["file"] for part in toc.get("parts", [{"chapters": toc.get("chapters")}])
        for entry in part["chapters"]
    ]
    missing = [f for f in files if f"{f}.html" not in PAGES]
    assert not missing, f"pages missing from _build/html: {missing}"


def _repository_is_set(url: str) -> bool:
    import sys

    sys.path.insert(0, str(ROOT / "_ext"))
    import ntsite

    return ntsite.repository_is_set(url)


def test_launch_buttons_follow_the_configured_repository():
    """Buttons that lead to the repository where one is set; none otherwise."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    repo_url = config["repository"]["url"].rstrip("/")
    branch = config["repository"]["branch"]
    org_repo = urlsplit(repo_url).path.strip("/")
    binder = config["launch_buttons"]["binderhub_url"].rstrip("/")
    prefix = config["repository"].get("path_to_book", "").strip("/")
    chapters = [p for p in PAGES if (ROOT / Path(p).with_suffix(".ipynb")).is_file()]
    assert chapters, "no chapter page built from a notebook"
    if not _repository_is_set(repo_url):
        for page_path in PAGES:
            html = (SITE / page_path).read_text()
            for dead in (binder, repo_url, "launch-thebe", "text/x-thebe-config",
                         "unpkg.com"):
                assert dead not in html, f"{page_path}: a dead link to {dead}"
        intro = (SITE / "book" / "intro.html").read_text()
        assert "use your own machine" in intro and "Binder" not in intro
        return
    for page_path in chapters:
        html = (SITE / page_path).read_text()
        notebook = "/".join(filter(None, [prefix, str(Path(page_path).with_suffix(
            ".ipynb"))]))
        assert (ROOT / notebook).is_file(), notebook
        launch = f"{binder}/v2/gh/{org_repo}/{branch}?urlpath=lab/tree/{notebook}"
        assert f'href="{launch}"' in html, f"{page_path}: no launch link {launch}"
        assert f'href="{repo_url}"' in html, f"{page_path}: no repository button"
        thebe = re.search(r'<script type="text/x-thebe-config">(.*?)</script>', html,
                          re.S)
        assert thebe, f"{page_path}: Thebe is not configured"
        assert f'repo: "{org_repo}"' in thebe.group(1), thebe.group(1)
        assert f'ref: "{branch}"' in thebe.group(1), thebe.group(1)


@pytest.mark.parametrize("query", ["membrane", "energy", "supply"])
def test_search_snippets_quote_the_page_text(browser, origin, query):
    """Each result's snippet is page text around a word searched for."""
    page = browser.new_page()
    try:
        page.goto(f"{origin}/search.html?q={query.replace(' ', '+')}")
        page.wait_for_selector("#search-results li p.context", timeout=60_000)
        page.wait_for_function(
            "document.querySelector('#search-results .search-summary')"
            " && !document.querySelector('#search-results')"
            ".textContent.includes('Searching')", timeout=60_000)
        # each result's snippet arrives on its own, after the summary line
        page.wait_for_function(
            "[...document.querySelectorAll('#search-results li')].every("
            "li => (li.querySelector('p.context')?.textContent || '').trim())",
            timeout=60_000)
        snippets = page.eval_on_selector_all(
            "#search-results li p.context", "els => els.map(e => e.textContent)")
    finally:
        page.close()
    assert len(snippets) >= 3, snippets
    stem = query.lower()[:5]  # "energ" finds "energy" and "energies"
    for snippet in snippets:
        assert stem in snippet.lower(), snippet
        assert "Binder" not in snippet and ".md" not in snippet, snippet


def test_the_layout_check_finds_walls_bold_and_raster_figures(browser):
    """The page check itself: a wall of prose, a paragraph of bold, a PNG figure."""
    words = " ".join(["word"] * 400)
    bold = " ".join(f"<strong>{k}</strong>" for k in range(MAX_BOLD)) + (
        ' <span style="font-weight: bold">glued</span>')
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.set_content(
            '<article class="bd-article" style="width: 600px"><section>'
            f"<h1>Title</h1>{f'<p>{words}</p>' * 4}<p>{bold}</p>"
            '<figure><img src="fig.png" alt="a figure"></figure>'
            '<figure><img src="fig.svg" alt="a figure"></figure>'
            "</section></article>")
        found = " ".join(layout_problems(page, "book/99_x.html"))
        assert "prose with nothing to break it" in found
        assert f"{MAX_BOLD + 1} bold phrases" in found
        assert "raster figure, not a vector one: fig.png" in found
        assert "fig.svg" not in found
        page.set_content(
            '<article class="bd-article" style="width: 600px"><section>'
            f"<p>{words}</p><figure><img src='fig.svg' alt='a figure'></figure>"
            f"<p>{words}</p><p>{bold.replace('strong', 'em')}</p>"
            "</section></article>")
        found = " ".join(layout_problems(page, "book/x.html"))
        assert "prose" not in found and "bold" not in found, found
    finally:
        page.close()


def test_slider_check_moves_a_plotly_figure(browser, tmp_path):
    """The explorer check itself: a two-step plotly slider is clicked and read."""
    go = pytest.importorskip("plotly.graph_objects")
    steps = [dict(method="update", label=f"{v:.1f} V",
                  args=[{"y": [[v, 2 * v, 3 * v]]},
                        {"title.text": f"supply {v:.1f} V"}])
             for v in (0.8, 0.9, 1.0)]
    figure = go.Figure(go.Scatter(y=[0.8, 1.6, 2.4]),
                       layout=dict(title=dict(text="supply 0.8 V"),
                                   sliders=[dict(active=0, steps=steps)]))
    body = figure.to_html(include_plotlyjs=False, full_html=False)
    shutil.copy(SITE / "_static" / "plotly.min.js", tmp_path / "plotly.min.js")
    (tmp_path / "index.html").write_text(
        '<!doctype html><html><head><script src="plotly.min.js"></script></head>'
        f'<body><main><div class="nt-explorer">{body}</div></main></body></html>')
    handler = functools.partial(_Quiet, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/index.html")
        page.wait_for_selector(".nt-explorer .slider-rail-rect")
        assert check_explorer(page, 0) is None
        title = page.locator(".js-plotly-plot").evaluate("gd => gd.layout.title.text")
        assert title == "supply 0.9 V"
        page.close()
    finally:
        server.shutdown()
        server.server_close()


def test_the_verdict_tables_are_complete(browser, origin):
    """Every cell of the closing chapter's tables shows a value: a key another
    chapter no longer glues would leave a cell empty or half a sentence."""
    page = browser.new_page()
    try:
        page.goto(f"{origin}/book/12_verdict.html", wait_until="load")
        tables = page.eval_on_selector_all(
            "main table",
            "ts => ts.map(t => [...t.querySelectorAll('tbody tr')].map("
            "r => [...r.cells].map(c => c.innerText.trim())))")
        pasted = page.eval_on_selector_all(
            "main table .pasted-text", "ns => ns.map(n => n.innerText.trim())")
    finally:
        page.close()
    assert len(tables) == 2 and len(tables[0]) >= 7 and len(tables[1]) >= 2, tables
    bad = [cells for rows in tables for cells in rows
           if any(not c or "object>" in c or "nan" in c.split() for c in cells)]
    assert bad == [], bad
    verdicts = [row[3] for row in tables[0]]
    assert all(any(w in v for w in ("holds", "does not hold")) for v in verdicts), verdicts
    assert pasted and all(p for p in pasted), pasted


def test_icons_render_from_the_trimmed_font_awesome(browser, origin):
    """The build keeps only the icons the site names: each still becomes an
    inline SVG, and none is left as an empty <i> placeholder."""
    page = browser.new_page()
    try:
        page.goto(f"{origin}/book/08_supply_voltage.html", wait_until="load")
        page.wait_for_function(
            "() => document.querySelectorAll('svg.svg-inline--fa').length > 0")
        left = page.evaluate(
            "() => [...document.querySelectorAll('i[class*=\"fa-\"]')]"
            ".map(i => i.className)")
    finally:
        page.close()
    assert left == [], left


class _Tables(HTMLParser):
    """Every table of a page as rows of cell texts (header row first)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._rows: list[list[str]] | None = None
        self._row: list[str] | None = None
        self._cell: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._rows = []
        elif tag == "tr" and self._rows is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._rows is not None:
            self.tables.append(self._rows)
            self._rows = None
        elif tag == "tr" and self._row is not None and self._rows is not None:
            self._rows.append(self._row)
            self._row = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(self._cell.strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell += data


def table_problems(html: str) -> list[str]:
    """Tables that read as raw output: code names, counting index, bare numbers."""
    parser = _Tables()
    parser.feed(html)
    problems = []
    for rows in parser.tables:
        if len(rows) < 2:
            continue
        header, cells = rows[0], [c for row in rows[1:] for c in row]
        coded = [h for h in header if re.fullmatch(r"[A-Za-z]\w*_\w+", h)]
        if coded:
            problems.append(f"columns named like code: {coded}")
        long = [c for c in cells if re.fullmatch(r"-?\d{5,}(\.\d+)?", c)]
        if long:
            problems.append(f"numbers without thousands separators: {long[:3]}")
        raw = [c for c in cells if re.fullmatch(r"-?\d\.\d{4,}e[-+]\d+", c)]
        if raw:
            problems.append(f"numbers in raw scientific notation: {raw[:3]}")
        first = [row[0] for row in rows[1:] if row]
        if len(first) > 1 and first == [str(k) for k in range(len(first))]:
            problems.append(f"a counting index column beside {header[1:3]}")
    return problems


@pytest.mark.parametrize("page_path", [p for p in PAGES if p.startswith("book/")])
def test_tables_read_as_tables_not_raw_output(page_path):
    problems = table_problems((SITE / page_path).read_text())
    assert not problems, f"{page_path}:\n  " + "\n  ".join(problems)


def test_the_table_check_finds_raw_output():
    raw = ("<table><tr><th></th><th>input_shape</th><th>power</th></tr>"
           "<tr><td>0</td><td>12345</td><td>6.184516e-07</td></tr>"
           "<tr><td>1</td><td>3</td><td>2.0</td></tr></table>")
    found = " ".join(table_problems(raw))
    for what in ("named like code", "thousands separators", "scientific", "counting"):
        assert what in found
    clean = ("<table><tr><th>layer</th><th>synapses</th></tr>"
             "<tr><td>conv1</td><td>12,345</td></tr></table>")
    assert table_problems(clean) == []


def test_the_build_left_no_sphinx_warning():
    """A glued key no cell glues, a broken reference: Sphinx warns, and the build
    still succeeds with a silent gap on the page. ``make book`` keeps its log."""
    log = ROOT / "_build.log"
    if not log.is_file():
        _skip_or_fail("no _build.log: build the book with `make book`")
    warnings = [line for line in log.read_text(errors="replace").splitlines()
                if ": WARNING: " in line]
    assert not warnings, "\n".join(warnings[:10])
