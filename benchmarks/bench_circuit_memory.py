"""Resident memory over 1,000 transients in one process (chapters 7-9).

PySpice keeps every circuit ngspice was given unless it is removed;
``ntlib.circuits`` removes each after its run.  Prints RSS after a warm-up of
20 transients and after 1,000 more, and the growth (target <= 5 MB).

    .venv/bin/python benchmarks/bench_circuit_memory.py [--runs 1000]
"""

from __future__ import annotations

import argparse
import time

from ntlib.circuits import NeuronParams, simulate_neuron

TARGET_MB = 5.0


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("VmRSS not found in /proc/self/status")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1000)
    args = parser.parse_args()
    params = [NeuronParams(supply_v=0.8 + 0.05 * (i % 9)) for i in range(9)]
    for i in range(20):
        simulate_neuron(params[i % 9])
    before = rss_mb()
    start = time.perf_counter()
    checkpoints = []
    for i in range(args.runs):
        simulate_neuron(params[i % 9])
        if (i + 1) % 250 == 0:
            checkpoints.append((i + 1, rss_mb()))
    elapsed = time.perf_counter() - start
    growth = rss_mb() - before
    print(f"RSS after warm-up: {before:.1f} MB")
    for runs, mb in checkpoints:
        print(f"RSS after {runs:>5} transients: {mb:.1f} MB")
    print(
        f"growth over {args.runs} transients: {growth:+.2f} MB "
        f"(target <= {TARGET_MB} MB: {'met' if growth <= TARGET_MB else 'NOT met'}); "
        f"{elapsed / args.runs * 1e3:.1f} ms per transient"
    )


if __name__ == "__main__":
    main()
