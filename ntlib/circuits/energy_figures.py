"""Energy figures of the neuron, measured in SPICE, for the energy comparison.

See chapter ``energy``.

:func:`energy_figures` simulates the neuron once per signed weight code (and
a few runs more) and returns an :class:`EnergyFigures`: energy per synaptic
event by code and by power domain, energy per output spike, the neuron's
static power, its rheobase and the static power of the NT bias domains holding
a bias.  On SKY130 the models carry gate, overlap and junction capacitances,
so the synapse's gate-drive energy (drawn by the gate drivers from the
synapse domain) and the comparator's switching energy (neuron domain) are in
the measured currents.  Every run is cached on disk.

How each figure is measured (input spikes at 100 kHz for 1 ms, so 100
events):

* ``domain_event_j[c][d]``: domain ``d``'s energy over the run at code ``c``,
  minus the same domain's energy at code 0 (its static draw), per event.  The
  neuron domain's extra energy is counted per output spike instead (its entry
  here is 0), so events and spikes are never counted twice.
  ``synaptic_event_j[c]`` is the sum over domains.
* ``spike_j``: the neuron domain's energy per output spike in the code +7 run
  (the comparator's switching, the feedback capacitor, the reset), minus its
  static energy over that run.
* ``neuron_static_w``: the neuron domain's power with no input at all.
* ``bias_power_w``: the power the bias domains draw holding a bias of
  ``b`` rheobases (``b`` on a grid over the realisable range, both signs),
  with the membrane at 0.3 V.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ntlib.circuits.characterize import (
    BiasCurves,
    BiasReach,
    bias_curves,
    bias_range_rheobase,
    rheobase_a,
)
from ntlib.circuits.measure import simulate_summary
from ntlib.circuits.neuron import DOMAINS, NeuronParams, params_grid
from ntlib.circuits.process import DEFAULT_PROCESS, WEIGHT_CODE_RANGE, get_process
from ntlib.parallel import map_processes

#: Input rate and duration of the per-code runs.
EVENT_RATE_HZ = 100e3
EVENT_DURATION_S = 1e-3


@dataclass(frozen=True)
class EnergyFigures(BiasReach):
    """Energy and power of the analog neuron, measured in SPICE (chapter ``energy``).

    Attributes:
        process, corner, temp_c: the models and conditions simulated.
        supply_v: the synapse supply used, volts.
        synaptic_event_j: energy per input spike event from all domains, by
            signed weight code -7..+7 (0 for code 0), joules.
        domain_event_j: the same, split by domain (``synapse``, ``bias``,
            ``bias_sink``, ``neuron``).
        spike_j: energy per output spike (comparator and reset), joules.
        neuron_static_w: neuron domain's power with no input, watts.
        bias_power_w: static power of the bias domains holding a bias, keyed
            by the bias in rheobase units (negative: sinking), watts.
        rheobase_a, bias_range_rheobase, bias_gap_rheobase: see
            :class:`~ntlib.circuits.characterize.BiasReach`.
    """

    process: str
    corner: str
    temp_c: float
    supply_v: float
    synaptic_event_j: dict[int, float]
    domain_event_j: dict[int, dict[str, float]]
    spike_j: float
    neuron_static_w: float
    bias_power_w: dict[float, float]

    def bias_power_at(self, bias: float) -> float:
        """Static bias-domain power at ``bias`` rheobases, interpolated (log-linear)."""
        keys = np.array(sorted(self.bias_power_w))
        low, high = self.bias_range_rheobase
        if not low <= bias <= high:
            raise ValueError(
                f"bias {bias:g} is outside the reachable {low:.3g} to {high:.3g} "
                "rheobase units"
            )
        if bias == 0:
            return 0.0
        side = keys[keys > 0] if bias > 0 else keys[keys < 0]
        values = np.array([self.bias_power_w[float(k)] for k in side])
        return float(np.interp(bias, side, values))


def _summary(params: NeuronParams) -> dict:
    return simulate_summary(params)


def _domain_event_j(by_code: dict[int, dict]) -> dict[int, dict[str, float]]:
    """Each domain's energy per input event above its code-0 draw, by code."""
    rest = by_code[0]["power_w_by_domain"]
    events = round(EVENT_RATE_HZ * EVENT_DURATION_S)
    out: dict[int, dict[str, float]] = {}
    for code, row in by_code.items():
        split = {}
        for domain in DOMAINS:
            extra_w = row["power_w_by_domain"][domain] - rest[domain]
            extra_j = extra_w * EVENT_DURATION_S
            counted = code != 0 and domain != "neuron"
            split[domain] = extra_j / events if counted else 0.0
        out[code] = split
    return out


