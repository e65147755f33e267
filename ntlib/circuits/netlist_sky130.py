"""The neuron's netlist on SkyWater SKY130 1.8 V transistors.

See chapters ``analog_neuron``-``energy``.

The same circuit as the level-1 version (membrane capacitor and leak resistor,
a two-inverter comparator with a feedback capacitor, a reset with refractory
period, a 3-bit bidirectional synapse and the NT bias), with the PDK's BSIM4
models, which carry gate, overlap and junction capacitances and subthreshold
conduction.  Differences a designer would make for this process:

* The neuron domain runs at the devices' nominal 1.8 V (the process record,
  :mod:`ntlib.circuits.process`).
* The synapse's excitatory sources are low-threshold PMOS (``pfet_01v8_lvt``,
  W 1 um, L 20 um): with the regular PMOS (threshold near 1 V) a synapse
  supply below 1 V would leave them off.  The inhibitory sinks are regular
  NMOS (W 0.42 um, L 20 um).  Each unit is its own transistor (1, 2 and 4 of
  them per bit), so mismatch draws per unit as in a layout.
* The synapse gates are driven by inverters powered from the synapse domain,
  so the gate-drive energy of the big long-channel switches is drawn from that
  domain and shows in its power.  Only the digital input spikes and weight
  bits feeding those drivers are ideal sources.
* The NT bias: a regular-threshold PMOS source (W 0.42 um, L 20 um, gate at
  ground) on the sourcing bias domain, and a regular NMOS sink (same size)
  whose gate sits on the sinking bias domain.  Both work in subthreshold at
  low supplies, so small biases are reachable.
"""

from __future__ import annotations

from typing import Any

from ntlib.circuits import sky130
from ntlib.circuits.sky130 import device_line

OPTIONS_LINE = sky130.OPTIONS_LINE
#: Transistor sizes (width, length) in micrometres.
SYNAPSE_PMOS_WL_UM = (1.0, 20.0)
SYNAPSE_NMOS_WL_UM = (0.42, 20.0)
BIAS_PMOS_WL_UM = (0.42, 20.0)
BIAS_NMOS_WL_UM = (0.42, 20.0)
#: Logic level of the digital input spikes and weight bits, volts.
LOGIC_V = 1.8


def input_lines(params: Any, pulse: Any) -> list[str]:
    """The single neuron's digital input spikes, one pair of lines per weight bit.

    Excitatory inputs are active high (driver -> PMOS gate low), inhibitory
    ones active low (driver -> NMOS gate at the supply); unselected bits idle.
    """
    code = params.weight_code
    lines = ["* input spikes: digital lines into the gate drivers"]
    for bit in range(3):
        selected = (abs(code) >> bit) & 1 == 1
        if selected and code > 0:
            lines.append(pulse(f"inp{bit}", f"inp{bit}", 0.0, LOGIC_V))
        else:
            lines.append(f"Vinp{bit} inp{bit} 0 DC 0")
        if selected and code < 0:
            lines.append(pulse(f"inn{bit}", f"inn{bit}", LOGIC_V, 0.0))
        else:
            lines.append(f"Vinn{bit} inn{bit} 0 DC {LOGIC_V}")
    return lines


def driver_lines(out: str, inp: str, supply: str, strength: int = 1) -> list[str]:
    """A gate driver (inverter) from ``inp`` to ``out`` on a synapse domain.

    ``strength``: how many copies of the single neuron's driver work in
    parallel (instance multiplier ``m``): a layer's line with ``strength``
    times the load of one bit of the single neuron slews like that bit
    (:mod:`ntlib.chip.drivers` sizes them, chapter ``chip``).
    """
    if isinstance(strength, bool) or not isinstance(strength, int) or strength < 1:
        raise ValueError(f"driver strength must be an integer >= 1; got {strength!r}")
    size = f" m={strength}" if strength > 1 else ""
    return [
        device_line(f"{out}p", out, inp, supply, supply, "pfet_01v8_lvt", 0.84, 0.35)
        + size,
        device_line(f"{out}n", out, inp, "0", "0", "nfet_01v8", 0.42, 0.15) + size,
    ]


def synapse_ports(synapse: Any) -> list[str]:
    """The subcircuit ports of one synapse: input lines (drivers inside) or gates."""
    excite, inhibit = ("inp", "inn") if synapse.drivers else ("gp", "gn")
    ports = [f"{excite}{synapse.line}"] if synapse.excite_units else []
    return ports + ([f"{inhibit}{synapse.line}"] if synapse.inhibit_units else [])


def _unit(side: str, name: str, gate: str) -> str:
    if side == "p":
        w, length = SYNAPSE_PMOS_WL_UM
        return device_line(
            name, "mem", gate, "vsyn", "vsyn", "pfet_01v8_lvt", w, length
        )
    w, length = SYNAPSE_NMOS_WL_UM
    return device_line(name, "mem", gate, "0", "0", "nfet_01v8", w, length)


