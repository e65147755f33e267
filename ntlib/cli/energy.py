"""``python -m ntlib energy``: the simulated chip's energy per inference.

See chapter ``chip``.

Runs the nominal chip of ``--task`` on ``--digits`` test images and prints
the measured parts of an inference (:func:`ntlib.chip.cost.chip_energy_j`):
``events_nj``, ``spikes_nj``, ``neuron_static_nj``, ``bias_static_nj`` and
``total_nj``, with ``task``, ``dataset`` and ``test_images``.

With ``--ledger`` it prints every cost instead
(:func:`ntlib.chip.ledger.chip_ledger`): ``rows`` (each ``item``,
``low_nj``, ``high_nj``, ``kind`` and ``source``), ``total_low_nj``,
``total_high_nj``, ``dominant`` (the three largest rows), ``converter``,
``routing`` and ``bias_granularity``.  ``--json`` prints one JSON object.
"""

from __future__ import annotations

import argparse

from ntlib.cli.common import emit
from ntlib.cli.options import add_choice, add_data_options, add_json_flag, positive_int
from ntlib.data_checks import check_data_dir
from ntlib.pretrain import check_cache_dir

#: Test images of one run unless ``--digits`` says otherwise.
DEFAULT_DIGITS = 200
_LEDGER_OPTIONS = ("converter", "routing", "bias_granularity")


def _check_options(args: argparse.Namespace) -> None:
    given = [f"--{n.replace('_', '-')}" for n in _LEDGER_OPTIONS
             if getattr(args, n) is not None]
    if given and not args.ledger:
        raise ValueError(f"{', '.join(given)} choose a ledger row: add --ledger")


def _result(args: argparse.Namespace) -> dict:
    import torch

    from ntlib.chip.cost import chip_energy_j
    from ntlib.chip.experiment import TIMESTEPS, chip_setup
    from ntlib.chip.ledger import (
        CONVERTERS,
        ROUTINGS,
        chip_activity,
        chip_ledger,
        summary,
    )
    from ntlib.circuits.energy_figures import energy_figures

    torch.set_num_threads(1)
    setup = chip_setup(args.task, args.dataset, args.data_dir, args.cache_dir)
    available = len(setup.test[0])
    if args.digits > available:
        raise ValueError(f"--digits must be 1-{available} for this test set; "
                         f"got {args.digits}")
    design = setup.design
    figures = energy_figures("sky130", design.circuit.corner, design.circuit.temp_c)
    activity = chip_activity(design, setup.test[0][:args.digits], TIMESTEPS)
    head = {"task": args.task, "dataset": args.dataset, "test_images": args.digits}
    if not args.ledger:
        parts = chip_energy_j(design, activity.run, figures, TIMESTEPS)
        return {**head, **{f"{k.replace(' ', '_')}_nj": v * 1e9
                           for k, v in parts.items()}}
    options = {"converter": args.converter or CONVERTERS[0],
               "routing": args.routing or ROUTINGS[0],
               "bias_granularity": args.bias_granularity or "neuron"}
    table = chip_ledger(design, activity, figures, **options)
    totals = summary(table)
    rows = [{"item": r["item"], "low_nj": r["low (nJ)"], "high_nj": r["high (nJ)"],
             "kind": r["kind"], "source": r["source"]} for _, r in table.iterrows()]
    return {**head, **options, "rows": rows, "total_low_nj": totals["low_nj"],
            "total_high_nj": totals["high_nj"], "dominant": totals["dominant"]}


def _print_ledger(result: dict) -> None:
    for key in ("task", "dataset", "test_images", *_LEDGER_OPTIONS):
        print(f"{key:>28}: {result[key]}")
    for row in result["rows"]:
        print(f"{row['item']:>40}: {row['low_nj']:10.3f} - {row['high_nj']:10.3f} nJ "
              f"({row['kind']}; {row['source']})")
    print(f"{'total':>40}: {result['total_low_nj']:10.3f} - "
          f"{result['total_high_nj']:10.3f} nJ")
    print(f"{'dominant':>40}: {', '.join(result['dominant'])}")


def run(args: argparse.Namespace) -> int:
    from ntlib.machine import require_ngspice

    _check_options(args)
    check_data_dir(args.dataset, args.data_dir, False)
    check_cache_dir(args.cache_dir)
    require_ngspice()
    result = _result(args)
    if args.ledger and not args.json:
        _print_ledger(result)
    else:
        emit(result, args.json)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    from ntlib.chip.experiment import CHIP_TASKS
    from ntlib.chip.ledger import CONVERTERS, GRANULARITIES, ROUTINGS

    parser = subparsers.add_parser(
        "energy",
        help="the simulated chip's energy per inference, or every cost (--ledger)",
        description=(
            "Run the nominal chip on test images and price an inference with "
            "SPICE-measured event energies at each layer's own supplies; with "
            "--ledger, every cost of the chip, estimates as low-high ranges."
        ),
    )
    add_data_options(parser, tasks=CHIP_TASKS, download=False)
    parser.set_defaults(task="source")
    parser.add_argument("--digits", type=positive_int, default=DEFAULT_DIGITS,
                        help=f"test images (default {DEFAULT_DIGITS})")
    parser.add_argument("--ledger", action="store_true",
                        help="every cost of an inference, one row each")
    add_choice(parser, "--converter", "converter", CONVERTERS, None,
               "supply generation (with --ledger; default switched-capacitor)")
    add_choice(parser, "--routing", "routing", ROUTINGS, None,
               "spike routing (with --ledger; default wires)")
    add_choice(parser, "--bias-granularity", "bias granularity", GRANULARITIES, None,
               "a bias DAC per neuron or per channel (with --ledger; default neuron)")
    parser.add_argument("--cache-dir", default=None, help="pretrained-model cache")
    add_json_flag(parser)
    parser.set_defaults(func=run)
