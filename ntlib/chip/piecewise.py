"""Piecewise-linear curves of the membrane (chapter ``chip``).

A synapse bank's current depends on the membrane voltage it drives, so an
event's jump is the integral of a rate that changes as the membrane moves:

* :func:`integrate_jump` delivers one event in parts, each part's rate read
  at the membrane it finds;
* :func:`unfold_rates` recovers that rate from measured jumps: a jump of a
  whole event averages the rate over the path it travels (an inhibitory
  event that starts at 0.25 V ends lower, where its sink pulls less), so
  the rate at its start is larger than the jump;
* :func:`interp` reads a curve at every neuron's membrane at once, on
  tensors, with a gradient, so the chip can be trained through.
"""

from __future__ import annotations

import numpy as np
import torch


def integrate_jump(start: float, signed_rate: float, grid: np.ndarray,
                   factor: np.ndarray, parts: int) -> float:
    """The membrane after an event of ``signed_rate`` thresholds, ``factor``
    read along the way (on ``grid``), delivered in ``parts``, never below 0."""
    v = start
    for _ in range(parts):
        v = max(v + signed_rate * float(np.interp(v, grid, factor)) / parts, 0.0)
    return v


def unfold_rates(grid: np.ndarray, jumps: np.ndarray, sign: int, parts: int,
                 rounds: int = 200, rtol: float = 1e-6) -> np.ndarray:
    """The rate at each ``grid`` membrane whose integral gives ``jumps``.

    ``jumps[i]`` is the measured size of one event that starts at
    ``grid[i]`` (upwards for ``sign`` +1, downwards for -1); the result
    ``rate`` makes ``integrate_jump(grid[i], sign, grid, rate, parts)`` move
    by ``jumps[i]`` at every point.  Found by a fixed point, each rate scaled
    by the measured over the integrated jump; a point whose jump is zero (a
    sink at ground) keeps rate zero, and a downward jump is never taken past
    ground.
    """
    grid, jumps = np.asarray(grid, float), np.asarray(jumps, float)
    if sign not in (1, -1):
        raise ValueError(f"sign must be +1 or -1; got {sign!r}")
    if np.any(jumps < 0) or np.any(np.diff(grid) <= 0):
        raise ValueError("jumps must be sizes (>= 0) on a rising grid")
    if sign < 0:  # a sink stops at ground
        jumps = np.minimum(jumps, np.maximum(grid, 0.0))
    rate = jumps.copy()
    for _ in range(rounds):
        moved = np.array([abs(integrate_jump(v, sign, grid, rate, parts) - v)
                          for v in grid])
        scale = np.divide(jumps, moved, out=np.ones_like(jumps), where=moved > 0)
        rate = rate * scale
        if np.max(np.abs(scale - 1.0)) < rtol:
            return rate
    raise RuntimeError(f"the rates did not settle in {rounds} rounds")


def interp(x: torch.Tensor, xp: torch.Tensor, *fps: torch.Tensor) -> torch.Tensor:
    """``np.interp`` for tensors: piecewise linear, the end values beyond ``xp``.

    One curve per ``fps`` on the same grid and the same ``x``, sharing the
    work on ``x`` (one tensor per curve if there are several).  Each curve
    is a line through its first segment plus one ramp per inner knot, where
    its slope changes: four times faster than looking each ``x`` up with
    ``torch.bucketize``, and its gradient in ``x`` is the segment's slope.
    """
    knots = xp.tolist()
    slopes = [((fp[1:] - fp[:-1]) / (xp[1:] - xp[:-1])).tolist() for fp in fps]
    offset = x.clamp(knots[0], knots[-1]) - knots[0]
    outs = [float(fp[0]) + slope[0] * offset for fp, slope in zip(fps, slopes)]
    for k in range(1, len(knots) - 1):
        ramp = (offset - (knots[k] - knots[0])).relu_()
        for out, slope in zip(outs, slopes):
            if slope[k] != slope[k - 1]:
                out.add_(ramp, alpha=slope[k] - slope[k - 1])
    return outs[0] if len(outs) == 1 else outs
