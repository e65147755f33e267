"""One layer of analog neurons as one SKY130 netlist, driven by spike trains.

See chapter ``chip``.

A layer of ``N`` neurons with ``M`` input lines is a crossbar: each input
line has one excitatory and one inhibitory gate driver (inverters on the
synapse domain, as in the single neuron of chapter ``analog_neuron``), and every synapse
with a non-zero code is one transistor of ``|code|`` unit sources
(``m=|code|``: identical units in parallel; ``mult=|code|`` gives it the PDK's
mismatch of ``|code|`` units, the models use ``mult`` for nothing else) hung from its
line's driver onto its neuron's membrane.  Every neuron is chapter ``analog_neuron``'s
circuit (membrane, leak, comparator, reset) with its own NT bias domains.  The
excitatory units and drivers share one supply; the inhibitory drivers have their own, so
that each bank's gain can be set to the layer's (chapter ``chip``'s design).  The input
spikes arrive one time step apart (``STEP_S``, 20 µs) half a step in, like the single
neuron's.

Synapses at code 0 are left out of the netlist (their units are off; their
leakage is below a picoampere).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ntlib.chip.circuit_model import PROCESS, STEP_S
from ntlib.circuits.cache import cache_key, cached_json
from ntlib.circuits.neuron import (
    INPUT_EDGE_S,
    INPUT_PULSE_WIDTH_S,
    NeuronParams,
    Synapse,
    neuron_subckt,
)
from ntlib.circuits.simulate import run_netlist

#: Simulator options of a layer: the single neuron's, with a relative tolerance
#: of 5e-3 instead of 1e-3 (a layer is a hundred times more devices; the
#: benchmark checks that the spikes do not change).
LAYER_OPTIONS_LINE = PROCESS.writer.OPTIONS_LINE.replace("reltol=1e-3", "reltol=5e-3")


@dataclass(frozen=True)
class LayerCircuit:
    """What one SPICE run of a layer depends on.

    Attributes:
        codes: ``(N, M)`` signed weight codes, -7..+7.
        excite_supply_v: the excitatory synapse domain (PMOS units and their
            drivers), volts.
        inhibit_supply_v: the inhibitory drivers' domain (it sets the NMOS
            units' gate drive), volts.
        bias_supply_v, bias_sink_supply_v: ``(N,)`` each neuron's NT bias
            domains (0 V switches a domain off).
        corner, temp_c: process corner and temperature.
    """

    codes: np.ndarray
    excite_supply_v: float
    inhibit_supply_v: float
    bias_supply_v: np.ndarray
    bias_sink_supply_v: np.ndarray
    corner: str = "tt"
    temp_c: float = 27.0

    def __post_init__(self) -> None:
        codes = np.asarray(self.codes)
        if codes.ndim != 2 or np.any(np.abs(codes) > 7) or np.any(codes != np.round(codes)):
            raise ValueError("codes must be an (N, M) array of integers -7..+7")
        n = codes.shape[0]
        for name in ("bias_supply_v", "bias_sink_supply_v"):
            if np.asarray(getattr(self, name)).shape != (n,):
                raise ValueError(f"{name} must hold one supply per neuron ({n})")
        # Checks the supplies, corner and temperature like the single neuron.
        for supply in (self.excite_supply_v, self.inhibit_supply_v):
            NeuronParams(supply_v=supply, corner=self.corner, temp_c=self.temp_c)


def _pwl(steps: np.ndarray, idle_v: float, active_v: float) -> str:
    """A PWL source value with one pulse per spiking step."""
    points = [(0.0, idle_v)]
    for t in steps:
        start = (t + 0.5) * STEP_S
        points += [
            (start, idle_v),
            (start + INPUT_EDGE_S, active_v),
            (start + INPUT_EDGE_S + INPUT_PULSE_WIDTH_S, active_v),
            (start + 2 * INPUT_EDGE_S + INPUT_PULSE_WIDTH_S, idle_v),
        ]
    return "PWL(" + " ".join(f"{t:.9g} {v:g}" for t, v in points) + ")"


def _neuron_lines(j: int, circuit: LayerCircuit, fired: np.ndarray) -> list[str]:
    """Neuron ``j``: its subcircuit (with its synapses), placed on nodes ``*_j``.

    The synapses hang from the shared gate nodes ``gp<i>``/``gn<i>`` of the
    input lines that fire (``fired[i]``; a silent line has no driver, and its
    synapses are left out); the NT bias domains are the neuron's own sources
    (left out at 0 V).
    """
    codes = np.asarray(circuit.codes, dtype=int)[j]
    synapses = [
        Synapse(str(i), max(c, 0), max(-c, 0), label=f"{j}_{i}")
        for i, c in enumerate(codes.tolist())
        if c != 0 and fired[i]
    ]
    source_v = float(circuit.bias_supply_v[j])
    sink_v = float(circuit.bias_sink_supply_v[j])
    lines, ports = neuron_subckt(
        f"neuron{j}", PROCESS.name, synapses, source_v > 0, sink_v > 0
    )
    if source_v > 0:
        lines.append(f"Vbias_{j} vbias_{j} 0 DC {source_v:g}")
    if sink_v > 0:
        lines.append(f"Vbiasn_{j} vbiasn_{j} 0 DC {sink_v:g}")
    own = {"mem", "spk", "ref", "n1", "vbias", "vbiasn"}
    nodes = [f"{port}_{j}" if port in own else port for port in ports]
    return [*lines, f"Xn{j} {' '.join(nodes)} neuron{j}"]


def layer_netlist(
    circuit: LayerCircuit, spikes: np.ndarray, mismatch_seed: int | None = None
) -> str:
    """The netlist of the layer driven by ``spikes`` (``(T, M)`` of 0/1)."""
    codes = np.asarray(circuit.codes, dtype=int)
    n, m = codes.shape
    spikes = np.asarray(spikes)
    if spikes.ndim != 2 or spikes.shape[1] != m:
        raise ValueError(f"spikes must be (T, {m}) for {m} input lines")
    steps = spikes.shape[0]
    logic, driver = PROCESS.writer.LOGIC_V, PROCESS.writer.driver_lines
    lines = [".title analog layer", *PROCESS.model_lines(circuit.corner, mismatch_seed)]
    lines += [
        f"Vsyn vsyn 0 DC {circuit.excite_supply_v:g}",
        f"Vsyni vsyni 0 DC {circuit.inhibit_supply_v:g}",
        f"Vneuron vdd 0 DC {PROCESS.neuron_supply_v:g}",
    ]
    for i in range(m):
        fired = np.flatnonzero(spikes[:, i])
        if fired.size and np.any(codes[:, i] > 0):
            lines.append(f"Vinp{i} inp{i} 0 {_pwl(fired, 0.0, logic)}")
            lines += driver(f"gp{i}", f"inp{i}", "vsyn")
        if fired.size and np.any(codes[:, i] < 0):
            lines.append(f"Vinn{i} inn{i} 0 {_pwl(fired, logic, 0.0)}")
            lines += driver(f"gn{i}", f"inn{i}", "vsyni")
    fired_lines = spikes.any(axis=0)
    for j in range(n):
        lines += _neuron_lines(j, circuit, fired_lines)
    duration = steps * STEP_S
    lines += [
        f".temp {circuit.temp_c:g}",
        LAYER_OPTIONS_LINE,
        ".ic " + " ".join(f"v(mem_{j})=0 v(ref_{j})=0" for j in range(n)),
        f".tran {STEP_S / 10:g} {duration:g} uic",
        ".end",
    ]
    return "\n".join(lines)


def _spike_steps(time_s: np.ndarray, spike_v: np.ndarray, steps: int) -> np.ndarray:
    half = PROCESS.neuron_supply_v / 2
    idx = np.flatnonzero((spike_v[:-1] < half) & (spike_v[1:] >= half))
    counts = np.zeros(steps, dtype=int)
    for t in time_s[idx + 1]:
        counts[min(int(t // STEP_S), steps - 1)] += 1
    return counts


def _simulate(netlist: str, n: int, steps: int) -> dict:
    start = time.perf_counter()
    vectors = run_netlist(netlist, describe=f"analog layer of {n} neurons")
    sim_seconds = time.perf_counter() - start
    t = vectors["time"]
    span = t[-1] - t[0]

    def power(source: str, node: str) -> float:
        return float(np.trapezoid(-vectors[f"{source}#branch"] * vectors[node], t) / span)

    bias_w = sum(  # each bias source "Vbias_j" drives the node "vbias_j"
        power(name.split("#")[0], name.split("#")[0])
        for name in vectors
        if name.startswith(("vbias_", "vbiasn_")) and name.endswith("#branch")
    )
    return {
        "spikes": [_spike_steps(t, vectors[f"spk_{j}"], steps).tolist()
                   for j in range(n)],
        "final_membrane_v": [float(vectors[f"mem_{j}"][-1]) for j in range(n)],
        "power_w": {"synapse": power("vsyn", "vsyn") + power("vsyni", "vsyni"),
                    "neuron": power("vneuron", "vdd"), "bias": bias_w},
        "duration_s": steps * STEP_S,
        "sim_seconds": sim_seconds,
    }


def simulate_layer(
    circuit: LayerCircuit, spikes: np.ndarray, mismatch_seed: int | None = None
) -> dict:
    """Run the layer in ngspice (cached): output spikes per step and domain powers.

    Returns ``spikes`` (``N`` lists of per-step counts), ``final_membrane_v``,
    ``power_w`` by domain (``synapse``, ``neuron``, ``bias``: mean over the
    run), ``duration_s`` and ``sim_seconds`` (of the run that computed it).
    The cache key is the netlist itself and the model files' identity.
    """
    netlist = layer_netlist(circuit, spikes, mismatch_seed)
    n, steps = np.asarray(circuit.codes).shape[0], np.asarray(spikes).shape[0]
    key = cache_key("layer", netlist, PROCESS.cache_key(circuit.corner))
    return cached_json(key, lambda: _simulate(netlist, n, steps))
