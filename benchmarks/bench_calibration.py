"""Calibrating mismatch chips by bias, supply or both (chapter calibration).

    python benchmarks/bench_calibration.py [--chip book|relu] [--chips 20] [--jobs 2]
        [--tasks source noise] [--conditions tt:27 ss:27 ff:27 tt:-40 tt:85]
        [--test-images N] [--modes bias supply both bias-trained both-trained]

The chip is the book's (``BOOK_CHIP``: the QCFS network at 8 steps, NT
trained through the chip) or, with ``--chip relu``, the ReLU chip at 32
steps as converted.  For each task and condition: ``--chips`` Monte Carlo mismatch chips, each
calibrated by its NT biases, by its layers' excitatory and inhibitory
synapse supplies, and by both (:mod:`ntlib.chip.calibrate`), the biases
either matched to the design's rates or trained through the chip
(``-trained``, :mod:`ntlib.chip.hil`), on disjoint calibration, selection
and test images.  Prints the nominal chip at tt and
27 C, and per condition and mode the mean and worst test accuracy before and
after, the change of the mean, and the targets:

* calibrated by both (each ``both`` mode): the mean over the chips within 2 points of the nominal
  chip at tt, the worst chip within 3 points;
* no mode lowers the mean test accuracy by more than the standard error of
  one chip's accuracy on the test set (binomial, printed).

Each target is printed as met or missed, with its numbers.
"""

from __future__ import annotations

import argparse
import time

import torch

from ntlib.chip.experiment import (
    BOOK_CHIP,
    chip_population,
    chip_setup,
    population_summary,
)
from ntlib.chip.simulator import Chip

MODES = ("bias", "supply", "both", "bias-trained", "both-trained")
CONDITIONS = ("tt:27", "ss:27", "ff:27", "tt:-40", "tt:85")
#: Targets: points below the nominal chip for the mean and the worst chip.
MEAN_WITHIN_POINTS = 2.0
WORST_WITHIN_POINTS = 3.0


def condition(text: str) -> tuple[str, float]:
    corner, temp_c = text.split(":")
    return corner, float(temp_c)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chip", choices=("book", "relu"), default="book")
    parser.add_argument("--chips", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--tasks", nargs="+", default=["source", "noise"])
    parser.add_argument("--conditions", nargs="+", default=list(CONDITIONS))
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    parser.add_argument("--test-images", type=int, default=None,
                        help="the first N test images (default: all)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    missed = 0
    for task in args.tasks:
        setup = chip_setup(task, **(BOOK_CHIP if args.chip == "book" else {}))
        if args.test_images is not None:
            setup.test = tuple(t[:args.test_images] for t in setup.test)
        images = len(setup.test[0])
        nominal = 100 * Chip(setup.design).accuracy(*setup.test, setup.timesteps)
        print(f"{task}, {setup.source_kind} chip at T = {setup.timesteps}: "
              f"nominal chip at tt 27 C {nominal:.2f} % on {images} test "
              f"images; {args.chips} chips per condition", flush=True)
        for text in args.conditions:
            corner, temp_c = condition(text)
            start = time.perf_counter()
            rows = chip_population(setup, args.chips, corner, temp_c, args.jobs,
                                   modes=tuple(args.modes))
            s = population_summary(rows, images)
            stderr = 100 * s["stderr"]
            print(f"  {corner} {temp_c:g} C ({time.perf_counter() - start:.0f} s): "
                  f"before mean {100 * s['before_mean']:.2f} % worst "
                  f"{100 * s['before_min']:.2f} %; standard error {stderr:.2f}",
                  flush=True)
            for mode in args.modes:
                chosen = sum(bool(r[f"calibrated_{mode}"]) for r in rows)
                print(f"    {mode:12s}: mean {100 * s[f'{mode}_mean']:.2f} % worst "
                      f"{100 * s[f'{mode}_min']:.2f} % change "
                      f"{100 * s[f'{mode}_change']:+.2f} points "
                      f"({chosen}/{len(rows)} chips trimmed)", flush=True)
            targets = []
            for mode in (m for m in args.modes if m.startswith("both")):
                mean_gap = nominal - 100 * s[f"{mode}_mean"]
                worst_gap = nominal - 100 * s[f"{mode}_min"]
                targets += [
                    ((f"{mode}: mean within {MEAN_WITHIN_POINTS:g} points of "
                      f"nominal ({-mean_gap:+.2f} points against it)"),
                     mean_gap <= MEAN_WITHIN_POINTS),
                    ((f"{mode}: worst within {WORST_WITHIN_POINTS:g} points of "
                      f"nominal ({-worst_gap:+.2f} points against it)"),
                     worst_gap <= WORST_WITHIN_POINTS),
                ]
            for mode in args.modes:
                change = 100 * s[f"{mode}_change"]
                targets.append(
                    ((f"{mode}: mean not lowered beyond the standard error "
                     f"({change:+.2f} against -{stderr:.2f})"), change >= -stderr))
            for what, met in targets:
                missed += not met
                print(f"    target {'met   ' if met else 'MISSED'} {what}", flush=True)
    print(f"targets missed: {missed}")


if __name__ == "__main__":
    main()