def _spike_j(by_code: dict[int, dict], driven_params: NeuronParams) -> float:
    """The neuron domain's energy per output spike above its static draw (top code)."""
    driven = by_code[driven_params.weight_code]
    if not driven["spike_count"]:
        raise RuntimeError(
            f"the neuron did not fire at weight code +{driven_params.weight_code} "
            f"({driven_params.describe()})"
        )
    rest_w = by_code[0]["power_w_by_domain"]["neuron"]
    extra_w = driven["power_w_by_domain"]["neuron"] - rest_w
    return float(extra_w * EVENT_DURATION_S / driven["spike_count"])


def _bias_power_w(curves: BiasCurves, rheobase: float) -> dict[float, float]:
    """Power of the bias domains holding each measured bias, by bias in rheobases."""
    bias_power: dict[float, float] = {0.0: 0.0}
    for volts, current, drawn in zip(
        curves.source_supply_v, curves.source_a, curves.source_domain_a, strict=True
    ):
        bias_power[round(current / rheobase, 6)] = float(volts * drawn)
    for volts, current, drawn in zip(
        curves.sink_supply_v, curves.sink_a, curves.sink_domain_a, strict=True
    ):
        bias_power[round(-current / rheobase, 6)] = float(abs(volts * drawn))
    return dict(sorted(bias_power.items()))


def energy_figures(
    process: str = DEFAULT_PROCESS,
    corner: str = "tt",
    temp_c: float = 27.0,
    supply_v: float | None = None,
    processes: int = 1,
) -> EnergyFigures:
    """Measure the neuron's energy figures in SPICE.

    Cached on disk; chapter ``energy``.

    Args:
        process: ``"sky130"`` or ``"level1"`` (the teaching cards, for comparison).
        corner: SKY130 corner (``tt``, ``ff``, ``ss``, ``sf``, ``fs``).
        temp_c: temperature, degrees Celsius.
        supply_v: synapse supply; ``None`` is the process's nominal supply
            (:attr:`ntlib.circuits.process.Process.nominal_supply_v`).
        processes: worker processes for the first, uncached computation.

    Example:
        >>> fig = energy_figures()  # doctest: +SKIP
        >>> fig.synaptic_event_j[7] > fig.synaptic_event_j[1] > 0  # doctest: +SKIP
        True
    """
    supply = get_process(process).nominal_supply_v if supply_v is None else supply_v
    low, high = WEIGHT_CODE_RANGE
    grid = params_grid(
        [supply], range(low, high + 1), process=process, corner=corner,
        temp_c=temp_c, input_rate_hz=EVENT_RATE_HZ, duration_s=EVENT_DURATION_S,
        input_mode="periodic",  # exactly EVENT_RATE_HZ * EVENT_DURATION_S events
    )  # checks every input before any simulation
    by_code = {
        p.weight_code: run
        for p, run in zip(grid, map_processes(_summary, grid, processes), strict=True)
    }
    rheobase = rheobase_a(grid[-low])  # the code-0 point
    domain_event_j = _domain_event_j(by_code)
    curves = bias_curves(process, corner, temp_c)
    bias_range, gap = bias_range_rheobase(curves, rheobase)
    figures = EnergyFigures(
        process=process,
        corner=corner,
        temp_c=float(temp_c),
        supply_v=float(supply),
        synaptic_event_j={c: float(sum(d.values())) for c, d in domain_event_j.items()},
        domain_event_j=domain_event_j,
        spike_j=_spike_j(by_code, grid[-1]),
        neuron_static_w=float(by_code[0]["power_w_by_domain"]["neuron"]),
        rheobase_a=float(rheobase),
        bias_power_w=_bias_power_w(curves, rheobase),
        bias_range_rheobase=bias_range,
        bias_gap_rheobase=gap,
    )
    for value in (figures.spike_j, figures.neuron_static_w, figures.rheobase_a):
        if not math.isfinite(value):
            raise RuntimeError(f"a non-finite energy figure came out: {figures!r}")
    return figures
