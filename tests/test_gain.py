"""The gain methods: a factor per neuron on its weighted input, never on its bias."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from ntlib.cli import main
from ntlib.conversion import convert
from ntlib.data import load_task
from ntlib.memory_lean import lean_copy
from ntlib.modulation import (
    ModulatoryBias,
    ModulatoryGain,
    fold_modulatory_biases,
    insert_modulatory_gains,
)
from ntlib.snn_train import tune_spiking
from ntlib.train import DEFAULT_LR, fit
from ntlib.transfer import gain_comparison
from ntlib.tuning import (
    METHOD_DESCRIPTIONS,
    METHODS,
    nt_param_count,
    nt_saving,
    prepare,
    total_params,
    trainable_params,
)

SHAPE = (1, 8, 8)


def _randomise(model: nn.Module) -> None:
    torch.manual_seed(1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, ModulatoryGain):
                m.modulatory_gain.uniform_(-0.5, 2.0)
            if isinstance(m, ModulatoryBias):
                m.modulatory_bias.normal_(0, 0.3)


def test_methods_are_registered_with_a_description_and_a_rate():
    for method in ("gain", "nt-gain"):
        assert method in METHODS
        assert "gain" in METHOD_DESCRIPTIONS[method]
        assert DEFAULT_LR[method] > 0


def test_gain_shapes_follow_the_bias_shapes(small_cnn):
    for granularity, conv_shapes in (
        ("channel", [(4, 1, 1), (8, 1, 1)]),
        ("unit", [(4, 8, 8), (8, 8, 8)]),
    ):
        tuned = prepare(small_cnn(), "gain", granularity, SHAPE)
        shapes = [
            tuple(m.modulatory_gain.shape)
            for m in tuned.modules()
            if isinstance(m, ModulatoryGain)
        ]
        assert shapes == [*conv_shapes, (16,), (10,)]
        layers = list(tuned)
        for i, layer in enumerate(layers):
            if isinstance(layer, nn.Conv2d | nn.Linear):
                assert isinstance(layers[i + 1], ModulatoryGain)


def test_untrained_gain_equals_the_source_exactly(small_cnn):
    net = small_cnn()
    x = torch.rand(7, *SHAPE)
    for method in ("gain", "nt-gain"):
        for granularity in ("channel", "unit"):
            tuned = prepare(net, method, granularity, SHAPE)
            gains = [m for m in tuned.modules() if isinstance(m, ModulatoryGain)]
            assert gains and all(
                torch.equal(g.modulatory_gain, torch.ones_like(g.modulatory_gain))
                for g in gains
            )
            assert torch.equal(tuned(x), net(x))


def test_gain_scales_the_weighted_sum_not_the_layer_bias():
    torch.manual_seed(0)
    layer = nn.Linear(3, 2)
    gain = ModulatoryGain((2,), layer.bias)
    with torch.no_grad():
        gain.modulatory_gain.copy_(torch.tensor([2.0, -0.5]))
    x = torch.rand(5, 3)
    expected = torch.tensor([2.0, -0.5]) * (x @ layer.weight.T) + layer.bias
    assert torch.allclose(gain(layer(x)), expected, atol=1e-6)
    assert not torch.allclose(gain(layer(x)), torch.tensor([2.0, -0.5]) * layer(x))


def test_only_gains_train_and_frozen_weights_stay_bit_identical(random_task, small_cnn):
    task = random_task()
    net = small_cnn()
    for method, allowed in (
        ("gain", ("modulatory_gain",)),
        ("nt-gain", ("modulatory_gain", "modulatory_bias")),
    ):
        tuned = prepare(net, method, "channel", SHAPE)
        trainable = [n for n, p in tuned.named_parameters() if p.requires_grad]
        assert trainable and all(n.endswith(allowed) for n in trainable)
        assert {n.rsplit(".", 1)[1] for n in trainable} == set(allowed)
        before = {n: p.detach().clone() for n, p in tuned.named_parameters()}
        fit(tuned, task.target_train, epochs=3, lr=0.05, progress=False)
        changed = {
            n for n, p in tuned.named_parameters() if not torch.equal(p, before[n])
        }
        assert changed and all(n.endswith(allowed) for n in changed)
        for m in tuned.modules():
            if isinstance(m, ModulatoryGain):  # the bias copy is frozen too
                assert not m.layer_bias.requires_grad
    assert all(p.requires_grad for p in net.parameters())  # source untouched


def test_parameter_counts_are_one_gain_per_neuron(small_cnn):
    net = small_cnn(4)  # conv 4 ch, conv 8 ch, linear 16, linear 10
    channel = nt_param_count(net, "channel")
    unit = nt_param_count(net, "unit", SHAPE)
    assert (channel, unit) == (38, 4 * 64 + 8 * 64 + 16 + 10)
    assert trainable_params(prepare(net, "gain", "channel", SHAPE)) == channel
    assert trainable_params(prepare(net, "gain", "unit", SHAPE)) == unit
    assert trainable_params(prepare(net, "nt-gain", "channel", SHAPE)) == 2 * channel
    assert trainable_params(prepare(net, "nt-gain", "unit", SHAPE)) == 2 * unit
    tuned = prepare(net, "nt-gain", "channel", SHAPE)
    assert total_params(tuned) == total_params(net) + 2 * channel
    assert nt_saving(tuned) == nt_saving(net)  # gains are not pretrained weights


@pytest.mark.parametrize("method", ["gain", "nt-gain"])
def test_folding_gains_keeps_the_function(small_cnn, method):
    tuned = prepare(small_cnn(), method, "channel", SHAPE)
    _randomise(tuned)
    folded = fold_modulatory_biases(tuned)
    assert not any(isinstance(m, ModulatoryGain | ModulatoryBias) for m in folded)
    x = torch.rand(9, *SHAPE)
    assert torch.allclose(folded(x), tuned(x), rtol=1e-5, atol=1e-5)
    # biases are untouched by a gain: the layer's own bias plus the modulatory one
    source_convs = [m for m in small_cnn() if isinstance(m, nn.Conv2d)]
    folded_convs = [m for m in folded if isinstance(m, nn.Conv2d)]
    extra = [m for m in tuned if isinstance(m, ModulatoryBias)]
    for i, (a, b) in enumerate(zip(source_convs, folded_convs, strict=True)):
        expected = a.bias + (extra[i].modulatory_bias.reshape(-1) if extra else 0)
        assert torch.allclose(b.bias, expected)
        gain = [m for m in tuned if isinstance(m, ModulatoryGain)][i]
        assert torch.allclose(b.weight, a.weight * gain.modulatory_gain[:, :, :, None])
    # the folded network converts to a spiking one
    spiking = convert(folded, torch.rand(32, *SHAPE))
    assert spiking(x, timesteps=4).shape == (9, 10)


def test_unfolded_gains_and_unit_gains_are_refused_with_advice(small_cnn):
    tuned = prepare(small_cnn(), "gain", "unit", SHAPE)
    with pytest.raises(ValueError, match="per-unit gain of shape \\(4, 8, 8\\)"):
        fold_modulatory_biases(tuned)
    with pytest.raises(ValueError, match="fold_modulatory_biases"):
        convert(prepare(small_cnn(), "gain", "channel", SHAPE), torch.rand(8, *SHAPE))


def test_a_silent_weighted_input_gives_a_gain_nothing_to_scale():
    torch.manual_seed(0)
    layer = nn.Linear(4, 3)
    with torch.no_grad():
        layer.weight[0].zero_()  # neuron 0 receives nothing
    tuned_gain = prepare(nn.Sequential(layer), "gain")
    tuned_bias = prepare(nn.Sequential(layer), "nt")
    x = torch.rand(16, 4)
    tuned_gain(x)[:, 0].sum().backward()
    tuned_bias(x)[:, 0].sum().backward()
    gain = tuned_gain[1].modulatory_gain.grad
    bias = tuned_bias[1].modulatory_bias.grad
    assert gain[0] == 0 and bias[0] == 16  # only the bias can move neuron 0


def test_bad_input_is_a_clear_error(small_cnn):
    with pytest.raises(ValueError, match="positive integers"):
        ModulatoryGain((0, 1, 1))
    with pytest.raises(ValueError, match="one value per output \\(3\\)"):
        ModulatoryGain((3,), torch.zeros(4))
    with pytest.raises(ValueError, match="per-unit modulatory gains need input_shape"):
        insert_modulatory_gains(small_cnn(), "unit")
    with pytest.raises(ValueError, match="channel, unit"):
        prepare(small_cnn(), "gain", "layer", SHAPE)
    with pytest.raises(TypeError, match="nn.Sequential"):
        prepare(nn.ModuleList([nn.Linear(2, 2)]), "nt-gain")
    with pytest.raises(ValueError, match="no Conv2d or Linear"):
        prepare(nn.Sequential(nn.ReLU()), "gain")
    task = load_task("digits", "noise")
    with pytest.raises(ValueError, match="not available for spiking networks"):
        tune_spiking(small_cnn(), task, "gain")
    with pytest.raises(ValueError, match="non-empty tuple of seeds"):
        gain_comparison(small_cnn(), task, seeds=())
    with pytest.raises(ValueError, match="unknown methods"):
        gain_comparison(small_cnn(), task, lrs={"bitfit": 0.1})


def test_gain_comparison_rows(random_task, small_cnn):
    task = random_task()
    rows = gain_comparison(small_cnn(2), task, "channel", seeds=(0,), epochs=1)
    configs = [r["config"] for r in rows]
    assert configs == ["frozen", "nt", "gain", "nt-gain", "tft"]
    params = {r["config"]: r["trainable_params"] for r in rows}
    neurons = 2 + 4 + 8 + 10
    assert params == {
        "frozen": 0,
        "nt": neurons,
        "gain": neurons,
        "nt-gain": 2 * neurons,
        "tft": total_params(small_cnn(2)),
    }
    assert all(0.0 <= r["target_test_acc"] <= 1.0 for r in rows)


@pytest.mark.parametrize("method", ["gain", "nt-gain"])
def test_transfer_command_accepts_the_gain_methods(method, tmp_path, capsys):
    argv = ["transfer", "--task", "invert", "--method", method, "--width", "2"]
    argv += ["--epochs", "1", "--pretrain-epochs", "1", "--cache-dir", str(tmp_path)]
    assert main([*argv, "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    neurons = 2 + 4 + 8 + 10
    assert result["method"] == method
    assert result["trainable_params"] == neurons * (2 if method == "nt-gain" else 1)


def test_spiking_command_does_not_offer_the_gain_methods(capsys):
    with pytest.raises(SystemExit):
        main(["snn-transfer", "--method", "gain"])
    assert "unknown spiking method 'gain'" in capsys.readouterr().err


@pytest.mark.parametrize("method", ["gain", "nt-gain"])
def test_memory_lean_copy_computes_the_same_and_trains_the_gains(small_cnn, method):
    tuned = prepare(small_cnn(), method, "channel", SHAPE)
    _randomise(tuned)
    lean = lean_copy(tuned)
    x = torch.rand(6, *SHAPE)
    assert torch.allclose(lean(x), tuned(x), atol=1e-6)
    lean(x).sum().backward()
    gains = [m for m in tuned.modules() if isinstance(m, ModulatoryGain)]
    assert all(g.modulatory_gain.grad is not None for g in gains)
