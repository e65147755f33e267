"""A converted network on a simulated chip of analog neurons (chapter 10).

:func:`design_chip` maps a (tuned) network onto the circuit once:

* every ``Conv2d``/``Linear`` weight becomes a signed 3-bit code
  (:mod:`ntlib.quantise`), one unit source per code step;
* layer ``l`` must move a membrane by ``w_l = s_l lambda_(l-1) / lambda_l``
  thresholds per code step (``s_l`` the quantisation step, ``lambda`` the
  conversion scales of chapter 5, ``lambda_0 = 1`` for pixels): the layer's
  excitatory and inhibitory supplies are set so that the measured gains
  (:class:`~ntlib.chip.circuit_model.CircuitModel`) equal ``w_l``;
* every neuron's bias (the layer's own plus the NT bias, divided by
  ``lambda_l``) is a current: ``b / (STEP_S / tau)`` rheobases, clipped and
  snapped to what the bias sources hold, then turned into the two bias
  supplies on an 8-bit grid (the bias bank of one task);
* the output layer spikes too, its scale the 99.9th percentile of the
  positive logits; the class read out is the neuron with most spikes (ties:
  the higher membrane at the end).

A neuron of the chip leaks, resets to zero, cannot go below ground, and
loses the input of the steps its reset holds it after a spike (the measured
refractory period): the converted network's neurons do none of these.

:class:`Chip` is one fabricated instance: the design at a corner and
temperature, with a mismatch draw, simulated step by step
(:meth:`Chip.run`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ntlib.chip.circuit_model import CircuitModel
from ntlib.energy import realisable_biases
from ntlib.gain import ModulatoryGain
from ntlib.quantise import MAX_CODE, quantise_layers
from ntlib.qcfs import QCFS
from ntlib.snn import activation_scales
from ntlib.tuning import ModulatoryBias

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
    gain: float
    excite_supply_v: float
    inhibit_supply_v: float
    bias_source_v: np.ndarray
    bias_sink_v: np.ndarray
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


def _dac(volts: np.ndarray) -> np.ndarray:
    step = BIAS_DAC_FULL_SCALE_V / (2**BIAS_DAC_BITS - 1)
    return np.round(np.asarray(volts) / step) * step


def network_scales(model: nn.Sequential, data: torch.Tensor) -> list[float]:
    """Conversion scales: chapter 5's p99.9 per ReLU, then the output layer's.

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
    """Map ``model`` (ReLU network, optionally NT-tuned) onto the circuit.

    ``scales`` come from :func:`network_scales` on the *source* network, so
    that every task of a chip shares its weights, codes and synapse supplies;
    only the bias supplies differ between tasks.
    """
    quantised = quantise_layers(model)
    biases = _neuron_biases(model, input_shape)
    if len(scales) != len(quantised):
        raise ValueError(
            f"need one scale per weighted layer ({len(quantised)}), got {len(scales)}"
        )
    per_rheobase = circuit.bias_per_rheobase
    ops, used, scale_in, q = [], [], 1.0, iter(zip(quantised, scales, biases, strict=True))
    x = torch.zeros((1, *input_shape))
    modules = list(model)
    for index, module in enumerate(modules):
        if isinstance(module, (nn.ReLU, QCFS, ModulatoryBias, ModulatoryGain,
                               nn.Identity, nn.Dropout)):
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
        # The layer's scale moves so that its gain is one the supplies can give.
        lowest = max(circuit.excite_gain[0], circuit.inhibit_gain[0])
        highest = min(circuit.excite_gain[-1], circuit.inhibit_gain[-1])
        gain = float(np.clip(qlayer.scale * scale_in / scale_out, lowest, highest))
        scale_out = qlayer.scale * scale_in / gain
        used.append(scale_out)
        bias_rheobase = (bias / scale_out).flatten().numpy() / per_rheobase
        held = realisable_biases(
            bias_rheobase, circuit.bias_range_rheobase, circuit.bias_gap_rheobase
        )
        source_v, sink_v = circuit.bias_supplies(held)
        conv = None
        if isinstance(module, nn.Conv2d):
            conv = {"padding": module.padding, "stride": module.stride,
                    "kernel_size": module.kernel_size}
        following = modules[index + 1] if index + 1 < len(modules) else None
        neuron_gain = None
        if isinstance(following, ModulatoryGain):
            neuron_gain = _realisable_gain(following, module, x.shape[1:], gain,
                                           lowest, highest)
        ops.append(("layer", ChipLayer(
            name=qlayer.name,
            codes=qlayer.codes.to(torch.int64),
            conv=conv,
            out_shape=tuple(x.shape[1:]),
            gain=float(gain),
            excite_supply_v=circuit.supply_for_gain(gain, "excite"),
            inhibit_supply_v=circuit.supply_for_gain(gain, "inhibit"),
            bias_source_v=_dac(source_v),
            bias_sink_v=_dac(sink_v),
            neuron_gain=neuron_gain,
        )))
        scale_in = scale_out
    return ChipDesign(tuple(input_shape), ops, circuit, list(scales), used)


