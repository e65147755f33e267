"""Wall time and kernel peak memory of chapters 4-6 (budget: 4 min, 2 GB each).

Runs each notebook with nbclient in a fresh kernel, as the book build does,
and reads the kernel's peak resident memory from /proc before it exits.

    .venv/bin/python benchmarks/bench_snn_chapters.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ["04_lif_neurons", "05_ann_to_snn", "06_nt_in_snn"]


def kernel_peak_mb(client: NotebookClient) -> float:
    pid = client.km.provisioner.process.pid
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    names = sys.argv[1:] or CHAPTERS
    total = 0.0
    for name in names:
        nb = nbformat.read(ROOT / "book" / f"{name}.ipynb", as_version=4)
        client = NotebookClient(
            nb,
            timeout=600,
            kernel_name="python3",
            resources={"metadata": {"path": str(ROOT / "book")}},
        )
        start = time.perf_counter()
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
            peak = kernel_peak_mb(client)
        seconds = time.perf_counter() - start
        total += seconds
        print(
            f"{name:<18} {seconds:7.1f} s   kernel peak RSS {peak:7.0f} MB", flush=True
        )
    print(f"{'total':<18} {total:7.1f} s   (budget 240 s)")


if __name__ == "__main__":
    main()
