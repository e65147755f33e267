"""The analog neuron as a behavioural model, every parameter measured in SPICE.

See chapter ``chip``.

A simulated chip runs tens of thousands of neurons over hundreds of digits:
far beyond SPICE.  So each neuron becomes a discrete-time leaky
integrate-and-fire model whose parameters are measured on chapter ``analog_neuron``'s
SKY130 circuit, at the chip's corner and temperature:

* **one time step** ``STEP_S`` is 20 µs: longer than the neuron's refractory
  period (about 16 µs), so a spike's reset never swallows the next step's
  input; chapters ``supply_voltage`` and ``energy`` drove the single neuron at 100 kHz,
  where it does;
* **synaptic gain**: how far one input event of code +1 (or -1) moves the
  membrane, as a fraction of the firing threshold, against the synapse supply.
  Measured from the membrane's jump when a code +2 (-2) event arrives with the
  membrane at 0.25 V, less the same run at code 0.  The excitatory units and
  the inhibitory drivers sit on separate supplies, so each has its own curve;
* **threshold**: the rheobase times the leak resistance (exact for an LIF);
* **leak**: ``beta = exp(-STEP_S / (R C))`` with the membrane's R and C;
* **refractory period**: chapter ``analog_neuron``'s LIF fit of the SKY130 neuron (rates
  under constant currents); the reset holds the membrane for that long after
  a spike, so the input of every whole step inside it is lost;
* **NT bias**: a bias of ``b`` rheobases adds ``b * STEP_S / (R C)``
  thresholds per step (the rheobase current charges ``C`` to threshold in
  ``R C``);
* **mismatch**: the relative spread of the unit sources (synapse PMOS and
  NMOS, bias PMOS and NMOS), from a SPICE operating point of 200 mismatched
  copies each (the PDK's own mismatch models).

The membrane cannot go below ground (the inhibitory sinks stop there) and
resets to zero after a spike: both are kept in the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ntlib.circuits.cache import cache_key, cached_json
from ntlib.circuits.characterize import (
    BiasReach,
    bias_curves,
    bias_range_rheobase,
    rheobase_a,
)
from ntlib.circuits.lif_fit import fit_circuit
from ntlib.circuits.mismatch import unit_current_spread
from ntlib.circuits.neuron import (
    FEEDBACK_CAPACITANCE_F,
    LEAK_RESISTANCE_OHM,
    MEMBRANE_CAPACITANCE_F,
    NeuronParams,
    build_netlist,
    params_grid,
)
from ntlib.circuits.process import DEFAULT_PROCESS, get_process
from ntlib.circuits.simulate import run_netlist
from ntlib.parallel import map_processes

STEP_S = 20e-6
#: Period of the single neuron's input events in chapters ``analog_neuron``-``energy`` (100 kHz).
SINGLE_NEURON_PERIOD_S = 10e-6
#: Synapse supplies at which the gain is measured (the documented range).
SUPPLY_GRID_V: tuple[float, ...] = (0.9, 1.0, 1.1, 1.2, 1.35, 1.5, 1.65, 1.8)
#: Code of the measuring events (small enough never to reach the threshold).
GAIN_CODE = 2
#: Membrane voltage at which an event's jump is measured.
HOLD_V = 0.25
#: Time after the first event's start at which its jump is read.
_READ_AFTER_S = 1.5e-6
_FIRST_EVENT_S = SINGLE_NEURON_PERIOD_S / 2


#: The process the chip is built in.
PROCESS = get_process(DEFAULT_PROCESS)


@dataclass(frozen=True)
class CircuitModel(BiasReach):
    """Behavioural parameters of the SKY130 neuron at one corner and temperature.

    Attributes:
        corner, temp_c: the conditions measured.
        supply_v: the synapse supplies of the gain curves, volts.
        excite_gain, inhibit_gain: threshold fractions one event of code +1
            / -1 moves the membrane, at each supply (both positive).
        threshold_v: firing threshold (rheobase times leak resistance).
        rheobase_a: the rheobase current.
        tau_s: membrane time constant ``R C``.
        bias_range_rheobase, bias_gap_rheobase: what the NT bias sources can
            hold, as in chapter ``energy``.
        sigma: relative mismatch of one unit source, by kind (``excite``,
            ``inhibit``, ``bias``, ``bias_sink``).
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

    def refractory_steps(self, step_s: float = STEP_S) -> int:
        """Whole time steps of ``step_s`` whose input a spike's reset swallows."""
        return int(self.refractory_s // step_s)

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

    def gains_at(self, supply_v: float) -> tuple[float, float]:
        """``(excite, inhibit)`` gain per code step at ``supply_v`` (interpolated)."""
        low, high = self.supply_v[0], self.supply_v[-1]
        if not low <= supply_v <= high:
            raise ValueError(
                f"synapse supply {supply_v:g} V is outside {low:g}-{high:g} V"
            )
        return (
            float(np.interp(supply_v, self.supply_v, self.excite_gain)),
            float(np.interp(supply_v, self.supply_v, self.inhibit_gain)),
        )

    def supply_for_gain(self, gain: float, bank: str = "excite") -> float:
        """The supply whose ``bank`` (``excite``/``inhibit``) gain is ``gain``.

        A gain beyond the curve is clipped to its ends.
        """
        gains = np.asarray(self.excite_gain if bank == "excite" else self.inhibit_gain)
        return float(np.interp(np.clip(gain, gains[0], gains[-1]), gains, self.supply_v))


def _jump_netlists(corner: str, temp_c: float) -> list[str]:
    """Per supply of the grid: codes +GAIN_CODE, -GAIN_CODE and 0, membrane held."""
    grid = params_grid(SUPPLY_GRID_V, (GAIN_CODE, -GAIN_CODE, 0), duration_s=50e-6,
                       corner=corner, temp_c=temp_c)
    return [build_netlist(params).replace(".ic v(mem)=0 ", f".ic v(mem)={HOLD_V:g} ")
            for params in grid]


def _membrane_at_read(netlist: str) -> float:
    vectors = run_netlist(netlist, describe="event jump")
    return float(np.interp(_FIRST_EVENT_S + _READ_AFTER_S, vectors["time"],
                           vectors["mem"]))


def _measure_gains(netlists: list[str], threshold_v: float, processes: int) -> dict:
    # three netlists per supply: code +GAIN_CODE, -GAIN_CODE and 0
    membranes = map_processes(_membrane_at_read, netlists, processes)
    excite, inhibit = [], []
    for up, down, rest in zip(*[iter(membranes)] * 3, strict=True):
        excite.append((up - rest) / GAIN_CODE / threshold_v)
        inhibit.append((rest - down) / GAIN_CODE / threshold_v)
    return {"excite": excite, "inhibit": inhibit}


def _measure_sigma() -> dict[str, float]:
    # the relative spread, measured once at tt and 27 C for every condition
    out = {}
    nominal = PROCESS.nominal_supply_v
    for kind, supply in (("excite", nominal), ("inhibit", nominal), ("bias", nominal),
                         ("bias_sink", 0.6)):
        currents = unit_current_spread(kind, supply_v=supply, devices=200, seed=7)
        out[kind] = float(np.std(currents) / np.mean(currents))
    return out


def circuit_model(
    corner: str = "tt", temp_c: float = 27.0, processes: int = 1
) -> CircuitModel:
    """Measure (or read from the disk cache) the behavioural model (chapter ``chip``).

    About 30 short SPICE runs per corner and temperature, a few seconds each
    (the 24 gain runs in ``processes`` worker processes); cached under
    ``$NTLIB_CACHE_DIR/circuits`` keyed by every netlist and the model files'
    identity.
    """
    PROCESS.check_corner(corner)
    low, high = PROCESS.temperature_range_c
    if not low <= temp_c <= high:
        raise ValueError(f"temp_c must lie in {low:g}-{high:g} C; got {temp_c!r}")
    params = NeuronParams(corner=corner, temp_c=temp_c)
    rheobase = rheobase_a(params)
    threshold_v = rheobase * LEAK_RESISTANCE_OHM
    netlists = _jump_netlists(corner, temp_c)
    key = cache_key("chip-gains", netlists, threshold_v, PROCESS.cache_key(corner))
    gains = cached_json(key, lambda: _measure_gains(netlists, threshold_v, processes))
    sigma_key = cache_key("chip-sigma", PROCESS.cache_key("tt"))
    sigma = cached_json(sigma_key, _measure_sigma)
    refractory_key = cache_key("chip-refractory", PROCESS.cache_key("tt"))
    refractory = cached_json(
        refractory_key, lambda: float(fit_circuit(process=PROCESS.name).refractory_s)
    )
    curves = bias_curves(PROCESS.name, corner, temp_c)
    bias_range, bias_gap = bias_range_rheobase(curves, rheobase)
    return CircuitModel(
        corner=corner,
        temp_c=float(temp_c),
        supply_v=SUPPLY_GRID_V,
        excite_gain=tuple(gains["excite"]),
        inhibit_gain=tuple(gains["inhibit"]),
        threshold_v=threshold_v,
        rheobase_a=rheobase,
        tau_s=LEAK_RESISTANCE_OHM * (MEMBRANE_CAPACITANCE_F + FEEDBACK_CAPACITANCE_F),
        bias_range_rheobase=bias_range,
        bias_gap_rheobase=bias_gap,
        sigma=sigma,
        bias_source=(curves.source_supply_v, curves.source_a),
        bias_sink=(curves.sink_supply_v, curves.sink_a),
        refractory_s=refractory,
    )


def behavioural_rate_hz(
    circuit: CircuitModel,
    supply_v: float,
    code: int,
    steps: int = 50,
    step_s: float = SINGLE_NEURON_PERIOD_S,
) -> float:
    """Firing rate of the behavioural neuron under one event per step.

    See chapter ``chip``.

    The behavioural twin of chapter ``supply_voltage``'s single-neuron transient: a
    synapse of weight ``code`` receiving a spike every ``step_s`` (100 kHz by default).
    Counted like :func:`ntlib.circuits.measure.firing_rate_hz`: inverse mean interval.
    """
    excite, inhibit = circuit.gains_at(supply_v)
    jump = code * (excite if code > 0 else inhibit)
    beta, refractory = circuit.beta(step_s), circuit.refractory_steps(step_s)
    v, times, held = 0.0, [], 0
    for step in range(steps):
        if held:
            held -= 1
            continue
        v = max(beta * v + jump, 0.0)
        if v >= 1.0:
            times.append(step)
            v, held = 0.0, refractory
    if len(times) >= 2:
        return (len(times) - 1) / ((times[-1] - times[0]) * step_s)
    return len(times) / (steps * step_s)


def _model_of(condition: tuple[str, float]) -> CircuitModel:
    return circuit_model(*condition)


def circuit_models(
    conditions: list[tuple[str, float]], processes: int = 1
) -> dict[tuple[str, float], CircuitModel]:
    """:func:`circuit_model` for several ``(corner, temp_c)``, in worker processes."""
    models = map_processes(_model_of, list(conditions), processes)
    return dict(zip(conditions, models, strict=True))
