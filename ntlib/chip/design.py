"""Mapping a (tuned) network onto a chip of analog neurons (chapter ``chip``).

:func:`design_chip` maps a network onto the circuit once:

* every ``Conv2d``/``Linear`` weight becomes a signed 3-bit code
  (:mod:`ntlib.quantise`), one unit source per code step;
* layer ``l`` must move a membrane by ``w_l = s_l lambda_(l-1) / lambda_l``
  thresholds per code step (``s_l`` the quantisation step, ``lambda`` the
  conversion scales of chapter ``ann_to_snn``, ``lambda_0 = 1`` for pixels): the layer's
  excitatory and inhibitory supplies are set so that the measured circuit
  gains (:class:`~ntlib.chip.circuit_model.CircuitModel`) equal ``w_l``;
* every neuron's bias (the layer's own plus the NT bias, divided by
  ``lambda_l``) is a current: ``b / (STEP_S / tau)`` rheobases, clipped and
  snapped to what the bias sources hold
  (:func:`ntlib.circuits.characterize.realisable_biases`), then turned into
  the two bias supplies on an 8-bit grid (the bias bank of one task);
* the output layer spikes too, its scale the 99.9th percentile of the
  positive logits; the class read out is the neuron with most spikes (ties:
  the higher membrane at the end).

Running a design is :mod:`ntlib.chip.simulator`'s; its energy is
:mod:`ntlib.chip.cost`'s.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import nn

from ntlib.chip.circuit_model import CircuitModel
from ntlib.circuits.characterize import realisable_biases
from ntlib.conversion import activation_scales
from ntlib.modulation import Modulator, ModulatoryBias, ModulatoryGain
from ntlib.qcfs import QCFS
from ntlib.quantise import QuantisedLayer, quantise_layers

#: Resolution of a bias supply: an 8-bit setting of 0-1.8 V.
BIAS_DAC_BITS = 8
BIAS_DAC_FULL_SCALE_V = 1.8


@dataclass
class ChipLayer:
    """One layer of analog neurons, as designed."""

    name: str
    codes: torch.Tensor
    conv: dict | None
    out_shape: tuple[int, ...]
    #: the circuit gain: thresholds a membrane moves per code step, set by the
    #: synapse supplies (not a trained :class:`~ntlib.modulation.ModulatoryGain`)
    gain: float
    excite_supply_v: float
    inhibit_supply_v: float
    bias_source_v: np.ndarray
    bias_sink_v: np.ndarray
    #: a trained ModulatoryGain per neuron, as its own synapse supply gives it
    neuron_gain: np.ndarray | None = None

    @property
    def neurons(self) -> int:
        return int(np.prod(self.out_shape))

    @property
    def synapses(self) -> int:
        if self.conv is None:
            return int(self.codes.numel())
        return int(self.codes[0].numel()) * self.neurons


@dataclass
class ChipDesign:
    """A network mapped onto the circuit: ops in order, and the circuit designed for.

    ``ops`` holds ``("layer", ChipLayer)``, ``("pool", k)`` and
    ``("flatten", None)`` entries.  ``scales`` are the conversion scales asked
    for, ``scales_used`` those the circuit realises: a layer whose gain
    ``s_l lambda_(l-1) / lambda_l`` lies outside what its supplies can give has
    its ``lambda_l`` moved until it fits (its neurons then fire more or less
    often than the conversion intended).
    """

    input_shape: tuple[int, ...]
    ops: list
    circuit: CircuitModel
    scales: list[float]
    scales_used: list[float]
    #: where every membrane starts, in thresholds: 0 for a ReLU network, one
    #: half for a QCFS network (its shift, chapter ``ann_to_snn``)
    initial_membrane: float = 0.0

    @property
    def layers(self) -> list[ChipLayer]:
        return [op for kind, op in self.ops if kind == "layer"]

    def bias_bank(self) -> np.ndarray:
        """The bias supplies of every neuron, ``(neurons, 2)``: one task's bank entry."""
        return np.concatenate([
            np.stack([layer.bias_source_v, layer.bias_sink_v], axis=1)
            for layer in self.layers])

    def with_bank(self, bank: np.ndarray) -> ChipDesign:
        """The same chip holding another bias bank (another task)."""
        ops, start = [], 0
        for kind, op in self.ops:
            if kind == "layer":
                stop = start + op.neurons
                op = replace(op, bias_source_v=bank[start:stop, 0],
                             bias_sink_v=bank[start:stop, 1])
                start = stop
            ops.append((kind, op))
        return replace(self, ops=ops)


