"""Neuromodulatory tuning: frozen weights, exact counts, each method's trainables."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from ntlib import snn_train, train, tuning
from ntlib.chip.design import design_chip, network_scales
from ntlib.data import make_task
from ntlib.modulation import ModulatoryBias, ModulatoryGain, fold_modulatory_biases
from ntlib.train import evaluate, fit, mean_std
from ntlib.tuning import (
    TUNING_METHODS,
    Method,
    nt_param_count,
    prepare,
    total_params,
    trainable_params,
)

SHAPE = (1, 8, 8)


def test_trainable_counts_equal_neuron_counts(small_cnn):
    net = small_cnn(4)  # conv 4 ch, conv 8 ch, linear 16, linear 10
    assert trainable_params(prepare(net, "nt", "channel", SHAPE)) == 4 + 8 + 16 + 10
    unit = 4 * 64 + 8 * 64 + 16 + 10  # one per neuron: convs keep 8x8
    assert trainable_params(prepare(net, "nt", "unit", SHAPE)) == unit
    head = 16 * 10 + 10
    assert trainable_params(prepare(net, "linear")) == head
    assert (
        trainable_params(prepare(net, "nt-head", "channel", SHAPE)) == 4 + 8 + 16 + head
    )
    assert trainable_params(prepare(net, "tft")) == total_params(net)
    assert nt_param_count(net, "channel") == 38
    assert nt_param_count(net, "unit", SHAPE) == unit


def test_biases_follow_every_conv_and_linear(small_cnn):
    tuned = prepare(small_cnn(), "nt", "channel", SHAPE)
    layers = list(tuned)
    for i, layer in enumerate(layers):
        if isinstance(layer, nn.Conv2d | nn.Linear):
            assert isinstance(layers[i + 1], ModulatoryBias)
    names = [n for n, p in tuned.named_parameters() if p.requires_grad]
    assert names and all(n.endswith("modulatory_bias") for n in names)


def test_prepare_copies_and_starts_from_the_same_function(small_cnn):
    net = small_cnn()
    x = torch.rand(5, *SHAPE)
    for method in ("nt", "nt-head", "linear", "tft"):
        tuned = prepare(net, method, "unit", SHAPE)
        assert torch.allclose(tuned(x), net(x))
        assert all(p.requires_grad for p in net.parameters())  # original untouched


def test_nt_training_leaves_frozen_weights_bit_identical(small_cnn):
    rng = np.random.default_rng(0)
    x = rng.random((64, *SHAPE)).astype(np.float32)
    y = (np.arange(64) % 10).astype(np.int64)
    task = make_task(x, y, x, y, "noise")
    net = small_cnn()
    for granularity in ("channel", "unit"):
        tuned = prepare(net, "nt", granularity, SHAPE)
        before = {n: p.detach().clone() for n, p in tuned.named_parameters()}
        fit(tuned, task.target_train, epochs=3, lr=0.05, progress=False)
        changed = [
            n for n, p in tuned.named_parameters() if not torch.equal(p, before[n])
        ]
        assert changed and all(n.endswith("modulatory_bias") for n in changed)
    # the frozen copy of the pretrained weights equals the source bit for bit
    for a, b in zip(
        net.parameters(),
        [p for n, p in tuned.named_parameters() if not n.endswith("modulatory_bias")],
        strict=True,
    ):
        assert torch.equal(a, b)
    assert 0.0 <= evaluate(tuned, task.target_test) <= 1.0


def test_fold_keeps_the_function(small_cnn):
    tuned = prepare(small_cnn(), "nt", "channel", SHAPE)
    with torch.no_grad():
        for m in tuned.modules():
            if isinstance(m, ModulatoryBias):
                m.modulatory_bias.normal_()
    folded = fold_modulatory_biases(tuned)
    assert not any(isinstance(m, ModulatoryBias) for m in folded)
    x = torch.rand(3, *SHAPE)
    assert torch.allclose(folded(x), tuned(x), atol=1e-5)
    with pytest.raises(ValueError, match="per-unit"):
        fold_modulatory_biases(prepare(small_cnn(), "nt", "unit", SHAPE))


def test_bad_names(small_cnn):
    with pytest.raises(ValueError, match="nt, nt-head, linear, tft"):
        prepare(small_cnn(), "bitfit")
    with pytest.raises(ValueError, match="channel, unit"):
        prepare(small_cnn(), "nt", "layer", SHAPE)


def test_mean_std():
    assert mean_std([1.0, 2.0, 3.0]) == (2.0, 1.0)
    assert mean_std([0.5]) == (0.5, 0.0)


@pytest.mark.parametrize(
    ("arch", "channel", "shortcut_channels"),
    [("resnet18", 4_904, 896), ("resnet50", 23_720, 3_840)],
)
def test_resnet_shortcuts_add_into_existing_neurons(arch, channel, shortcut_channels):
    from ntlib.models import torchvision_model

    model = torchvision_model(arch)
    layers = [m for m in model.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
    outputs = sum(
        m.out_channels if isinstance(m, nn.Conv2d) else m.out_features for m in layers
    )
    assert nt_param_count(model, "channel") == channel
    assert outputs - channel == shortcut_channels


def test_resnet18_unit_count_leaves_out_the_shortcut_positions():
    from ntlib.models import torchvision_model

    model = torchvision_model("resnet18")
    outputs: list[int] = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d | nn.Linear):
            m.register_forward_hook(lambda _m, _i, out: outputs.append(out[0].numel()))
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 3, 224, 224))
    # every layer output minus the shortcuts' 128x28x28 + 256x14x14 + 512x7x7
    assert sum(outputs) - 175_616 == 2_309_096
    assert nt_param_count(model, "unit", (3, 224, 224)) == 2_309_096


def test_per_channel_nt_makes_the_updates_of_bitfit(small_cnn):
    """Chapter 2: per-channel NT == training the existing biases (BitFit)."""
    x = torch.rand(64, *SHAPE)
    y = torch.arange(64) % 10
    data = torch.utils.data.TensorDataset(x, y)
    net = small_cnn(4)
    nt = prepare(net, "nt", "channel", SHAPE)
    bitfit = prepare(net, "tft")
    for name, p in bitfit.named_parameters():
        p.requires_grad_(name.endswith("bias"))
    fit(nt, data, epochs=3, lr=1e-2, batch_size=16, seed=0)
    fit(bitfit, data, epochs=3, lr=1e-2, batch_size=16, seed=0)
    folded = fold_modulatory_biases(nt)
    moved = [
        (a, b)
        for (name, a), b in zip(folded.named_parameters(), bitfit.parameters())
        if name.endswith("bias")
    ]
    assert moved and all(torch.allclose(a, b, atol=1e-5) for a, b in moved)
    assert not torch.equal(moved[0][1], net[0].bias)  # the biases did move


#: A method no module knows: a gain per neuron plus a retrained output layer.
GAIN_HEAD = Method(
    "gain-head",
    "a gain per neuron plus a retrained output layer",
    trains_bias=False,
    trains_gain=True,
    weights="head",
    lr=0.05,
)


def test_every_list_of_methods_is_read_from_the_table():
    names = [m.name for m in TUNING_METHODS]
    assert list(tuning.METHODS) == names
    assert list(tuning.METHOD_DESCRIPTIONS) == names
    assert train.DEFAULT_LR == {m.name: m.lr for m in TUNING_METHODS}
    assert tuning.GAIN_METHODS == ("gain", "nt-gain")
    assert snn_train.SPIKING_METHODS == ("nt", "nt-head", "linear", "tft")
    assert snn_train.DEFAULT_SNN_LR == {
        "nt": 3e-2, "nt-head": 3e-2, "linear": 1e-2, "tft": 1e-3
    }


def test_a_new_method_is_one_table_entry(small_cnn, monkeypatch):
    monkeypatch.setattr(tuning, "TUNING_METHODS", (*TUNING_METHODS, GAIN_HEAD))
    net = small_cnn(4)
    tuned = prepare(net, "gain-head", "channel", SHAPE)
    gains = [m for m in tuned if isinstance(m, ModulatoryGain)]
    assert [g.modulatory_gain.numel() for g in gains] == [4, 8, 16]  # not the head
    head = [m for m in tuned if isinstance(m, nn.Linear)][-1]
    assert all(p.requires_grad for p in head.parameters())
    assert trainable_params(tuned) == 4 + 8 + 16 + 16 * 10 + 10
    x = torch.rand(3, *SHAPE)
    assert torch.equal(tuned(x), net(x))  # gains of one: the same function
    # the chip maps it like any tuned network: modulators are no layer of theirs
    design = design_chip(tuned, network_scales(net, x), _circuit(), SHAPE)
    assert len(design.layers) == 4


def test_a_method_must_say_which_weights_it_trains(small_cnn):
    with pytest.raises(ValueError, match="weights must be one of none, head, all"):
        Method("x", "x", trains_bias=True, trains_gain=False, weights="some", lr=1.0)
    with pytest.raises(ValueError, match="unknown method 'gain-head'"):
        prepare(small_cnn(), "gain-head")
    assert trainable_params(prepare(small_cnn(4), GAIN_HEAD)) == 4 + 8 + 16 + 170


def _circuit():
    from ntlib.chip.circuit_model import CircuitModel

    return CircuitModel(
        corner="tt", temp_c=27.0, supply_v=(0.9, 1.8),
        excite_gain=(0.01, 0.2), inhibit_gain=(0.01, 0.2),
        threshold_v=0.57, rheobase_a=1e-8, tau_s=6e-4,
        bias_range_rheobase=(-50.0, 50.0), bias_gap_rheobase=(-0.01, 0.01),
        sigma={"excite": 0.0, "inhibit": 0.0, "bias": 0.0, "bias_sink": 0.0},
        bias_source=((0.0, 1.8), (0.0, 5e-7)), bias_sink=((0.0, 1.8), (0.0, 5e-7)),
        refractory_s=0.0,
    )
