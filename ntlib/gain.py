"""Neuromodulation as a multiplicative gain on each neuron's weighted input (chapter 10).

On the chip the neuromodulatory signal is a synapse's supply voltage, which
scales the synaptic currents reaching a neuron: a *gain* on its weighted sum,
not an offset.  A :class:`ModulatoryGain` sits right after a frozen ``Conv2d``
or ``Linear`` layer and turns its output ``W x + b`` into ``g (W x) + b``: the
layer's own bias is a separate bias source and is not scaled.  It is trained
by the ``gain`` method (every weight frozen) and, next to the additive
:class:`~ntlib.tuning.ModulatoryBias`, by ``nt-gain``.
"""

from __future__ import annotations

import torch
from torch import nn

from ntlib.tuning import _check, _check_tunable, _output_shapes, bias_shape


class ModulatoryGain(nn.Module):
    """A trained factor on a layer's weighted sum, initialised to one (chapter 10).

    ``forward(y)`` receives the layer's output ``y = W x + b`` and returns
    ``g (W x) + b``, written ``y + (g - 1)(y - b)`` so that a gain of exactly
    one returns ``y`` bit for bit.  ``b`` is a frozen copy of the layer's own
    bias (``layer_bias``, zeros for a layer without one); the gain methods
    freeze that layer, so the copy stays equal to it.

    Args:
        shape: ``(C, 1, 1)`` for one gain per conv channel, ``(C, H, W)`` for
            one per conv output position (per unit), ``(F,)`` for a linear layer.
        layer_bias: the bias of the layer the gain follows, or None.

    Example:
        >>> layer = nn.Linear(3, 2)
        >>> gain = ModulatoryGain((2,), layer.bias)
        >>> x = torch.rand(4, 3)
        >>> bool(torch.equal(gain(layer(x)), layer(x)))
        True
    """

    def __init__(
        self, shape: tuple[int, ...], layer_bias: torch.Tensor | None = None
    ) -> None:
        super().__init__()
        shape = tuple(shape)
        if not shape or not all(isinstance(s, int) and s > 0 for s in shape):
            raise ValueError(
                f"a modulatory gain needs a shape of positive integers such as "
                f"(C, 1, 1) or (F,), got {shape!r}"
            )
        self.modulatory_gain = nn.Parameter(torch.ones(shape))
        channels = shape[0]
        if layer_bias is None:
            bias = torch.zeros(channels)
        else:
            bias = layer_bias.detach().clone()
            if bias.shape != (channels,):
                raise ValueError(
                    f"layer_bias must hold one value per output ({channels}), got "
                    f"shape {tuple(bias.shape)}; pass the bias of the layer the "
                    "gain follows"
                )
        trailing = [1] * (len(shape) - 1)
        self.register_buffer("layer_bias", bias.reshape(channels, *trailing))

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        return y + (self.modulatory_gain - 1) * (y - self.layer_bias)

    def extra_repr(self) -> str:
        return f"shape={tuple(self.modulatory_gain.shape)}"


def insert_modulatory_gains(
    model: nn.Sequential,
    granularity: str = "channel",
    input_shape: tuple[int, ...] | None = None,
) -> nn.Sequential:
    """A new Sequential with a :class:`ModulatoryGain` after each Conv2d and Linear.

    Like :func:`ntlib.tuning.insert_modulatory_biases` the layers are shared
    with ``model``; any module already behind a layer (a modulatory bias)
    stays behind the gain, so ``nt-gain`` computes ``g (W x) + b + beta``.
    Per-unit gains need ``input_shape`` to know each convolution's output size.
    """
    _check("granularity", granularity, ("channel", "unit"))
    _check_tunable(model, "gain")
    has_conv = any(isinstance(m, nn.Conv2d) for m in model)
    if granularity == "unit" and has_conv and input_shape is None:
        raise ValueError("per-unit modulatory gains need input_shape=(C, H, W)")
    shapes = _output_shapes(model, input_shape) if input_shape else [()] * len(model)
    layers: list[nn.Module] = []
    for layer, shape in zip(model, shapes, strict=True):
        layers.append(layer)
        if isinstance(layer, nn.Conv2d | nn.Linear):
            layers.append(
                ModulatoryGain(bias_shape(layer, shape, granularity), layer.bias)
            )
    return nn.Sequential(*layers)


def fold_gain(target: nn.Module, gain: ModulatoryGain) -> None:
    """Scale ``target``'s weights in place by ``gain`` (W' = g W, b unchanged).

    Raises a ValueError for a per-unit gain on a convolution (its weights are
    shared across positions, so no single factor per filter exists) and when
    ``gain`` was built for another layer's bias.
    """
    if not isinstance(target, nn.Conv2d | nn.Linear):
        raise ValueError(
            f"a ModulatoryGain must follow a Conv2d or Linear, got "
            f"{type(target).__name__}"
        )
    factor = gain.modulatory_gain.detach()
    if isinstance(target, nn.Conv2d) and factor.shape[1:] != (1, 1):
        raise ValueError(
            f"a per-unit gain of shape {tuple(factor.shape)} cannot be folded "
            "into a convolution's shared weights; tune with granularity='channel'"
        )
    own = target.bias.detach() if target.bias is not None else None
    stored = gain.layer_bias.reshape(-1)
    if (own is None and bool(stored.any())) or (
        own is not None and not torch.equal(own, stored)
    ):
        raise ValueError(
            "the ModulatoryGain's copy of the layer bias differs from the layer's "
            "bias; the layer was changed after the gain was inserted"
        )
    factor = factor.reshape(-1, *[1] * (target.weight.dim() - 1))
    with torch.no_grad():
        target.weight.mul_(factor)
