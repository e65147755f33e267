"""SPICE measurements behind the behavioural neuron, at one corner and temperature.

See chapter ``chip``.

Each measurement places several copies of chapter ``analog_neuron``'s neuron
subcircuit in one netlist (each copy its own membrane, spike and refractory
nodes; the copies share only ideal supplies and input sources, so they do not
interact), which costs one ngspice start instead of one per copy:

* :func:`event_jumps`: per synapse supply, the membrane's jump under one
  event of code +1 and -1 landing on a grid of membrane voltages (0 to near
  the threshold), less the same copy at code 0, unfolded into each bank's
  rate at the membrane (the gain is the rate at :data:`HOLD_V`); the jumps
  of code +-2 check it (:func:`code_jumps`);
* :func:`lif_constants`: the leak resistance and membrane capacitance fitted
  to a subthreshold step response (the PDK's resistor and capacitor at the
  condition, with every parasitic on the membrane), the refractory period
  fitted to rates under constant currents (chapter ``analog_neuron``'s
  recipe), and how long the reset holds the membrane against strong currents
  (a strong event overpowers the reset transistor before that period is
  over);
* :func:`threshold_spread`: the spread of the comparator's trip voltage over
  mismatched copies (a DC sweep of a test current into each, reset opened);
* :func:`unit_spreads`: the spread of every kind of unit source, on a grid of
  supplies (:func:`ntlib.circuits.mismatch.unit_current_spread`).
"""

from __future__ import annotations

import numpy as np

from ntlib.chip.piecewise import unfold_rates
from ntlib.circuits.lif_fit import fit_lif, fit_membrane
from ntlib.circuits.mismatch import unit_current_spread
from ntlib.circuits.netlist_sky130 import LOGIC_V
from ntlib.circuits.neuron import (
    INPUT_EDGE_S,
    INPUT_PULSE_WIDTH_S,
    NeuronParams,
    neuron_subckt,
)
from ntlib.circuits.process import get_process
from ntlib.circuits.simulate import run_netlist

#: Membrane voltages of the jump grid, as fractions of the threshold (the
#: top one, last in the netlist, reaches the inhibitory sink near the
#: threshold; an excitatory copy that fires there takes the factor below it,
#: :func:`drop_fired`).
MEMBRANE_FRACTIONS: tuple[float, ...] = (0.0, 0.04, 0.1, 0.2, 0.32, 0.45, 0.6, 0.78, 0.92)
#: Membrane voltage at which the design's gain is read.
HOLD_V = 0.25
#: Code of the events that check the unfolded gain (:func:`code_jumps`).
GAIN_CODE = 2
#: When the measured event starts, and when its jump is read after that.
EVENT_AT_S = 5e-6
READ_AFTER_S = 1.5e-6
#: Maximum step of the jump transients (a tenth of the input pulse).
JUMP_MAX_STEP_S = 50e-9
#: Constant currents of the refractory fit, and of the membrane step.
RATE_CURRENTS_A: tuple[float, ...] = (100e-9, 200e-9, 400e-9)
#: Strong constant currents: a synaptic event's current overpowers the reset
#: before the refractory period of small currents is over.
STRONG_CURRENTS_A: tuple[float, ...] = (0.5e-6, 1e-6, 2e-6, 5e-6, 10e-6)
STRONG_DURATION_S = 0.1e-3
#: The subthreshold step of the R and C fit: to 0.9 of the threshold, over
#: five time constants (a step of 5 nA over two gave a time constant 3.5 %
#: short, the end of the rise unresolved, and the single neuron's rates 4 %
#: fast).
STEP_CURRENT_A = 10e-9
STEP_DURATION_S = 3e-3
RATE_DURATION_S = 0.4e-3
#: Mismatched copies of the threshold measurement, and its seed.
THRESHOLD_COPIES = 30
THRESHOLD_SEED = 11
#: Supplies of the unit sources' spread, volts (the synapse range).
SIGMA_SUPPLY_V: tuple[float, ...] = (0.9, 1.05, 1.2, 1.5, 1.8)
#: Supply of the sinking bias source's spread (a typical sink setting).
BIAS_SINK_SIGMA_V = 0.6
PROCESS = get_process("sky130")


def _header(title: str, corner: str, seed: int | None = None) -> list[str]:
    return [f".title {title}", *PROCESS.model_lines(corner, seed)]


def _footer(temp_c: float, analysis: str) -> list[str]:
    return [f".temp {temp_c:g}", PROCESS.writer.OPTIONS_LINE, analysis, ".end"]


