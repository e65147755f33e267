"""The single neuron's input spike train and its transient's time step.

See chapters ``analog_neuron`` and ``supply_voltage``.

An input spike is a pulse on each selected synapse line: it rises over
:data:`INPUT_EDGE_S`, stays on for :data:`INPUT_PULSE_WIDTH_S` and falls over
:data:`INPUT_EDGE_S`.  Two trains are offered:

* ``"poisson"`` (the default for rates): a seeded Poisson train written as a
  piecewise-linear (``PWL``) source.  Pulses must not overlap, so each
  interval is a dead time :data:`DEAD_TIME_S` (one pulse and one edge of
  rest) plus an exponential interval whose mean is ``1 / rate - DEAD_TIME_S``:
  the mean rate stays the nominal one, and at 100 kHz the train is within a
  few per cent of a pure Poisson train (coefficient of variation
  ``1 - DEAD_TIME_S * rate``).  The same seed gives the same train at every
  supply and weight code, so a sweep compares like with like.
* ``"periodic"``: a ``PULSE`` source, first spike half a period in.  Its rate
  locks the neuron's output to the input rate divided by a whole number.

The transient runs at a relative tolerance of :data:`TRANSIENT_RELTOL`, and
its maximum step (``max_step_s``; ``None``: :data:`DEFAULT_MAX_STEP_S`) was
chosen by the convergence study of ``benchmarks/bench_step_convergence.py``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ntlib.checks import check_choice, check_seed

#: Width of one input spike (the time each selected source conducts), seconds.
INPUT_PULSE_WIDTH_S = 0.5e-6
#: Rise and fall time of the input pulses, seconds.
INPUT_EDGE_S = 10e-9
#: Shortest interval between two Poisson pulse starts: a pulse and an edge.
DEAD_TIME_S = INPUT_PULSE_WIDTH_S + 3 * INPUT_EDGE_S
INPUT_MODES: tuple[str, ...] = ("poisson", "periodic")
#: Documented range of the maximum transient step, seconds.
MAX_STEP_RANGE_S: tuple[float, float] = (1e-9, 1e-5)
#: Relative tolerance of the neuron's transient (``.options reltol``).  At the
#: process's 1e-3 no maximum step converges: a spike slips by one input pulse
#: and the mean membrane voltage moves by several per cent whatever the step.
TRANSIENT_RELTOL = 1e-4
#: Default maximum transient step (``max_step_s=None``), seconds: the largest
#: step whose spike times and mean membrane voltage stay within 1 % of a
#: 50 ns reference in every case of the study, input pulses or none (chapter
#: ``analog_neuron``).
DEFAULT_MAX_STEP_S = 200e-9
#: Points of a PWL source per netlist line (continuation lines follow).
_PWL_POINTS_PER_LINE = 8


def check_input_options(params: Any) -> None:
    """Check ``input_mode``, ``input_seed`` and ``max_step_s`` of a NeuronParams."""
    check_choice("input_mode", params.input_mode, INPUT_MODES)
    check_seed("input_seed", params.input_seed)
    step = params.max_step_s
    if step is None:
        return
    low, high = MAX_STEP_RANGE_S
    if isinstance(step, bool) or not isinstance(step, (int, float)) or not (
        math.isfinite(step) and low <= step <= high
    ):
        raise ValueError(
            f"max_step_s must be None (the default step) or a number in "
            f"{low:g}-{high:g} s; got {step!r}"
        )


def max_step_s(params: Any) -> float:
    """The maximum transient step of ``params``: its own, else the default."""
    return DEFAULT_MAX_STEP_S if params.max_step_s is None else params.max_step_s


def poisson_times_s(rate_hz: float, duration_s: float, seed: int) -> np.ndarray:
    """Start times of a seeded Poisson train with a dead time (see the module).

    Example:
        >>> times = poisson_times_s(100e3, 1e-3, seed=0)
        >>> bool(np.all(np.diff(times) >= DEAD_TIME_S)), 60 < times.size < 140
        (True, True)
    """
    mean_free_s = 1.0 / rate_hz - DEAD_TIME_S
    if mean_free_s <= 0:
        raise ValueError(
            f"a Poisson train at {rate_hz:g} Hz leaves no room between pulses of "
            f"{DEAD_TIME_S:g} s; use a rate below {1 / DEAD_TIME_S:g} Hz"
        )
    rng = np.random.default_rng(seed)
    chunk = int(duration_s * rate_hz * 1.2) + 16
    intervals = np.empty(0)
    while intervals.sum() <= duration_s:
        draws = DEAD_TIME_S + mean_free_s * rng.standard_exponential(chunk)
        intervals = np.concatenate([intervals, draws])
    times = np.cumsum(intervals)
    return times[times < duration_s]


def periodic_times_s(rate_hz: float, duration_s: float) -> np.ndarray:
    """Start times of the periodic train: half a period in, then every period."""
    period_s = 1.0 / rate_hz
    count = int(np.floor((duration_s - period_s / 2) / period_s)) + 1
    return period_s / 2 + period_s * np.arange(max(count, 0))


def input_times_s(params: Any) -> np.ndarray:
    """Start times (s) of the input pulses of one transient, either mode.

    See chapter ``supply_voltage``.  The behavioural twin of the neuron is
    driven by exactly these times.

    Example:
        >>> from ntlib.circuits.neuron import NeuronParams
        >>> input_times_s(NeuronParams(input_mode="periodic"))[:2]
        array([5.0e-06, 1.5e-05])
    """
    if params.input_mode == "periodic":
        return periodic_times_s(params.input_rate_hz, params.duration_s)
    return poisson_times_s(params.input_rate_hz, params.duration_s, params.input_seed)


def pulse_writer(params: Any):
    """``pulse(name, node, idle_v, active_v)``: one input source line of ``params``."""
    if params.input_mode == "periodic":
        period_s = 1.0 / params.input_rate_hz

        def periodic(name: str, node: str, idle_v: float, active_v: float) -> str:
            return (
                f"V{name} {node} 0 DC {idle_v} PULSE({idle_v} {active_v} "
                f"{period_s / 2:.6g} {INPUT_EDGE_S:g} {INPUT_EDGE_S:g} "
                f"{INPUT_PULSE_WIDTH_S:g} {period_s:.6g})"
            )

        return periodic
    edges = np.array([0.0, INPUT_EDGE_S, INPUT_EDGE_S + INPUT_PULSE_WIDTH_S,
                      2 * INPUT_EDGE_S + INPUT_PULSE_WIDTH_S])
    corners = (input_times_s(params)[:, None] + edges[None, :]).ravel()

    def poisson(name: str, node: str, idle_v: float, active_v: float) -> str:
        levels = np.tile([idle_v, active_v, active_v, idle_v], corners.size // 4)
        points = [f"0 {idle_v:g}"] + [
            f"{t:.12g} {v:g}" for t, v in zip(corners, levels, strict=True)
        ]
        rows = [
            " ".join(points[i : i + _PWL_POINTS_PER_LINE])
            for i in range(0, len(points), _PWL_POINTS_PER_LINE)
        ]
        return f"V{name} {node} 0 PWL(" + "\n+ ".join(rows) + ")"

    return poisson
