"""The SKY130 neuron from the command line (chapters 7-9): rates, power, corners.

Runs ``python -m ntlib circuit --process sky130 --supply-v 0.9,1.1,1.3,1.5,1.8
--json`` at the tt, ss and ff corners (each a fresh process, no cache) and
prints, per supply: the firing rate, the power of each domain, and the median
``sim_seconds``; whether the tt rates rise strictly; whether ss and ff bracket
tt; then the SKY130 energy figures beside the level-1 ones (rate at code +7,
energy per synaptic event at codes +7/+1/-7, energy per spike).

    .venv/bin/python benchmarks/bench_circuit_sky130.py
"""

from __future__ import annotations

import itertools
import json
import statistics
import subprocess
import sys
import time

SUPPLIES = "0.9,1.1,1.3,1.5,1.8"


def circuit(*extra: str) -> list[dict]:
    command = [sys.executable, "-m", "ntlib", "circuit", "--supply-v", SUPPLIES]
    command += [*extra, "--jobs", "2", "--json"]
    start = time.perf_counter()
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    print(f"$ {' '.join(command[1:])}   ({time.perf_counter() - start:.1f} s wall)")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    by_corner = {}
    for corner in ("tt", "ss", "ff"):
        rows = circuit("--process", "sky130", "--corner", corner)
        by_corner[corner] = rows
        print(f"corner {corner}:")
        for row in rows:
            domains = " ".join(
                f"{d}={p * 1e9:.1f}nW" for d, p in row["power_w_by_domain"].items()
            )
            print(
                f"  {row['supply_v']:.2f} V  rate {row['firing_rate_hz'] / 1e3:7.2f} kHz"
                f"  total {row['power_w'] * 1e9:7.1f} nW  ({domains})"
                f"  sim {row['sim_seconds']:.2f} s"
            )
        median = statistics.median(row["sim_seconds"] for row in rows)
        print(f"  median sim_seconds: {median:.2f} s")
    tt = [row["firing_rate_hz"] for row in by_corner["tt"]]
    rising = all(b > a for a, b in itertools.pairwise(tt))
    print(f"tt rates strictly rising over {SUPPLIES} V: {rising}")
    # Rates lock to the input rate over an integer: on a shared step the
    # corners differ by float noise, so "<=" allows 0.1 %.
    tol = 1e-3
    for i, volts in enumerate(SUPPLIES.split(",")):
        ss = by_corner["ss"][i]["firing_rate_hz"]
        ff = by_corner["ff"][i]["firing_rate_hz"]
        brackets = ss <= tt[i] * (1 + tol) and tt[i] <= ff * (1 + tol)
        print(
            f"  {volts} V: ss {ss / 1e3:.2f} <= tt {tt[i] / 1e3:.2f} <= ff "
            f"{ff / 1e3:.2f} kHz (within 0.1 %): {brackets}"
        )

    from ntlib.circuits import energy_figures
    from ntlib.circuits.measure import simulate_summary
    from ntlib.circuits.neuron import NeuronParams
    from ntlib.circuits.process import NOMINAL_SUPPLIES_V as NOMINAL_SUPPLY_V

    print("\nSKY130 beside level 1 (code +7, 100 kHz input, nominal supply):")
    for process in ("level1", "sky130"):
        figures = energy_figures(process, processes=2)
        rate = simulate_summary(
            NeuronParams(process=process, supply_v=NOMINAL_SUPPLY_V[process])
        )["firing_rate_hz"]
        print(
            f"  {process:>6} at {figures.supply_v:.2f} V: rate {rate / 1e3:.2f} kHz, "
            f"event +7 {figures.synaptic_event_j[7] * 1e12:.3f} pJ, "
            f"+1 {figures.synaptic_event_j[1] * 1e12:.3f} pJ, "
            f"-7 {figures.synaptic_event_j[-7] * 1e12:.3f} pJ, "
            f"spike {figures.spike_j * 1e12:.2f} pJ, "
            f"rheobase {figures.rheobase_a * 1e9:.2f} nA, "
            f"bias at 1 rheobase {figures.bias_power_at(1.0) * 1e9:.1f} nW"
        )


if __name__ == "__main__":
    main()
