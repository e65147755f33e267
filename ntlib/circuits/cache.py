"""A disk cache for slow SPICE results (chapters ``analog_neuron``-``energy``).

A BSIM4 transient of the neuron costs about two seconds, so the chapters'
sweeps, Monte Carlo runs and explorer grid are kept on disk in the
``circuits`` subfolder of the one cache folder of :mod:`ntlib.cache`
(``--cache-dir``, else ``$NTLIB_CACHE_DIR``, else ``~/.cache/ntlib``), beside
the pretrained models.  The key is a hash of everything that changes the
result: the netlist text (which names every component value and model file),
the identity of the model files, the ntlib version and the measurement's own
name.  A stale entry cannot be reused: changing any of these changes the key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ntlib.cache import (
    cache_root,
    check_cache_dir,
    check_entry_path,
    read_json_entry,
    write_atomically,
)

T = TypeVar("T")

#: Bumped when a measurement's definition or the entries' layout changes
#: without the netlist changing (2: entries are ``{"key": ..., "value": ...}``).
CACHE_VERSION = 2


def circuit_cache_dir(cache_dir: str | Path | None = None) -> Path:
    """The ``circuits`` subfolder of the cache root (see :mod:`ntlib.cache`)."""
    return cache_root(cache_dir) / "circuits"


def cache_key(kind: str, *parts: Any) -> str:
    """A hash of ``kind`` and ``parts`` (strings, numbers, JSON-able values)."""
    from ntlib import __version__

    digest = hashlib.sha256()
    payload = json.dumps(
        [CACHE_VERSION, __version__, kind, *parts], sort_keys=True, default=str
    )
    digest.update(payload.encode())
    return f"{kind}-{digest.hexdigest()[:24]}"


def cached_json(
    key: str, compute: Callable[[], T], cache_dir: str | Path | None = None
) -> T:
    """``compute()``'s JSON-able result, read from disk if ``key`` was computed before.

    The folder is checked before ``compute`` runs (one-line
    :class:`ntlib.cache.CacheDirError`), the entry is written atomically, and
    an entry that cannot be used (corrupt bytes, JSON of another shape) is
    named in a warning and computed again.
    """
    path = circuit_cache_dir(cache_dir) / f"{key}.json"
    check_entry_path(path)
    entry = read_json_entry(
        path,
        lambda entry: isinstance(entry, dict)
        and entry.get("key") == key
        and "value" in entry,
    )
    if entry is not None:
        return entry["value"]
    check_cache_dir(cache_dir, "circuits")
    value = compute()
    text = json.dumps({"key": key, "value": value}, allow_nan=False)
    write_atomically(path, text.encode())
    return value