def _copy(k: int, ports: list[str], lines: dict[str, str], supply: str = "vsyn") -> str:
    """Instance ``k`` of the neuron: own nodes, shared rails, input ``lines``."""
    own = {"mem", "spk", "ref", "n1"}
    rails = {"vdd": "vdd", "vsyn": supply, "vbias": "0", "vbiasn": "0"}
    nodes = [f"{p}_{k}" if p in own else rails.get(p) or lines[p] for p in ports]
    return f"X{k} {' '.join(nodes)} neuron"


def _idle_lines(ports: list[str]) -> dict[str, str]:
    return {p: ("lo" if p.startswith("inp") else "hi") for p in ports
            if p.startswith(("inp", "inn"))}


#: One grid point of a jump netlist: the membrane held for ``_HOLD_S``, let go,
#: an event at ``_EVENT_S``, read ``READ_AFTER_S`` after it.
_SLOT_S, _HOLD_S, _EVENT_S = 4e-6, 1.5e-6, 2e-6
#: The codes of a jump netlist's copies.
JUMP_CODES: tuple[int, ...] = (1, -1, 0, GAIN_CODE, -GAIN_CODE)


def jump_netlist(corner: str, temp_c: float, supply_v: float,
                 membranes_v: tuple[float, ...]) -> str:
    """Copies of the neuron at ``supply_v``, one per code of :data:`JUMP_CODES`.

    An ideal switch holds every copy's membrane at the grid's next voltage,
    lets it go, and one event (the single neuron's pulse) reaches the
    selected bits of each copy; then the next voltage.  The copy at code 0
    gives what the membrane does without the event (its leak).
    """
    NeuronParams(supply_v=supply_v, corner=corner, temp_c=temp_c)  # checks them
    subckt, ports = neuron_subckt("neuron", bias_source=False, bias_sink=False)
    edge, width = f"{INPUT_EDGE_S:g}", f"{INPUT_PULSE_WIDTH_S:g}"
    slot = f"{_SLOT_S:g}"
    hold, control = ["0 0"], ["0 1"]
    for i, membrane_v in enumerate(membranes_v):
        t = i * _SLOT_S
        hold += [f"{t + 1e-9:.9g} {membrane_v:g}", f"{t + _SLOT_S:.9g} {membrane_v:g}"]
        control += [f"{t + _HOLD_S:.9g} 1", f"{t + _HOLD_S + 1e-9:.9g} 0",
                     f"{t + _SLOT_S - 1e-9:.9g} 0", f"{t + _SLOT_S:.9g} 1"]
    lines = [
        *_header("event jumps", corner), *subckt,
        f"Vsyn vsyn 0 DC {supply_v}", f"Vneuron vdd 0 DC {PROCESS.neuron_supply_v}",
        "Vlo lo 0 DC 0", f"Vhi hi 0 DC {LOGIC_V}",
        f"Vonp onp 0 DC 0 PULSE(0 {LOGIC_V} {_EVENT_S:g} {edge} {edge} {width} {slot})",
        (f"Vonn onn 0 DC {LOGIC_V} PULSE({LOGIC_V} 0 {_EVENT_S:g} {edge} {edge} "
         f"{width} {slot})"),
        "Vhold hold 0 PWL(" + " ".join(hold) + ")",
        "Vctrl ctrl 0 PWL(" + " ".join(control) + ")",
        ".model hold_switch sw vt=0.5 vh=0.1 ron=10 roff=1e15",
    ]
    for k, code in enumerate(JUMP_CODES):
        inputs = _idle_lines(ports)
        for bit in range(3):
            if (abs(code) >> bit) & 1:
                side = "inp" if code > 0 else "inn"
                inputs[f"{side}{bit}"] = "onp" if code > 0 else "onn"
        lines += [_copy(k, ports, inputs), f"S{k} mem_{k} hold ctrl 0 hold_switch"]
    lines.append(".ic " + " ".join(f"v(ref_{k})=0" for k in range(len(JUMP_CODES))))
    end_s = len(membranes_v) * _SLOT_S
    return "\n".join(lines + _footer(
        temp_c, f".tran 10n {end_s:g} 0 {JUMP_MAX_STEP_S:g} uic"))


def read_jumps(netlist: str, membranes_v: tuple[float, ...]) -> list[list[float]]:
    """Each copy's membrane when the jump is read, per grid voltage (copy-major)."""
    vectors = run_netlist(netlist, describe="event jumps")
    at = [i * _SLOT_S + _EVENT_S + READ_AFTER_S for i in range(len(membranes_v))]
    return [np.interp(at, vectors["time"], vectors[f"mem_{k}"]).tolist()
            for k in range(len(JUMP_CODES))]


