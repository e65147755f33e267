"""The neuromodulatory signal on each neuron: a bias or a gain.

See chapters ``neuromodulatory_tuning`` and ``chip``.

A *modulator* sits right after a frozen ``Conv2d`` or ``Linear`` layer and
changes how the neurons behind it respond, while the layer's weights stay
frozen:

- :class:`ModulatoryBias` (chapter ``neuromodulatory_tuning``) adds a learned offset to the layer's
  pre-activation, shifting how easily each neuron fires;
- :class:`ModulatoryGain` (chapter ``chip``) scales the layer's weighted sum, as a
  synapse's supply voltage scales the currents reaching an analog neuron.

A modulator holds one value per channel (``"channel"``: one per conv filter
or dense unit) or per unit (``"unit"``: one per conv output position,
literally one per neuron).  :func:`insert_modulatory_biases` and
:func:`insert_modulatory_gains` put them into a network;
:func:`fold_modulatory_biases` folds them back into plain layers.  Which
method trains which modulator is :mod:`ntlib.tuning`'s table.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from ntlib.checks import check_choice

#: One modulator per channel (filter or linear unit) or per unit (neuron).
GRANULARITIES: tuple[str, ...] = ("channel", "unit")


def check_granularity(granularity: str) -> None:
    """Raise a ValueError naming the valid granularities if ``granularity`` is not one."""
    check_choice("granularity", granularity, GRANULARITIES)


class Modulator(nn.Module):
    """A trained per-neuron signal that follows a frozen Conv2d or Linear layer.

    The base of :class:`ModulatoryBias` and :class:`ModulatoryGain`: code that
    maps a network elsewhere (a spiking network, a chip) reads a modulator's
    values from the layer it follows, not as a layer of its own.
    """


class ModulatoryBias(Modulator):
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


class ModulatoryGain(Modulator):
    """A trained factor on a layer's weighted sum, initialised to one.

    See chapter ``chip``.

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


def output_shapes(
    model: nn.Sequential, input_shape: tuple[int, ...]
) -> list[tuple[int, ...]]:
    """Shape (without batch) of every layer's output for one input image."""
    shapes = []
    x = torch.zeros((1, *input_shape))
    with torch.no_grad():
        for layer in model:
            x = layer(x)
            shapes.append(tuple(x.shape[1:]))
    return shapes


def bias_shape(
    layer: nn.Module, output_shape: tuple[int, ...], granularity: str
) -> tuple[int, ...]:
    """Shape of the modulator (bias or gain) after ``layer`` at ``granularity``.

    A linear layer always gets one value per output unit.  A convolution gets
    one per filter (``(C, 1, 1)``, per channel) or one per output position
    (``(C, H, W)``, per unit: literally one per neuron).
    """
    check_granularity(granularity)
    if isinstance(layer, nn.Linear):
        return (layer.out_features,)
    if isinstance(layer, nn.Conv2d):
        channels = layer.out_channels
        if granularity == "channel":
            return (channels, 1, 1)
        return tuple(output_shape)
    raise ValueError(f"no modulatory bias for a {type(layer).__name__} layer")


def _insert(
    model: nn.Sequential,
    make,
    granularity: str,
    input_shape: tuple[int, ...] | None,
    skip_last: bool,
    kind: str,
) -> nn.Sequential:
    """A new Sequential with ``make(layer, shape)`` after each Conv2d and Linear."""
    check_granularity(granularity)
    if not isinstance(model, nn.Sequential):
        raise TypeError(
            f"modulatory {kind}es go into an nn.Sequential, got "
            f"{type(model).__name__}; build the model as an nn.Sequential"
        )
    affine = [i for i, m in enumerate(model) if isinstance(m, nn.Conv2d | nn.Linear)]
    if not affine:
        raise ValueError(
            f"model has no Conv2d or Linear layer, so it has no neuron to give a "
            f"modulatory {kind}; layers: "
            f"{', '.join(type(m).__name__ for m in model) or 'none'}"
        )
    has_conv = any(isinstance(m, nn.Conv2d) for m in model)
    if granularity == "unit" and has_conv and input_shape is None:
        raise ValueError(f"per-unit modulatory {kind}s need input_shape=(C, H, W)")
    shapes = output_shapes(model, input_shape) if input_shape else [()] * len(model)
    layers: list[nn.Module] = []
    for i, (layer, shape) in enumerate(zip(model, shapes, strict=True)):
        layers.append(layer)
        if i in affine and not (skip_last and i == affine[-1]):
            layers.append(make(layer, bias_shape(layer, shape, granularity)))
    return nn.Sequential(*layers)


