"""``python -m ntlib mismatch``: a Monte Carlo of device mismatch (chapter 8).

One row per mismatch instance of the neuron with its synapse, each with its
own per-device draw of the SKY130 mismatch models, reproducible for a seed.
Instances run in worker processes.
"""

from __future__ import annotations

import argparse

from ntlib.cli.circuit import add_process_options, finite
from ntlib.cli.common import add_json_flag, capped_jobs, emit


def run(args: argparse.Namespace) -> int:
    from ntlib.circuits.mismatch import mismatch_sweep
    from ntlib.system import require_ngspice

    if args.process != "sky130":
        raise ValueError(
            f"mismatch needs the SKY130 models (--process sky130); got {args.process!r}"
        )
    if args.instances < 1:
        raise ValueError(f"--instances must be at least 1; got {args.instances}")
    jobs = capped_jobs(args.jobs, args.instances)
    require_ngspice()
    rows = mismatch_sweep(
        args.instances,
        finite("--supply-v", args.supply_v),
        seed=args.seed,
        weight_code=args.weight_code,
        duration_s=finite("--duration-s", args.duration_s),
        corner=args.corner,
        temp_c=finite("--temp-c", args.temp_c),
        jobs=jobs,
    )
    emit(rows, args.json)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "mismatch",
        help="Monte Carlo of SKY130 device mismatch: one row per neuron instance",
    )
    parser.add_argument("--instances", type=int, default=20, help="how many instances")
    parser.add_argument("--supply-v", default="1.2", help="synapse supply (V)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the draws")
    parser.add_argument(
        "--weight-code", type=int, default=7, help="signed 3-bit weight, -7..7"
    )
    parser.add_argument(
        "--duration-s", default="0.5e-3", help="simulated time per instance (s)"
    )
    add_process_options(parser)
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="worker processes; capped at the instances and the CPU count",
    )
    add_json_flag(parser)
    parser.set_defaults(func=run)
