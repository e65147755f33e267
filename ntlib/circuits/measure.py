"""Measurements from a simulated transient: spikes, rate, power, energy.

See chapters ``analog_neuron``-``energy``.

Every figure is computed from ngspice's waveforms on its own (non-uniform)
time points, integrating with the trapezoid rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ntlib.circuits.cache import cache_key, cached_json
from ntlib.circuits.neuron import DOMAINS, NeuronParams, build_netlist, params_grid
from ntlib.circuits.process import DEFAULT_PROCESS, get_process
from ntlib.circuits.simulate import DEFAULT_TIMEOUT_S, Transient, simulate_neuron
from ntlib.parallel import map_processes


def spike_times_s(run: Transient, threshold_v: float | None = None) -> np.ndarray:
    """Times at which the spike output rises through ``threshold_v``.

    See chapter ``analog_neuron``.

    The default threshold is half the neuron's supply.  Each crossing is placed
    by linear interpolation between time points.
    """
    if threshold_v is None:
        threshold_v = run.params.neuron_supply_v / 2
    t, v = run.time_s, run.spike_v
    idx = np.flatnonzero((v[:-1] < threshold_v) & (v[1:] >= threshold_v))
    frac = (threshold_v - v[idx]) / (v[idx + 1] - v[idx])
    return t[idx] + frac * (t[idx + 1] - t[idx])


def firing_rate_hz(run: Transient) -> float:
    """Firing rate: inverse mean inter-spike interval (chapter ``analog_neuron``).

    With fewer than two spikes there is no interval; the rate is then the spike
    count over the simulated time (0 or one spike), a lower bound.
    """
    spikes = spike_times_s(run)
    if spikes.size >= 2:
        return float((spikes.size - 1) / (spikes[-1] - spikes[0]))
    return float(spikes.size / run.params.duration_s)


def input_event_count(params: NeuronParams) -> int:
    """Number of input spikes inside the simulated window (first at half a period)."""
    period_s = 1.0 / params.input_rate_hz
    return int(np.floor((params.duration_s - period_s / 2) / period_s)) + 1


def domain_power_w(run: Transient) -> dict[str, float]:
    """Average power of each power domain: the mean of V*I over the window."""
    t = run.time_s
    span = t[-1] - t[0]
    return {
        d: float(np.trapezoid(run.supply_v[d] * run.supply_current_a[d], t) / span)
        for d in DOMAINS
    }


def summarize(run: Transient) -> dict[str, Any]:
    """The figures of one transient, as plain numbers.

    Chapter ``supply_voltage``, command line.

    Keys: ``process``, ``corner``, ``temp_c``, ``mismatch_seed``, ``supply_v``,
    ``weight_code``, ``bias_sink_supply_v``, ``input_rate_hz``, ``bias_supply_v``,
    ``duration_s``, ``spike_count``, ``firing_rate_hz``, ``power_w`` (total),
    ``power_w_by_domain``, ``energy_per_spike_j`` (total energy over the window
    divided by the spikes; ``None`` without spikes), ``neuron_energy_per_spike_j``
    (the neuron domain's energy alone, per spike),
    ``energy_per_synaptic_event_j`` (synapse-domain energy per input spike;
    ``None`` when the weight code is 0) and ``sim_seconds``.
    """
    params = run.params
    by_domain = domain_power_w(run)
    total_w = float(sum(by_domain.values()))
    spikes = spike_times_s(run)
    energy_j = total_w * params.duration_s
    events = input_event_count(params)
    return {
        "process": params.process,
        "corner": params.corner,
        "temp_c": params.temp_c,
        "mismatch_seed": params.mismatch_seed,
        "bias_sink_supply_v": params.bias_sink_supply_v,
        "supply_v": params.supply_v,
        "weight_code": params.weight_code,
        "input_rate_hz": params.input_rate_hz,
        "bias_supply_v": params.bias_supply_v,
        "duration_s": params.duration_s,
        "spike_count": int(spikes.size),
        "firing_rate_hz": firing_rate_hz(run),
        "power_w": total_w,
        "power_w_by_domain": by_domain,
        "energy_per_spike_j": energy_j / spikes.size if spikes.size else None,
        "neuron_energy_per_spike_j": (
            by_domain["neuron"] * params.duration_s / spikes.size
            if spikes.size
            else None
        ),
        "energy_per_synaptic_event_j": (
            by_domain["synapse"] * params.duration_s / events
            if params.weight_code != 0 and events
            else None
        ),
        "sim_seconds": run.sim_seconds,
    }


def summary_key(params: NeuronParams) -> str:
    """The disk-cache key of one transient's summary: netlist and model identity."""
    model = get_process(params.process).cache_key(params.corner)
    return cache_key("summary", build_netlist(params), model)


def simulate_summary(
    params: NeuronParams, timeout_s: float | None = DEFAULT_TIMEOUT_S
) -> dict[str, Any]:
    """:func:`summarize` of one transient, from the disk cache when computed before.

    A cached summary keeps the ``sim_seconds`` of the run that computed it.

    Example:
        >>> simulate_summary(NeuronParams(supply_v=1.2))["firing_rate_hz"]  # doctest: +SKIP
        21000.0
    """
    return cached_json(
        summary_key(params),
        lambda: summarize(simulate_neuron(params, timeout_s=timeout_s)),
    )


def _simulate_and_summarize(
    item: tuple[NeuronParams, float | None, bool],
) -> dict[str, Any]:
    params, timeout_s, use_cache = item
    if use_cache:
        return simulate_summary(params, timeout_s)
    return summarize(simulate_neuron(params, timeout_s=timeout_s))


def sweep_supply(
    supply_v: Sequence[float],
    *,
    weight_code: int = 7,
    input_rate_hz: float = 100e3,
    bias_supply_v: float = 0.0,
    duration_s: float = 1e-3,
    processes: int = 1,
    timeout_s: float | None = DEFAULT_TIMEOUT_S,
    process: str = DEFAULT_PROCESS,
    corner: str = "tt",
    temp_c: float = 27.0,
    bias_sink_supply_v: float = 0.0,
    use_cache: bool = False,
) -> list[dict[str, Any]]:
    """One simulation per synapse supply voltage; a summary of each.

    See chapter ``supply_voltage``.

    All parameters are checked before any simulation starts.  ``processes > 1``
    runs the simulations in worker processes (ngspice is one instance per
    process); ``timeout_s`` is each simulation's wall-clock limit (see
    :data:`ntlib.circuits.simulate.DEFAULT_TIMEOUT_S`); ``use_cache`` reads and
    writes the disk cache (:func:`simulate_summary`).

    Example:
        >>> rows = sweep_supply([0.8, 1.2])  # doctest: +SKIP
        >>> rows[0]["firing_rate_hz"] < rows[1]["firing_rate_hz"]  # doctest: +SKIP
        True
    """
    all_params = params_grid(
        supply_v, (weight_code,), input_rate_hz=input_rate_hz, duration_s=duration_s,
        bias_supply_v=bias_supply_v, bias_sink_supply_v=bias_sink_supply_v,
        process=process, corner=corner, temp_c=temp_c,
    )
    items = [(params, timeout_s, use_cache) for params in all_params]
    return map_processes(_simulate_and_summarize, items, processes)
