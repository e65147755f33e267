"""Running a designed chip of analog neurons, step by step (chapter ``chip``).

:class:`Chip` is one fabricated instance of a :class:`~ntlib.chip.design.ChipDesign`:
the design at a corner and temperature, with a mismatch draw, simulated step
by step (:meth:`Chip.run`), counting the synaptic events that
:func:`ntlib.chip.cost.chip_energy_j` prices.

A neuron of the chip leaks, resets to zero, cannot go below ground, and
after a spike its reset drains the membrane for a while (the measured
drain, :attr:`~ntlib.chip.circuit_model.CircuitModel.reset_drain`): the
converted network's neurons do none of these.  Each step runs in
:data:`~ntlib.chip.circuit_model.RESET_PARTS` parts: leak, bias and the
drain in every part, the step's events at the start of the middle one
(half a step in, as the SPICE layers receive them), a spike wherever the
membrane reaches its threshold (so a neuron can fire from its bias before
the events, and twice in one step).  Each step's input is split into its
excitatory and inhibitory parts, and each part is scaled by its bank's
factor at the membrane voltage the events land on
(:meth:`~ntlib.chip.circuit_model.CircuitModel.membrane_factor`): an
inhibitory event moves a membrane near ground far less than one near the
threshold.

A chip built with ``ideal`` drops some of that physics, to measure what each
part costs (:data:`IDEALISATIONS`): ``no_leak`` (no membrane decay),
``subtractive_reset`` (a spike removes one threshold and keeps the rest, as
the converted network does, and nothing drains) and ``linear_synapses``
(every event moves the membrane by the designed gain, wherever the membrane
is).  No circuit of the book has these; they are what-ifs.

:meth:`Chip.run` is differentiable in an ``extra_bias`` added to every
neuron: a spike's gradient is a fast sigmoid's (a surrogate gradient, as
chapter ``nt_in_snn`` trains the SNN), so a chip's biases can be trained
through the chip itself (:mod:`ntlib.chip.hil`).  Without it the run is the
same arithmetic, and no graph is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from ntlib.checks import check_choice
from ntlib.chip.circuit_model import RESET_PARTS, CircuitModel
from ntlib.chip.design import ChipDesign, ChipLayer, retrimmed_supplies
from ntlib.chip.piecewise import interp
from ntlib.quantise import MAX_CODE

#: Physics a what-if chip can drop (see the module's docstring).
IDEALISATIONS: tuple[str, ...] = ("no_leak", "subtractive_reset", "linear_synapses")

#: Parts in which a step's input charge is delivered (see :meth:`Chip._input`).
INPUT_SUBSTEPS = 4
#: Slope of the surrogate gradient of a spike, per threshold of membrane.
SURROGATE_SLOPE = 5.0


def _fire(v: torch.Tensor, threshold, subtract: bool):
    """``(membrane after the reset, spikes)`` where ``v`` reaches ``threshold``.

    The reset passes no gradient; the spike a surrogate one (:class:`_Spike`).
    """
    spikes = _Spike.apply(v, threshold)
    fired = spikes.detach()
    return (v - fired * threshold if subtract else v * (1 - fired)), spikes


class _Spike(torch.autograd.Function):
    """A spike where ``v >= threshold``; backward, a fast sigmoid's derivative."""

    @staticmethod
    def forward(ctx, v, threshold):
        over = v - threshold
        ctx.save_for_backward(over)
        return (v >= threshold).to(v.dtype)

    @staticmethod
    def backward(ctx, grad):
        (over,) = ctx.saved_tensors
        return grad / (1 + SURROGATE_SLOPE * over.abs()) ** 2, None


@dataclass
class ChipRun:
    """What one run of a chip on a batch gives (chapter ``chip``)."""

    predictions: torch.Tensor
    counts: list[torch.Tensor]
    #: per layer, events per image at codes -7..+7 (empty unless counted)
    events_by_code: list[np.ndarray]
    inputs: list[torch.Tensor] = field(default_factory=list)
    #: the read-out score of each class, ``(B, classes)``: output spikes plus
    #: the output membrane (below one threshold, so a spike always outranks it)
    scores: torch.Tensor | None = None


