"""``python -m ntlib mismatch``: a Monte Carlo of device mismatch.

See chapter ``supply_voltage``.

One row per mismatch instance of the neuron with its synapse, each with its
own per-device draw of the SKY130 mismatch models, reproducible for a seed.
Instances run in worker processes.
"""

from __future__ import annotations

import argparse

from ntlib.cli.circuit import add_process_options
from ntlib.cli.common import capped_jobs, check_temperature_option, emit
from ntlib.cli.options import (
    add_draws_option,
    add_jobs_option,
    add_json_flag,
    add_seed_option,
    finite_float,
)


def run(args: argparse.Namespace) -> int:
    from ntlib.circuits.mismatch import mismatch_sweep
    from ntlib.circuits.process import get_process
    from ntlib.machine import require_ngspice

    if not get_process(args.process).mismatch:
        raise ValueError(
            "mismatch needs a process with mismatch models (--process sky130); "
            f"got {args.process!r}"
        )
    check_temperature_option(args.temp_c, args.process)
    jobs = capped_jobs(args.jobs, args.instances)
    require_ngspice()
    rows = mismatch_sweep(
        args.instances,
        args.supply_v,
        seed=args.seed,
        weight_code=args.weight_code,
        duration_s=args.duration_s,
        corner=args.corner,
        temp_c=args.temp_c,
        jobs=jobs,
    )
    emit(rows, args.json)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "mismatch",
        help="Monte Carlo of SKY130 device mismatch: one row per neuron instance",
    )
    add_draws_option(parser, "--instances", 1, 20, "how many instances")
    parser.add_argument("--supply-v", type=finite_float, default=1.2,
                        help="synapse supply (V)")  # fmt: skip
    add_seed_option(parser, "the draws (ngspice keeps 32 bits)")
    parser.add_argument(
        "--weight-code", type=int, default=7, help="signed 3-bit weight, -7..7"
    )
    parser.add_argument("--duration-s", type=finite_float, default=0.5e-3,
                        help="simulated time per instance (s)")  # fmt: skip
    add_process_options(parser)
    add_jobs_option(parser, "the instances")
    parser.add_argument(
        "--cache-dir", default=None, help="cache folder (models and circuit results)"
    )
    add_json_flag(parser)
    parser.set_defaults(func=run)
