"""The source-task chip's energy ledger and area, against SPICE and digital silicon.

Prints, for the nominal chip of chapter 10 (``chip_setup("source")``,
``--digits`` test images, T = 32):

- every ledger row (:func:`ntlib.chip.ledger.chip_ledger`) with low-high,
  the total and the three dominant rows, for the default choices and for a
  linear regulator, address-event routing and per-channel bias DACs;
- the event-energy model against SPICE on a slice of every layer
  (:func:`ntlib.chip.cost.event_model_check`, ``--spice-digits`` images):
  model, SPICE and their ratio (target: within 10 %);
- the chip's area by part, mm^2, beside a digital int8 core with SRAM at
  45 and 130 nm;
- the digital side as a range (memory tier, node, 8/4-bit weights) and
  published neuromorphic silicon pricing the chip's synaptic events;
- the rulers: the circuit's physical floor (C V^2 of the membrane and of a
  unit's gate, kT/C) and published analog neurons, fJ per spike;
- the QCFS chip of chapter 5 at T = 8: its whole bill beside the ReLU chip's.

    .venv/bin/python benchmarks/bench_ledger.py
    .venv/bin/python benchmarks/bench_ledger.py --digits 100 --spice-digits 2
"""

from __future__ import annotations

import argparse
import time

import pandas as pd
import torch

from ntlib.chip.area import chip_area, digital_core_area
from ntlib.chip.cost import event_model_check
from ntlib.chip.digital import digital_range, neuromorphic_range
from ntlib.chip.experiment import TIMESTEPS, chip_setup
from ntlib.chip.floor import ANALOG_NEURONS_FJ_PER_SPIKE, floor_rows
from ntlib.chip.ledger import chip_activity, chip_ledger, summary
from ntlib.circuits.energy_figures import energy_figures
from ntlib.energy import layers_from_module

#: The slice of each layer checked in SPICE.
SLICES = {"conv1": {"channels": 1, "patch": 2}, "conv2": {"channels": 1, "patch": 2},
          "dense": {"neurons": 1}, "output": {"neurons": 10}}


def _range(result: dict) -> str:
    return f"{result['low_nj']:.1f}-{result['high_nj']:.1f} nJ"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digits", type=int, default=200)
    parser.add_argument("--spice-digits", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(1)
    pd.set_option("display.width", 200)
    pd.set_option("display.max_colwidth", 70)
    start = time.perf_counter()
    setup = chip_setup("source")
    design = setup.design
    figures = energy_figures("sky130", "tt", 27.0, 1.2)
    x = setup.test[0][:args.digits]
    activity = chip_activity(design, x, TIMESTEPS)
    accuracy = float((activity.run.predictions == setup.test[1][:args.digits])
                     .float().mean())
    print(f"source-task chip, {args.digits} test digits, T = {TIMESTEPS}, "
          f"accuracy {accuracy:.3f}")
    table = chip_ledger(design, activity, figures)
    print(table.round(3).to_string(index=False))
    result = summary(table)
    print(f"total {_range(result)}; dominant: {', '.join(result['dominant'])}; "
          f"measured rows {100 * result['measured_share']:.0f} % of the low total")
    for options in ({"converter": "linear"}, {"routing": "address-event"},
                    {"bias_granularity": "channel"}):
        other = summary(chip_ledger(design, activity, figures, **options))
        print(f"  with {options}: total {_range(other)}; "
              f"dominant: {', '.join(other['dominant'])}")

    print("\nevent-energy model against SPICE, layer slices "
          f"({args.spice_digits} digits, synapse domains):")
    for layer, size in SLICES.items():
        check = event_model_check(design, layer, setup.test[0][:args.spice_digits],
                                  TIMESTEPS, 0, size)
        print(f"  {layer:>6} ({check['neurons']} neurons, {check['input_events']} "
              f"input events): model {check['model_j'] * 1e9:.3f} nJ, SPICE "
              f"{check['spice_j'] * 1e9:.3f} nJ, ratio {check['ratio']:.3f}")

    area = chip_area(design)
    print("\narea (SKY130, 130 nm):")
    print(area.round(3).to_string(index=False))
    low, high = area["low (mm2)"].sum(), area["high (mm2)"].sum()
    print(f"  chip total {low:.1f}-{high:.1f} mm^2")
    layers = layers_from_module(setup.source, setup.task.input_shape)
    weights = sum(la.params for la in layers)
    largest = max(la.inputs + la.neurons for la in layers)
    for node in (45.0, 130.0):
        for bits in (8, 4):
            core = digital_core_area(weights, largest, bits, node)
            print(f"  digital core, {node:.0f} nm, {bits}-bit weights "
                  f"({core['sram_kb']:.1f} kB SRAM): {core['low_mm2']:.2f}-"
                  f"{core['high_mm2']:.2f} mm^2 ({core['source']})")

    print("\ndigital side per inference (Horowitz 45 nm, scaled to 130 nm):")
    print(digital_range(layers).round(1).to_string(index=False))
    ops = float(sum(e.sum() for e in activity.run.events_by_code))
    print(f"\npublished neuromorphic silicon at the chip's {ops:.0f} synaptic "
          "events per inference:")
    print(neuromorphic_range(ops).round(1).to_string(index=False))

    print("\nrulers: the circuit's floor (tt, 27 C) and published analog neurons")
    print(floor_rows("tt", 27.0)[["item", "value", "unit"]].to_string(index=False))
    print(f"  this neuron's measured spike: {figures.spike_j * 1e15:,.0f} fJ")
    for name, (low, high, node, ref) in ANALOG_NEURONS_FJ_PER_SPIKE.items():
        print(f"  {name}: {low:g}-{high:g} fJ/spike at {node:g} nm ({ref})")

    qcfs = chip_setup("source", source_kind="qcfs", timesteps=8)
    qcfs_activity = chip_activity(qcfs.design, qcfs.test[0][:args.digits], 8)
    qcfs_accuracy = float((qcfs_activity.run.predictions
                           == qcfs.test[1][:args.digits]).float().mean())
    qcfs_bill = summary(chip_ledger(qcfs.design, qcfs_activity, figures))
    print(f"\nQCFS chip, T = 8, accuracy {qcfs_accuracy:.3f}: total "
          f"{_range(qcfs_bill)}; dominant: {', '.join(qcfs_bill['dominant'])}; "
          f"ReLU chip / QCFS chip {result['low_nj'] / qcfs_bill['low_nj']:.2f}-"
          f"{result['high_nj'] / qcfs_bill['high_nj']:.2f}x")
    print(f"\n[{time.perf_counter() - start:.0f} s]")


if __name__ == "__main__":
    main()
