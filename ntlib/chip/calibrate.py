"""NT as calibration: re-tune a fabricated chip's bias supplies, weights frozen.

See chapter ``chip``.

Every fabricated chip differs from its design: each transistor's mismatch,
and the corner and temperature it runs at.  The NT bias of each neuron is a
knob that can trim it.  :func:`calibrate` measures one chip alone, on a few
calibration images, and moves each neuron's bias until its mean firing rate
matches the rate the *design* gives on the same images (the design's rates
are known before fabrication: they are a simulation of the nominal chip).
A neuron firing ``r`` times per step too often gets ``r`` thresholds per step
less bias (the step an integrate-and-fire neuron's rate answers with), all
layers at once, for a few rounds.  Only bias supplies change.

Matching mean rates with an additive knob cannot undo a *gain* error (a
corner where every synapse is weaker): it shifts every neuron by its own
amount and can blur the classes.  So the calibration also reads the chip's
answers on the (labelled) calibration images and keeps the round that
classifies them best, the untrimmed chip included: it never makes a chip worse
on the images it was calibrated on.
"""

from __future__ import annotations

import numpy as np
import torch

from ntlib.chip.circuit_model import CircuitModel
from ntlib.chip.design import ChipDesign
from ntlib.chip.simulator import Chip

#: Calibration rounds.
CALIBRATION_ROUNDS = 6
STEP_FRACTION = 1.0


def design_rates(
    design: ChipDesign, x: torch.Tensor, timesteps: int, seed: int = 0
) -> list[torch.Tensor]:
    """Mean spikes per step of every neuron of the nominal design on ``x``."""
    run = Chip(design).run(x, timesteps, torch.Generator().manual_seed(seed))
    return [c.mean(0) / timesteps for c in run.counts]


def calibrate(
    design: ChipDesign,
    circuit: CircuitModel | None,
    mismatch_seed: int | None,
    x: torch.Tensor,
    y: torch.Tensor,
    timesteps: int = 32,
    rounds: int = CALIBRATION_ROUNDS,
    seed: int = 0,
    targets: list[torch.Tensor] | None = None,
) -> Chip:
    """The chip ``(circuit, mismatch_seed)`` with its biases trimmed on images ``x``.

    ``y`` are the labels of ``x``.  Returns the trimmed
    :class:`~ntlib.chip.simulator.Chip` (its ``trims`` attribute holds them).
    ``targets`` (from :func:`design_rates`) may be passed to reuse them across chips.
    """
    if targets is None:
        targets = design_rates(design, x, timesteps, seed)
    trims = [np.zeros(layer.neurons) for layer in design.layers]
    per_rheobase = design.circuit.bias_per_rheobase
    chip = Chip(design, circuit, mismatch_seed)
    best, best_correct = chip, -1
    for round_ in range(rounds + 1):
        run = chip.run(x, timesteps, torch.Generator().manual_seed(seed))
        correct = int((run.predictions == y).sum())
        if correct > best_correct:
            best, best_correct = chip, correct
        if round_ == rounds:
            break
        for index, (count, target) in enumerate(zip(run.counts, targets, strict=True)):
            error = (target - count.mean(0) / timesteps).flatten().numpy()
            trims[index] = trims[index] + STEP_FRACTION * error / per_rheobase
        chip = Chip(design, circuit, mismatch_seed, [t.copy() for t in trims])
    return best
