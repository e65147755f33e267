"""The analog neuron as a behavioural model, its parameters measured in SPICE.

See chapter ``chip``.

A simulated chip runs tens of thousands of neurons over hundreds of digits:
far beyond SPICE.  So each neuron becomes a discrete-time leaky
integrate-and-fire model whose parameters are measured on chapter
``analog_neuron``'s SKY130 circuit (transistors, and the PDK's own poly
resistors and MIM capacitors), at the chip's corner and temperature
(:mod:`ntlib.chip.measurements` holds the SPICE runs):

* **one time step** ``STEP_S`` is 20 µs: the reset's drain is nearly over
  by then, so a spike's reset takes almost nothing from the next step's
  events;
* **synaptic gain**: how far a small input event of code +1 (or -1) moves
  the membrane at ``HOLD_V``, as a fraction of the firing threshold, against
  the synapse supply.  The excitatory units and the inhibitory drivers sit
  on separate supplies, so each has its own curve;
* **membrane dependence**: the jump of an event also depends on the membrane
  voltage it lands on (the inhibitory NMOS sinks are in triode over most of
  the range, the excitatory PMOS sources leave saturation near the threshold
  at low supplies): a factor per bank on a grid of membrane voltages from 0
  to near the threshold, at every supply of the gain grid.  An event's charge
  is delivered in parts, each part's factor read at the membrane it finds
  (:meth:`CircuitModel.jump`; the chip does the same for a step's events).
  Gain and factor are the bank's rate at the membrane, unfolded from the
  code +-1 jumps measured on the grid (a whole event averages the rate over
  the path it travels: an inhibitory event from ``HOLD_V`` ends where its
  sink pulls less); the code +-2 jumps check them
  (``benchmarks/bench_gain_curve.py``);
* **threshold**: the rheobase times the leak resistance (exact for an LIF);
* **leak**: ``beta = exp(-STEP_S / (R C))`` with R and C fitted to the
  neuron's subthreshold step response at the condition (the PDK's resistor
  moves about +-15 % across its R+C corners and -1.5e-3 per K, its capacitor
  about +-11 %);
* **reset**: after a spike the reset transistor sinks the membrane with a
  current that falls over about 20 µs as its gate discharges, measured in
  SPICE at the condition (:func:`ntlib.chip.reset.reset_drain`).  The chip
  runs each step in :data:`RESET_PARTS` parts, the step's events arriving at
  the start of the middle one (as in the SPICE layers, half a step in), and
  takes the drain's charge for each part after a spike from the membrane
  (never below ground): a weak bias stays pinned at ground for 10-15 µs, an
  event a whole step later loses a few thousandths of a threshold.  The
  single neuron's twin takes the same drain in continuous time
  (:mod:`ntlib.chip.twin`).  (The refractory period the LIF fit of rates
  gives, ``refractory_s``, is kept to compare with: chapter ``chip``'s
  table, ``benchmarks/bench_reset.py``.);
* **NT bias**: a bias of ``b`` rheobases adds ``b * STEP_S / (R C)``
  thresholds per step;
* **mismatch**: the relative spread of the unit sources (synapse PMOS and
  NMOS on a grid of supplies, bias PMOS and NMOS) from 200 mismatched copies
  each, and of the comparator's trip voltage from 30 mismatched neurons, all
  at the condition (the PDK's own mismatch models).

The membrane cannot go below ground (the inhibitory sinks stop there) and
resets to zero after a spike: both are kept in the model.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
from scipy.interpolate import PchipInterpolator

from ntlib.chip import measurements as spice
from ntlib.chip.measurements import HOLD_V  # noqa: F401 (chapter ``chip``)
from ntlib.chip.piecewise import integrate_jump
from ntlib.chip.reset import ResetDrain, drain_per_part, reset_drain
from ntlib.circuits.cache import cache_key, cached_json
from ntlib.circuits.characterize import (
    BiasReach,
    bias_curves,
    bias_range_rheobase,
    rheobase_a,
)
from ntlib.circuits.neuron import (
    FEEDBACK_CAPACITANCE_F,
    LEAK_RESISTANCE_OHM,
    MEMBRANE_CAPACITANCE_F,
    NeuronParams,
)
from ntlib.circuits.process import DEFAULT_PROCESS, get_process
from ntlib.parallel import map_processes

STEP_S = 20e-6
#: Synapse supplies at which the gain is measured (the documented range).
SUPPLY_GRID_V: tuple[float, ...] = (0.9, 1.0, 1.1, 1.2, 1.35, 1.5, 1.65, 1.8)
#: Parts in which :meth:`CircuitModel.jump` delivers one event's charge.
JUMP_SUBSTEPS = 8
#: Parts of a time step in which the chip runs its neurons (see ``reset``).
RESET_PARTS = 4
#: The process the chip is built in.
PROCESS = get_process(DEFAULT_PROCESS)


@lru_cache(maxsize=64)
def _gain_curve(supply_v: tuple[float, ...], gain: tuple[float, ...]) -> PchipInterpolator:
    """A bank's gain against supply: a monotone cubic through the measured points."""
    return PchipInterpolator(np.asarray(supply_v), np.asarray(gain))


