"""Checks of what the spiking-network functions are given (chapter ``ann_to_snn``).

Time steps, batches of images, calibration data and the layers a converter
can read: :mod:`ntlib.conversion` and :mod:`ntlib.snn` call these first, so
that a mistake is reported in one sentence naming the argument rather than
from inside torch.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from ntlib.checks import first_line
from ntlib.modulation import ModulatoryBias
from ntlib.qcfs import QCFS

#: Layers with weights, and layers a spike passes through unchanged in kind.
AFFINE = (nn.Conv2d, nn.Linear)
#: Activations that become integrate-and-fire neurons (chapter ``ann_to_snn``).
SPIKING = (nn.ReLU, QCFS)
PASS_THROUGH = (nn.AvgPool2d, nn.Flatten, nn.Dropout, nn.Identity)
_ADVICE = {
    "MaxPool2d": "max-pooling has no rate equivalent; use nn.AvgPool2d",
    "AdaptiveMaxPool2d": "max-pooling has no rate equivalent; use nn.AvgPool2d",
    "Sigmoid": "only ReLU maps to a firing rate; use nn.ReLU",
    "Tanh": "only ReLU maps to a firing rate; use nn.ReLU",
    "GELU": "only ReLU maps to a firing rate; use nn.ReLU",
    "LeakyReLU": "negative rates do not exist; use nn.ReLU",
    "BatchNorm2d": "fold it into the preceding convolution, or train without it",
    "BatchNorm1d": "fold it into the preceding linear layer, or train without it",
    "ModulatoryGain": "fold it into the weights first with "
    "ntlib.modulation.fold_modulatory_biases",
}
_SUPPORTED = "Conv2d, Linear, ReLU, QCFS, AvgPool2d, Flatten, Dropout, ModulatoryBias"


def check_timesteps(timesteps: int | Sequence[int]) -> list[int]:
    """Validate one or several numbers of time steps; returns them as a sorted list.

    Raises a TypeError for anything but an integer or a sequence of integers
    (``2.5``, ``"8"``, ``[[4]]``) and a ValueError for an empty list or a
    number below 1.
    """
    expected = "time steps must be a positive integer or a list of them (8 or [8, 16])"
    if isinstance(timesteps, numbers.Integral) and not isinstance(timesteps, bool):
        values = [timesteps]
    elif isinstance(timesteps, str | bytes) or not isinstance(timesteps, Iterable):
        raise TypeError(f"{expected}, got {timesteps!r}")
    else:
        values = list(timesteps)
    for t in values:
        if isinstance(t, bool) or not isinstance(t, numbers.Integral):
            raise TypeError(f"{expected}, got {timesteps!r}")
    if not values or any(t <= 0 for t in values):
        raise ValueError(
            f"time steps must be positive integers (for example 8,16,32), "
            f"got {timesteps!r}"
        )
    return sorted({int(t) for t in values})


def check_one_timesteps(timesteps: int) -> int:
    """Validate a single number of time steps (an integer of at least 1)."""
    if isinstance(timesteps, bool) or not isinstance(timesteps, numbers.Integral):
        raise TypeError(
            f"timesteps must be one positive integer here, got {timesteps!r}"
        )
    if timesteps < 1:
        raise ValueError(f"timesteps must be at least 1, got {timesteps}")
    return int(timesteps)


def check_images(x: object, input_shape: tuple[int, ...], name: str) -> None:
    """Raise if ``x`` is not a batch of images of ``input_shape``."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if tuple(x.shape[1:]) != tuple(input_shape) or x.shape[0] == 0:
        raise ValueError(
            f"{name} must be a non-empty batch of images of shape {input_shape} "
            f"(the network's input), got shape {tuple(x.shape)}"
        )


def check_convertible(model: nn.Sequential) -> list[nn.Module]:
    if not isinstance(model, nn.Sequential):
        raise ValueError(  # noqa: TRY004 - the command line reports ValueErrors
            f"the converter reads an nn.Sequential, got {type(model).__name__}"
        )
    modules = list(model)
    for index, module in enumerate(modules):
        if isinstance(module, (*AFFINE, *PASS_THROUGH, *SPIKING, ModulatoryBias)):
            continue
        name = type(module).__name__
        advice = _ADVICE.get(name, f"supported layers: {_SUPPORTED}")
        raise ValueError(f"layer {index} ({name}) cannot be converted: {advice}")
    for index, module in enumerate(modules):
        if isinstance(module, ModulatoryBias) and (
            index == 0 or not isinstance(modules[index - 1], AFFINE)
        ):
            raise ValueError(
                f"layer {index} (ModulatoryBias) must follow a Conv2d or Linear"
            )
    return modules


def as_images(data: Dataset | torch.Tensor, max_samples: int) -> torch.Tensor:
    if isinstance(data, torch.Tensor):
        x = data[:max_samples]
    elif isinstance(data, Dataset):
        if len(data) == 0:  # type: ignore[arg-type]
            x = torch.zeros(0)
        else:
            batch = next(iter(DataLoader(data, batch_size=max_samples, shuffle=False)))
            x = batch[0] if isinstance(batch, list | tuple) else batch
    else:
        raise TypeError(
            "calibration data must be a torch.Tensor of images or a Dataset of "
            f"(image, label) pairs, got {type(data).__name__}"
        )
    if x.ndim < 2 or x.shape[0] == 0:
        raise ValueError(
            f"calibration data must hold at least one image, got shape "
            f"{tuple(x.shape)}; pass training images, e.g. task.source_train"
        )
    return x


def run_checked(
    module: nn.Module, x: torch.Tensor, index: int, image_shape: tuple[int, ...]
) -> torch.Tensor:
    """``module(x)``, with a shape mismatch reported as a ValueError in words."""
    try:
        return module(x)
    except RuntimeError as error:
        raise ValueError(
            f"images of shape {image_shape} do not fit layer {index} "
            f"({type(module).__name__}) of the model: {first_line(error)}; give "
            "images of the shape the model was built for"
        ) from None
