"""The neuron's reset and comparator in SPICE, against the behavioural chip's refractory period.

    python benchmarks/bench_reset.py [--conditions tt:27 ss:27 ff:27 tt:-40 tt:85]
        [--no-slices]

The behavioural chip treats the reset as one refractory period fitted to
firing rates (14.8 µs at tt), shorter than its 20 µs step, so a spike loses
no input.  This measures the parts (:mod:`ntlib.chip.reset`), per condition:

1. the reset transistor's drain after a spike, at 4 to 24 µs;
2. how long it pins a membrane fed a constant current at ground (2, 6 and
   20 rheobases, the range of the chips' NT biases, and a 1 µA event),
   beside the chip model's hold against the same current;
3. the membrane one input event must reach to fire the neuron (the
   comparator's threshold for events), as a bracket in thresholds;
4. the drain left one whole step after a spike, as a share of the weakest
   of those currents: the step model's premise.

Then, with the chapter's SPICE slices at tt (both chips; cached by chapter
``chip``), a what-if: each slice's layer run on the same input spikes by a
neuron stepped in ten parts per time step, with the measured drain after
each spike, against the chip model, as the mean absolute spike-count error
per neuron over the model's mean count (chapter ``chip``'s measure).  It is a measurement of how much of the
slices' error the reset explains, not the book's model.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from ntlib.chip.circuit_model import STEP_S, circuit_model
from ntlib.chip.experiment import BOOK_CHIP, chip_setup
from ntlib.chip.reset import ResetDrain, event_threshold, hold_against_s, reset_drain
from ntlib.chip.slices import input_shape, layer_index
from ntlib.chip.spice_check import (
    CONDITIONS,
    agreement,
    digit_seed,
    slice_versus_behaviour,
)

#: Constant currents of the hold, in rheobases.
HOLD_RHEOBASES = (2.0, 6.0, 20.0)
EVENT_CURRENT_A = 1e-6
#: The chapter's slices and digits (chapter ``chip``, section 4).
SLICES = {"conv1": {"channels": 3, "patch": 2}, "conv2": {"channels": 1, "patch": 2},
          "output": None}
DIGITS = {"conv1": 1, "conv2": 1, "output": 20}
#: Parts of a time step in the what-if neuron.
PARTS = 10


def drain_per_part(drain: ResetDrain, circuit, parts: int = PARTS) -> torch.Tensor:
    """Thresholds the drain removes in each part of a step after a spike (then 0)."""
    dt = STEP_S / parts
    edges = np.arange(0.0, drain.time_s[-1], dt)
    fine = np.linspace(0.0, edges[-1], 50 * (len(edges) - 1) + 1)
    current = drain.at(fine)
    charge = np.concatenate([[0.0], np.cumsum(
        (current[1:] + current[:-1]) / 2 * np.diff(fine))])[::50]
    removed = np.diff(charge) / (circuit.capacitance_f * circuit.threshold_v)
    return torch.tensor(np.append(removed, 0.0), dtype=torch.float32)


def parted_counts(chip, index: int, inputs: list[torch.Tensor], drain: torch.Tensor,
                  initial: float, parts: int = PARTS) -> torch.Tensor:
    """Spike counts of layer ``index`` under ``inputs`` (one tensor per step).

    Each step is ``parts`` parts: leak and bias in every part, less the
    drain of the part's place after the neuron's last spike (membrane never
    below ground), the events at the middle part (each bank at its membrane
    factor), a spike wherever the membrane reaches the threshold.
    """
    layer = chip.design.layers[index]
    decay = chip.circuit.beta() ** (1 / parts)
    bias = chip.bias[index] / parts
    last = len(drain) - 1
    v = torch.full((inputs[0].shape[0], *layer.out_shape), float(initial))
    since = torch.full_like(v, last, dtype=torch.long)
    counts = torch.zeros_like(v)
    for h in inputs:
        for part in range(parts):
            if part == parts // 2:
                v = chip._input(index, layer, h, v)
                fired = v >= 1.0
                counts += fired.float()
                v, since = v.masked_fill(fired, 0.0), since.masked_fill(fired, 0)
            v = (decay * v + bias - drain[since]).clamp(min=0.0)
            fired = v >= 1.0
            counts += fired.float()
            v = v.masked_fill(fired, 0.0)
            since = torch.where(fired, 0, (since + 1).clamp(max=last))
    return counts


def condition_rows(conditions: list[tuple[str, float]]) -> None:
    print("condition | drain at 4 / 8 / 12 / 16 / 20 / 24 us (nA) | hold against "
          + " / ".join(f"{r:g}" for r in HOLD_RHEOBASES) + " rheobases and 1 uA, "
          "SPICE drain vs chip model (us) | event fires from (thresholds) | "
          "drain one step after a spike, share of the weakest current")
    for corner, temp in conditions:
        circuit = circuit_model(corner, temp)
        drain = reset_drain(corner, temp)
        currents = np.array([*(r * circuit.rheobase_a for r in HOLD_RHEOBASES),
                             EVENT_CURRENT_A])
        held = hold_against_s(drain, currents) * 1e6
        model = [circuit.refractory_against_s(c) * 1e6 for c in currents]
        event = event_threshold(circuit)
        left = drain.at(STEP_S) / currents[0]
        at = drain.at(np.array([4, 8, 12, 16, 20, 24]) * 1e-6) * 1e9
        print(f"{corner}:{temp:g} | " + " / ".join(f"{a:.3g}" for a in at) + " | "
              + " / ".join(f"{h:.1f} vs {m:.1f}" for h, m in zip(held, model))
              + f" | {event['silent_up_to']:.3f} silent, {event['fires_from']:.3f} fires"
              + f" | {100 * left:.1f} %")


def slice_rows() -> None:
    print("\nwhat-if on the chapter's slices at tt (same input spikes): mean |count "
          "error| per neuron over the model's mean count (chapter chip's measure)")
    print("chip | slice | SPICE mean | chip model | stepped in parts with the drain")
    for name, kind in (("relu", {}), ("book", BOOK_CHIP)):
        setup = chip_setup("source", **kind)
        design, steps, x = setup.design, setup.timesteps, setup.test[0]
        chip = CONDITIONS["tt"].chip(design)
        drain = drain_per_part(reset_drain(), chip.circuit)
        for key, size in SLICES.items():
            digits = DIGITS[key]
            check = slice_versus_behaviour(design, key, x[:digits], CONDITIONS["tt"],
                                           steps, seed=0, slice_size=size, processes=2)
            index, neurons = layer_index(design, key), check["neurons"]
            shape = input_shape(design, index)
            parted = []
            for d in range(digits):
                run = chip.run(x[d:d + 1], steps, torch.Generator().manual_seed(
                    digit_seed(0, d)), record_inputs_of=index)
                inputs = [h.view(1, *shape) for h in run.inputs]
                counts = parted_counts(chip, index, inputs, drain,
                                       design.initial_membrane)
                parted.append(counts.flatten(1).numpy()[:, neurons])
            spice = check["spice_counts"]
            model = agreement(check)
            what_if = agreement({"spice_counts": spice,
                                 "behaviour_counts": np.concatenate(parted)})
            print(f"{name} | {key} | {spice.mean():.2f} | "
                  f"{100 * model['count_error']:.1f} % (mean {model['mean_count']:.2f})"
                  f" | {100 * what_if['count_error']:.1f} % "
                  f"(mean {what_if['mean_count']:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conditions", nargs="+",
                        default=["tt:27", "ss:27", "ff:27", "tt:-40", "tt:85"])
    parser.add_argument("--no-slices", action="store_true")
    args = parser.parse_args()
    conditions = []
    for item in args.conditions:
        corner, _, temp = item.partition(":")
        conditions.append((corner, float(temp or 27)))
    condition_rows(conditions)
    if not args.no_slices:
        slice_rows()


if __name__ == "__main__":
    main()
