"""Per-layer signed weight codes of ntlib.quantise (chapter 9)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ntlib.quantise import (
    MAX_CODE,
    code_histogram,
    quantise_layers,
    quantise_tensor,
    quantised_model,
)


def _net() -> nn.Sequential:
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(64, 10),
    )
    with torch.no_grad():
        net[3].weight.mul_(10.0)  # a different scale from the convolution
        net[0].weight[0, 0, 0, 0] = 0.0
    return net


def test_codes_in_range_and_largest_weight_gets_largest_code() -> None:
    for layer in quantise_layers(_net()):
        assert layer.codes.dtype == torch.int8
        assert int(layer.codes.min()) >= -MAX_CODE
        assert int(layer.codes.max()) <= MAX_CODE
        assert int(layer.codes.abs().max()) == MAX_CODE


def test_scale_is_per_layer() -> None:
    net = _net()
    conv, dense = quantise_layers(net)
    assert conv.scale == pytest.approx(float(net[0].weight.detach().abs().max()) / 7)
    assert dense.scale == pytest.approx(float(net[3].weight.detach().abs().max()) / 7)
    assert dense.scale > 2 * conv.scale
    assert [conv.index, dense.index] == [0, 3]


def test_dequantised_error_within_half_a_step_and_zero_stays_zero() -> None:
    net = _net()
    for layer in quantise_layers(net):
        weight = net[layer.index].weight.detach()
        error = (layer.dequantised() - weight).abs().max()
        assert float(error) <= layer.scale / 2 + 1e-7
    assert int(quantise_layers(net)[0].codes[0, 0, 0, 0]) == 0
    codes, scale = quantise_tensor(torch.zeros(3))
    assert codes.tolist() == [0, 0, 0] and scale == 1.0


def test_quantised_model_copies_and_keeps_biases() -> None:
    net = _net()
    before = net[0].weight.detach().clone()
    copy_, layers = quantised_model(net)
    assert torch.equal(net[0].weight, before)
    assert torch.equal(copy_[0].weight, layers[0].dequantised())
    assert torch.equal(copy_[3].bias, net[3].bias)
    assert not torch.equal(copy_[3].weight, net[3].weight)


def test_histogram_and_bad_input() -> None:
    hist = code_histogram(torch.tensor([-7, 0, 0, 3, 7], dtype=torch.int8))
    assert hist[0] == 2 and hist[-7] == 1 and hist[3] == 1 and hist[5] == 0
    assert sorted(hist) == list(range(-7, 8))
    with pytest.raises(ValueError, match="max_code"):
        quantise_tensor(torch.ones(2), max_code=0)
    with pytest.raises(ValueError, match="NaN"):
        quantise_tensor(torch.tensor([1.0, float("nan")]))
    with pytest.raises(ValueError, match="Sequential"):
        quantise_layers(nn.Linear(2, 2))  # type: ignore[arg-type]
