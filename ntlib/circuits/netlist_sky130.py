"""The neuron's netlist on SkyWater SKY130 1.8 V transistors (chapters 7-9).

The same circuit as the level-1 version (membrane capacitor and leak resistor,
a two-inverter comparator with a feedback capacitor, a reset with refractory
period, a 3-bit bidirectional synapse and the NT bias), with the PDK's BSIM4
models, which carry gate, overlap and junction capacitances and subthreshold
conduction.  Differences a designer would make for this process:

* The neuron domain runs at the devices' nominal 1.8 V.
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
from ntlib.circuits.sky130 import device_line, model_lines

NEURON_SUPPLY_V = 1.8
OPTIONS_LINE = sky130.OPTIONS_LINE
#: Transistor sizes (width, length) in micrometres.
SYNAPSE_PMOS_WL_UM = (1.0, 20.0)
SYNAPSE_NMOS_WL_UM = (0.42, 20.0)
BIAS_PMOS_WL_UM = (0.42, 20.0)
BIAS_NMOS_WL_UM = (0.42, 20.0)
#: Logic level of the digital input spikes and weight bits, volts.
LOGIC_V = 1.8


def synapse_lines(params: Any, pulse: Any) -> list[str]:
    """The 3-bit bidirectional synapse with its gate drivers on the synapse domain."""
    pw, pl = SYNAPSE_PMOS_WL_UM
    nw, nl = SYNAPSE_NMOS_WL_UM
    code = params.weight_code
    lines = ["* synapse: binary-weighted units, gate drivers on the synapse domain"]
    for bit in range(3):
        selected = (abs(code) >> bit) & 1 == 1
        # Excitatory path: active-high input -> driver -> PMOS gate low.
        if selected and code > 0:
            lines.append(pulse(f"inp{bit}", f"inp{bit}", 0.0, LOGIC_V))
        else:
            lines.append(f"Vinp{bit} inp{bit} 0 DC 0")
        # Inhibitory path: active-low input -> driver -> NMOS gate at supply.
        if selected and code < 0:
            lines.append(pulse(f"inn{bit}", f"inn{bit}", LOGIC_V, 0.0))
        else:
            lines.append(f"Vinn{bit} inn{bit} 0 DC {LOGIC_V}")
        for node, inp in ((f"gp{bit}", f"inp{bit}"), (f"gn{bit}", f"inn{bit}")):
            lines.append(
                device_line(
                    f"d{node}p", node, inp, "vsyn", "vsyn", "pfet_01v8_lvt", 0.84, 0.35
                )
            )
            lines.append(
                device_line(f"d{node}n", node, inp, "0", "0", "nfet_01v8", 0.42, 0.15)
            )
        for unit in range(2**bit):
            lines.append(
                device_line(
                    f"p{bit}_{unit}",
                    "mem",
                    f"gp{bit}",
                    "vsyn",
                    "vsyn",
                    "pfet_01v8_lvt",
                    pw,
                    pl,
                )
            )
            lines.append(
                device_line(
                    f"n{bit}_{unit}", "mem", f"gn{bit}", "0", "0", "nfet_01v8", nw, nl
                )
            )
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


def bias_lines(params: Any) -> list[str]:
    """NT bias: PMOS source and NMOS sink, each on its own domain (0 V = off)."""
    lines = ["* NT bias: a sourcing and a sinking source, one domain each"]
    if params.bias_supply_v > 0:
        w, length = BIAS_PMOS_WL_UM
        lines.append(
            device_line("bp", "mem", "0", "vbias", "vbias", "pfet_01v8", w, length)
        )
    if params.bias_sink_supply_v > 0:
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


def header_lines(params: Any) -> list[str]:
    """The corner's model files (and mismatch, when a seed is given)."""
    return model_lines(params.corner, params.mismatch_seed)
