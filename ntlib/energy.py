"""Energy per inference: the analog neuron against digital hardware.

See chapter ``energy``.

A digital accelerator spends one multiply and one add per synapse per
inference (a multiply-accumulate, MAC), plus the energy of reading its
weights and moving its activations through memory.  The analog neuron spends
energy per input spike that reaches a synapse (a *synaptic event*, whose
energy depends on the synapse's weight code), per output spike, and in
static power over the time an inference takes (the neurons' and the NT bias
sources').  The counts come from :mod:`ntlib.activity`, the codes from
:mod:`ntlib.quantise`, the per-event energies from SPICE; every figure here
comes with the assumptions that produced it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

# What a bias source can hold is the circuit's (chapter ``supply_voltage``'s characterisation);
# chapter ``energy`` reads it from here, next to the bias sources' power.
from ntlib.circuits.characterize import realisable_biases  # noqa: F401

if TYPE_CHECKING:
    from ntlib.activity import LayerActivity

#: Energy of one operation in picojoules, 45 nm CMOS at 0.9 V:
#: M. Horowitz, "Computing's energy problem (and what we can do about it)",
#: ISSCC 2014, pp. 10-14 (the table of arithmetic energies).
OPERATION_ENERGY_PJ: dict[str, dict[str, float]] = {
    "fp32": {"multiply": 3.7, "add": 0.9},
    "fp16": {"multiply": 1.1, "add": 0.4},
    "int32": {"multiply": 3.1, "add": 0.1},
    "int8": {"multiply": 0.2, "add": 0.03},
}
OPERATION_ENERGY_SOURCE = "Horowitz, ISSCC 2014, 45 nm, 0.9 V"
#: Bits of one number at each precision.
PRECISION_BITS: dict[str, int] = {"fp32": 32, "fp16": 16, "int32": 32, "int8": 8}

#: Energy of one 64-bit read in picojoules, 45 nm (Horowitz, ISSCC 2014):
#: caches of 8 KB, 32 KB and 1 MB, then DRAM (1.3-2.6 nJ; the low end here).
#: Each entry: (capacity in bytes, pJ per 64-bit access, label).
MEMORY_TIERS: tuple[tuple[float, float, str], ...] = (
    (8 * 1024, 10.0, "8 KB SRAM"),
    (32 * 1024, 20.0, "32 KB SRAM"),
    (1024 * 1024, 100.0, "1 MB SRAM"),
    (float("inf"), 1300.0, "DRAM"),
)
#: Horowitz's range for one 64-bit DRAM access, in picojoules.
DRAM_ACCESS_PJ_RANGE: tuple[float, float] = (1300.0, 2600.0)


@dataclass(frozen=True)
class Layer:
    """One layer of a network, described by what energy counting needs.

    Args:
        name: a label.
        macs: multiply-accumulates per inference (= synapses used once).
        neurons: output neurons of the layer (each may spike).
        params: weights and biases the layer stores.
        inputs: input values the layer reads per inference.
    """

    name: str
    macs: int
    neurons: int
    params: int = 0
    inputs: int = 0


def conv2d_layer(
    name: str,
    in_channels: int,
    out_channels: int,
    kernel: int,
    out_height: int,
    out_width: int,
) -> Layer:
    """A convolution: MACs = out positions x out channels x in channels x k^2.

    ``inputs`` assumes stride 1 and "same" padding (input as large as output).

    Example:
        >>> conv2d_layer("c", 1, 8, 3, 8, 8).macs
        4608
    """
    positions = out_height * out_width
    macs = positions * out_channels * in_channels * kernel * kernel
    params = out_channels * (in_channels * kernel * kernel + 1)
    inputs = in_channels * positions  # stride 1, "same" padding
    return Layer(name, macs, positions * out_channels, params, inputs)


def dense_layer(name: str, in_features: int, out_features: int) -> Layer:
    """A fully connected layer: MACs = in x out.

    Example:
        >>> dense_layer("fc", 64, 10).macs
        640
    """
    params = (in_features + 1) * out_features
    return Layer(name, in_features * out_features, out_features, params, in_features)


def layers_from_module(module: Any, input_shape: tuple[int, ...]) -> list[Layer]:
    """Count MACs and neurons of each ``Conv2d`` and ``Linear`` in a torch module.

    Runs one forward pass on zeros of ``(1, *input_shape)`` with hooks
    (chapter ``energy`` applies it to the book's CNN, ``ntlib.models.build_cnn``).
    Pooling, activations and biases are counted as free arithmetic; ``params``
    counts each layer's weights and biases, ``inputs`` the values it reads.

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
        params = sum(p.numel() for p in mod.parameters(recurse=False))
        inputs = int(inputs[0][0].numel())
        layers.append(Layer(name, outputs * fan_in, outputs, params, inputs))

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
    _check_precision(precision)
    ops = OPERATION_ENERGY_PJ[precision]
    macs = sum(layer.macs for layer in layers)
    return macs * (ops["multiply"] + ops["add"]) * 1e-12


def _check_precision(precision: str) -> None:
    if precision not in OPERATION_ENERGY_PJ:
        raise ValueError(
            f"unknown precision {precision!r}; "
            f"choose one of {sorted(OPERATION_ENERGY_PJ)}"
        )


def memory_tier(size_bytes: float) -> tuple[float, str]:
    """The smallest memory of :data:`MEMORY_TIERS` that holds ``size_bytes``.

    Returns its energy per 64-bit access (pJ) and its label (chapter ``energy``).

    Example:
        >>> memory_tier(20_000)
        (20.0, '32 KB SRAM')
    """
    if not size_bytes >= 0:
        raise ValueError(f"size_bytes must be >= 0, got {size_bytes!r}")
    for capacity, access_pj, label in MEMORY_TIERS:
        if size_bytes <= capacity:
            return access_pj, label
    raise AssertionError("unreachable: the last tier holds any size")


def _accesses(values: int, bits: int) -> int:
    """64-bit accesses that move ``values`` numbers of ``bits`` bits each."""
    return -(-values * bits // 64)


def memory_traffic(layers: Sequence[Layer], precision: str = "fp32") -> dict[str, Any]:
    """The memory accesses of one digital inference and their energy.

    See chapter ``energy``.

    What is counted (and nothing else):

    - weights: every stored parameter (weights and biases) is read once per
      inference, packed into 64-bit words, from the smallest memory of
      :data:`MEMORY_TIERS` that holds all of them; reuse across a
      convolution's positions comes from registers for free;
    - activations: every layer reads its input values once and writes its
      output values once, packed into 64-bit words, in the smallest memory
      that holds the largest layer's input and output together; a write
      costs what a read costs.

    Returns:
        A dict with ``weight_accesses``, ``weight_memory``,
        ``weight_access_pj``, ``activation_accesses``, ``activation_memory``,
        ``activation_access_pj`` and ``energy_j``.

    Example:
        >>> traffic = memory_traffic([dense_layer("fc", 64, 10)], "fp32")
        >>> traffic["weight_accesses"], traffic["activation_accesses"]
        (325, 37)
    """
    _check_precision(precision)
    bits = PRECISION_BITS[precision]
    params = sum(layer.params for layer in layers)
    if any(layer.params <= 0 or layer.inputs <= 0 for layer in layers):
        raise ValueError(
            "every layer needs params and inputs > 0 to count memory traffic; "
            "build the layers with layers_from_module or dense_layer"
        )
    weight_pj, weight_memory = memory_tier(params * bits / 8)
    largest = max(layer.inputs + layer.neurons for layer in layers)
    activation_pj, activation_memory = memory_tier(largest * bits / 8)
    weight_accesses = _accesses(params, bits)
    activation_accesses = sum(
        _accesses(layer.inputs, bits) + _accesses(layer.neurons, bits)
        for layer in layers
    )
    energy_pj = weight_accesses * weight_pj + activation_accesses * activation_pj
    return {
        "weight_accesses": weight_accesses,
        "weight_memory": weight_memory,
        "weight_access_pj": weight_pj,
        "activation_accesses": activation_accesses,
        "activation_memory": activation_memory,
        "activation_access_pj": activation_pj,
        "energy_j": energy_pj * 1e-12,
    }


def digital_rows(layers: Sequence[Layer], precision: str) -> dict[str, float]:
    """Digital energy per inference: arithmetic only, and with memory.

    See chapter ``energy``.

    Returns ``{"arithmetic_j": ..., "with_memory_j": ...}`` (see
    :func:`digital_energy_j` and :func:`memory_traffic`).
    """
    arithmetic = digital_energy_j(layers, precision)
    return {
        "arithmetic_j": arithmetic,
        "with_memory_j": arithmetic + memory_traffic(layers, precision)["energy_j"],
    }


def interpolate_bias_power_w(
    table: Mapping[float, float], biases_rheobase: np.ndarray
) -> np.ndarray:
    """Static power of NT bias sources from a tabulated ``{bias: power}``.

    Linear interpolation between the tabulated biases (rheobase units, both
    signs); a bias outside the table is an error naming its range.
    """
    keys = np.array(sorted(table), dtype=float)
    values = np.array([table[k] for k in sorted(table)], dtype=float)
    biases = np.asarray(biases_rheobase, dtype=float)
    if biases.size and (biases.min() < keys[0] or biases.max() > keys[-1]):
        raise ValueError(
            f"biases from {biases.min():.3g} to {biases.max():.3g} rheobase fall "
            f"outside the tabulated range [{keys[0]:.3g}, {keys[-1]:.3g}]; "
            "clip them to the range first"
        )
    return np.interp(biases, keys, values)


def bias_power_w(
    bias_power: Callable[[float], float] | Mapping[float, float],
    biases_rheobase: np.ndarray,
) -> np.ndarray:
    """Static power of each neuron's NT bias source (chapter ``energy``).

    ``bias_power`` is a callable (bias in rheobase units -> watts) or a
    table keyed by bias (interpolated, see :func:`interpolate_bias_power_w`).
    """
    biases = np.asarray(biases_rheobase, dtype=float)
    if callable(bias_power):
        return np.array([float(bias_power(float(b))) for b in biases.ravel()])
    return interpolate_bias_power_w(bias_power, biases.ravel())


def analog_breakdown_j(
    layers: Sequence[LayerActivity],
    synaptic_event_j: Mapping[int, float],
    spike_j: float,
    neuron_static_w: float,
    bias_static_w: float,
    inference_time_s: float,
) -> dict[str, float]:
    """Energy of one inference on the analog neurons, by part (chapter ``energy``).

    - ``events``: every layer's synaptic events, each at the energy of its
      synapse's weight code (``synaptic_event_j[code]``, all domains);
    - ``spikes``: every output spike at ``spike_j``;
    - ``neuron_static``: every neuron's static power over the inference;
    - ``bias_static``: the NT bias sources' total power ``bias_static_w``
      over the inference.

    Returns the four parts and their ``total``, in joules.

    Example:
        >>> from ntlib.activity import LayerActivity
        >>> layer = LayerActivity("d", 4, 2, 10.0, 3.0, {1: 6.0, -2: 4.0})
        >>> parts = analog_breakdown_j([layer], {1: 1e-13, -2: 2e-13}, 1e-12,
        ...                            1e-9, 2e-9, 1e-3)
        >>> round(parts["total"] * 1e12, 3)
        8.4
    """
    if inference_time_s <= 0:
        raise ValueError(f"inference_time_s must be > 0, got {inference_time_s!r}")
    if min(spike_j, neuron_static_w, bias_static_w) < 0:
        raise ValueError("energies and powers must be >= 0")
    events_j = 0.0
    for layer in layers:
        if not layer.events_by_code:
            raise ValueError(
                f"layer {layer.name} has no events by code; measure the activity "
                "with codes=quantise_layers(model)"
            )
        missing = set(layer.events_by_code) - set(synaptic_event_j)
        if missing:
            raise ValueError(
                f"no energy per event for weight codes {sorted(missing)}; "
                f"synaptic_event_j covers {sorted(synaptic_event_j)}"
            )
        events_j += sum(
            n * synaptic_event_j[c] for c, n in layer.events_by_code.items()
        )
    neurons = sum(layer.neurons for layer in layers)
    parts = {
        "events": events_j,
        "spikes": sum(layer.spikes for layer in layers) * spike_j,
        "neuron_static": neurons * neuron_static_w * inference_time_s,
        "bias_static": bias_static_w * inference_time_s,
    }
    parts["total"] = sum(parts.values())
    return parts
