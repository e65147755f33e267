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

Every membrane starts at rest, or at its ``initial_membrane_v`` (a QCFS
chip's half a threshold), and the transient starts from the operating point
SPICE solves with the membranes held there: started instead with every
other node at zero, a membrane set to half a threshold lost about a fifth
of it in the first step.

Synapses at code 0 are left out of the netlist (their units are off; their
leakage is below a picoampere).

Each line's driver is sized for every gate on the line
(:func:`ntlib.chip.drivers.driver_strength`), including the synapses of a
layer's other neurons when the netlist is a slice of it
(:mod:`ntlib.chip.slices`): those stand on the line as the charge their gates
take.  A mismatched chip's synapse carries its drawn current factor in its
instance multiplier (``m = |code| * factor``; ngspice takes a fractional
``m``, and the current scales with it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ntlib.chip.circuit_model import PROCESS, STEP_S
from ntlib.chip.drivers import driver_strength, unit_gate_capacitance_f
from ntlib.circuits.cache import cache_key, cached_json
from ntlib.circuits.neuron import (
    INPUT_EDGE_S,
    INPUT_PULSE_WIDTH_S,
    NeuronParams,
    Synapse,
    neuron_subckt,
)
from ntlib.circuits.simulate import run_netlist

#: How a layer's transient integrates: Gear's method at a relative tolerance of
#: 5e-3 (a layer is a hundred times more devices than the single neuron).  The
#: trapezoidal rule at that tolerance rings at a spike's edges: the refractory
#: node, which a follower cannot lift above about 1.1 V, reached 2.4 V, the
#: reset held the membrane longer, and a slice lost up to one spike in seven.
#: Gear's method gives the spike counts of the reference below on every slice
#: of chapter ``chip`` (the benchmark checks it), at 1.2-1.8 times the time.
LAYER_METHOD, LAYER_RELTOL = "gear", 5e-3
#: The reference transient of that check: a tolerance of 1e-4, 0.1 us steps.
REFERENCE_RELTOL, REFERENCE_STEP_S = 1e-4, 0.1e-6
#: The transient's step (``.tran``'s step, also its largest): a tenth of a time
#: step (the benchmark reruns slices at half of it).
LAYER_STEP_S = STEP_S / 10


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
        synapse_factor: ``(N, M)`` each synapse's drawn current factor (a
            mismatched chip's), or ``None`` for nominal devices.
        outside_units: ``(M, 2)`` excitatory and inhibitory units on each line
            that belong to neurons outside the netlist (a slice), or ``None``.
        initial_membrane_v: ``(N,)`` each membrane's voltage at the start
            (a QCFS chip's half a threshold), or ``None`` for ground.
    """

    codes: np.ndarray
    excite_supply_v: float
    inhibit_supply_v: float
    bias_supply_v: np.ndarray
    bias_sink_supply_v: np.ndarray
    corner: str = "tt"
    temp_c: float = 27.0
    synapse_factor: np.ndarray | None = None
    outside_units: np.ndarray | None = None
    initial_membrane_v: np.ndarray | None = None

    def __post_init__(self) -> None:
        codes = np.asarray(self.codes)
        if codes.ndim != 2 or np.any(np.abs(codes) > 7) or np.any(codes != np.round(codes)):
            raise ValueError("codes must be an (N, M) array of integers -7..+7")
        n, m = codes.shape
        for name, shape in (("synapse_factor", (n, m)), ("outside_units", (m, 2))):
            value = getattr(self, name)
            if value is not None and (np.asarray(value).shape != shape
                                      or np.any(np.asarray(value) < 0)):
                raise ValueError(f"{name} must be None or {shape} of values >= 0")
        for name in ("bias_supply_v", "bias_sink_supply_v"):
            if np.asarray(getattr(self, name)).shape != (n,):
                raise ValueError(f"{name} must hold one supply per neuron ({n})")
        start = self.initial_membrane_v
        if start is not None and (np.asarray(start).shape != (n,) or not np.all(
                (np.asarray(start) >= 0) & (np.asarray(start) < PROCESS.neuron_supply_v))):
            raise ValueError(f"initial_membrane_v must be None or ({n},) voltages "
                             f"from 0 to below {PROCESS.neuron_supply_v:g} V")
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


def _units(code: int, factor: float) -> tuple[float, float]:
    units = abs(code) if factor == 1.0 else float(f"{abs(code) * factor:.6g}")
    return (units, 0) if code > 0 else (0, units)


def line_units(circuit: LayerCircuit) -> np.ndarray:
    """``(M, 2)`` excitatory and inhibitory units on each line, outside ones too."""
    codes = np.asarray(circuit.codes, dtype=int)
    units = np.stack([np.clip(codes, 0, None).sum(0), np.clip(-codes, 0, None).sum(0)],
                     axis=1)
    if circuit.outside_units is not None:
        units = units + np.asarray(circuit.outside_units, dtype=int)
    return units


def _driven_line(circuit: LayerCircuit, i: int, side: int, fired: np.ndarray,
                 units: np.ndarray, gate_f: tuple[float, float]) -> list[str]:
    """Line ``i``'s input, its driver (sized for all its units) and outside load."""
    logic = PROCESS.writer.LOGIC_V
    inp, gate, supply = (("inp", "gp", "vsyn"), ("inn", "gn", "vsyni"))[side]
    idle, active = (0.0, logic) if side == 0 else (logic, 0.0)
    strength = int(driver_strength(units[i, side]))
    lines = [f"V{inp}{i} {inp}{i} 0 {_pwl(fired, idle, active)}",
             *PROCESS.writer.driver_lines(f"{gate}{i}", f"{inp}{i}", supply, strength)]
    if circuit.outside_units is not None and circuit.outside_units[i, side] > 0:
        load = circuit.outside_units[i, side] * gate_f[side]
        lines.append(f"C{gate}{i} {gate}{i} 0 {load:.4g}")
    return lines


def _neuron_lines(j: int, circuit: LayerCircuit, fired: np.ndarray) -> list[str]:
    """Neuron ``j``: its subcircuit (with its synapses), placed on nodes ``*_j``.

    The synapses hang from the shared gate nodes ``gp<i>``/``gn<i>`` of the
    input lines that fire (``fired[i]``; a silent line has no driver, and its
    synapses are left out); the NT bias domains are the neuron's own sources
    (left out at 0 V).
    """
    codes = np.asarray(circuit.codes, dtype=int)[j]
    factor = (np.ones(codes.shape) if circuit.synapse_factor is None
              else np.asarray(circuit.synapse_factor, dtype=float)[j])
    # a mismatched synapse: its units in drawn current (fractional)
    synapses = [
        Synapse(str(i), *_units(c, f), label=f"{j}_{i}")
        for i, (c, f) in enumerate(zip(codes.tolist(), factor.tolist(), strict=True))
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
    circuit: LayerCircuit, spikes: np.ndarray, mismatch_seed: int | None = None,
    step_s: float = LAYER_STEP_S, reltol: float = LAYER_RELTOL,
    method: str = LAYER_METHOD,
) -> str:
    """The netlist of the layer driven by ``spikes`` (``(T, M)`` of 0/1).

    ``step_s``: the transient's step and largest step; ``reltol`` and
    ``method`` (``gear`` or ``trap``): its tolerance and integration.
    """
    codes = np.asarray(circuit.codes, dtype=int)
    n, m = codes.shape
    spikes = np.asarray(spikes)
    if spikes.ndim != 2 or spikes.shape[1] != m:
        raise ValueError(f"spikes must be (T, {m}) for {m} input lines")
    steps = spikes.shape[0]
    units = line_units(circuit)
    gate_f = (0.0, 0.0)
    if circuit.outside_units is not None:
        gate_f = tuple(unit_gate_capacitance_f(kind, supply, circuit.corner,
                                               circuit.temp_c)
                       for kind, supply in (("excite", circuit.excite_supply_v),
                                            ("inhibit", circuit.inhibit_supply_v)))
    lines = [".title analog layer", *PROCESS.model_lines(circuit.corner, mismatch_seed)]
    lines += [
        f"Vsyn vsyn 0 DC {circuit.excite_supply_v:g}",
        f"Vsyni vsyni 0 DC {circuit.inhibit_supply_v:g}",
        f"Vneuron vdd 0 DC {PROCESS.neuron_supply_v:g}",
    ]
    for i in range(m):
        fired = np.flatnonzero(spikes[:, i])
        for side, present in enumerate((codes[:, i] > 0, codes[:, i] < 0)):
            if fired.size and np.any(present):
                lines += _driven_line(circuit, i, side, fired, units, gate_f)
    fired_lines = spikes.any(axis=0)
    for j in range(n):
        lines += _neuron_lines(j, circuit, fired_lines)
    duration = steps * STEP_S
    start = (np.zeros(n) if circuit.initial_membrane_v is None
             else np.asarray(circuit.initial_membrane_v, dtype=float))
    lines += [
        f".temp {circuit.temp_c:g}",
        options_line(reltol, method),
        # each neuron at rest: its comparator's first stage high, no spike
        ".ic " + " ".join(f"v(mem_{j})={start[j]:g} v(ref_{j})=0 "
                          f"v(n1_{j})={PROCESS.neuron_supply_v:g} v(spk_{j})=0"
                          for j in range(n)),
        f".tran {step_s:g} {duration:g} 0 {step_s:g}",
        ".end",
    ]
    return "\n".join(lines)


def options_line(reltol: float = LAYER_RELTOL, method: str = LAYER_METHOD) -> str:
    """The ``.options`` line of a layer's transient."""
    if method not in ("gear", "trap"):
        raise ValueError(f"unknown integration method {method!r}; choose gear or trap")
    if not 0 < reltol < 1:
        raise ValueError(f"a relative tolerance is between 0 and 1, got {reltol}")
    return PROCESS.writer.OPTIONS_LINE.replace(
        "reltol=1e-3", f"method={method} reltol={reltol:g}")


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
    circuit: LayerCircuit, spikes: np.ndarray, mismatch_seed: int | None = None,
    step_s: float = LAYER_STEP_S, reltol: float = LAYER_RELTOL,
    method: str = LAYER_METHOD,
) -> dict:
    """Run the layer in ngspice (cached): output spikes per step and domain powers.

    Returns ``spikes`` (``N`` lists of per-step counts), ``final_membrane_v``,
    ``power_w`` by domain (``synapse``, ``neuron``, ``bias``: mean over the
    run), ``duration_s`` and ``sim_seconds`` (of the run that computed it).
    The cache key is the netlist itself and the model files' identity.
    """
    netlist = layer_netlist(circuit, spikes, mismatch_seed, step_s, reltol, method)
    n, steps = np.asarray(circuit.codes).shape[0], np.asarray(spikes).shape[0]
    key = cache_key("layer", netlist, PROCESS.cache_key(circuit.corner))
    return cached_json(key, lambda: _simulate(netlist, n, steps))
