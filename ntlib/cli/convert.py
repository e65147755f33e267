"""``python -m ntlib convert``: a pretrained CNN as a spiking network.

See chapter ``ann_to_snn``.
"""

from __future__ import annotations

import argparse

from torch import nn

from ntlib.cli.common import (
    MAX_TIMESTEPS,
    check_timesteps_option,
    emit,
    peak_rss_mb,
    use_threads,
)
from ntlib.cli.options import (
    add_choice,
    add_data_options,
    add_json_flag,
    add_network_options,
    add_seed_option,
    add_threads_option,
)
from ntlib.conversion import NORMS, convert
from ntlib.data import TransferTask, load_task
from ntlib.data_checks import check_data_dir
from ntlib.pretrain import check_cache_dir, pretrained_source_model
from ntlib.qcfs import ACTIVATIONS, check_activation
from ntlib.snn import CODINGS, evaluate_snn
from ntlib.train import evaluate


def parse_timesteps(text: str) -> list[int]:
    """``"8,16,32"`` -> ``[8, 16, 32]``; a ValueError names what was wrong.

    Each value must lie between 1 and :data:`~ntlib.cli.common.MAX_TIMESTEPS`.
    """
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValueError(
            f"--timesteps takes positive integers separated by commas "
            f"(for example 8,16,32), got {text!r}"
        ) from None
    if not values or min(values) <= 0:
        raise ValueError(
            f"--timesteps must be positive integers (for example 8,16,32), got {text!r}"
        )
    return check_timesteps_option(values)


def check_activation_options(args: argparse.Namespace) -> None:
    """--activation and --levels agree (levels only, and always, with qcfs)."""
    try:
        check_activation(args.activation, args.levels)
    except ValueError as error:
        raise ValueError(
            f"--activation {args.activation} with --levels {args.levels}: {error}"
        ) from None


def load_source(
    args: argparse.Namespace,
    pretrain_seed: int,
    activation: str | None = None,
    levels: int | None = None,
) -> tuple[TransferTask, nn.Sequential]:
    """The task named by the data options and its pretrained (cached) source CNN.

    Every option is checked before the data is read or a network trained.
    The activation is ``args.activation``/``args.levels`` unless given.
    """
    check_data_dir(args.dataset, args.data_dir, args.download)
    check_cache_dir(args.cache_dir)
    task = load_task(args.dataset, args.task, args.data_dir, args.download)
    model = pretrained_source_model(
        task,
        width=args.width,
        epochs=args.pretrain_epochs,
        seed=pretrain_seed,
        cache_dir=args.cache_dir,
        progress=not args.json,
        activation=activation or args.activation,
        levels=levels if activation else args.levels,
    )
    return task, model


def run(args: argparse.Namespace) -> int:
    use_threads(args.threads)
    timesteps = parse_timesteps(args.timesteps)
    check_activation_options(args)
    task, model = load_source(args, pretrain_seed=args.seed)
    network = convert(model, task.source_train, args.norm)
    result = evaluate_snn(
        network, task.source_test, timesteps, args.coding, seed=args.seed
    )
    output = {
        "dataset": args.dataset,
        "task": args.task,
        "norm": args.norm,
        "coding": args.coding,
        "activation": args.activation,
        "levels": args.levels,
        "seed": args.seed,
        "neurons": network.num_neurons(),
        "ann_test_acc": round(evaluate(model, task.source_test), 6),
        "snn_test_acc": {str(t): round(a, 6) for t, a in result.accuracy.items()},
        "spikes_per_inference": {
            str(t): round(v, 1) for t, v in result.spikes_per_inference.items()
        },
        "synaptic_ops_per_inference": {
            str(t): round(v, 1) for t, v in result.synaptic_ops_per_inference.items()
        },
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
    if args.activation != "relu":  # the ReLU twin: same architecture and budget
        _, twin = load_source(args, pretrain_seed=args.seed, activation="relu")
        output["relu_ann_test_acc"] = round(evaluate(twin, task.source_test), 6)
    emit(output, args.json)
    return 0


def add_activation_options(parser: argparse.ArgumentParser) -> None:
    """--activation relu|qcfs and --levels L of the source CNN.

    See chapter ``ann_to_snn``.
    """
    add_choice(parser, "--activation", "activation", ACTIVATIONS, "relu",
               "activation of the source CNN; qcfs is trained for conversion at "
               "low latency (needs --levels)")  # fmt: skip
    parser.add_argument(
        "--levels",
        type=int,
        default=None,
        help="steps of the qcfs activation, usually the time steps to run (e.g. 4)",
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "convert",
        help="convert the pretrained source CNN into a spiking network, evaluate it",
        description=(
            "Pretrain (or reuse) the source CNN, convert it into integrate-and-fire "
            "neurons with weight normalisation, and report accuracy and synaptic "
            "operations per inference at each number of time steps."
        ),
    )
    add_data_options(parser)
    add_activation_options(parser)
    parser.add_argument(
        "--timesteps",
        default="8,16,32,64,128",
        help="time steps, comma separated, each 1 to "
        f"{MAX_TIMESTEPS} (default: 8,16,32,64,128)",
    )
    add_choice(parser, "--norm", "norm", NORMS, "p99.9", "weight normalisation")
    add_choice(parser, "--coding", "coding", CODINGS, "direct", "input coding")
    add_seed_option(parser, "pretraining and Poisson spikes")
    add_network_options(parser)
    parser.add_argument("--cache-dir", default=None, help="pretrained model cache")
    add_threads_option(parser)
    add_json_flag(parser)
    parser.set_defaults(func=run)
