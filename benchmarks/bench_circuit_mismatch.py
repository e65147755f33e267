"""``python -m ntlib mismatch`` (chapter 8): 20 different rows, reproducible by seed.

Runs ``python -m ntlib mismatch --instances 20 --seed 0 --jobs 2 --json`` twice
and once with ``--seed 1`` (each with a fresh cache directory, so every run
simulates) and prints how many rows differ, whether the same seed repeats
exactly, the spread of rate and rheobase, and the wall time.

    .venv/bin/python benchmarks/bench_circuit_mismatch.py
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def mismatch(seed: int) -> list[dict]:
    command = [sys.executable, "-m", "ntlib", "mismatch", "--instances", "20"]
    command += ["--seed", str(seed), "--jobs", "2", "--json"]
    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        out = subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "NTLIB_CACHE_DIR": cache},
        )
    print(f"$ {' '.join(command[1:])}   ({time.perf_counter() - start:.1f} s wall)")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    first, again, other = mismatch(0), mismatch(0), mismatch(1)
    keys = ("firing_rate_hz", "power_w", "rheobase_a")
    distinct = len({tuple(row[k] for k in keys) for row in first})
    print(f"rows: {len(first)}, distinct (rate, power, rheobase): {distinct}")
    repeats = all(a[k] == b[k] for a, b in zip(first, again, strict=True) for k in keys)
    print(f"same seed repeats exactly: {repeats}")
    print(
        "other seed differs: "
        f"{any(a['rheobase_a'] != b['rheobase_a'] for a, b in zip(first, other, strict=True))}"
    )
    for key, scale, unit in (
        ("firing_rate_hz", 1e-3, "kHz"),
        ("rheobase_a", 1e9, "nA"),
    ):
        values = [row[key] * scale for row in first]
        print(
            f"{key}: mean {statistics.mean(values):.4g} {unit}, "
            f"std {statistics.stdev(values):.3g} {unit}, "
            f"distinct values {len(set(values))}"
        )
    print(
        "median sim_seconds per instance: "
        f"{statistics.median(row['sim_seconds'] for row in first):.2f} s"
    )


if __name__ == "__main__":
    main()
