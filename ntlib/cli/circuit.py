"""``python -m ntlib circuit``: the analog neuron at several synapse supply voltages.

One SPICE transient per supply voltage; prints rate, power by domain and
energy per spike for each (chapter 8).
"""

from __future__ import annotations

import argparse

from ntlib.cli.common import add_json_flag, emit


def parse_voltages(text: str) -> list[float]:
    """``"0.8,0.9,1.0"`` -> ``[0.8, 0.9, 1.0]``, with a clear error for bad input."""
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError as error:
        raise ValueError(
            f"--supply-v takes comma-separated volts such as 0.8,0.9,1.0; got {text!r}"
        ) from error
    if not values:
        raise ValueError(f"--supply-v needs at least one voltage; got {text!r}")
    return values


def run(args: argparse.Namespace) -> int:
    from ntlib.circuits.measure import sweep_supply
    from ntlib.system import require_ngspice

    voltages = parse_voltages(args.supply_v)
    if args.timeout_s <= 0:
        raise ValueError(f"--timeout-s must be positive; got {args.timeout_s}")
    if args.jobs < 1:
        raise ValueError(f"--jobs must be at least 1; got {args.jobs}")
    require_ngspice()
    rows = sweep_supply(
        voltages,
        weight_code=args.weight_code,
        input_rate_hz=args.input_rate_hz,
        bias_supply_v=args.bias_supply_v,
        duration_s=args.duration_s,
        processes=args.jobs,
        timeout_s=args.timeout_s,
    )
    emit(rows, args.json)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "circuit",
        help="simulate the analog neuron in SPICE at several synapse supply voltages",
    )
    parser.add_argument(
        "--supply-v", required=True, help="synapse supply voltages, e.g. 0.8,0.9,1.0"
    )
    parser.add_argument(
        "--weight-code", type=int, default=7, help="signed 3-bit weight, -7..7"
    )
    parser.add_argument(
        "--input-rate-hz", type=float, default=100e3, help="input spike rate (Hz)"
    )
    parser.add_argument(
        "--bias-supply-v", type=float, default=0.0, help="NT bias supply (V); 0 = off"
    )
    parser.add_argument(
        "--duration-s", type=float, default=1e-3, help="simulated time per run (s)"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="worker processes (ngspice: one per process)",
    )
    parser.add_argument(
        "--timeout-s",
        type=float,
        default=30.0,
        help="wall-clock limit of each simulation (s); past it: an error, not a hang",
    )
    add_json_flag(parser)
    parser.set_defaults(func=run)
