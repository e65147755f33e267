"""Firing rate against synapse supply (chapter 8): is it strictly rising?

One SKY130 transient per supply voltage, weight code +7, 100 kHz input, 1 ms.
Checks the supplies 0.9, 1.1, 1.3, 1.5 and 1.8 V and the documented range
0.9-1.8 V at 0.1 V steps, and reports any step where the rate does not rise
(the rate locks to the input rate over an integer, so fine steps share a value).

    .venv/bin/python benchmarks/bench_circuit_rate.py
"""

from __future__ import annotations

import numpy as np

from ntlib.circuits import SYNAPSE_SUPPLY_RANGE_V, sweep_supply

#: A step counts as rising only if the rate grows by more than this fraction
#: (a float difference of a few hertz on a plateau is not a rise).
RISE_MIN = 1e-3


def check(supply_v: np.ndarray) -> None:
    rows = sweep_supply(np.round(supply_v, 3), weight_code=7, processes=2)
    rates = np.array([row["firing_rate_hz"] for row in rows])
    flat = [
        (round(float(supply_v[i]), 3), round(float(supply_v[i + 1]), 3))
        for i in range(len(rates) - 1)
        if rates[i + 1] <= rates[i] * (1 + RISE_MIN)
    ]
    print(
        f"{' '.join(f'{v:.2f}' for v in supply_v)} V "
        f"({len(rates)} points): strictly rising = {not flat}"
    )
    print("   rates (kHz): " + " ".join(f"{r / 1e3:.2f}" for r in rates))
    if flat:
        print(f"   not rising by > {RISE_MIN:.1%} between (V): {flat}")


def main() -> None:
    low, high = SYNAPSE_SUPPLY_RANGE_V
    print(f"documented synapse supply range: {low}-{high} V")
    check(np.array([0.9, 1.1, 1.3, 1.5, 1.8]))
    check(np.arange(low, high + 1e-9, 0.1))


if __name__ == "__main__":
    main()
