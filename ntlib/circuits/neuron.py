"""The analog neuromodulated LIF neuron as a netlist.

See chapters ``analog_neuron``-``supply_voltage``.

The circuit, part by part (transistors from the chosen ``process``: see
:mod:`ntlib.circuits.netlist_sky130` and :mod:`ntlib.circuits.netlist_level1`):

* **Membrane**: capacitor ``Cm`` from ``mem`` to ground, with a leak resistor
  ``Rleak`` in parallel (a resistor keeps the leak linear, like the LIF
  model's).
* **Threshold comparator**: two inverters on the neuron's own supply
  (``vneuron``).  The first is long-channel (weak), so its trip point is the
  firing threshold and it draws little current while the membrane creeps up.
  A feedback capacitor ``Cfb`` from the spike output back to the membrane
  gives the positive feedback of Mead's axon hillock.
* **Reset and refractory period**: the spike charges node ``ref``; ``ref``
  holds the reset transistor on while it discharges through ``Rref``.
* **Synapse**: three binary-scaled sources (1, 2, 4 units).  Each unit has a
  PMOS that sources charge onto the membrane (excite) and an NMOS that sinks
  it (inhibit), switched for the duration of each input spike.  The supply of
  the synapse's power domain sets their currents: a multiplicative gain on
  the synapse (the neuromodulatory signal of the paper).
* **NT bias**: a sourcing PMOS on one power domain (``vbias``) and a sinking
  NMOS on another (``vbiasn``), so a bias of either sign has a supply voltage.

All of it is one ``.subckt`` (:func:`neuron_subckt`) whose ports are the
membrane, spike, refractory and comparator nodes, the domains' supply rails
and the synapses' input lines: the single neuron's netlist
(:func:`build_netlist`) places it once, a layer of chapter ``chip``
(:mod:`ntlib.chip.spice_layer`) once per neuron.  The supply sources stay at
the top level, so the measurements read the same node and source names.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ntlib.circuits.inputs import (  # noqa: F401 (re-exported: the neuron's input)
    INPUT_EDGE_S,
    INPUT_PULSE_WIDTH_S,
    TRANSIENT_RELTOL,
    check_input_options,
    input_times_s,
    max_step_s,
    pulse_writer,
)
from ntlib.circuits.process import (
    DEFAULT_PROCESS,
    WEIGHT_CODE_RANGE,
    get_process,
)

#: Component values shared by both processes (SI units).  Chapter ``analog_neuron`` fits the
#: LIF model's capacitance, leak and threshold from simulation.
MEMBRANE_CAPACITANCE_F = 10e-12
FEEDBACK_CAPACITANCE_F = 2e-12
LEAK_RESISTANCE_OHM = 50e6
REFRACTORY_CAPACITANCE_F = 1e-12
REFRACTORY_RESISTANCE_OHM = 20e6
#: Passive devices (name, terminals, F or Ohm), placed by the process's writer.
PASSIVE_DEVICES = (("Cm", "mem", "0", MEMBRANE_CAPACITANCE_F), ("Rleak", "mem", "0",
    LEAK_RESISTANCE_OHM), ("Cfb", "spk", "mem", FEEDBACK_CAPACITANCE_F), ("Cref", "ref",
    "0", REFRACTORY_CAPACITANCE_F), ("Rref", "ref", "0", REFRACTORY_RESISTANCE_OHM))

#: Power domains: name -> supply source in the netlist.
DOMAINS: dict[str, str] = {
    "synapse": "vsyn",
    "bias": "vbias",
    "bias_sink": "vbiasn",
    "neuron": "vneuron",
}
#: Node of each domain's supply rail.
DOMAIN_NODES: dict[str, str] = {
    "synapse": "vsyn",
    "bias": "vbias",
    "bias_sink": "vbiasn",
    "neuron": "vdd",
}

INPUT_RATE_RANGE_HZ: tuple[float, float] = (1e3, 1e6)
DURATION_RANGE_S: tuple[float, float] = (50e-6, 50e-3)
INPUT_CURRENT_RANGE_A: tuple[float, float] = (0.0, 1e-6)


def _number(name: str, value: object) -> float:
    """``value`` as a finite float, or a TypeError/ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number; got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number; got {value!r}")
    return float(value)


