"""``python -m ntlib transfer``: one transfer experiment, as text or JSON (chapter 2)."""

from __future__ import annotations

import argparse

from ntlib.cli.common import (
    add_json_flag,
    add_threads_option,
    check_device_option,
    check_seed_option,
    emit,
    peak_rss_mb,
    add_tuning_options,
    use_threads,
)
from ntlib.cli.convert import add_activation_options, check_activation_options
from ntlib.data import DATASETS, TASKS, check_data_dir, load_task
from ntlib.models import DEFAULT_WIDTH
from ntlib.pretrain import DEFAULT_PRETRAIN_EPOCHS, check_cache_dir
from ntlib.transfer import DEFAULT_TUNE_EPOCHS, run_transfer
from ntlib.tuning import GRANULARITIES, METHODS


def _choice(kind: str, valid: tuple[str, ...]):
    """An argparse type that reports an unknown name with the valid ones."""

    def check(value: str) -> str:
        if value not in valid:
            raise argparse.ArgumentTypeError(
                f"unknown {kind} {value!r}; valid names are: {', '.join(valid)}"
            )
        return value

    return check


def run(args: argparse.Namespace) -> int:
    if min(args.width, args.epochs, args.pretrain_epochs, args.threads) < 1 or (
        args.seed < 0
    ):
        raise ValueError(
            "--width, --epochs, --pretrain-epochs and --threads must be positive "
            f"and --seed non-negative, got width={args.width}, epochs={args.epochs}"
            f", pretrain_epochs={args.pretrain_epochs}, threads={args.threads}, "
            f"seed={args.seed}"
        )
    # Every option is checked before any data is read or any network trained.
    check_seed_option(args.seed)
    check_device_option(args.device)
    use_threads(args.threads)
    check_data_dir(args.dataset, args.data_dir, args.download)
    check_cache_dir(args.cache_dir)
    check_activation_options(args)
    task = load_task(args.dataset, args.task, args.data_dir, args.download)
    result = run_transfer(
        task,
        args.method,
        args.granularity,
        width=args.width,
        epochs=args.epochs,
        pretrain_epochs=args.pretrain_epochs,
        lr=args.lr,
        seed=args.seed,
        cache_dir=args.cache_dir,
        device=args.device,
        progress=not args.json,
        activation=args.activation,
        levels=args.levels,
    )
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    emit(result, args.json)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "transfer",
        help="pretrain on a source task, tune for a target task, report accuracy",
        description=(
            "Pretrain a small CNN on the source task (cached), then adapt it to "
            "the target task with one method and report accuracies and counts."
        ),
    )
    parser.add_argument(
        "--dataset",
        type=_choice("data set", DATASETS),
        default="digits",
        help=f"one of {', '.join(DATASETS)} (default: digits, no files needed)",
    )
    parser.add_argument("--data-dir", default=None, help="torchvision data folder")
    parser.add_argument(
        "--download", action="store_true", help="let torchvision download missing files"
    )
    parser.add_argument(
        "--task",
        type=_choice("task", TASKS),
        default="noise",
        help=f"one of {', '.join(TASKS)} (default: noise)",
    )
    parser.add_argument(
        "--method",
        type=_choice("method", METHODS),
        default="nt",
        help=f"one of {', '.join(METHODS)} (default: nt)",
    )
    parser.add_argument(
        "--granularity",
        type=_choice("granularity", GRANULARITIES),
        default="channel",
        help="one modulatory bias (or gain) per channel or per unit",
    )
    add_activation_options(parser)
    parser.add_argument("--width", type=int, default=DEFAULT_WIDTH)
    parser.add_argument("--epochs", type=int, default=DEFAULT_TUNE_EPOCHS)
    parser.add_argument("--pretrain-epochs", type=int, default=DEFAULT_PRETRAIN_EPOCHS)
    add_tuning_options(parser)
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    add_threads_option(parser)
    add_json_flag(parser)
    parser.set_defaults(func=run)
