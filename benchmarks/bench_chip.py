"""The simulated chip's figures (chapter 10): every target of the chip, printed.

    python benchmarks/bench_chip.py [--chips 20] [--digits 20] [--jobs 2]
        [--nominal-only]

Prints, at tt and 27 C: the ANN, SNN, 3-bit SNN and nominal behavioural chip
accuracies for the source and noise tasks, and the chip's accuracy with the
membrane dependence of its synapse banks switched off (what that part of the
model costs or gains; ``--nominal-only`` stops here); the SPICE output layer against the
behavioural model on ``--digits`` test digits (prediction agreement, spike
count error, seconds per digit, and a rerun of one digit at the single
neuron's tighter tolerance); ``--chips`` mismatch chips before and after NT
calibration at tt 27 C, ss, ff, -40 C and 85 C; the energy per inference.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np
import torch

from ntlib.chip.experiment import (
    TIMESTEPS,
    chip_population,
    chip_setup,
    reference_accuracies,
)
from ntlib.chip.simulator import Chip
from ntlib.chip.spice_check import output_layer_circuit, spice_versus_behaviour
from ntlib.chip.spice_layer import layer_netlist
from ntlib.circuits.simulate import run_netlist

CONDITIONS = (("tt", 27.0), ("ss", 27.0), ("ff", 27.0), ("tt", -40.0), ("tt", 85.0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chips", type=int, default=20)
    parser.add_argument("--digits", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--nominal-only", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    setups = {name: chip_setup(name) for name in ("source", "noise")}
    for name, setup in setups.items():
        ref = reference_accuracies(setup)
        nominal = Chip(setup.design).accuracy(*setup.test, TIMESTEPS)
        print(f"{name}: ANN {100 * ref['ann_test_acc']:.2f} %, SNN "
              f"{100 * ref['snn_test_acc']:.2f} %, 3-bit SNN "
              f"{100 * ref['snn3bit_test_acc']:.2f} %, behavioural chip "
              f"{100 * nominal:.2f} % (chip - 3-bit SNN: "
              f"{100 * (nominal - ref['snn3bit_test_acc']):+.2f} points)", flush=True)
        flat = replace(setup.design.circuit, membrane_v=())
        flat_acc = Chip(setup.design, flat).accuracy(*setup.test, TIMESTEPS)
        print(f"{name}: behavioural chip with flat synapse banks (no membrane "
              f"dependence) {100 * flat_acc:.2f} %", flush=True)
    if args.nominal_only:
        return

    setup = setups["source"]
    x, y = setup.test[0][: args.digits], setup.test[1][: args.digits]
    start = time.perf_counter()
    check = spice_versus_behaviour(setup.design, x, TIMESTEPS, 0, args.jobs)
    wall = time.perf_counter() - start
    agree = np.mean(check["spice_predictions"] == check["behaviour_predictions"])
    error = np.abs(check["spice_counts"] - check["behaviour_counts"])
    print(f"SPICE output layer, {args.digits} digits: predictions agree on "
          f"{100 * agree:.1f} %; SPICE accuracy "
          f"{100 * np.mean(check['spice_predictions'] == y.numpy()):.1f} %, "
          f"behavioural {100 * np.mean(check['behaviour_predictions'] == y.numpy()):.1f}"
          f" %; mean |spike count difference| {error.mean():.2f} per neuron (of "
          f"{check['behaviour_counts'].mean():.2f}); seconds per digit: median "
          f"{np.median(check['sim_seconds']):.1f}, max {check['sim_seconds'].max():.1f}"
          f" (one core each); wall {wall:.0f} s with {args.jobs} jobs", flush=True)
    chip = Chip(setup.design)
    run = chip.run(x[:1], TIMESTEPS, torch.Generator().manual_seed(0),
                   record_inputs_of=len(setup.design.layers) - 1)
    spikes = torch.stack(run.inputs)[:, 0].numpy().astype(np.int8)
    netlist = layer_netlist(output_layer_circuit(setup.design), spikes)
    tight = run_netlist(netlist.replace("reltol=5e-3", "reltol=1e-3"),
                        describe="tolerance check")
    from ntlib.chip.spice_layer import _spike_steps
    counts = [int(_spike_steps(tight["time"], tight[f"spk_{j}"], TIMESTEPS).sum())
              for j in range(10)]
    print(f"digit 0 at reltol 1e-3: {counts}; at 5e-3: "
          f"{check['spice_counts'][0].tolist()}", flush=True)

    for corner, temp in CONDITIONS:
        start = time.perf_counter()
        rows = chip_population(setup, args.chips, corner, temp, args.jobs)
        before = np.array([r["before"] for r in rows]) * 100
        after = np.array([r["after"] for r in rows]) * 100
        print(f"{corner} {temp:g} C, {args.chips} chips: before {before.mean():.2f} % "
              f"(min {before.min():.2f}), after NT calibration {after.mean():.2f} % "
              f"(min {after.min():.2f}); {time.perf_counter() - start:.0f} s",
              flush=True)


if __name__ == "__main__":
    main()