def _check_range(
    name: str, value: object, bounds: tuple[float, float], unit: str
) -> None:
    number = _number(name, value)
    low, high = bounds
    if not low <= number <= high:
        raise ValueError(
            f"{name} must lie in the documented range {low:g}-{high:g} {unit}; "
            f"got {value!r}"
        )


@dataclass(frozen=True)
class NeuronParams:
    """Everything one transient of the neuron depends on (chapter ``analog_neuron``).

    Args:
        supply_v: synapse power-domain supply (the neuromodulatory gain);
            1.2 V by default, inside the range of both processes the book
            registers; ``None`` is the process's nominal supply (level 1:
            1.0 V, SKY130: 1.2 V), for a process whose range leaves out 1.2 V.
        weight_code: signed 3-bit weight, -7..+7 (sign = excite/inhibit).
        input_rate_hz: mean rate of the input spike train.
        bias_supply_v: sourcing NT bias domain supply; 0 switches it off.
        duration_s: simulated time.
        input_current_a: an ideal DC test current into the membrane (0 = none).
        bias_sink_supply_v: sinking NT bias domain supply; 0 switches it off.
        process: a name in :data:`ntlib.circuits.process.PROCESSES`:
            ``"sky130"`` (default) or ``"level1"`` (teaching cards).
        corner: process corner (SKY130: ``tt``, ``ff``, ``ss``, ``sf``, ``fs``).
        temp_c: temperature in degrees Celsius.
        mismatch_seed: ``None`` for nominal devices; an integer draws the PDK's
            per-device mismatch with that seed (SKY130 only).
        input_mode, input_seed: ``"poisson"`` (a train seeded by ``input_seed``)
            or ``"periodic"`` (:mod:`ntlib.circuits.inputs`).
        max_step_s: maximum transient step; ``None``: the chosen default.

    Example:
        >>> NeuronParams(supply_v=1.2, weight_code=7).weight_code
        7
    """

    supply_v: float | None = 1.2
    weight_code: int = 7
    input_rate_hz: float = 100e3
    bias_supply_v: float = 0.0
    duration_s: float = 1e-3
    input_current_a: float = 0.0
    bias_sink_supply_v: float = 0.0
    process: str = DEFAULT_PROCESS
    corner: str = "tt"
    temp_c: float = 27.0
    mismatch_seed: int | None = None
    input_mode: str = "poisson"
    input_seed: int = 0
    max_step_s: float | None = None

    def __post_init__(self) -> None:
        process = get_process(self.process)
        check_input_options(self)
        if self.supply_v is None:
            object.__setattr__(self, "supply_v", process.nominal_supply_v)
        process.check_corner(self.corner)
        if self.mismatch_seed is not None and not process.mismatch:
            raise ValueError(
                f"process {self.process!r} has no mismatch models; use "
                f"process='sky130' (got mismatch_seed={self.mismatch_seed!r})"
            )
        _check_range(
            "supply_v (synapse supply)",
            self.supply_v,
            process.synapse_supply_range_v,
            "V",
        )
        _check_code(self.weight_code)
        for name, value, bounds in (
            (
                "bias_supply_v (0 switches the bias off)",
                self.bias_supply_v,
                process.bias_supply_range_v,
            ),
            (
                "bias_sink_supply_v (0 switches the sink off)",
                self.bias_sink_supply_v,
                process.bias_sink_supply_range_v,
            ),
        ):
            if _number(name, value) != 0.0:
                _check_range(name, value, bounds, "V")
        _check_range("input_rate_hz", self.input_rate_hz, INPUT_RATE_RANGE_HZ, "Hz")
        _check_range("duration_s", self.duration_s, DURATION_RANGE_S, "s")
        _check_range(
            "input_current_a", self.input_current_a, INPUT_CURRENT_RANGE_A, "A"
        )
        _check_range("temp_c", self.temp_c, process.temperature_range_c, "C")
        seed = self.mismatch_seed
        if seed is not None and (type(seed) is not int or seed < 1):
            raise ValueError(
                f"mismatch_seed must be None or a positive integer; got {seed!r}"
            )

    @property
    def neuron_supply_v(self) -> float:
        return get_process(self.process).neuron_supply_v

    def describe(self) -> str:
        """The parameters in words, for error messages."""
        return (
            f"process={self.process}, corner={self.corner}, temp_c={self.temp_c:g}, "
            f"supply_v={self.supply_v:g} V, weight_code={self.weight_code}, "
            f"input_rate_hz={self.input_rate_hz:g}, "
            f"bias_supply_v={self.bias_supply_v:g} V, "
            f"bias_sink_supply_v={self.bias_sink_supply_v:g} V, "
            f"duration_s={self.duration_s:g}, input_current_a={self.input_current_a:g}"
            f", input_mode={self.input_mode}, input_seed={self.input_seed}, "
            f"max_step_s={max_step_s(self):g}"
            + (
                f", mismatch_seed={self.mismatch_seed}"
                if self.mismatch_seed is not None
                else ""
            )
        )


