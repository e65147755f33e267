"""The analog neuromodulated LIF neuron as a PySpice netlist (chapters 7-8).

The circuit, part by part (every transistor uses the cards in
:mod:`ntlib.circuits.models`):

* **Membrane**: capacitor ``Cm`` from ``mem`` to ground, with a leak resistor
  ``Rleak`` in parallel (in silicon often a transistor biased as a resistor;
  a resistor keeps the leak linear, like the LIF model's).
* **Threshold comparator**: two inverters on the neuron's own supply
  (``vneuron``).  The first is long-channel (weak), so its trip point is the
  firing threshold and it draws little current while the membrane creeps up.
  A feedback capacitor ``Cfb`` from the spike output back to the membrane
  gives the positive feedback of Mead's axon hillock: once the threshold is
  crossed, the spike output kicks the membrane further up, so each spike is a
  clean full-swing pulse.
* **Reset and refractory period**: the spike charges node ``ref`` through a
  strong PMOS; ``ref`` holds the reset transistor on while it discharges
  through ``Rref``, so the membrane is held at ground for a refractory time.
* **Synapse**: three binary-scaled sources (multiplier 1, 2, 4).  Each bit
  has a PMOS that sources charge onto the membrane (excite) and an NMOS that
  sinks it (inhibit).  The transistor is both switch and current source: the
  synapse's logic drives its gate to the far rail for the duration of each
  input spike, so its current is set by the square law at a gate drive equal
  to the synapse supply.  The supply voltage of the synapse's power domain
  therefore scales its currents: this is the neuromodulatory signal.
* **NT bias**: one PMOS source on its own power domain (``vbias``), always on,
  whose current is set by that domain's supply voltage.

The input spikes and weight bits reach the gates as ideal pulse sources (the
digital logic is not part of the analog power budget).
"""

from __future__ import annotations

from dataclasses import dataclass

from ntlib.circuits.models import (
    BIAS_SUPPLY_RANGE_V,
    SYNAPSE_SUPPLY_RANGE_V,
    WEIGHT_CODE_RANGE,
    model_lines,
)

#: Component values of the neuron (SI units).  Chapter 7 fits the LIF model's
#: capacitance, leak and threshold from simulation and compares with these.
MEMBRANE_CAPACITANCE_F = 10e-12
FEEDBACK_CAPACITANCE_F = 2e-12
LEAK_RESISTANCE_OHM = 50e6
REFRACTORY_CAPACITANCE_F = 1e-12
REFRACTORY_RESISTANCE_OHM = 20e6
NEURON_SUPPLY_V = 1.2
#: Width of one input spike (the time each selected source conducts), seconds.
INPUT_PULSE_WIDTH_S = 0.5e-6
#: Rise and fall time of the input pulses, seconds.
INPUT_EDGE_S = 10e-9

#: Transistor sizes (width, length) in metres; multipliers give 1, 2, 4.
SYNAPSE_PMOS_WL = (0.5e-6, 20e-6)
SYNAPSE_NMOS_WL = (0.5e-6, 80e-6)
BIAS_PMOS_WL = (0.5e-6, 80e-6)

#: Power domains: name -> supply source in the netlist.
DOMAINS: dict[str, str] = {"synapse": "vsyn", "bias": "vbias", "neuron": "vneuron"}
#: Node of each domain's supply rail.
DOMAIN_NODES: dict[str, str] = {"synapse": "vsyn", "bias": "vbias", "neuron": "vdd"}

INPUT_RATE_RANGE_HZ: tuple[float, float] = (1e3, 1e6)
DURATION_RANGE_S: tuple[float, float] = (50e-6, 50e-3)
INPUT_CURRENT_RANGE_A: tuple[float, float] = (0.0, 1e-6)


def _check_range(
    name: str, value: float, bounds: tuple[float, float], unit: str
) -> None:
    low, high = bounds
    if not low <= value <= high:
        raise ValueError(
            f"{name} must lie in the documented range {low:g}-{high:g} {unit}; "
            f"got {value!r}"
        )


