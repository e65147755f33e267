"""A disk cache for slow SPICE results (chapters 7-9).

A BSIM4 transient of the neuron costs about two seconds, so the chapters'
sweeps, Monte Carlo runs and explorer grid are kept on disk under
``$NTLIB_CACHE_DIR/circuits`` (else ``~/.cache/ntlib/circuits``), the same
root as the pretrained models of :mod:`ntlib.pretrain`.  The key is a hash of
everything that changes the result: the netlist text (which names every
component value and model file), the identity of the model files, the ntlib
version and the measurement's own name.  A stale entry cannot be reused:
changing any of these changes the key.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

#: Bumped when a measurement's definition changes without the netlist changing.
CACHE_VERSION = 1


def circuit_cache_dir() -> Path:
    """``$NTLIB_CACHE_DIR/circuits``, or ``~/.cache/ntlib/circuits`` (the models' folder)."""
    from ntlib.pretrain import default_cache_dir

    return default_cache_dir() / "circuits"


def cache_key(kind: str, *parts: Any) -> str:
    """A hash of ``kind`` and ``parts`` (strings, numbers, JSON-able values)."""
    from ntlib import __version__

    digest = hashlib.sha256()
    payload = json.dumps(
        [CACHE_VERSION, __version__, kind, *parts], sort_keys=True, default=str
    )
    digest.update(payload.encode())
    return f"{kind}-{digest.hexdigest()[:24]}"


def cached_json(key: str, compute: Callable[[], T]) -> T:
    """``compute()``'s JSON-able result, read from disk if ``key`` was computed before.

    Writes atomically (a temporary file renamed into place), so two processes
    computing the same key never leave a half-written entry.
    """
    path = circuit_cache_dir() / f"{key}.json"
    if path.is_file():
        try:
            return json.loads(path.read_text())
        except json.JSONDecodeError:
            path.unlink(missing_ok=True)
    value = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, suffix=".tmp", delete=False
    ) as handle:
        json.dump(value, handle, allow_nan=False)
        temporary = Path(handle.name)
    temporary.replace(path)
    return value
