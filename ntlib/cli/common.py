"""Helpers shared by the subcommands: JSON output and resource figures."""

from __future__ import annotations

import argparse
import json
import resource
import sys
from typing import Any


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux: ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def emit(result: Any, as_json: bool) -> None:
    """Print a result: as one JSON line (the last line of stdout) or as text."""
    if as_json:
        print(json.dumps(result, sort_keys=True))
        return
    rows = result if isinstance(result, list) else [result]
    for row in rows:
        for key, value in row.items():
            print(f"{key:>28}: {value}")
        if len(rows) > 1:
            print()
    sys.stdout.flush()


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the result as one JSON object on the last line of stdout",
    )


def add_threads_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="CPU threads for torch (default 1: small networks gain nothing from "
        "more, and lose much when the cores are shared)",
    )


def use_threads(threads: int) -> None:
    """Run torch on ``threads`` CPU threads (one is fastest for the book's nets)."""
    if threads < 1:
        raise ValueError(f"--threads must be at least 1, got {threads}")
    import torch

    torch.set_num_threads(threads)
