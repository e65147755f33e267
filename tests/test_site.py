"""The site's own plumbing: local scripts, citation labels, nbval markers as tags."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pybtex.database
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))

import ntsite  # noqa: E402

sys.path.insert(0, str(ROOT / "scripts"))

import nbval_tags  # noqa: E402


def test_plotly_js_ships_in_the_pinned_plotly_package() -> None:
    path = ntsite.plotly_js_source()
    assert path.stat().st_size > 1_000_000
    assert "plotly.js" in path.read_text(errors="replace")[:2000].lower()


def test_labels_are_author_year_like_the_text() -> None:
    bib = pybtex.database.parse_file(ROOT / "references.bib")
    entries = [bib.entries[key] for key in ("barton2022", "horowitz2014")]
    labels = list(ntsite.AuthorYearLabelStyle().format_labels(entries))
    assert labels == ["Barton et al., 2022", "Horowitz, 2014"]


def test_config_uses_the_local_scripts() -> None:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    sphinx = config["sphinx"]
    assert sphinx["local_extensions"] == {"ntsite": "_ext"}
    assert "sphinx-mathjax-offline" in sphinx["extra_extensions"]
    assert not sphinx["config"]["mathjax_path"].startswith("http")
    assert sphinx["config"]["nb_ipywidgets_js"] == {}
    assert config["launch_buttons"]["thebe"] is True


def test_marker_lines_become_tags() -> None:
    source, tags = nbval_tags.convert_source("# NBVAL_CHECK_OUTPUT\nprint(1)\n")
    assert (source, tags) == ("print(1)\n", ["nbval-check-output"])
    assert nbval_tags.convert_source("x = 1  # NBVAL_CHECK_OUTPUT\n")[1] == []


@pytest.mark.slow
def test_no_chapter_shows_an_nbval_marker() -> None:
    notebooks = sorted(str(p) for p in (ROOT / "book").glob("*.ipynb"))
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "nbval_tags.py"), "--check",
         *notebooks], capture_output=True, text=True)
    assert result.returncode == 0, (
        "convert them with scripts/nbval_tags.py:\n" + result.stdout)


@pytest.mark.parametrize("tag", ["nbval-check-output", "nbval-ignore-output"])
def test_nbval_reads_the_tags(tag: str) -> None:
    from nbval.plugin import metadata_tags

    assert tag in metadata_tags


@pytest.mark.parametrize(
    "url, buttons",
    [(ntsite.PLACEHOLDER_REPOSITORY_URL, False), ("", False),
     ("https://github.com/someone/nt-book", True)],
)
def test_launch_buttons_only_for_a_real_repository(tmp_path, url, buttons) -> None:
    from sphinx.application import Sphinx

    options = {"repository_url": url, "use_repository_button": True,
               "launch_buttons": {"binderhub_url": "https://mybinder.org",
                                  "thebe": True}}
    (tmp_path / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / '_ext')!r})\n"
        "extensions = ['sphinx_thebe', 'ntsite']\n"
        f"html_theme_options = {options!r}\n"
    )
    (tmp_path / "index.rst").write_text("Title\n=====\n")
    app = Sphinx(str(tmp_path), str(tmp_path), str(tmp_path / "out"),
                 str(tmp_path / "doctrees"), "html", status=None, warning=None)
    theme = app.config.html_theme_options
    thebe_hooks = [listener for event in ("env-before-read-docs", "doctree-resolved")
                   for listener in app.events.listeners[event]
                   if listener.handler.__module__ == "sphinx_thebe"]
    assert app.tags.has("repository") is buttons
    assert theme["use_repository_button"] is buttons
    assert bool(theme["launch_buttons"]) is buttons
    assert bool(thebe_hooks) is buttons


def _toc_parts() -> list[dict]:
    return yaml.safe_load((ROOT / "_toc.yml").read_text())["parts"]


def test_layout_table_lists_every_chapter_of_the_toc() -> None:
    questions = {part["caption"]: f"q{i}" for i, part in enumerate(_toc_parts())}
    rows = ntsite.layout_rows(ROOT, questions)
    assert len(rows) == 2 + len(questions)
    table = "\n".join(rows)
    for part in _toc_parts():
        for entry in part["chapters"]:
            assert f"</{entry['file']}>`" in table, entry["file"]
    assert "10. {doc}`The network on a chip </book/10_chip>`" in table


def test_layout_table_refuses_a_part_without_a_question() -> None:
    questions = {part["caption"]: "q" for part in _toc_parts()[1:]}
    with pytest.raises(ValueError, match="missing for \\['Getting started'\\]"):
        ntsite.layout_rows(ROOT, questions)
    with pytest.raises(ValueError, match="no such part: \\['Appendix'\\]"):
        ntsite.layout_rows(ROOT, {**questions, "Getting started": "q", "Appendix": "q"})


ROLE = re.compile(r"\{(chapter|chapno)\}`([^`]*)`")


def test_chapter_roles_name_chapters_that_exist() -> None:
    chapters = ntsite.chapter_docs(ROOT)
    assert chapters["supply_voltage"] == (8, "/book/08_supply_voltage")
    assert chapters["toolbox"] == (0, "/book/00_toolbox")
    used = set()
    for path in sorted((ROOT / "book").glob("*.*")):
        if path.suffix == ".ipynb":
            text = "".join("".join(c["source"]) for c in
                           json.loads(path.read_text())["cells"]
                           if c["cell_type"] == "markdown")
        elif path.suffix == ".md":
            text = path.read_text()
        else:
            continue
        for _, body in ROLE.findall(text):
            used.add(body.partition("<")[2].rstrip(">") or body)
    assert used, "no chapter is named by a role"
    assert used <= set(chapters), sorted(used - set(chapters))


def test_sphinx_numbers_the_chapters_as_their_files() -> None:
    # Sphinx numbers the chapters of numbered parts from 1, in order: the
    # toolbox (file 00) stays out, every chapter from file 01 on is in.
    numbered = [entry["file"] for part in _toc_parts() if part.get("numbered")
                for entry in part["chapters"]]
    files = [int(Path(f).name[:2]) for f in numbered]
    assert files == list(range(1, len(files) + 1))
    assert len(files) == max(n for n, _ in ntsite.chapter_docs(ROOT).values())


RAW_CHAPTER = re.compile(r"\b[Cc]hapters? \d")
FENCE = re.compile(r"^(`{3,}|~{3,})(.*)$")
CODE_SPAN = re.compile(r"(?<!\})`[^`\n]*`")


def prose_of(markdown: str) -> str:
    """``markdown`` without its code: fenced code blocks (not directives such
    as ``{dropdown}``, whose bodies are prose) and inline code spans."""
    kept, fences = [], []  # fences: open (marker, is_code), innermost last
    for line in markdown.splitlines():
        match = FENCE.match(line.strip())
        if match:
            marker, info = match.groups()
            if fences and not info.strip() and marker[0] == fences[-1][0][0] \
                    and len(marker) >= len(fences[-1][0]):
                fences.pop()
            else:
                fences.append((marker, not info.strip().startswith("{")))
            continue
        if not any(code for _, code in fences):
            kept.append(CODE_SPAN.sub("", line))
    return "\n".join(kept)


def test_prose_names_chapters_with_links_that_cannot_go_stale() -> None:
    # "chapter 8" typed by hand goes stale when chapters move; {chapter} does not
    found = []
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        for index, cell in enumerate(cells):
            if cell["cell_type"] != "markdown":
                continue
            prose = prose_of("".join(cell["source"]))
            found += [f"{path.name} cell {index}: {m.group(0)}"
                      for m in RAW_CHAPTER.finditer(prose)]
    assert found == []


def test_fontawesome_keeps_only_the_icons_named() -> None:
    script = ('x={a:[1,2,[],"f0","M1"],"b-c":[3,4,[9,"alias"],"f1","M2"],'
              'd:[5,6,[],"f2",["M3","M4"]]};')
    assert ntsite.trim_fontawesome(script, {"alias", "d"}) == (
        'x={"b-c":[3,4,[9,"alias"],"f1","M2"],d:[5,6,[],"f2",["M3","M4"]]};')
    assert ntsite.trim_fontawesome(script, set()) == "x={};"


def test_the_themes_fontawesome_trims_to_a_valid_script(tmp_path) -> None:
    import pydata_sphinx_theme

    theme = Path(pydata_sphinx_theme.__file__).parent
    script = next(theme.rglob("static/scripts/fontawesome.js")).read_text()
    assert len(ntsite.FA_ICON.findall(script)) > 1500  # the whole set is there
    trimmed = ntsite.trim_fontawesome(script, {"magnifying-glass", "bars", "search"})
    assert len(trimmed) < len(script) / 10
    assert '"magnifying-glass":[' in trimmed and "bars:[" in trimmed
    assert "yelp:[" in script and "yelp:[" not in trimmed
    node = shutil.which("node")
    assert node, "node is missing: make setup installs it (scripts/ensure-node.sh)"
    path = tmp_path / "fontawesome.js"
    path.write_text(trimmed)
    subprocess.run([node, "--check", str(path)], check=True)
