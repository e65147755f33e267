"""Memory-lean NT: the same function and gradients, fewer saved activations."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from ntlib.memory_lean import LeanConvBlock, lean_copy
from ntlib.models import build_cnn
from ntlib.tuning import prepare


def _saved_bytes(model, x):
    total = []

    def pack(t):
        total.append(t.numel() * t.element_size())
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        F.cross_entropy(model(x), torch.zeros(len(x), dtype=torch.long)).backward()
    return sum(total)


@pytest.mark.parametrize("shape", [(1, 8, 8), (1, 28, 28), (1, 27, 27)])
@pytest.mark.parametrize("granularity", ["channel", "unit"])
def test_lean_copy_matches_loss_and_gradients(shape, granularity):
    torch.manual_seed(0)
    net = prepare(build_cnn(shape, 10, width=4), "nt", granularity, shape)
    with torch.no_grad():
        for name, p in net.named_parameters():
            if name.endswith("modulatory_bias"):
                p.normal_(0, 0.3)
    lean = lean_copy(net)
    assert any(isinstance(m, LeanConvBlock) for m in lean)
    x, y = torch.rand(6, *shape), torch.randint(0, 10, (6,))
    trainable = [p for p in net.parameters() if p.requires_grad]
    loss = F.cross_entropy(net(x), y)
    lean_loss = F.cross_entropy(lean(x), y)
    assert torch.allclose(loss, lean_loss)
    for a, b in zip(
        torch.autograd.grad(loss, trainable),
        torch.autograd.grad(lean_loss, trainable),
        strict=True,
    ):
        assert torch.allclose(a, b, atol=1e-6)
    # the lean copy shares the parameters: they are the same objects
    assert {id(p) for p in lean.parameters()} == {id(p) for p in net.parameters()}


def test_lean_copy_saves_a_fraction_of_the_activations():
    shape = (1, 28, 28)
    net = prepare(build_cnn(shape, 10, width=8), "nt", "channel", shape)
    x = torch.rand(16, *shape)
    assert _saved_bytes(lean_copy(net), x) < 0.35 * _saved_bytes(net, x)
