"""Move nbval's comment markers into cell tags, so the rendered code shows none.

A line such as ``# NBVAL_CHECK_OUTPUT`` in a code cell becomes the cell tag
``nbval-check-output`` (nbval reads both forms); outputs are left untouched.

    .venv/bin/python scripts/nbval_tags.py book/07_analog_neuron.ipynb ...
    .venv/bin/python scripts/nbval_tags.py --check book/*.ipynb   # exit 1 if any remain
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

MARKERS = ("NBVAL_CHECK_OUTPUT", "NBVAL_IGNORE_OUTPUT", "NBVAL_SKIP",
           "NBVAL_RAISES_EXCEPTION")
LINE = re.compile(r"^\s*#\s*(" + "|".join(MARKERS) + r")\s*$")


def tag_for(marker: str) -> str:
    """``NBVAL_CHECK_OUTPUT`` -> ``nbval-check-output`` (the tag nbval reads)."""
    return marker.lower().replace("_", "-")


def convert_source(source: str) -> tuple[str, list[str]]:
    """The cell source without marker lines, and the tags those lines stood for."""
    kept, tags = [], []
    for line in source.splitlines(keepends=True):
        match = LINE.match(line)
        if match:
            tags.append(tag_for(match.group(1)))
        else:
            kept.append(line)
    return "".join(kept), tags


def convert(path: Path, check_only: bool = False) -> int:
    """Convert one notebook in place; return how many marker lines it had."""
    notebook = nbformat.read(path, as_version=4)
    found = 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        source, tags = convert_source(cell.source)
        if not tags:
            continue
        found += len(tags)
        cell.source = source
        existing = cell.metadata.setdefault("tags", [])
        existing.extend(tag for tag in tags if tag not in existing)
    if found and not check_only:
        nbformat.write(notebook, path)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a marker comment remains")
    args = parser.parse_args(argv)
    remaining = 0
    for path in args.notebooks:
        if not path.is_file():
            parser.error(f"no such notebook: {path}")
        count = convert(path, check_only=args.check)
        if count:
            verb = "has" if args.check else "converted"
            print(f"{path}: {verb} {count} nbval comment marker(s)")
        remaining += count
    return 1 if args.check and remaining else 0


if __name__ == "__main__":
    sys.exit(main())
