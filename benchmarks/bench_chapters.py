"""Wall time and kernel peak memory of every chapter, against the book's budgets.

Runs each notebook with nbclient in a fresh kernel, as the book build does,
and reads the kernel's peak resident memory (VmHWM) from /proc before it
exits.  Budgets: the whole book's execution within 12 minutes on 2 cores, and
each chapter's kernel under 2 GB.  Cells that take longer than ``--slow``
seconds are listed under their chapter, so a reader sees where the time goes.
Point NTLIB_CACHE_DIR at an empty folder to include the pretraining and the
circuit simulations, as on a fresh machine or in CI.

    NTLIB_CACHE_DIR=$(mktemp -d) .venv/bin/python benchmarks/bench_chapters.py
    .venv/bin/python benchmarks/bench_chapters.py 04_lif_neurons   # one chapter
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
BOOK_BUDGET_S = 12 * 60.0
MEMORY_BUDGET_MB = 2048.0


def chapters() -> list[str]:
    return sorted(p.stem for p in (ROOT / "book").glob("[0-9][0-9]_*.ipynb"))


def kernel_peak_mb(client: NotebookClient) -> float:
    pid = client.km.provisioner.process.pid
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_chapter(name: str) -> tuple[float, float, list[tuple[int, float, str]]]:
    """Execute one chapter in a fresh kernel.

    Returns (wall seconds, kernel peak MB, [(cell index, seconds, first line)]).
    """
    nb = nbformat.read(ROOT / "book" / f"{name}.ipynb", as_version=4)
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT / "book")}},
    )
    cells = []
    start = time.perf_counter()
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            cell_start = time.perf_counter()
            client.execute_cell(cell, index)
            if cell.cell_type == "code":
                first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
                cells.append((index, time.perf_counter() - cell_start, first))
        peak_mb = kernel_peak_mb(client)
    return time.perf_counter() - start, peak_mb, cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", help="chapter names (default: all)")
    parser.add_argument("--slow", type=float, default=5.0,
                        help="list cells slower than this many seconds (default 5)")
    args = parser.parse_args()
    names = [c for c in chapters() if not args.chapters or c in args.chapters]
    total = 0.0
    for name in names:
        seconds, peak_mb, cells = run_chapter(name)
        total += seconds
        verdict = "ok" if peak_mb < MEMORY_BUDGET_MB else "OVER 2 GB"
        print(f"{name:<28} {seconds:7.1f} s   kernel peak RSS {peak_mb:7.0f} MB  {verdict}",
              flush=True)
        for index, cell_s, first in cells:
            if cell_s > args.slow:
                print(f"    cell {index:>3} {cell_s:7.1f} s   {first[:60]}", flush=True)
    if len(names) > 1:
        verdict = "ok" if total <= BOOK_BUDGET_S else "OVER BUDGET"
        print(f"{'all chapters':<28} {total:7.1f} s   budget {BOOK_BUDGET_S:.0f} s  {verdict}")


if __name__ == "__main__":
    main()
