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
* after a spike the membrane restarts from 0 and the reset's measured drain
  pulls on it, never below ground, until it has died away: the SPICE
  measurement the chip takes per quarter step, here against the time since
  the spike and the membrane (the reset transistor is in triode: it pulls
  harder on a higher membrane, nothing at ground).  The membrane is stepped
  every :data:`DRAIN_STEP_S` while the drain lasts, and an event's pulse is
  delivered in :data:`PULSE_PARTS` against it: a weak input stays pinned at
  ground, an event strong enough overpowers the drain, a few µs after the
  spike.

:func:`twin_rate_hz` counts like :func:`ntlib.circuits.measure.firing_rate_hz`,
so its rate can be set beside a SPICE transient driven by the same times.
"""

from __future__ import annotations

import math

import numpy as np

from ntlib.chip.circuit_model import CircuitModel
from ntlib.circuits.neuron import INPUT_PULSE_WIDTH_S, NeuronParams, input_times_s

#: Step of the membrane while the reset's drain lasts.
DRAIN_STEP_S = 0.1e-6
#: Parts in which an input pulse is delivered while the drain lasts.
PULSE_PARTS = 10
#: The drain counts until what it would still take is below this (thresholds).
DRAIN_REST = 1e-4


class _Drain:
    """The measured drain, thresholds per second, at a time since the spike and
    a membrane (a transistor in triode: nothing at ground)."""

    def __init__(self, circuit: CircuitModel) -> None:
        self.time = np.asarray(circuit.drain_time_s, dtype=float)
        self.end_s = 0.0
        if not circuit.drain_rate:
            return
        rows = np.asarray(circuit.drain_rate, dtype=float)
        self.membrane = np.concatenate([[0.0], circuit.drain_membrane])
        self.rate = np.vstack([np.zeros((1, self.time.size)), rows])
        self.end_s = _drain_end_s(self.time, rows.max(axis=0))

    def __call__(self, since: float, v: float) -> float:
        if not since < self.end_s:
            return 0.0
        i = min(int(np.searchsorted(self.time, since, side="right")) - 1,
                self.time.size - 2)
        w = (since - self.time[i]) / (self.time[i + 1] - self.time[i])
        column = self.rate[:, i] * (1.0 - w) + self.rate[:, i + 1] * w
        return float(np.interp(v, self.membrane, column))


def _drain_end_s(time_s: np.ndarray, per_s: np.ndarray) -> float:
    """When what the drain still takes falls below :data:`DRAIN_REST`."""
    if time_s.size < 2:
        return 0.0
    parts = (per_s[1:] + per_s[:-1]) / 2 * np.diff(time_s)
    rest = np.cumsum(parts[::-1])[::-1]  # still to come from each point on
    lasting = np.flatnonzero(rest >= DRAIN_REST)
    return float(time_s[lasting[-1] + 1]) if lasting.size else 0.0


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
    tau, pulse = circuit.tau_s, INPUT_PULSE_WIDTH_S
    v_inf = float(bias_rheobase)
    drain = _Drain(circuit)
    gain = code * circuit.gains_at(supply_v)[0 if code > 0 else 1] if code else 0.0
    grid, factor = circuit.membrane_factor(supply_v, "excite" if code > 0 else "inhibit")
    spiked_at = -math.inf
    v, t = 0.0, 0.0
    spikes: list[float] = []

    def relax(v0: float, start: float, stop: float) -> tuple[float, float | None]:
        """Membrane at ``stop`` and a threshold crossing on the way, if any."""
        if v_inf > 1.0 > v0:
            cross = start + tau * math.log((v_inf - v0) / (v_inf - 1.0))
            if cross <= stop:
                return 0.0, cross
        return v_inf + (v0 - v_inf) * math.exp(-(stop - start) / tau), None

    def drained(v0: float, start: float, stop: float, event: bool = False,
                ) -> tuple[float, float | None]:
        """:func:`relax` in small steps, the drain pulling (and an event's
        pulse pushing, if ``event``)."""
        step = pulse / PULSE_PARTS if event else DRAIN_STEP_S
        while start < stop - 1e-15:
            dt = min(step, stop - start)
            push = gain * float(np.interp(v0, grid, factor)) * dt / pulse if event else 0.0
            pull = drain(start + dt / 2 - spiked_at, v0) * dt
            v1 = max(v_inf + (v0 - v_inf) * math.exp(-dt / tau) + push - pull, 0.0)
            if v1 >= 1.0:
                return 0.0, start + dt * (1.0 - v0) / (v1 - v0)
            v0, start = v1, start + dt
        return v0, None

    def advance(v0: float, start: float, stop: float) -> tuple[float, float | None]:
        """The membrane from ``start`` to ``stop`` without events."""
        if stop <= start:
            return v0, None
        free = spiked_at + drain.end_s
        if start < free:
            v0, cross = drained(v0, start, min(free, stop))
            if cross is not None or stop <= free:
                return v0, cross
            start = free
        return relax(v0, start, stop)

    for event in [*np.asarray(times_s, dtype=float), duration_s]:
        while True:  # bias-driven spikes before this event
            v, cross = advance(v, t, event)
            if cross is None:
                t = max(t, event)
                break
            spikes.append(cross)
            t, v, spiked_at = cross, 0.0, cross
        if event >= duration_s or not gain:
            continue
        if t < spiked_at + drain.end_s:  # the pulse against the drain
            v, cross = drained(v, t, t + pulse, event=True)
            if cross is None:
                t += pulse
            else:
                spikes.append(cross)
                t, spiked_at = cross, cross
            continue
        jump = circuit.jump(code, supply_v, v)
        after = max(v + jump, 0.0)
        if after >= 1.0:
            at = event + pulse * (1.0 - v) / jump
            spikes.append(at)
            t, v, spiked_at = at, 0.0, at
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
