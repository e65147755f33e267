"""Tuning methods: one table, and :func:`prepare` that reads it.

See chapters ``neuromodulatory_tuning`` and ``orders_of_magnitude``.

A *method* says which parameters of a pretrained network a new task may
train: a modulatory bias per neuron (NT, chapter ``neuromodulatory_tuning``), a gain per neuron
(chapter ``chip``), the output layer, or every weight (traditional fine-tuning).
Each method is one :class:`Method` record in :data:`TUNING_METHODS`; the
names, descriptions, learning rates and the spiking methods that other
modules list are all read from it, so a new method is one new entry.  The
parameter counts of chapters ``frozen_cnn``-``orders_of_magnitude``
(:func:`trainable_params`, :func:`nt_param_count`, :func:`nt_saving`) live here too.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import nn

from ntlib.checks import check_choice
from ntlib.modulation import (
    check_granularity,
    insert_modulatory_biases,
    insert_modulatory_gains,
)

#: What a method trains of the pretrained layers themselves.
TRAINED_WEIGHTS: tuple[str, ...] = ("none", "head", "all")


@dataclass(frozen=True)
class Method:
    """One way to adapt a pretrained network to a new task.

    See chapter ``neuromodulatory_tuning``.

    Attributes:
        name: what the reader types (``prepare(model, "nt")``).
        description: one line for tables and ``--help``.
        trains_bias: a :class:`~ntlib.modulation.ModulatoryBias` after every
            Conv2d and Linear (not the output layer when it is retrained).
        trains_gain: a :class:`~ntlib.modulation.ModulatoryGain` after every
            Conv2d and Linear (not the output layer when it is retrained).
        weights: which pretrained layers train: ``"none"``, ``"head"`` (the
            output layer's weights and bias) or ``"all"``.
        lr: Adam's default learning rate for the deep network.
        spiking_lr: Adam's default learning rate for surrogate training of a
            spiking network (chapter ``nt_in_snn``); ``None`` where the method is not
            available for spiking networks.
    """

    name: str
    description: str
    trains_bias: bool
    trains_gain: bool
    weights: str
    lr: float
    spiking_lr: float | None = None

    def __post_init__(self) -> None:
        if self.weights not in TRAINED_WEIGHTS:
            raise ValueError(
                f"Method {self.name!r}: weights must be one of "
                f"{', '.join(TRAINED_WEIGHTS)}, got {self.weights!r}"
            )

    @property
    def per_neuron(self) -> bool:
        """Whether the method inserts a modulator per neuron."""
        return self.trains_bias or self.trains_gain

    @property
    def spiking(self) -> bool:
        """Whether a spiking network can be tuned with it (chapter ``nt_in_snn``)."""
        return self.spiking_lr is not None

    def setup(
        self, tuned: nn.Sequential, granularity: str, input_shape
    ) -> nn.Sequential:
        """Set up ``tuned`` (a copy of the pretrained network, changed in place)."""
        for parameter in tuned.parameters():
            parameter.requires_grad_(self.weights == "all")
        head = self.weights == "head"
        if head:
            last = [m for m in tuned if isinstance(m, nn.Linear)][-1]
            for parameter in last.parameters():
                parameter.requires_grad_(True)
        if self.trains_bias:
            tuned = insert_modulatory_biases(
                tuned, granularity, input_shape, skip_last=head
            )
        if self.trains_gain:
            tuned = insert_modulatory_gains(
                tuned, granularity, input_shape, skip_last=head
            )
        return tuned


#: Learning rates: a bias-only network moves further per unit of change than a
#: full one, so NT is given a larger step (chapter ``neuromodulatory_tuning``); the gain methods' rates
#: were chosen on validation data (noise and class-split, 1e-3 to 3,
#: benchmarks/bench_gain.py --select-lr; chapter ``chip``).  In a spiking network the
#: injected currents are the deep network's biases divided by the layer scales,
#: and only a few epochs are affordable, so NT takes a larger step there
#: (chapter ``nt_in_snn``).  A gain-tuned network converts once its gains are folded.
TUNING_METHODS: tuple[Method, ...] = (
    Method("nt", "neuromodulatory tuning: a bias per neuron, every weight frozen",
           trains_bias=True, trains_gain=False, weights="none",
           lr=1e-2, spiking_lr=3e-2),
    Method("nt-head", "neuromodulatory tuning plus a retrained output layer",
           trains_bias=True, trains_gain=False, weights="head",
           lr=1e-2, spiking_lr=3e-2),
    Method("linear", "linear probe: only the output layer is trained",
           trains_bias=False, trains_gain=False, weights="head",
           lr=1e-2, spiking_lr=1e-2),
    Method("tft", "traditional fine-tuning: every weight and bias is trained",
           trains_bias=False, trains_gain=False, weights="all",
           lr=1e-3, spiking_lr=1e-3),
    Method("gain", "a gain per neuron on its weighted input, every weight frozen",
           trains_bias=False, trains_gain=True, weights="none", lr=3e-1),
    Method("nt-gain", "a bias and a gain per neuron, every weight frozen",
           trains_bias=True, trains_gain=True, weights="none", lr=1e-1),
)

#: The names of :data:`TUNING_METHODS`, in table order.
METHODS: tuple[str, ...] = tuple(m.name for m in TUNING_METHODS)
#: One line per method, read from the table.
METHOD_DESCRIPTIONS: dict[str, str] = {m.name: m.description for m in TUNING_METHODS}
#: The methods that train a multiplicative :class:`~ntlib.modulation.ModulatoryGain`.
GAIN_METHODS: tuple[str, ...] = tuple(m.name for m in TUNING_METHODS if m.trains_gain)


def get_method(name: str | Method) -> Method:
    """The :class:`Method` called ``name`` (a Method is returned as it is).

    Example:
        >>> get_method("nt").lr
        0.01
    """
    if isinstance(name, Method):
        return name
    names = [entry.name for entry in TUNING_METHODS]  # read now: the table may grow
    return TUNING_METHODS[names.index(check_choice("method", name, names))]


def _check_tunable(model: nn.Module, entry: Method) -> None:
    """Raise a TypeError/ValueError if ``entry`` cannot be applied to ``model``."""
    name = entry.name
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch nn.Module, got {type(model).__name__}")
    if entry.per_neuron and not isinstance(model, nn.Sequential):
        raise TypeError(
            f"method {name!r} inserts per-neuron parameters into an nn.Sequential, got "
            f"{type(model).__name__}; build the model as an nn.Sequential"
        )
    layers = list(model) if isinstance(model, nn.Sequential) else list(model.modules())
    if entry.per_neuron and not any(
        isinstance(m, nn.Conv2d | nn.Linear) for m in layers
    ):
        raise ValueError(
            f"model has no Conv2d or Linear layer, so method {name!r} has no "
            "neuron to give a modulatory bias or gain; layers: "
            f"{', '.join(type(m).__name__ for m in layers) or 'none'}"
        )
    if entry.weights == "head" and not any(isinstance(m, nn.Linear) for m in layers):
        raise ValueError(
            f"method {name!r} retrains the output layer, but model has no "
            "Linear layer"
        )
    if entry.weights == "all" and not any(True for _ in model.parameters()):
        raise ValueError(f"method {name!r} trains the weights, but model has none")


def prepare(
    model: nn.Sequential,
    method: str | Method,
    granularity: str = "channel",
    input_shape: tuple[int, int, int] | None = None,
) -> nn.Sequential:
    """A copy of a pretrained ``model`` set up for one tuning method.

    See chapter ``neuromodulatory_tuning``.

    The pretrained weights are deep-copied; ``model`` is never changed.  The
    method's :class:`Method` entry says what trains:

    - ``nt``: a zero :class:`~ntlib.modulation.ModulatoryBias` after every
      Conv2d and Linear; every pretrained parameter frozen.
    - ``nt-head``: as ``nt``, but the output layer is retrained (its weights
      and bias) and carries no modulatory bias of its own.
    - ``linear``: every parameter frozen except the output layer's.
    - ``tft``: every parameter trainable.
    - ``gain``: a :class:`~ntlib.modulation.ModulatoryGain` of one after every
      Conv2d and Linear (scaling its weighted sum, not its bias); every
      pretrained parameter frozen (chapter ``chip``).
    - ``nt-gain``: both a gain and a modulatory bias after every Conv2d and
      Linear; every pretrained parameter frozen (chapter ``chip``).

    Args:
        model: the pretrained network (a Sequential of Conv2d/ReLU/...).
        method: one of :data:`METHODS`, or a :class:`Method` of your own.
        granularity: one of :data:`ntlib.modulation.GRANULARITIES` (the bias and gain methods).
        input_shape: ``(C, H, W)`` of one image; needed per unit.

    Example:
        >>> from ntlib.models import build_cnn
        >>> net = prepare(build_cnn((1, 8, 8), 10), "nt")
        >>> trainable_params(net)  # 16 + 32 + 64 + 10 neurons
        122
    """
    entry = get_method(method)
    check_granularity(granularity)
    _check_tunable(model, entry)
    if input_shape is not None and (
        not isinstance(input_shape, tuple | list)
        or not all(isinstance(s, int) and s > 0 for s in input_shape)
    ):
        raise ValueError(
            f"input_shape must be (C, H, W) of positive integers, got {input_shape!r}"
        )
    return entry.setup(copy.deepcopy(model), granularity, input_shape)


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
    """Modulatory biases NT would add to any network: one per neuron.

    See chapter ``orders_of_magnitude``.

    Counts every ``Conv2d`` and ``Linear`` anywhere in ``model`` (not only a
    Sequential), per output channel or, with ``granularity="unit"``, per
    output position (this needs ``input_shape`` and runs one forward pass).
    It counts neurons, not layer outputs: a residual block's shortcut
    projection (a ResNet's ``downsample``) adds into the same post-addition
    neurons as the block's last convolution, so it adds none of its own.
    """
    check_granularity(granularity)
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


def architecture_param_counts(arch: str) -> dict[str, object]:
    """Total parameters of a torchvision ``arch`` and its NT biases.

    See chapter ``orders_of_magnitude``.

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
    """How many times fewer parameters NT trains than TFT on ``model``.

    See chapters ``frozen_cnn``-``orders_of_magnitude``.

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
