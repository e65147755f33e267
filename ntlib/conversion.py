"""ANN-to-SNN conversion: normalise a trained ReLU network's weights.

See chapter ``ann_to_snn``.

Chapter ``ann_to_snn`` turns a trained ReLU network into a spiking one: every ReLU
becomes an integrate-and-fire neuron with reset by subtraction, and weights are
normalised layer by layer from the activations on training data (by their maximum or
their 99.9th percentile; a QCFS activation brings its own trained threshold).  A
:class:`~ntlib.modulation.ModulatoryBias` survives conversion as a constant current
injected into the neurons behind it, which is what makes neuromodulatory tuning of a
spiking network possible (chapter ``nt_in_snn``).  Running the converted network is
:mod:`ntlib.snn`'s.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator

import snntorch as snn
import torch
from torch import nn
from torch.utils.data import Dataset

from ntlib.checks import check_choice, check_finite, check_int
from ntlib.modulation import ModulatoryBias
from ntlib.qcfs import QCFS
from ntlib.snn import SpikingNetwork
from ntlib.snn_checks import (
    AFFINE,
    SPIKING,
    as_images,
    check_convertible,
    run_checked,
)

__all__ = ["NORMS", "activation_scales", "convert"]

NORMS: tuple[str, ...] = ("max", "p99.9")


@torch.no_grad()
def activation_scales(
    model: nn.Sequential,
    data: Dataset | torch.Tensor,
    norm: str = "p99.9",
    max_samples: int = 2048,
    nonzero: bool = False,
) -> list[float]:
    """The normalisation scale of every ReLU: the max or 99.9th percentile (ch. 5).

    Activations are recorded on up to ``max_samples`` samples of ``data``
    (training data: the test set never tunes the converter).  The max is
    Diehl et al.'s (2015) normalisation; the percentile is Rueckauer et al.'s
    (2017).  ``nonzero=False`` takes the percentile over all activations, the
    zeros of silent ReLUs included; ``nonzero=True`` over the positive ones
    only, as Rueckauer et al.'s SNN toolbox does, which gives a larger scale
    when most activations are zero (the max is the same either way).  A
    :class:`QCFS` activation's scale is its trained threshold ``lambda``,
    whatever ``norm`` says: its output never exceeds it.

    Example:
        >>> net = nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.ReLU(),
        ...                     nn.Linear(3, 2))
        >>> x = torch.rand(64, 1, 2, 2)
        >>> all_ = activation_scales(net, x)[0]
        >>> all_ <= activation_scales(net, x, nonzero=True)[0]
        True
    """
    check_choice("norm", norm, NORMS)
    if not isinstance(nonzero, bool):
        raise TypeError(
            f"nonzero must be True or False, got {nonzero!r}; True takes the "
            "percentile over the positive activations only"
        )
    modules = check_convertible(model)
    x = as_images(data, max_samples)
    scales = []
    was_training = model.training
    model.eval()
    image_shape = tuple(x.shape[1:])
    for index, module in enumerate(modules):
        x = run_checked(module, x, index, image_shape)
        if isinstance(module, QCFS):
            scales.append(float(module.threshold.detach()))
        elif isinstance(module, nn.ReLU):
            flat = x.reshape(-1)
            if nonzero:
                flat = flat[flat > 0]
            if flat.numel() == 0:  # a ReLU silent on every sample
                scale = 0.0
            elif norm == "max":
                scale = float(flat.max())
            else:  # torch.quantile accepts at most 2**24 values: sort instead
                ordered = flat.sort().values
                scale = float(
                    ordered[min(len(ordered) - 1, int(0.999 * (len(ordered) - 1)))]
                )
            scales.append(max(scale, 1e-6))
    model.train(was_training)
    return scales


def _scaled_param(source: torch.Tensor, factor: float) -> nn.Parameter:
    return nn.Parameter(source.detach() * factor, requires_grad=source.requires_grad)


def _neuron_follows(modules: list[nn.Module], index: int) -> bool:
    """Whether a ReLU or QCFS follows ``index``, maybe behind a ``ModulatoryBias``."""
    following = modules[index + 1 : index + 3]
    return any(isinstance(m, SPIKING) for m in following[:1]) or (
        len(following) == 2
        and isinstance(following[0], ModulatoryBias)
        and isinstance(following[1], SPIKING)
    )


def _scaled_affine(module: nn.Module, scale_in: float, scale_out: float) -> nn.Module:
    """A copy of a Conv2d/Linear with weights times ``scale_in / scale_out``."""
    layer = copy.deepcopy(module)
    layer.weight = _scaled_param(module.weight, scale_in / scale_out)
    if module.bias is not None:
        layer.bias = _scaled_param(module.bias, 1.0 / scale_out)
    return layer


def _spiking_layers(
    modules: list[nn.Module], scales: Iterator[float], beta: float, spike_grad
) -> list[nn.Module]:
    """The converted layers: scaled weights, injected currents, IF/LIF neurons."""
    layers: list[nn.Module] = []
    scale_in = 1.0
    for index, module in enumerate(modules):
        if isinstance(module, AFFINE):
            scale_out = next(scales) if _neuron_follows(modules, index) else 1.0
            layers.append(_scaled_affine(module, scale_in, scale_out))
            scale_in = scale_out
        elif isinstance(module, ModulatoryBias):
            current = ModulatoryBias(tuple(module.modulatory_bias.shape))
            current.modulatory_bias = _scaled_param(
                module.modulatory_bias, 1.0 / scale_in
            )
            layers.append(current)
        elif isinstance(module, SPIKING):
            layers.append(
                snn.Leaky(
                    beta=beta,
                    threshold=1.0,
                    spike_grad=spike_grad,
                    reset_mechanism="subtract",
                )
            )
        elif not isinstance(module, (nn.Dropout, nn.Identity)):
            layers.append(copy.deepcopy(module))
    return layers


def convert(
    model: nn.Sequential,
    calibration_data: Dataset | torch.Tensor,
    norm: str = "p99.9",
    beta: float = 1.0,
    initial_membrane: float = 0.5,
    spike_grad=None,
    max_samples: int = 2048,
    nonzero: bool = False,
) -> SpikingNetwork:
    """Convert a trained ReLU or QCFS network into a spiking network.

    See chapter ``ann_to_snn``.

    Each ReLU (or :class:`QCFS` activation) becomes an snntorch ``Leaky`` neuron
    (``beta=1``: integrate and fire) with threshold 1 and reset by subtraction.
    Layer ``l``'s weights are multiplied by ``lambda_(l-1) / lambda_l`` and its
    biases (the layer's own and any ``ModulatoryBias`` behind it, which becomes a
    constant injected current) divided by ``lambda_l``, where ``lambda_l`` is the
    max or 99.9th percentile of the ReLU's activations on ``calibration_data``, or a
    QCFS activation's trained threshold (inputs are assumed in [0, 1]:
    ``lambda_0 = 1``); ``nonzero`` picks the percentile over all or only the
    positive activations (see :func:`activation_scales`).  Membranes start at
    ``initial_membrane`` times the threshold: one half is QCFS's shift.
    ``requires_grad`` is carried over from each source parameter, so a network
    prepared for NT or TFT stays so.

    Example:
        >>> net = nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.ReLU(),
        ...                     nn.Linear(3, 2))
        >>> spiking = convert(net, torch.rand(64, 1, 2, 2))
        >>> spiking(torch.rand(5, 1, 2, 2), timesteps=16).shape
        torch.Size([5, 2])
    """
    check_choice("norm", norm, NORMS)
    beta = check_finite("beta", beta)
    if not 0.0 < beta <= 1.0:
        raise ValueError(f"beta must be in (0, 1], got {beta}")
    check_finite("initial_membrane", initial_membrane)
    check_int("max_samples", max_samples, minimum=1)
    modules = check_convertible(model)
    scales = iter(
        activation_scales(model, calibration_data, norm, max_samples, nonzero)
    )
    sample = as_images(calibration_data, 1)
    layers = _spiking_layers(modules, scales, beta, spike_grad)
    return SpikingNetwork(
        nn.Sequential(*layers), tuple(sample.shape[1:]), initial_membrane
    )
