"""Wall time and kernel peak memory of every chapter, against the book's budgets.

Runs each notebook with nbclient in a fresh kernel, as the book build does,
and reads the kernel's peak resident memory (VmHWM) from /proc before it
exits.  Budgets on 2 cores: chapters 0-9 within 12 minutes, chapters 10 and 11
(the chip) within 6 more, and each chapter's kernel under 2 GB.  Cells slower
than ``--slow`` seconds are listed under their chapter, to show where the time
goes.
Point NTLIB_CACHE_DIR at an empty folder to include the pretraining and the
circuit simulations, as on a fresh machine or in CI.

    NTLIB_CACHE_DIR=$(mktemp -d) .venv/bin/python benchmarks/bench_chapters.py
    .venv/bin/python benchmarks/bench_chapters.py 04_lif_neurons   # one chapter
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
#: (first chapter, last chapter, budget in seconds)
BUDGETS: tuple[tuple[int, int, float], ...] = ((0, 9, 12 * 60.0), (10, 11, 6 * 60.0))
MEMORY_BUDGET_MB = 2048.0


def chapters() -> list[str]:
    return sorted(p.stem for p in (ROOT / "book").glob("[0-9][0-9]_*.ipynb"))


#: Appended to each chapter: the kernel's peak resident memory, in kB.
PEAK_CELL = (
    "import re\n"
    "print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))"
)


def _seconds(cell) -> float:
    timing = cell.metadata.get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    return (
        datetime.fromisoformat(end.replace("Z", "+00:00"))
        - datetime.fromisoformat(start.replace("Z", "+00:00"))
    ).total_seconds()


def run_chapter(name: str) -> tuple[float, float, list[tuple[int, float, str]]]:
    """Execute one chapter in a fresh kernel, as the book build does.

    Returns (wall seconds, kernel peak MB, [(cell index, seconds, first line)]).
    """
    nb = nbformat.read(ROOT / "book" / f"{name}.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PEAK_CELL))
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT / "book")}},
    )
    start = time.perf_counter()
    client.execute()
    wall = time.perf_counter() - start
    peak_mb = int(nb.cells[-1].outputs[0]["text"]) / 1024
    cells = [
        (index, _seconds(cell), (cell.source.strip().splitlines() or [""])[0])
        for index, cell in enumerate(nb.cells[:-1])
        if cell.cell_type == "code"
    ]
    return wall, peak_mb, cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", help="chapter names (default: all)")
    parser.add_argument(
        "--slow",
        type=float,
        default=5.0,
        help="list cells slower than this many seconds (default 5)",
    )
    args = parser.parse_args()
    names = [c for c in chapters() if not args.chapters or c in args.chapters]
    total, times = 0.0, {}
    for name in names:
        seconds, peak_mb, cells = run_chapter(name)
        total += seconds
        times[name] = seconds
        verdict = "ok" if peak_mb < MEMORY_BUDGET_MB else "OVER 2 GB"
        print(
            f"{name:<28} {seconds:7.1f} s   kernel peak RSS {peak_mb:7.0f} MB  {verdict}",
            flush=True,
        )
        for index, cell_s, first in cells:
            if cell_s > args.slow:
                print(f"    cell {index:>3} {cell_s:7.1f} s   {first[:60]}", flush=True)
    for first, last, budget_s in BUDGETS:
        part = [name for name in names if first <= int(name[:2]) <= last]
        if len(part) == last - first + 1:
            spent = sum(times[name] for name in part)
            verdict = "ok" if spent <= budget_s else "OVER BUDGET"
            print(
                f"{f'chapters {first}-{last}':<28} {spent:7.1f} s   budget "
                f"{budget_s:.0f} s  {verdict}"
            )
    print(f"{'together':<28} {total:7.1f} s")


if __name__ == "__main__":
    main()
