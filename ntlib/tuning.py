"""Neuromodulatory tuning: a supplemental bias on every neuron (chapter 2).

A :class:`ModulatoryBias` sits right after a frozen ``Conv2d`` or ``Linear``
layer and adds a learned offset to its pre-activation, shifting how easily
each neuron behind it fires.
"""

from __future__ import annotations

import torch
from torch import nn


class ModulatoryBias(nn.Module):
    """A supplemental bias added to a layer's pre-activation, initialised to zero.

    Args:
        shape: ``(C, 1, 1)`` for one bias per conv channel, ``(C, H, W)`` for one
            per conv output position (per unit), ``(F,)`` for a linear layer.
    """

    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.modulatory_bias = nn.Parameter(torch.zeros(shape))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.modulatory_bias

    def extra_repr(self) -> str:
        return f"shape={tuple(self.modulatory_bias.shape)}"
