"""The behavioural single neuron in continuous time, driven by SPICE's input times.

See chapter ``chip``.

The chip's neurons step every 20 µs; the single neuron of chapters
``analog_neuron``-``energy`` receives its input spikes at arbitrary times (a
seeded Poisson train, :func:`ntlib.circuits.neuron.input_times_s`).  The
twin here is the same behavioural model
(:class:`~ntlib.chip.circuit_model.CircuitModel`) run event by event:

* between events the membrane relaxes towards the bias's level with the
  measured ``tau`` (``v_inf = b`` thresholds for a bias of ``b`` rheobases),
  and fires where it crosses the threshold;
* an event adds ``code * gain * factor(v)`` thresholds, ``v`` the membrane it
  lands on (the bank's measured membrane factor), never below ground; the
  charge arrives over the input pulse, so a spike it causes is placed where
  the linear ramp of the jump crosses the threshold;
* after a spike the membrane is held at 0 for the refractory period, and the
  events inside it are lost, unless an event alone would fire the neuron and
  its current (its charge over the pulse) overpowers the reset: once the
  measured hold against a current that strong
  (:meth:`~ntlib.chip.circuit_model.CircuitModel.refractory_against_s`) is
  over, such an event fires it from 0.

:func:`twin_rate_hz` counts like :func:`ntlib.circuits.measure.firing_rate_hz`,
so its rate can be set beside a SPICE transient driven by the same times.
"""

from __future__ import annotations

import math

import numpy as np

from ntlib.chip.circuit_model import SINGLE_NEURON_PERIOD_S, CircuitModel
from ntlib.circuits.neuron import INPUT_PULSE_WIDTH_S, NeuronParams, input_times_s


def twin_spike_times_s(
    circuit: CircuitModel,
    supply_v: float,
    code: int,
    times_s: np.ndarray,
    duration_s: float,
    bias_rheobase: float = 0.0,
) -> np.ndarray:
    """Spike times of the behavioural neuron under input events at ``times_s``.

    Args:
        circuit: the measured model (its corner and temperature).
        supply_v: the synapse supply (the excitatory or the inhibitory bank's,
            by the sign of ``code``).
        code: the synapse's signed weight code.
        times_s: start times of the input events (sorted).
        duration_s: the simulated time.
        bias_rheobase: a constant bias current, in rheobases.

    Example:
        >>> from ntlib.chip.circuit_model import circuit_model
        >>> twin_spike_times_s(circuit_model(), 1.2, 7, np.arange(5e-6, 1e-3, 1e-5),
        ...                    1e-3).size  # doctest: +SKIP
        25
    """
    tau, refractory = circuit.tau_s, circuit.refractory_s
    pulse = INPUT_PULSE_WIDTH_S
    v_inf = float(bias_rheobase)
    v, t, free_at = 0.0, 0.0, 0.0
    spikes: list[float] = []

    def relax(v0: float, start: float, stop: float) -> tuple[float, float | None]:
        """Membrane at ``stop`` and a threshold crossing on the way, if any."""
        if v_inf > 1.0 > v0:
            cross = start + tau * math.log((v_inf - v0) / (v_inf - 1.0))
            if cross <= stop:
                return 0.0, cross
        return v_inf + (v0 - v_inf) * math.exp(-(stop - start) / tau), None

    for event in [*np.asarray(times_s, dtype=float), duration_s]:
        while True:  # bias-driven spikes before this event
            if t < free_at:
                t = min(free_at, event)
                v = 0.0
                if t < free_at:
                    break
            v, cross = relax(v, t, event)
            if cross is None:
                t = event
                break
            spikes.append(cross)
            t, v, free_at = cross, 0.0, cross + refractory
        if event >= duration_s:
            continue
        if t < free_at:
            # the reset holds the membrane; an event that alone would fire the
            # neuron overpowers it once its hold against that current is over
            jump = circuit.jump(code, supply_v, 0.0)
            drive_a = abs(jump) * circuit.threshold_v * circuit.capacitance_f / pulse
            if jump < 1.0 or event < spikes[-1] + circuit.refractory_against_s(drive_a):
                continue
            v, t, free_at = 0.0, event, event
        jump = circuit.jump(code, supply_v, v)
        after = max(v + jump, 0.0)
        if after >= 1.0:
            at = event + pulse * (1.0 - v) / jump
            spikes.append(at)
            t, v, free_at = at, 0.0, at + refractory
        else:
            v = after
    return np.asarray(spikes)


def twin_rate_hz(
    circuit: CircuitModel, params: NeuronParams, bias_rheobase: float | None = None
) -> float:
    """The twin's firing rate for a single-neuron transient's ``params``.

    See chapter ``chip``.  Driven by exactly :func:`input_times_s` of
    ``params``; the bias, unless given, is what ``params``' bias supplies
    deliver on this model.  Counted like
    :func:`ntlib.circuits.measure.firing_rate_hz` (inverse mean interval).
    """
    if bias_rheobase is None:
        bias_rheobase = float(circuit.bias_rheobase(
            np.asarray(params.bias_supply_v), np.asarray(params.bias_sink_supply_v)))
    spikes = twin_spike_times_s(
        circuit, params.supply_v, params.weight_code, input_times_s(params),
        params.duration_s, bias_rheobase)
    if spikes.size >= 2:
        return float((spikes.size - 1) / (spikes[-1] - spikes[0]))
    return float(spikes.size / params.duration_s)


def behavioural_rate_hz(
    circuit: CircuitModel,
    supply_v: float,
    code: int,
    steps: int = 50,
    step_s: float = SINGLE_NEURON_PERIOD_S,
) -> float:
    """Firing rate of the behavioural neuron under one event per step.

    See chapter ``chip``.

    The discrete-time twin of chapter ``supply_voltage``'s periodic
    single-neuron transient: a synapse of weight ``code`` receiving a spike
    every ``step_s`` (100 kHz by default), each jump at the membrane it lands
    on.  Counted like :func:`ntlib.circuits.measure.firing_rate_hz`: inverse
    mean interval.  (:func:`twin_spike_times_s` drives the twin with any input
    times, a Poisson train included.)
    """
    beta, refractory = circuit.beta(step_s), circuit.refractory_steps(step_s)
    v, times, held = 0.0, [], 0
    for step in range(steps):
        if held:
            held -= 1
            continue
        v = beta * v
        v = max(v + circuit.jump(code, supply_v, v), 0.0)
        if v >= 1.0:
            times.append(step)
            v, held = 0.0, refractory
    if len(times) >= 2:
        return (len(times) - 1) / ((times[-1] - times[0]) * step_s)
    return len(times) / (steps * step_s)
