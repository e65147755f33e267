"""ANN-to-SNN conversion and evaluation over time steps (chapter 5).

Chapter 5 turns a trained ReLU network into a spiking one: every ReLU becomes
an integrate-and-fire neuron with reset by subtraction, weights are normalised
layer by layer from the activations on training data (by their maximum or
their 99.9th percentile; a QCFS activation brings its own trained threshold),
and the network is run for ``T`` time steps with the
input given either as a constant current (direct coding) or as Poisson spikes
(rate coding).  A :class:`~ntlib.tuning.ModulatoryBias` survives conversion as
a constant current injected into the neurons behind it, which is what makes
neuromodulatory tuning of a spiking network possible (chapter 6).
"""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field

import snntorch as snn
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset

from ntlib.checks import check_finite, check_int, check_seed
from ntlib.qcfs import QCFS
from ntlib.snn_checks import (
    AFFINE,
    SPIKING,
    as_images,
    check_convertible,
    check_images,
    check_one_timesteps,
    check_timesteps,
    run_checked,
)
from ntlib.tuning import ModulatoryBias

__all__ = [
    "CODINGS",
    "NORMS",
    "SimulationRecord",
    "SpikingEvaluation",
    "SpikingNetwork",
    "activation_scales",
    "check_one_timesteps",
    "check_timesteps",
    "convert",
    "evaluate_snn",
    "spread_through",
]

NORMS: tuple[str, ...] = ("max", "p99.9")
CODINGS: tuple[str, ...] = ("direct", "rate")


# ----------------------------------------------------- chapter 5: conversion
def _check_choice(name: str, value: str, valid: Sequence[str]) -> None:
    if value not in valid:
        raise ValueError(f"unknown {name} {value!r}; valid: {', '.join(valid)}")


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
    _check_choice("norm", norm, NORMS)
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


def spread_through(
    ops: Sequence[nn.Module], h: torch.Tensor, weight: torch.Tensor | None = None
) -> torch.Tensor:
    """Pass spike counts ``h`` along the synapses of ``ops`` (chapters 5 and 9).

    Each ``Conv2d``/``Linear`` uses 0/1 synapses (``weight`` replaces them
    when given), and pooling passes a spike on to every pooled position at
    full strength, so the sum of the result counts synaptic operations.
    """
    for op in ops:
        if isinstance(op, nn.AvgPool2d):
            k = (
                op.kernel_size
                if isinstance(op.kernel_size, tuple)
                else (op.kernel_size, op.kernel_size)
            )
            h = F.avg_pool2d(h, op.kernel_size, op.stride, op.padding) * k[0] * k[1]
        elif isinstance(op, nn.Conv2d):
            w = torch.ones_like(op.weight) if weight is None else weight
            h = F.conv2d(h, w, None, op.stride, op.padding, op.dilation, op.groups)
        elif isinstance(op, nn.Linear):
            h = F.linear(h, torch.ones_like(op.weight) if weight is None else weight)
        elif isinstance(op, nn.Flatten):
            h = op(h)
    return h


def _fan_out(ops: list[nn.Module], shape: tuple[int, ...]) -> torch.Tensor:
    """Synapses reached by one spike at each position of a layer's output."""
    x = torch.ones((1, *shape), requires_grad=True)
    h = spread_through(ops, x)
    if h is x:
        return torch.zeros(shape)
    h.sum().backward()
    return x.grad[0].detach()


def _scaled_param(source: torch.Tensor, factor: float) -> nn.Parameter:
    return nn.Parameter(source.detach() * factor, requires_grad=source.requires_grad)


@dataclass
class SimulationRecord:
    """What one simulation run counts, per checkpoint ``T`` (chapter 5)."""

    outputs: dict[int, torch.Tensor] = field(default_factory=dict)
    spikes: dict[int, torch.Tensor] = field(default_factory=dict)
    synaptic_ops: dict[int, torch.Tensor] = field(default_factory=dict)
    #: spike count of every neuron, one tensor per spiking layer (if recorded)
    layer_counts: dict[int, list[torch.Tensor]] = field(default_factory=dict)


