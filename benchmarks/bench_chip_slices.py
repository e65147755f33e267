"""Every layer of the chip in SPICE against the behavioural model (chapter ``chip``).

    python benchmarks/bench_chip_slices.py [--chip book|relu] [--digits 100]
        [--hidden-digits 2] [--hidden-conditions tt,mismatch,ss] [--chunk 10]
        [--jobs 2] [--no-convergence]

The chip is the book's (``BOOK_CHIP``: the QCFS network at 8 steps, NT
trained through it, membranes starting at half a threshold) or, with
``--chip relu``, the ReLU chip at 32 steps as converted.

Prints:

1. the gate drivers: each layer's largest line (units, gate capacitance,
   driver strength) and, on the largest line of all, the pulse under the
   single neuron's driver and under the sized one (SPICE);
2. per layer and condition (tt; one mismatched chip; the ss corner): the
   spike-count error per neuron relative to the mean count, and the
   correlation; for the output layer the winner agreement on ``--digits``
   digits with its 95 % Clopper-Pearson lower bound (tt and mismatch, a
   running tally every ``--chunk`` digits; ss on ``--hidden-digits``);
3. the transient's convergence: one digit of each layer's slice as the chip
   runs it (Gear's method, tolerance 5e-3, the layer step), at half the
   step, with the trapezoidal rule the layers used before, and against a
   reference at a tolerance of 1e-4 and 0.1 us steps (spike counts must not
   move from the reference).

Targets: winner agreement >= 97 % (lower bound >= 92 %); count error <= 5 %.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from ntlib.chip.drivers import driver_strength, line_pulse, unit_gate_capacitance_f
from ntlib.chip.experiment import BOOK_CHIP, chip_setup
from ntlib.chip.slices import layer_codes, layer_keys
from ntlib.chip.spice_check import (
    CONDITIONS,
    agreement,
    slice_versus_behaviour,
)
from ntlib.chip.spice_layer import (
    LAYER_RELTOL,
    LAYER_STEP_S,
    REFERENCE_RELTOL,
    REFERENCE_STEP_S,
)

#: The slice of each layer: conv channels over a square patch, dense neurons.
SLICES = {"conv1": {"channels": 3, "patch": 2}, "conv2": {"channels": 1, "patch": 2},
          "dense": {"neurons": 1}, "output": {"neurons": 10}}  # as chapter ``chip``


def drivers(design) -> None:
    largest = None
    for index, key in enumerate(layer_keys(design)):
        layer = design.layers[index]
        codes = layer_codes(design, index)
        for side, kind, supply in ((1, "excite", layer.excite_supply_v),
                                   (-1, "inhibit", layer.inhibit_supply_v)):
            units = np.clip(side * codes, 0, None).sum(0)
            line = int(units.argmax())
            farad = units[line] * unit_gate_capacitance_f(kind, supply)
            print(f"{key} {kind}: largest line {line}: {units[line]} units on "
                  f"{np.count_nonzero(np.clip(side * codes[:, line], 0, None))} "
                  f"synapses, {farad * 1e12:.1f} pF, driver strength "
                  f"{int(driver_strength(units[line]))}", flush=True)
            if largest is None or farad > largest[0]:
                column = np.clip(side * codes[:, line], 0, None)
                largest = (farad, key, kind, supply, column)
    _, key, kind, supply, column = largest
    for strength in (1, int(driver_strength(column.sum()))):
        p = line_pulse(column, kind, supply, strength)
        print(f"largest line ({key}, {kind}, {supply:.3f} V, "
              f"{p['gate_capacitance_f'] * 1e12:.1f} pF), driver strength "
              f"{strength}: on edge {p['on_edge_s'] * 1e9:.1f} ns, off edge "
              f"{p['off_edge_s'] * 1e9:.1f} ns, {100 * 0.95:.0f} % drive after "
              f"{p['full_drive_s'] * 1e9:.1f} ns (within the 500 ns pulse: "
              f"{p['full_drive_in_pulse']}), charge per unit "
              f"{p['charge_per_unit_c'] * 1e15:.1f} fC", flush=True)
    bit = line_pulse(np.array([4]), kind, supply, 1)
    print(f"single neuron's bit (4 units, own driver): charge per unit "
          f"{bit['charge_per_unit_c'] * 1e15:.1f} fC, on edge "
          f"{bit['on_edge_s'] * 1e9:.1f} ns", flush=True)


def report(key: str, name: str, check: dict, seconds: float) -> None:
    fig = agreement(check)
    line = (f"{key} ({len(check['neurons'])} neurons), {name}, "
            f"{len(check['sim_seconds'])} digits: count error "
            f"{100 * fig['count_error']:.1f} % of the mean count "
            f"{fig['mean_count']:.2f}, correlation {fig['correlation']:.3f}")
    if "winner_agreement" in fig:
        line += (f"; winner agreement {fig['agreeing']}/{fig['digits']} = "
                 f"{100 * fig['winner_agreement']:.1f} % (95 % lower bound "
                 f"{100 * fig['winner_lower_95']:.1f} %)")
    print(f"{line}; SPICE median {np.median(check['sim_seconds']):.1f} s per "
          f"digit; wall {seconds:.0f} s", flush=True)


def merged(parts: list[dict]) -> dict:
    """Checks of consecutive digits as one (every digit draws its own input)."""
    out = dict(parts[0])
    for name in ("behaviour_counts", "spice_counts", "sim_seconds",
                 "behaviour_predictions", "spice_predictions"):
        if name in out:
            out[name] = np.concatenate([p[name] for p in parts])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chip", choices=("book", "relu"), default="book")
    parser.add_argument("--digits", type=int, default=100)
    parser.add_argument("--hidden-digits", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=10,
                        help="output-layer digits between two printed tallies")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--hidden-conditions", default="tt,mismatch,ss",
                        help="conditions of the hidden slices, comma-separated")
    parser.add_argument("--no-convergence", action="store_true",
                        help="skip the transient's convergence check")
    args = parser.parse_args()
    conditions = args.hidden_conditions.split(",")
    unknown = sorted(set(conditions) - set(CONDITIONS))
    if unknown or args.digits < 0 or args.hidden_digits < 1:
        parser.error(f"conditions must be among {sorted(CONDITIONS)} (got {unknown}), "
                     "--digits >= 0 and --hidden-digits >= 1")
    torch.set_num_threads(1)
    setup = chip_setup("source", **(BOOK_CHIP if args.chip == "book" else {}))
    design, x, steps = setup.design, setup.test[0], setup.timesteps
    print(f"{setup.source_kind} chip, T = {steps}", flush=True)
    drivers(design)
    hidden = {key: size for key, size in SLICES.items() if key != "output"}

    def run(key, name, digits, first=0):
        return slice_versus_behaviour(design, key, x[first:first + digits],
                                      CONDITIONS[name], steps, 0,
                                      SLICES[key], args.jobs)

    # The hidden slices first, then the output layer at tt and on the
    # mismatched chip, a chunk at a time (digit d draws the same input in any
    # chunk): a running tally.
    for name in conditions:
        for key in hidden:
            start = time.perf_counter()
            report(key, name, run(key, name, args.hidden_digits),
                   time.perf_counter() - start)
    parts: dict[str, list[dict]] = {"tt": [], "mismatch": []}
    start = time.perf_counter()
    for first in range(0, args.digits, args.chunk):
        for name, done in parts.items():
            done.append(run("output", name, min(args.chunk, args.digits - first),
                            first))
            report("output", name, merged(done), time.perf_counter() - start)
    if args.digits:
        start = time.perf_counter()
        report("output", "ss", run("output", "ss", args.hidden_digits),
               time.perf_counter() - start)
    if args.no_convergence:
        return

    transients = {
        "as the chip runs it": {},
        "half step": {"step_s": LAYER_STEP_S / 2},
        "trapezoidal": {"method": "trap"},
        "reference": {"step_s": REFERENCE_STEP_S, "reltol": REFERENCE_RELTOL},
    }
    print(f"convergence, digit 0 (step {LAYER_STEP_S * 1e6:g} us, tolerance "
          f"{LAYER_RELTOL:g}): spikes per slice, and neurons off the reference")
    for key, size in reversed(SLICES.items()):
        counts = {name: slice_versus_behaviour(
            design, key, x[:1], CONDITIONS["tt"], steps, 0, size, args.jobs,
            **settings)["spice_counts"] for name, settings in transients.items()}
        reference = counts["reference"]
        print(f"  {key}: " + "; ".join(
            f"{name} {int(c.sum())} ({int((c != reference).sum())} off)"
            for name, c in counts.items()), flush=True)


if __name__ == "__main__":
    main()
