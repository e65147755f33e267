"""Helpers shared by the subcommands: run-time checks, JSON output, resources.

The argparse types and the shared options are in :mod:`ntlib.cli.options`;
the checks here are small functions a subcommand calls before any work, so
that every bad value is a one-line error with exit code 2 (see
:func:`ntlib.cli.main`):

- :func:`capped_jobs`: worker processes, capped at the tasks and the CPUs;
- :func:`check_device_option`, :func:`check_timesteps_option`: torch devices
  and time steps (seeds are checked by :func:`ntlib.cli.options.add_seed_option`);
- :func:`strict_json`: the JSON every ``--json`` prints (never ``NaN``).
"""

from __future__ import annotations

import json
import math
import os
import resource
import sys
from collections.abc import Sequence
from typing import Any

#: The most time steps a spiking command simulates: memory and time grow with
#: T, and accuracy has long stopped changing by then (chapter ``ann_to_snn`` stops at 128).
MAX_TIMESTEPS = 4096


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux: ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _finite(value: Any) -> Any:
    """``value`` with every non-finite float (NaN, +-inf) replaced by ``None``."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def strict_json(result: Any) -> str:
    """``result`` as strict JSON (RFC 8259): sorted keys, one line.

    A float that is not a number (NaN, infinity) has no JSON spelling; it
    is written as ``null`` ("no value") rather than as the ``NaN`` or
    ``Infinity`` that Python's ``json`` writes by default and that strict
    parsers reject.

    Example:
        >>> strict_json({"b": float("nan"), "a": 1.5})
        '{"a": 1.5, "b": null}'
    """
    return json.dumps(_finite(result), sort_keys=True, allow_nan=False)


def emit(result: Any, as_json: bool) -> None:
    """Print a result: as one JSON line (the last line of stdout) or as text."""
    if as_json:
        print(strict_json(result))
        sys.stdout.flush()
        return
    rows = result if isinstance(result, list) else [result]
    for row in rows:
        for key, value in row.items():
            print(f"{key:>28}: {value}")
        if len(rows) > 1:
            print()
    sys.stdout.flush()


def available_cpus() -> int:
    """CPUs this process may run on (its affinity, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def capped_jobs(jobs: int, tasks: int, option: str = "--jobs") -> int:
    """Worker processes to start: ``jobs``, at most one per task and per CPU.

    Raises a ValueError for ``jobs`` below 1.

    Example:
        >>> capped_jobs(20, 2)
        2
    """
    if jobs < 1:
        raise ValueError(f"{option} must be at least 1; got {jobs}")
    return max(1, min(jobs, tasks, available_cpus()))


def check_temperature_option(
    temp_c: float, process: str, option: str = "--temp-c"
) -> float:
    """``temp_c`` if ``process``'s models cover it, else a ValueError.

    The value is shown as typed (``125.0001``, not a rounded ``125``).
    """
    from ntlib.circuits.process import get_process

    low, high = get_process(process).temperature_range_c
    if not low <= temp_c <= high:
        raise ValueError(
            f"{option} must lie in {low:g} to {high:g} C for {process}; got {temp_c!r}"
        )
    return temp_c


def check_device_option(device: str, option: str = "--device") -> str:
    """A torch device this machine has (``cpu``, ``cuda``, ``cuda:N``)."""
    import torch

    try:
        parsed = torch.device(device)
    except (RuntimeError, ValueError, TypeError):
        raise ValueError(
            f"{option} {device!r} is not a device torch knows; use cpu (the "
            "default) or cuda"
        ) from None
    if parsed.type == "cpu":
        return device
    if parsed.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise ValueError(
                f"{option} {device} asked for, but torch sees no CUDA device "
                "here; run with --device cpu (the default)"
            )
        if parsed.index is not None and parsed.index >= count:
            raise ValueError(
                f"{option} {device}: torch sees {count} CUDA device(s), numbered "
                f"0 to {count - 1}"
            )
        return device
    raise ValueError(
        f"{option} {device!r} is not supported here; use cpu (the default) or cuda"
    )


def check_timesteps_option(
    values: Sequence[int], option: str = "--timesteps"
) -> list[int]:
    """Positive time steps of at most :data:`MAX_TIMESTEPS`, else a ValueError."""
    values = list(values)
    if not values or min(values) <= 0:
        raise ValueError(
            f"{option} must be positive integers (for example 8,16,32), got "
            f"{','.join(str(v) for v in values) or 'nothing'}"
        )
    if max(values) > MAX_TIMESTEPS:
        raise ValueError(
            f"{option} {max(values)} is above the limit of {MAX_TIMESTEPS} time "
            f"steps; accuracy stops changing long before (use at most "
            f"{MAX_TIMESTEPS})"
        )
    return values


def use_threads(threads: int) -> None:
    """Run torch on ``threads`` CPU threads (one is fastest for the book's nets)."""
    if threads < 1:
        raise ValueError(f"--threads must be at least 1, got {threads}")
    if threads > 4 * available_cpus():
        raise ValueError(
            f"--threads {threads} is far above this machine's {available_cpus()} "
            "CPUs; use at most the number of CPUs"
        )
    import torch

    torch.set_num_threads(threads)