class SpikingNetwork(nn.Module):
    """A converted network: affine layers, injected currents and IF/LIF neurons.

    ``layers`` is an ``nn.Sequential`` of ``Conv2d``/``Linear`` (normalised
    weights), ``ModulatoryBias`` (a constant injected current), snntorch
    ``Leaky`` neurons (beta 1: integrate-and-fire) and pass-through layers.
    The network's output is the mean over time of its last layer (chapter 5).
    """

    def __init__(
        self,
        layers: nn.Sequential,
        input_shape: tuple[int, ...],
        initial_membrane: float = 0.5,
    ) -> None:
        super().__init__()
        self.layers = layers
        self.input_shape = tuple(input_shape)
        self.initial_membrane = initial_membrane
        modules = list(layers)
        sources = [-1] + [i for i, m in enumerate(modules) if isinstance(m, snn.Leaky)]
        shapes = self._shapes()
        self._fan_outs: list[torch.Tensor] = []
        for source in sources:
            ops = []
            for op in modules[source + 1 :]:
                ops.append(op)
                if isinstance(op, AFFINE):
                    break
            if not any(isinstance(op, AFFINE) for op in ops):
                ops = []
            shape = self.input_shape if source < 0 else shapes[source]
            self._fan_outs.append(_fan_out(ops, shape))

    @torch.no_grad()
    def _shapes(self) -> list[tuple[int, ...]]:
        h = torch.zeros((1, *self.input_shape))
        shapes = []
        for module in self.layers:
            h = module(h) if not isinstance(module, snn.Leaky) else h
            shapes.append(tuple(h.shape[1:]))
        return shapes

    def neurons(self) -> list[snn.Leaky]:
        """The spiking neurons, in order."""
        return [m for m in self.layers if isinstance(m, snn.Leaky)]

    def num_neurons(self) -> int:
        """Number of spiking neurons (one per ReLU unit of the source network)."""
        shapes = self._shapes()
        return sum(
            math.prod(shapes[i])
            for i, m in enumerate(self.layers)
            if isinstance(m, snn.Leaky)
        )

    def simulate(
        self,
        x: torch.Tensor,
        timesteps: int | Sequence[int],
        coding: str = "direct",
        generator: torch.Generator | None = None,
        record_layers: bool = False,
    ) -> SimulationRecord:
        """Run ``max(timesteps)`` steps from rest; record outputs at each checkpoint.

        Every neuron is reset with its own ``reset_mem()`` and started at
        ``initial_membrane`` times its threshold, so the same input gives the
        same output twice in a row.  Outputs are the mean over time of the
        last layer; spikes and synaptic operations are per sample.  With
        ``record_layers`` the spike count of every neuron is kept too.
        """
        _check_choice("coding", coding, CODINGS)
        checkpoints = check_timesteps(timesteps)
        check_images(x, self.input_shape, "x")
        record = SimulationRecord()
        batch = x.shape[0]
        total = 0.0
        spikes = torch.zeros(batch)
        synops = torch.zeros(batch)
        neurons = self.neurons()
        counts = [0.0] * len(neurons)
        for neuron in neurons:
            neuron.reset_mem()
        for step in range(1, checkpoints[-1] + 1):
            if coding == "rate":
                drive = torch.bernoulli(x.clamp(0, 1), generator=generator)
                synops = synops + (drive * self._fan_outs[0]).flatten(1).sum(1)
            else:
                drive = x
            h, source = drive, 1
            for module in self.layers:
                if isinstance(module, snn.Leaky):
                    mem = None
                    if step == 1:
                        mem = (
                            torch.full_like(h, self.initial_membrane) * module.threshold
                        )
                    h, _ = module(h, mem)
                    if record_layers:
                        counts[source - 1] = counts[source - 1] + h.detach()
                    spikes = spikes + h.detach().flatten(1).sum(1)
                    synops = synops + (h.detach() * self._fan_outs[source]).flatten(
                        1
                    ).sum(1)
                    source += 1
                else:
                    h = module(h)
            total = total + h
            if step in checkpoints:
                record.outputs[step] = total / step
                record.spikes[step] = spikes.clone()
                record.synaptic_ops[step] = synops.clone()
                if record_layers:
                    record.layer_counts[step] = [c.clone() for c in counts]
        for neuron in neurons:  # drop the batch-sized state held by each neuron
            neuron.mem = torch.zeros(0)
        return record

    def forward(
        self, x: torch.Tensor, timesteps: int = 32, coding: str = "direct"
    ) -> torch.Tensor:
        """Mean output over ``timesteps`` steps (logits for the classifier).

        ``timesteps`` is one integer here; :meth:`simulate` takes several.
        """
        if isinstance(timesteps, bool) or not isinstance(timesteps, numbers.Integral):
            raise TypeError(
                "timesteps must be one positive integer when calling the network, "
                f"got {timesteps!r}; use simulate() for several checkpoints"
            )
        steps = check_one_timesteps(timesteps)
        return self.simulate(x, steps, coding).outputs[steps]


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
    """Convert a trained ReLU or QCFS network into a spiking network (chapter 5).

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
    _check_choice("norm", norm, NORMS)
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
    layers: list[nn.Module] = []
    scale_in = 1.0
    for index, module in enumerate(modules):
        if isinstance(module, AFFINE):
            following = modules[index + 1 : index + 3]
            relu_next = any(isinstance(m, SPIKING) for m in following[:1]) or (
                len(following) == 2
                and isinstance(following[0], ModulatoryBias)
                and isinstance(following[1], SPIKING)
            )
            scale_out = next(scales) if relu_next else 1.0
            layer = copy.deepcopy(module)
            layer.weight = _scaled_param(module.weight, scale_in / scale_out)
            if module.bias is not None:
                layer.bias = _scaled_param(module.bias, 1.0 / scale_out)
            layers.append(layer)
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
        elif isinstance(module, (nn.Dropout, nn.Identity)):
            continue
        else:
            layers.append(copy.deepcopy(module))
    return SpikingNetwork(
        nn.Sequential(*layers), tuple(sample.shape[1:]), initial_membrane
    )


@dataclass
class SpikingEvaluation:
    """Accuracy and activity of a spiking network at each ``T`` (chapter 5)."""

    coding: str
    accuracy: dict[int, float]
    spikes_per_inference: dict[int, float]
    synaptic_ops_per_inference: dict[int, float]


@torch.no_grad()
def evaluate_snn(
    network: SpikingNetwork,
    dataset: Dataset,
    timesteps: int | Sequence[int] = (8, 16, 32, 64, 128),
    coding: str = "direct",
    batch_size: int = 512,
    seed: int = 0,
) -> SpikingEvaluation:
    """Accuracy, spikes and synaptic operations per inference for each ``T``.

    One simulation to the largest ``T`` yields every smaller checkpoint.
    Synaptic operations count each spike once per synapse it reaches
    (input spikes included under rate coding; under direct coding the first
    layer reads analog pixels and is not counted).

    Example:
        >>> net = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
        >>> data = torch.utils.data.TensorDataset(torch.rand(8, 1, 2, 2),
        ...                                       torch.zeros(8, dtype=torch.long))
        >>> evaluate_snn(convert(net, data), data, [4]).coding
        'direct'
    """
    if not isinstance(network, SpikingNetwork):
        raise TypeError(
            f"network must be a SpikingNetwork (see convert), got "
            f"{type(network).__name__}"
        )
    if isinstance(dataset, torch.Tensor) or not isinstance(dataset, Dataset):
        raise TypeError(
            "dataset must be a Dataset of (image, label) pairs such as a "
            f"TensorDataset, got {type(dataset).__name__}; wrap images and labels "
            "with torch.utils.data.TensorDataset(x, y)"
        )
    if len(dataset) == 0:  # type: ignore[arg-type]
        raise ValueError("cannot evaluate on an empty data set")
    checkpoints = check_timesteps(timesteps)
    _check_choice("coding", coding, CODINGS)
    check_int("batch_size", batch_size, minimum=1)
    check_seed("seed", seed)
    generator = torch.Generator().manual_seed(seed)
    correct = {t: 0 for t in checkpoints}
    spikes = {t: 0.0 for t in checkpoints}
    synops = {t: 0.0 for t in checkpoints}
    count = 0
    network.eval()
    for x, y in DataLoader(dataset, batch_size=batch_size, shuffle=False):
        record = network.simulate(x, checkpoints, coding, generator)
        for t in checkpoints:
            correct[t] += int((record.outputs[t].argmax(1) == y).sum())
            spikes[t] += float(record.spikes[t].sum())
            synops[t] += float(record.synaptic_ops[t].sum())
        count += len(y)
    return SpikingEvaluation(
        coding=coding,
        accuracy={t: correct[t] / count for t in checkpoints},
        spikes_per_inference={t: spikes[t] / count for t in checkpoints},
        synaptic_ops_per_inference={t: synops[t] / count for t in checkpoints},
    )
