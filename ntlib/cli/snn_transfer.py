"""``python -m ntlib snn-transfer``: NT and TFT of a spiking network (chapter 6)."""

from __future__ import annotations

import argparse

from ntlib.cli.common import (
    MAX_TIMESTEPS,
    add_json_flag,
    add_threads_option,
    check_timesteps_option,
    emit,
    peak_rss_mb,
    add_tuning_options,
    use_threads,
)
from ntlib.cli.convert import (
    add_activation_options,
    add_data_options,
    check_activation_options,
    load_source,
)
from ntlib.models import DEFAULT_WIDTH
from ntlib.pretrain import DEFAULT_PRETRAIN_EPOCHS
from ntlib.snn import NORMS
from ntlib.snn_train import SNN_MODES, SPIKING_METHODS, tune_spiking
from ntlib.tuning import GRANULARITIES

#: Default tuning epochs: deep-network epochs (convert) or spiking ones (surrogate).
DEFAULT_SNN_EPOCHS = {"convert": 15, "surrogate": 8}


def run(args: argparse.Namespace) -> int:
    use_threads(args.threads)
    if args.device != "cpu":
        raise ValueError(f"spiking runs use the CPU only, got --device {args.device}")
    check_timesteps_option([args.timesteps])
    epochs = DEFAULT_SNN_EPOCHS[args.mode] if args.epochs is None else args.epochs
    if epochs < 1:
        raise ValueError(f"--epochs must be positive, got {epochs}")
    check_activation_options(args)
    # Like `transfer`, every seed tunes the same source network (pretrained with 0).
    task, source = load_source(args, pretrain_seed=0)
    run_ = tune_spiking(
        source,
        task,
        args.method,
        args.mode,
        timesteps=args.timesteps,
        epochs=epochs,
        lr=args.lr,
        granularity=args.granularity,
        norm=args.norm,
        seed=args.seed,
        progress=not args.json,
    )
    result = {
        "dataset": task.dataset,
        "task": task.task,
        "width": args.width,
        "activation": args.activation,
        "levels": args.levels,
        **run_.as_dict(),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
    emit(result, args.json)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "snn-transfer",
        help="tune a spiking network for a target task (NT or TFT)",
        description=(
            "Adapt the pretrained source CNN to the target task as a spiking "
            "network: tune the deep network and convert it (--mode convert), or "
            "convert it and train through time with surrogate gradients "
            "(--mode surrogate)."
        ),
    )
    add_data_options(parser)
    add_activation_options(parser)
    parser.add_argument(
        "--method",
        choices=SPIKING_METHODS,
        default="nt",
        help="tuning method (default: nt)",
    )
    parser.add_argument(
        "--granularity",
        choices=GRANULARITIES,
        default="channel",
        help="one modulatory bias per channel or per unit",
    )
    parser.add_argument(
        "--mode",
        choices=SNN_MODES,
        default="surrogate",
        help="convert a tuned CNN, or train the spiking network",
    )
    parser.add_argument(
        "--timesteps",
        type=int,
        default=8,
        help=f"time steps of the spiking network, 1 to {MAX_TIMESTEPS} (default: 8)",
    )
    parser.add_argument("--norm", choices=NORMS, default="p99.9")
    parser.add_argument("--width", type=int, default=DEFAULT_WIDTH)
    parser.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="tuning epochs (default: 15 for convert, 8 for surrogate)",
    )
    parser.add_argument("--pretrain-epochs", type=int, default=DEFAULT_PRETRAIN_EPOCHS)
    add_tuning_options(parser)
    parser.add_argument("--device", default="cpu", help="cpu only for spiking runs")
    add_threads_option(parser)
    add_json_flag(parser)
    parser.set_defaults(func=run)
