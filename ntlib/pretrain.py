"""Pretraining on the source task, with a cache on disk (chapter 1).

A source model is trained once per configuration and kept under
``$NTLIB_CACHE_DIR`` (else ``~/.cache/ntlib``), so every later chapter and
command starts from the same frozen network.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
import warnings
from collections.abc import Iterable
from pathlib import Path

import torch
from torch import nn

from ntlib.checks import check_int, check_seed
from ntlib.data import TransferTask
from ntlib.models import DEFAULT_WIDTH, build_cnn
from ntlib.parallel import map_processes
from ntlib.qcfs import calibrate_thresholds, check_activation
from ntlib.train import fit

logger = logging.getLogger(__name__)

#: Default pretraining epochs on the source task.
DEFAULT_PRETRAIN_EPOCHS = 40
#: Bump when the architecture or the pretraining recipe changes (new cache keys).
CACHE_VERSION = 1


def default_cache_dir() -> Path:
    """``$NTLIB_CACHE_DIR`` if set and not empty, else ``~/.cache/ntlib``.

    An empty value counts as unset: it would otherwise put the cache in
    whatever folder the process runs in.
    """
    return Path(os.environ.get("NTLIB_CACHE_DIR") or "~/.cache/ntlib").expanduser()


class CacheDirError(ValueError):
    """The cache directory cannot hold the pretrained model (chapter 1)."""


def check_cache_dir(cache_dir: str | Path | None = None) -> Path:
    """The cache folder, created if needed, after checking that a file can be written.

    Called before any training, so that an unwritable ``$NTLIB_CACHE_DIR`` or
    ``--cache-dir`` is reported at once, not after minutes of pretraining.

    Raises:
        CacheDirError: (a ValueError) naming the folder and what to do.
    """
    folder = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
    advice = (
        "point --cache-dir or NTLIB_CACHE_DIR at a folder you can write, "
        "for example /tmp/ntlib-cache"
    )
    if folder.exists() and not folder.is_dir():
        raise CacheDirError(f"cache directory {folder} is not a folder; {advice}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".write-check-")
        os.close(fd)
        os.unlink(probe)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise CacheDirError(
            f"cache directory {folder} cannot be written ({reason}); {advice}"
        ) from None
    return folder


def save_atomically(state: dict, path: Path) -> None:
    """Write ``state`` with ``torch.save`` to ``path``, all or nothing.

    The bytes go to a new, uniquely named file in the same folder (created
    with ``O_EXCL``, so no file or link already there is ever followed) that
    then replaces ``path`` in one step.  Two processes saving the same entry
    at once both succeed, and one of the two complete files wins; an
    interruption leaves no partial file behind.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            torch.save(state, handle)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _source_fingerprint(task: TransferTask) -> str:
    """A short hash of the source training data, so equal sources share a cache."""
    digest = hashlib.sha256()
    x, y = task.source_train.tensors
    digest.update(x.numpy().tobytes())
    digest.update(y.numpy().tobytes())
    digest.update(repr((task.input_shape, task.num_classes)).encode())
    return digest.hexdigest()[:12]


def cache_path(
    task: TransferTask,
    width: int,
    epochs: int,
    seed: int,
    cache_dir: str | Path | None = None,
    activation: str = "relu",
    levels: int | None = None,
) -> Path:
    """Where :func:`pretrained_source_model` keeps this configuration's weights."""
    levels = check_activation(activation, levels)
    folder = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
    kind = "" if levels is None else f"-qcfs{levels}"
    name = (
        f"cnn-v{CACHE_VERSION}-{task.dataset}-{_source_fingerprint(task)}"
        f"-w{width}-e{epochs}-s{seed}{kind}.pt"
    )
    return folder / name


