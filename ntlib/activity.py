"""Measured spikes and synaptic events per layer of a converted network.

See chapter ``energy``.

Energy on event-driven hardware is paid per event, so chapter ``energy`` counts them
on the spiking network of chapter ``ann_to_snn`` instead of assuming them.  In a
feed-forward network a synapse receives an *event* each time its
presynaptic neuron spikes: the events into a layer are the spikes of the
layer before it, each counted once per synapse it reaches.  The input
layer's presynaptic "neurons" are the pixels, which must then be spikes too
(rate coding: under direct coding the first layer reads analog values, not
events).

With the weight codes of :mod:`ntlib.quantise`, the events of each layer are
also split by the code of the synapse they arrive at, because an event's
energy on the analog synapse depends on its code.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import snntorch as snn
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from ntlib.quantise import QuantisedLayer, layer_name
from ntlib.snn import SpikingNetwork, check_timesteps, spread_through

_AFFINE = (nn.Conv2d, nn.Linear)


@dataclass(frozen=True)
class LayerActivity:
    """Measured activity of one ``Conv2d``/``Linear`` layer, per inference.

    Attributes:
        name: a short label of the layer.
        synapses: connections into the layer (zero padding makes none).
        neurons: the layer's output neurons.
        events: synaptic events per inference into the layer (spikes of the
            presynaptic neurons, each counted once per synapse it reaches).
        spikes: output spikes per inference of the layer's neurons (0 for
            the output layer, whose neurons integrate and are read out).
        events_by_code: events per inference split by the signed weight code
            of the synapse they arrive at (empty when no codes were given).
    """

    name: str
    synapses: int
    neurons: int
    events: float
    spikes: float
    events_by_code: dict[int, float] = field(default_factory=dict)

    @property
    def events_per_synapse(self) -> float:
        """Mean events per synapse per inference."""
        return self.events / self.synapses

    @property
    def spikes_per_neuron(self) -> float:
        """Mean output spikes per neuron per inference."""
        return self.spikes / self.neurons

    def mean_abs_code(self) -> float:
        """Event-weighted mean |weight code| (NaN when no codes were given)."""
        total = sum(self.events_by_code.values())
        if not self.events_by_code or total == 0:
            return float("nan")
        weighted = sum(abs(c) * n for c, n in self.events_by_code.items())
        return weighted / total


@dataclass(frozen=True)
class ActivityReport:
    """What :func:`measure_activity` measured (chapter ``energy``)."""

    timesteps: int
    coding: str
    samples: int
    accuracy: float
    layers: list[LayerActivity]

    def total_events(self) -> float:
        """Synaptic events per inference, all layers."""
        return sum(layer.events for layer in self.layers)

    def total_spikes(self) -> float:
        """Spikes per inference, all layers."""
        return sum(layer.spikes for layer in self.layers)


def _segments(network: SpikingNetwork) -> list[tuple[int, list[nn.Module], int | None]]:
    """One item per affine layer: (presynaptic, ops, neuron).

    ``presynaptic`` is 0 for the input and ``k`` for the ``k``-th spiking
    layer; ``ops`` are the modules from the presynaptic layer up to and
    including the affine; ``neuron`` is the position (from 1) of the spiking
    layer behind the affine, or None for the output layer.
    """
    segments: list[tuple[int, list[nn.Module], int | None]] = []
    presynaptic, ops, pending = 0, [], False
    for module in network.layers:
        if isinstance(module, snn.Leaky):
            presynaptic += 1
            if pending:
                source, affine_ops, _ = segments[-1]
                segments[-1] = (source, affine_ops, presynaptic)
            ops, pending = [], False
        elif isinstance(module, _AFFINE):
            if pending:
                raise ValueError(
                    "two Conv2d/Linear layers follow each other without a spiking "
                    "neuron between them; their events cannot be counted"
                )
            segments.append((presynaptic, [*ops, module], None))
            ops, pending = [], True
        else:
            ops.append(module)
    return segments


def _spread(ops: list[nn.Module], counts: torch.Tensor, weight: torch.Tensor | None):
    """Sum over synapses of presynaptic counts (see :func:`ntlib.snn.spread_through`)."""
    return float(spread_through(ops, counts, weight).sum())


@torch.no_grad()
def measure_activity(
    network: SpikingNetwork,
    dataset: Dataset,
    timesteps: int,
    coding: str = "rate",
    codes: Sequence[QuantisedLayer] | None = None,
    batch_size: int = 256,
    seed: int = 0,
) -> ActivityReport:
    """Measure spikes and synaptic events per layer per inference (chapter ``energy``).

    Runs ``network`` for ``timesteps`` steps on every sample of ``dataset``
    and counts, per ``Conv2d``/``Linear`` layer, the events arriving at its
    synapses and the spikes of its neurons, averaged over the samples.  With
    ``codes`` (one :class:`~ntlib.quantise.QuantisedLayer` per affine layer,
    in order) the events are also split by the code of their synapse.

    Example:
        >>> from ntlib.conversion import convert
        >>> net = nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.ReLU(),
        ...                     nn.Linear(3, 2))
        >>> data = torch.utils.data.TensorDataset(
        ...     torch.rand(16, 1, 2, 2), torch.zeros(16, dtype=torch.long))
        >>> report = measure_activity(convert(net, data), data, 8)
        >>> [layer.synapses for layer in report.layers]
        [12, 6]
    """
    if isinstance(timesteps, bool) or not isinstance(timesteps, int):
        raise ValueError(  # noqa: TRY004 - reported to the reader as a bad value
            f"timesteps must be one positive integer, got {timesteps!r}"
        )
    (steps,) = check_timesteps(timesteps)
    if coding != "rate":
        raise ValueError(
            f"synaptic events need spiking input, got coding {coding!r}: under "
            "direct coding the first layer reads analog pixels; use coding='rate'"
        )
    segments = _segments(network)
    affines = [m for m in network.layers if isinstance(m, _AFFINE)]
    _check_codes(codes, affines)
    totals, correct, samples = _count_spikes(
        network, dataset, steps, coding, batch_size, seed
    )
    layers = [
        _layer_activity(network, segment, module, totals, samples,
                        codes[index] if codes is not None else None)
        for index, (segment, module) in enumerate(zip(segments, affines))
    ]
    return ActivityReport(steps, coding, samples, correct / samples, layers)


def _check_codes(
    codes: Sequence[QuantisedLayer] | None, affines: list[nn.Module]
) -> None:
    """Raise unless ``codes`` has one layer of the right shape per affine layer."""
    if codes is None:
        return
    if len(codes) != len(affines):
        raise ValueError(
            f"codes has {len(codes)} layers but the network has "
            f"{len(affines)} Conv2d/Linear layers; pass quantise_layers(model)"
        )
    for layer, module in zip(codes, affines):
        if tuple(layer.codes.shape) != tuple(module.weight.shape):
            raise ValueError(
                f"codes of {layer.name} have shape {tuple(layer.codes.shape)}, "
                f"the network's weight {tuple(module.weight.shape)}"
            )


def _count_spikes(
    network: SpikingNetwork,
    dataset: Dataset,
    steps: int,
    coding: str,
    batch_size: int,
    seed: int,
) -> tuple[list[torch.Tensor | None], int, int]:
    """Spikes per position summed over the samples (pixels first), correct, total."""
    generator = torch.Generator().manual_seed(seed)
    totals: list[torch.Tensor | None] = [None] * (len(network.neurons()) + 1)
    correct = samples = 0
    network.eval()
    for x, y in DataLoader(dataset, batch_size=batch_size, shuffle=False):
        replay = torch.Generator().set_state(generator.get_state())
        record = network.simulate(x, steps, coding, generator, record_layers=True)
        pixels = torch.zeros_like(x)
        for _ in range(steps):  # the same draws simulate made, in the same order
            pixels += torch.bernoulli(x.clamp(0, 1), generator=replay)
        for position, counts in enumerate([pixels, *record.layer_counts[steps]]):
            summed = counts.sum(0, keepdim=True)
            previous = totals[position]
            totals[position] = summed if previous is None else previous + summed
        correct += int((record.outputs[steps].argmax(1) == y).sum())
        samples += len(y)
    if samples == 0:
        raise ValueError("the dataset is empty; nothing to measure")
    return totals, correct, samples


def _layer_activity(
    network: SpikingNetwork,
    segment: tuple[int, list[nn.Module], int | None],
    module: nn.Module,
    totals: list[torch.Tensor | None],
    samples: int,
    codes: QuantisedLayer | None,
) -> LayerActivity:
    """One affine layer's synapses, neurons, events and spikes per inference."""
    source, ops, neuron = segment
    presynaptic = totals[source]
    assert presynaptic is not None
    shape = presynaptic.shape
    synapses = round(_spread(ops, torch.ones(shape), None))
    by_code: dict[int, float] = {}
    if codes is not None:
        layer_codes = codes.codes
        for code in sorted(set(layer_codes.flatten().tolist())):
            weight = (layer_codes == code).to(torch.float32)
            by_code[int(code)] = _spread(ops, presynaptic, weight) / samples
    out_shape = network._shapes()[list(network.layers).index(module)]
    spikes = 0.0
    if neuron is not None:
        spikes = float(totals[neuron].sum()) / samples  # type: ignore[union-attr]
    return LayerActivity(
        name=layer_name(module),
        synapses=synapses,
        neurons=math.prod(out_shape),
        events=_spread(ops, presynaptic, None) / samples,
        spikes=spikes,
        events_by_code=by_code,
    )