#: A QCFS network's membranes start at half a threshold (its shift).
QCFS_INITIAL_MEMBRANE = 0.5

#: Layers that are no neuron of the chip: activations (the neuron itself), a
#: modulator (read from the layer it follows) and layers without a function.
_NOT_ON_CHIP = (nn.ReLU, QCFS, Modulator, nn.Identity, nn.Dropout)


def snap_to_dac(volts: np.ndarray) -> np.ndarray:
    """``volts`` snapped to the bias supplies' 8-bit grid."""
    step = BIAS_DAC_FULL_SCALE_V / (2**BIAS_DAC_BITS - 1)
    return np.round(np.asarray(volts) / step) * step


def held_supplies(circuit: CircuitModel, bias_rheobase: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The bias supplies, on the DAC grid, that hold ``bias_rheobase`` as well as they can.

    The bias sources' range and dead zone near zero apply first
    (:func:`~ntlib.circuits.characterize.realisable_biases`), then each
    supply is snapped to the 8-bit grid.
    """
    held = realisable_biases(
        bias_rheobase, circuit.bias_range_rheobase, circuit.bias_gap_rheobase)
    source_v, sink_v = circuit.bias_supplies(held)
    return snap_to_dac(source_v), snap_to_dac(sink_v)


def retrimmed_supplies(circuit: CircuitModel, layer: ChipLayer, trim
                       ) -> tuple[np.ndarray, np.ndarray]:
    """``layer``'s bias supplies after adding ``trim`` (rheobase units) to its biases."""
    wanted = circuit.bias_rheobase(layer.bias_source_v, layer.bias_sink_v) + trim
    return held_supplies(circuit, wanted)


def trimmed_bank(design: ChipDesign, trims: list[np.ndarray]) -> np.ndarray:
    """The bias bank of ``design`` with one trim per layer added (:meth:`ChipDesign.with_bank`)."""
    if len(trims) != len(design.layers):
        raise ValueError(f"one trim per layer: {len(design.layers)} layers, "
                         f"{len(trims)} trims")
    return np.concatenate([
        np.stack(retrimmed_supplies(design.circuit, layer, trim), axis=1)
        for layer, trim in zip(design.layers, trims, strict=True)])


def network_scales(model: nn.Sequential, data: torch.Tensor) -> list[float]:
    """Conversion scales: chapter ``ann_to_snn``'s p99.9 per ReLU, then the output layer's.

    The output scale is the 99.9th percentile of the positive logits.
    """
    scales = activation_scales(model, data, "p99.9")
    with torch.no_grad():
        logits = model.eval()(data).flatten()
    positive = logits[logits > 0].sort().values
    out = float(positive[int(0.999 * (len(positive) - 1))]) if len(positive) else 1.0
    return [*scales, max(out, 1e-6)]


def _neuron_biases(model: nn.Sequential, input_shape: tuple[int, ...]) -> list:
    """Each affine layer's bias per neuron (its own plus any NT bias), output-shaped."""
    out = []
    x = torch.zeros((1, *input_shape))
    modules = list(model)
    with torch.no_grad():
        for index, module in enumerate(modules):
            x = module(x)
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                bias = torch.zeros(x.shape[1:])
                if module.bias is not None:
                    view = (-1, 1, 1) if isinstance(module, nn.Conv2d) else (-1,)
                    bias = bias + module.bias.view(view)
                for nxt in modules[index + 1:index + 3]:  # a gain may come first
                    if isinstance(nxt, ModulatoryBias):
                        bias = bias + nxt.modulatory_bias
                out.append(bias.detach().clone())
    return out


def design_chip(
    model: nn.Sequential,
    scales: list[float],
    circuit: CircuitModel,
    input_shape: tuple[int, ...],
) -> ChipDesign:
    """Map ``model`` (ReLU or QCFS network, optionally NT-tuned) onto the circuit.

    ``scales`` come from :func:`network_scales` on the *source* network, so
    that every task of a chip shares its weights, codes and synapse supplies;
    only the bias supplies differ between tasks.  A network with
    :class:`~ntlib.qcfs.QCFS` activations starts every membrane at half a
    threshold (:data:`QCFS_INITIAL_MEMBRANE`), as its conversion does.
    """
    quantised = quantise_layers(model)
    biases = _neuron_biases(model, input_shape)
    if len(scales) != len(quantised):
        raise ValueError(
            f"need one scale per weighted layer ({len(quantised)}), got {len(scales)}"
        )
    ops, used, scale_in, q = [], [], 1.0, iter(zip(quantised, scales, biases, strict=True))
    x = torch.zeros((1, *input_shape))
    modules = list(model)
    for index, module in enumerate(modules):
        if isinstance(module, _NOT_ON_CHIP):
            continue
        if isinstance(module, nn.AvgPool2d):
            ops.append(("pool", int(module.kernel_size)))
            x = module(x)
            continue
        if isinstance(module, nn.Flatten):
            ops.append(("flatten", None))
            x = module(x)
            continue
        qlayer, scale_out, bias = next(q)
        with torch.no_grad():
            x = module(x)
        following = modules[index + 1] if index + 1 < len(modules) else None
        layer, scale_out = _design_layer(
            module, following, qlayer, bias, tuple(x.shape[1:]), scale_in, scale_out,
            circuit,
        )
        ops.append(("layer", layer))
        used.append(scale_out)
        scale_in = scale_out
    qcfs = any(isinstance(m, QCFS) for m in modules)
    return ChipDesign(tuple(input_shape), ops, circuit, list(scales), used,
                      QCFS_INITIAL_MEMBRANE if qcfs else 0.0)


def _design_layer(
    module: nn.Module,
    following: nn.Module | None,
    qlayer: QuantisedLayer,
    bias: torch.Tensor,
    out_shape: tuple[int, ...],
    scale_in: float,
    scale_out: float,
    circuit: CircuitModel,
) -> tuple[ChipLayer, float]:
    """One Conv2d/Linear as a layer of analog neurons, and the scale it realises.

    The layer's scale moves so that its circuit gain (``s_l lambda_(l-1) /
    lambda_l`` thresholds per code step) is one the synapse supplies can give.
    """
    lowest = max(circuit.excite_gain[0], circuit.inhibit_gain[0])
    highest = min(circuit.excite_gain[-1], circuit.inhibit_gain[-1])
    circuit_gain = float(np.clip(qlayer.scale * scale_in / scale_out, lowest, highest))
    scale_out = qlayer.scale * scale_in / circuit_gain
    bias_rheobase = (bias / scale_out).flatten().numpy() / circuit.bias_per_rheobase
    source_v, sink_v = held_supplies(circuit, bias_rheobase)
    conv = None
    if isinstance(module, nn.Conv2d):
        conv = {"padding": module.padding, "stride": module.stride,
                "kernel_size": module.kernel_size}
    neuron_gain = None
    if isinstance(following, ModulatoryGain):
        neuron_gain = _realisable_gain(following, module, out_shape, circuit_gain,
                                       lowest, highest)
    layer = ChipLayer(
        name=qlayer.name,
        codes=qlayer.codes.to(torch.int64),
        conv=conv,
        out_shape=out_shape,
        gain=circuit_gain,
        excite_supply_v=circuit.supply_for_gain(circuit_gain, "excite"),
        inhibit_supply_v=circuit.supply_for_gain(circuit_gain, "inhibit"),
        bias_source_v=source_v,
        bias_sink_v=sink_v,
        neuron_gain=neuron_gain,
    )
    return layer, scale_out


def _realisable_gain(
    gain: ModulatoryGain, layer: nn.Module, out_shape, circuit_gain: float,
    lowest: float, highest: float,
) -> np.ndarray:
    """A trained gain per neuron, as far as a per-neuron synapse supply gives it.

    The supply sets a gain between the circuit's lowest and highest: a
    negative or zero gain, or one beyond the range, is clipped to it.
    """
    factor = gain.modulatory_gain.detach()
    if isinstance(layer, nn.Conv2d) and factor.shape[1:] != (1, 1):
        raise ValueError(
            "a per-unit gain on a convolution needs a supply per position; tune "
            "the convolutions with granularity='channel'"
        )
    full = factor.expand(*out_shape) if factor.dim() == len(out_shape) else factor
    return np.clip(
        full.flatten().numpy(), lowest / circuit_gain, highest / circuit_gain
    )
