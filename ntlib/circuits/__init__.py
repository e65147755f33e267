"""The analog neuromodulated neuron in SPICE (chapters 7-9).

``models`` holds the transistor model cards and documented ranges, ``neuron``
the netlist, ``simulate`` runs ngspice safely, ``measure`` turns waveforms into
rates, powers and energies, and ``lif`` sets the circuit beside the ideal
leaky integrate-and-fire model.
"""

from ntlib.circuits.measure import (
    domain_power_w,
    firing_rate_hz,
    input_event_count,
    spike_times_s,
    summarize,
    sweep_supply,
)
from ntlib.circuits.models import (
    BIAS_SUPPLY_RANGE_V,
    MODEL_CARDS,
    SYNAPSE_SUPPLY_RANGE_V,
    WEIGHT_CODE_RANGE,
)
from ntlib.circuits.neuron import NeuronParams, build_netlist
from ntlib.circuits.simulate import (
    SimulationError,
    Transient,
    simulate_neuron,
    source_current_a,
)

__all__ = [
    "BIAS_SUPPLY_RANGE_V",
    "MODEL_CARDS",
    "SYNAPSE_SUPPLY_RANGE_V",
    "WEIGHT_CODE_RANGE",
    "NeuronParams",
    "SimulationError",
    "Transient",
    "build_netlist",
    "domain_power_w",
    "firing_rate_hz",
    "input_event_count",
    "simulate_neuron",
    "source_current_a",
    "spike_times_s",
    "summarize",
    "sweep_supply",
]
