"""Wall time of one explorer update (chapter 8): median over 20 runs.

Prints the median and spread of (a) the SPICE transient plus its measurements
(what a slider change must wait for before drawing) and (b) the whole update,
including drawing the figure with matplotlib's Agg backend.

    .venv/bin/python benchmarks/bench_circuit_widget.py
"""

from __future__ import annotations

import statistics
import time

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

import ntlib.plotting
from ntlib.circuits import NeuronParams, simulate_neuron, summarize
from ntlib.widgets import plot_neuron

RUNS = 20
TARGET_S = 0.3


def main() -> None:
    ntlib.plotting.use_style()
    simulate_neuron()  # start ngspice once, as the chapter's first figure does
    settings = [
        {"supply_v": 0.7 + 0.6 * (i % 7) / 6, "weight_code": 7 - (i % 15)}
        for i in range(RUNS)
    ]
    transient_s, update_s = [], []
    for kwargs in settings:
        start = time.perf_counter()
        summarize(simulate_neuron(NeuronParams(**kwargs)))
        transient_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        fig = plot_neuron(**kwargs)
        fig.canvas.draw()
        plt.close(fig)
        update_s.append(time.perf_counter() - start)
    for name, values in (
        ("transient + measurements", transient_s),
        ("full update", update_s),
    ):
        median = statistics.median(values)
        print(
            f"{name:>26}: median {median:.3f} s  min {min(values):.3f}  "
            f"max {max(values):.3f}  over {RUNS} runs  "
            f"(target <= {TARGET_S} s: {'met' if median <= TARGET_S else 'NOT met'})"
        )


if __name__ == "__main__":
    main()
