"""``python -m ntlib info``: versions of the stack and whether ngspice loads."""

from __future__ import annotations

import argparse
import importlib.metadata
import platform

from ntlib import __version__
from ntlib.cli.common import add_json_flag, emit
from ntlib.system import ngspice_status

STACK = ("torch", "torchvision", "snntorch", "PySpice", "numpy", "matplotlib")


def stack_versions() -> dict[str, str]:
    """Installed version of each package of the book's stack ('missing' if absent)."""
    versions = {"python": platform.python_version(), "ntlib": __version__}
    for name in STACK:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "missing"
    return versions


def run(args: argparse.Namespace) -> int:
    status = ngspice_status()
    result = {**stack_versions(), "ngspice": status.describe()}
    emit(result, args.json)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("info", help="show the stack's versions and ngspice")
    add_json_flag(parser)
    parser.set_defaults(func=run)
