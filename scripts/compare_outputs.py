"""Compare the chapters' committed outputs with a fresh execution's.

`make book` executes every chapter afresh and keeps the executed copies in
``_build/jupyter_execute/book``.  This script puts each code cell's text
outputs (streams, ``text/plain``, ``text/html``, ``text/markdown`` and glued
values) beside the committed ones and prints the cells that differ, so a
change that should move no number can be shown to move none:

    .venv/bin/python scripts/compare_outputs.py                # every chapter
    .venv/bin/python scripts/compare_outputs.py 07_analog_neuron 10_chip

Cells tagged ``nbval-ignore-output`` (timings, progress bars, widgets) are
left out, as nbval leaves them out.  Exit status 1 when any cell differs.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
TEXT_TYPES = ("text/plain", "text/html", "text/markdown", "text/latex")
#: Memory addresses, widget ids and pandas' table ids change from run to run
#: without meaning.
VOLATILE = re.compile(r"0x[0-9a-f]{6,}|model_id\": \"[0-9a-f]+\"|\bT_[0-9a-f]{5}(?![0-9a-f])")


def cell_text(cell: nbformat.NotebookNode) -> str:
    """The text a reader sees from one code cell's outputs, normalised."""
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append(output.get("text", ""))
        for kind in TEXT_TYPES:
            value = output.get("data", {}).get(kind)
            if value is not None:
                parts.append(value if isinstance(value, str) else "".join(value))
    return VOLATILE.sub("<volatile>", "\n".join(parts))


def code_cells(path: Path) -> list[nbformat.NotebookNode]:
    """The code cells of a notebook, in order."""
    notebook = nbformat.read(path, as_version=4)
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def compare(committed: Path, executed: Path) -> list[str]:
    """One unified diff per code cell whose text outputs differ."""
    diffs = []
    old_cells, new_cells = code_cells(committed), code_cells(executed)
    if len(old_cells) != len(new_cells):
        return [f"{committed.name}: {len(old_cells)} code cells committed, "
                f"{len(new_cells)} executed"]
    for index, (old, new) in enumerate(zip(old_cells, new_cells)):
        if "nbval-ignore-output" in old.metadata.get("tags", []):
            continue
        before, after = cell_text(old), cell_text(new)
        if before != after:
            diff = difflib.unified_diff(
                before.splitlines(), after.splitlines(),
                f"{committed.stem} cell {index} (committed)",
                f"{committed.stem} cell {index} (executed)", lineterm="", n=0,
            )
            diffs.append("\n".join(diff))
    return diffs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", help="notebook stems; default all")
    parser.add_argument(
        "--executed", type=Path, default=ROOT / "_build" / "jupyter_execute" / "book",
        help="folder of the executed notebooks (default: make book's)",
    )
    parser.add_argument(
        "--committed", type=Path, default=ROOT / "book",
        help="folder of the notebooks to compare against (default: book/); "
        "another build's jupyter_execute/book compares two builds",
    )
    args = parser.parse_args(argv)
    stems = args.chapters or sorted(p.stem for p in (ROOT / "book").glob("*.ipynb"))
    changed = 0
    for stem in stems:
        executed = args.executed / f"{stem}.ipynb"
        if not executed.exists():
            print(f"{stem}: not executed (missing {executed})")
            changed += 1
            continue
        diffs = compare(args.committed / f"{stem}.ipynb", executed)
        print(f"{stem}: {len(diffs)} cell(s) differ")
        for diff in diffs:
            print(diff)
        changed += len(diffs)
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
