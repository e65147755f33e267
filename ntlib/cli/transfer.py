"""``python -m ntlib transfer``: one transfer experiment, as text or JSON.

See chapter ``neuromodulatory_tuning``.
"""

from __future__ import annotations

import argparse

from ntlib.checks import check_converged
from ntlib.cli.common import check_device_option, emit, peak_rss_mb, use_threads
from ntlib.cli.convert import add_activation_options, check_activation_options
from ntlib.cli.options import (
    add_choice,
    add_data_options,
    add_network_options,
    add_torch_options,
    add_tuning_options,
    positive_int,
)
from ntlib.data import load_task
from ntlib.data_checks import check_data_dir
from ntlib.modulation import GRANULARITIES
from ntlib.pretrain import check_cache_dir
from ntlib.transfer import DEFAULT_TUNE_EPOCHS, run_transfer
from ntlib.tuning import METHODS


def run(args: argparse.Namespace) -> int:
    # Every option is checked before any data is read or any network trained.
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
    # A diverged run (non-finite loss, accuracy fallen to chance) is an error.
    after, before, lr = (
        float(result[key])  # type: ignore[arg-type]
        for key in ("target_test_acc", "target_test_acc_before", "lr")
    )
    losses: list[float] | None = result.get("losses")  # type: ignore[assignment]
    check_converged(losses, after, task.num_classes, lr, before)
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
    add_data_options(parser)
    add_choice(parser, "--method", "method", METHODS, "nt")
    add_choice(parser, "--granularity", "granularity", GRANULARITIES, "channel",
               "one modulatory bias (or gain) per channel or per unit")  # fmt: skip
    add_activation_options(parser)
    add_network_options(parser)
    parser.add_argument("--epochs", type=positive_int,
                        default=DEFAULT_TUNE_EPOCHS, help="tuning epochs")  # fmt: skip
    add_tuning_options(parser)
    add_torch_options(parser, "cpu (default) or cuda")
    parser.set_defaults(func=run)
