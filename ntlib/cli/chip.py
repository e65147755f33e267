"""``python -m ntlib chip``: a trained NT network on the simulated chip (chapter 10).

Prints one object with ``dataset``, ``task``, ``level``, ``corner``,
``temp_c``, ``digits``, ``chips``, ``timesteps``, ``ann_test_acc``,
``snn_test_acc``, ``snn3bit_test_acc``, ``chip_nominal_test_acc``,
``chip_test_acc`` (mean over the mismatch chips), ``chip_test_acc_min``,
``chip_test_acc_calibrated``, ``chip_test_acc_calibrated_min`` (after NT
calibration; ``null`` at the SPICE level, which simulates the nominal chip),
``energy_per_inference_j`` and ``sim_seconds``; at the SPICE level also
``spice_behaviour_agreement``.
"""

from __future__ import annotations

import argparse

from ntlib.cli.common import (
    add_json_flag,
    capped_jobs,
    emit,
    finite_float,
)
from ntlib.cli.transfer import _choice
from ntlib.data import DATASETS, check_data_dir
from ntlib.pretrain import check_cache_dir
from ntlib.circuits.sky130 import CORNERS, TEMPERATURE_RANGE_C


def run(args: argparse.Namespace) -> int:
    from ntlib.chip.experiment import check_spice_level, chip_experiment
    from ntlib.system import require_ngspice

    low, high = TEMPERATURE_RANGE_C
    if not low <= args.temp_c <= high:
        raise ValueError(f"--temp-c must lie in {low:g}-{high:g} C; got {args.temp_c:g}")
    if args.chips < 0:
        raise ValueError(f"--chips must be 0 (nominal only) or more; got {args.chips}")
    if args.digits is not None and args.digits < 1:
        raise ValueError(f"--digits must be at least 1; got {args.digits}")
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
    parser.add_argument("--task", type=_choice("task", CHIP_TASKS), default="noise",
                        help=f"one of {', '.join(CHIP_TASKS)} (default: noise)")
    parser.add_argument("--level", type=_choice("level", LEVELS),
                        default="behavioural", help="behavioural (default) or spice")
    parser.add_argument("--digits", type=int, default=None,
                        help="test images (default: all; 10 at the SPICE level)")
    parser.add_argument("--chips", type=int, default=20,
                        help="Monte Carlo mismatch chips (0: the nominal chip only)")
    parser.add_argument("--corner", type=_choice("corner", CORNERS), default="tt")
    parser.add_argument("--temp-c", type=finite_float, default=27.0,
                        help="temperature, degrees Celsius (-40 to 125)")
    parser.add_argument("--dataset", type=_choice("data set", DATASETS),
                        default="digits", help="digits (default) or a torchvision set")
    parser.add_argument("--data-dir", default=None, help="torchvision data folder")
    parser.add_argument("--cache-dir", default=None, help="pretrained-model cache")
    parser.add_argument("--jobs", type=int, default=1,
                        help="worker processes; capped at the chips and CPU count")
    add_json_flag(parser)
    parser.set_defaults(func=run)
