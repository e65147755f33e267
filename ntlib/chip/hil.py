"""NT trained through the chip: one fabricated chip's biases learned on it.

See chapter ``calibration``.

Rate matching (:mod:`ntlib.chip.calibrate`) trims a chip's biases until its
neurons fire as the design's do; it never asks whether the chip then
classifies well.  Training through the chip asks exactly that: the NT biases
are trained again, as chapter ``neuromodulatory_tuning`` trains them, but on
the chip's own behaviour, its mismatch, corner and temperature included
(hardware in the loop).  The chip's step-by-step run is made differentiable
in an extra bias per neuron (:meth:`~ntlib.chip.simulator.Chip.run`'s
``extra_bias``, with a surrogate gradient for each spike, as chapter
``nt_in_snn`` trains the SNN), and Adam lowers the cross-entropy of its
read-out on labelled calibration images.

A trained trim is only a wish until the chip holds it: each epoch's trims go
through the chip's bias DACs (:class:`~ntlib.chip.simulator.Chip` with
``trims``: the range, the dead zone near zero and the DAC grid), and that
realised chip is the epoch's candidate.  The caller keeps the candidate that
classifies separate, labelled selection images best, as for rate matching.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch
import torch.nn.functional as F

from ntlib.chip.simulator import Chip

#: Passes over the calibration images, each giving one candidate chip.
TRAIN_EPOCHS = 4
#: Adam's step, rheobase units of bias.
TRAIN_LR = 0.1
#: Images per gradient step.
TRAIN_BATCH = 32


def trained_trims(
    chip: Chip,
    x: torch.Tensor,
    y: torch.Tensor,
    timesteps: int = 32,
    epochs: int = TRAIN_EPOCHS,
    lr: float = TRAIN_LR,
    batch_size: int = TRAIN_BATCH,
    seed: int = 0,
) -> Iterator[list[np.ndarray]]:
    """Per epoch, the bias trims (rheobase units, a flat array per layer) trained on ``chip``.

    The trims start at zero and are added to the biases ``chip`` holds; the
    loss is the cross-entropy of the chip's scores (output spikes plus the
    output membrane) on ``(x, y)``, with a fresh Poisson draw of the input
    every step (``seed`` fixes them all, and the order of the images).

    Example:
        >>> for trims in trained_trims(chip, x_cal, y_cal, epochs=2):  # doctest: +SKIP
        ...     candidate = Chip(chip.design, chip.circuit, chip.mismatch_seed, trims)
    """
    if epochs < 1 or batch_size < 1 or not lr > 0:
        raise ValueError(f"epochs and batch_size must be at least 1 and lr above 0; "
                         f"got {epochs}, {batch_size}, {lr}")
    per_rheobase = float(chip.circuit.bias_per_rheobase)
    trims = [torch.zeros(layer.out_shape, requires_grad=True)
             for layer in chip.design.layers]
    optimiser = torch.optim.Adam(trims, lr=lr)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(x), batch_size):
            pick = order[start:start + batch_size]
            run = chip.run(x[pick], timesteps, generator,
                           extra_bias=[t * per_rheobase for t in trims])
            loss = F.cross_entropy(run.scores, y[pick])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        yield [t.detach().flatten().numpy().astype(np.float64) for t in trims]