def synapse_lines(synapse: Any) -> list[str]:
    """One synapse's units (and its gate drivers, on the synapse domain, if inside).

    ``split_units``: each unit its own transistor, so mismatch draws per unit
    as in a layout; else one transistor of ``m`` units with the PDK's
    mismatch of that many (``mult``; the models use ``mult`` for nothing else).
    """
    line = synapse.line
    sides = [(side, units) for side, units in
             (("p", synapse.excite_units), ("n", synapse.inhibit_units)) if units]
    lines = []
    if synapse.drivers:
        lines.append("* synapse gate drivers on the synapse domain")
        for side, _ in sides:
            inp = "inp" if side == "p" else "inn"
            lines += driver_lines(f"g{side}{line}", f"{inp}{line}", "vsyn")
    if not synapse.split_units:
        both = len(sides) == 2  # one side (a layer's synapse): named s<name>
        return lines + [
            _unit(side, f"s{side if both else ''}{synapse.name}", f"g{side}{line}")
            + f" mult={units} m={units}"
            for side, units in sides
        ]
    for unit in range(max(units for _, units in sides)):
        lines += [
            _unit(side, f"{side}{synapse.name}_{unit}", f"g{side}{line}")
            for side, units in sides
            if unit < units
        ]
    return lines


#: The passive devices: extra-high-resistance poly resistors (2 kOhm per square,
#: the PDK's narrowest standard width) and square metal-3 MIM capacitors.
RESISTOR_DEVICE = "sky130_fd_pr__res_xhigh_po"
RESISTOR_WIDTH_UM = 0.35
_SHEET_OHM = 2000.0
CAPACITOR_DEVICE = "sky130_fd_pr__cap_mim_m3_1"
_MIM_F_PER_UM2, _MIM_F_PER_UM = 2.0e-15, 0.19e-15
_MIM_SHRINK_UM = 0.0705  # the model's edge bias at the typical corner


def resistor_length_um(ohm: float, w_um: float = RESISTOR_WIDTH_UM) -> float:
    """Length of the poly resistor of ``ohm`` at the typical corner (body only).

    Example:
        >>> round(resistor_length_um(50e6))
        6779
    """
    w_eff = w_um - 0.056 - 0.0672 * max(0.69 - w_um, 0.0)
    return ohm * w_eff / _SHEET_OHM + 0.0592


def capacitor_side_um(farad: float) -> float:
    """Side of the square MIM capacitor of ``farad`` at the typical corner.

    Example:
        >>> round(capacitor_side_um(10e-12), 1)
        70.6
    """
    a, b = _MIM_F_PER_UM2, 4 * _MIM_F_PER_UM
    side = (-b + (b * b + 4 * a * farad) ** 0.5) / (2 * a)
    return side + _MIM_SHRINK_UM


def passive_lines(devices: Any) -> list[str]:
    """The neuron's resistors and capacitors as the PDK's own devices.

    Sized for their values at the typical corner; at another corner and
    temperature they move as the PDK says (chapter ``chip`` measures them).
    """
    lines = []
    for name, a, b, value in devices:
        if name.upper().startswith("R"):
            lines.append(f"X{name} {a} {b} 0 {RESISTOR_DEVICE} "
                         f"w={RESISTOR_WIDTH_UM:g} l={resistor_length_um(value):.1f}")
        else:
            side = capacitor_side_um(value)
            lines.append(
                f"X{name} {a} {b} {CAPACITOR_DEVICE} w={side:.2f} l={side:.2f}")
    return lines


def comparator_lines() -> list[str]:
    """Comparator (skewed weak inverter, strong inverter) and the reset devices."""
    return [
        "* threshold comparator: a weak inverter skewed to a low trip point",
        device_line("1p", "n1", "mem", "vdd", "vdd", "pfet_01v8", 0.42, 8.0),
        device_line("1n", "n1", "mem", "0", "0", "nfet_01v8", 1.0, 1.0),
        device_line("2p", "spk", "n1", "vdd", "vdd", "pfet_01v8", 1.0, 0.15),
        device_line("2n", "spk", "n1", "0", "0", "nfet_01v8", 0.42, 0.15),
        "* reset with refractory period: the spike itself charges ref (follower)",
        device_line("rp", "vdd", "spk", "ref", "0", "nfet_01v8", 1.0, 0.15),
        device_line("rst", "mem", "ref", "0", "0", "nfet_01v8", 0.42, 1.0),
    ]


def bias_lines(source: bool, sink: bool) -> list[str]:
    """NT bias: PMOS source and NMOS sink, each on its own domain (off: left out)."""
    lines = ["* NT bias: a sourcing and a sinking source, one domain each"]
    if source:
        w, length = BIAS_PMOS_WL_UM
        lines.append(
            device_line("bp", "mem", "0", "vbias", "vbias", "pfet_01v8", w, length)
        )
    if sink:
        w, length = BIAS_NMOS_WL_UM
        lines.append(
            device_line("bn", "mem", "vbiasn", "0", "0", "nfet_01v8", w, length)
        )
    return lines


def unit_device(kind: str) -> str:
    """One unit source between ``mem`` and the swept supply node ``vs``."""
    devices = {
        "excite": ("mem", "0", "vs", "vs", "pfet_01v8_lvt", SYNAPSE_PMOS_WL_UM),
        "inhibit": ("mem", "vs", "0", "0", "nfet_01v8", SYNAPSE_NMOS_WL_UM),
        "bias": ("mem", "0", "vs", "vs", "pfet_01v8", BIAS_PMOS_WL_UM),
        "bias_sink": ("mem", "vs", "0", "0", "nfet_01v8", BIAS_NMOS_WL_UM),
    }
    if kind not in devices:
        raise ValueError(
            f"unknown source kind {kind!r}; choose one of {', '.join(devices)}"
        )
    drain, gate, source, body, device, (w, length) = devices[kind]
    return device_line("1", drain, gate, source, body, device, w, length)