@dataclass(frozen=True)
class NeuronParams:
    """Everything one transient of the neuron depends on (chapter 7).

    Args:
        supply_v: synapse power-domain supply (the neuromodulatory signal).
        weight_code: signed 3-bit weight, -7..+7 (sign = excite/inhibit).
        input_rate_hz: rate of the periodic input spike train.
        bias_supply_v: NT bias domain supply; 0 switches the bias off.
        duration_s: simulated time.
        input_current_a: an ideal DC test current into the membrane (0 = none),
            used to measure rate against input current.

    Example:
        >>> NeuronParams(supply_v=1.0, weight_code=7).weight_code
        7
    """

    supply_v: float = 1.0
    weight_code: int = 7
    input_rate_hz: float = 100e3
    bias_supply_v: float = 0.0
    duration_s: float = 1e-3
    input_current_a: float = 0.0

    def __post_init__(self) -> None:
        _check_range(
            "supply_v (synapse supply)", self.supply_v, SYNAPSE_SUPPLY_RANGE_V, "V"
        )
        low, high = WEIGHT_CODE_RANGE
        if (
            isinstance(self.weight_code, bool)
            or int(self.weight_code) != self.weight_code
            or not low <= self.weight_code <= high
        ):
            raise ValueError(
                f"weight_code must be an integer from {low} to +{high} "
                f"(a signed 3-bit code); got {self.weight_code!r}"
            )
        if self.bias_supply_v != 0.0:
            _check_range(
                "bias_supply_v (0 switches the bias off)",
                self.bias_supply_v,
                BIAS_SUPPLY_RANGE_V,
                "V",
            )
        _check_range("input_rate_hz", self.input_rate_hz, INPUT_RATE_RANGE_HZ, "Hz")
        _check_range("duration_s", self.duration_s, DURATION_RANGE_S, "s")
        _check_range(
            "input_current_a", self.input_current_a, INPUT_CURRENT_RANGE_A, "A"
        )

    def describe(self) -> str:
        """The parameters in words, for error messages."""
        return (
            f"supply_v={self.supply_v:g} V, weight_code={self.weight_code}, "
            f"input_rate_hz={self.input_rate_hz:g}, "
            f"bias_supply_v={self.bias_supply_v:g} V, "
            f"duration_s={self.duration_s:g}, input_current_a={self.input_current_a:g}"
        )


def _pulse(
    name: str, node: str, idle_v: float, active_v: float, period_s: float
) -> str:
    # First spike half a period in, so the membrane starts from rest.
    return (
        f"V{name} {node} 0 DC {idle_v} PULSE({idle_v} {active_v} {period_s / 2:.6g} "
        f"{INPUT_EDGE_S:g} {INPUT_EDGE_S:g} {INPUT_PULSE_WIDTH_S:g} {period_s:.6g})"
    )


def synapse_lines(supply_v: float, weight_code: int, input_rate_hz: float) -> list[str]:
    """Netlist lines of the 3-bit bidirectional current-source synapse (chapter 7).

    Bit ``b`` of ``|weight_code|`` selects the source pair with multiplier
    ``2**b``; the sign selects which of the pair (PMOS source or NMOS sink)
    is pulsed by the input spikes.  Unselected transistors stay off.
    """
    period_s = 1.0 / input_rate_hz
    pw, pl = SYNAPSE_PMOS_WL
    nw, nl = SYNAPSE_NMOS_WL
    lines = ["* synapse: three binary-scaled bidirectional current sources"]
    for bit in range(3):
        multiplier = 2**bit
        selected = (abs(weight_code) >> bit) & 1 == 1
        if selected and weight_code > 0:
            lines.append(_pulse(f"gp{bit}", f"gp{bit}", supply_v, 0.0, period_s))
        else:
            lines.append(f"Vgp{bit} gp{bit} 0 DC {supply_v}")
        if selected and weight_code < 0:
            lines.append(_pulse(f"gn{bit}", f"gn{bit}", 0.0, supply_v, period_s))
        else:
            lines.append(f"Vgn{bit} gn{bit} 0 DC 0")
        lines.append(
            f"Mp{bit} mem gp{bit} vsyn vsyn pch w={pw:g} l={pl:g} m={multiplier}"
        )
        lines.append(f"Mn{bit} mem gn{bit} 0 0 nch w={nw:g} l={nl:g} m={multiplier}")
    return lines


