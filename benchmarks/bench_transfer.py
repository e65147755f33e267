"""NT against TFT on the embedded digits, through the ``transfer`` command.

Runs ``python -m ntlib transfer --json`` for each configuration and seed and
prints the mean +- std of the target test accuracy, the gap to TFT in points
and the ratio of TFT's trainable parameters to the configuration's.

    python benchmarks/bench_transfer.py
    python benchmarks/bench_transfer.py --tasks noise --seeds 0,1,2
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

CONFIGS = (
    ("tft", "channel"),
    ("nt", "channel"),
    ("nt", "unit"),
    ("nt-head", "channel"),
    ("linear", "channel"),
)


def transfer(
    task: str, method: str, granularity: str, seed: int, extra: list[str]
) -> dict:
    out = (
        subprocess.run(
            [
                sys.executable,
                "-m",
                "ntlib",
                "transfer",
                "--task",
                task,
                "--method",
                method,
                "--granularity",
                granularity,
                "--seed",
                str(seed),
                "--json",
                *extra,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    return json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default="noise,rotate,class-split,invert")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--extra", default="", help="more transfer flags, quoted")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    extra = args.extra.split()
    start = time.perf_counter()
    print(
        f"{'task':>12} {'config':>16} {'acc mean':>8} {'std':>6} {'gap pts':>7} "
        f"{'trainable':>9} {'TFT/this':>8} {'s/run':>6}"
    )
    for task in args.tasks.split(","):
        rows = {}
        for method, granularity in CONFIGS:
            runs = [transfer(task, method, granularity, s, extra) for s in seeds]
            accs = [r["target_test_acc"] for r in runs]
            rows[(method, granularity)] = (
                statistics.fmean(accs),
                statistics.stdev(accs) if len(accs) > 1 else 0.0,
                runs[0]["trainable_params"],
                statistics.fmean(r["train_seconds"] for r in runs),
            )
        tft_acc, _, tft_params, _ = rows[("tft", "channel")]
        for (method, granularity), (mean, std, params, secs) in rows.items():
            name = f"{method} ({granularity})" if method.startswith("nt") else method
            print(
                f"{task:>12} {name:>16} {mean:>8.4f} {std:>6.4f} "
                f"{100 * (tft_acc - mean):>7.2f} {params:>9} "
                f"{tft_params / params:>8.1f} {secs:>6.2f}"
            )
    print(f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
