"""``python -m ntlib``: the command line that the book's benchmarks call.

Each subcommand lives in its own module of this package and exposes
``register(subparsers)``, which adds its parser and sets ``func`` (a callable
taking the parsed namespace and returning an exit code).  A new subcommand is
one new module plus one line in ``SUBCOMMANDS``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from typing import NoReturn

from ntlib import __version__
from ntlib.checks import first_line

#: Exit code after Ctrl-C (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = 130

SUBCOMMANDS: tuple[str, ...] = (
    "ntlib.cli.info",
    "ntlib.cli.circuit",
    "ntlib.cli.mismatch",
    "ntlib.cli.chip",
    "ntlib.cli.convert",
    "ntlib.cli.snn_transfer",
    "ntlib.cli.transfer",
    "ntlib.cli.params",
)


class OneLineErrorParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr, exit code 2.

    argparse's default prints the whole usage first; a bad option value
    reads better as the same ``error: ...`` line as every other bad input.
    Subcommand parsers inherit the class.
    """

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The full parser, with every registered subcommand."""
    parser = OneLineErrorParser(
        prog="python -m ntlib",
        description="Neuromodulatory tuning: experiments behind the book.",
    )
    parser.add_argument("--version", action="version", version=f"ntlib {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log progress to stderr"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        # Ctrl-C: files are written whole or not at all, so nothing is left
        # half-written; say so in one line, with the shell's code for SIGINT.
        print(
            f"interrupted: {args.command} stopped by Ctrl-C; nothing was saved "
            "unfinished",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except (ValueError, TypeError, FileNotFoundError, RuntimeError) as error:
        # Bad input and missing prerequisites are the reader's to fix: say what
        # was wrong and what to do, without a stack trace (-v shows it).
        if args.verbose:
            logging.getLogger("ntlib").exception("the stack trace, for -v")
        print(f"error: {first_line(error)}", file=sys.stderr)
        return 2
