"""Entry point for ``python -m ntlib``."""

import os
import signal
import sys
import warnings


def _stopped_while_starting(signum: int, _frame: object) -> None:
    """Ctrl-C or SIGTERM while the libraries load: nothing has started, so exit.

    Exiting here, at once, keeps a library that catches the interrupt inside
    its own import (hashlib logs a traceback) from printing more than one line;
    this holds until every command's module, and the libraries it needs, is
    loaded.
    """
    name = "Ctrl-C" if signum == signal.SIGINT else "SIGTERM"
    os.write(2, f"interrupted: stopped by {name} while starting\n".encode())
    os._exit(128 + signum)


def _one_line_warning(message, category, filename, lineno, line=None) -> str:
    """A warning as the command line prints it: one line, no source excerpt."""
    return f"warning: {message}\n"


warnings.formatwarning = _one_line_warning

_WHILE_STARTING = {
    sig: signal.signal(sig, _stopped_while_starting)
    for sig in (signal.SIGINT, signal.SIGTERM)
    if signal.getsignal(sig) in (signal.default_int_handler, signal.SIG_DFL)
}

import importlib  # noqa: E402

from ntlib.cli import (  # noqa: E402
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    SUBCOMMANDS,
    exit_at_once,
    main,
)

for _module in SUBCOMMANDS:  # the commands' libraries (torch, PySpice) load here
    importlib.import_module(_module)
for _signal, _handler in _WHILE_STARTING.items():
    signal.signal(_signal, _handler)  # the command's own handling from here on

code = main()
if code in (EXIT_INTERRUPTED, EXIT_TERMINATED):
    exit_at_once(code)  # stopped: skip the libraries' slow teardown
sys.exit(code)
