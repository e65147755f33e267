"""The quantisation-clip-floor-shift (QCFS) activation (chapter ``ann_to_snn``).

Bu et al. (ICLR 2022) train the source network with an activation that
already looks like what an integrate-and-fire neuron can deliver in ``L``
time steps: a staircase of ``L`` equal steps between 0 and a learnt
threshold ``lambda``, shifted by half a step,

.. math::

    h(x) = \\frac{\\lambda}{L}\\,
           \\mathrm{clip}\\Big(\\Big\\lfloor \\frac{x L}{\\lambda} + \\frac12
           \\Big\\rfloor, 0, L\\Big).

An IF neuron with threshold ``lambda`` whose membrane starts at half the
threshold fires exactly ``h(x) T / lambda`` spikes in ``T = L`` steps for a
constant input ``x``, so the network converts with no clipping error, no
quantisation error and, in expectation, no unevenness error.  The floor has
no gradient; training passes the gradient straight through it.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ntlib.checks import check_choice

#: Activations a source network can be built with (``build_cnn``, ``pretrain``).
ACTIVATIONS: tuple[str, ...] = ("relu", "qcfs")
#: The largest number of quantisation levels accepted.
MAX_LEVELS = 256
#: Initial threshold before :func:`calibrate_thresholds` sets it from data.
DEFAULT_THRESHOLD = 1.0
#: Percentile of a layer's positive inputs that :func:`calibrate_thresholds` uses.
CALIBRATION_PERCENTILE = 99.0


def check_levels(levels: int) -> int:
    """Validate a number of quantisation levels; returns it as an int."""
    if (
        isinstance(levels, bool)
        or not isinstance(levels, int | float)
        or not math.isfinite(levels)
        or int(levels) != levels
        or not 1 <= levels <= MAX_LEVELS
    ):
        raise ValueError(
            f"levels must be an integer from 1 to {MAX_LEVELS} (the time steps the "
            f"spiking network is meant to run, for example 4), got {levels!r}"
        )
    return int(levels)


class QCFS(nn.Module):
    """``lambda / L * clip(floor(x L / lambda + 1/2), 0, L)`` (chapter ``ann_to_snn``).

    Args:
        levels: ``L``, the number of steps of the staircase.
        threshold: the initial ``lambda`` (a trained parameter).

    Example:
        >>> act = QCFS(levels=4, threshold=1.0)
        >>> act(torch.tensor([-1.0, 0.1, 0.2, 0.6, 3.0])).tolist()
        [0.0, 0.0, 0.25, 0.5, 1.0]
    """

    def __init__(self, levels: int, threshold: float = DEFAULT_THRESHOLD) -> None:
        super().__init__()
        self.levels = check_levels(levels)
        if not (isinstance(threshold, int | float) and 0 < threshold < math.inf):
            raise ValueError(
                f"threshold must be a positive finite number, got {threshold!r}"
            )
        self.threshold = nn.Parameter(torch.tensor(float(threshold)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scaled = torch.clamp(x / self.threshold, 0.0, 1.0) * self.levels + 0.5
        # floor in the forward pass, identity in the backward pass
        stepped = scaled + (torch.floor(scaled) - scaled).detach()
        return torch.clamp(stepped, 0.0, self.levels) / self.levels * self.threshold

    def extra_repr(self) -> str:
        return f"levels={self.levels}, threshold={float(self.threshold.detach()):.4g}"


def check_activation(activation: str, levels: int | None) -> int | None:
    """Validate an ``(activation, levels)`` pair; ``levels`` only with ``qcfs``."""
    check_choice("activation", activation, ACTIVATIONS)
    if activation == "relu":
        if levels is not None:
            raise ValueError("levels applies only to the qcfs activation")
        return None
    if levels is None:
        raise ValueError("the qcfs activation needs levels (for example 4)")
    return check_levels(levels)


def make_activation(activation: str = "relu", levels: int | None = None) -> nn.Module:
    """``nn.ReLU()`` or ``QCFS(levels)`` (chapter ``ann_to_snn``)."""
    levels = check_activation(activation, levels)
    return nn.ReLU() if levels is None else QCFS(levels)


@torch.no_grad()
def calibrate_thresholds(model: nn.Sequential, x: torch.Tensor) -> list[float]:
    """Start every QCFS threshold at the 99th percentile of its positive input.

    Layer by layer, on the batch ``x`` of training images.  An untrained
    network's pre-activations are small; a threshold far above them would
    round every activation to zero, and with ``L = 2`` nothing would train.
    Returns the thresholds set.  Introduced in chapter ``ann_to_snn``.
    """
    thresholds = []
    h = x
    for module in model:
        if isinstance(module, QCFS):
            positive = h[h > 0]
            value = (
                float(torch.quantile(positive[: 2**24], CALIBRATION_PERCENTILE / 100))
                if positive.numel()
                else DEFAULT_THRESHOLD
            )
            module.threshold.fill_(max(value, 1e-3))
            thresholds.append(float(module.threshold.detach()))
        h = module(h)
    return thresholds
