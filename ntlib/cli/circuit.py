"""``python -m ntlib circuit``: the analog neuron at several synapse supply voltages.

One SPICE transient per supply voltage; prints rate, power by domain and
energy per spike for each (chapter 8), on SKY130 (default) or the level-1
teaching cards, at a process corner and temperature.
"""

from __future__ import annotations

import argparse
import math

from ntlib.cli.common import add_json_flag, capped_jobs, emit


def finite(name: str, text: str) -> float:
    """``text`` as a finite float, or a ValueError naming the option."""
    try:
        value = float(text)
    except ValueError as error:
        raise ValueError(f"{name} takes a number; got {text!r}") from error
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number; got {text!r}")
    return value


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
    from ntlib.circuits.models import PROCESSES
    from ntlib.circuits.sky130 import CORNERS

    parser.add_argument(
        "--process",
        choices=PROCESSES,
        default="sky130",
        help="transistor models: SkyWater 130 nm (default) or level-1 teaching cards",
    )
    parser.add_argument(
        "--corner", choices=CORNERS, default="tt", help="SKY130 process corner"
    )
    parser.add_argument(
        "--temp-c", default="27", help="temperature in degrees Celsius (default 27)"
    )


def run(args: argparse.Namespace) -> int:
    from ntlib.circuits.measure import sweep_supply
    from ntlib.system import require_ngspice

    voltages = parse_voltages(args.supply_v)
    timeout_s = finite("--timeout-s", args.timeout_s)
    if timeout_s <= 0:
        raise ValueError(f"--timeout-s must be positive; got {args.timeout_s}")
    jobs = capped_jobs(args.jobs, len(voltages))
    require_ngspice()
    rows = sweep_supply(
        voltages,
        weight_code=args.weight_code,
        input_rate_hz=finite("--input-rate-hz", args.input_rate_hz),
        bias_supply_v=finite("--bias-supply-v", args.bias_supply_v),
        bias_sink_supply_v=finite("--bias-sink-supply-v", args.bias_sink_supply_v),
        duration_s=finite("--duration-s", args.duration_s),
        processes=jobs,
        timeout_s=timeout_s,
        process=args.process,
        corner=args.corner,
        temp_c=finite("--temp-c", args.temp_c),
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
    parser.add_argument(
        "--input-rate-hz", default="100e3", help="input spike rate (Hz)"
    )
    parser.add_argument(
        "--bias-supply-v", default="0", help="sourcing NT bias supply (V); 0 = off"
    )
    parser.add_argument(
        "--bias-sink-supply-v", default="0", help="sinking NT bias supply (V); 0 = off"
    )
    parser.add_argument(
        "--duration-s", default="1e-3", help="simulated time per run (s)"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="worker processes (ngspice: one per process); capped at the number "
        "of voltages and the CPU count",
    )
    parser.add_argument(
        "--timeout-s",
        default="30",
        help="wall-clock limit of each simulation (s); past it: an error, not a hang",
    )
    add_json_flag(parser)
    parser.set_defaults(func=run)
