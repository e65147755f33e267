"""Energy per inference: the analog neuron against digital multiply-accumulates (chapter 9).

A digital accelerator spends one multiply and one add per synapse per
inference (a multiply-accumulate, MAC).  The analog neuron spends energy per
input spike that reaches a synapse (a *synaptic event*, measured in SPICE)
and per output spike of each neuron (also measured).  Which is cheaper
depends on how many spikes an inference needs, so every figure here comes
with the assumptions that produced it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

#: Energy of one operation in picojoules, 45 nm CMOS at 0.9 V:
#: M. Horowitz, "Computing's energy problem (and what we can do about it)",
#: ISSCC 2014, pp. 10-14 (the table of arithmetic energies).
OPERATION_ENERGY_PJ: dict[str, dict[str, float]] = {
    "fp32": {"multiply": 3.7, "add": 0.9},
    "fp16": {"multiply": 1.1, "add": 0.4},
    "int32": {"multiply": 3.1, "add": 0.1},
    "int8": {"multiply": 0.2, "add": 0.03},
}
OPERATION_ENERGY_SOURCE = "Horowitz, ISSCC 2014, 45 nm, 0.9 V (arithmetic only)"


@dataclass(frozen=True)
class Layer:
    """One layer of a network, described by what energy counting needs.

    Args:
        name: a label.
        macs: multiply-accumulates per inference (= synapses used once).
        neurons: output neurons of the layer (each may spike).
    """

    name: str
    macs: int
    neurons: int


def conv2d_layer(
    name: str,
    in_channels: int,
    out_channels: int,
    kernel: int,
    out_height: int,
    out_width: int,
) -> Layer:
    """A convolution: MACs = out positions x out channels x in channels x k^2.

    Example:
        >>> conv2d_layer("c", 1, 8, 3, 8, 8).macs
        4608
    """
    positions = out_height * out_width
    macs = positions * out_channels * in_channels * kernel * kernel
    return Layer(name, macs, positions * out_channels)


def dense_layer(name: str, in_features: int, out_features: int) -> Layer:
    """A fully connected layer: MACs = in x out.

    Example:
        >>> dense_layer("fc", 64, 10).macs
        640
    """
    return Layer(name, in_features * out_features, out_features)


def digits_cnn_layers() -> list[Layer]:
    """The book's small CNN for 8x8 digit images, layer by layer (chapter 9).

    conv 1->8 (3x3, padding 1) on 8x8, 2x2 pooling to 4x4, conv 8->16 (3x3,
    padding 1) on 4x4, 2x2 pooling to 2x2, dense 64->32, dense 32->10.
    Pooling is counted as free (no MACs, no neurons of its own).
    """
    return [
        conv2d_layer("conv1 1->8, 3x3, 8x8", 1, 8, 3, 8, 8),
        conv2d_layer("conv2 8->16, 3x3, 4x4", 8, 16, 3, 4, 4),
        dense_layer("fc1 64->32", 64, 32),
        dense_layer("fc2 32->10", 32, 10),
    ]


def layers_from_module(module: Any, input_shape: tuple[int, ...]) -> list[Layer]:
    """Count MACs and neurons of each ``Conv2d`` and ``Linear`` in a torch module.

    Runs one forward pass on zeros of ``(1, *input_shape)`` with hooks
    (chapter 9 applies it to the book's CNN, ``ntlib.models.build_cnn``).
    Pooling, activations and biases are counted as free.

    Example:
        >>> import torch
        >>> net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 10))
        >>> [layer.macs for layer in layers_from_module(net, (1, 8, 8))]
        [640]
    """
    import torch

    layers: list[Layer] = []

    def hook(mod: Any, inputs: Any, output: Any) -> None:
        outputs = int(output[0].numel())
        if isinstance(mod, torch.nn.Conv2d):
            kh, kw = mod.kernel_size
            fan_in = mod.in_channels // mod.groups * kh * kw
            name = f"conv {mod.in_channels}->{mod.out_channels}, {kh}x{kw}"
            name += f", out {tuple(output.shape[2:])}"
        else:
            fan_in = mod.in_features
            name = f"dense {mod.in_features}->{mod.out_features}"
        layers.append(Layer(name, outputs * fan_in, outputs))

    handles = [
        m.register_forward_hook(hook)
        for m in module.modules()
        if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))
    ]
    try:
        with torch.no_grad():
            module(torch.zeros(1, *input_shape))
    finally:
        for handle in handles:
            handle.remove()
    return layers


def digital_energy_j(layers: Sequence[Layer], precision: str = "fp32") -> float:
    """Energy of one inference as MACs x (multiply + add) at ``precision``.

    Example:
        >>> round(digital_energy_j([dense_layer("fc", 10, 10)], "fp32") * 1e12, 3)
        460.0
    """
    if precision not in OPERATION_ENERGY_PJ:
        raise ValueError(
            f"unknown precision {precision!r}; choose one of {sorted(OPERATION_ENERGY_PJ)}"
        )
    ops = OPERATION_ENERGY_PJ[precision]
    macs = sum(layer.macs for layer in layers)
    return macs * (ops["multiply"] + ops["add"]) * 1e-12


def analog_energy_j(
    layers: Sequence[Layer],
    energy_per_synaptic_event_j: float,
    energy_per_spike_j: float,
    events_per_synapse: float,
    spikes_per_neuron: float,
) -> float:
    """Energy of one inference on the analog neuron (chapter 9).

    ``events_per_synapse`` input spikes reach every synapse per inference and
    every neuron fires ``spikes_per_neuron`` times; each event and each spike
    costs what SPICE measured.
    """
    if events_per_synapse < 0 or spikes_per_neuron < 0:
        raise ValueError("events_per_synapse and spikes_per_neuron must be >= 0")
    macs = sum(layer.macs for layer in layers)
    neurons = sum(layer.neurons for layer in layers)
    return (
        macs * events_per_synapse * energy_per_synaptic_event_j
        + neurons * spikes_per_neuron * energy_per_spike_j
    )


def compare(
    layers: Sequence[Layer],
    energy_per_synaptic_event_j: float,
    energy_per_spike_j: float,
    events_per_synapse: float,
    spikes_per_neuron: float,
    conditions: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Analog against digital energy per inference, with every assumption (chapter 9).

    Returns:
        A dict: ``macs``, ``neurons``, ``analog_j``, ``digital_j`` (by
        precision), ``ratio`` (digital / analog, by precision) and
        ``assumptions`` (a dict of every input and its source).
    """
    analog_j = analog_energy_j(
        layers,
        energy_per_synaptic_event_j,
        energy_per_spike_j,
        events_per_synapse,
        spikes_per_neuron,
    )
    digital = {p: digital_energy_j(layers, p) for p in OPERATION_ENERGY_PJ}
    assumptions: dict[str, Any] = {
        "network": ", ".join(layer.name for layer in layers),
        "digital energy per MAC": "multiply + add, " + OPERATION_ENERGY_SOURCE,
        "digital: memory and data movement": "not counted (favours digital)",
        "analog energy per synaptic event (J)": energy_per_synaptic_event_j,
        "analog energy per output spike (J)": energy_per_spike_j,
        "input spikes per synapse per inference": events_per_synapse,
        "output spikes per neuron per inference": spikes_per_neuron,
        "analog: spike routing and digital control": "not counted (favours analog)",
    }
    assumptions.update(conditions or {})
    return {
        "macs": sum(layer.macs for layer in layers),
        "neurons": sum(layer.neurons for layer in layers),
        "analog_j": analog_j,
        "digital_j": digital,
        "ratio": {
            p: e / analog_j if analog_j > 0 else float("inf")
            for p, e in digital.items()
        },
        "assumptions": assumptions,
    }
