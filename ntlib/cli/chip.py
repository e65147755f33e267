"""``python -m ntlib chip``: a trained NT network on the simulated chip.

See chapter ``chip``.

Prints one object with ``dataset``, ``task``, ``level``, ``corner``,
``temp_c``, ``test_images`` (how many test images every accuracy below is
measured on: ``--digits``, else the whole test set), ``chips``,
``timesteps``, ``ann_test_acc``, ``snn_test_acc``, ``snn3bit_test_acc``,
``chip_nominal_test_acc``, ``chip_test_acc`` (mean over the mismatch chips),
``chip_test_acc_min``, ``chip_test_acc_calibrated``,
``chip_test_acc_calibrated_min`` (after NT calibration; ``null`` at the SPICE
level, which simulates the nominal chip), ``energy_per_inference_j`` and
``sim_seconds``; at the SPICE level also ``spice_behaviour_agreement``.
"""

from __future__ import annotations

import argparse

from ntlib.circuits.process import DEFAULT_PROCESS
from ntlib.circuits.sky130 import CORNERS
from ntlib.cli.common import capped_jobs, check_temperature_option, emit
from ntlib.cli.options import (
    add_choice,
    add_circuit_options,
    add_data_options,
    add_draws_option,
    add_jobs_option,
    add_json_flag,
    positive_int,
)
from ntlib.data_checks import check_data_dir
from ntlib.pretrain import check_cache_dir


def run(args: argparse.Namespace) -> int:
    from ntlib.chip.experiment import check_spice_level, chip_experiment
    from ntlib.machine import require_ngspice

    check_temperature_option(args.temp_c, DEFAULT_PROCESS)
    if args.level == "spice":
        check_spice_level(args.chips, args.corner, args.temp_c)
    jobs = capped_jobs(args.jobs, max(args.chips, args.digits or 1))
    check_data_dir(args.dataset, args.data_dir, False)
    check_cache_dir(args.cache_dir)
    require_ngspice()
    digits = args.digits
    if args.level == "spice" and digits is None:
        digits = 10
    result = chip_experiment(
        task_name=args.task, level=args.level, digits=digits, chips=args.chips,
        corner=args.corner, temp_c=args.temp_c, dataset=args.dataset,
        data_dir=args.data_dir, cache_dir=args.cache_dir, processes=jobs,
    )
    emit(result, args.json)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    from ntlib.chip.experiment import CHIP_TASKS, LEVELS

    parser = subparsers.add_parser(
        "chip",
        help="an NT-tuned network on a simulated SKY130 chip: accuracy, energy",
        description=(
            "Design the chip from the source network, tune the target task with "
            "NT (bias supplies only), and measure accuracy on the behavioural "
            "chip (with mismatch chips, before and after NT calibration) or on "
            "the SPICE output layer."
        ),
    )
    add_data_options(parser, tasks=CHIP_TASKS, download=False)
    add_choice(parser, "--level", "level", LEVELS, "behavioural",
               "the behavioural chip or SPICE")  # fmt: skip
    parser.add_argument("--digits", type=positive_int, default=None,
                        help="test images of every accuracy (default: all; 10 at "
                        "the SPICE level)")  # fmt: skip
    add_draws_option(parser, "--chips", 0, 20, "mismatch chips (0: the nominal one)")
    add_circuit_options(parser, CORNERS)
    parser.add_argument("--cache-dir", default=None, help="pretrained-model cache")
    add_jobs_option(parser, "the chips")
    add_json_flag(parser)
    parser.set_defaults(func=run)
