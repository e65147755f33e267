"""Signed weight codes for the analog synapse: per-layer quantisation.

See chapter ``energy``.

The analog synapse of chapters ``analog_neuron`` and ``supply_voltage`` takes a signed
integer *weight code* (-7..+7 for 3 bits and a sign): the code selects how many unit
current sources an input spike switches on, and the sign selects the excitatory or the
inhibitory bank.  Chapter ``energy`` quantises the book's CNN to such codes, one scale
per layer, measures what the quantisation costs in accuracy and weighs each synaptic
event by the energy of its code.  A network put on a simulated chip reuses the same
codes and scales.

Each layer's scale is ``max |w| / max_code``: the largest weight of the layer
gets the largest code, zero stays zero, and every weight is within half a
scale step of its dequantised value ``code * scale``.  Biases are not
quantised (on the circuit they are currents, set by a supply voltage).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import nn

#: Largest code of the book's synapse: 3 bits of magnitude and a sign.
MAX_CODE = 7
_AFFINE = (nn.Conv2d, nn.Linear)


@dataclass(frozen=True)
class QuantisedLayer:
    """The weight codes and scale of one ``Conv2d`` or ``Linear`` layer.

    Attributes:
        index: position of the layer in the ``nn.Sequential``.
        name: a short label (``"conv 1->16, 3x3"``, ``"dense 2048->64"``).
        scale: weight value of one code step (``code * scale`` is the weight).
        codes: integer tensor, the weight's shape, values in
            ``-max_code..max_code``.
    """

    index: int
    name: str
    scale: float
    codes: torch.Tensor

    def dequantised(self) -> torch.Tensor:
        """The weights the codes stand for, ``codes * scale``."""
        return self.codes.to(torch.float32) * self.scale


def _check_max_code(max_code: int) -> None:
    if isinstance(max_code, bool) or not isinstance(max_code, int) or max_code < 1:
        raise ValueError(
            f"max_code must be a positive integer (7 for the book's synapse), "
            f"got {max_code!r}"
        )


def quantise_tensor(
    weight: torch.Tensor, max_code: int = MAX_CODE
) -> tuple[torch.Tensor, float]:
    """Signed integer codes and one scale for a tensor (chapter ``energy``).

    The scale is ``max |weight| / max_code``; codes are ``weight / scale``
    rounded to the nearest integer.  An all-zero tensor gets scale 1 and
    all-zero codes.

    Example:
        >>> codes, scale = quantise_tensor(torch.tensor([0.7, -0.35, 0.0, 0.04]))
        >>> codes.tolist(), round(scale, 3)
        ([7, -4, 0, 0], 0.1)
    """
    _check_max_code(max_code)
    if not torch.is_floating_point(weight):
        raise ValueError(f"weights must be floating point, got dtype {weight.dtype}")
    if not bool(torch.isfinite(weight).all()):
        raise ValueError("weights contain NaN or infinity; cannot quantise them")
    largest = float(weight.detach().abs().max()) if weight.numel() else 0.0
    scale = largest / max_code if largest > 0 else 1.0
    codes = torch.round(weight.detach() / scale).clamp(-max_code, max_code)
    return codes.to(torch.int8 if max_code <= 127 else torch.int32), scale


def layer_name(module: nn.Module) -> str:
    """A Conv2d's or Linear's name in tables: ``conv 1->8, 3x3``, ``dense 64->10``."""
    if isinstance(module, nn.Conv2d):
        kh, kw = module.kernel_size
        return f"conv {module.in_channels}->{module.out_channels}, {kh}x{kw}"
    return f"dense {module.in_features}->{module.out_features}"


def quantise_layers(
    model: nn.Sequential, max_code: int = MAX_CODE
) -> list[QuantisedLayer]:
    """Per-layer weight codes of every ``Conv2d`` and ``Linear`` (chapter ``energy``).

    Example:
        >>> net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
        >>> [q.codes.abs().max().item() for q in quantise_layers(net)]
        [7, 7]
    """
    if not isinstance(model, nn.Sequential):
        raise ValueError(  # noqa: TRY004 - reported to the reader as a bad value
            f"quantise_layers reads an nn.Sequential, got {type(model).__name__}"
        )
    layers = []
    for index, module in enumerate(model):
        if isinstance(module, _AFFINE):
            codes, scale = quantise_tensor(module.weight, max_code)
            layers.append(QuantisedLayer(index, layer_name(module), scale, codes))
    if not layers:
        raise ValueError("the model has no Conv2d or Linear layer to quantise")
    return layers


def quantised_model(
    model: nn.Sequential, max_code: int = MAX_CODE
) -> tuple[nn.Sequential, list[QuantisedLayer]]:
    """A copy of ``model`` whose weights are their dequantised codes.

    See chapter ``energy``.

    Biases (and any modulatory biases) are kept as they are.  ``model`` is
    not changed.  Returns the copy and its :class:`QuantisedLayer` list.

    Example:
        >>> net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
        >>> copy_, layers = quantised_model(net)
        >>> bool((copy_[0].weight == layers[0].dequantised()).all())
        True
    """
    layers = quantise_layers(model, max_code)
    quantised = copy.deepcopy(model)
    with torch.no_grad():
        for layer in layers:
            quantised[layer.index].weight.copy_(layer.dequantised())
    return quantised, layers


def code_histogram(codes: torch.Tensor, max_code: int = MAX_CODE) -> dict[int, int]:
    """How many weights carry each signed code ``-max_code..max_code``."""
    _check_max_code(max_code)
    flat = codes.flatten().to(torch.int64) + max_code
    counts = torch.bincount(flat, minlength=2 * max_code + 1)
    return {code - max_code: int(n) for code, n in enumerate(counts.tolist())}