def event_jumps(read: list[list[float]], membranes_v: tuple[float, ...],
                threshold_v: float, parts: int) -> dict[str, object]:
    """Gains and membrane factors at one supply from :func:`read_jumps`' values.

    The code +-1 jumps at the grid's voltages are unfolded into each bank's
    rate at the membrane (:func:`~ntlib.chip.piecewise.unfold_rates`, the
    event delivered in ``parts``): a jump averages the rate over its own
    path.  Returns ``excite``/``inhibit`` (thresholds per code step of a
    small event at :data:`HOLD_V`) and ``excite_factor``/``inhibit_factor``
    (the rate at each grid voltage over the one at :data:`HOLD_V`).  The
    code +-2 copies are kept for checking (:func:`code_jumps`).
    """
    up1, down1, rest = (np.asarray(r) for r in read[:3])
    grid = np.asarray(membranes_v) / threshold_v
    up = np.asarray(drop_fired(((up1 - rest) / threshold_v).tolist()))
    down = np.maximum((rest - down1) / threshold_v, 0.0)
    hold = list(membranes_v).index(HOLD_V)
    rate_up = unfold_rates(grid, up, 1, parts)
    rate_down = unfold_rates(grid, down, -1, parts)
    return {
        "excite": float(rate_up[hold]),
        "inhibit": float(rate_down[hold]),
        "excite_factor": (rate_up / rate_up[hold]).tolist(),
        "inhibit_factor": (rate_down / rate_down[hold]).tolist(),
    }


def code_jumps(read: list[list[float]], membranes_v: tuple[float, ...],
               threshold_v: float) -> dict[int, float]:
    """Measured jump (thresholds) of each code of :data:`JUMP_CODES` at :data:`HOLD_V`."""
    hold = list(membranes_v).index(HOLD_V)
    rest = read[JUMP_CODES.index(0)][hold]
    return {code: (r[hold] - rest) / threshold_v
            for code, r in zip(JUMP_CODES, read, strict=True) if code}


def lif_netlists(corner: str, temp_c: float) -> list[str]:
    """Three netlists: a copy under a subthreshold step, copies under rate
    currents, and copies under strong currents."""
    subckt, ports = neuron_subckt("neuron", bias_source=False, bias_sink=False)
    out = []
    for currents, duration in (((STEP_CURRENT_A,), STEP_DURATION_S),
                               (RATE_CURRENTS_A, RATE_DURATION_S),
                               (STRONG_CURRENTS_A, STRONG_DURATION_S)):
        lines = [*_header("LIF constants", corner), *subckt, "Vsyn vsyn 0 DC 1.2",
                 f"Vneuron vdd 0 DC {PROCESS.neuron_supply_v}", "Vlo lo 0 DC 0",
                 f"Vhi hi 0 DC {LOGIC_V}"]
        for k, current in enumerate(currents):
            lines += [_copy(k, ports, _idle_lines(ports)),
                      f"Iin{k} 0 mem_{k} DC {current:g}"]
        lines.append(".ic " + " ".join(f"v(mem_{k})=0 v(ref_{k})=0"
                                       for k in range(len(currents))))
        out.append("\n".join(lines + _footer(
            temp_c, f".tran {duration / 4000:g} {duration:g} 0 200n uic")))
    return out


def _rate_hz(time_s: np.ndarray, spike_v: np.ndarray) -> float:
    half = PROCESS.neuron_supply_v / 2
    idx = np.flatnonzero((spike_v[:-1] < half) & (spike_v[1:] >= half))
    frac = (half - spike_v[idx]) / (spike_v[idx + 1] - spike_v[idx])
    times = time_s[idx] + frac * (time_s[idx + 1] - time_s[idx])
    return float((times.size - 1) / (times[-1] - times[0])) if times.size > 2 else 0.0


def lif_constants(netlists: list[str]) -> dict[str, float]:
    """``leak_ohm``, ``capacitance_f``, ``tau_s`` and ``refractory_s`` (fitted)."""
    step = run_netlist(netlists[0], describe="membrane step response")
    capacitance, leak = fit_membrane(step["time"], step["mem_0"], STEP_CURRENT_A)
    rates = run_netlist(netlists[1], describe="rates under constant currents")
    rate = [_rate_hz(rates["time"], rates[f"spk_{k}"])
            for k in range(len(RATE_CURRENTS_A))]
    fit = fit_lif(np.asarray(RATE_CURRENTS_A), np.asarray(rate), capacitance, leak)
    strong = run_netlist(netlists[2], describe="rates under strong currents")
    held = []
    for k, current in enumerate(STRONG_CURRENTS_A):
        # the interval less the charging time: how long the reset held the membrane
        drive = current * leak
        charge = leak * capacitance * np.log(drive / (drive - fit.threshold_v))
        rate = _rate_hz(strong["time"], strong[f"spk_{k}"])
        # no rate: the current latched the neuron (the reset never held it)
        held.append(1.0 / rate - charge if rate > 0 else 0.0)
    return {"leak_ohm": leak, "capacitance_f": capacitance,
            "tau_s": leak * capacitance, "refractory_s": fit.refractory_s,
            "rates_hz": rate, "refractory_by_current_s": held}


