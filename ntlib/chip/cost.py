"""Cost of a simulated chip: energy per inference from its own event counts (ch. 10).

The counts are the chip's: synaptic events by signed code and layer, output
spikes, and the time an inference takes (``T`` steps).  The energies are
chapter ``energy``'s SPICE figures of one neuron at the nominal 1.2 V synapse supply,
with each layer's event energies scaled by ``(V_layer / 1.2 V)^2`` to its own
supply (charge and gate drive both grow about as ``C V^2``; an assumption the
chapter checks against the SPICE run of the output layer).
"""

from __future__ import annotations

import numpy as np

from ntlib.chip.circuit_model import STEP_S
from ntlib.chip.design import ChipDesign
from ntlib.chip.simulator import ChipRun
from ntlib.circuits.energy_figures import EnergyFigures
from ntlib.energy import bias_power_w
from ntlib.quantise import MAX_CODE


def chip_energy_j(
    design: ChipDesign,
    run: ChipRun,
    figures: EnergyFigures,
    timesteps: int,
    held_rheobase: list[np.ndarray] | None = None,
) -> dict[str, float]:
    """Energy per inference by part: ``events``, ``spikes``, ``neuron static``,
    ``bias static`` and ``total``, joules.

    ``held_rheobase``: the biases the chip holds (default: the design's).
    """
    if not run.events_by_code:
        raise ValueError(
            "the chip run has no event counts; run the chip with count_events=True"
        )
    nominal = figures.supply_v
    events_j = 0.0
    for layer, events in zip(design.layers, run.events_by_code, strict=True):
        for index, count in enumerate(events):
            code = index - MAX_CODE
            if code == 0:
                continue
            supply = layer.excite_supply_v if code > 0 else layer.inhibit_supply_v
            events_j += count * figures.synaptic_event_j[code] * (supply / nominal) ** 2
    spikes = sum(float(c.sum(dim=tuple(range(1, c.dim()))).mean()) for c in run.counts)
    neurons = sum(layer.neurons for layer in design.layers)
    duration = timesteps * STEP_S
    if held_rheobase is None:
        held_rheobase = [
            design.circuit.bias_rheobase(layer.bias_source_v, layer.bias_sink_v)
            for layer in design.layers
        ]
    low, high = figures.bias_range_rheobase
    biases = np.clip(np.concatenate(held_rheobase), low, high)
    parts = {
        "events": float(events_j),
        "spikes": spikes * figures.spike_j,
        "neuron static": neurons * figures.neuron_static_w * duration,
        "bias static": float(bias_power_w(figures.bias_power_at, biases).sum())
        * duration,
    }
    parts["total"] = sum(parts.values())
    return parts
