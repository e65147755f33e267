"""Calibrating a fabricated chip: its layer supplies, its NT biases, or both.

See chapter ``calibration``.

Every fabricated chip differs from its design: each transistor's mismatch,
and the corner and temperature it runs at.  Two knobs of the chip can trim
it, weights and codes frozen:

* **bias** (``mode="bias"``): the NT bias supplies of each neuron.  The chip
  runs a few *calibration* images, and each neuron's bias moves until its
  mean firing rate matches the rate the *design* gives on the same images
  (known before fabrication: a simulation of the nominal chip).  A neuron
  firing ``r`` times per step too often gets ``r`` thresholds per step less
  bias, all layers at once, for a few rounds.  An additive bias cannot undo
  a gain error.
* **supply** (``mode="supply"``): the excitatory and inhibitory synapse
  supplies of each layer, each on the supplies' DAC grid.  First each bank's
  supply is set so that the chip's own gain curve (read on a replica synapse
  of the chip, the condition's :class:`~ntlib.chip.circuit_model.CircuitModel`)
  gives the layer's designed gain: this undoes an excitation/inhibition
  imbalance.  Then a few rounds scale both banks of a layer together by the
  ratio of the design's mean rate to the chip's (each layer's ratio over the
  layer before it, so that an upstream error is not corrected twice).
* **both** (``mode="both"``): the supplies first, then the biases from the
  chosen supplies.
* **bias-trained** and **both-trained**: as ``bias`` and ``both``, but the
  biases are *trained through the chip* (:mod:`ntlib.chip.hil`) on the
  calibration images and their labels, instead of matched to the design's
  rates: each epoch is a candidate.

Every round gives a candidate chip; the untrimmed chip is the first.  The
candidate that classifies a separate, labelled *selection* set best is kept
(ties go to the earlier, less-trimmed one).  Calibration images, selection
images and test images are three disjoint sets: keeping the best round on
the calibration images themselves overfits them and can lose on the test set.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from ntlib.checks import check_choice
from ntlib.chip.circuit_model import CircuitModel
from ntlib.chip.design import (
    BIAS_DAC_BITS,
    BIAS_DAC_FULL_SCALE_V,
    ChipDesign,
    snap_to_dac,
)
from ntlib.chip.simulator import Chip

#: Calibration modes: which knobs move, and how the biases are found.
CALIBRATION_MODES: tuple[str, ...] = ("none", "bias", "supply", "both",
                                      "bias-trained", "both-trained")
#: The modes whose biases are trained through the chip, by the mode they refine.
TRAINED_MODES: dict[str, str] = {"bias": "bias-trained", "both": "both-trained"}
#: Rounds of bias trimming, and of supply scaling.
CALIBRATION_ROUNDS = 4
SUPPLY_ROUNDS = 3
STEP_FRACTION = 1.0
#: The most one supply round scales a layer's gain by (or divides it by).
SUPPLY_STEP_LIMIT = 2.0


def check_calibration_mode(mode: str) -> str:
    """``mode`` if one of :data:`CALIBRATION_MODES`, else a one-line ValueError."""
    return check_choice("calibration mode", mode, CALIBRATION_MODES)


def design_rates(
    design: ChipDesign, x: torch.Tensor, timesteps: int, seed: int = 0
) -> list[torch.Tensor]:
    """Mean spikes per step of every neuron of the nominal design on ``x``."""
    run = Chip(design).run(x, timesteps, torch.Generator().manual_seed(seed))
    return [c.mean(0) / timesteps for c in run.counts]


def with_supplies(
    design: ChipDesign, supplies: list[tuple[float, float]]
) -> ChipDesign:
    """``design`` with each layer's ``(excite, inhibit)`` synapse supplies replaced."""
    ops, layer_supplies = [], iter(supplies)
    for kind, op in design.ops:
        if kind == "layer":
            excite_v, inhibit_v = next(layer_supplies)
            op = replace(op, excite_supply_v=float(excite_v),
                         inhibit_supply_v=float(inhibit_v))
        ops.append((kind, op))
    return replace(design, ops=ops)


def supply_on_grid(circuit: CircuitModel, gain: float, bank: str) -> float:
    """The supply on the DAC grid (the bias supplies' 8 bits), in range, for ``gain``.

    ``bank`` is ``excite`` or ``inhibit``; the gain curve is ``circuit``'s.
    """
    low, high = circuit.supply_v[0], circuit.supply_v[-1]
    step = BIAS_DAC_FULL_SCALE_V / (2**BIAS_DAC_BITS - 1)
    volts = float(snap_to_dac(circuit.supply_for_gain(gain, bank)))
    while volts < low - 1e-12:
        volts += step
    while volts > high + 1e-12:
        volts -= step
    return volts