def pretrained_source_model(
    task: TransferTask,
    width: int = DEFAULT_WIDTH,
    epochs: int = DEFAULT_PRETRAIN_EPOCHS,
    seed: int = 0,
    cache_dir: str | Path | None = None,
    progress: bool = False,
    activation: str = "relu",
    levels: int | None = None,
) -> nn.Sequential:
    """A CNN trained on ``task``'s source task, from the disk cache when it fits.

    The cache key is the source data (a hash), the width, the epochs, the
    seed and the activation (with its levels).  Checkpoints load with ``weights_only=True``; a corrupt file is
    rebuilt with a warning.  Introduced in chapter 1.

    Args:
        task: the transfer task; only its source split is used.
        width: see :func:`build_cnn`.
        epochs: pretraining epochs.
        seed: seeds the initial weights and the batch order.
        cache_dir: defaults to :func:`default_cache_dir`.
        progress: show a progress bar while pretraining.
        activation: ``"relu"`` or ``"qcfs"`` (chapter 5), see :func:`build_cnn`.
        levels: the QCFS activation's number of steps.

    Returns:
        The model in eval mode, every parameter trainable.

    Raises:
        ValueError: ``epochs`` below 1 (an untrained network is never
            cached), a bad width or seed, or a cache folder that cannot be
            written (checked before training).
    """
    if not isinstance(task, TransferTask):
        raise TypeError(
            f"task must be a TransferTask (see ntlib.load_task), got "
            f"{type(task).__name__}"
        )
    check_int("width", width, minimum=1)
    check_int("epochs", epochs, minimum=1)
    check_seed("seed", seed)
    path = cache_path(task, width, epochs, seed, cache_dir, activation, levels)
    if path.exists() and not path.is_file():
        raise CacheDirError(
            f"cache entry {path} exists but is not a file; remove it or choose "
            "another --cache-dir"
        )

    def build() -> nn.Sequential:
        torch.manual_seed(seed)
        return build_cnn(task.input_shape, task.num_classes, width, activation, levels)

    model = build()
    if path.exists():
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
            model.load_state_dict(state)
            logger.info("loaded pretrained source model from %s", path)
            return model.eval()
        except Exception as error:  # noqa: BLE001 - any unreadable file is rebuilt
            warnings.warn(
                f"cached model {path} could not be read ({type(error).__name__}: "
                f"{error}); pretraining again and overwriting it",
                RuntimeWarning,
                stacklevel=2,
            )
            model = build()
    check_cache_dir(path.parent)
    if levels is not None:
        calibrate_thresholds(model, task.source_train.tensors[0][:1024])
    fit(model, task.source_train, epochs=epochs, seed=seed, progress=progress)
    save_atomically(model.state_dict(), path)
    logger.info("saved pretrained source model to %s", path)
    return model.eval()


#: One source network: (task, width, epochs, seed), as :func:`pretrained_source_model`
#: takes them.
SourceSpec = tuple[TransferTask, int, int, int]


def _pretrain(item: tuple[SourceSpec, str | Path | None]) -> None:
    (task, width, epochs, seed), cache_dir = item
    pretrained_source_model(task, width, epochs, seed, cache_dir)


def pretrained_sources(
    specs: Iterable[SourceSpec],
    processes: int = 1,
    cache_dir: str | Path | None = None,
) -> list[nn.Sequential]:
    """:func:`pretrained_source_model` for each ``(task, width, epochs, seed)``.

    Each network missing from the cache is pretrained once, even when several
    tasks share it (noise, rotate, blur and invert all start from the clean
    digits), in ``processes`` worker processes (:mod:`ntlib.parallel`); the
    widest first, as they take longest.  Each is seeded by its own ``seed``,
    so the networks are the same for any ``processes``.
    """
    specs = list(specs)
    missing: dict[Path, SourceSpec] = {}
    for task, width, epochs, seed in specs:
        path = cache_path(task, width, epochs, seed, cache_dir)
        if not path.is_file():
            missing.setdefault(path, (task, width, epochs, seed))
    order = sorted(missing.values(), key=lambda spec: -spec[1])
    map_processes(_pretrain, [(spec, cache_dir) for spec in order], processes)
    return [
        pretrained_source_model(task, width, epochs, seed, cache_dir)
        for task, width, epochs, seed in specs
    ]
