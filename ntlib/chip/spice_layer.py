"""One layer of analog neurons as one SKY130 netlist, driven by spike trains (chapter 10).

A layer of ``N`` neurons with ``M`` input lines is a crossbar: each input
line has one excitatory and one inhibitory gate driver (inverters on the
synapse domain, as in the single neuron of chapter 7), and every synapse
with a non-zero code is one transistor of ``|code|`` unit sources
(``m=|code|``: identical units in parallel; ``mult=|code|`` gives it the PDK's
mismatch of ``|code|`` units, the models use ``mult`` for nothing else) hung from its line's driver onto its neuron's
membrane.  Every neuron is chapter 7's circuit (membrane, leak, comparator,
reset) with its own NT bias domains.  The excitatory units and drivers
share one supply; the inhibitory drivers have their own, so that each bank's
gain can be set to the layer's (chapter 10's design).  The input spikes arrive one time step
apart (``STEP_S``, 20 µs) half a step in, like the single neuron's.

Synapses at code 0 are left out of the netlist (their units are off; their
leakage is below a picoampere).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ntlib.chip.circuit_model import STEP_S
from ntlib.circuits import netlist_sky130 as parts
from ntlib.circuits.cache import cache_key, cached_json
from ntlib.circuits.characterize import model_key
from ntlib.circuits.neuron import (
    FEEDBACK_CAPACITANCE_F,
    INPUT_EDGE_S,
    INPUT_PULSE_WIDTH_S,
    LEAK_RESISTANCE_OHM,
    MEMBRANE_CAPACITANCE_F,
    REFRACTORY_CAPACITANCE_F,
    REFRACTORY_RESISTANCE_OHM,
    NeuronParams,
)
from ntlib.circuits.simulate import run_netlist
from ntlib.circuits.sky130 import device_line, model_lines

#: Simulator options of a layer: the single neuron's, with a relative tolerance
#: of 5e-3 instead of 1e-3 (a layer is a hundred times more devices; the
#: benchmark checks that the spikes do not change).
LAYER_OPTIONS_LINE = parts.OPTIONS_LINE.replace("reltol=1e-3", "reltol=5e-3")


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


def _neuron_lines(j: int, circuit: LayerCircuit) -> list[str]:
    """Membrane, comparator, reset and NT bias of neuron ``j`` (node suffix ``_j``)."""
    s = f"_{j}"
    lines = [
        f"Cm{s} mem{s} 0 {MEMBRANE_CAPACITANCE_F:g}",
        f"Rleak{s} mem{s} 0 {LEAK_RESISTANCE_OHM:g}",
        f"Cfb{s} spk{s} mem{s} {FEEDBACK_CAPACITANCE_F:g}",
        f"Cref{s} ref{s} 0 {REFRACTORY_CAPACITANCE_F:g}",
        f"Rref{s} ref{s} 0 {REFRACTORY_RESISTANCE_OHM:g}",
    ]
    for line in parts.comparator_lines():
        if line.startswith("*"):
            continue
        name, drain, gate, source, body, *rest = line.split()
        rename = {"mem": f"mem{s}", "n1": f"n1{s}", "spk": f"spk{s}", "ref": f"ref{s}"}
        lines.append(" ".join([name + s, *(rename.get(n, n) for n in
                                          (drain, gate, source, body)), *rest]))
    source_v = float(circuit.bias_supply_v[j])
    sink_v = float(circuit.bias_sink_supply_v[j])
    if source_v > 0:
        w, length = parts.BIAS_PMOS_WL_UM
        lines += [f"Vbias{s} vbias{s} 0 DC {source_v:g}",
                  device_line(f"bp{s}", f"mem{s}", "0", f"vbias{s}", f"vbias{s}",
                              "pfet_01v8", w, length)]
    if sink_v > 0:
        w, length = parts.BIAS_NMOS_WL_UM
        lines += [f"Vbiasn{s} vbiasn{s} 0 DC {sink_v:g}",
                  device_line(f"bn{s}", f"mem{s}", f"vbiasn{s}", "0", "0",
                              "nfet_01v8", w, length)]
    return lines


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
    pw, pl = parts.SYNAPSE_PMOS_WL_UM
    nw, nl = parts.SYNAPSE_NMOS_WL_UM
    logic = parts.LOGIC_V
    lines = [".title analog layer", *model_lines(circuit.corner, mismatch_seed)]
    lines += [
        f"Vsyn vsyn 0 DC {circuit.excite_supply_v:g}",
        f"Vsyni vsyni 0 DC {circuit.inhibit_supply_v:g}",
        f"Vneuron vdd 0 DC {parts.NEURON_SUPPLY_V:g}",
    ]
    for i in range(m):
        fired = np.flatnonzero(spikes[:, i])
        excite = np.any(codes[:, i] > 0) and fired.size
        inhibit = np.any(codes[:, i] < 0) and fired.size
        if not (excite or inhibit):
            continue
        if excite:
            lines.append(f"Vinp{i} inp{i} 0 {_pwl(fired, 0.0, logic)}")
            lines += _driver(f"gp{i}", f"inp{i}", "vsyn")
        if inhibit:
            lines.append(f"Vinn{i} inn{i} 0 {_pwl(fired, logic, 0.0)}")
            lines += _driver(f"gn{i}", f"inn{i}", "vsyni")
        for j in range(n):
            c = int(codes[j, i])
            if c > 0:
                lines.append(
                    device_line(f"s{j}_{i}", f"mem_{j}", f"gp{i}", "vsyn", "vsyn",
                                "pfet_01v8_lvt", pw, pl) + f" mult={c} m={c}")
            elif c < 0:
                lines.append(
                    device_line(f"s{j}_{i}", f"mem_{j}", f"gn{i}", "0", "0",
                                "nfet_01v8", nw, nl) + f" mult={-c} m={-c}")
    for j in range(n):
        lines += _neuron_lines(j, circuit)
    duration = steps * STEP_S
    lines += [
        f".temp {circuit.temp_c:g}",
        LAYER_OPTIONS_LINE,
        ".ic " + " ".join(f"v(mem_{j})=0 v(ref_{j})=0" for j in range(n)),
        f".tran {STEP_S / 10:g} {duration:g} uic",
        ".end",
    ]
    return "\n".join(lines)


def _driver(out: str, inp: str, supply: str) -> list[str]:
    """A gate driver (inverter) on a synapse domain."""
    return [
        device_line(f"{out}p", out, inp, supply, supply, "pfet_01v8_lvt", 0.84, 0.35),
        device_line(f"{out}n", out, inp, "0", "0", "nfet_01v8", 0.42, 0.15),
    ]


def _spike_steps(time_s: np.ndarray, spike_v: np.ndarray, steps: int) -> np.ndarray:
    half = parts.NEURON_SUPPLY_V / 2
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
    key = cache_key("layer", netlist, model_key("sky130", circuit.corner))
    return cached_json(key, lambda: _simulate(netlist, n, steps))