def _check_code(code: object) -> None:
    low, high = WEIGHT_CODE_RANGE
    if isinstance(code, bool) or not isinstance(code, (int, float)):
        raise TypeError(f"weight_code must be an integer; got {code!r}")
    if not math.isfinite(code) or int(code) != code or not low <= code <= high:
        raise ValueError(
            f"weight_code must be an integer from {low} to +{high} "
            f"(a signed 3-bit code); got {code!r}"
        )


def params_grid(
    supply_v: Sequence[float], weight_codes: Sequence[int] = (7,), **fixed: Any
) -> list[NeuronParams]:
    """One :class:`NeuronParams` per synapse supply and weight code (supply-major).

    Every other field is ``fixed``; each point is checked on construction.

    Example:
        >>> [p.weight_code for p in params_grid([1.0, 1.2], (2, -2))]
        [2, -2, 2, -2]
    """
    return [
        NeuronParams(supply_v=float(v), weight_code=int(c), **fixed)
        for v in supply_v
        for c in weight_codes
    ]


@dataclass(frozen=True)
class Synapse:
    """One synapse of the neuron subcircuit: its input line and its units.

    Attributes:
        line: the input line's label; the ports are named after it (gate
            nodes ``gp<line>``/``gn<line>``, or the drivers' inputs
            ``inp<line>``/``inn<line>``).
        excite_units, inhibit_units: unit sources hung from the line onto the
            membrane on each side (0: none).
        drivers: the line's gate drivers are inside the neuron (the single
            neuron of chapter ``analog_neuron``) rather than shared outside (a layer).
        split_units: every unit its own transistor (mismatch per unit, as in
            a layout) rather than one transistor of many units.
        label: the devices' name (default: ``line``).
    """

    line: str
    excite_units: int = 0
    inhibit_units: int = 0
    drivers: bool = False
    split_units: bool = False
    label: str = ""

    @property
    def name(self) -> str:
        return self.label or self.line


#: The single neuron's synapse: three bits of 1, 2 and 4 units on each side,
#: each bit with its own input lines and drivers (chapter ``analog_neuron``).
BIT_SYNAPSES: tuple[Synapse, ...] = tuple(
    Synapse(str(bit), 2**bit, 2**bit, drivers=True, split_units=True)
    for bit in range(3)
)
#: The subcircuit's fixed ports, before the synapses' input lines.
NEURON_PORTS: tuple[str, ...] = (
    "mem", "spk", "ref", "n1", "vdd", "vsyn", "vbias", "vbiasn"
)


