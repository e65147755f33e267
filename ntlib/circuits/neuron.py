"""The analog neuromodulated LIF neuron as a netlist (chapters 7-8).

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
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import ModuleType

from ntlib.circuits import netlist_level1, netlist_sky130
from ntlib.circuits.models import (
    BIAS_SINK_SUPPLY_RANGES_V,
    BIAS_SUPPLY_RANGES_V,
    SYNAPSE_SUPPLY_RANGES_V,
    WEIGHT_CODE_RANGE,
    check_process,
)
from ntlib.circuits.sky130 import TEMPERATURE_RANGE_C, check_corner

#: Component values shared by both processes (SI units).  Chapter 7 fits the
#: LIF model's capacitance, leak and threshold from simulation.
MEMBRANE_CAPACITANCE_F = 10e-12
FEEDBACK_CAPACITANCE_F = 2e-12
LEAK_RESISTANCE_OHM = 50e6
REFRACTORY_CAPACITANCE_F = 1e-12
REFRACTORY_RESISTANCE_OHM = 20e6
#: Level-1 neuron supply (chapter 7's teaching circuit); SKY130 uses 1.8 V.
NEURON_SUPPLY_V = netlist_level1.NEURON_SUPPLY_V
NEURON_SUPPLIES_V: dict[str, float] = {
    "level1": netlist_level1.NEURON_SUPPLY_V,
    "sky130": netlist_sky130.NEURON_SUPPLY_V,
}
#: Width of one input spike (the time each selected source conducts), seconds.
INPUT_PULSE_WIDTH_S = 0.5e-6
#: Rise and fall time of the input pulses, seconds.
INPUT_EDGE_S = 10e-9

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


def netlist_module(process: str) -> ModuleType:
    """The module that writes ``process``'s transistor lines."""
    check_process(process)
    return netlist_sky130 if process == "sky130" else netlist_level1


@dataclass(frozen=True)
class NeuronParams:
    """Everything one transient of the neuron depends on (chapter 7).

    Args:
        supply_v: synapse power-domain supply (the neuromodulatory gain).
        weight_code: signed 3-bit weight, -7..+7 (sign = excite/inhibit).
        input_rate_hz: rate of the periodic input spike train.
        bias_supply_v: sourcing NT bias domain supply; 0 switches it off.
        duration_s: simulated time.
        input_current_a: an ideal DC test current into the membrane (0 = none).
        bias_sink_supply_v: sinking NT bias domain supply; 0 switches it off.
        process: ``"sky130"`` (default) or ``"level1"`` (teaching cards).
        corner: SKY130 process corner, ``tt``, ``ff``, ``ss``, ``sf`` or ``fs``.
        temp_c: temperature in degrees Celsius.
        mismatch_seed: ``None`` for nominal devices; an integer draws the PDK's
            per-device mismatch with that seed (SKY130 only).

    Example:
        >>> NeuronParams(supply_v=1.2, weight_code=7).weight_code
        7
    """

    supply_v: float = 1.2
    weight_code: int = 7
    input_rate_hz: float = 100e3
    bias_supply_v: float = 0.0
    duration_s: float = 1e-3
    input_current_a: float = 0.0
    bias_sink_supply_v: float = 0.0
    process: str = "sky130"
    corner: str = "tt"
    temp_c: float = 27.0
    mismatch_seed: int | None = None

    def __post_init__(self) -> None:
        check_process(self.process)
        check_corner(self.corner)
        if self.process == "level1" and (
            self.corner != "tt" or self.mismatch_seed is not None
        ):
            raise ValueError(
                "the level-1 cards have no corners and no mismatch; use "
                f"process='sky130' (got corner={self.corner!r}, "
                f"mismatch_seed={self.mismatch_seed!r})"
            )
        _check_range(
            "supply_v (synapse supply)",
            self.supply_v,
            SYNAPSE_SUPPLY_RANGES_V[self.process],
            "V",
        )
        low, high = WEIGHT_CODE_RANGE
        code = self.weight_code
        if isinstance(code, bool) or not isinstance(code, (int, float)):
            raise TypeError(f"weight_code must be an integer; got {code!r}")
        if not math.isfinite(code) or int(code) != code or not low <= code <= high:
            raise ValueError(
                f"weight_code must be an integer from {low} to +{high} "
                f"(a signed 3-bit code); got {code!r}"
            )
        for name, value, ranges in (
            (
                "bias_supply_v (0 switches the bias off)",
                self.bias_supply_v,
                BIAS_SUPPLY_RANGES_V,
            ),
            (
                "bias_sink_supply_v (0 switches the sink off)",
                self.bias_sink_supply_v,
                BIAS_SINK_SUPPLY_RANGES_V,
            ),
        ):
            if _number(name, value) != 0.0:
                _check_range(name, value, ranges[self.process], "V")
        _check_range("input_rate_hz", self.input_rate_hz, INPUT_RATE_RANGE_HZ, "Hz")
        _check_range("duration_s", self.duration_s, DURATION_RANGE_S, "s")
        _check_range(
            "input_current_a", self.input_current_a, INPUT_CURRENT_RANGE_A, "A"
        )
        _check_range("temp_c", self.temp_c, TEMPERATURE_RANGE_C, "C")
        if self.mismatch_seed is not None and (
            isinstance(self.mismatch_seed, bool)
            or not isinstance(self.mismatch_seed, int)
            or self.mismatch_seed < 1
        ):
            raise ValueError(
                f"mismatch_seed must be None or a positive integer; "
                f"got {self.mismatch_seed!r}"
            )

    @property
    def neuron_supply_v(self) -> float:
        return NEURON_SUPPLIES_V[self.process]

    def describe(self) -> str:
        """The parameters in words, for error messages."""
        return (
            f"process={self.process}, corner={self.corner}, temp_c={self.temp_c:g}, "
            f"supply_v={self.supply_v:g} V, weight_code={self.weight_code}, "
            f"input_rate_hz={self.input_rate_hz:g}, "
            f"bias_supply_v={self.bias_supply_v:g} V, "
            f"bias_sink_supply_v={self.bias_sink_supply_v:g} V, "
            f"duration_s={self.duration_s:g}, input_current_a={self.input_current_a:g}"
            + (
                f", mismatch_seed={self.mismatch_seed}"
                if self.mismatch_seed is not None
                else ""
            )
        )