def insert_modulatory_biases(
    model: nn.Sequential,
    granularity: str = "channel",
    input_shape: tuple[int, ...] | None = None,
    skip_last: bool = False,
) -> nn.Sequential:
    """A new Sequential with a :class:`ModulatoryBias` after each Conv2d and Linear.

    The layers themselves are shared with ``model`` (not copied).  Per-unit
    biases need ``input_shape`` to know each convolution's output size.
    ``skip_last`` leaves the last Conv2d/Linear without one (it is retrained
    instead).  Introduced in chapter ``neuromodulatory_tuning``.
    """
    return _insert(
        model,
        lambda _layer, shape: ModulatoryBias(shape),
        granularity,
        input_shape,
        skip_last,
        "bias",
    )


def insert_modulatory_gains(
    model: nn.Sequential,
    granularity: str = "channel",
    input_shape: tuple[int, ...] | None = None,
    skip_last: bool = False,
) -> nn.Sequential:
    """A new Sequential with a :class:`ModulatoryGain` after each Conv2d and Linear.

    Like :func:`insert_modulatory_biases` the layers are shared with
    ``model``; any module already behind a layer (a modulatory bias) stays
    behind the gain, so ``nt-gain`` computes ``g (W x) + b + beta``.
    Per-unit gains need ``input_shape`` to know each convolution's output
    size.  Introduced in chapter ``chip``.
    """
    return _insert(
        model,
        lambda layer, shape: ModulatoryGain(shape, layer.bias),
        granularity,
        input_shape,
        skip_last,
        "gain",
    )


def fold_gain(target: nn.Module, gain: ModulatoryGain) -> None:
    """Scale ``target``'s weights in place by ``gain`` (W' = g W, b unchanged).

    Raises a ValueError for a per-unit gain on a convolution (its weights are
    shared across positions, so no single factor per filter exists) and when
    ``gain`` was built for another layer's bias.  Introduced in chapter ``chip``.
    """
    if not isinstance(target, nn.Conv2d | nn.Linear):
        raise ValueError(  # noqa: TRY004 - a misplaced gain, reported as a bad value
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


def fold_bias(target: nn.Module, bias: ModulatoryBias) -> None:
    """Add a per-channel ``bias`` into ``target``'s own bias, in place.

    See chapter ``ann_to_snn``.

    A per-unit bias on a convolution cannot be folded (the layer's bias is
    one per channel) and raises a ValueError.
    """
    if not isinstance(target, nn.Conv2d | nn.Linear):
        raise ValueError(  # noqa: TRY004 - a misplaced bias, reported as a bad value
            "a ModulatoryBias must follow a Conv2d or Linear"
        )
    extra = bias.modulatory_bias.detach()
    if isinstance(target, nn.Conv2d):
        if extra.shape[1:] != (1, 1):
            raise ValueError(
                f"a per-unit bias of shape {tuple(extra.shape)} cannot be "
                "folded into a convolution's per-channel bias"
            )
        extra = extra.reshape(-1)
    if target.bias is None:
        target.bias = nn.Parameter(torch.zeros(extra.shape))
    with torch.no_grad():
        target.bias += extra


def fold_modulatory_biases(model: nn.Sequential) -> nn.Sequential:
    """A copy with each per-channel modulator folded into the layer before it.

    A :class:`ModulatoryBias` is added into the layer's bias; a
    :class:`ModulatoryGain` is folded into the layer's weights (``W' = g W``,
    the layer's bias unchanged; chapter ``chip``).  The folded network computes the
    same function with plain Conv2d/Linear layers (for conversion to a spiking
    network, chapter ``ann_to_snn``).  Per-unit biases or gains on a convolution cannot
    be folded and raise a ValueError.
    """
    layers: list[nn.Module] = []
    for layer in model:
        if isinstance(layer, ModulatoryGain):
            if not layers:
                raise ValueError("a ModulatoryGain must follow a Conv2d or Linear")
            fold_gain(layers[-1], layer)
            continue
        if isinstance(layer, ModulatoryBias):
            fold_bias(layers[-1] if layers else None, layer)  # type: ignore[arg-type]
            continue
        layers.append(copy.deepcopy(layer))
    return nn.Sequential(*layers)
