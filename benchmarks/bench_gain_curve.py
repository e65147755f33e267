"""The synaptic gain between the measured supplies: a straight line or a monotone cubic?

    python benchmarks/bench_gain_curve.py [--corner tt] [--temp 27]

The behavioural chip measures each bank's gain (thresholds per code step) in
SPICE at the eight supplies of ``SUPPLY_GRID_V`` and reads it between them
(:meth:`~ntlib.chip.circuit_model.CircuitModel.gains_at`).  This measures
the gain in SPICE at the midpoint of every interval of the grid and at every
layer's own supplies on the book's two chips (the ReLU chip and the book's
QCFS chip, source task), and prints, per supply and bank, the error of a
straight line between the grid's points and of the monotone cubic the model
uses, then the largest of each.  A neuron whose net input is a small
difference of excitation and inhibition multiplies such an error: the
target is the cubic within 0.25 % everywhere.

It also checks the membrane dependence the model unfolds from the code +-1
jumps: its jump for events of code +-2 at HOLD_V against SPICE's (target
within 1 %), beside a model that takes measured jumps for rates.
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np

from ntlib.chip import measurements as spice
from ntlib.chip.circuit_model import JUMP_SUBSTEPS, SUPPLY_GRID_V, circuit_model
from ntlib.chip.experiment import BOOK_CHIP, chip_setup
from ntlib.chip.measurements import HOLD_V
from ntlib.chip.piecewise import integrate_jump
from ntlib.parallel import map_processes


def measure(item: tuple[str, float, float, tuple[float, ...], float]) -> dict:
    corner, temp, supply, membranes, threshold = item
    read = spice.read_jumps(spice.jump_netlist(corner, temp, supply, membranes),
                            membranes)
    return {**spice.event_jumps(read, membranes, threshold, JUMP_SUBSTEPS),
            "codes": spice.code_jumps(read, membranes, threshold),
            "folded": folded_jumps(read, membranes, threshold)}


def folded_jumps(read: list[list[float]], membranes: tuple[float, ...],
                 threshold: float) -> dict[int, float]:
    """Code +-2 jumps at HOLD_V of a model that takes the measured code +-1
    jumps for the rate and the code +-2 jump per code step for the gain (the
    rate of its own path counted twice)."""
    grid = np.asarray(membranes) / threshold
    hold = list(membranes).index(HOLD_V)
    start, codes = grid[hold], spice.code_jumps(read, membranes, threshold)
    rest = np.asarray(read[2])
    out = {}
    for code, row in ((2, read[0]), (-2, read[1])):
        jump = np.maximum(np.abs(np.asarray(row) - rest) / threshold, 1e-12)
        gain = abs(codes[code]) / 2
        out[code] = integrate_jump(start, code * gain, grid, jump / jump[hold],
                                   JUMP_SUBSTEPS) - start
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corner", default="tt")
    parser.add_argument("--temp", type=float, default=27.0)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    circuit = circuit_model(args.corner, args.temp)
    grid = np.asarray(SUPPLY_GRID_V)
    supplies = {f"midpoint {a:g}-{b:g} V": (a + b) / 2
                for a, b in itertools.pairwise(grid)}
    for name, kind in (("ReLU chip", {}), ("book's chip", BOOK_CHIP)):
        design = chip_setup("source", **kind).design
        for index, layer in enumerate(design.layers):
            supplies[f"{name} layer {index + 1} excite"] = layer.excite_supply_v
            supplies[f"{name} layer {index + 1} inhibit"] = layer.inhibit_supply_v
    membranes = spice.membrane_grid_v(circuit.threshold_v)
    items = [(args.corner, args.temp, v, membranes, circuit.threshold_v)
             for v in supplies.values()]
    measured = map_processes(measure, items, args.jobs)
    worst = {"line": 0.0, "cubic": 0.0, "unfolded": 0.0, "folded": 0.0}
    print("supply | V | bank: SPICE gain, line error, cubic error")
    for (name, supply), gains in zip(supplies.items(), measured, strict=True):
        cubic = circuit.gains_at(supply)
        parts = []
        for k, bank in enumerate(("excite", "inhibit")):
            curve = circuit.excite_gain if k == 0 else circuit.inhibit_gain
            line = float(np.interp(supply, circuit.supply_v, curve))
            errors = (100 * (line / gains[bank] - 1), 100 * (cubic[k] / gains[bank] - 1))
            worst["line"] = max(worst["line"], abs(errors[0]))
            worst["cubic"] = max(worst["cubic"], abs(errors[1]))
            parts.append(f"{bank} {gains[bank]:.5f}, {errors[0]:+.2f} %, {errors[1]:+.2f} %")
        print(f"{name} | {supply:.4f} | " + " | ".join(parts), flush=True)
        start = HOLD_V / circuit.threshold_v
        checks = []
        for code in (2, -2):
            measured = gains["codes"][code]
            model = circuit.jump(code, supply, start)
            folded = gains["folded"][code]
            errors = 100 * (model / measured - 1), 100 * (folded / measured - 1)
            worst["unfolded"] = max(worst["unfolded"], abs(errors[0]))
            worst["folded"] = max(worst["folded"], abs(errors[1]))
            checks.append(f"code {code:+d}: SPICE {measured:+.5f}, model "
                          f"{errors[0]:+.2f} %, rate counted twice {errors[1]:+.2f} %")
        print("    " + " | ".join(checks), flush=True)
    print(f"largest error: straight line {worst['line']:.2f} %, monotone cubic "
          f"{worst['cubic']:.2f} %")
    print(f"target met: cubic within 0.25 % ({worst['cubic']:.2f} %)"
          if worst["cubic"] <= 0.25 else
          f"target missed: cubic within 0.25 % ({worst['cubic']:.2f} %)")
    print(f"code +-2 events at {HOLD_V} V, largest error: the model (rates "
          f"unfolded from code +-1) {worst['unfolded']:.2f} %, the measured "
          f"jumps taken for rates {worst['folded']:.2f} %")
    print(f"target {'met' if worst['unfolded'] <= 1.0 else 'missed'}: the model's "
          f"code +-2 jumps within 1 % ({worst['unfolded']:.2f} %)")


if __name__ == "__main__":
    main()
