"""Pretraining on the source task, with a cache on disk (chapter ``frozen_cnn``).

A source model is trained once per configuration and kept in the cache
folder of :mod:`ntlib.cache` (``--cache-dir``, else ``$NTLIB_CACHE_DIR``,
else ``~/.cache/ntlib``), so every later chapter and
command starts from the same frozen network.
"""

from __future__ import annotations

import hashlib
import io
import logging
import warnings
from collections.abc import Iterable
from pathlib import Path

import torch
from torch import nn

from ntlib.cache import (  # noqa: F401 - the cache's names, as chapter ``frozen_cnn`` imports them
    CacheDirError,
    cache_root,
    check_cache_dir,
    check_entry_path,
    default_cache_dir,
    write_atomically,
)
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


def save_atomically(state: dict, path: Path) -> None:
    """Write ``state`` with ``torch.save`` to ``path``, all or nothing.

    The bytes are serialised in memory first, so that a full disk is the
    one-line :class:`~ntlib.cache.CacheDirError` naming ``path`` of
    :func:`ntlib.cache.write_atomically` (not an error from inside torch);
    an interruption leaves no partial or temporary file behind.
    """
    buffer = io.BytesIO()
    torch.save(state, buffer)
    write_atomically(path, buffer.getvalue())


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
    folder = cache_root(cache_dir)
    kind = "" if levels is None else f"-qcfs{levels}"
    name = (
        f"cnn-v{CACHE_VERSION}-{task.dataset}-{_source_fingerprint(task)}"
        f"-w{width}-e{epochs}-s{seed}{kind}.pt"
    )
    return folder / name


def _load_cached(model: nn.Module, path: Path) -> bool:
    """Load ``path`` into ``model``; False (with a warning) if it cannot be read."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        model.load_state_dict(state)
    except Exception as error:  # noqa: BLE001 - any unreadable file is rebuilt
        warnings.warn(
            f"cached model {path} could not be read ({type(error).__name__}: "
            f"{error}); pretraining again and overwriting it",
            RuntimeWarning,
            stacklevel=3,
        )
        return False
    logger.info("loaded pretrained source model from %s", path)
    return True


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
    seed and the activation (with its levels).  Checkpoints load with
    ``weights_only=True``; a corrupt file is rebuilt with a warning.  Introduced in
    chapter ``frozen_cnn``.

    Args:
        task: the transfer task; only its source split is used.
        width: see :func:`build_cnn`.
        epochs: pretraining epochs.
        seed: seeds the initial weights and the batch order.
        cache_dir: defaults to :func:`default_cache_dir`.
        progress: show a progress bar while pretraining.
        activation: ``"relu"`` or ``"qcfs"`` (chapter ``ann_to_snn``), see
            :func:`build_cnn`.
        levels: the QCFS activation's number of steps.

    Returns the model in eval mode, every parameter trainable.  Raises a
    ValueError for ``epochs`` below 1 (an untrained network is never cached),
    a bad width or seed, or a cache folder that cannot be written (checked
    before training).
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
    check_entry_path(path)

    def build() -> nn.Sequential:
        torch.manual_seed(seed)
        return build_cnn(task.input_shape, task.num_classes, width, activation, levels)

    model = build()
    if path.exists():
        if _load_cached(model, path):
            return model.eval()
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