def gain_reach(circuit: CircuitModel, design_gain: float) -> tuple[float, float]:
    """The factors on ``design_gain`` that both banks of a layer can give at once."""
    lowest = max(circuit.excite_gain[0], circuit.inhibit_gain[0])
    highest = min(circuit.excite_gain[-1], circuit.inhibit_gain[-1])
    low, high = lowest / design_gain, highest / design_gain
    if low > high:  # the banks' ranges do not overlap: balance the middle
        low = high = float(np.sqrt(low * high))
    return low, high


def layer_supplies(
    design: ChipDesign, circuit: CircuitModel, factors: list[float]
) -> list[tuple[float, float]]:
    """Each layer's supplies giving ``factor`` times its designed gain in both banks."""
    return [
        (supply_on_grid(circuit, layer.gain * f, "excite"),
         supply_on_grid(circuit, layer.gain * f, "inhibit"))
        for layer, f in zip(design.layers, factors, strict=True)
    ]


class _Calibrator:
    """Runs candidates of one chip on the calibration and selection images."""

    def __init__(self, design, circuit, mismatch_seed, x, selection, timesteps,
                 seed, targets, labels=None):
        self.design, self.circuit, self.mismatch_seed = design, circuit, mismatch_seed
        self.calibration_images = len(x)
        self.labels = labels
        self.x = torch.cat([x, selection[0]])
        self.y = selection[1]
        self.timesteps, self.seed = timesteps, seed
        self.targets = targets

    def measure(self, chip: Chip) -> tuple[list[np.ndarray], int]:
        """Mean rate per neuron on the calibration images, correct on the selection."""
        run = chip.run(self.x, self.timesteps, torch.Generator().manual_seed(self.seed))
        n = self.calibration_images
        rates = [(c[:n].mean(0) / self.timesteps).flatten().numpy() for c in run.counts]
        return rates, int((run.predictions[n:] == self.y).sum())

    def rate_errors(self, rates: list[np.ndarray]) -> list[np.ndarray]:
        return [t.flatten().numpy() - r
                for t, r in zip(self.targets, rates, strict=True)]

    def supplies(self):
        """Candidates of the supply rounds: the replica's setting, then rate rounds."""
        circuit, design = self.circuit, self.design
        reach = [gain_reach(circuit, layer.gain) for layer in design.layers]
        factors = [float(np.clip(1.0, lo, hi)) for lo, hi in reach]
        out = []
        for round_ in range(SUPPLY_ROUNDS + 1):
            chip = Chip(with_supplies(design, layer_supplies(design, circuit, factors)),
                        circuit, self.mismatch_seed)
            rates, correct = self.measure(chip)
            out.append((chip, rates, correct))
            if round_ == SUPPLY_ROUNDS:
                break
            upstream = 1.0
            for index, (rate, target) in enumerate(
                    zip(rates, self.targets, strict=True)):
                ratio = float(rate.mean()) / max(float(target.mean()), 1e-9)
                ratio = max(ratio, 1e-9)
                step = np.clip(upstream / ratio, 1 / SUPPLY_STEP_LIMIT,
                               SUPPLY_STEP_LIMIT)
                factors[index] = float(np.clip(factors[index] * step, *reach[index]))
                upstream = ratio
        return out

    def biases(self, start: tuple[Chip, list, int], rounds: int):
        """Candidates of the bias rounds from ``start`` (its supplies kept)."""
        chip, rates, _ = start
        design = chip.design
        trims = [np.zeros(layer.neurons) for layer in design.layers]
        per_rheobase = self.design.circuit.bias_per_rheobase
        out = []
        for _ in range(rounds):
            for index, error in enumerate(self.rate_errors(rates)):
                trims[index] = trims[index] + STEP_FRACTION * error / per_rheobase
            chip = Chip(design, self.circuit, self.mismatch_seed,
                        [t.copy() for t in trims])
            rates, correct = self.measure(chip)
            out.append((chip, rates, correct))
        return out

    def selected(self, chip: Chip) -> int:
        """Correct answers on the selection images alone (no rates needed)."""
        run = chip.run(self.x[self.calibration_images:], self.timesteps,
                       torch.Generator().manual_seed(self.seed))
        return int((run.predictions == self.y).sum())

    def trained(self, start: tuple[Chip, list, int]):
        """``start``'s chip, then one candidate per epoch of training its biases.

        Every candidate, ``start`` again among them, is scored on the
        selection images alone, so that they are compared on the same draw.
        """
        from ntlib.chip.hil import trained_trims

        chip = start[0]
        out = [(chip, None, self.selected(chip))]
        for trims in trained_trims(chip, self.x[:self.calibration_images],
                                   self.labels, self.timesteps, seed=self.seed):
            candidate = Chip(chip.design, self.circuit, self.mismatch_seed, trims)
            out.append((candidate, None, self.selected(candidate)))
        return out


