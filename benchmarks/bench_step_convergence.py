"""Maximum transient step of the SKY130 neuron (chapter 7): which step converges?

The single neuron (Poisson input, seed 0, 100 kHz, 1 ms) at a few synapse
supplies and weight codes, and driven by a bias or a DC test current alone (no
input pulses, so no breakpoints), at several maximum steps, against a 50 ns reference
run at the library's relative tolerance.  Per step it prints the spike-time
error (max and mean over all cases, as a fraction of the reference's mean
inter-spike interval; each reference spike matched to the nearest spike), the
largest relative error of the mean membrane voltage, the largest spike-count
difference and the total run time (and its ratio to the reference's).

Two tolerances: the process's own ``reltol=1e-3`` (the netlist before the
study: no step converges) and the library's ``TRANSIENT_RELTOL``.  The default
step is the largest one at the library's tolerance whose spike times and mean
membrane voltage stay within 1 % of the reference, with the same spike count.

    .venv/bin/python benchmarks/bench_step_convergence.py
"""

from __future__ import annotations

import time

import numpy as np

from ntlib.circuits.inputs import DEFAULT_MAX_STEP_S, TRANSIENT_RELTOL
from ntlib.circuits.measure import REFERENCE_STEP_S, step_convergence
from ntlib.circuits.neuron import NeuronParams

CASES = [
    NeuronParams(supply_v=v, weight_code=c)
    for v, c in ((0.9, 7), (1.2, 7), (1.5, 7), (1.2, 3), (1.8, 1))
] + [  # no input pulses: a bias alone, a DC test current alone
    NeuronParams(weight_code=0, bias_supply_v=1.4),
    NeuronParams(weight_code=0, input_current_a=0.2e-6),
]
#: The netlist before the study: the process's tolerance, ngspice's own step
#: (the print step, 500 ns at 1 ms).
OLD_RELTOL, OLD_STEP_S = 1e-3, 500e-9
STEPS_S = {
    OLD_RELTOL: (500e-9, 200e-9, 100e-9),
    TRANSIENT_RELTOL: (5e-6, 1e-6, 500e-9, 200e-9, 100e-9),
}
TOLERANCE = 0.01


def table(reltol: float, steps_s: tuple[float, ...]) -> dict[float, float]:
    """Print one tolerance's table; return the run time (s) of each step."""
    rows = step_convergence(CASES, steps_s, processes=2, reltol=reltol)
    first = [r for r in rows if r["max_step_s"] == steps_s[0]]
    ref_seconds = sum(r["sim_seconds"] / r["cost"] for r in first)
    print(
        f"\nreltol {reltol:g}; reference {REFERENCE_STEP_S * 1e9:g} ns at reltol "
        f"{TRANSIENT_RELTOL:g}: {ref_seconds:.1f} s for {len(CASES)} runs"
    )
    print("step (ns)  t err max  t err mean  Vmem err max  count diff  run (s)  cost")
    seconds_by_step, converged = {}, []
    for step in steps_s:
        at = [r for r in rows if r["max_step_s"] == step]
        t_max = max(r["spike_time_error_max"] for r in at)
        t_mean = float(np.mean([r["spike_time_error_mean"] for r in at]))
        v_max = max(r["membrane_error"] for r in at)
        count = max(abs(r["spike_count_difference"]) for r in at)
        seconds = seconds_by_step[step] = sum(r["sim_seconds"] for r in at)
        ok = t_max <= TOLERANCE and v_max <= TOLERANCE and count == 0
        converged += [step] if ok else []
        print(
            f"{step * 1e9:9.0f}  {t_max:9.2%}  {t_mean:10.2%}  {v_max:12.2%}  "
            f"{count:10d}  {seconds:7.1f}  {seconds / ref_seconds:4.2f}"
            + ("  within 1 %" if ok else "")
        )
    print(
        f"largest step within {TOLERANCE:.0%} at reltol {reltol:g}: "
        + (f"{max(converged) * 1e9:g} ns" if converged else "none of those tried")
    )
    return seconds_by_step


def main() -> None:
    start = time.perf_counter()
    print(
        f"{len(CASES)} cases (supply V, code[, bias V | DC A]): "
        + ", ".join(
            f"({c.supply_v:g}, {c.weight_code}"
            + (f", bias {c.bias_supply_v:g} V" if c.bias_supply_v else "")
            + (f", DC {c.input_current_a:g} A" if c.input_current_a else "")
            + ")"
            for c in CASES
        )
    )
    old = table(OLD_RELTOL, STEPS_S[OLD_RELTOL])
    new = table(TRANSIENT_RELTOL, STEPS_S[TRANSIENT_RELTOL])
    if DEFAULT_MAX_STEP_S in new:
        print(
            f"\nlibrary default: {DEFAULT_MAX_STEP_S * 1e9:g} ns at reltol "
            f"{TRANSIENT_RELTOL:g}: {new[DEFAULT_MAX_STEP_S]:.1f} s against "
            f"{old[OLD_STEP_S]:.1f} s before the study "
            f"({new[DEFAULT_MAX_STEP_S] / old[OLD_STEP_S]:.2f}x)"
        )
    print(f"wall time {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
