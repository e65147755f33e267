"""``python -m ntlib circuit``: the analog neuron at several synapse supply voltages.

One SPICE transient per supply voltage; prints rate, power by domain and
energy per spike for each (chapter ``supply_voltage``), on SKY130 (default) or the
level-1 teaching cards, at a process corner and temperature, driven by a seeded
Poisson input train (default) or a periodic one, at the library's maximum
transient step or ``--max-step``.
"""

from __future__ import annotations

import argparse
import math

from ntlib.cli.common import capped_jobs, check_temperature_option, emit
from ntlib.cli.options import (
    add_circuit_options,
    add_input_options,
    add_jobs_option,
    add_json_flag,
    finite_float,
    positive_float,
)


def parse_voltages(text: str) -> list[float]:
    """``"0.8,0.9,1.0"`` -> ``[0.8, 0.9, 1.0]``, with a clear error for bad input."""
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError as error:
        raise ValueError(
            f"--supply-v takes comma-separated volts such as 0.9,1.2,1.5; got {text!r}"
        ) from error
    if not values:
        raise ValueError(f"--supply-v needs at least one voltage; got {text!r}")
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"--supply-v values must be finite numbers; got {text!r}")
    return values


def add_process_options(parser: argparse.ArgumentParser) -> None:
    """``--process``, ``--corner`` and ``--temp-c`` (shared with ``mismatch``)."""
    from ntlib.circuits.process import DEFAULT_PROCESS, PROCESSES
    from ntlib.circuits.sky130 import CORNERS

    parser.add_argument(
        "--process",
        choices=tuple(PROCESSES),
        default=DEFAULT_PROCESS,
        help="transistor models: SkyWater 130 nm (default) or level-1 teaching cards",
    )
    add_circuit_options(parser, CORNERS)


def run(args: argparse.Namespace) -> int:
    from ntlib.circuits.measure import sweep_supply
    from ntlib.machine import require_ngspice

    voltages = parse_voltages(args.supply_v)
    check_temperature_option(args.temp_c, args.process)
    jobs = capped_jobs(args.jobs, len(voltages))
    require_ngspice()
    rows = sweep_supply(
        voltages,
        weight_code=args.weight_code,
        input_rate_hz=args.input_rate_hz,
        bias_supply_v=args.bias_supply_v,
        bias_sink_supply_v=args.bias_sink_supply_v,
        duration_s=args.duration_s,
        processes=jobs,
        timeout_s=args.timeout_s,
        process=args.process,
        corner=args.corner,
        temp_c=args.temp_c,
        input_mode=args.input,
        input_seed=args.input_seed,
        max_step_s=args.max_step,
    )
    emit(rows, args.json)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "circuit",
        help="simulate the analog neuron in SPICE at several synapse supply voltages",
    )
    parser.add_argument(
        "--supply-v", required=True, help="synapse supply voltages, e.g. 0.9,1.2,1.5"
    )
    add_process_options(parser)
    parser.add_argument(
        "--weight-code", type=int, default=7, help="signed 3-bit weight, -7..7"
    )
    for option, default, help in (
        ("--input-rate-hz", 100e3, "input spike rate (Hz)"),
        ("--bias-supply-v", 0.0, "sourcing NT bias supply (V); 0 = off"),
        ("--bias-sink-supply-v", 0.0, "sinking NT bias supply (V); 0 = off"),
        ("--duration-s", 1e-3, "simulated time per run (s)"),
    ):
        parser.add_argument(option, type=finite_float, default=default, help=help)
    add_input_options(parser)
    add_jobs_option(parser, "the number of voltages (ngspice: one per process)")
    parser.add_argument(
        "--timeout-s",
        type=positive_float,
        default=30.0,
        help="wall-clock limit of each simulation (s); past it: an error, not a hang",
    )
    add_json_flag(parser)
    parser.set_defaults(func=run)