def threshold_netlist(corner: str, temp_c: float, rheobase: float) -> str:
    """Mismatched copies of the neuron (reset opened), a swept test current into each.

    The copies' synapses are left out: the comparator, reset and leak remain.
    """
    subckt, ports = neuron_subckt("neuron", synapses=(), bias_source=False,
                                  bias_sink=False)
    subckt = [line.replace("rst mem ref ", "rst mem 0 ") for line in subckt]
    lines = [*_header("threshold spread", corner, THRESHOLD_SEED), *subckt,
             "Vsyn vsyn 0 DC 1.2", f"Vneuron vdd 0 DC {PROCESS.neuron_supply_v}",
             "Vctrl ctrl 0 DC 0"]
    for k in range(THRESHOLD_COPIES):
        # 1 nA per volt of ctrl: the sweep runs in nanoamperes
        lines += [_copy(k, ports, {}), f"G{k} 0 mem_{k} ctrl 0 1e-9"]
    low, high = 0.8 * rheobase * 1e9, 1.2 * rheobase * 1e9
    return "\n".join(lines + _footer(
        temp_c, f".dc Vctrl {low:.4g} {high:.4g} {(high - low) / 200:.4g}"))


def threshold_spread(netlist: str) -> dict[str, float]:
    """Relative spread of the copies' trip voltages, and their mean (volts)."""
    vectors = run_netlist(netlist, describe="threshold spread")
    half = PROCESS.neuron_supply_v / 2
    trips = []
    for k in range(THRESHOLD_COPIES):
        n1, mem = vectors[f"n1_{k}"], vectors[f"mem_{k}"]
        below = np.flatnonzero(n1 < half)
        if below.size == 0 or below[0] == 0:
            raise ValueError(f"copy {k} did not trip inside the sweep")
        i = below[0]
        frac = (n1[i - 1] - half) / (n1[i - 1] - n1[i])
        trips.append(mem[i - 1] + frac * (mem[i] - mem[i - 1]))
    trips = np.asarray(trips)
    return {"sigma": float(trips.std() / trips.mean()), "mean_v": float(trips.mean())}


def unit_spread(item: tuple[str, float, str, float]) -> float:
    """Relative spread of 200 mismatched units ``(kind, supply, corner, temp)``."""
    kind, supply_v, corner, temp_c = item
    currents = unit_current_spread(kind, supply_v=supply_v, devices=200, seed=7,
                                   corner=corner, temp_c=temp_c)
    return float(np.std(currents) / np.mean(currents))


def unit_spread_items(
    corner: str, temp_c: float
) -> list[tuple[str, float, str, float]]:
    """What :func:`unit_spread` measures at a condition: each bank on the supply
    grid, then the two bias sources."""
    nominal = PROCESS.nominal_supply_v
    return ([(kind, v, corner, temp_c) for kind in ("excite", "inhibit")
             for v in SIGMA_SUPPLY_V]
            + [("bias", nominal, corner, temp_c),
               ("bias_sink", BIAS_SINK_SIGMA_V, corner, temp_c)])


def membrane_grid_v(threshold_v: float) -> tuple[float, ...]:
    """The jump grid's membrane voltages: fractions of the threshold, and ``HOLD_V``."""
    grid = {round(f * threshold_v, 3) for f in MEMBRANE_FRACTIONS}
    return tuple(sorted(grid | {HOLD_V}))


def drop_fired(factor: list[float]) -> list[float]:
    """An excitatory factor with the grid points whose copy fired replaced.

    A copy whose event lifted it past the threshold (the top of the grid at a
    high supply and a fast corner) was reset: its jump reads negative.  It
    takes the factor of the point below it.
    """
    out = list(factor)
    for j in range(1, len(out)):
        if out[j] <= 0.5 * out[j - 1]:
            out[j] = out[j - 1]
    return out


def run_task(item: tuple) -> object:
    """One measurement of :func:`ntlib.chip.circuit_model.circuit_model`, by name."""
    kind, *args = item
    if kind == "jumps":
        return read_jumps(*args)
    if kind == "unit":
        return unit_spread(args[0])
    if kind == "step":
        return lif_constants(args[0])
    return threshold_spread(args[0])
