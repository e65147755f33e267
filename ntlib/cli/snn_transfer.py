"""``python -m ntlib snn-transfer``: NT and TFT of a spiking network.

See chapter ``nt_in_snn``.
"""

from __future__ import annotations

import argparse

from ntlib.checks import check_converged
from ntlib.cli.common import (
    MAX_TIMESTEPS,
    check_timesteps_option,
    emit,
    peak_rss_mb,
    use_threads,
)
from ntlib.cli.convert import (
    add_activation_options,
    check_activation_options,
    load_source,
)
from ntlib.cli.options import (
    add_choice,
    add_data_options,
    add_network_options,
    add_torch_options,
    add_tuning_options,
    positive_int,
)
from ntlib.conversion import NORMS
from ntlib.modulation import GRANULARITIES
from ntlib.snn_train import SNN_MODES, SPIKING_METHODS, tune_spiking

#: Default tuning epochs: deep-network epochs (convert) or spiking ones (surrogate).
DEFAULT_SNN_EPOCHS = {"convert": 15, "surrogate": 8}


def run(args: argparse.Namespace) -> int:
    use_threads(args.threads)
    if args.device != "cpu":
        raise ValueError(f"spiking runs use the CPU only, got --device {args.device}")
    check_timesteps_option([args.timesteps])
    epochs = DEFAULT_SNN_EPOCHS[args.mode] if args.epochs is None else args.epochs
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
    check_converged(
        getattr(run_, "losses", None),
        run_.target_test_acc,
        task.num_classes,
        run_.lr,
        accuracy_before=run_.target_test_acc_before,
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
    add_choice(parser, "--method", "spiking method", SPIKING_METHODS, "nt",
               "tuning method")  # fmt: skip
    add_choice(parser, "--granularity", "granularity", GRANULARITIES, "channel",
               "one modulatory bias per channel or per unit")  # fmt: skip
    add_choice(parser, "--mode", "mode", SNN_MODES, "surrogate",
               "convert a tuned CNN, or train the spiking network")  # fmt: skip
    parser.add_argument(
        "--timesteps",
        type=int,
        default=8,
        help=f"time steps of the spiking network, 1 to {MAX_TIMESTEPS} (default: 8)",
    )
    add_choice(parser, "--norm", "norm", NORMS, "p99.9", "weight normalisation")
    add_network_options(parser)
    parser.add_argument(
        "--epochs",
        type=positive_int,
        default=None,
        help="tuning epochs (default: 15 for convert, 8 for surrogate)",
    )
    add_tuning_options(parser)
    add_torch_options(parser, "cpu only for spiking runs")
    parser.set_defaults(func=run)
