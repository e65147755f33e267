"""The small CNN and its cached pretraining."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ntlib.models import build_cnn
from ntlib.pretrain import cache_path, pretrained_source_model
from ntlib.tuning import total_params

ALLOWED = (nn.Conv2d, nn.ReLU, nn.AvgPool2d, nn.Flatten, nn.Linear)


@pytest.mark.parametrize(("shape", "pools"), [((1, 8, 8), 0), ((1, 28, 28), 2)])
def test_cnn_is_convertible_and_shapes_fit(shape, pools):
    net = build_cnn(shape, 10, width=4)
    assert all(isinstance(m, ALLOWED) for m in net)
    assert sum(isinstance(m, nn.AvgPool2d) for m in net) == pools
    assert all(m.bias is not None for m in net if isinstance(m, nn.Conv2d | nn.Linear))
    assert net(torch.zeros(2, *shape)).shape == (2, 10)


def test_cnn_parameter_count_is_exact():
    # conv 1->16: 160, conv 16->32: 4640, linear 2048->64: 131136, 64->10: 650
    assert total_params(build_cnn((1, 8, 8), 10, width=16)) == 136586


def test_pretraining_is_cached_and_corrupt_cache_rebuilt(random_task, tmp_path):
    task = random_task(n=40, test=20, dataset="tiny")
    first = pretrained_source_model(task, width=2, epochs=2, cache_dir=tmp_path)
    path = cache_path(task, 2, 2, 0, tmp_path)
    assert path.exists()
    again = pretrained_source_model(task, width=2, epochs=2, cache_dir=tmp_path)
    for a, b in zip(first.parameters(), again.parameters(), strict=True):
        assert torch.equal(a, b)
    path.write_bytes(b"not a checkpoint")
    with pytest.warns(RuntimeWarning, match="could not be read"):
        rebuilt = pretrained_source_model(task, width=2, epochs=2, cache_dir=tmp_path)
    for a, b in zip(first.parameters(), rebuilt.parameters(), strict=True):
        assert torch.equal(a, b)  # same seed, same model
    assert torch.load(path, weights_only=True)  # a valid checkpoint again
    other = cache_path(task, 3, 2, 0, tmp_path)
    assert other != path
