"""Neuromodulatory tuning: a supplemental bias on every neuron (chapter 2).

A :class:`ModulatoryBias` sits right after a frozen ``Conv2d`` or ``Linear``
layer and adds a learned offset to its pre-activation, shifting how easily
each neuron behind it fires.
"""

from __future__ import annotations

import copy

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


#: Ways to adapt a pretrained network to the target task (chapter 2).
METHODS: tuple[str, ...] = ("nt", "nt-head", "linear", "tft", "gain", "nt-gain")
#: The methods that train a multiplicative :class:`~ntlib.gain.ModulatoryGain`.
GAIN_METHODS: tuple[str, ...] = ("gain", "nt-gain")
#: The methods that insert a per-neuron parameter into an nn.Sequential.
_NEURON_METHODS: tuple[str, ...] = ("nt", "nt-head", "gain", "nt-gain")
#: One modulatory bias per channel (filter or linear unit) or per unit (neuron).
GRANULARITIES: tuple[str, ...] = ("channel", "unit")

METHOD_DESCRIPTIONS: dict[str, str] = {
    "nt": "neuromodulatory tuning: a bias per neuron, every weight frozen",
    "nt-head": "neuromodulatory tuning plus a retrained output layer",
    "linear": "linear probe: only the output layer is trained",
    "tft": "traditional fine-tuning: every weight and bias is trained",
    "gain": "a gain per neuron on its weighted input, every weight frozen",
    "nt-gain": "a bias and a gain per neuron, every weight frozen",
}


def _check(kind: str, value: str, valid: tuple[str, ...]) -> None:
    if value not in valid:
        raise ValueError(
            f"unknown {kind} {value!r}; valid names are: {', '.join(valid)}"
        )


