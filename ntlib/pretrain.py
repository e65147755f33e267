"""Pretraining on the source task, with a cache on disk (chapter 1).

A source model is trained once per configuration and kept under
``$NTLIB_CACHE_DIR`` (else ``~/.cache/ntlib``), so every later chapter and
command starts from the same frozen network.
"""

from __future__ import annotations

import hashlib
import logging
import os
import warnings
from pathlib import Path

import torch
from torch import nn

from ntlib.data import TransferTask
from ntlib.models import DEFAULT_WIDTH, build_cnn
from ntlib.qcfs import calibrate_thresholds, check_activation
from ntlib.train import fit

logger = logging.getLogger(__name__)

#: Default pretraining epochs on the source task.
DEFAULT_PRETRAIN_EPOCHS = 40
#: Bump when the architecture or the pretraining recipe changes (new cache keys).
CACHE_VERSION = 1


def default_cache_dir() -> Path:
    """``$NTLIB_CACHE_DIR`` if set, else ``~/.cache/ntlib``."""
    return Path(os.environ.get("NTLIB_CACHE_DIR", "~/.cache/ntlib")).expanduser()


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
    """
    path = cache_path(task, width, epochs, seed, cache_dir, activation, levels)

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
    if levels is not None:
        calibrate_thresholds(model, task.source_train.tensors[0][:1024])
    fit(model, task.source_train, epochs=epochs, seed=seed, progress=progress)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(model.state_dict(), tmp)
    tmp.replace(path)
    logger.info("saved pretrained source model to %s", path)
    return model.eval()
