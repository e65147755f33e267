"""The library names chapters by key, from one table that matches the book."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from ntlib.chapters import CHAPTERS, chapter_number, chapter_path

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = sorted((ROOT / "ntlib").rglob("*.py"))
#: "chapter ``key``", "chapters ``a``-``b``", "chapters ``a`` and ``b``", ...
REFERENCE = re.compile(r"\b[Cc]hapters? ((?:``\w+``(?:-|, | and |, and )?)+)")


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [entry["file"] for part in toc["parts"] for entry in part["chapters"]]


def test_every_chapter_of_the_book_has_one_key() -> None:
    notebooks = sorted(path.stem for path in (ROOT / "book").glob("*.ipynb"))
    assert sorted(CHAPTERS.values()) == notebooks
    in_toc = toc_files()
    for key in CHAPTERS:
        assert (ROOT / chapter_path(key)).exists()
        assert str(chapter_path(key).with_suffix("")) in in_toc


def test_numbers_follow_the_table_of_contents() -> None:
    chapters = [f for f in toc_files() if f.split("/")[-1][:2].isdigit()]
    by_stem = {stem: key for key, stem in CHAPTERS.items()}
    numbers = [chapter_number(by_stem[f.split("/")[-1]]) for f in chapters]
    assert numbers == list(range(len(chapters)))


def test_no_library_file_names_a_chapter_by_number() -> None:
    numbered = re.compile(r"\b[Cc]hapters? \d")
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in LIBRARY
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if numbered.search(line)
    ]
    assert found == []


def test_every_chapter_reference_names_a_key_of_the_table() -> None:
    keys = set()
    for path in LIBRARY:
        for match in REFERENCE.finditer(path.read_text()):
            keys.update(re.findall(r"``(\w+)``", match.group(1)))
    assert keys, "the library names no chapter at all"
    assert keys <= set(CHAPTERS), sorted(keys - set(CHAPTERS))


def test_an_unknown_key_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="unknown chapter 'seven'; valid names are"):
        chapter_number("seven")
