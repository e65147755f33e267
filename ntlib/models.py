"""A small CNN for the source task, and standard architectures to count.

See chapters ``frozen_cnn``, ``orders_of_magnitude``.

The network is made only of ``Conv2d``, ``ReLU`` (or the QCFS activation of
chapter ``ann_to_snn``), ``AvgPool2d``, ``Flatten`` and ``Linear`` layers (no
batch-norm, no max-pooling), so that a later chapter can convert it into a spiking
network neuron for neuron.
"""

from __future__ import annotations

from torch import nn

from ntlib.checks import check_choice
from ntlib.qcfs import check_activation, make_activation

#: Default number of filters of the first convolution.
DEFAULT_WIDTH = 16


def build_cnn(
    input_shape: tuple[int, int, int],
    num_classes: int,
    width: int = DEFAULT_WIDTH,
    activation: str = "relu",
    levels: int | None = None,
) -> nn.Sequential:
    """Two 3x3 convolutions, a hidden dense layer and an output layer.

    See chapter ``frozen_cnn``.

    ``conv(width) - relu - [pool] - conv(2 width) - relu - [pool] - flatten -
    linear(4 width) - relu - linear(num_classes)``.  A 2x2 average pooling
    follows a convolution only while the image is 12 pixels or wider, so 8x8
    digits keep their resolution and 28x28 images end at 7x7.

    Args:
        input_shape: ``(C, H, W)`` of one image.
        num_classes: outputs of the last layer.
        width: filters of the first convolution (the others scale with it).
        activation: ``"relu"``, or ``"qcfs"`` for a network trained to convert
            into a spiking one that runs ``levels`` time steps (chapter ``ann_to_snn``).
        levels: the QCFS staircase's number of steps (``qcfs`` only).

    Example:
        >>> net = build_cnn((1, 8, 8), 10, width=16)
        >>> sum(p.numel() for p in net.parameters())
        136586
    """
    channels, height, width_px = (int(s) for s in input_shape)
    if width < 1 or num_classes < 1 or min(channels, height, width_px) < 1:
        raise ValueError(
            f"build_cnn needs positive sizes, got input_shape={input_shape}, "
            f"num_classes={num_classes}, width={width}"
        )
    check_activation(activation, levels)
    layers: list[nn.Module] = []
    in_ch = channels
    for out_ch in (width, 2 * width):
        layers += [nn.Conv2d(in_ch, out_ch, 3, padding=1)]
        layers.append(make_activation(activation, levels))
        if height >= 12 and width_px >= 12:
            layers.append(nn.AvgPool2d(2))
            height, width_px = height // 2, width_px // 2
        in_ch = out_ch
    layers += [
        nn.Flatten(),
        nn.Linear(in_ch * height * width_px, 4 * width),
        make_activation(activation, levels),
        nn.Linear(4 * width, num_classes),
    ]
    return nn.Sequential(*layers)


#: Standard torchvision architectures compared in chapter ``orders_of_magnitude``, with input size.
ARCHITECTURES: dict[str, tuple[int, int, int]] = {
    "alexnet": (3, 224, 224),
    "vgg11": (3, 224, 224),
    "vgg16": (3, 224, 224),
    "resnet18": (3, 224, 224),
    "resnet50": (3, 224, 224),
    "mobilenet_v2": (3, 224, 224),
    "googlenet": (3, 224, 224),
    "inception_v3": (3, 299, 299),
}


def torchvision_model(arch: str) -> nn.Module:
    """A torchvision architecture built with random weights (nothing downloaded).

    Introduced in chapter ``orders_of_magnitude``.  ``arch`` is one of
    :data:`ARCHITECTURES`.
    """
    check_choice("architecture", arch, ARCHITECTURES)
    from torchvision import models as tv_models

    kwargs: dict[str, object] = {"weights": None}
    if arch in ("googlenet", "inception_v3"):
        kwargs.update(aux_logits=False, init_weights=False)
    return getattr(tv_models, arch)(**kwargs).eval()
