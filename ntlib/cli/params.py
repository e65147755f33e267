"""``python -m ntlib params``: total against neuromodulatory parameters.

See chapter ``orders_of_magnitude``.
"""

from __future__ import annotations

import argparse

from ntlib.cli.common import emit
from ntlib.cli.options import add_json_flag, choice
from ntlib.models import ARCHITECTURES
from ntlib.tuning import architecture_param_counts


def run(args: argparse.Namespace) -> int:
    emit(architecture_param_counts(args.arch), args.json)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "params",
        help="count a torchvision architecture's parameters and its NT biases",
    )
    parser.add_argument(
        "--arch",
        type=choice("architecture", ARCHITECTURES),
        required=True,
        help=f"one of {', '.join(ARCHITECTURES)}",
    )
    add_json_flag(parser)
    parser.set_defaults(func=run)
