"""Memory-lean neuromodulatory tuning: frozen layers that keep no activations.

See chapter ``neuromodulatory_tuning``.

Autograd saves every convolution's and dense layer's *input* for the weight
gradient, even when the weight is frozen, and every ReLU's full output.  With
the weights frozen, NT needs neither: the gradient with respect to a layer's
input needs only the (frozen) weights, and a ReLU's gradient needs only which
neurons fired, one byte each instead of four.  :func:`lean_copy` rebuilds an
NT-prepared network from such layers.  It shares the parameters of the
original, so training the lean copy tunes the original's modulatory biases.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ntlib.modulation import ModulatoryBias


class _FrozenConv2dFn(torch.autograd.Function):
    """A convolution with frozen weights that saves only the weights."""

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation, groups):
        ctx.save_for_backward(weight)
        ctx.config = (x.shape, stride, padding, dilation, groups)
        return F.conv2d(x, weight, bias, stride, padding, dilation, groups)

    @staticmethod
    def backward(ctx, grad):
        (weight,) = ctx.saved_tensors
        shape, stride, padding, dilation, groups = ctx.config
        grad_x = None
        if ctx.needs_input_grad[0]:
            grad_x = torch.nn.grad.conv2d_input(
                shape, weight, grad, stride, padding, dilation, groups
            )
        return grad_x, None, None, None, None, None, None


class _FrozenLinearFn(torch.autograd.Function):
    """A dense layer with frozen weights that saves only the weights."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(weight)
        return F.linear(x, weight, bias)

    @staticmethod
    def backward(ctx, grad):
        (weight,) = ctx.saved_tensors
        grad_x = grad @ weight if ctx.needs_input_grad[0] else None
        return grad_x, None, None


class _BiasReLUFn(torch.autograd.Function):
    """``relu(x + modulatory_bias)`` saving a one-byte mask of the active neurons."""

    @staticmethod
    def forward(ctx, x, bias):
        out = (x + bias).clamp_min_(0)
        ctx.save_for_backward(out > 0)
        ctx.bias_shape = bias.shape
        return out

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        grad = grad.masked_fill(~mask, 0.0)
        grad_bias = (
            grad.sum_to_size(ctx.bias_shape) if ctx.needs_input_grad[1] else None
        )
        grad_x = grad if ctx.needs_input_grad[0] else None
        return grad_x, grad_bias


class _AvgPoolFn(torch.autograd.Function):
    """Non-overlapping average pooling that saves only the input's shape."""

    @staticmethod
    def forward(ctx, x, kernel):
        ctx.config = (x.shape, kernel)
        return F.avg_pool2d(x, kernel)

    @staticmethod
    def backward(ctx, grad):
        shape, kernel = ctx.config
        up = F.interpolate(grad, scale_factor=kernel, mode="nearest")
        up.div_(kernel * kernel)
        pad_h, pad_w = shape[-2] - up.shape[-2], shape[-1] - up.shape[-1]
        if pad_h or pad_w:  # rows and columns the pooling dropped get no gradient
            up = F.pad(up, (0, pad_w, 0, pad_h))
        return up, None


