"""``python -m ntlib info``: versions of the stack and whether ngspice loads."""

from __future__ import annotations

import argparse

from ntlib.cli.common import emit
from ntlib.cli.options import add_json_flag
from ntlib.machine import ngspice_status, stack_versions


def run(args: argparse.Namespace) -> int:
    status = ngspice_status()
    result = {**stack_versions(), "ngspice": status.describe()}
    emit(result, args.json)
    return 0 if status.available else 1


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("info", help="show the stack's versions and ngspice")
    add_json_flag(parser)
    parser.set_defaults(func=run)
