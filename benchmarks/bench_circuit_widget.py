"""Wall time of one live-explorer update (chapter 8): median over 20 moves.

The live explorer reads a slider position from the disk cache when the
chapter's grid holds it (every synapse supply 0.9-1.8 V in 0.1 V steps at the
defaults, Poisson input seed 0; the grid also runs seeds 1 and 2 for the rate's
error bar) and runs one SKY130 transient otherwise.  Prints the median update
time (figure drawn with matplotlib's Agg backend) for (a) 20 moves on the grid,
after the grid is computed once, and (b) 5 moves off it (a weight code or a bias
supply the grid does not hold), against the 0.5 s target.

    .venv/bin/python benchmarks/bench_circuit_widget.py
"""

from __future__ import annotations

import statistics
import tempfile
import time

import matplotlib

matplotlib.use("Agg")

import os

import matplotlib.pyplot as plt
import numpy as np

import ntlib.plotting

TARGET_S = 0.5


def timed(kwargs_list: list[dict]) -> list[float]:
    from ntlib.widgets import plot_neuron

    times = []
    for kwargs in kwargs_list:
        start = time.perf_counter()
        fig = plot_neuron(**kwargs)
        fig.canvas.draw()
        plt.close(fig)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    os.environ["NTLIB_CACHE_DIR"] = tempfile.mkdtemp()
    from ntlib.widgets import explorer_grid

    ntlib.plotting.use_style()
    supplies = np.round(np.arange(0.9, 1.8 + 1e-9, 0.1), 2)
    start = time.perf_counter()
    grid = explorer_grid(supplies, processes=2)
    runs = supplies.size * len(grid["input_seeds"])
    print(
        f"grid of {supplies.size} supplies x {len(grid['input_seeds'])} Poisson input "
        f"seeds = {runs} SKY130 transients: {time.perf_counter() - start:.1f} s"
    )
    on_grid = timed(
        [{"supply_v": float(supplies[i % supplies.size])} for i in range(20)]
    )
    off_grid = timed(
        [{"supply_v": 1.2, "weight_code": code} for code in (5, 3, -4)]
        + [{"supply_v": 1.2, "bias_supply_v": v} for v in (0.95, 1.05)]
    )
    for name, values in (("on the grid", on_grid), ("off the grid", off_grid)):
        median = statistics.median(values)
        print(
            f"{name:>13}: median {median:.3f} s  min {min(values):.3f}  "
            f"max {max(values):.3f}  over {len(values)} moves  "
            f"(target <= {TARGET_S} s: {'met' if median <= TARGET_S else 'NOT met'})"
        )


if __name__ == "__main__":
    main()
