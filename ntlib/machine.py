"""What the machine provides: can ngspice be loaded?.

Preface, chapters ``analog_neuron``-``energy``.

PySpice drives ngspice through its shared library ``libngspice.so``, which
Debian ships in ``libngspice0-dev``; the ``ngspice`` package holds the
``spinit`` script that the library reads when it starts.  This module finds
both and opens the library the way PySpice will, without starting ngspice,
so a missing install is reported in words, not as a cffi stack trace.
"""

from __future__ import annotations

import ctypes.util
import glob
import os
import shutil
import sys
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
    """Where ngspice's pieces were found, or ``None`` for a missing one.

    ``problem`` says why the library PySpice would load cannot be used (for
    example a set ``NGSPICE_LIBRARY_PATH`` naming a missing file).
    """

    library: str | None
    spinit: str | None
    problem: str | None = None

    @property
    def available(self) -> bool:
        return self.library is not None and self.spinit is not None and not self.problem

    def describe(self) -> str:
        if self.available:
            return f"ngspice found: {self.library} (init script {self.spinit})"
        if self.problem:
            return self.problem
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


def pyspice_library_name() -> str:
    """The name PySpice 1.5 hands to ``dlopen`` for its first ngspice instance.

    PySpice reads ``NGSPICE_LIBRARY_PATH`` once, when
    ``PySpice.Spice.NgSpice.Shared`` is imported, else uses ``libngspice{}.so``;
    either is formatted with an empty instance id.  If PySpice is already
    imported, its recorded value wins (a later change of the variable does
    not reach it).
    """
    shared = sys.modules.get("PySpice.Spice.NgSpice.Shared")
    recorded = getattr(getattr(shared, "NgSpiceShared", None), "LIBRARY_PATH", None)
    if isinstance(recorded, str):
        template = recorded
    else:
        template = os.environ.get("NGSPICE_LIBRARY_PATH", "libngspice{}.so")
    try:
        return template.format("")
    except (IndexError, KeyError, ValueError):
        return template


def _load_problem(name: str) -> str | None:
    """Why ``dlopen(name)`` fails or gives no ngspice, or ``None`` if it loads.

    This is the load PySpice does (cffi's ``dlopen`` of the same name); the
    library is only mapped into the process, ngspice is not started.
    """
    try:
        library = ctypes.CDLL(name)
    except OSError as error:
        return str(error).splitlines()[0]
    if not hasattr(library, "ngSpice_Init"):
        return "it loads but has no ngSpice_Init: it is not ngspice's shared library"
    return None


def _library_path(name: str) -> str | None:
    """Where ``dlopen(name)`` would find the library, or ``None`` if nowhere."""
    if os.sep in name:
        return name
    search = [
        os.path.join(folder, name)
        for folder in os.environ.get("LD_LIBRARY_PATH", "").split(os.pathsep)
        if folder
    ]
    library = next((p for p in search if os.path.exists(p)), None)
    library = library or _first(_LIBRARY_GLOBS)
    if library is None:
        found = ctypes.util.find_library("ngspice")
        # find_library may return libngspice.so.0 (libngspice0 only): PySpice
        # asks for libngspice.so, so only a name without a version counts.
        if found and found.endswith(".so"):
            library = found
    return library


def _spinit_path() -> str | None:
    """ngspice's init script: under ``SPICE_LIB_DIR`` if set, else installed."""
    spinit = _first(_SPINIT_GLOBS)
    spice_lib_dir = os.environ.get("SPICE_LIB_DIR")
    if spice_lib_dir:
        candidate = os.path.join(spice_lib_dir, "scripts", "spinit")
        spinit = candidate if os.path.isfile(candidate) else None
    elif spinit is None and shutil.which("ngspice"):
        prefix = os.path.dirname(os.path.dirname(shutil.which("ngspice") or ""))
        candidate = os.path.join(prefix, "share", "ngspice", "scripts", "spinit")
        spinit = candidate if os.path.exists(candidate) else None
    return spinit


def ngspice_status() -> NgspiceStatus:
    """Report whether ngspice can be loaded, the way PySpice will load it.

    Introduced in the preface ("The toolbox").  The library checked is the
    one PySpice will open (see :func:`pyspice_library_name`):
    ``NGSPICE_LIBRARY_PATH`` when it is set, else ``libngspice.so`` from the
    system's library path.  It is opened with ``dlopen`` (without starting
    ngspice), so a missing file, a dangling link or a file that is not a
    library is reported here, in words, rather than later as a cffi error.

    Example:
        >>> ngspice_status().available in (True, False)
        True
    """
    name = pyspice_library_name()
    if not name.strip():
        return NgspiceStatus(
            library=None,
            spinit=None,
            problem=(
                "ngspice cannot be loaded: NGSPICE_LIBRARY_PATH is set but empty; "
                "point it at ngspice's libngspice.so or unset it"
            ),
        )
    library = _library_path(name)
    problem = None
    if library is not None:
        reason = _load_problem(name)
        if reason is not None:
            setting = os.environ.get("NGSPICE_LIBRARY_PATH")
            where = f"NGSPICE_LIBRARY_PATH={setting}" if setting else name
            problem = (
                f"ngspice cannot be loaded from {where}: {reason}. Point "
                "NGSPICE_LIBRARY_PATH at ngspice's libngspice.so or unset it, and "
                f"install ngspice with: {INSTALL_COMMAND} (as root, after apt-get "
                "update)"
            )
    return NgspiceStatus(library=library, spinit=_spinit_path(), problem=problem)


def require_ngspice() -> NgspiceStatus:
    """Raise :class:`NgspiceNotFoundError` with the install command if ngspice is missing.

    Every function that starts a SPICE simulation calls this first (the
    ``circuit`` command before its sweep, and
    ``ntlib.circuits.simulate.ngspice_instance`` before PySpice opens the
    library), so a library PySpice could not load is a one-line error.
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

    versions = {"python": platform.python_version()}
    for name in ("ntlib", *STACK):  # ntlib's installed version: no import cycle
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