def _best(candidates) -> tuple[Chip, list, int]:
    """The first candidate with the most correct selection images."""
    return max(candidates, key=lambda c: c[2])  # max keeps the first of ties


def calibrate_modes(
    design: ChipDesign,
    circuit: CircuitModel | None,
    mismatch_seed: int | None,
    x: torch.Tensor,
    selection: tuple[torch.Tensor, torch.Tensor],
    timesteps: int = 32,
    modes: tuple[str, ...] = ("bias",),
    rounds: int = CALIBRATION_ROUNDS,
    seed: int = 0,
    targets: list[torch.Tensor] | None = None,
    labels: torch.Tensor | None = None,
) -> dict[str, Chip]:
    """The chip ``(circuit, mismatch_seed)`` calibrated in each of ``modes``.

    Args:
        design: the chip as designed (its nominal rates are the targets).
        circuit: the chip's condition (``None``: the design's own).
        mismatch_seed: the chip's mismatch draw (``None``: nominal devices).
        x: calibration images (rate matching uses no labels; the trained
            modes train on ``labels``, which they need).
        selection: ``(images, labels)`` that pick the best round of each mode;
            disjoint from ``x`` and from any test image.
        modes: names of :data:`CALIBRATION_MODES`.
        targets: :func:`design_rates` on ``x``, to reuse them across chips.
        labels: the labels of ``x``, for ``bias-trained`` and ``both-trained``.

    Returns:
        ``{mode: Chip}``; ``none`` is the untrimmed chip.  The untrimmed run
        and the supply rounds are shared between the modes that need them.

    Example:
        >>> chips = calibrate_modes(design, circuit, 1, x_cal, (x_sel, y_sel),
        ...                         modes=("supply", "both"))  # doctest: +SKIP
    """
    for mode in modes:
        check_calibration_mode(mode)
    if labels is None and set(modes) & set(TRAINED_MODES.values()):
        raise ValueError("training through the chip needs the calibration "
                         "images' labels: pass labels=")
    circuit = circuit or design.circuit
    if targets is None:
        targets = design_rates(design, x, timesteps, seed)
    calibrator = _Calibrator(design, circuit, mismatch_seed, x, selection,
                             timesteps, seed, targets, labels)
    untrimmed = Chip(design, circuit, mismatch_seed)
    out: dict[str, Chip] = {}
    if "none" in modes:
        out["none"] = untrimmed
    if not set(modes) - {"none"}:
        return out
    start = (untrimmed, *calibrator.measure(untrimmed))
    if "bias" in modes:
        out["bias"] = _best([start, *calibrator.biases(start, rounds)])[0]
    if "bias-trained" in modes:
        out["bias-trained"] = _best(calibrator.trained(start))[0]
    if {"supply", "both", "both-trained"} & set(modes):
        supplied = [start, *calibrator.supplies()]
        best_supply = _best(supplied)
        if "supply" in modes:
            out["supply"] = best_supply[0]
        if "both" in modes:
            out["both"] = _best(
                [*supplied, *calibrator.biases(best_supply, rounds)])[0]
        if "both-trained" in modes:
            out["both-trained"] = _best(calibrator.trained(best_supply))[0]
    return {mode: out[mode] for mode in modes}


def calibrate(
    design: ChipDesign,
    circuit: CircuitModel | None,
    mismatch_seed: int | None,
    x: torch.Tensor,
    selection: tuple[torch.Tensor, torch.Tensor],
    timesteps: int = 32,
    mode: str = "bias",
    rounds: int = CALIBRATION_ROUNDS,
    seed: int = 0,
    targets: list[torch.Tensor] | None = None,
    labels: torch.Tensor | None = None,
) -> Chip:
    """The chip ``(circuit, mismatch_seed)`` calibrated in one ``mode``.

    See :func:`calibrate_modes` for the arguments.  The returned
    :class:`~ntlib.chip.simulator.Chip` holds its bias trims in ``trims`` and
    its synapse supplies in ``chip.design``'s layers.
    """
    return calibrate_modes(design, circuit, mismatch_seed, x, selection, timesteps,
                           (mode,), rounds, seed, targets, labels)[mode]