@dataclass(frozen=True)
class CircuitModel(BiasReach):
    """Behavioural parameters of the SKY130 neuron at one corner and temperature.

    Attributes:
        corner, temp_c: the conditions measured.
        supply_v: the synapse supplies of the gain curves, volts.
        excite_gain, inhibit_gain: threshold fractions a small event of
            code +1 / -1 moves the membrane at ``HOLD_V`` (the bank's rate
            there), at each supply (both positive).
        threshold_v: firing threshold (rheobase times leak resistance).
        rheobase_a: the rheobase current.
        tau_s: membrane time constant ``R C`` (fitted at the condition).
        bias_range_rheobase, bias_gap_rheobase: what the NT bias sources can
            hold, as in chapter ``energy``.
        sigma: relative mismatch at the nominal supply, by kind: one unit
            source (``excite``, ``inhibit``, ``bias``, ``bias_sink``) and the
            comparator's trip voltage (``threshold``).
        refractory_s: how long the reset holds the membrane after a spike,
            as the LIF fit of rates has it (for comparison only).
        membrane_v: the membrane voltages of the jump grid (empty: no
            membrane dependence).
        excite_factor, inhibit_factor: per supply of ``supply_v``, the
            bank's rate at each ``membrane_v`` over its rate at ``HOLD_V``.
        leak_ohm, capacitance_f: the fitted R and C (``tau_s = R C``).
        sigma_supply_v, sigma_excite, sigma_inhibit: the banks' unit spreads
            on a grid of supplies (empty: ``sigma`` at every supply).
        strong_current_a, strong_refractory_s: how long the reset holds the
            membrane against strong constant currents, from the rates'
            intervals (empty: always ``refractory_s``; for comparison only).
        reset_drain: thresholds the reset takes from the membrane in each
            part of a time step (``STEP_S / RESET_PARTS``) after a spike,
            from the one right after it (empty: no drain).
        drain_time_s, drain_membrane, drain_rate: the reset's measured
            drain itself, for the continuous-time twin
            (:mod:`ntlib.chip.twin`): thresholds per second against the time
            since the spike, one row per membrane (in thresholds) it was
            measured at (empty: no drain).
    """

    corner: str
    temp_c: float
    supply_v: tuple[float, ...]
    excite_gain: tuple[float, ...]
    inhibit_gain: tuple[float, ...]
    threshold_v: float
    tau_s: float
    sigma: dict[str, float]
    bias_source: tuple[tuple[float, ...], tuple[float, ...]]
    bias_sink: tuple[tuple[float, ...], tuple[float, ...]]
    refractory_s: float = 0.0
    membrane_v: tuple[float, ...] = ()
    excite_factor: tuple[tuple[float, ...], ...] = ()
    inhibit_factor: tuple[tuple[float, ...], ...] = ()
    leak_ohm: float = LEAK_RESISTANCE_OHM
    capacitance_f: float = MEMBRANE_CAPACITANCE_F + FEEDBACK_CAPACITANCE_F
    sigma_supply_v: tuple[float, ...] = ()
    sigma_excite: tuple[float, ...] = ()
    sigma_inhibit: tuple[float, ...] = ()
    strong_current_a: tuple[float, ...] = ()
    strong_refractory_s: tuple[float, ...] = ()
    reset_drain: tuple[float, ...] = ()
    drain_time_s: tuple[float, ...] = ()
    drain_membrane: tuple[float, ...] = ()
    drain_rate: tuple[tuple[float, ...], ...] = ()

    def refractory_against_s(self, current_a: float) -> float:
        """How long the reset holds the membrane against an input ``current_a``.

        ``refractory_s`` for currents up to the first strong one measured;
        shorter for stronger ones (interpolated in log current).
        """
        if not self.strong_current_a or current_a <= self.strong_current_a[0]:
            return self.refractory_s
        return float(np.interp(np.log(current_a), np.log(self.strong_current_a),
                               self.strong_refractory_s))

    def bias_rheobase(self, source_v: np.ndarray, sink_v: np.ndarray) -> np.ndarray:
        """Bias (rheobase units) that the bias domains at these supplies deliver."""
        source = np.where(
            np.asarray(source_v) > 0,
            np.interp(source_v, self.bias_source[0], self.bias_source[1]), 0.0)
        sink = np.where(
            np.asarray(sink_v) > 0,
            np.interp(sink_v, self.bias_sink[0], self.bias_sink[1]), 0.0)
        return (source - sink) / self.rheobase_a

    def bias_supplies(self, bias_rheobase: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Supplies ``(source, sink)`` that give ``bias_rheobase`` (must be realisable)."""
        b = np.asarray(bias_rheobase, dtype=float) * self.rheobase_a
        source = np.interp(b, self.bias_source[1], self.bias_source[0])
        sink = np.interp(-b, self.bias_sink[1], self.bias_sink[0])
        return np.where(b > 0, source, 0.0), np.where(b < 0, sink, 0.0)

    def beta(self, step_s: float = STEP_S) -> float:
        """Membrane decay per time step."""
        return float(np.exp(-step_s / self.tau_s))

    @property
    def bias_per_rheobase(self) -> float:
        """Thresholds per step added by a bias of one rheobase."""
        return STEP_S / self.tau_s

    def with_drain(self, drain: ResetDrain) -> CircuitModel:
        """This model with ``drain`` (amperes, volts) as the twin's drain
        (thresholds per second, membranes in thresholds)."""
        per_threshold = self.capacitance_f * self.threshold_v
        return replace(
            self,
            drain_time_s=tuple(drain.time_s),
            drain_membrane=tuple(v / self.threshold_v for v in drain.membrane_v),
            drain_rate=tuple(tuple(c / per_threshold for c in row)
                             for row in drain.by_membrane_a),
        )

    def gains_at(self, supply_v: float) -> tuple[float, float]:
        """``(excite, inhibit)`` gain per code step at ``supply_v``.

        Interpolated between the measured supplies by a monotone cubic
        (:func:`_gain_curve`): the excitatory gain is convex in the supply,
        and a straight line between the grid's supplies overstated it by up
        to 1.3 % at the layers' own supplies (0.1 % for the cubic; both
        against SPICE at those supplies, ``benchmarks/bench_gain_curve.py``).
        """
        low, high = self.supply_v[0], self.supply_v[-1]
        if not low <= supply_v <= high:
            raise ValueError(
                f"synapse supply {supply_v:g} V is outside {low:g}-{high:g} V"
            )
        return (float(_gain_curve(self.supply_v, self.excite_gain)(supply_v)),
                float(_gain_curve(self.supply_v, self.inhibit_gain)(supply_v)))

    def supply_for_gain(self, gain: float, bank: str = "excite") -> float:
        """The supply whose ``bank`` (``excite``/``inhibit``) gain is ``gain``.

        The inverse of :meth:`gains_at` (on a 0.45 mV grid of supplies); a
        gain beyond the curve is clipped to its ends.
        """
        gains = self.excite_gain if bank == "excite" else self.inhibit_gain
        supplies = np.linspace(self.supply_v[0], self.supply_v[-1], 2001)
        curve = _gain_curve(self.supply_v, gains)(supplies)
        return float(np.interp(np.clip(gain, curve[0], curve[-1]), curve, supplies))

    def membrane_factor(
        self, supply_v: float, bank: str
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(membrane in thresholds, factor)``: the ``bank``'s jump against membrane.

        At ``supply_v`` (each grid voltage's factor interpolated between the
        measured supplies); beyond the grid the end values hold.  A model
        without a grid gives a factor of 1 everywhere.
        """
        if not self.membrane_v:
            return np.array([0.0, 1.0]), np.array([1.0, 1.0])
        rows = np.asarray(
            self.excite_factor if bank == "excite" else self.inhibit_factor)
        factor = [np.interp(supply_v, self.supply_v, rows[:, j])
                  for j in range(rows.shape[1])]
        return np.asarray(self.membrane_v) / self.threshold_v, np.asarray(factor)

    def jump(self, code: int, supply_v: float, membrane: float) -> float:
        """Thresholds that one event of ``code`` adds to a membrane at ``membrane``."""
        if code == 0:
            return 0.0
        bank = "excite" if code > 0 else "inhibit"
        gain = self.gains_at(supply_v)[0 if code > 0 else 1]
        grid, factor = self.membrane_factor(supply_v, bank)
        # the charge arrives over the pulse: the factor follows the membrane
        return integrate_jump(membrane, code * gain, grid, factor,
                              JUMP_SUBSTEPS) - membrane

    def sigma_at(self, kind: str, supply_v: float) -> float:
        """Relative spread of one ``kind`` unit at ``supply_v`` (``sigma``'s scale).

        The measured curve against supply, scaled so that it passes through
        ``sigma[kind]`` at the nominal supply (a model with a wider ``sigma``
        widens every supply alike).
        """
        curve = {"excite": self.sigma_excite, "inhibit": self.sigma_inhibit}.get(kind)
        if not curve or not self.sigma_supply_v:
            return self.sigma[kind]
        at = np.interp(supply_v, self.sigma_supply_v, curve)
        nominal = np.interp(PROCESS.nominal_supply_v, self.sigma_supply_v, curve)
        return float(self.sigma[kind] * at / nominal)