def _output_shapes(
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


def _check_tunable(model: nn.Module, method: str) -> None:
    """Raise a TypeError/ValueError if ``method`` cannot be applied to ``model``."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch nn.Module, got {type(model).__name__}")
    if method in _NEURON_METHODS and not isinstance(model, nn.Sequential):
        raise TypeError(
            f"method {method!r} inserts per-neuron parameters into an nn.Sequential, got "
            f"{type(model).__name__}; build the model as an nn.Sequential"
        )
    layers = list(model) if isinstance(model, nn.Sequential) else list(model.modules())
    if method in _NEURON_METHODS and not any(
        isinstance(m, nn.Conv2d | nn.Linear) for m in layers
    ):
        raise ValueError(
            f"model has no Conv2d or Linear layer, so method {method!r} has no "
            "neuron to give a modulatory bias or gain; layers: "
            f"{', '.join(type(m).__name__ for m in layers) or 'none'}"
        )
    if method in ("linear", "nt-head") and not any(
        isinstance(m, nn.Linear) for m in layers
    ):
        raise ValueError(
            f"method {method!r} retrains the output layer, but model has no "
            "Linear layer"
        )
    if method == "tft" and not any(True for _ in model.parameters()):
        raise ValueError("method 'tft' trains the weights, but model has none")


def bias_shape(
    layer: nn.Module, output_shape: tuple[int, ...], granularity: str
) -> tuple[int, ...]:
    """Shape of the modulatory bias after ``layer`` at ``granularity``.

    A linear layer always gets one bias per output unit.  A convolution gets
    one per filter (``(C, 1, 1)``, per channel) or one per output position
    (``(C, H, W)``, per unit: literally one per neuron).
    """
    _check("granularity", granularity, GRANULARITIES)
    if isinstance(layer, nn.Linear):
        return (layer.out_features,)
    if isinstance(layer, nn.Conv2d):
        channels = layer.out_channels
        if granularity == "channel":
            return (channels, 1, 1)
        return tuple(output_shape)
    raise ValueError(f"no modulatory bias for a {type(layer).__name__} layer")


def insert_modulatory_biases(
    model: nn.Sequential,
    granularity: str = "channel",
    input_shape: tuple[int, ...] | None = None,
    skip_last: bool = False,
) -> nn.Sequential:
    """A new Sequential with a :class:`ModulatoryBias` after each Conv2d and Linear.

    The layers themselves are shared with ``model`` (not copied).  Per-unit
    biases need ``input_shape`` to know each convolution's output size.
    ``skip_last`` leaves the last Linear without one (it is retrained instead).
    """
    _check("granularity", granularity, GRANULARITIES)
    _check_tunable(model, "nt")
    has_conv = any(isinstance(m, nn.Conv2d) for m in model)
    if granularity == "unit" and has_conv and input_shape is None:
        raise ValueError("per-unit modulatory biases need input_shape=(C, H, W)")
    shapes = _output_shapes(model, input_shape) if input_shape else [()] * len(model)
    last = max(i for i, m in enumerate(model) if isinstance(m, nn.Conv2d | nn.Linear))
    layers: list[nn.Module] = []
    for i, (layer, shape) in enumerate(zip(model, shapes, strict=True)):
        layers.append(layer)
        if isinstance(layer, nn.Conv2d | nn.Linear) and not (skip_last and i == last):
            layers.append(ModulatoryBias(bias_shape(layer, shape, granularity)))
    return nn.Sequential(*layers)


def prepare(
    model: nn.Sequential,
    method: str,
    granularity: str = "channel",
    input_shape: tuple[int, int, int] | None = None,
) -> nn.Sequential:
    """A copy of a pretrained ``model`` set up for one tuning method (chapter 2).

    The pretrained weights are deep-copied; ``model`` is never changed.

    - ``nt``: a zero :class:`ModulatoryBias` after every Conv2d and Linear;
      every pretrained parameter frozen (``requires_grad=False``).
    - ``nt-head``: as ``nt``, but the output layer is retrained (its weights
      and bias) and carries no modulatory bias of its own.
    - ``linear``: every parameter frozen except the output layer's.
    - ``tft``: every parameter trainable.
    - ``gain``: a :class:`~ntlib.gain.ModulatoryGain` of one after every
      Conv2d and Linear (scaling its weighted sum, not its bias); every
      pretrained parameter frozen (chapter 10).
    - ``nt-gain``: both a gain and a modulatory bias after every Conv2d and
      Linear; every pretrained parameter frozen (chapter 10).

    Args:
        model: the pretrained network (a Sequential of Conv2d/ReLU/...).
        method: one of :data:`METHODS`.
        granularity: one of :data:`GRANULARITIES` (the bias and gain methods).
        input_shape: ``(C, H, W)`` of one image; needed per unit.

    Example:
        >>> from ntlib.models import build_cnn
        >>> net = prepare(build_cnn((1, 8, 8), 10), "nt")
        >>> trainable_params(net)  # 16 + 32 + 64 + 10 neurons
        122
    """
    _check("method", method, METHODS)
    _check("granularity", granularity, GRANULARITIES)
    _check_tunable(model, method)
    if input_shape is not None and (
        not isinstance(input_shape, tuple | list)
        or not all(isinstance(s, int) and s > 0 for s in input_shape)
    ):
        raise ValueError(
            f"input_shape must be (C, H, W) of positive integers, got {input_shape!r}"
        )
    tuned = copy.deepcopy(model)
    for parameter in tuned.parameters():
        parameter.requires_grad_(method == "tft")
    if method in ("linear", "nt-head"):
        head = [m for m in tuned if isinstance(m, nn.Linear)][-1]
        for parameter in head.parameters():
            parameter.requires_grad_(True)
    if method in ("nt", "nt-head", "nt-gain"):
        tuned = insert_modulatory_biases(
            tuned, granularity, input_shape, skip_last=method == "nt-head"
        )
    if method in GAIN_METHODS:
        from ntlib.gain import insert_modulatory_gains  # gain builds on this module

        tuned = insert_modulatory_gains(tuned, granularity, input_shape)
    return tuned


def trainable_params(model: nn.Module) -> int:
    """Number of parameters that training will change (``requires_grad``)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def total_params(model: nn.Module) -> int:
    """Number of parameters, trainable or frozen."""
    return sum(p.numel() for p in model.parameters())


def pretrained_params(model: nn.Module) -> int:
    """Parameters of the network without its modulatory biases and gains."""
    return sum(
        p.numel()
        for name, p in model.named_parameters()
        if not name.endswith(("modulatory_bias", "modulatory_gain"))
    )


def _shortcut_layers(model: nn.Module) -> set[int]:
    """Ids of the layers inside residual shortcuts (``downsample`` submodules)."""
    inside: set[int] = set()
    for module in model.modules():
        shortcut = getattr(module, "downsample", None)
        if isinstance(shortcut, nn.Module):
            inside.update(id(m) for m in shortcut.modules())
    return inside


def _neuron_layers(model: nn.Module) -> list[nn.Module]:
    """The Conv2d/Linear layers whose outputs are neurons of their own."""
    shortcut = _shortcut_layers(model)
    return [
        m
        for m in model.modules()
        if isinstance(m, nn.Conv2d | nn.Linear) and id(m) not in shortcut
    ]


def nt_param_count(
    model: nn.Module,
    granularity: str = "channel",
    input_shape: tuple[int, int, int] | None = None,
) -> int:
    """Modulatory biases NT would add to any network: one per neuron (chapter 3).

    Counts every ``Conv2d`` and ``Linear`` anywhere in ``model`` (not only a
    Sequential), per output channel or, with ``granularity="unit"``, per
    output position (this needs ``input_shape`` and runs one forward pass).
    It counts neurons, not layer outputs: a residual block's shortcut
    projection (a ResNet's ``downsample``) adds into the same post-addition
    neurons as the block's last convolution, so it adds none of its own.
    """
    _check("granularity", granularity, GRANULARITIES)
    layers = _neuron_layers(model)
    if granularity == "channel":
        return sum(
            m.out_channels if isinstance(m, nn.Conv2d) else m.out_features
            for m in layers
        )
    if input_shape is None:
        raise ValueError("per-unit counts need input_shape=(C, H, W)")
    counts: list[int] = []
    hooks = [
        m.register_forward_hook(lambda _m, _i, out: counts.append(out[0].numel()))
        for m in layers
    ]
    try:
        was_training = model.training
        model.eval()
        with torch.no_grad():
            model(torch.zeros((1, *input_shape)))
        model.train(was_training)
    finally:
        for hook in hooks:
            hook.remove()
    return sum(counts)


def fold_modulatory_biases(model: nn.Sequential) -> nn.Sequential:
    """A copy with each per-channel modulatory bias added into the layer's bias.

    A :class:`~ntlib.gain.ModulatoryGain` is folded into the layer's weights
    (``W' = g W``, the layer's bias unchanged; chapter 10).  The folded
    network computes the same function with plain Conv2d/Linear layers (for
    conversion to a spiking network).  Per-unit biases or gains on a
    convolution cannot be folded and raise a ValueError.
    """
    from ntlib.gain import ModulatoryGain, fold_gain  # gain builds on this module

    layers: list[nn.Module] = []
    for layer in model:
        if isinstance(layer, ModulatoryGain):
            if not layers:
                raise ValueError("a ModulatoryGain must follow a Conv2d or Linear")
            fold_gain(layers[-1], layer)
            continue
        if isinstance(layer, ModulatoryBias):
            if not layers or not isinstance(layers[-1], nn.Conv2d | nn.Linear):
                raise ValueError("a ModulatoryBias must follow a Conv2d or Linear")
            target = layers[-1]
            extra = layer.modulatory_bias.detach()
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
            continue
        layers.append(copy.deepcopy(layer))
    return nn.Sequential(*layers)


def architecture_param_counts(arch: str) -> dict[str, object]:
    """Total parameters of a torchvision ``arch`` and its NT biases (chapter 3).

    ``nt_params`` counts one bias per channel, ``nt_params_unit`` one per
    neuron at the architecture's usual input size; ``ratio`` is total over
    per-channel NT parameters.
    """
    from ntlib.models import ARCHITECTURES, torchvision_model

    model = torchvision_model(arch)
    input_shape = ARCHITECTURES[arch]
    total = total_params(model)
    nt_channel = nt_param_count(model, "channel")
    nt_unit = nt_param_count(model, "unit", input_shape)
    return {
        "arch": arch,
        "input_shape": list(input_shape),
        "total_params": total,
        "nt_params": nt_channel,
        "nt_params_unit": nt_unit,
        "ratio": total / nt_channel,
        "ratio_unit": total / nt_unit,
    }


def nt_saving(
    model: nn.Module,
    granularity: str = "channel",
    input_shape: tuple[int, int, int] | None = None,
) -> float:
    """How many times fewer parameters NT trains than TFT on ``model`` (chapters 1-3).

    TFT trains every pretrained weight and bias; NT trains one modulatory bias
    per neuron (:func:`nt_param_count`). ``model`` may be the pretrained
    network or a copy that :func:`prepare` gave modulatory biases: those are
    not counted as pretrained parameters.

    Example:
        >>> from ntlib.models import build_cnn
        >>> round(nt_saving(build_cnn((1, 8, 8), 10, width=16)), 1)
        1119.6
    """
    return pretrained_params(model) / nt_param_count(model, granularity, input_shape)
