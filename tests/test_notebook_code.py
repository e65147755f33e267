"""The chapters' code reads on a page: ruff-formatted, no line over 79 characters.

A code cell wider than the page's column scrolls sideways; the formatter keeps
every chapter in one style. Reformat with
``.venv/bin/python -m ruff format --isolated --line-length 79 book/*.ipynb``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))
WIDTH = 79


def test_chapters_are_ruff_formatted() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--isolated", "--check",
         "--line-length", str(WIDTH), *map(str, NOTEBOOKS)],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_code_line_is_wider_than_the_page(notebook: Path) -> None:
    cells = json.loads(notebook.read_text())["cells"]
    long = [
        f"cell {index}: {line}"
        for index, cell in enumerate(cells)
        if cell["cell_type"] == "code"
        for line in "".join(cell["source"]).splitlines()
        if len(line) > WIDTH
    ]
    assert long == []


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_prose_line_starts_as_a_myst_comment(notebook: Path) -> None:
    """MyST drops a line that starts with ``%``: "...85\\n% of them" loses it."""
    cells = json.loads(notebook.read_text())["cells"]
    dropped = []
    for index, cell in enumerate(cells):
        if cell["cell_type"] != "markdown":
            continue
        fenced = False
        for line in "".join(cell["source"]).splitlines():
            if line.lstrip().startswith(("```", "~~~")):
                fenced = not fenced
            elif not fenced and line.startswith("%"):
                dropped.append(f"cell {index}: {line}")
    assert not dropped, "\n".join(dropped)
