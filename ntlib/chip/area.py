"""Silicon area of the chip, and of a digital core beside it (chapter ``chip``).

:func:`chip_area` adds up the drawn devices of a design on SKY130 (130 nm),
from the device sizes the netlists use (:mod:`ntlib.circuits.netlist_sky130`)
and the PDK's densities (:func:`ntlib.circuits.area.area_table`), then a
routing overhead:

* synapse units: the gate area of every unit (PMOS 1 x 20 um, NMOS
  0.42 x 20 um); low, the design's own ``|code|`` units per synapse (codes
  fixed in silicon); high, a programmable bank of 7 + 7 units per synapse;
* each neuron's capacitors and resistors, and its transistors (comparator,
  reset, NT bias devices), drawn;
* the line drivers, ``ceil(units / 4)`` copies per line and side;
* an 8-bit bias DAC and buffer per bias domain that is on:
  1,000-5,000 um^2 each (assumption);
* routing and spacing: 50-100 % on top of the drawn devices (assumption: a
  layout 50-67 % dense).

:func:`digital_core_area` is a digital int8 core holding the same weights
in SRAM, from published 6T bit cells: 2.45 um^2 at 130 nm (S. Tyagi et al.,
"A 130 nm generation logic technology ...", IEDM 2000) and 0.346 um^2 at
45 nm (K. Mistry et al., "A 45nm logic technology ...", IEDM 2007), with an
array efficiency of 50-70 % (periphery, assumption), plus the MAC datapath
and control: 0.05-0.2 mm^2 at 130 nm (assumption: 16 int8 MACs of about 500
gates), scaled with the node's square.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ntlib.checks import check_choice
from ntlib.chip.design import ChipDesign
from ntlib.chip.drivers import driver_strength
from ntlib.chip.slices import layer_codes
from ntlib.circuits import netlist_sky130 as sky
from ntlib.circuits.area import area_table

COLUMNS = ("item", "low (mm2)", "high (mm2)", "kind", "source")
#: Assumptions, each a (low, high) pair.
BIAS_DAC_UM2 = (1_000.0, 5_000.0)
ROUTING_OVERHEAD = (0.5, 1.0)
#: Published 6T SRAM bit cells, um^2, by node (nm), and their sources.
SRAM_BITCELL_UM2: dict[float, tuple[float, str]] = {
    130.0: (2.45, "Tyagi et al., IEDM 2000"),
    45.0: (0.346, "Mistry et al., IEDM 2007"),
}
SRAM_ARRAY_EFFICIENCY = (0.7, 0.5)
MAC_LOGIC_MM2_130NM = (0.05, 0.2)
GRANULARITIES = ("neuron", "channel")
#: Transistors of one neuron besides its synapses: (W, L) um each.
_NEURON_DEVICES_UM = ((0.42, 8.0), (1.0, 1.0), (1.0, 0.15), (0.42, 0.15),
                      (1.0, 0.15), (0.42, 1.0), sky.BIAS_PMOS_WL_UM,
                      sky.BIAS_NMOS_WL_UM)
_DRIVER_UM2 = 0.84 * 0.35 + 0.42 * 0.15


def _gate_um2(wl: tuple[float, float]) -> float:
    return wl[0] * wl[1]


def _row(item, low_um2, high_um2, kind, source) -> dict:
    return dict(zip(COLUMNS, (item, low_um2 * 1e-6, high_um2 * 1e-6, kind, source),
                    strict=True))


def bias_domains(design: ChipDesign, granularity: str = "neuron") -> int:
    """Bias domains that are on: one per neuron, or one per channel of a convolution.

    ``granularity``: ``neuron`` or ``channel`` (NT tuned per channel holds one
    bias per output channel, so a convolution needs a domain per channel).
    """
    check_choice("bias_granularity", granularity, GRANULARITIES)
    domains = 0
    for layer in design.layers:
        on = np.stack([layer.bias_source_v > 0, layer.bias_sink_v > 0], axis=1)
        if granularity == "channel" and layer.conv is not None:
            on = on.reshape(layer.out_shape[0], -1, 2).any(axis=1)
        domains += int(on.sum())
    return domains


def chip_area(design: ChipDesign, bias_granularity: str = "neuron") -> pd.DataFrame:
    """The chip's area by part, mm^2 (columns as :data:`COLUMNS`).

    ``bias_granularity``: a bias DAC per neuron or per channel
    (:func:`bias_domains`).

    Example:
        >>> table = chip_area(setup.design)  # doctest: +SKIP
        >>> table["low (mm2)"].sum() > 0  # doctest: +SKIP
        True
    """
    unit_p, unit_n = _gate_um2(sky.SYNAPSE_PMOS_WL_UM), _gate_um2(sky.SYNAPSE_NMOS_WL_UM)
    domains = bias_domains(design, bias_granularity)
    fixed = programmable = copies = 0.0
    for index, layer in enumerate(design.layers):
        codes = layer_codes(design, index).astype(int)
        excite, inhibit = np.clip(codes, 0, None), np.clip(-codes, 0, None)
        fixed += excite.sum() * unit_p + inhibit.sum() * unit_n
        programmable += layer.synapses * 7 * (unit_p + unit_n)
        for units in (excite.sum(0), inhibit.sum(0)):
            copies += float(np.where(units > 0, driver_strength(units), 0).sum())
    neurons = sum(layer.neurons for layer in design.layers)
    passive = sum(float(r["area_um2"]) for r in area_table()
                  if not str(r["part"]).startswith("synapse"))
    devices = sum(_gate_um2(wl) for wl in _NEURON_DEVICES_UM)
    rows = [
        _row("synapse units", fixed, programmable, "estimate",
             "PDK gate sizes: the design's |code| units (low) or 7 + 7 per synapse"),
        _row("neuron R and C", neurons * passive, neurons * passive, "measured",
             f"circuits.area.area_table (PDK densities) x {neurons} neurons"),
        _row("neuron transistors", neurons * devices, neurons * devices, "measured",
             "comparator, reset and bias device sizes (netlist_sky130)"),
        _row("line drivers", copies * _DRIVER_UM2, copies * _DRIVER_UM2, "measured",
             f"{copies:.0f} driver copies (drivers.driver_strength)"),
        _row(f"bias DACs and buffers (per {bias_granularity})", domains * BIAS_DAC_UM2[0],
             domains * BIAS_DAC_UM2[1], "estimate",
             f"{domains} domains x 1,000-5,000 um^2 (assumption)"),
    ]
    drawn = [sum(r[c] for r in rows) * 1e6 for c in ("low (mm2)", "high (mm2)")]
    rows.append(_row("routing and spacing", drawn[0] * ROUTING_OVERHEAD[0],
                     drawn[1] * ROUTING_OVERHEAD[1], "estimate",
                     "50-100 % of the drawn devices (assumption)"))
    return pd.DataFrame(rows, columns=list(COLUMNS))


def digital_core_area(
    weights: int, activations: int, weight_bits: int = 8, node_nm: float = 130.0
) -> dict:
    """Area of a digital int8 core holding ``weights`` in SRAM, mm^2 (low, high).

    ``activations``: the largest layer's inputs and outputs together (8-bit,
    in SRAM too).  Returns ``low_mm2``, ``high_mm2``, ``sram_kb`` and
    ``source``.

    Example:
        >>> area = digital_core_area(136_586, 3_072)
        >>> round(area["sram_kb"], 1), area["low_mm2"] < area["high_mm2"]
        (139.7, True)
    """
    if node_nm not in SRAM_BITCELL_UM2:
        raise ValueError(f"node_nm must be one of {sorted(SRAM_BITCELL_UM2)}; "
                         f"got {node_nm!r}")
    if weight_bits not in (8, 4):
        raise ValueError(f"weight_bits must be 8 or 4; got {weight_bits!r}")
    if weights < 1 or activations < 0:
        raise ValueError(f"need weights >= 1 and activations >= 0; got {weights!r}, "
                         f"{activations!r}")
    bits = weights * weight_bits + activations * 8
    cell, source = SRAM_BITCELL_UM2[node_nm]
    logic = [a * (node_nm / 130.0) ** 2 for a in MAC_LOGIC_MM2_130NM]
    sram = [bits * cell / e * 1e-6 for e in SRAM_ARRAY_EFFICIENCY]
    return {"low_mm2": sram[0] + logic[0], "high_mm2": sram[1] + logic[1],
            "sram_kb": bits / 8 / 1000,
            "source": f"6T cell {cell} um^2 ({source}), 50-70 % array efficiency, "
                      "MAC logic 0.05-0.2 mm^2 at 130 nm (assumption)"}
