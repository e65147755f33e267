"""What a seed varies in chapters 2 and 6, and the share of the gap recovered."""

from __future__ import annotations

import math

import pytest
import torch

from ntlib.train import gap_recovered
from ntlib.transfer import seeded_source


def test_gap_recovered_is_the_share_of_the_frozen_to_tft_gap():
    assert gap_recovered(0.882, 0.869, 0.906) == pytest.approx(0.013 / 0.037)
    assert gap_recovered(0.869, 0.869, 0.906) == 0.0
    assert gap_recovered(0.906, 0.869, 0.906) == pytest.approx(1.0)
    assert gap_recovered(0.95, 0.5, 0.9) == pytest.approx(1.125)  # beats TFT
    assert math.isnan(gap_recovered(0.8, 0.9, 0.9))  # TFT gained nothing


def test_gap_recovered_rejects_a_non_number():
    with pytest.raises(TypeError, match="tft must be a number"):
        gap_recovered(0.5, 0.4, None)  # type: ignore[arg-type]


def test_a_seed_varies_pretraining_and_noise_but_not_the_split(tmp_path):
    (task0, source0), (task1, source1) = (
        seeded_source("digits", "noise", seed, width=2, epochs=1, cache_dir=tmp_path)
        for seed in (0, 1)
    )
    # the same images, split the same way
    assert torch.equal(task0.source_test.tensors[0], task1.source_test.tensors[0])
    assert torch.equal(task0.target_test.tensors[1], task1.target_test.tensors[1])
    # a different noise draw and a differently initialised, trained source
    assert not torch.equal(task0.target_train.tensors[0], task1.target_train.tensors[0])
    assert not torch.equal(source0[0].weight, source1[0].weight)
    again, _ = seeded_source(
        "digits", "noise", 1, width=2, epochs=1, cache_dir=tmp_path
    )
    assert torch.equal(again.target_test.tensors[0], task1.target_test.tensors[0])