def _realisable_gain(
    gain: ModulatoryGain, layer: nn.Module, out_shape, layer_gain: float,
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
    return np.clip(full.flatten().numpy(), lowest / layer_gain, highest / layer_gain)


@dataclass
class ChipRun:
    """What one run of a chip on a batch gives (chapter 10)."""

    predictions: torch.Tensor
    counts: list[torch.Tensor]
    #: per layer, events per image at codes -7..+7 (empty unless counted)
    events_by_code: list[np.ndarray]
    inputs: list[torch.Tensor] = field(default_factory=list)


class Chip:
    """One instance of a design: a corner, a temperature and a mismatch draw.

    Args:
        design: the :class:`ChipDesign`.
        circuit: the behavioural model at this chip's corner and temperature
            (the design's own for a nominal chip).
        mismatch_seed: ``None`` for nominal devices; an integer draws every
            synapse's and bias source's mismatch from the measured spreads
            (a synapse of ``|code|`` units: ``sigma / sqrt(|code|)``).
        trims: extra bias per neuron, rheobase units (the calibration's),
            one array per layer; ``None`` for none.
    """

    def __init__(
        self,
        design: ChipDesign,
        circuit: CircuitModel | None = None,
        mismatch_seed: int | None = None,
        trims: list[np.ndarray] | None = None,
    ) -> None:
        self.design = design
        self.circuit = circuit or design.circuit
        self.mismatch_seed = mismatch_seed
        self.trims = trims
        rng = (np.random.default_rng(mismatch_seed)
               if mismatch_seed is not None else None)
        self.weights: list[torch.Tensor] = []
        self.bias: list[torch.Tensor] = []
        self.held_rheobase: list[np.ndarray] = []
        sigma = self.circuit.sigma
        for index, layer in enumerate(design.layers):
            g_exc, g_inh = self.circuit.gains_at(layer.excite_supply_v)[0], \
                self.circuit.gains_at(layer.inhibit_supply_v)[1]
            codes = layer.codes.to(torch.float32)
            shape = codes.shape if layer.conv is None else (
                int(np.prod(layer.out_shape[1:])), *codes.shape)
            w = torch.where(codes > 0, codes * g_exc, codes * g_inh)
            if layer.neuron_gain is not None:  # a synapse supply per neuron
                per = torch.from_numpy(layer.neuron_gain.astype(np.float32))
                if layer.conv is None:
                    w = w * per[:, None]
                else:
                    channels = per.view(layer.out_shape)[:, 0, 0]
                    w = w * channels.view(-1, 1, 1, 1)
            if rng is not None:
                spread = torch.where(codes > 0, sigma["excite"], sigma["inhibit"])
                spread = spread / codes.abs().clamp(min=1).sqrt()
                draw = torch.from_numpy(rng.standard_normal(shape).astype(np.float32))
                w = w * (1 + draw * spread)
            self.weights.append(w)
            trim = trims[index] if trims is not None else 0.0
            if trims is None:
                designed = self.circuit.bias_rheobase(
                    layer.bias_source_v, layer.bias_sink_v)
            else:
                designed = self._retrim(layer, trim)
            if rng is not None:
                kind = np.where(designed > 0, sigma["bias"], sigma["bias_sink"])
                designed = designed * (1 + kind * rng.standard_normal(designed.shape))
            self.held_rheobase.append(designed)
            self.bias.append(torch.from_numpy(
                (designed * self.circuit.bias_per_rheobase).astype(np.float32)
            ).view(layer.out_shape))

    def _retrim(self, layer: ChipLayer, trim) -> np.ndarray:
        # The trimmed bias is set on the design's supplies like any bias.
        circuit = self.design.circuit
        wanted = circuit.bias_rheobase(layer.bias_source_v, layer.bias_sink_v) + trim
        held = realisable_biases(
            wanted, circuit.bias_range_rheobase, circuit.bias_gap_rheobase)
        source_v, sink_v = circuit.bias_supplies(held)
        return self.circuit.bias_rheobase(_dac(source_v), _dac(sink_v))

    def _current(self, index: int, layer: ChipLayer, h: torch.Tensor) -> torch.Tensor:
        w = self.weights[index]
        if layer.conv is None:
            return h @ w.T
        conv = layer.conv
        if w.dim() == 4:  # nominal: one kernel shared by every position
            return F.conv2d(h, w, padding=conv["padding"], stride=conv["stride"])
        patches = F.unfold(h, conv["kernel_size"], padding=conv["padding"],
                           stride=conv["stride"])  # (B, K, P)
        out = torch.bmm(patches.permute(2, 0, 1), w.flatten(2).transpose(1, 2))
        return out.permute(1, 2, 0).reshape(h.shape[0], *layer.out_shape)

    @torch.no_grad()
    def run(
        self,
        x: torch.Tensor,
        timesteps: int = 32,
        generator: torch.Generator | None = None,
        initial_membrane: float = 0.0,
        record_inputs_of: int | None = None,
        count_events: bool = False,
    ) -> ChipRun:
        """Simulate the chip on images ``x`` (pixels in [0, 1] as Poisson spikes).

        ``record_inputs_of``: keep the spikes arriving at that layer, per step
        (``(T, B, inputs)``), to drive a SPICE run of it.  ``count_events``:
        count the synaptic events by code, for :func:`ntlib.chip.energy.chip_energy_j`
        (a quarter of a mismatched chip's run, so accuracy runs skip it).
        """
        beta = self.circuit.beta()
        layers = self.design.layers
        batch = x.shape[0]
        mem = [torch.full((batch, *la.out_shape), initial_membrane) for la in layers]
        held = [torch.zeros((batch, *la.out_shape)) for la in layers]
        refractory = self.circuit.refractory_steps()
        counts = [torch.zeros((batch, *la.out_shape)) for la in layers]
        fan = [_fan_by_code(la) for la in layers]
        events = [np.zeros((batch, 2 * MAX_CODE + 1)) for _ in layers]
        inputs: list[torch.Tensor] = []
        for _ in range(timesteps):
            h = torch.bernoulli(x.clamp(0, 1), generator=generator)
            index = 0
            for kind, op in self.design.ops:
                if kind == "pool":
                    h = F.avg_pool2d(h, op)
                    continue
                if kind == "flatten":
                    h = h.flatten(1)
                    continue
                if index == record_inputs_of:
                    inputs.append(h.flatten(1).clone())
                if count_events:
                    events[index] += _events(op, h, fan[index])
                v = beta * mem[index] + self._current(index, op, h) + self.bias[index]
                v = torch.where(held[index] > 0, 0.0, v.clamp(min=0.0))
                spikes = (v >= 1.0).to(torch.float32)
                mem[index] = v * (1 - spikes)
                held[index] = (held[index] - 1).clamp(min=0) + spikes * refractory
                counts[index] += spikes
                h = spikes
                index += 1
        score = counts[-1] + mem[-1].clamp(max=0.999)
        return ChipRun(score.argmax(1), counts,
                       [e.mean(0) for e in events] if count_events else [], inputs)

    @torch.no_grad()
    def accuracy(self, x, y, timesteps: int = 32, seed: int = 0,
                 batch_size: int = 256) -> float:
        """Share of ``x`` classified as ``y`` (Poisson input drawn from ``seed``)."""
        generator = torch.Generator().manual_seed(seed)
        correct = 0
        for start in range(0, len(x), batch_size):
            run = self.run(x[start:start + batch_size], timesteps, generator)
            correct += int((run.predictions == y[start:start + batch_size]).sum())
        return correct / len(x)


def _fan_by_code(layer: ChipLayer) -> torch.Tensor:
    """Synapses per input element at each code -7..+7: ``(inputs or K, 15)``.

    Conv codes ``(out, K)`` count per kernel element; dense ``(out, in)`` per input.
    """
    codes = layer.codes
    flat = codes.flatten(1) if layer.conv is not None else codes
    return torch.stack(
        [(flat == c).sum(0) for c in range(-MAX_CODE, MAX_CODE + 1)], 1
    ).float()


def _events(layer: ChipLayer, h: torch.Tensor, fan: torch.Tensor) -> np.ndarray:
    """Synaptic events in this step, per image, by |code|."""
    if layer.conv is None:
        return (h @ fan).numpy()
    conv = layer.conv
    patches = F.unfold(h, conv["kernel_size"], padding=conv["padding"],
                       stride=conv["stride"])  # (B, K, P)
    return (patches.sum(2) @ fan).numpy()
