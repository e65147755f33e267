"""The neuron's reset and comparator in SPICE, and the drain the chip model takes from them.

    python benchmarks/bench_reset.py [--conditions tt:27 ss:27 ff:27 tt:-40 tt:85]
        [--spike-widths 0.3 0.6 1.0 [--duration-ms 2] [--jobs 2]]

Per condition (:mod:`ntlib.chip.reset`):

1. the reset transistor's drain after a spike, at 4 to 24 µs;
2. how long it pins a membrane fed a constant current at ground (2, 6 and
   20 rheobases, the range of the chips' NT biases, and a 1 µA event),
   beside the hold the LIF fit of rates gives (``refractory_s``, and its
   strong-current table);
3. the membrane one input event must reach to fire the neuron (the
   comparator's threshold for events), as a bracket in thresholds;
4. the drain left one whole step after a spike, as a share of the weakest
   of those currents;
5. the drain the chip model takes in each quarter step after a spike, in
   thresholds (``CircuitModel.reset_drain``).

How far the chip model then follows SPICE, layer by layer, is
``bench_chip_slices.py``'s measure.

``--spike-widths`` (µs) asks what the drain owes to the spike's width: the
drain is measured after a forced spike of :data:`ntlib.chip.reset.SPIKE_S`,
and the spike charges the reset's gate for as long as it lasts.  It prints

6. how long SPICE's own spikes last in ``bench_neuron_fidelity.py``'s
   excitatory case (code +7, Poisson at 100 kHz) at 1.2, 1.5 and 1.8 V:
   the median, and the share longer than 1 µs (a second event during the
   spike prolongs it);
7. the twin's rate error against SPICE on that case (the same input times,
   ``--duration-ms`` as in ``bench_neuron_fidelity.py``: its SPICE runs are
   cached) with the drain measured after a forced spike of each width.
"""

from __future__ import annotations

import argparse

import numpy as np
from bench_calibration import CONDITIONS, condition

from ntlib.chip.circuit_model import STEP_S, circuit_model
from ntlib.chip.reset import MAX_SPIKE_S, event_threshold, hold_against_s, reset_drain
from ntlib.chip.twin import twin_rate_hz
from ntlib.circuits.measure import simulate_summary, spike_times_s
from ntlib.circuits.neuron import NeuronParams
from ntlib.circuits.simulate import simulate_neuron
from ntlib.parallel import map_processes

#: Constant currents of the hold, in rheobases.
HOLD_RHEOBASES = (2.0, 6.0, 20.0)
EVENT_CURRENT_A = 1e-6


def condition_rows(conditions: list[tuple[str, float]]) -> None:
    print("condition | drain at 4 / 8 / 12 / 16 / 20 / 24 us (nA) | hold against "
          + " / ".join(f"{r:g}" for r in HOLD_RHEOBASES) + " rheobases and 1 uA, "
          "SPICE drain vs LIF fit (us) | event fires from (thresholds) | "
          "drain one step after a spike, share of the weakest current | "
          "chip model's drain per quarter step (thresholds)")
    for corner, temp in conditions:
        circuit = circuit_model(corner, temp)
        drain = reset_drain(corner, temp)
        currents = np.array([*(r * circuit.rheobase_a for r in HOLD_RHEOBASES),
                             EVENT_CURRENT_A])
        held = hold_against_s(drain, currents) * 1e6
        model = [circuit.refractory_against_s(c) * 1e6 for c in currents]
        event = event_threshold(corner, temp, circuit.threshold_v, circuit.capacitance_f)
        left = drain.at(STEP_S) / currents[0]
        at = drain.at(np.array([4, 8, 12, 16, 20, 24]) * 1e-6) * 1e9
        print(f"{corner}:{temp:g} | " + " / ".join(f"{a:.3g}" for a in at) + " | "
              + " / ".join(f"{h:.1f} vs {m:.1f}" for h, m in zip(held, model))
              + f" | {event['silent_up_to']:.3f} silent, {event['fires_from']:.3f} fires"
              + f" | {100 * left:.1f} % | "
              + " / ".join(f"{d:.3g}" for d in circuit.reset_drain))


#: The excitatory case of ``bench_neuron_fidelity.py``, at these supplies.
WIDTH_SUPPLIES_V = (1.2, 1.5, 1.8)


def _excite(corner: str, temp: float, supply_v: float, duration_s: float) -> NeuronParams:
    return NeuronParams(supply_v=supply_v, weight_code=7, input_rate_hz=100e3,
                        duration_s=duration_s, corner=corner, temp_c=temp)


def _spike_widths_s(params: NeuronParams) -> list[float]:
    """How long each spike of a transient stays above half the neuron's
    supply (from :func:`spike_times_s` to the first time point below it)."""
    run = simulate_neuron(params)
    low = run.time_s[run.spike_v < params.neuron_supply_v / 2]
    ups = spike_times_s(run)
    ends = np.searchsorted(low, ups, side="right")
    return [float(low[end] - up) for up, end in zip(ups, ends, strict=True)
            if end < low.size]


def width_rows(conditions: list[tuple[str, float]], widths_us: list[float],
               duration_s: float, jobs: int) -> None:
    print("condition | SPICE's spike widths at " + " / ".join(
        f"{v:g}" for v in WIDTH_SUPPLIES_V) + " V: median us (share > 1 us) | "
        "the twin's rate error at those supplies with the drain after a forced "
        "spike of " + " / ".join(f"{w:g}" for w in widths_us) + " us")
    for corner, temp in conditions:
        points = [_excite(corner, temp, v, duration_s) for v in WIDTH_SUPPLIES_V]
        spans = map_processes(_spike_widths_s, [_excite(corner, temp, v, 2e-3)
                                                for v in WIDTH_SUPPLIES_V], jobs)
        rates = [simulate_summary(p)["firing_rate_hz"] for p in points]
        circuit = circuit_model(corner, temp)
        errors = []
        for width in widths_us:
            model = circuit.with_drain(reset_drain(corner, temp, width * 1e-6))
            errors.append(" / ".join(
                f"{100 * (twin_rate_hz(model, p) / r - 1):+.2f}" if r else "n/a"
                for p, r in zip(points, rates, strict=True)))
        print(f"{corner}:{temp:g} | " + " / ".join(
            f"{1e6 * np.median(w):.2f} ({np.mean(np.array(w) > 1e-6):.0%})"
            for w in spans) + " | " + " | ".join(
            f"{w:g} us: {e} %" for w, e in zip(widths_us, errors, strict=True)),
            flush=True)


def _width_us(text: str) -> float:
    width = float(text)
    if not 0.0 < width <= MAX_SPIKE_S * 1e6:
        raise argparse.ArgumentTypeError(
            f"a spike width in (0, {MAX_SPIKE_S * 1e6:g}] us, got {text}")
    return width


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conditions", nargs="+", type=condition,
                        default=[condition(c) for c in CONDITIONS])
    parser.add_argument("--spike-widths", nargs="+", type=_width_us, default=[],
                        metavar="US")
    parser.add_argument("--duration-ms", type=float, default=2.0)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    condition_rows(args.conditions)
    if args.spike_widths:
        width_rows(args.conditions, args.spike_widths, args.duration_ms * 1e-3,
                   args.jobs)


if __name__ == "__main__":
    main()
