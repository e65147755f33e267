"""Digital hardware as a range: memory tier, node and weight width (chapter ``chip``).

:mod:`ntlib.energy` prices one digital point: Horowitz's 45 nm table with
the weights in the smallest memory that holds them.  A designer's choice
moves that point further than the analog chip's own uncertainty, so
:func:`digital_range` spans the choices that matter:

* **memory**: the weights read from banked 32 KB SRAMs (20 pJ per 64-bit
  read) or from one 1 MB SRAM (100 pJ); Horowitz, "Computing's energy
  problem (and what we can do about it)", ISSCC 2014;
* **node**: the 45 nm table as published, and scaled to the chip's 130 nm
  at 1.8 V (:func:`node_scale`: switched capacitance grows with the feature
  size, energy with ``C V^2``; an assumption, about 11.6x);
* **weights**: 8-bit and 4-bit.  A 4-bit multiply costs ``(4/8)^2`` of an
  8-bit one (an array multiplier grows with the square of its width) and a
  4-bit add half (an assumption); activations stay 8-bit.

:data:`NEUROMORPHIC_PJ_PER_SOP` holds published digital neuromorphic silicon
per synaptic operation, each with its reference, and
:func:`neuromorphic_range` prices a chip's synaptic events with them.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ntlib.energy import MEMORY_TIERS, OPERATION_ENERGY_PJ, Layer, memory_tier

#: Node and supply of Horowitz's table, and of the analog chip (SKY130 core).
TABLE_NODE_NM, TABLE_SUPPLY_V = 45.0, 0.9
CHIP_NODE_NM, CHIP_SUPPLY_V = 130.0, 1.8
#: The weight memories compared: label -> pJ per 64-bit read (Horowitz 2014).
WEIGHT_MEMORIES: dict[str, float] = {
    "banked 32 KB SRAM": next(pj for _, pj, label in MEMORY_TIERS
                              if label == "32 KB SRAM"),
    "1 MB SRAM": next(pj for _, pj, label in MEMORY_TIERS if label == "1 MB SRAM"),
}
WEIGHT_BITS: tuple[int, ...] = (8, 4)
ACTIVATION_BITS = 8

#: Published energy per synaptic operation, pJ: (low, high, node nm, reference).
NEUROMORPHIC_PJ_PER_SOP: dict[str, tuple[float, float, float, str]] = {
    "Loihi": (23.6, 23.6, 14, "Davies et al., IEEE Micro 38(1), 2018, Table 1"),
    "SpiNNaker2": (10.0, 10.0, 22, "Mayr, Hoeppner, Furber, arXiv:1911.02385, 2019"),
    "TrueNorth": (2.5, 26.0, 28, ("Merolla et al., Science 345(6197), 2014 (26 pJ "
                                  "per synaptic event; 2.5 pJ per SOP by its own "
                                  "definition)")),
    "Tianjic": (1.54, 1.54, 28, "Pei et al., Nature 572, 2019"),
    "SENECA": (2.8, 2.8, 22, "Tang et al., Frontiers in Neuroscience 17, 2023"),
}


def node_scale(
    node_nm: float = CHIP_NODE_NM, supply_v: float = CHIP_SUPPLY_V,
    from_node_nm: float = TABLE_NODE_NM, from_supply_v: float = TABLE_SUPPLY_V,
) -> float:
    """Energy factor from one node to another: ``(L / L0) (V / V0)^2`` (assumption).

    Example:
        >>> round(node_scale(), 1)
        11.6
    """
    for name, value in (("node_nm", node_nm), ("supply_v", supply_v),
                        ("from_node_nm", from_node_nm),
                        ("from_supply_v", from_supply_v)):
        if not value > 0:
            raise ValueError(f"{name} must be > 0; got {value!r}")
    return (node_nm / from_node_nm) * (supply_v / from_supply_v) ** 2


def mac_pj(weight_bits: int) -> float:
    """One multiply-accumulate at 45 nm with ``weight_bits`` weights (8 or 4), pJ."""
    if weight_bits not in WEIGHT_BITS:
        raise ValueError(f"weight_bits must be one of {WEIGHT_BITS}; got {weight_bits!r}")
    ops = OPERATION_ENERGY_PJ["int8"]
    share = weight_bits / 8
    return ops["multiply"] * share**2 + ops["add"] * share


def _reads(values: int, bits: int) -> int:
    return -(-values * bits // 64)


def digital_range(layers: Sequence[Layer]) -> pd.DataFrame:
    """Energy per inference of a digital core over memory, node and weight width.

    Every weight is read once per inference from the named memory; every
    layer reads its inputs and writes its outputs once (8-bit) in the
    smallest memory that holds the largest layer's both; arithmetic is one
    MAC per synapse (:func:`mac_pj`).  Columns: ``memory``, ``node_nm``,
    ``weight_bits``, ``arithmetic_nj``, ``memory_nj``, ``total_nj``.

    Example:
        >>> from ntlib.energy import dense_layer
        >>> table = digital_range([dense_layer("fc", 64, 10)])
        >>> len(table), bool((table.total_nj > 0).all())
        (8, True)
    """
    if not layers or any(la.params <= 0 or la.inputs <= 0 for la in layers):
        raise ValueError(
            "need layers with params and inputs > 0; build them with "
            "ntlib.energy.layers_from_module"
        )
    macs = sum(la.macs for la in layers)
    params = sum(la.params for la in layers)
    largest = max(la.inputs + la.neurons for la in layers)
    act_pj, _ = memory_tier(largest * ACTIVATION_BITS / 8)
    act_reads = sum(_reads(la.inputs, ACTIVATION_BITS) + _reads(la.neurons,
                    ACTIVATION_BITS) for la in layers)
    rows = []
    for memory, weight_pj in WEIGHT_MEMORIES.items():
        for node_nm, factor in ((TABLE_NODE_NM, 1.0), (CHIP_NODE_NM, node_scale())):
            for bits in WEIGHT_BITS:
                arithmetic = macs * mac_pj(bits) * factor * 1e-3
                traffic = (_reads(params, bits) * weight_pj
                           + act_reads * act_pj) * factor * 1e-3
                rows.append({"memory": memory, "node_nm": node_nm,
                             "weight_bits": bits, "arithmetic_nj": arithmetic,
                             "memory_nj": traffic, "total_nj": arithmetic + traffic})
    return pd.DataFrame(rows)


def neuromorphic_range(synaptic_ops: float) -> pd.DataFrame:
    """``synaptic_ops`` priced on published neuromorphic silicon, nJ.

    Columns: ``chip``, ``low_nj``, ``high_nj``, ``node_nm``, ``source``
    (:data:`NEUROMORPHIC_PJ_PER_SOP`, at each chip's own node).

    Example:
        >>> float(neuromorphic_range(1e6).set_index("chip").loc["Loihi", "low_nj"])
        23600.0
    """
    if not synaptic_ops >= 0:
        raise ValueError(f"synaptic_ops must be >= 0; got {synaptic_ops!r}")
    return pd.DataFrame([
        {"chip": name, "low_nj": synaptic_ops * low * 1e-3,
         "high_nj": synaptic_ops * high * 1e-3, "node_nm": node, "source": source}
        for name, (low, high, node, source) in NEUROMORPHIC_PJ_PER_SOP.items()])
