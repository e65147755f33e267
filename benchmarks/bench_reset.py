"""The neuron's reset and comparator in SPICE, and the drain the chip model takes from them.

    python benchmarks/bench_reset.py [--conditions tt:27 ss:27 ff:27 tt:-40 tt:85]

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
"""

from __future__ import annotations

import argparse

import numpy as np
from bench_calibration import CONDITIONS, condition

from ntlib.chip.circuit_model import STEP_S, circuit_model
from ntlib.chip.reset import event_threshold, hold_against_s, reset_drain

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conditions", nargs="+", type=condition,
                        default=[condition(c) for c in CONDITIONS])
    condition_rows(parser.parse_args().conditions)


if __name__ == "__main__":
    main()
