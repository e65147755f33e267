"""The neuron's transistors on the level-1 teaching cards (chapter ``analog_neuron``).

The cards are SPICE level-1 (Shichman-Hodges, square-law) MOSFET models.
Level 1 has no subthreshold conduction and no velocity saturation, so it is a
teaching model, not a sign-off model; it is fast (one transient of the neuron
takes well under a tenth of a second) and its currents follow the square law
that every analog-design textbook derives by hand.  Every capacitance is an
explicit capacitor, and the input spikes reach the synapse gates as ideal
pulses (no gate-drive energy).  Every power, energy and rate figure that
judges the hardware claim comes from :mod:`ntlib.circuits.netlist_sky130`.

Source of the parameters: the "generic 0.25 um CMOS process" of
J. M. Rabaey, A. Chandrakasan and B. Nikolic, *Digital Integrated Circuits:
A Design Perspective*, 2nd ed., Prentice Hall, 2003, Table 3.2 (the unified
model): NMOS VT0 = 0.43 V, gamma = 0.4 V^0.5, k' = 115 uA/V^2, lambda = 0.06
V^-1; PMOS VT0 = -0.4 V, gamma = -0.4 V^0.5, k' = -30 uA/V^2, lambda = -0.1
V^-1.  Written here as level-1 cards (KP = k'), with the surface potential
PHI = 0.8 V (a typical value; the table does not list it) and without the
table's velocity-saturation term, which level 1 cannot express.  No junction
or overlap capacitances are modelled: every capacitance in the circuits is an
explicit capacitor, so a reader can see where each picofarad comes from.
The cards have no temperature coefficients and no corners of their own, yet
the neuron still slows when hot: ngspice scales the thermal voltage, the
intrinsic carrier density and the mobility with ``.temp`` (the rate at
+7, 100 kHz input falls from about 11.1 kHz at 27 C to 10.0 kHz at 100 C).

The process record (ranges, supplies) is in :mod:`ntlib.circuits.process`.
"""

from __future__ import annotations

from typing import Any

#: Level-1 model cards, by model name: ``{"type": ..., parameters...}``.
MODEL_CARDS: dict[str, dict[str, Any]] = {
    "nch": {
        "type": "nmos",
        "level": 1,
        "vto": 0.43,
        "kp": 115e-6,
        "gamma": 0.4,
        "phi": 0.8,
        "lambda": 0.06,
    },
    "pch": {
        "type": "pmos",
        "level": 1,
        "vto": -0.4,
        "kp": 30e-6,
        "gamma": 0.4,
        "phi": 0.8,
        "lambda": 0.1,
    },
}
#: Transistor sizes (width, length) in metres; multipliers give 1, 2, 4.
SYNAPSE_PMOS_WL = (0.5e-6, 20e-6)
SYNAPSE_NMOS_WL = (0.5e-6, 80e-6)
BIAS_PMOS_WL = (0.5e-6, 80e-6)
BIAS_NMOS_WL = (0.5e-6, 160e-6)
#: Simulator options of a level-1 transient.
OPTIONS_LINE = ".options method=gear reltol=1e-3"


def _pmos(name: str, drain: str, gate: str, supply: str, wl: tuple) -> str:
    return f"M{name} {drain} {gate} {supply} {supply} pch w={wl[0]:g} l={wl[1]:g}"


def _nmos(name: str, drain: str, gate: str, wl: tuple) -> str:
    return f"M{name} {drain} {gate} 0 0 nch w={wl[0]:g} l={wl[1]:g}"


def input_lines(params: Any, pulse: Any) -> list[str]:
    """The single neuron's input spikes: ideal pulses on the synapse gates.

    The sign of the weight code selects which of each bit's pair (PMOS source
    or NMOS sink) the input spikes pulse; unselected gates hold their device off.
    """
    supply_v, code = params.supply_v, params.weight_code
    lines = ["* input spikes: ideal pulses on the synapse gates"]
    for bit in range(3):
        selected = (abs(code) >> bit) & 1 == 1
        if selected and code > 0:
            lines.append(pulse(f"gp{bit}", f"gp{bit}", supply_v, 0.0))
        else:
            lines.append(f"Vgp{bit} gp{bit} 0 DC {supply_v}")
        if selected and code < 0:
            lines.append(pulse(f"gn{bit}", f"gn{bit}", 0.0, supply_v))
        else:
            lines.append(f"Vgn{bit} gn{bit} 0 DC 0")
    return lines


def synapse_ports(synapse: Any) -> list[str]:
    """The subcircuit ports of one synapse: its gate lines (level 1 has no drivers)."""
    ports = [f"gp{synapse.line}"] if synapse.excite_units else []
    return ports + ([f"gn{synapse.line}"] if synapse.inhibit_units else [])


def synapse_lines(synapse: Any) -> list[str]:
    """One synapse: a PMOS source and an NMOS sink of ``units`` each (multiplier m)."""
    lines = []
    if synapse.excite_units:
        lines.append(
            _pmos(f"p{synapse.name}", "mem", f"gp{synapse.line}", "vsyn",
                  SYNAPSE_PMOS_WL) + f" m={synapse.excite_units}"
        )
    if synapse.inhibit_units:
        lines.append(
            _nmos(f"n{synapse.name}", "mem", f"gn{synapse.line}", SYNAPSE_NMOS_WL)
            + f" m={synapse.inhibit_units}"
        )
    return lines


def passive_lines(devices: Any) -> list[str]:
    """The neuron's resistors and capacitors as ideal elements (no corners)."""
    return [f"{name} {a} {b} {value:g}" for name, a, b, value in devices]


def comparator_lines() -> list[str]:
    """Comparator (two inverters, feedback capacitor) and reset transistors."""
    return [
        "* threshold comparator: weak inverter, then a strong one",
        "M1p n1 mem vdd vdd pch w=0.5u l=5u",
        "M1n n1 mem 0 0 nch w=0.5u l=5u",
        "M2p spk n1 vdd vdd pch w=2u l=0.5u",
        "M2n spk n1 0 0 nch w=1u l=0.5u",
        "* reset with refractory period",
        "Mrp ref n1 vdd vdd pch w=4u l=0.5u",
        "Mrst mem ref 0 0 nch w=0.5u l=3u",
    ]


def bias_lines(source: bool, sink: bool) -> list[str]:
    """NT bias: a PMOS source and an NMOS sink, each on its own domain.

    See chapter ``supply_voltage``.

    A domain that is off (0 V) has its transistor disconnected.
    """
    lines = ["* NT bias: a sourcing and a sinking source, one domain each"]
    if source:
        lines.append(_pmos("bp", "mem", "0", "vbias", BIAS_PMOS_WL))
    if sink:
        lines.append(_nmos("bn", "mem", "vbiasn", BIAS_NMOS_WL))
    return lines


def unit_device(kind: str) -> str:
    """One unit source between nodes ``mem`` and supply node ``vs`` (DC sweeps)."""
    devices = {
        "excite": lambda: _pmos("1", "mem", "0", "vs", SYNAPSE_PMOS_WL),
        "inhibit": lambda: _nmos("1", "mem", "vs", SYNAPSE_NMOS_WL),
        "bias": lambda: _pmos("1", "mem", "0", "vs", BIAS_PMOS_WL),
        "bias_sink": lambda: _nmos("1", "mem", "vs", BIAS_NMOS_WL),
    }
    if kind not in devices:
        raise ValueError(
            f"unknown source kind {kind!r}; choose one of "
            + ", ".join(repr(k) for k in devices)
        )
    return devices[kind]()
