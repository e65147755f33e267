"""What the neuron's reset and comparator do around a spike, measured in SPICE.

See chapter ``chip``.

A spike turns on the follower that charges node ``ref``; the reset
transistor, its gate on ``ref``, sinks the membrane to ground while ``ref``
decays through its resistor.  The LIF fit of firing rates folds all of this
into one refractory period; here each part is measured on its own, at a
corner and temperature (the chip model takes the drain,
:func:`drain_per_part`):

* :func:`reset_drain`: the current the reset transistor sinks from a
  membrane held at each of :data:`DRAIN_MEMBRANES_V`, against the time since
  the spike (the chip's quarter steps take it at :data:`DRAIN_MEMBRANE_V`).
  Two copies take the same forced spike; in the second the reset
  transistor's gate is grounded, so the difference of the currents that hold
  their membranes is the reset's own (the spike's charge through the feedback
  capacitor and the leak resistor's own parasitics cancel).  The transistor
  is in triode right after the spike: held at 0.5 V the membrane loses half
  as much again as at 0.2 V, at 0.05 V a third as much;
* :func:`hold_against_s`: how long that drain pins a membrane fed a constant
  current at ground: until the drain falls below the current;
* :func:`event_threshold`: the membrane, in thresholds, that one input event
  (the single neuron's 0.5 µs pulse) must reach for the neuron to fire within
  a time step: copies held at 0.9 thresholds take pulses whose charge would
  lift them to a grid of levels around the threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ntlib.chip import measurements as spice
from ntlib.circuits.cache import cache_key, cached_json
from ntlib.circuits.neuron import INPUT_PULSE_WIDTH_S, NeuronParams, neuron_subckt
from ntlib.circuits.simulate import run_netlist

#: Where the drain is measured: the membrane's voltage, and the forced spike
#: (the membrane lifted to ``SPIKE_V`` from ``SPIKE_AT_S`` for ``SPIKE_S``).
DRAIN_MEMBRANE_V = 0.2
#: Every membrane the drain is measured at (below the lowest threshold).
DRAIN_MEMBRANES_V: tuple[float, ...] = (0.02, 0.05, 0.1, DRAIN_MEMBRANE_V, 0.3, 0.4, 0.5)
SPIKE_V, SPIKE_AT_S, SPIKE_S = 0.8, 1e-6, 0.3e-6
#: The longest forced spike :func:`drain_netlist` takes.
MAX_SPIKE_S = 10e-6
DRAIN_DURATION_S = 80e-6
#: Levels, in thresholds, that the events of :func:`event_threshold` aim at,
#: from a membrane held at ``EVENT_FROM`` thresholds.
EVENT_LEVELS: tuple[float, ...] = (0.98, 0.99, 1.0, 1.005, 1.01, 1.015, 1.02, 1.03)
EVENT_FROM = 0.9
_RELEASE_S, _EVENT_AT_S = 2e-6, 3e-6
#: How long an event copy is watched: one of the chip's time steps.
_WATCH_S = 20e-6


@dataclass(frozen=True)
class ResetDrain:
    """The reset transistor's current against the time since a spike.

    ``current_a`` with the membrane at :data:`DRAIN_MEMBRANE_V`;
    ``by_membrane_a`` (if measured) one such row per ``membrane_v``.
    """

    corner: str
    temp_c: float
    time_s: tuple[float, ...]
    current_a: tuple[float, ...]
    membrane_v: tuple[float, ...] = ()
    by_membrane_a: tuple[tuple[float, ...], ...] = ()
    spike_s: float = SPIKE_S

    def at(self, time_s) -> np.ndarray:
        """The drain at ``time_s`` after the spike (0 beyond the measurement)."""
        return np.interp(time_s, self.time_s, self.current_a, right=0.0)


def _lines(corner: str) -> tuple[list[str], list[str]]:
    """Header, the neuron and a copy of it whose reset gate is grounded."""
    subckt, ports = neuron_subckt("neuron", bias_source=False, bias_sink=False)
    opened = [line.replace(".subckt neuron ", ".subckt opened ")
                  .replace("rst mem ref ", "rst mem 0 ") for line in subckt]
    return ([*spice._header("neuron reset", corner), *subckt, *opened,
             "Vsyn vsyn 0 DC 1.2",
             f"Vneuron vdd 0 DC {spice.PROCESS.neuron_supply_v}",
             "Vlo lo 0 DC 0", f"Vhi hi 0 DC {spice.LOGIC_V}"], ports)


def drain_netlist(corner: str = "tt", temp_c: float = 27.0,
                  spike_s: float = SPIKE_S) -> str:
    """Two copies per membrane of :data:`DRAIN_MEMBRANES_V`, one forced spike
    each, the membrane lifted for ``spike_s``."""
    NeuronParams(corner=corner, temp_c=temp_c)  # checks them
    if not 0.0 < spike_s <= MAX_SPIKE_S:
        raise ValueError(f"spike_s must be in (0, {MAX_SPIKE_S * 1e6:g} us], "
                         f"got {spike_s!r}")
    lines, ports = _lines(corner)
    end = SPIKE_AT_S + spike_s
    for j, low in enumerate(DRAIN_MEMBRANES_V):
        wave = (f"PWL(0 {low} {SPIKE_AT_S:g} {low} {SPIKE_AT_S + 50e-9:.9g} "
                f"{SPIKE_V} {end:.9g} {SPIKE_V} {end + 50e-9:.9g} {low})")
        for i, name in enumerate(("neuron", "opened")):
            k = 2 * j + i
            copy = spice._copy(k, ports, spice._idle_lines(ports))
            lines += [copy.replace(" neuron", f" {name}"), f"Vm{k} mem_{k} 0 {wave}"]
    return "\n".join(lines + spice._footer(
        temp_c, f".tran 50n {DRAIN_DURATION_S:g} 0 50n"))


def read_drain(netlist: str) -> dict[str, list]:
    """The reset's current after the spike (from its start), on a 0.25 µs grid,
    per membrane of :data:`DRAIN_MEMBRANES_V`."""
    vectors = run_netlist(netlist, describe="reset drain")
    grid = np.arange(0.0, DRAIN_DURATION_S - SPIKE_AT_S, 0.25e-6)
    t = vectors["time"] - SPIKE_AT_S
    rows = []
    for j in range(len(DRAIN_MEMBRANES_V)):
        drain = vectors[f"vm{2 * j + 1}#branch"] - vectors[f"vm{2 * j}#branch"]
        rows.append(np.interp(grid, t, drain).clip(min=0.0).tolist())
    return {"time_s": grid.tolist(), "membrane_v": list(DRAIN_MEMBRANES_V),
            "by_membrane_a": rows}


def reset_drain(corner: str = "tt", temp_c: float = 27.0,
                spike_s: float = SPIKE_S) -> ResetDrain:
    """:func:`drain_netlist`, simulated and read (seconds; cached).

    ``spike_s``: how long the forced spike holds the membrane up.  The spike
    charges the reset's gate while it lasts, so a longer one drains harder
    for microseconds after (``benchmarks/bench_reset.py --spike-widths``).
    """
    netlist = drain_netlist(corner, temp_c, spike_s)
    key = cache_key("reset-drain", netlist, spice.PROCESS.cache_key(corner))
    data = cached_json(key, lambda: read_drain(netlist))
    rows = tuple(tuple(r) for r in data["by_membrane_a"])
    return ResetDrain(corner, temp_c, tuple(data["time_s"]),
                      rows[DRAIN_MEMBRANES_V.index(DRAIN_MEMBRANE_V)],
                      tuple(data["membrane_v"]), rows, spike_s)


def hold_against_s(drain: ResetDrain, current_a) -> np.ndarray:
    """How long the drain exceeds a constant input ``current_a`` after a spike.

    Where the drain last falls through the current (linear between the
    measured points; the drain falls for good after its peak); 0 for a
    current above the peak.
    """
    current = np.atleast_1d(np.asarray(current_a, dtype=float))
    time, drain = np.asarray(drain.time_s), np.asarray(drain.current_a)
    out = np.zeros_like(current)
    for k, c in enumerate(current):
        above = np.flatnonzero(drain > c)
        if above.size == 0:
            continue
        i = above[-1]
        if i + 1 == drain.size:
            out[k] = time[i]
            continue
        out[k] = time[i] + (drain[i] - c) / (drain[i] - drain[i + 1]) * (
            time[i + 1] - time[i])
    return out


def drain_per_part(drain: ResetDrain, capacitance_f: float, threshold_v: float,
                   part_s: float) -> tuple[float, ...]:
    """Thresholds the drain takes from a membrane in each ``part_s`` after a spike.

    The charge of each part (the measured current integrated), over the
    membrane's charge at the threshold, up to the last part that takes at
    least 1e-4 of a threshold.
    """
    edges = np.arange(0.0, drain.time_s[-1] + part_s / 2, part_s)
    fine = np.linspace(0.0, edges[-1], 50 * (len(edges) - 1) + 1)
    current = drain.at(fine)
    charge = np.concatenate([[0.0], np.cumsum(
        (current[1:] + current[:-1]) / 2 * np.diff(fine))])[::50]
    removed = np.diff(charge) / (capacitance_f * threshold_v)
    kept = np.flatnonzero(removed >= 1e-4)
    return tuple(float(r) for r in removed[:kept[-1] + 1]) if kept.size else ()


def event_netlist(corner: str, temp_c: float, threshold_v: float,
                  capacitance_f: float) -> str:
    """Copies held at :data:`EVENT_FROM` thresholds, let go, one pulse each.

    ``threshold_v`` and ``capacitance_f``: the behavioural model's at the
    condition (each pulse carries the charge to lift the membrane to its
    level).
    """
    lines, ports = _lines(corner)
    start = EVENT_FROM * threshold_v
    lines += [f"Vhold hold 0 DC {start:.5f}",
              f"Vctrl ctrl 0 PWL(0 1 {_RELEASE_S:g} 1 {_RELEASE_S + 1e-9:.9g} 0)",
              ".model hold_switch sw vt=0.5 vh=0.1 ron=10 roff=1e15"]
    on, off = _EVENT_AT_S, _EVENT_AT_S + INPUT_PULSE_WIDTH_S
    for k, level in enumerate(EVENT_LEVELS):
        amps = (level - EVENT_FROM) * threshold_v * capacitance_f / INPUT_PULSE_WIDTH_S
        lines += [spice._copy(k, ports, spice._idle_lines(ports)),
                  f"S{k} mem_{k} hold ctrl 0 hold_switch",
                  (f"I{k} 0 mem_{k} PWL(0 0 {on:g} 0 {on + 1e-9:.9g} {amps:.6g} "
                   f"{off:.9g} {amps:.6g} {off + 1e-9:.9g} 0)")]
    return "\n".join(lines + spice._footer(
        temp_c, f".tran 10n {_EVENT_AT_S + _WATCH_S:g} 0 20n"))


def read_events(netlist: str, threshold_v: float) -> dict[str, list]:
    """Per level: whether the copy fired, and, for one that did not, its
    membrane just after the pulse (thresholds; ``None`` for one that fired:
    its spike kicks the membrane through the feedback capacitor)."""
    vectors = run_netlist(netlist, describe="event threshold")
    t, half = vectors["time"], spice.PROCESS.neuron_supply_v / 2
    after = _EVENT_AT_S + INPUT_PULSE_WIDTH_S + 50e-9
    reached, fired = [], []
    for k in range(len(EVENT_LEVELS)):
        fired.append(bool(np.any(vectors[f"spk_{k}"] > half)))
        reached.append(None if fired[-1] else
                       float(np.interp(after, t, vectors[f"mem_{k}"])) / threshold_v)
    return {"reached": reached, "fired": fired}


def event_threshold(corner: str, temp_c: float, threshold_v: float,
                    capacitance_f: float) -> dict[str, object]:
    """:func:`event_netlist`, simulated and read (cached).

    Returns ``levels`` (aimed at), ``reached`` and ``fired`` per level,
    ``silent_up_to`` (the highest membrane reached without a spike) and
    ``fires_from`` (the lowest level aimed at that fired), in thresholds.
    """
    netlist = event_netlist(corner, temp_c, threshold_v, capacitance_f)
    key = cache_key("event-threshold", netlist, spice.PROCESS.cache_key(corner))
    data = cached_json(key, lambda: read_events(netlist, threshold_v))
    silent = [r for r in data["reached"] if r is not None]
    fired = [lv for lv, f in zip(EVENT_LEVELS, data["fired"], strict=True) if f]
    return {"levels": list(EVENT_LEVELS), **data,
            "silent_up_to": max(silent) if silent else float("nan"),
            "fires_from": min(fired) if fired else float("nan")}
