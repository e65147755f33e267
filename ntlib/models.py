"""A small CNN, pretrained on the source task and cached on disk (chapter 1).

The network is made only of ``Conv2d``, ``ReLU``, ``AvgPool2d``, ``Flatten``
and ``Linear`` layers (no batch-norm, no max-pooling), so that a later
chapter can convert it into a spiking network neuron for neuron.
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

logger = logging.getLogger(__name__)

#: Default number of filters of the first convolution.
DEFAULT_WIDTH = 16
#: Default pretraining epochs on the source task.
DEFAULT_PRETRAIN_EPOCHS = 40
#: Bump when the architecture or the pretraining recipe changes (new cache keys).
CACHE_VERSION = 1


def build_cnn(
    input_shape: tuple[int, int, int], num_classes: int, width: int = DEFAULT_WIDTH
) -> nn.Sequential:
    """Two 3x3 convolutions, a hidden dense layer and an output layer (chapter 1).

    ``conv(width) - relu - [pool] - conv(2 width) - relu - [pool] - flatten -
    linear(4 width) - relu - linear(num_classes)``.  A 2x2 average pooling
    follows a convolution only while the image is 12 pixels or wider, so 8x8
    digits keep their resolution and 28x28 images end at 7x7.

    Args:
        input_shape: ``(C, H, W)`` of one image.
        num_classes: outputs of the last layer.
        width: filters of the first convolution (the others scale with it).

    Example:
        >>> net = build_cnn((1, 8, 8), 10, width=16)
        >>> sum(p.numel() for p in net.parameters())
        136586
    """
    channels, height, width_px = (int(s) for s in input_shape)
    if width < 1 or num_classes < 1 or min(channels, height, width_px) < 1:
        raise ValueError(
            f"build_cnn needs positive sizes, got input_shape={input_shape}, "
            f"num_classes={num_classes}, width={width}"
        )
    layers: list[nn.Module] = []
    in_ch = channels
    for out_ch in (width, 2 * width):
        layers += [nn.Conv2d(in_ch, out_ch, 3, padding=1), nn.ReLU()]
        if height >= 12 and width_px >= 12:
            layers.append(nn.AvgPool2d(2))
            height, width_px = height // 2, width_px // 2
        in_ch = out_ch
    layers += [
        nn.Flatten(),
        nn.Linear(in_ch * height * width_px, 4 * width),
        nn.ReLU(),
        nn.Linear(4 * width, num_classes),
    ]
    return nn.Sequential(*layers)


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
) -> Path:
    """Where :func:`pretrained_source_model` keeps this configuration's weights."""
    folder = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
    name = (
        f"cnn-v{CACHE_VERSION}-{task.dataset}-{_source_fingerprint(task)}"
        f"-w{width}-e{epochs}-s{seed}.pt"
    )
    return folder / name


def pretrained_source_model(
    task: TransferTask,
    width: int = DEFAULT_WIDTH,
    epochs: int = DEFAULT_PRETRAIN_EPOCHS,
    seed: int = 0,
    cache_dir: str | Path | None = None,
    progress: bool = False,
) -> nn.Sequential:
    """A CNN trained on ``task``'s source task, from the disk cache when it fits.

    The cache key is the source data (a hash), the width, the epochs and the
    seed.  Checkpoints load with ``weights_only=True``; a corrupt file is
    rebuilt with a warning.  Introduced in chapter 1.

    Args:
        task: the transfer task; only its source split is used.
        width: see :func:`build_cnn`.
        epochs: pretraining epochs.
        seed: seeds the initial weights and the batch order.
        cache_dir: defaults to :func:`default_cache_dir`.
        progress: show a progress bar while pretraining.

    Returns:
        The model in eval mode, every parameter trainable.
    """
    from ntlib.train import fit  # train is higher up; imported only when needed

    path = cache_path(task, width, epochs, seed, cache_dir)
    torch.manual_seed(seed)
    model = build_cnn(task.input_shape, task.num_classes, width)
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
            torch.manual_seed(seed)
            model = build_cnn(task.input_shape, task.num_classes, width)
    fit(model, task.source_train, epochs=epochs, seed=seed, progress=progress)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(model.state_dict(), tmp)
    tmp.replace(path)
    logger.info("saved pretrained source model to %s", path)
    return model.eval()


#: Standard torchvision architectures compared in chapter 3, with input size.
ARCHITECTURES: dict[str, tuple[int, int, int]] = {
    "alexnet": (3, 224, 224),
    "vgg11": (3, 224, 224),
    "vgg16": (3, 224, 224),
    "resnet18": (3, 224, 224),
    "resnet50": (3, 224, 224),
    "mobilenet_v2": (3, 224, 224),
    "googlenet": (3, 224, 224),
    "inception_v3": (3, 299, 299),
}


def torchvision_model(arch: str) -> nn.Module:
    """A torchvision architecture built with random weights (nothing downloaded).

    Introduced in chapter 3.  ``arch`` is one of :data:`ARCHITECTURES`.
    """
    if arch not in ARCHITECTURES:
        raise ValueError(
            f"unknown architecture {arch!r}; valid names are: "
            f"{', '.join(ARCHITECTURES)}"
        )
    from torchvision import models as tv_models

    kwargs: dict[str, object] = {"weights": None}
    if arch in ("googlenet", "inception_v3"):
        kwargs.update(aux_logits=False, init_weights=False)
    return getattr(tv_models, arch)(**kwargs).eval()