def _pulse_writer(period_s: float):
    def pulse(name: str, node: str, idle_v: float, active_v: float) -> str:
        # First spike half a period in, so the membrane starts from rest.
        return (
            f"V{name} {node} 0 DC {idle_v} PULSE({idle_v} {active_v} "
            f"{period_s / 2:.6g} {INPUT_EDGE_S:g} {INPUT_EDGE_S:g} "
            f"{INPUT_PULSE_WIDTH_S:g} {period_s:.6g})"
        )

    return pulse


def neuron_lines(process: str = "sky130") -> list[str]:
    """Netlist lines of the membrane, comparator, reset and refractory parts."""
    return [
        "* membrane and leak",
        f"Cm mem 0 {MEMBRANE_CAPACITANCE_F:g}",
        f"Rleak mem 0 {LEAK_RESISTANCE_OHM:g}",
        f"Cfb spk mem {FEEDBACK_CAPACITANCE_F:g}",
        f"Cref ref 0 {REFRACTORY_CAPACITANCE_F:g}",
        f"Rref ref 0 {REFRACTORY_RESISTANCE_OHM:g}",
        *netlist_module(process).comparator_lines(),
    ]


def build_netlist(params: NeuronParams) -> str:
    """The complete netlist of one transient, as ngspice reads it (chapter 7).

    Example:
        >>> "Mp2 mem gp2 vsyn vsyn" in build_netlist(NeuronParams(process="level1"))
        True
    """
    parts = netlist_module(params.process)
    step_s = params.duration_s / 2000
    lines = [".title analog NT neuron", *parts.header_lines(params)]
    lines += [
        "* power domains",
        f"Vsyn vsyn 0 DC {params.supply_v}",
        f"Vneuron vdd 0 DC {params.neuron_supply_v}",
        f"Vbias vbias 0 DC {params.bias_supply_v}",
        f"Vbiasn vbiasn 0 DC {params.bias_sink_supply_v}",
    ]
    lines += parts.bias_lines(params)
    lines += neuron_lines(params.process)
    lines += parts.synapse_lines(params, _pulse_writer(1.0 / params.input_rate_hz))
    if params.input_current_a > 0:
        lines += [
            "* DC test current into the membrane",
            f"Iin 0 mem DC {params.input_current_a:g}",
        ]
    lines += [
        f".temp {params.temp_c:g}",
        parts.OPTIONS_LINE,
        ".ic v(mem)=0 v(ref)=0",
        f".tran {step_s:g} {params.duration_s:g} uic",
        ".end",
    ]
    return "\n".join(lines)


def source_netlist(
    kind: str,
    membrane_v: float,
    start_v: float,
    stop_v: float,
    step_v: float,
    process: str = "sky130",
    corner: str = "tt",
    temp_c: float = 27.0,
) -> str:
    """Netlist of a DC sweep of one unit source's supply, membrane node held.

    ``kind`` is ``"excite"`` (a synapse PMOS unit), ``"inhibit"`` (a synapse
    NMOS unit), ``"bias"`` (the sourcing NT bias PMOS) or ``"bias_sink"`` (the
    sinking NT bias NMOS).  The current is read from the ``Vmem`` source that
    holds the membrane node.
    """
    parts = netlist_module(process)
    params = NeuronParams(process=process, corner=corner, temp_c=temp_c)
    return "\n".join(
        [
            f".title unit {kind} source",
            *parts.header_lines(params),
            f"Vs vs 0 DC {start_v}",
            f"Vmem mem 0 DC {membrane_v}",
            parts.unit_device(kind),
            f".temp {temp_c:g}",
            f".dc Vs {start_v:g} {stop_v:g} {step_v:g}",
            ".end",
        ]
    )
