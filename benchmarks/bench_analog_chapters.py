"""Wall time and peak kernel memory of chapters 7-9, each run from scratch.

Each chapter runs in a fresh child process that executes the notebook with
nbclient; the child reports its wall time and the peak resident memory of
its own children (the kernel), from ``getrusage(RUSAGE_CHILDREN)``.
Targets: <= 3 minutes for the three together, < 2 GB each.

    .venv/bin/python benchmarks/bench_analog_chapters.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ("07_analog_neuron", "08_supply_voltage", "09_energy")

CHILD = """
import json, resource, sys, time
import nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
start = time.perf_counter()
NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": sys.argv[2]}}).execute()
wall = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"wall_s": wall, "kernel_peak_mb": peak}))
"""


def main() -> None:
    total = 0.0
    worst_mb = 0.0
    for name in CHAPTERS:
        path = ROOT / "book" / f"{name}.ipynb"
        start = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(path), str(ROOT / "book")],
            capture_output=True,
            text=True,
            check=True,
        )
        outer = time.perf_counter() - start
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        total += outer
        worst_mb = max(worst_mb, figures["kernel_peak_mb"])
        print(
            f"{name}: executed in {figures['wall_s']:.1f} s "
            f"({outer:.1f} s with kernel start), kernel peak {figures['kernel_peak_mb']:.0f} MB"
        )
    print(
        f"chapters 7-9 together: {total:.1f} s (target <= 180 s: "
        f"{'met' if total <= 180 else 'NOT met'}); worst kernel peak {worst_mb:.0f} MB "
        f"(target < 2048 MB: {'met' if worst_mb < 2048 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