class Chip:
    """One instance of a design: a corner, a temperature and a mismatch draw.

    Args:
        design: the :class:`ChipDesign`.
        circuit: the behavioural model at this chip's corner and temperature
            (the design's own for a nominal chip).
        mismatch_seed: ``None`` for nominal devices; an integer draws every
            synapse's and bias source's mismatch from the measured spreads
            (a synapse of ``|code|`` units: ``sigma / sqrt(|code|)``, its
            bank's spread at the layer's supply), then every neuron's
            threshold (the comparator's spread).
        trims: extra bias per neuron, rheobase units (the calibration's),
            one array per layer; ``None`` for none.
        ideal: names from :data:`IDEALISATIONS` this what-if chip drops.

    Attributes (one entry per layer; ``None`` entries on a nominal chip):
        weights: thresholds per input spike of every synapse, signed (the
            nominal gain, the trained per-neuron gain and the mismatch;
            ``(out, in)``, ``(out, in, kh, kw)``, or per output position
            ``(positions, out, in, kh, kw)`` for a mismatched convolution).
        synapse_mismatch: each synapse's drawn current factor (1 + its
            relative error), shaped like ``weights``; a SPICE netlist scales
            that synapse's unit current by it.
        bias_mismatch: each neuron's bias-source factor, ``(neurons,)``.
        threshold_mismatch: each neuron's firing threshold in nominal
            thresholds, ``(neurons,)`` (the comparator's trip voltage over
            its nominal one).
        held_rheobase: the bias each neuron's sources hold, rheobase units.
    """

    def __init__(
        self,
        design: ChipDesign,
        circuit: CircuitModel | None = None,
        mismatch_seed: int | None = None,
        trims: list[np.ndarray] | None = None,
        ideal: tuple[str, ...] = (),
    ) -> None:
        self.ideal = tuple(check_choice("idealisation", name, IDEALISATIONS)
                           for name in ideal)
        self.design = design
        self.circuit = circuit or design.circuit
        self.mismatch_seed = mismatch_seed
        self.trims = trims
        rng = (np.random.default_rng(mismatch_seed)
               if mismatch_seed is not None else None)
        self.weights: list[torch.Tensor] = []
        self.bias: list[torch.Tensor] = []
        self.held_rheobase: list[np.ndarray] = []
        self.synapse_mismatch: list[torch.Tensor | None] = []
        self.bias_mismatch: list[np.ndarray | None] = []
        self.threshold_mismatch: list[np.ndarray | None] = []
        self._banks: list[torch.Tensor] = []
        self._factors: list[tuple[torch.Tensor, ...]] = []
        circuit = self.circuit
        for index, layer in enumerate(design.layers):
            g_exc = circuit.gains_at(layer.excite_supply_v)[0]
            g_inh = circuit.gains_at(layer.inhibit_supply_v)[1]
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
            factor = None
            if rng is not None:
                spread = torch.where(
                    codes > 0, circuit.sigma_at("excite", layer.excite_supply_v),
                    circuit.sigma_at("inhibit", layer.inhibit_supply_v))
                spread = spread / codes.abs().clamp(min=1).sqrt()
                draw = torch.from_numpy(rng.standard_normal(shape).astype(np.float32))
                factor = 1 + draw * spread
                w = w * factor
            self.weights.append(w)
            self.synapse_mismatch.append(factor)
            self._banks.append(_banks(w, codes, layer.conv is not None))
            self._factors.append(_bank_factors(
                circuit, layer, linear="linear_synapses" in self.ideal))
            trim = trims[index] if trims is not None else 0.0
            if trims is None:
                designed = circuit.bias_rheobase(layer.bias_source_v, layer.bias_sink_v)
            else:
                designed = self._retrim(layer, trim)
            bias_factor = None
            if rng is not None:
                kind = np.where(designed > 0, circuit.sigma["bias"],
                                circuit.sigma["bias_sink"])
                bias_factor = 1 + kind * rng.standard_normal(designed.shape)
                designed = designed * bias_factor
            self.bias_mismatch.append(bias_factor)
            self.held_rheobase.append(designed)
            self.bias.append(torch.from_numpy(
                (designed * circuit.bias_per_rheobase).astype(np.float32)
            ).view(layer.out_shape))
        self._drain = torch.tensor((*circuit.reset_drain, 0.0))
        # Drawn after every synapse and bias source, so those draws stay the same.
        sigma_threshold = circuit.sigma.get("threshold", 0.0)
        for layer in design.layers:
            self.threshold_mismatch.append(
                None if rng is None
                else 1 + sigma_threshold * rng.standard_normal(layer.neurons))

    def _retrim(self, layer: ChipLayer, trim) -> np.ndarray:
        # The trimmed bias is set on the design's supplies like any bias.
        return self.circuit.bias_rheobase(
            *retrimmed_supplies(self.design.circuit, layer, trim))

    def _input(self, index: int, layer: ChipLayer, h: torch.Tensor,
               membrane: torch.Tensor) -> torch.Tensor:
        """The membrane after this step's input events: each bank at its factor.

        The events of a step arrive together; their charge is delivered in
        :data:`INPUT_SUBSTEPS` parts, each bank's factor read at the membrane
        the part finds (an inhibitory sink pulls only as hard as the
        excitation beside it has lifted the membrane).
        """
        w = self._banks[index]
        if layer.conv is None:
            both = h @ w.T
        elif w.dim() == 4:  # nominal: one kernel shared by every position
            conv = layer.conv
            both = F.conv2d(h, w, padding=conv["padding"], stride=conv["stride"])
        else:
            conv = layer.conv
            patches = F.unfold(h, conv["kernel_size"], padding=conv["padding"],
                               stride=conv["stride"])  # (B, K, P)
            out = torch.bmm(patches.permute(2, 0, 1), w.flatten(2).transpose(1, 2))
            both = out.permute(1, 2, 0).reshape(
                h.shape[0], 2 * layer.out_shape[0], *layer.out_shape[1:])
        excite, inhibit = (part / INPUT_SUBSTEPS for part in both.chunk(2, dim=1))
        grid, f_exc, f_inh = self._factors[index]
        v = membrane
        for _ in range(INPUT_SUBSTEPS):
            factor_exc, factor_inh = interp(v, grid, f_exc, f_inh)
            v = torch.addcmul(torch.addcmul(v, excite, factor_exc),
                              inhibit, factor_inh).clamp(min=0.0)
        return v

    def run(
        self,
        x: torch.Tensor,
        timesteps: int = 32,
        generator: torch.Generator | None = None,
        initial_membrane: float | None = None,
        record_inputs_of: int | None = None,
        count_events: bool = False,
        extra_bias: list[torch.Tensor] | None = None,
    ) -> ChipRun:
        """Simulate the chip on images ``x`` (pixels in [0, 1] as Poisson spikes).

        ``record_inputs_of``: keep the spikes arriving at that layer, per step
        (``(T, B, inputs)``), to drive a SPICE run of it.  ``count_events``:
        count the synaptic events by code, for :func:`ntlib.chip.cost.chip_energy_j`
        (a quarter of a mismatched chip's run, so accuracy runs skip it).
        ``extra_bias``: per layer, thresholds per step added to every
        neuron's bias (shaped like the layer's output); the run keeps a graph
        only when one of them requires a gradient.
        """
        if initial_membrane is None:
            initial_membrane = self.design.initial_membrane
        parts = RESET_PARTS
        decay = 1.0 if "no_leak" in self.ideal else self.circuit.beta() ** (1 / parts)
        subtract = "subtractive_reset" in self.ideal
        drain = self._drain
        settled = len(drain) - 1  # parts since a spike after which nothing drains
        layers = self.design.layers
        batch = x.shape[0]
        mem = [torch.full((batch, *la.out_shape), initial_membrane) for la in layers]
        since = [torch.full((batch, *la.out_shape), settled, dtype=torch.long)
                 for la in layers]
        thresholds = [1.0 if t is None else torch.from_numpy(t.astype(np.float32))
                      .view(la.out_shape) for t, la in
                      zip(self.threshold_mismatch, layers, strict=True)]
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
                bias = self.bias[index]
                if extra_bias is not None:
                    bias = bias + extra_bias[index]
                bias = bias / parts
                # after: the part of the drain due next (``settled``: none)
                v, after, threshold = mem[index], since[index], thresholds[index]
                fired_in_step = 0.0
                for part in range(parts):
                    if part == parts // 2:  # the step's events, half a step in
                        v, spikes = _fire(self._input(index, op, h, v), threshold,
                                          subtract)
                        after = after.masked_fill(spikes.detach() > 0, 0)
                        fired_in_step = fired_in_step + spikes
                    v = decay * v + bias
                    if not subtract:
                        v = v - drain[after]
                    v, spikes = _fire(v.clamp(min=0.0), threshold, subtract)
                    fired_in_step = fired_in_step + spikes
                    after = torch.where(spikes.detach() > 0, 0,
                                        (after + 1).clamp(max=settled))
                mem[index], since[index] = v, after
                counts[index] += fired_in_step
                h = fired_in_step
                index += 1
        score = counts[-1] + mem[-1].clamp(max=0.999)
        return ChipRun(score.argmax(1), counts,
                       [e.mean(0) for e in events] if count_events else [], inputs,
                       score)

    @torch.no_grad()
    def accuracy(self, x, y, timesteps: int = 32, seed: int = 0,
                 batch_size: int = 256) -> float:
        """Share of ``x`` classified as ``y`` (Poisson input drawn from ``seed``)."""
        return self._batched(x, y, timesteps, seed, batch_size, False)[0]

    @torch.no_grad()
    def accuracy_and_events(self, x, y, timesteps: int = 32, seed: int = 0,
                            batch_size: int = 256) -> tuple[float, float]:
        """:meth:`accuracy`, on the same input spikes, and synaptic events per image."""
        return self._batched(x, y, timesteps, seed, batch_size, True)

    def _batched(self, x, y, timesteps: int, seed: int, batch_size: int,
                 count_events: bool) -> tuple[float, float]:
        # One generator for every batch, so a result never depends on who asks.
        generator = torch.Generator().manual_seed(seed)
        correct, events = 0, 0.0
        for start in range(0, len(x), batch_size):
            batch = x[start:start + batch_size]
            run = self.run(batch, timesteps, generator, count_events=count_events)
            correct += int((run.predictions == y[start:start + batch_size]).sum())
            events += len(batch) * float(sum(e.sum() for e in run.events_by_code))
        return correct / len(x), events / len(x)


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


