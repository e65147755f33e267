"""Wall time and kernel peak memory of every chapter, against the book's budgets.

Runs each notebook with nbclient in a fresh kernel, as the book build does,
and reads the kernel's peak resident memory (VmHWM) from /proc before it
exits.  Budgets: chapters 1-3 together 3 min, 4-6 4 min, 7-9 5 min (SKY130), and each
chapter under 2 GB.  Point NTLIB_CACHE_DIR at an empty folder to include the
pretraining, as on a fresh machine or in CI.

    NTLIB_CACHE_DIR=$(mktemp -d) .venv/bin/python benchmarks/bench_chapters.py
    .venv/bin/python benchmarks/bench_chapters.py 04_lif_neurons   # one chapter
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
#: (chapters, budget in seconds for the group)
PARTS: tuple[tuple[tuple[str, ...], float], ...] = (
    (("00_toolbox",), float("inf")),
    (("01_frozen_cnn", "02_neuromodulatory_tuning", "03_orders_of_magnitude"), 180.0),
    (("04_lif_neurons", "05_ann_to_snn", "06_nt_in_snn"), 240.0),
    (("07_analog_neuron", "08_supply_voltage", "09_energy"), 300.0),
    (("10_chip", "11_calibration"), 360.0),
)
MEMORY_BUDGET_MB = 2048.0


def kernel_peak_mb(client: NotebookClient) -> float:
    pid = client.km.provisioner.process.pid
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_chapter(name: str) -> tuple[float, float]:
    """Execute one chapter in a fresh kernel: (wall seconds, kernel peak MB)."""
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
        peak_mb = kernel_peak_mb(client)
    return time.perf_counter() - start, peak_mb


def main() -> None:
    wanted = set(sys.argv[1:])
    for chapters, budget_s in PARTS:
        chapters = tuple(c for c in chapters if not wanted or c in wanted)
        if not chapters:
            continue
        total = 0.0
        for name in chapters:
            seconds, peak_mb = run_chapter(name)
            total += seconds
            verdict = "ok" if peak_mb < MEMORY_BUDGET_MB else "OVER 2 GB"
            print(
                f"{name:<28} {seconds:7.1f} s   kernel peak RSS {peak_mb:7.0f} MB"
                f"  {verdict}",
                flush=True,
            )
        if len(chapters) > 1:
            verdict = "ok" if total <= budget_s else "OVER BUDGET"
            print(
                f"{'  together':<28} {total:7.1f} s   budget {budget_s:.0f} s  {verdict}"
            )


if __name__ == "__main__":
    main()
