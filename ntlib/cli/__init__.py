"""``python -m ntlib``: the command line that the book's benchmarks call.

Each subcommand lives in its own module of this package and exposes
``register(subparsers)``, which adds its parser and sets ``func`` (a callable
taking the parsed namespace and returning an exit code).  A new subcommand is
one new module plus one line in ``SUBCOMMANDS``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import re
import signal
import sys
from collections.abc import Sequence
from typing import NoReturn

from ntlib import __version__
from ntlib.checks import first_line

#: Exit code after Ctrl-C (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = 130
#: Exit code after SIGTERM (128 + SIGTERM).
EXIT_TERMINATED = 143

SUBCOMMANDS: tuple[str, ...] = (
    "ntlib.cli.info",
    "ntlib.cli.circuit",
    "ntlib.cli.mismatch",
    "ntlib.cli.chip",
    "ntlib.cli.energy",
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
        # "argument --seed: must be ..." reads as "--seed must be ...".
        message = re.sub(r"^argument (\S+): must ", r"\1 must ", message)
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


def _in_main_thread() -> bool:
    """Whether this is the main thread (the only one that may set signal handlers)."""
    import threading

    return threading.current_thread() is threading.main_thread()


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that the same clean-up runs (workers stopped)."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated


def _exit_now(signum: int, frame: object) -> None:
    os._exit(128 + signum)  # a second signal while stopping: no more waiting


def exit_at_once(code: int) -> None:
    """End the process now with ``code``, after an interrupt (``python -m ntlib``).

    The workers are stopped and every file is whole by then; what is left is
    the slow teardown of the loaded libraries (seconds for torch), skipped
    here so that Ctrl-C or SIGTERM ends the process within a second.  The
    worker pool's semaphores are released first, so the resource tracker
    exits quietly.
    """
    import multiprocessing.util

    with contextlib.suppress(Exception):
        multiprocessing.util._exit_function()  # noqa: SLF001 - its atexit step
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _use_cache_dir(args: argparse.Namespace) -> None:
    """Check the cache folder of a command that has ``--cache-dir``, before any work.

    The folder (``--cache-dir``, else ``NTLIB_CACHE_DIR``, else
    ``~/.cache/ntlib``) holds the models and the circuit results alike; it
    is handed on as ``NTLIB_CACHE_DIR`` so that the circuit cache and the
    worker processes use it too.
    """
    from ntlib.cache import CACHE_DIR_ENV, check_cache_dir

    if "cache_dir" in args:
        os.environ[CACHE_DIR_ENV] = str(check_cache_dir(args.cache_dir))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code.

    While a command runs, SIGTERM stops it like Ctrl-C (exit code 143); after
    either, a second one exits at once (these handlers then stay: the
    process is ending).
    """
    from ntlib.cache import CACHE_DIR_ENV

    cache_env = os.environ.get(CACHE_DIR_ENV)
    previous = None
    if _in_main_thread():
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        return _main(argv)
    finally:
        if previous is not None and signal.getsignal(signal.SIGTERM) is _raise_terminated:
            signal.signal(signal.SIGTERM, previous)
        if cache_env is None:  # main() called in-process leaves the environment as it was
            os.environ.pop(CACHE_DIR_ENV, None)
        else:
            os.environ[CACHE_DIR_ENV] = cache_env


def _one_line(error: BaseException, args: argparse.Namespace) -> str:
    """The first line of ``error``, with any option value that holds a line break
    (a folder named ``a<newline>b``) shown escaped, so the message is not cut there.
    """
    text = str(error)
    for value in vars(args).values():
        if isinstance(value, str) and not value.isprintable():
            text = text.replace(value, value.encode("unicode_escape").decode("ascii"))
    lines = text.strip().splitlines()
    return lines[0] if lines else first_line(error)


def _main(argv: Sequence[str] | None) -> int:
    args = argparse.Namespace(command=None)
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        logging.basicConfig(
            level=logging.INFO if args.verbose else logging.WARNING,
            format="%(levelname)s %(name)s: %(message)s",
        )
        if args.command is None:
            parser.print_help()
            return 0
        _use_cache_dir(args)
        return int(args.func(args) or 0)
    except KeyboardInterrupt as stop:
        # Ctrl-C or SIGTERM: the workers are terminated (ntlib.parallel) and
        # files are written whole or not at all, so nothing is left
        # half-written; say so in one line, with the shell's code.  A second
        # signal from here on exits at once.
        if _in_main_thread():
            signal.signal(signal.SIGINT, _exit_now)
            signal.signal(signal.SIGTERM, _exit_now)
        from ntlib.parallel import stop_pools

        stop_pools()
        terminated = isinstance(stop, Terminated)
        print(
            f"interrupted: {args.command or 'ntlib'} stopped by "
            f"{'SIGTERM' if terminated else 'Ctrl-C'}; nothing was saved unfinished",
            file=sys.stderr,
        )
        return EXIT_TERMINATED if terminated else EXIT_INTERRUPTED
    except (ValueError, TypeError, FileNotFoundError, RuntimeError) as error:
        # Bad input and missing prerequisites are the reader's to fix: say what
        # was wrong and what to do, without a stack trace (-v shows it).
        if getattr(args, "verbose", False):
            logging.getLogger("ntlib").exception("the stack trace, for -v")
        print(f"error: {_one_line(error, args)}", file=sys.stderr)
        return 2
