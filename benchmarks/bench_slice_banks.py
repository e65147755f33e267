"""Each synapse bank's jumps in a SPICE slice against the chip model's, event by event.

    python benchmarks/bench_slice_banks.py [--chip book|relu] [--layer conv1]

A neuron whose net input is a small difference of excitation and inhibition
turns a small error in either bank into a large error in its spike count.
This runs one digit of a layer's slice (chapter ``chip``'s slice; the
model's own input spikes) in ngspice at the reference transient
(``REFERENCE_RELTOL``, ``REFERENCE_STEP_S``) three times: as it is, with the
inhibitory drivers' supply at 0 V (excitation alone) and with the
excitatory supply at 0 V (inhibition alone).  For every step and neuron
whose membrane moves by an event without a spike, it reads the jump in SPICE
(the membrane 1.5 us after the events less just before them, the bias over
that time taken out) and the chip model's jump from the same membrane
(:meth:`~ntlib.chip.simulator.Chip._input`), and prints, per band of the
starting membrane, the ratio of their sums: 1 where the model's bank is
right.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from ntlib.chip.circuit_model import PROCESS, STEP_S
from ntlib.chip.experiment import BOOK_CHIP, chip_setup
from ntlib.chip.simulator import _banks
from ntlib.chip.slices import input_shape, layer_index, slice_circuit, slice_neurons
from ntlib.chip.spice_check import CONDITIONS, digit_seed
from ntlib.chip.spice_layer import REFERENCE_RELTOL, REFERENCE_STEP_S, layer_netlist
from ntlib.circuits.simulate import run_netlist

SLICES = {"conv1": {"channels": 3, "patch": 2}, "conv2": {"channels": 1, "patch": 2}}
BANDS = ((0.0, 0.2), (0.2, 0.4), (0.4, 0.6), (0.6, 1.0))
READ_BEFORE_S, READ_AFTER_S = 0.05e-6, 1.5e-6


def jumps(chip, index, neurons, inputs, vectors, only: str | None):
    """``(start, SPICE jump, model jump)`` of every event without a spike."""
    layer = chip.design.layers[index]
    if only is not None:  # the model with the other bank's weights at zero
        w = chip.weights[index]
        keep = (w > 0) if only == "excite" else (w < 0)
        chip._banks[index] = _banks(torch.where(keep, w, 0.0), layer.codes,
                                    layer.conv is not None)
    t, threshold = vectors["time"], chip.circuit.threshold_v
    half = PROCESS.neuron_supply_v / 2
    bias = chip.bias[index].flatten()
    rows = []
    for k, h in enumerate(inputs):
        before = (k + 0.5) * STEP_S - READ_BEFORE_S
        after = (k + 0.5) * STEP_S + READ_AFTER_S
        for j, n in enumerate(neurons):
            mem, spike = vectors[f"mem_{j}"], vectors[f"spk_{j}"]
            window = (t > before) & (t < after + 0.5e-6)
            if spike[window].max() > half:
                continue
            start = float(np.interp(before, t, mem)) / threshold
            end = float(np.interp(after, t, mem)) / threshold
            drift = float(bias[n]) * (READ_AFTER_S + READ_BEFORE_S) / STEP_S
            membrane = torch.zeros((1, *layer.out_shape))
            membrane.view(-1)[n] = start
            model = float(chip._input(index, layer, h, membrane).view(-1)[n]) - start
            if abs(model) >= 0.02:
                rows.append((start, end - start - drift, model))
    return np.asarray(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chip", choices=("book", "relu"), default="book")
    parser.add_argument("--layer", choices=tuple(SLICES), default="conv1")
    args = parser.parse_args()
    setup = chip_setup("source", **(BOOK_CHIP if args.chip == "book" else {}))
    design, steps, x = setup.design, setup.timesteps, setup.test[0]
    index = layer_index(design, args.layer)
    neurons = slice_neurons(design, args.layer, **SLICES[args.layer])
    chip = CONDITIONS["tt"].chip(design)
    run = chip.run(x[:1], steps, torch.Generator().manual_seed(digit_seed(0, 0)),
                   record_inputs_of=index)
    circuit, lines = slice_circuit(chip, index, neurons)
    spikes = torch.stack(run.inputs).numpy()[:, 0, lines].astype(np.int8)
    inputs = [h.view(1, *input_shape(design, index)) for h in run.inputs]
    netlist = layer_netlist(circuit, spikes, step_s=REFERENCE_STEP_S,
                            reltol=REFERENCE_RELTOL)
    layer = design.layers[index]
    print(f"{args.chip} chip, {args.layer} slice ({len(neurons)} neurons), digit 0; "
          f"excitatory supply {layer.excite_supply_v:.3f} V, inhibitory "
          f"{layer.inhibit_supply_v:.3f} V; SPICE jump / model jump by starting "
          "membrane (thresholds), events")
    variants = {
        "both banks": (netlist, None),
        "excitation alone": (netlist.replace(
            f"Vsyni vsyni 0 DC {layer.inhibit_supply_v:g}", "Vsyni vsyni 0 DC 0"),
            "excite"),
        "inhibition alone": (netlist.replace(
            f"Vsyn vsyn 0 DC {layer.excite_supply_v:g}", "Vsyn vsyn 0 DC 0"),
            "inhibit"),
    }
    for name, (text, only) in variants.items():
        vectors = run_netlist(text, describe=name)
        rows = jumps(CONDITIONS["tt"].chip(design), index, neurons, inputs,
                     vectors, only)
        parts = []
        for low, high in BANDS:
            band = (rows[:, 0] >= low) & (rows[:, 0] < high) if rows.size else []
            if np.any(band):
                ratio = rows[band, 1].sum() / rows[band, 2].sum()
                parts.append(f"{low:g}-{high:g}: {ratio:.3f} ({int(band.sum())})")
        print(f"  {name}: " + "; ".join(parts), flush=True)


if __name__ == "__main__":
    main()
