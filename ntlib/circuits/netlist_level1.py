"""The neuron's netlist on the level-1 teaching cards (chapter 7).

Square-law devices without capacitances: every capacitance is an explicit
capacitor, and the input spikes reach the synapse gates as ideal pulses (no
gate-drive energy).  Chapter 7 uses this version to teach the square law;
every power, energy and rate figure that judges the hardware claim comes from
:mod:`ntlib.circuits.netlist_sky130`.
"""

from __future__ import annotations

from typing import Any

from ntlib.circuits.models import model_lines

#: Supply of the neuron's own power domain (comparator, reset), volts.
NEURON_SUPPLY_V = 1.2
#: Transistor sizes (width, length) in metres; multipliers give 1, 2, 4.
SYNAPSE_PMOS_WL = (0.5e-6, 20e-6)
SYNAPSE_NMOS_WL = (0.5e-6, 80e-6)
BIAS_PMOS_WL = (0.5e-6, 80e-6)
BIAS_NMOS_WL = (0.5e-6, 160e-6)


def synapse_lines(params: Any, pulse: Any) -> list[str]:
    """The 3-bit bidirectional synapse: bit ``b`` switches sources of multiplier 2**b.

    The sign of the weight code selects which of the pair (PMOS source or NMOS
    sink) the input spikes pulse; unselected transistors stay off.
    """
    pw, pl = SYNAPSE_PMOS_WL
    nw, nl = SYNAPSE_NMOS_WL
    supply_v, code = params.supply_v, params.weight_code
    lines = ["* synapse: three binary-scaled bidirectional current sources"]
    for bit in range(3):
        multiplier = 2**bit
        selected = (abs(code) >> bit) & 1 == 1
        if selected and code > 0:
            lines.append(pulse(f"gp{bit}", f"gp{bit}", supply_v, 0.0))
        else:
            lines.append(f"Vgp{bit} gp{bit} 0 DC {supply_v}")
        if selected and code < 0:
            lines.append(pulse(f"gn{bit}", f"gn{bit}", 0.0, supply_v))
        else:
            lines.append(f"Vgn{bit} gn{bit} 0 DC 0")
        lines.append(
            f"Mp{bit} mem gp{bit} vsyn vsyn pch w={pw:g} l={pl:g} m={multiplier}"
        )
        lines.append(f"Mn{bit} mem gn{bit} 0 0 nch w={nw:g} l={nl:g} m={multiplier}")
    return lines


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


def bias_lines(params: Any) -> list[str]:
    """NT bias: a PMOS source and an NMOS sink, each on its own domain (chapter 8).

    A domain at 0 V is switched off: its transistor is disconnected.
    """
    lines = ["* NT bias: a sourcing and a sinking source, one domain each"]
    if params.bias_supply_v > 0:
        w, length = BIAS_PMOS_WL
        lines.append(f"Mbp mem 0 vbias vbias pch w={w:g} l={length:g}")
    if params.bias_sink_supply_v > 0:
        w, length = BIAS_NMOS_WL
        lines.append(f"Mbn mem vbiasn 0 0 nch w={w:g} l={length:g}")
    return lines


def unit_device(kind: str) -> str:
    """One unit source between nodes ``mem`` and supply node ``vs`` (DC sweeps)."""
    if kind == "excite":
        w, length = SYNAPSE_PMOS_WL
        return f"M1 mem 0 vs vs pch w={w:g} l={length:g}"
    if kind == "bias":
        w, length = BIAS_PMOS_WL
        return f"M1 mem 0 vs vs pch w={w:g} l={length:g}"
    if kind == "inhibit":
        w, length = SYNAPSE_NMOS_WL
        return f"M1 mem vs 0 0 nch w={w:g} l={length:g}"
    if kind == "bias_sink":
        w, length = BIAS_NMOS_WL
        return f"M1 mem vs 0 0 nch w={w:g} l={length:g}"
    raise ValueError(
        f"unknown source kind {kind!r}; choose one of 'excite', 'inhibit', "
        "'bias', 'bias_sink'"
    )


def header_lines(params: Any) -> list[str]:
    """Model cards (level 1 has no corners and no temperature dependence)."""
    return model_lines()


#: Simulator options of a level-1 transient.
OPTIONS_LINE = ".options method=gear reltol=1e-3"
