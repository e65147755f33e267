"""``python -m ntlib chip``: a trained NT network on the simulated chip.

See chapter ``chip``.

Prints one object with ``dataset``, ``task``, ``level``, ``corner``,
``temp_c``, ``test_images`` (how many test images every accuracy below is
measured on: ``--digits``, else the whole test set), ``chips``,
``source`` (``--source``: the ReLU network, or chapter ``ann_to_snn``'s
QCFS network, whose membranes start at half a threshold), ``timesteps``
(``--timesteps``), ``design_trained`` (``--train-design``: the design's NT
biases trained through its nominal chip first; the book's chip is
``--source qcfs --timesteps 8 --train-design``), ``ann_test_acc``, ``snn_test_acc``, ``snn3bit_test_acc``,
``chip_nominal_test_acc``, ``chip_test_acc`` (mean over the mismatch chips),
``chip_test_acc_min``, ``calibration`` (the ``--calibrate`` mode:
``none``, ``bias`` for the NT bias supplies, ``supply`` for each layer's
excitatory and inhibitory synapse supplies, ``both`` for supplies then
biases; with ``--train-through-chip`` the biases of ``bias`` and ``both`` are
trained through each chip on the labelled calibration images, and the mode
reads ``bias-trained`` or ``both-trained``), ``chip_test_acc_calibrated``, ``chip_test_acc_calibrated_min`` (after
calibration; ``null`` with ``--calibrate none`` and at the SPICE level, which
simulates the nominal chip), ``chip_test_acc_calibrated_by_<mode>`` and
``chip_test_acc_calibrated_by_<mode>_min`` (the same figures named by the
knob, a hyphen written ``_``), ``energy_per_inference_j``, ``synaptic_events_per_inference`` (the
nominal chip's) and ``sim_seconds``; at the SPICE level
also ``spice_behaviour_agreement``.  Calibration images, the images that
pick a calibration round, and test images are disjoint.

With ``--layer`` (SPICE level only) it simulates a slice of that layer
instead (``--neurons`` of a dense layer, ``--channels`` over a ``--patch``
of a convolution; :mod:`ntlib.chip.slices`) against the behavioural chip at
``--corner`` and ``--temp-c``, nominal or with ``--mismatch-seed``, and
prints ``layer``, ``neurons``, ``test_images``, ``corner``, ``temp_c``,
``mismatch_seed``, ``count_error``, ``mean_count``, ``correlation``
(:func:`ntlib.chip.spice_check.agreement`; for a whole output layer also
``winner_agreement`` and ``winner_lower_95``) and ``sim_seconds``.
"""

from __future__ import annotations

import argparse

from ntlib.checks import MAX_SEED
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
    int_from,
    positive_int,
)
from ntlib.data_checks import check_data_dir
from ntlib.pretrain import check_cache_dir

#: The layers of the book's CNN a slice may be taken from.
LAYERS: tuple[str, ...] = ("conv1", "conv2", "dense", "output")
#: One image of each data set, ``(C, H, W)``: the layers' shapes follow.
IMAGE_SHAPES: dict[str, tuple[int, int, int]] = {
    "digits": (1, 8, 8), "mnist": (1, 28, 28), "fashion-mnist": (1, 28, 28),
    "kmnist": (1, 28, 28), "cifar10": (3, 32, 32),
}
_SLICE_OPTIONS = ("neurons", "channels", "patch", "mismatch_seed")


def _check_slice_options(args: argparse.Namespace) -> None:
    """The slice options against the named layer's shape (no network trained)."""
    from ntlib.chip.slices import check_slice, network_layer_shapes

    given = [f"--{n.replace('_', '-')}" for n in _SLICE_OPTIONS
             if getattr(args, n) is not None]
    if args.layer is None:
        if given:
            raise ValueError(f"{', '.join(given)} need --layer (a SPICE slice)")
        return
    if args.level != "spice":
        raise ValueError("--layer simulates a slice in SPICE: add --level spice")
    shapes = network_layer_shapes(IMAGE_SHAPES[args.dataset])
    check_slice(args.layer, shapes[args.layer], args.neurons, args.channels,
                args.patch)


