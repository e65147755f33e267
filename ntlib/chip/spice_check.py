"""The behavioural chip checked against SPICE, layer by layer, on the same spikes.

See chapter ``chip``.

For each layer a slice (:mod:`ntlib.chip.slices`: some of its neurons with
all their input lines, each line with its whole fan-out) is simulated twice
on the spikes the behavioural chip sends that layer for each digit: by the
behavioural model and by ngspice with the SKY130 models
(:mod:`ntlib.chip.spice_layer`).  Same codes, same supplies, same bias
supplies, and for a mismatched chip the same draw.  A condition
(:class:`Condition`) is a corner and temperature, nominal or with one
mismatch draw; the behavioural chip of that condition produces the spikes.

The slices of a layer are independent netlists: they run on any
:class:`concurrent.futures.Executor` (its ``map``), else in ``processes``
worker processes (:func:`ntlib.parallel.map_processes`); every run is cached.
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np
import torch
from scipy.stats import beta as beta_distribution

from ntlib.chip.circuit_model import circuit_model
from ntlib.chip.design import ChipDesign
from ntlib.chip.simulator import Chip
from ntlib.chip.slices import layer_index, slice_circuit, slice_neurons
from ntlib.chip.spice_layer import (
    LAYER_METHOD,
    LAYER_RELTOL,
    LAYER_STEP_S,
    LayerCircuit,
    simulate_layer,
)
from ntlib.parallel import map_processes


@dataclass(frozen=True)
class Condition:
    """A chip to check: a corner and temperature, nominal or one mismatch draw."""

    name: str
    corner: str = "tt"
    temp_c: float = 27.0
    mismatch_seed: int | None = None

    def chip(self, design: ChipDesign) -> Chip:
        """The behavioural chip of this condition."""
        circuit = (design.circuit if (self.corner, self.temp_c) == (
            design.circuit.corner, design.circuit.temp_c)
            else circuit_model(self.corner, self.temp_c))
        return Chip(design, circuit, self.mismatch_seed)


#: The conditions the chapter and the benchmark check: typical, one
#: mismatched chip (typical corner), and the slow corner.
CONDITIONS: dict[str, Condition] = {
    "tt": Condition("tt"),
    "mismatch": Condition("mismatch", mismatch_seed=1),
    "ss": Condition("ss", corner="ss"),
}


def digit_seed(seed: int, digit: int) -> int:
    """The seed of digit ``digit``'s Poisson input in a check seeded ``seed``."""
    return seed * 1_000_003 + digit


def _simulate(item: tuple[LayerCircuit, np.ndarray, float]) -> dict:
    circuit, spikes, step_s, reltol, method = item
    return simulate_layer(circuit, spikes, step_s=step_s, reltol=reltol, method=method)


def slice_versus_behaviour(
    design: ChipDesign,
    layer: str,
    x: torch.Tensor,
    condition: Condition = CONDITIONS["tt"],
    timesteps: int = 32,
    seed: int = 0,
    slice_size: dict | None = None,
    processes: int = 1,
    executor: Executor | None = None,
    step_s: float = LAYER_STEP_S,
    reltol: float = LAYER_RELTOL,
    method: str = LAYER_METHOD,
) -> dict:
    """A slice of ``layer`` in SPICE against the behavioural chip on images ``x``.

    Args:
        design: the chip.
        layer: a key of :func:`ntlib.chip.slices.layer_keys` (``output``...).
        x: the test images, one SPICE run each.
        condition: the chip (corner, temperature, mismatch draw).
        timesteps, seed: the Poisson input (the chip's; digit ``d`` draws
            from :func:`digit_seed`).
        slice_size: :func:`ntlib.chip.slices.slice_neurons`'s ``neurons`` or
            ``channels`` and ``patch`` (default: its defaults).
        processes, executor: where the SPICE runs go (see the module).
        step_s, reltol, method: the transient's step, tolerance and
            integration (:func:`ntlib.chip.spice_layer.options_line`).

    Returns:
        ``neurons`` (the slice's, in the layer's order), ``input_lines`` (how
        many lines the slice keeps), ``behaviour_counts``
        and ``spice_counts`` (``(digits, neurons)``), ``spice_membrane``
        (final membranes over the threshold), ``input_events`` per digit,
        ``sim_seconds`` per digit and ``power_w`` by domain per digit; for
        the output layer also ``behaviour_predictions`` and
        ``spice_predictions`` (most spikes; ties to the higher membrane).
    """
    index = layer_index(design, layer)
    neurons = slice_neurons(design, layer, **(slice_size or {}))
    chip = condition.chip(design)
    # one Poisson draw per digit, so a digit's spikes do not depend on the batch
    runs = [chip.run(x[d:d + 1], timesteps, torch.Generator().manual_seed(
        digit_seed(seed, d)), record_inputs_of=index) for d in range(x.shape[0])]
    circuit, lines = slice_circuit(chip, index, neurons)
    inputs = np.concatenate([torch.stack(r.inputs).numpy() for r in runs],
                            axis=1)[:, :, lines]  # (T, digits, lines)
    items = [(circuit, inputs[:, d].astype(np.int8), step_s, reltol, method)
             for d in range(x.shape[0])]
    results = (list(executor.map(_simulate, items)) if executor is not None
               else map_processes(_simulate, items, processes))
    spice_counts = np.array([[sum(s) for s in r["spikes"]] for r in results])
    membrane = np.array([r["final_membrane_v"] for r in results])
    out = {
        "neurons": neurons,
        "input_lines": len(lines),
        "behaviour_counts": np.concatenate(
            [r.counts[index].flatten(1).numpy()[:, neurons] for r in runs]),
        "spice_counts": spice_counts,
        "spice_membrane": membrane / chip.circuit.threshold_v,
        "input_events": inputs.sum(axis=(0, 2)),
        "sim_seconds": np.array([r["sim_seconds"] for r in results]),
        "power_w": [r["power_w"] for r in results],
    }
    if index == len(design.layers) - 1 and len(neurons) == design.layers[-1].neurons:
        score = spice_counts + np.clip(out["spice_membrane"], 0, 0.999)
        out["behaviour_predictions"] = np.concatenate(
            [r.predictions.numpy() for r in runs])
        out["spice_predictions"] = score.argmax(1)
    return out


