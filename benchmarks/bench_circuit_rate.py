"""Firing rate against synapse supply (chapter 8): is it strictly rising?

One transient per supply voltage, weight code +7, 100 kHz input, 1 ms.
Checks the documented range 0.7-1.3 V at 0.1 V and 0.05 V steps, the
0.8-1.2 V span at 0.02 V steps, and reports any step where the rate does not
rise.

    .venv/bin/python benchmarks/bench_circuit_rate.py
"""

from __future__ import annotations

import numpy as np

from ntlib.circuits import SYNAPSE_SUPPLY_RANGE_V, sweep_supply

#: A step counts as rising only if the rate grows by more than this fraction
#: (a float difference of a few hertz on a plateau is not a rise).
RISE_MIN = 1e-3


def check(supply_v: np.ndarray) -> None:
    rows = sweep_supply(np.round(supply_v, 3), weight_code=7)
    rates = np.array([row["firing_rate_hz"] for row in rows])
    flat = [
        (round(float(supply_v[i]), 3), round(float(supply_v[i + 1]), 3))
        for i in range(len(rates) - 1)
        if rates[i + 1] <= rates[i] * (1 + RISE_MIN)
    ]
    step = supply_v[1] - supply_v[0]
    print(
        f"{supply_v[0]:.2f}-{supply_v[-1]:.2f} V in {step:.2f} V steps "
        f"({len(rates)} points): strictly rising = {not flat}"
    )
    print("   rates (kHz): " + " ".join(f"{r / 1e3:.2f}" for r in rates))
    if flat:
        print(f"   not rising by > {RISE_MIN:.1%} between (V): {flat}")


def main() -> None:
    low, high = SYNAPSE_SUPPLY_RANGE_V
    print(f"documented synapse supply range: {low}-{high} V")
    check(np.arange(low, high + 1e-9, 0.1))
    check(np.arange(low, high + 1e-9, 0.05))
    check(np.arange(0.8, 1.2 + 1e-9, 0.02))


if __name__ == "__main__":
    main()
