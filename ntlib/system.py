"""What the machine provides: can ngspice be loaded? (preface, chapters 7-9).

PySpice drives ngspice through its shared library ``libngspice.so``, which
Debian ships in ``libngspice0-dev``; the ``ngspice`` package holds the
``spinit`` script that the library reads when it starts.  This module finds
both without starting ngspice, so a missing install is reported in words,
not as a ctypes stack trace.
"""

from __future__ import annotations

import ctypes.util
import glob
import os
import shutil
from dataclasses import dataclass

INSTALL_COMMAND = "apt-get install ngspice libngspice0-dev"

_LIBRARY_GLOBS = (
    "/usr/lib/*/libngspice.so",
    "/usr/lib/libngspice.so",
    "/usr/local/lib/libngspice.so",
    "/usr/lib64/libngspice.so",
)
_SPINIT_GLOBS = (
    "/usr/share/ngspice/scripts/spinit",
    "/usr/local/share/ngspice/scripts/spinit",
    "/usr/lib/*/ngspice/spinit",
)


class NgspiceNotFoundError(RuntimeError):
    """ngspice's shared library or its init script is not installed."""


@dataclass(frozen=True)
class NgspiceStatus:
    """Where ngspice's pieces were found, or ``None`` for a missing one."""

    library: str | None
    spinit: str | None

    @property
    def available(self) -> bool:
        return self.library is not None and self.spinit is not None

    def describe(self) -> str:
        if self.available:
            return f"ngspice found: {self.library} (init script {self.spinit})"
        missing = []
        if self.library is None:
            missing.append("the shared library libngspice.so (package libngspice0-dev)")
        if self.spinit is None:
            missing.append("the init script spinit (package ngspice)")
        return (
            "ngspice cannot be loaded: missing "
            + " and ".join(missing)
            + f". Install it with: {INSTALL_COMMAND}"
            + " (as root, after apt-get update)"
        )


def _first(patterns: tuple[str, ...]) -> str | None:
    for pattern in patterns:
        hits = sorted(glob.glob(pattern))
        if hits:
            return hits[0]
    return None


def ngspice_status() -> NgspiceStatus:
    """Report whether ngspice can be loaded, without loading it.

    Introduced in the preface ("The toolbox").  ``NGSPICE_LIBRARY_PATH``, the
    variable PySpice itself honours, takes precedence for the library.

    Example:
        >>> ngspice_status().available in (True, False)
        True
    """
    library = os.environ.get("NGSPICE_LIBRARY_PATH")
    if library and not os.path.exists(library):
        library = None
    library = library or _first(_LIBRARY_GLOBS)
    if library is None:
        found = ctypes.util.find_library("ngspice")
        # find_library may return libngspice.so.0 (libngspice0 only): PySpice
        # asks for libngspice.so, so only a name without a version counts.
        if found and found.endswith(".so"):
            library = found
    spinit = _first(_SPINIT_GLOBS)
    if spinit is None and shutil.which("ngspice"):
        prefix = os.path.dirname(os.path.dirname(shutil.which("ngspice") or ""))
        candidate = os.path.join(prefix, "share", "ngspice", "scripts", "spinit")
        spinit = candidate if os.path.exists(candidate) else None
    return NgspiceStatus(library=library, spinit=spinit)


def require_ngspice() -> NgspiceStatus:
    """Raise :class:`NgspiceNotFoundError` with the install command if ngspice is missing.

    Every function that starts a SPICE simulation calls this first.
    """
    status = ngspice_status()
    if not status.available:
        raise NgspiceNotFoundError(status.describe())
    return status


STACK = ("torch", "torchvision", "snntorch", "PySpice", "numpy", "matplotlib")


def stack_versions() -> dict[str, str]:
    """Installed version of Python, ntlib and each package of the book's stack.

    Shown in the preface; a package that is not installed reads ``"missing"``.

    Example:
        >>> "torch" in stack_versions()
        True
    """
    import importlib.metadata
    import platform

    from ntlib import __version__

    versions = {"python": platform.python_version(), "ntlib": __version__}
    for name in STACK:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "missing"
    return versions


def quiet_pyspice() -> None:
    """Keep PySpice's start-up chatter off stderr.

    PySpice 1.5 logs "Unsupported Ngspice version 39" with Debian 12's ngspice;
    the simulation is unaffected, so only errors are let through.
    """
    import logging

    logging.getLogger("PySpice").setLevel(logging.ERROR)
