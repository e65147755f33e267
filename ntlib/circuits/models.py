"""Transistor model cards and the documented operating ranges (chapter 7).

The book simulates the neuron on two model sets (``process``): ``"sky130"``,
the SkyWater 130 nm PDK's BSIM4 models (see :mod:`ntlib.circuits.sky130`),
from which every power, energy and rate figure that judges the hardware claim
comes; and ``"level1"``, the teaching cards below, which chapter 7 uses for
square-law intuition.

The level-1 cards are SPICE level-1 (Shichman-Hodges, square-law)
MOSFET models.  Level 1 has no subthreshold conduction and no velocity
saturation, so it is a teaching model, not a sign-off model; it is fast (one
transient of the neuron takes well under a tenth of a second) and its currents
follow the square law that every analog-design textbook derives by hand.

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

PROCESSES: tuple[str, ...] = ("level1", "sky130")

#: Documented range of a synapse power domain's supply voltage, in volts, per
#: process.  Level 1: below 0.7 V the unit current (the square law above a 0.4 V
#: threshold) is too small to bring the membrane to threshold against the leak.
#: SKY130: the 1.8 V devices' range from 0.9 V (the low-threshold synapse PMOS
#: still drives the neuron above its rheobase at weight code 7) to their
#: nominal 1.8 V.
SYNAPSE_SUPPLY_RANGES_V: dict[str, tuple[float, float]] = {
    "level1": (0.7, 1.3),
    "sky130": (0.9, 1.8),
}

#: Documented range of the sourcing bias power domain's supply voltage, in
#: volts, per process.  A supply of exactly 0 V means the domain is switched
#: off (its source is disconnected).  SKY130: the sourcing PMOS needs its supply
#: above the membrane's highest voltage (about 0.7 V); it is in subthreshold at
#: the low end, so small biases are reachable.
BIAS_SUPPLY_RANGES_V: dict[str, tuple[float, float]] = {
    "level1": (0.7, 1.3),
    "sky130": (0.75, 1.8),
}
#: Documented range of the sinking bias domain's supply, in volts (0 V = off).
#: This domain drives the sinking NMOS's gate, so its range starts in that
#: device's subthreshold region (SKY130) or just above its threshold (level 1).
BIAS_SINK_SUPPLY_RANGES_V: dict[str, tuple[float, float]] = {
    "level1": (0.5, 1.3),
    "sky130": (0.3, 1.2),
}

#: The default process's ranges (SKY130), under their historical names.
SYNAPSE_SUPPLY_RANGE_V: tuple[float, float] = SYNAPSE_SUPPLY_RANGES_V["sky130"]
BIAS_SUPPLY_RANGE_V: tuple[float, float] = BIAS_SUPPLY_RANGES_V["sky130"]

#: Signed 3-bit weight code of a synapse: magnitude 0-7, sign = direction.
WEIGHT_CODE_RANGE: tuple[int, int] = (-7, 7)


def check_process(process: str) -> str:
    """``process`` if it is one of :data:`PROCESSES`, else a ValueError naming them."""
    if process not in PROCESSES:
        raise ValueError(
            f"process must be one of {', '.join(PROCESSES)}; got {process!r}"
        )
    return process


def model_lines() -> list[str]:
    """The ``.model`` lines for every card, ready for a netlist.

    Example:
        >>> model_lines()[0].startswith(".model nch nmos")
        True
    """
    lines = []
    for name, card in MODEL_CARDS.items():
        params = " ".join(
            f"{key}={value}" for key, value in card.items() if key != "type"
        )
        lines.append(f".model {name} {card['type']} ({params})")
    return lines


def add_models(circuit: Any) -> None:
    """Add every model card to a PySpice ``Circuit``."""
    for name, card in MODEL_CARDS.items():
        params = {key: value for key, value in card.items() if key != "type"}
        circuit.model(name, card["type"], **params)