def neuron_lines() -> list[str]:
    """Netlist lines of the membrane, comparator, reset and refractory parts."""
    return [
        "* membrane and leak",
        f"Cm mem 0 {MEMBRANE_CAPACITANCE_F:g}",
        f"Rleak mem 0 {LEAK_RESISTANCE_OHM:g}",
        "* threshold comparator: weak inverter, then a strong one",
        "M1p n1 mem vdd vdd pch w=0.5u l=5u",
        "M1n n1 mem 0 0 nch w=0.5u l=5u",
        "M2p spk n1 vdd vdd pch w=2u l=0.5u",
        "M2n spk n1 0 0 nch w=1u l=0.5u",
        f"Cfb spk mem {FEEDBACK_CAPACITANCE_F:g}",
        "* reset with refractory period",
        "Mrp ref n1 vdd vdd pch w=4u l=0.5u",
        f"Cref ref 0 {REFRACTORY_CAPACITANCE_F:g}",
        f"Rref ref 0 {REFRACTORY_RESISTANCE_OHM:g}",
        "Mrst mem ref 0 0 nch w=0.5u l=3u",
    ]


def bias_lines(bias_supply_v: float) -> list[str]:
    """Netlist lines of NT's bias: one PMOS source on its own supply (chapter 8)."""
    bw, bl = BIAS_PMOS_WL
    lines = ["* NT bias: a current source on its own power domain"]
    lines.append(f"Vbias vbias 0 DC {bias_supply_v}")
    if bias_supply_v > 0:
        lines.append(f"Mb mem 0 vbias vbias pch w={bw:g} l={bl:g}")
    return lines


def build_netlist(params: NeuronParams) -> str:
    """The complete netlist of one transient, as ngspice reads it (chapter 7).

    Example:
        >>> "Mp2 mem gp2 vsyn vsyn" in build_netlist(NeuronParams())
        True
    """
    step_s = params.duration_s / 2000
    lines = [".title analog NT neuron", *model_lines(), "* power domains"]
    lines += [
        f"Vsyn vsyn 0 DC {params.supply_v}",
        f"Vneuron vdd 0 DC {NEURON_SUPPLY_V}",
    ]
    lines += bias_lines(params.bias_supply_v)
    lines += neuron_lines()
    lines += synapse_lines(params.supply_v, params.weight_code, params.input_rate_hz)
    if params.input_current_a > 0:
        lines += [
            "* DC test current into the membrane",
            f"Iin 0 mem DC {params.input_current_a:g}",
        ]
    lines += [
        ".options method=gear reltol=1e-3",
        ".ic v(mem)=0 v(ref)=0",
        f".tran {step_s:g} {params.duration_s:g} uic",
        ".end",
    ]
    return "\n".join(lines)


def source_netlist(
    kind: str, membrane_v: float, start_v: float, stop_v: float, step_v: float
) -> str:
    """Netlist of a DC sweep of one unit source's supply, membrane node held.

    ``kind`` is ``"excite"`` (a synapse PMOS, multiplier 1), ``"inhibit"``
    (a synapse NMOS) or ``"bias"`` (the NT bias PMOS).  The current is read
    from the ``Vmem`` source that holds the membrane node.
    """
    if kind == "excite":
        w, length = SYNAPSE_PMOS_WL
        device = f"M1 mem 0 vs vs pch w={w:g} l={length:g}"
    elif kind == "bias":
        w, length = BIAS_PMOS_WL
        device = f"M1 mem 0 vs vs pch w={w:g} l={length:g}"
    elif kind == "inhibit":
        w, length = SYNAPSE_NMOS_WL
        device = f"M1 mem vs 0 0 nch w={w:g} l={length:g}"
    else:
        raise ValueError(
            f"unknown source kind {kind!r}; choose one of 'excite', 'inhibit', 'bias'"
        )
    return "\n".join(
        [
            f".title unit {kind} source",
            *model_lines(),
            f"Vs vs 0 DC {start_v}",
            f"Vmem mem 0 DC {membrane_v}",
            device,
            f".dc Vs {start_v:g} {stop_v:g} {step_v:g}",
            ".end",
        ]
    )
