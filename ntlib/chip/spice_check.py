"""The behavioural chip checked against SPICE on the same spike trains.

See chapter ``chip``.

The output layer (every neuron with all its synapses) is simulated twice on
the spikes the nominal chip's hidden layer sends it for each digit: by the
behavioural model and by ngspice with the SKY130 models
(:mod:`ntlib.chip.spice_layer`).  Same codes, same supplies, same bias
supplies.  The chapter trusts the behavioural model only as far as the two
agree.
"""

from __future__ import annotations

import numpy as np
import torch

from ntlib.chip.design import ChipDesign
from ntlib.chip.simulator import Chip
from ntlib.chip.spice_layer import LayerCircuit, simulate_layer
from ntlib.parallel import map_processes


def output_layer_circuit(design: ChipDesign) -> LayerCircuit:
    """The design's last layer as a :class:`LayerCircuit` (nominal devices)."""
    layer = design.layers[-1]
    if layer.conv is not None:
        raise ValueError("the last layer must be a dense layer to simulate in SPICE")
    return LayerCircuit(
        codes=layer.codes.numpy(),
        excite_supply_v=layer.excite_supply_v,
        inhibit_supply_v=layer.inhibit_supply_v,
        bias_supply_v=np.asarray(layer.bias_source_v),
        bias_sink_supply_v=np.asarray(layer.bias_sink_v),
        corner=design.circuit.corner,
        temp_c=design.circuit.temp_c,
    )


def _simulate(item: tuple[LayerCircuit, np.ndarray]) -> dict:
    circuit, spikes = item
    return simulate_layer(circuit, spikes)


def spice_versus_behaviour(
    design: ChipDesign,
    x: torch.Tensor,
    timesteps: int = 32,
    seed: int = 0,
    processes: int = 1,
) -> dict:
    """Run the output layer of the nominal chip in SPICE on images ``x``.

    Returns ``behaviour_counts`` and ``spice_counts`` (``(digits, neurons)``
    spike counts), ``behaviour_predictions`` and ``spice_predictions``
    (the class with most spikes; ties go to the higher final membrane),
    ``sim_seconds`` per digit and the SPICE run's ``power_w`` by domain per
    digit.
    """
    chip = Chip(design)
    last = len(design.layers) - 1
    run = chip.run(x, timesteps, torch.Generator().manual_seed(seed),
                   record_inputs_of=last)
    inputs = torch.stack(run.inputs).numpy()  # (T, digits, inputs)
    circuit = output_layer_circuit(design)
    items = [(circuit, inputs[:, d].astype(np.int8)) for d in range(x.shape[0])]
    results = map_processes(_simulate, items, processes)
    spice_counts = np.array([[sum(s) for s in r["spikes"]] for r in results])
    threshold = design.circuit.threshold_v
    membrane = np.array([r["final_membrane_v"] for r in results]) / threshold
    score = spice_counts + np.clip(membrane, 0, 0.999)
    return {
        "behaviour_counts": run.counts[-1].numpy(),
        "spice_counts": spice_counts,
        "behaviour_predictions": run.predictions.numpy(),
        "spice_predictions": score.argmax(1),
        "sim_seconds": np.array([r["sim_seconds"] for r in results]),
        "power_w": [r["power_w"] for r in results],
        "input_events": inputs.sum(axis=(0, 2)),
    }