def _first_round(corner: str, temp_c: float, rheobase: float, processes: int) -> dict:
    """R, C, refractory period and comparator spread (cached)."""
    lif = spice.lif_netlists(corner, temp_c)
    spread = spice.threshold_netlist(corner, temp_c, rheobase)
    key = cache_key("chip-lif", lif, spread, PROCESS.cache_key(corner))

    def measure() -> dict:
        lif_fit, threshold = map_processes(
            spice.run_task, [("step", lif), ("threshold", spread)], processes)
        return {**lif_fit, "threshold_sigma": threshold["sigma"]}

    return cached_json(key, measure)


def _second_round(corner: str, temp_c: float, threshold_v: float,
                  processes: int) -> dict:
    """Jumps on the membrane grid at every supply, unit spreads (SPICE cached)."""
    membranes = spice.membrane_grid_v(threshold_v)
    jumps = [spice.jump_netlist(corner, temp_c, v, membranes) for v in SUPPLY_GRID_V]
    units = spice.unit_spread_items(corner, temp_c)
    key = cache_key("chip-jump-reads", jumps, units, threshold_v,
                    PROCESS.cache_key(corner))

    def measure() -> dict:
        tasks = [("jumps", n, membranes) for n in jumps] + [("unit", u) for u in units]
        results = map_processes(spice.run_task, tasks, processes)
        return {"reads": results[:len(jumps)],
                "units": dict(zip([f"{k}@{v:g}" for k, v, *_ in units],
                                  results[len(jumps):], strict=True))}

    measured = cached_json(key, measure)
    rows = [spice.event_jumps(r, membranes, threshold_v, JUMP_SUBSTEPS)
            for r in measured["reads"]]
    return {"membrane_v": membranes, "rows": rows, "units": measured["units"]}