def clopper_pearson_lower(successes: int, trials: int, level: float = 0.95) -> float:
    """Lower end of the two-sided Clopper-Pearson interval of ``successes/trials``.

    Example:
        >>> round(clopper_pearson_lower(12, 12), 3)
        0.735
    """
    if successes <= 0:
        return 0.0
    return float(beta_distribution.ppf((1 - level) / 2, successes,
                                       trials - successes + 1))


def agreement(check: dict) -> dict:
    """How closely SPICE follows the behavioural model in one check.

    ``count_error`` (mean absolute spike-count difference per neuron and
    digit, over the mean behavioural count), ``mean_count``, ``correlation``
    of the counts (nan if either is constant); for the output layer
    ``winner_agreement``, ``agreeing`` digits, ``digits`` and
    ``winner_lower_95`` (Clopper-Pearson).
    """
    model = np.asarray(check["behaviour_counts"], dtype=float)
    spice = np.asarray(check["spice_counts"], dtype=float)
    mean = model.mean()
    constant = model.std() == 0 or spice.std() == 0
    out = {
        "count_error": float(np.abs(spice - model).mean() / mean) if mean > 0
        else float("nan"),
        "mean_count": float(mean),
        "correlation": float("nan") if constant
        else float(np.corrcoef(model.ravel(), spice.ravel())[0, 1]),
    }
    if "spice_predictions" in check:
        same = int(np.sum(check["spice_predictions"] == check["behaviour_predictions"]))
        digits = len(check["spice_predictions"])
        out.update(winner_agreement=same / digits, agreeing=same, digits=digits,
                   winner_lower_95=clopper_pearson_lower(same, digits))
    return out


def spice_versus_behaviour(
    design: ChipDesign,
    x: torch.Tensor,
    timesteps: int = 32,
    seed: int = 0,
    processes: int = 1,
) -> dict:
    """The whole output layer of the nominal chip in SPICE on images ``x``.

    :func:`slice_versus_behaviour` of layer ``output`` at the design's own
    corner; its result, with ``spice_predictions`` and
    ``behaviour_predictions``.
    """
    layer = design.layers[-1]
    if layer.conv is not None:
        raise ValueError("the last layer must be a dense layer to simulate in SPICE")
    condition = Condition("nominal", design.circuit.corner, design.circuit.temp_c)
    return slice_versus_behaviour(design, "output", x, condition, timesteps, seed,
                                  {"neurons": layer.neurons}, processes)


def output_layer_circuit(design: ChipDesign) -> LayerCircuit:
    """The design's whole last layer as a :class:`LayerCircuit` (nominal devices)."""
    layer = design.layers[-1]
    if layer.conv is not None:
        raise ValueError("the last layer must be a dense layer to simulate in SPICE")
    neurons = np.arange(layer.neurons)
    return slice_circuit(Chip(design), len(design.layers) - 1, neurons)[0]