class _FrozenConvBlockFn(torch.autograd.Function):
    """Frozen conv, modulatory bias, ReLU and optional pooling in one step.

    Forward works in place on the convolution's fresh output and keeps only a
    one-byte mask of the active neurons; backward works in place on the
    gradient it creates itself.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, modulatory_bias, config, pool):
        stride, padding, dilation, groups = config
        y = F.conv2d(x, weight, bias, stride, padding, dilation, groups)
        y.add_(modulatory_bias).clamp_min_(0)
        mask = y > 0
        ctx.save_for_backward(weight, mask)
        ctx.config = (x.shape, config, pool, modulatory_bias.shape)
        return F.avg_pool2d(y, pool) if pool else y

    @staticmethod
    def backward(ctx, grad):
        weight, mask = ctx.saved_tensors
        shape, (stride, padding, dilation, groups), pool, bias_shape = ctx.config
        if pool:
            g = F.interpolate(grad, scale_factor=pool, mode="nearest")
            g.div_(pool * pool)
            pad_h, pad_w = mask.shape[-2] - g.shape[-2], mask.shape[-1] - g.shape[-1]
            if pad_h or pad_w:
                g = F.pad(g, (0, pad_w, 0, pad_h))
            g.mul_(mask)  # g is ours: mask it in place
        else:
            g = grad * mask
        grad_bias = g.sum_to_size(bias_shape) if ctx.needs_input_grad[3] else None
        grad_x = None
        if ctx.needs_input_grad[0]:
            grad_x = torch.nn.grad.conv2d_input(
                shape, weight, g, stride, padding, dilation, groups
            )
        return grad_x, None, None, grad_bias, None, None


class LeanConvBlock(nn.Module):
    """Frozen ``Conv2d`` + :class:`ModulatoryBias` + ReLU (+ ``AvgPool2d``), fused.

    The layers are shared with the original network, not copied.
    """

    def __init__(
        self, conv: nn.Conv2d, modulatory: ModulatoryBias, pool: int | None = None
    ) -> None:
        super().__init__()
        self.conv = conv
        self.modulatory = modulatory
        self.pool = pool or 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = self.conv
        config = (c.stride, c.padding, c.dilation, c.groups)
        return _FrozenConvBlockFn.apply(
            x, c.weight, c.bias, self.modulatory.modulatory_bias, config, self.pool
        )


class LeanFrozenConv2d(nn.Module):
    """A frozen ``Conv2d`` (shared, not copied) that keeps no input for backward."""

    def __init__(self, conv: nn.Conv2d) -> None:
        super().__init__()
        self.conv = conv

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = self.conv
        return _FrozenConv2dFn.apply(
            x, c.weight, c.bias, c.stride, c.padding, c.dilation, c.groups
        )


class LeanFrozenLinear(nn.Module):
    """A frozen ``Linear`` (shared, not copied) that keeps no input for backward."""

    def __init__(self, linear: nn.Linear) -> None:
        super().__init__()
        self.linear = linear

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _FrozenLinearFn.apply(x, self.linear.weight, self.linear.bias)


class LeanBiasReLU(nn.Module):
    """A :class:`ModulatoryBias` (shared) fused with the ReLU that follows it."""

    def __init__(self, modulatory: ModulatoryBias) -> None:
        super().__init__()
        self.modulatory = modulatory

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _BiasReLUFn.apply(x, self.modulatory.modulatory_bias)


class LeanAvgPool2d(nn.Module):
    """``AvgPool2d(k)`` with stride k that keeps no input for backward."""

    def __init__(self, kernel: int) -> None:
        super().__init__()
        self.kernel = kernel

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _AvgPoolFn.apply(x, self.kernel)


def _frozen(layer: nn.Module) -> bool:
    return not any(p.requires_grad for p in layer.parameters())


def _pool_kernel(pool: nn.AvgPool2d) -> int | None:
    """The kernel of a plain non-overlapping pooling, else None."""
    k, s = pool.kernel_size, pool.stride
    if isinstance(k, int) and s in (k, None) and pool.padding == 0:
        return k
    return None


def lean_copy(model: nn.Sequential) -> nn.Sequential:
    """The same network, sharing its parameters, with memory-lean frozen layers.

    A frozen Conv2d followed by a ModulatoryBias, a ReLU and (optionally) a
    non-overlapping average pooling becomes one fused :class:`LeanConvBlock`
    that keeps only a one-byte mask; other frozen Conv2d/Linear layers keep no
    input for backward; a ModulatoryBias followed by a ReLU keeps a mask.  Trainable layers (TFT, a
    retrained head) are kept as they are.  Use it to train; the original
    model sees every update, since the parameters are the same objects.

    Example:
        >>> from ntlib.models import build_cnn
        >>> from ntlib.tuning import prepare
        >>> net = prepare(build_cnn((1, 8, 8), 10), "nt")
        >>> lean = lean_copy(net)
        >>> x = torch.rand(2, 1, 8, 8)
        >>> bool(torch.allclose(lean(x), net(x)))
        True
    """
    layers = list(model)
    out: list[nn.Module] = []
    i = 0
    while i < len(layers):
        layer = layers[i]
        following = layers[i + 1] if i + 1 < len(layers) else None
        block = layers[i : i + 4]
        if (
            len(block) >= 3
            and isinstance(layer, nn.Conv2d)
            and _frozen(layer)
            and isinstance(block[1], ModulatoryBias)
            and isinstance(block[2], nn.ReLU)
        ):
            pool = None
            if len(block) == 4 and isinstance(block[3], nn.AvgPool2d):
                pool = _pool_kernel(block[3])
            out.append(LeanConvBlock(layer, block[1], pool))
            i += 4 if pool else 3
            continue
        if isinstance(layer, ModulatoryBias) and isinstance(following, nn.ReLU):
            out.append(LeanBiasReLU(layer))
            i += 2
            continue
        if isinstance(layer, nn.Conv2d) and _frozen(layer):
            out.append(LeanFrozenConv2d(layer))
        elif isinstance(layer, nn.Linear) and _frozen(layer):
            out.append(LeanFrozenLinear(layer))
        elif isinstance(layer, nn.AvgPool2d) and _pool_kernel(layer):
            out.append(LeanAvgPool2d(_pool_kernel(layer)))  # type: ignore[arg-type]
        else:
            out.append(layer)
        i += 1
    return nn.Sequential(*out)
