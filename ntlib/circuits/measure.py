"""Measurements from a simulated transient: spikes, rate, power, energy.

See chapters ``analog_neuron``-``energy``.

Every figure is computed from ngspice's waveforms on its own (non-uniform)
time points, integrating with the trapezoid rule.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from ntlib.circuits.cache import cache_key, cached_json
from ntlib.circuits.inputs import TRANSIENT_RELTOL
from ntlib.circuits.neuron import (
    DOMAINS,
    NeuronParams,
    build_netlist,
    input_times_s,
    params_grid,
)
from ntlib.circuits.neuron import max_step_s as resolved_max_step_s
from ntlib.circuits.process import DEFAULT_PROCESS, get_process
from ntlib.circuits.simulate import (
    DEFAULT_TIMEOUT_S,
    Transient,
    run_netlist,
    simulate_neuron,
)
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
    """Number of input spikes inside the simulated window, either input mode.

    The pulses of :func:`ntlib.circuits.neuron.input_times_s` are counted, so
    a Poisson train's own count (not the nominal rate) divides its energy.
    """
    return int(input_times_s(params).size)


def mean_membrane_v(run: Transient) -> float:
    """Time-weighted mean membrane voltage over the window (trapezoid rule)."""
    t = run.time_s
    return float(np.trapezoid(run.membrane_v, t) / (t[-1] - t[0]))


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
    ``None`` when the weight code is 0), ``input_mode``, ``input_seed``,
    ``input_event_count``, ``max_step_s`` and ``sim_seconds``.
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
        "input_mode": params.input_mode,
        "input_seed": params.input_seed,
        "input_event_count": events,
        "max_step_s": resolved_max_step_s(params),
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
    input_mode: str = "poisson",
    input_seed: int = 0,
    max_step_s: float | None = None,
) -> list[dict[str, Any]]:
    """One simulation per synapse supply voltage; a summary of each.

    See chapter ``supply_voltage``.

    All parameters are checked before any simulation starts.  ``processes > 1``
    runs the simulations in worker processes (ngspice is one instance per
    process); ``timeout_s`` is each simulation's wall-clock limit (see
    :data:`ntlib.circuits.simulate.DEFAULT_TIMEOUT_S`); ``use_cache`` reads and
    writes the disk cache (:func:`simulate_summary`).  ``input_mode``,
    ``input_seed`` and ``max_step_s`` are :class:`NeuronParams`' (one seed: the
    same input train at every supply).

    Example:
        >>> rows = sweep_supply([0.8, 1.2])  # doctest: +SKIP
        >>> rows[0]["firing_rate_hz"] < rows[1]["firing_rate_hz"]  # doctest: +SKIP
        True
    """
    all_params = params_grid(
        supply_v, (weight_code,), input_rate_hz=input_rate_hz, duration_s=duration_s,
        bias_supply_v=bias_supply_v, bias_sink_supply_v=bias_sink_supply_v,
        process=process, corner=corner, temp_c=temp_c, input_mode=input_mode,
        input_seed=input_seed, max_step_s=max_step_s,
    )
    items = [(params, timeout_s, use_cache) for params in all_params]
    return map_processes(_simulate_and_summarize, items, processes)


# --- the transient step's convergence (chapter ``analog_neuron``) ----------

#: The reference maximum step of the convergence study, seconds.
REFERENCE_STEP_S = 50e-9


def step_trial(
    params: NeuronParams,
    reltol: float | None = None,
    timeout_s: float | None = DEFAULT_TIMEOUT_S,
) -> dict[str, Any]:
    """Spike times, mean membrane voltage and run time of one transient (cached).

    See chapter ``analog_neuron``.  ``reltol`` replaces the transient's
    relative tolerance (``None``: :data:`ntlib.circuits.inputs.TRANSIENT_RELTOL`).
    A cached trial keeps the ``sim_seconds`` of the run that computed it.
    """
    model = get_process(params.process).cache_key(params.corner)
    return cached_json(
        cache_key("step-trial", _netlist(params, reltol), model),
        lambda: _trial(params, reltol, timeout_s),
    )


def _netlist(params: NeuronParams, reltol: float | None) -> str:
    netlist = build_netlist(params)
    if reltol is None:
        return netlist
    own = f".options reltol={TRANSIENT_RELTOL:g}\n"
    return netlist.replace(own, f".options reltol={reltol:g}\n")


def _trial(
    params: NeuronParams, reltol: float | None, timeout_s: float | None
) -> dict[str, Any]:
    start = time.perf_counter()
    vectors = run_netlist(
        _netlist(params, reltol), describe=params.describe(), timeout_s=timeout_s
    )
    run = Transient(params, vectors, time.perf_counter() - start)
    return {
        "spike_times_s": spike_times_s(run).tolist(),
        "mean_membrane_v": mean_membrane_v(run),
        "sim_seconds": run.sim_seconds,
    }


def step_errors(trial: dict[str, Any], reference: dict[str, Any]) -> dict[str, Any]:
    """How far ``trial`` lies from ``reference`` (both from :func:`step_trial`).

    Spike-time errors are fractions of the reference's mean inter-spike
    interval (the time scale a rate is read on): each reference spike is
    matched to the nearest trial spike.  ``membrane_error`` is the relative
    error of the mean membrane voltage; ``cost`` the run time over the
    reference's.
    """
    ref = np.asarray(reference["spike_times_s"])
    got = np.asarray(trial["spike_times_s"])
    isi_s = float(np.mean(np.diff(ref))) if ref.size >= 2 else float("nan")
    if ref.size and got.size:
        nearest = got[np.argmin(np.abs(ref[:, None] - got[None, :]), axis=1)]
        errors = np.abs(nearest - ref) / isi_s
    else:
        errors = np.array([0.0 if ref.size == got.size else np.inf])
    ref_v = reference["mean_membrane_v"]
    return {
        "spike_count_difference": int(got.size - ref.size),
        "spike_time_error_max": float(np.max(errors)),
        "spike_time_error_mean": float(np.mean(errors)),
        "membrane_error": float(abs(trial["mean_membrane_v"] - ref_v) / abs(ref_v)),
        "sim_seconds": float(trial["sim_seconds"]),
        "cost": float(trial["sim_seconds"] / reference["sim_seconds"]),
    }


def _step_trial(item: tuple[NeuronParams, float | None, bool]) -> dict[str, Any]:
    params, reltol, use_cache = item
    if use_cache:
        return step_trial(params, reltol)
    return _trial(params, reltol, DEFAULT_TIMEOUT_S)


def step_convergence(
    cases: Sequence[NeuronParams],
    steps_s: Sequence[float],
    reference_step_s: float = REFERENCE_STEP_S,
    processes: int = 1,
    use_cache: bool = False,
    reltol: float | None = None,
) -> list[dict[str, Any]]:
    """Each case at each maximum step against the reference step.

    See chapter ``analog_neuron``.  One row per case and step: the case's
    ``supply_v`` and ``weight_code``, ``max_step_s`` and :func:`step_errors`.
    The trials run at the relative tolerance ``reltol`` (``None``: the
    library's), the reference always at the library's.
    """
    from dataclasses import replace

    steps = [reference_step_s, *steps_s]
    items = [
        (replace(case, max_step_s=s), reltol if i else None, use_cache)
        for case in cases
        for i, s in enumerate(steps)
    ]
    trials = map_processes(_step_trial, items, processes)
    rows = []
    for index, case in enumerate(cases):
        reference, *others = trials[index * len(steps) : (index + 1) * len(steps)]
        rows += [
            {"supply_v": case.supply_v, "weight_code": case.weight_code,
             "max_step_s": step, **step_errors(trial, reference)}
            for step, trial in zip(steps_s, others, strict=True)
        ]
    return rows
