"""The one disk cache of pretrained models and SPICE results.

See chapters ``frozen_cnn`` and ``analog_neuron``-``calibration``.

Pretrained networks (:mod:`ntlib.pretrain`) and circuit simulations
(:mod:`ntlib.circuits.cache`, in the ``circuits`` subfolder) share one root
folder: ``--cache-dir`` (which the command line hands on as
``NTLIB_CACHE_DIR``), else ``$NTLIB_CACHE_DIR``, else ``~/.cache/ntlib``.
This module is the bottom of the package: it imports nothing from ntlib.

- :func:`check_cache_dir` checks the folder before any work, so that a folder
  that cannot hold the results is one line naming it, not a traceback after
  minutes of training or simulation.
- :func:`write_atomically` writes an entry all or nothing: a temporary file
  in the same folder, renamed into place, removed on every failure.
- :func:`read_json_entry` reads an entry back, or warns (naming the file) and
  returns ``None`` for an unreadable or wrong-shaped one, so it is rebuilt.

Folders the cache creates get mode 0755 and entries 0644 whatever the umask:
the results are not secret, and nobody else may plant an entry in them.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import pwd
import secrets
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: The environment variable naming the cache folder (``--cache-dir`` sets it).
CACHE_DIR_ENV = "NTLIB_CACHE_DIR"
#: Subfolders of the cache root that commands write to.
SUBFOLDERS = ("circuits",)
#: Modes of the folders and files the cache creates (not affected by the umask).
FOLDER_MODE = 0o755
FILE_MODE = 0o644
#: Below this much free space the folder counts as full (a network is ~0.1-1 MB).
MIN_FREE_BYTES = 1 << 20

_ADVICE = (
    "point --cache-dir or NTLIB_CACHE_DIR at a folder you can write, "
    "for example /tmp/ntlib-cache"
)


class CacheDirError(ValueError):
    """The cache folder or an entry in it cannot be used (chapter ``frozen_cnn``)."""


def home_folder() -> Path:
    """The user's home folder: ``$HOME`` if absolute, else the password database's.

    An empty or relative ``HOME`` would put the cache at ``/.cache/ntlib`` or
    under whatever folder the process runs in, so it is not trusted.
    """
    home = os.environ.get("HOME", "")
    if os.path.isabs(home):
        return Path(home)
    try:
        entry = pwd.getpwuid(os.getuid()).pw_dir
    except KeyError:
        entry = ""
    if not os.path.isabs(entry) or entry == "/":
        raise CacheDirError(
            f"no home folder for the cache: HOME is {home!r} and the user has no "
            f"home in the password database; set NTLIB_CACHE_DIR or --cache-dir "
            "to a folder you can write, for example /tmp/ntlib-cache"
        )
    return Path(entry)


def default_cache_dir() -> Path:
    """``$NTLIB_CACHE_DIR`` if set and not empty, else ``~/.cache/ntlib``.

    An empty value counts as unset: it would otherwise put the cache in
    whatever folder the process runs in.
    """
    chosen = os.environ.get(CACHE_DIR_ENV)
    if chosen:
        return Path(chosen).expanduser()
    return home_folder() / ".cache" / "ntlib"


def cache_root(cache_dir: str | Path | None = None) -> Path:
    """``cache_dir`` (``~`` expanded) if given, else :func:`default_cache_dir`."""
    return Path(cache_dir).expanduser() if cache_dir else default_cache_dir()


def _reason(error: OSError) -> str:
    if error.errno == errno.ENAMETOOLONG:
        return "the path or one of its names is too long"
    if error.errno == errno.ENOSPC:
        return "no space left on the disk"
    return error.strerror or type(error).__name__


def _shown(path: Path) -> str:
    """``path`` for a one-line message (a very long one is shortened in the middle)."""
    text = str(path).replace("\n", "\\n")
    if len(text) <= 300:
        return text
    return f"{text[:150]}...{text[-140:]} ({len(text)} characters)"


def make_folder(folder: Path) -> None:
    """Create ``folder`` and its missing parents with :data:`FOLDER_MODE`."""
    missing = []
    current = folder
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):
            path.mkdir()
            os.chmod(path, FOLDER_MODE)  # the umask (even 000) does not widen it


def check_cache_dir(
    cache_dir: str | Path | None = None, subfolder: str | None = None
) -> Path:
    """The cache root, created if needed, after checking it can hold entries.

    The root, an existing ``circuits`` subfolder and ``subfolder`` (created
    if needed) must be writable folders on a disk with at least
    :data:`MIN_FREE_BYTES` free.  Called before any training or simulation.

    Raises:
        CacheDirError: (a ValueError) one line naming the folder and what to do.

    Example:
        >>> check_cache_dir("/tmp/ntlib-doctest-cache").name
        'ntlib-doctest-cache'
    """
    folder = cache_root(cache_dir)
    target = folder
    try:
        wanted = {*SUBFOLDERS, subfolder} - {None}
        for target in (folder, *(folder / name for name in sorted(wanted))):
            if target != folder and target.name != subfolder and not target.exists():
                continue  # made when first needed
            if target.exists() and not target.is_dir():
                raise CacheDirError(
                    f"cache directory {_shown(target)} is not a folder; remove it or "
                    f"{_ADVICE}"
                )
            make_folder(target)
            probe = target / f".write-check-{os.getpid()}-{secrets.token_hex(4)}"
            write_atomically(probe, b"\0" * 512)
            probe.unlink()
        stats = os.statvfs(folder)
        free = stats.f_bavail * stats.f_frsize
        if free < MIN_FREE_BYTES:
            raise CacheDirError(
                f"cache directory {_shown(folder)} has no space left ({free // 1024} "
                f"KiB free); free some space or {_ADVICE}"
            )
    except OSError as error:
        raise CacheDirError(
            f"cache directory {_shown(target)} cannot be written ({_reason(error)}); "
            f"{_ADVICE}"
        ) from None
    return folder


#: Temporary files this process is writing: a worker stopped by a signal
#: removes them before it exits (:func:`remove_unfinished_writes`).
_UNFINISHED: set[str] = set()


def remove_unfinished_writes() -> None:
    """Delete the temporary files of writes this process has not finished."""
    for name in list(_UNFINISHED):
        with contextlib.suppress(OSError):
            os.unlink(name)


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path``, all or nothing.

    The bytes go to a new, uniquely named file in the same folder (created
    with ``O_EXCL``, so no file or link already there is followed) that then
    replaces ``path`` in one step.  On any failure (a full disk, a folder at
    ``path``, an interrupt) the temporary file is removed.

    Raises:
        CacheDirError: an OSError, as one line naming ``path``.
    """
    path = Path(path)
    unique = f"{os.getpid()}.{secrets.token_hex(4)}"
    temporary = str(path.parent / f".{path.name}.{unique}.tmp")
    _UNFINISHED.add(temporary)
    try:
        check_entry_path(path)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
        finally:
            os.chmod(temporary, FILE_MODE)
        os.replace(temporary, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(error, OSError):
            raise CacheDirError(
                f"cache entry {_shown(path)} could not be written ({_reason(error)}); "
                f"{_ADVICE}"
            ) from None
        raise
    finally:
        _UNFINISHED.discard(temporary)


def check_entry_path(path: Path) -> None:
    """Refuse an entry path that exists but is not a file (a folder, a device)."""
    if path.exists() and not path.is_file():
        raise CacheDirError(
            f"cache entry {_shown(path)} exists but is not a file; remove it or "
            f"{_ADVICE}"
        )


def read_json_entry(
    path: Path, valid: Callable[[Any], bool] = lambda value: True
) -> Any | None:
    """The JSON value in ``path``, or ``None`` if absent, unreadable or not ``valid``.

    A file that exists but cannot be used (random bytes, cut short, valid
    JSON of the wrong shape) is named in a RuntimeWarning; the caller then
    computes the entry again and overwrites it.
    """
    if not path.is_file():
        return None
    try:
        value = json.loads(path.read_bytes())
        if valid(value):
            return value
        problem = f"holds a {type(value).__name__}, not a cache entry"
    except (ValueError, OSError) as error:  # bad JSON, bad UTF-8, unreadable
        problem = f"cannot be read ({type(error).__name__})"
    warnings.warn(
        f"cache entry {_shown(path)} {problem}; computing it again and overwriting it",
        RuntimeWarning,
        stacklevel=3,
    )
    return None