def _run_slice(args: argparse.Namespace, jobs: int) -> dict:
    from ntlib.chip.experiment import chip_setup
    from ntlib.chip.spice_check import Condition, agreement, slice_versus_behaviour

    setup = chip_setup(args.task, args.dataset, args.data_dir, args.cache_dir,
                       source_kind=args.source, timesteps=args.timesteps,
                       trained=args.train_design)
    digits = args.digits or 2
    if digits > len(setup.test[0]):
        raise ValueError(f"--digits must be 1-{len(setup.test[0])} for this test "
                         f"set; got {digits}")
    size = {k: getattr(args, k) for k in ("neurons", "channels", "patch")
            if getattr(args, k) is not None}
    condition = Condition("cli", args.corner, args.temp_c, args.mismatch_seed)
    check = slice_versus_behaviour(setup.design, args.layer,
                                   setup.test[0][:digits], condition,
                                   setup.timesteps, 0, size, jobs)
    return {"layer": args.layer, "neurons": len(check["neurons"]),
            "test_images": digits, "corner": args.corner, "temp_c": args.temp_c,
            "mismatch_seed": args.mismatch_seed, **agreement(check),
            "sim_seconds": float(check["sim_seconds"].sum())}


def _calibration_mode(mode: str, train_through_chip: bool) -> str:
    """The mode ``--calibrate`` and ``--train-through-chip`` name together."""
    from ntlib.chip.calibrate import TRAINED_MODES

    if not train_through_chip or mode in TRAINED_MODES.values():
        return mode
    if mode not in TRAINED_MODES:
        raise ValueError(f"--train-through-chip trains the biases: use it with "
                         f"--calibrate {' or '.join(TRAINED_MODES)}, not {mode}")
    return TRAINED_MODES[mode]


def run(args: argparse.Namespace) -> int:
    from ntlib.chip.experiment import check_spice_level, chip_experiment
    from ntlib.machine import require_ngspice

    check_temperature_option(args.temp_c, DEFAULT_PROCESS)
    calibration = _calibration_mode(args.calibrate, args.train_through_chip)
    _check_slice_options(args)
    if args.layer is not None:
        check_data_dir(args.dataset, args.data_dir, False)
        check_cache_dir(args.cache_dir)
        require_ngspice()
        jobs = capped_jobs(args.jobs, args.digits or 2)
        emit(_run_slice(args, jobs), args.json)
        return 0
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
        calibration=calibration, source_kind=args.source,
        timesteps=args.timesteps, trained_design=args.train_design,
    )
    emit(result, args.json)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    from ntlib.chip.calibrate import CALIBRATION_MODES
    from ntlib.chip.experiment import (
        CHIP_TASKS,
        LEVELS,
        MAX_CHIP_TIMESTEPS,
        SOURCES,
        TIMESTEPS,
    )

    parser = subparsers.add_parser(
        "chip",
        help="an NT-tuned network on a simulated SKY130 chip: accuracy, energy",
        description=(
            "Design the chip from the source network, tune the target task with "
            "NT (bias supplies only), and measure accuracy on the behavioural "
            "chip (with mismatch chips, before and after calibration of their "
            "bias supplies, synapse supplies or both) or on the SPICE output "
            "layer."
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
    add_choice(parser, "--calibrate", "calibration mode", CALIBRATION_MODES, "bias",
               "the knobs each mismatch chip is calibrated with")
    parser.add_argument("--train-through-chip", action="store_true",
                        help="train the biases of --calibrate bias or both "
                        "through each chip (labelled calibration images) "
                        "instead of matching the design's rates")
    add_choice(parser, "--source", "source network", SOURCES, "relu",
               "the network on the chip: ReLU, or QCFS (fewer time steps)")
    parser.add_argument("--train-design", action="store_true",
                        help="train the design's NT biases through its nominal "
                        "chip first (the book's chip: --source qcfs "
                        "--timesteps 8 --train-design)")
    parser.add_argument("--timesteps", type=int_from(1, MAX_CHIP_TIMESTEPS),
                        default=TIMESTEPS, help="time steps of an inference, 1 to "
                        f"{MAX_CHIP_TIMESTEPS} (default: {TIMESTEPS})")
    add_choice(parser, "--layer", "layer", LAYERS, None,
               "simulate a slice of this layer in SPICE (with --level spice)")
    for option, what in (("--neurons", "neurons of a dense layer's slice"),
                         ("--channels", "output channels of a convolution's slice"),
                         ("--patch", "side of a convolution slice's square")):
        parser.add_argument(option, type=positive_int, default=None,
                            help=f"{what} (with --layer)")
    parser.add_argument("--mismatch-seed", type=int_from(1, MAX_SEED),
                        default=None, help="a slice's mismatched chip "
                        "(with --layer; default: nominal devices)")
    parser.add_argument("--cache-dir", default=None, help="pretrained-model cache")
    add_jobs_option(parser, "the chips")
    add_json_flag(parser)
    parser.set_defaults(func=run)
