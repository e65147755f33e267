"""Firing rate against synapse supply (chapter 8): is it strictly rising?

SKY130 transients, weight code +7, 100 kHz input, 1 ms, over the documented
range 0.9-1.8 V at 0.1 V steps.  Under Poisson input (the default) the rate is
the mean over three input seeds (the same seeds at every supply), with the
standard error of that mean; under periodic input one train, whose rate locks
to the input rate over an integer, so neighbouring supplies share a value.
Reports any step where the rate does not rise.

    .venv/bin/python benchmarks/bench_circuit_rate.py
"""

from __future__ import annotations

import time

import numpy as np

from ntlib.circuits import SYNAPSE_SUPPLY_RANGE_V, sweep_supply

#: A step counts as rising only if the rate grows by more than this fraction
#: (a float difference of a few hertz on a plateau is not a rise).
RISE_MIN = 1e-3
SEEDS = (0, 1, 2)


def report(name: str, supply_v: np.ndarray, rates: np.ndarray, sem=None) -> None:
    flat = [
        (round(float(supply_v[i]), 3), round(float(supply_v[i + 1]), 3))
        for i in range(len(rates) - 1)
        if rates[i + 1] <= rates[i] * (1 + RISE_MIN)
    ]
    print(f"{name}: {len(rates)} points, strictly rising = {not flat}")
    print("   rates (kHz): " + " ".join(f"{r / 1e3:.2f}" for r in rates))
    if sem is not None:
        print("   +- (kHz):    " + " ".join(f"{s / 1e3:.2f}" for s in sem))
    if flat:
        print(f"   not rising by > {RISE_MIN:.1%} between (V): {flat}")


def main() -> None:
    low, high = SYNAPSE_SUPPLY_RANGE_V
    supply_v = np.round(np.arange(low, high + 1e-9, 0.1), 3)
    print(f"documented synapse supply range: {low}-{high} V")
    start = time.perf_counter()
    by_seed = np.array([
        [row["firing_rate_hz"] for row in sweep_supply(
            supply_v, weight_code=7, processes=2, use_cache=True, input_seed=seed)]
        for seed in SEEDS
    ])
    mean = by_seed.mean(axis=0)
    sem = by_seed.std(axis=0, ddof=1) / np.sqrt(len(SEEDS))
    report(f"Poisson, mean of seeds {SEEDS}", supply_v, mean, sem)
    for seed, rates in zip(SEEDS, by_seed, strict=True):
        report(f"Poisson, seed {seed} alone", supply_v, rates)
    periodic = np.array([row["firing_rate_hz"] for row in sweep_supply(
        supply_v, weight_code=7, processes=2, use_cache=True, input_mode="periodic")])
    report("periodic", supply_v, periodic)
    print(f"wall time {time.perf_counter() - start:.0f} s (disk cache used)")


if __name__ == "__main__":
    main()