def neuron_subckt(
    name: str,
    process: str = DEFAULT_PROCESS,
    synapses: Sequence[Synapse] = BIT_SYNAPSES,
    bias_source: bool = True,
    bias_sink: bool = True,
) -> tuple[list[str], list[str]]:
    """The neuron as one ``.subckt`` definition, and its ports in order.

    Inside: NT bias devices (a domain that is off is left out), membrane and
    leak, comparator, reset and refractory parts, then each synapse's units
    (and drivers).  Place it with ``X<inst> <nodes for the ports> <name>``.
    """
    writer = get_process(process).writer
    ports = list(NEURON_PORTS)
    for synapse in synapses:
        ports += writer.synapse_ports(synapse)
    lines = [f".subckt {name} {' '.join(ports)}"]
    lines += writer.bias_lines(bias_source, bias_sink)
    lines += [
        "* membrane and leak",
        *writer.passive_lines(PASSIVE_DEVICES),
        *writer.comparator_lines(),
        "* synapse: binary-scaled bidirectional current sources",
    ]
    for synapse in synapses:
        lines += writer.synapse_lines(synapse)
    return lines + [f".ends {name}"], ports


def build_netlist(params: NeuronParams) -> str:
    """The complete netlist of one transient, as ngspice reads it.

    See chapter ``analog_neuron``.

    Example:
        >>> "Mp2 mem gp2 vsyn vsyn" in build_netlist(NeuronParams(process="level1"))
        True
    """
    process = get_process(params.process)
    subckt, ports = neuron_subckt(
        "neuron",
        params.process,
        bias_source=params.bias_supply_v > 0,
        bias_sink=params.bias_sink_supply_v > 0,
    )
    lines = [
        ".title analog NT neuron",
        *process.model_lines(params.corner, params.mismatch_seed),
        *subckt,
        "* power domains",
        f"Vsyn vsyn 0 DC {params.supply_v}",
        f"Vneuron vdd 0 DC {params.neuron_supply_v}",
        f"Vbias vbias 0 DC {params.bias_supply_v}",
        f"Vbiasn vbiasn 0 DC {params.bias_sink_supply_v}",
        *process.writer.input_lines(params, pulse_writer(params)),
        "* the neuron",
        f"X1 {' '.join(ports)} neuron",
    ]
    if params.input_current_a > 0:
        lines += [
            "* DC test current into the membrane",
            f"Iin 0 mem DC {params.input_current_a:g}",
        ]
    lines += [
        f".temp {params.temp_c:g}",
        process.writer.OPTIONS_LINE,
        f".options reltol={TRANSIENT_RELTOL:g}",
        ".ic v(mem)=0 v(ref)=0",
        (f".tran {params.duration_s / 2000:g} {params.duration_s:g} 0 "
         f"{max_step_s(params):g} uic"),
        ".end",
    ]
    return "\n".join(lines)


def source_netlist(
    kind: str,
    membrane_v: float,
    start_v: float,
    stop_v: float,
    step_v: float,
    process: str = DEFAULT_PROCESS,
    corner: str = "tt",
    temp_c: float = 27.0,
) -> str:
    """Netlist of a DC sweep of one unit source's supply, membrane node held.

    ``kind`` is ``"excite"`` (a synapse PMOS unit), ``"inhibit"`` (a synapse
    NMOS unit), ``"bias"`` (the sourcing NT bias PMOS) or ``"bias_sink"`` (the
    sinking NT bias NMOS).  The current is read from the ``Vmem`` source that
    holds the membrane node.
    """
    NeuronParams(process=process, corner=corner, temp_c=temp_c)  # checks them
    record = get_process(process)
    return "\n".join(
        [
            f".title unit {kind} source",
            *record.model_lines(corner, None),
            f"Vs vs 0 DC {start_v}",
            f"Vmem mem 0 DC {membrane_v}",
            record.writer.unit_device(kind),
            f".temp {temp_c:g}",
            f".dc Vs {start_v:g} {stop_v:g} {step_v:g}",
            ".end",
        ]
    )