def _banks(w: torch.Tensor, codes: torch.Tensor, conv: bool) -> torch.Tensor:
    """The excitatory and inhibitory parts of ``w``, stacked along the outputs."""
    if conv and w.dim() == 5:  # (positions, out, ...): per-position kernels
        mask = (codes > 0).expand_as(w)
        return torch.cat([torch.where(mask, w, 0.0), torch.where(mask, 0.0, w)], 1)
    mask = codes > 0
    return torch.cat([torch.where(mask, w, 0.0), torch.where(mask, 0.0, w)], 0)


def _bank_factors(circuit: CircuitModel, layer: ChipLayer,
                  linear: bool = False) -> tuple[torch.Tensor, ...]:
    """``(membrane grid in thresholds, excitatory factor, inhibitory factor)``.

    ``linear``: a factor of 1 at every membrane (the gain the design set).
    """
    if linear:
        grid, f_exc = np.array([0.0, 1.0]), np.array([1.0, 1.0])
        return tuple(torch.as_tensor(a, dtype=torch.float32)
                     for a in (grid, f_exc, f_exc))
    grid, f_exc = circuit.membrane_factor(layer.excite_supply_v, "excite")
    _, f_inh = circuit.membrane_factor(layer.inhibit_supply_v, "inhibit")
    return tuple(torch.as_tensor(a, dtype=torch.float32) for a in (grid, f_exc, f_inh))
