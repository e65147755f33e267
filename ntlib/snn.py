"""Spiking networks run over time steps, and their evaluation (chapter ``ann_to_snn``).

A converted network (see :func:`ntlib.conversion.convert`) is a
:class:`SpikingNetwork` of affine layers, injected currents and
integrate-and-fire neurons.  It is run for ``T`` time steps with the input
given either as a constant current (direct coding) or as Poisson spikes (rate
coding); :func:`evaluate_snn` counts its accuracy, spikes and synaptic
operations at each ``T``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field

import snntorch as snn
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset

from ntlib.checks import check_choice, check_int, check_seed
from ntlib.snn_checks import (
    AFFINE,
    check_images,
    check_one_timesteps,
    check_timesteps,
)

__all__ = [
    "CODINGS",
    "SimulationRecord",
    "SpikingEvaluation",
    "SpikingNetwork",
    "check_one_timesteps",
    "check_timesteps",
    "evaluate_snn",
    "spread_through",
]

CODINGS: tuple[str, ...] = ("direct", "rate")


# ------------------------------------------------ chapter ``ann_to_snn``: synapses reached
def spread_through(
    ops: Sequence[nn.Module], h: torch.Tensor, weight: torch.Tensor | None = None
) -> torch.Tensor:
    """Pass spike counts ``h`` along the synapses of ``ops``.

    See chapters ``ann_to_snn`` and ``energy``.

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


@dataclass
class SimulationRecord:
    """What one simulation run counts, per checkpoint ``T`` (chapter ``ann_to_snn``)."""

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
    The network's output is the mean over time of its last layer (chapter
    ``ann_to_snn``).
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
        check_choice("coding", coding, CODINGS)
        checkpoints = check_timesteps(timesteps)
        check_images(x, self.input_shape, "x")
        record = SimulationRecord()
        total = 0.0
        spikes = torch.zeros(x.shape[0])
        synops = torch.zeros(x.shape[0])
        neurons = self.neurons()
        counts = [0.0] * len(neurons) if record_layers else None
        for neuron in neurons:
            neuron.reset_mem()
        for step in range(1, checkpoints[-1] + 1):
            drive = x
            if coding == "rate":
                drive = torch.bernoulli(x.clamp(0, 1), generator=generator)
                synops = synops + (drive * self._fan_outs[0]).flatten(1).sum(1)
            h, spikes, synops = self._step(drive, step == 1, spikes, synops, counts)
            total = total + h
            if step in checkpoints:
                record.outputs[step] = total / step
                record.spikes[step] = spikes.clone()
                record.synaptic_ops[step] = synops.clone()
                if counts is not None:
                    record.layer_counts[step] = [c.clone() for c in counts]
        for neuron in neurons:  # drop the batch-sized state held by each neuron
            neuron.mem = torch.zeros(0)
        return record

    def _step(
        self,
        h: torch.Tensor,
        first: bool,
        spikes: torch.Tensor,
        synops: torch.Tensor,
        counts: list | None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One time step through every layer: the output, spikes and synops so far.

        On the ``first`` step each neuron starts at ``initial_membrane`` times
        its threshold; ``counts`` (if kept) gains each neuron's spikes.
        """
        source = 1
        for module in self.layers:
            if not isinstance(module, snn.Leaky):
                h = module(h)
                continue
            mem = None
            if first:
                mem = torch.full_like(h, self.initial_membrane) * module.threshold
            h, _ = module(h, mem)
            out = h.detach()
            if counts is not None:
                counts[source - 1] = counts[source - 1] + out
            spikes = spikes + out.flatten(1).sum(1)
            synops = synops + (out * self._fan_outs[source]).flatten(1).sum(1)
            source += 1
        return h, spikes, synops

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


@dataclass
class SpikingEvaluation:
    """Accuracy and activity of a spiking network at each ``T``.

    See chapter ``ann_to_snn``.
    """

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
        >>> from ntlib.conversion import convert
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
    check_choice("coding", coding, CODINGS)
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
