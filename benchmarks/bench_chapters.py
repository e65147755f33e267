"""Wall time and the kernel's peak memory of executing chapters 1-3.

Runs each notebook with nbclient in a fresh process and reads the peak
resident memory of its kernel (that process's only child) from
getrusage(RUSAGE_CHILDREN) after the kernel has exited.  Set NTLIB_CACHE_DIR to an empty folder to include the
pretraining (a cold cache, as on a fresh machine or in CI).

    NTLIB_CACHE_DIR=$(mktemp -d) python benchmarks/bench_chapters.py
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ("01_frozen_cnn", "02_neuromodulatory_tuning", "03_orders_of_magnitude")


def run_one(name: str) -> None:
    """Execute one chapter; print its wall time and its kernel's peak RSS."""
    nb = nbformat.read(ROOT / "book" / f"{name}.ipynb", as_version=4)
    start = time.perf_counter()
    NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT / "book")}},
    ).execute()
    seconds = time.perf_counter() - start
    # the kernel is this process's only child and has exited by now
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"{name} {seconds:.2f} {peak_mb:.1f}")


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        run_one(sys.argv[2])
        return
    names = sys.argv[1:] or list(CHAPTERS)
    total = 0.0
    for name in names:
        out = subprocess.run(
            [sys.executable, __file__, "--one", name],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        seconds, peak_mb = float(out[-2]), float(out[-1])
        total += seconds
        print(f"{name:>28}: {seconds:6.1f} s, kernel peak RSS {peak_mb:7.1f} MB")
    print(f"{'total':>28}: {total:6.1f} s")


if __name__ == "__main__":
    main()
