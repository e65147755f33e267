"""NT trained through the chip: one fabricated chip's biases learned on it.

See chapters ``chip`` (a design trained through its chip) and ``calibration``.

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

The same training serves the design itself (:func:`trained_design`): the
nominal chip's NT biases trained through it on the task's training images,
so that the bias bank a task ships with already counts on the circuit's
physics (the leak, the reset to zero, the membrane-dependent synapses) that
the converted network knows nothing of.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ntlib.chip.design import ChipDesign, trimmed_bank
from ntlib.chip.simulator import Chip
from ntlib.circuits.cache import cache_key, cached_json

#: Passes over the calibration images, each giving one candidate chip.
TRAIN_EPOCHS = 4
#: Adam's step, rheobase units of bias.
TRAIN_LR = 0.1
#: Images per gradient step.
TRAIN_BATCH = 32
#: Passes over the training images when a design's biases are trained.
DESIGN_EPOCHS = 4


def trained_trims(
    chip: Chip,
    x: torch.Tensor,
    y: torch.Tensor,
    timesteps: int = 32,
    epochs: int = TRAIN_EPOCHS,
    lr: float = TRAIN_LR,
    batch_size: int = TRAIN_BATCH,
    seed: int = 0,
    anneal: bool = False,
) -> Iterator[list[np.ndarray]]:
    """Per epoch, the bias trims (rheobase units, a flat array per layer) trained on ``chip``.

    The trims start at zero and are added to the biases ``chip`` holds; the
    loss is the cross-entropy of the chip's scores (output spikes plus the
    output membrane) on ``(x, y)``, with a fresh Poisson draw of the input
    every step (``seed`` fixes them all, and the order of the images).
    With ``anneal`` the step size falls linearly from ``lr`` to zero over
    all the epochs, so that the last epoch's trims are settled rather than
    one noisy step among many.

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
    steps = epochs * -(-len(x) // batch_size)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, (lambda step: 1 - step / steps) if anneal else (lambda step: 1.0))
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
            schedule.step()
        yield [t.detach().flatten().numpy().astype(np.float64) for t in trims]


def trained_design(
    design: ChipDesign,
    x: torch.Tensor,
    y: torch.Tensor,
    timesteps: int,
    epochs: int = DESIGN_EPOCHS,
    seed: int = 0,
    cache_dir: str | Path | None = None,
) -> ChipDesign:
    """``design`` holding NT biases trained through its own nominal chip.

    The trims are trained on ``(x, y)`` (labelled training images, none of
    them a test image) with a step size that anneals to zero
    (:func:`trained_trims`), and the last epoch's are kept: no selection
    set is needed.  They reach the design as a bias bank on the DAC grid
    (:func:`~ntlib.chip.design.trimmed_bank`), so every chip built from the
    result, mismatched or not, holds them.  The bank is kept in the disk
    cache (:mod:`ntlib.cache`), keyed by a hash of the design, the images,
    the settings and the simulator's code, so a design is trained once per
    cache.

    Example:
        >>> design_t = trained_design(setup.design, *training, 8)  # doctest: +SKIP
        >>> Chip(design_t).accuracy(*setup.test, 8)  # doctest: +SKIP
    """
    key = cache_key("trained-bank", _code_digest(), design_fingerprint(design),
                    _tensor_digest(x), _tensor_digest(y), timesteps, epochs,
                    seed, TRAIN_LR, TRAIN_BATCH)

    def train() -> list[list[float]]:
        for trims in trained_trims(Chip(design), x, y, timesteps, epochs,
                                   seed=seed, anneal=True):
            pass
        return trimmed_bank(design, trims).tolist()

    bank = np.asarray(cached_json(key, train, cache_dir), dtype=np.float64)
    return design.with_bank(bank)


def _code_digest() -> str:
    """A hash of the code a training runs: a change to the chip retrains."""
    from ntlib.chip import design as design_module
    from ntlib.chip import simulator

    digest = hashlib.sha256()
    for module in (simulator, design_module, sys.modules[__name__]):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()


def _tensor_digest(t: torch.Tensor) -> str:
    return hashlib.sha256(t.detach().contiguous().numpy().tobytes()).hexdigest()


def design_fingerprint(design: ChipDesign) -> str:
    """A hash of everything in ``design`` that changes how its chip behaves."""
    digest = hashlib.sha256()
    digest.update(json.dumps(
        [design.input_shape,
         [(kind, None if kind == "layer" else op) for kind, op in design.ops],
         design.initial_membrane, asdict(design.circuit)],
        sort_keys=True, default=str).encode())
    for layer in design.layers:
        digest.update(json.dumps(
            [layer.name, layer.conv, layer.out_shape, layer.gain,
             layer.excite_supply_v, layer.inhibit_supply_v],
            sort_keys=True, default=str).encode())
        for array in (layer.codes, layer.bias_source_v, layer.bias_sink_v,
                      layer.neuron_gain):
            if array is not None:
                digest.update(np.ascontiguousarray(
                    np.asarray(array, dtype=np.float64)).tobytes())
    return digest.hexdigest()