def circuit_model(
    corner: str = "tt", temp_c: float = 27.0, processes: int = 1
) -> CircuitModel:
    """Measure (or read from the disk cache) the behavioural model (chapter ``chip``).

    Two rounds of SPICE runs per corner and temperature, in ``processes``
    worker processes (:mod:`ntlib.chip.measurements`); cached under
    ``$NTLIB_CACHE_DIR/circuits`` keyed by every netlist and the model files'
    identity.
    """
    PROCESS.check_corner(corner)
    low, high = PROCESS.temperature_range_c
    if not low <= temp_c <= high:
        raise ValueError(f"temp_c must lie in {low:g}-{high:g} C; got {temp_c!r}")
    rheobase = rheobase_a(NeuronParams(corner=corner, temp_c=temp_c))
    first = _first_round(corner, temp_c, rheobase, processes)
    threshold_v = rheobase * first["leak_ohm"]
    second = _second_round(corner, temp_c, threshold_v, processes)
    rows, units = second["rows"], second["units"]
    nominal = PROCESS.nominal_supply_v
    curves = bias_curves(PROCESS.name, corner, temp_c)
    bias_range, bias_gap = bias_range_rheobase(curves, rheobase)
    grid = spice.SIGMA_SUPPLY_V
    measured_drain = reset_drain(corner, temp_c)
    drain = drain_per_part(measured_drain, first["capacitance_f"], threshold_v,
                           STEP_S / RESET_PARTS)
    return CircuitModel(
        corner=corner,
        temp_c=float(temp_c),
        supply_v=SUPPLY_GRID_V,
        excite_gain=tuple(r["excite"] for r in rows),
        inhibit_gain=tuple(r["inhibit"] for r in rows),
        threshold_v=threshold_v,
        rheobase_a=rheobase,
        tau_s=first["tau_s"],
        bias_range_rheobase=bias_range,
        bias_gap_rheobase=bias_gap,
        sigma={
            "excite": units[f"excite@{nominal:g}"],
            "inhibit": units[f"inhibit@{nominal:g}"],
            "bias": units[f"bias@{nominal:g}"],
            "bias_sink": units[f"bias_sink@{spice.BIAS_SINK_SIGMA_V:g}"],
            "threshold": first["threshold_sigma"],
        },
        bias_source=(curves.source_supply_v, curves.source_a),
        bias_sink=(curves.sink_supply_v, curves.sink_a),
        refractory_s=first["refractory_s"],
        membrane_v=tuple(second["membrane_v"]),
        excite_factor=tuple(tuple(r["excite_factor"]) for r in rows),
        inhibit_factor=tuple(tuple(r["inhibit_factor"]) for r in rows),
        leak_ohm=first["leak_ohm"],
        capacitance_f=first["capacitance_f"],
        sigma_supply_v=grid,
        sigma_excite=tuple(units[f"excite@{v:g}"] for v in grid),
        sigma_inhibit=tuple(units[f"inhibit@{v:g}"] for v in grid),
        strong_current_a=spice.STRONG_CURRENTS_A,
        strong_refractory_s=tuple(first["refractory_by_current_s"]),
        reset_drain=drain,
    ).with_drain(measured_drain)


def _model_of(condition: tuple[str, float]) -> CircuitModel:
    return circuit_model(*condition)


def circuit_models(
    conditions: list[tuple[str, float]], processes: int = 1
) -> dict[tuple[str, float], CircuitModel]:
    """:func:`circuit_model` for several ``(corner, temp_c)``, in worker processes."""
    models = map_processes(_model_of, list(conditions), processes)
    return dict(zip(conditions, models, strict=True))
