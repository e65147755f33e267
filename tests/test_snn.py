"""ANN-to-SNN conversion, spiking NT and LIF neurons (ntlib.snn, snn_train, lif)."""

from __future__ import annotations

import json

import pytest
import torch
from conftest import SMALL_NETWORK_ARGS
from torch import nn
from torch.utils.data import TensorDataset

from ntlib.cli import main
from ntlib.conversion import activation_scales, convert
from ntlib.lif import analytic_firing_rate_hz, firing_rate_hz
from ntlib.modulation import ModulatoryBias
from ntlib.snn import evaluate_snn
from ntlib.snn_train import fit_snn


def small_cnn(seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.ReLU(),
        nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Linear(4 * 4 * 4, 8),
        nn.ReLU(),
        nn.Linear(8, 3),
    )


def images(n: int = 64, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, 1, 8, 8, generator=torch.Generator().manual_seed(seed))


def test_same_output_twice_in_a_row_even_after_another_batch_size():
    network = convert(small_cnn(), images())
    x = images(16, seed=1)
    first = network(x, timesteps=20)
    network(images(5, seed=2), timesteps=7)  # other state, other batch size
    second = network(x, timesteps=20)
    assert torch.equal(first, second)


def test_spiking_output_approaches_the_ann_as_t_grows():
    model = small_cnn()
    x = images(32, seed=3)
    with torch.no_grad():
        ann = model(x)
    network = convert(model, images(), norm="max")
    with torch.no_grad():
        record = network.simulate(x, [8, 64, 512])
    errors = [float((record.outputs[t] - ann).abs().mean()) for t in (8, 64, 512)]
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 0.02 * float(ann.abs().mean())


def test_max_norm_scale_is_the_largest_activation():
    model = small_cnn()
    x = images()
    scales = activation_scales(model, x, "max")
    with torch.no_grad():
        hidden = model[:2](x)
    assert len(scales) == 2
    assert scales[0] == pytest.approx(float(hidden.max()), rel=1e-6)
    assert activation_scales(model, x, "p99.9")[0] < scales[0]


def test_nonzero_percentile_ignores_the_zeros_of_silent_relus():
    model = small_cnn()
    x = images()
    with torch.no_grad():
        hidden = model[:2](x).reshape(-1)
    positive = hidden[hidden > 0].sort().values
    assert 0 < len(positive) < len(hidden)  # some ReLUs are silent
    expected = float(positive[int(0.999 * (len(positive) - 1))])
    scales = activation_scales(model, x, "p99.9", nonzero=True)
    assert scales[0] == pytest.approx(expected, rel=1e-6)
    assert scales[0] > activation_scales(model, x, "p99.9")[0]
    # the max is the max, zeros or not
    assert activation_scales(model, x, "max", nonzero=True) == pytest.approx(
        activation_scales(model, x, "max")
    )


def test_convert_uses_the_nonzero_scales():
    model = small_cnn()
    x = images()
    plain = convert(model, x, norm="p99.9")
    positive = convert(model, x, norm="p99.9", nonzero=True)
    ratio = activation_scales(model, x, "p99.9", nonzero=True)[0] / (
        activation_scales(model, x, "p99.9")[0]
    )
    assert torch.allclose(plain.layers[0].weight, positive.layers[0].weight * ratio)
    with pytest.raises(TypeError, match="nonzero must be True or False"):
        activation_scales(model, x, nonzero="yes")


def test_modulatory_bias_becomes_a_scaled_constant_current():
    model = small_cnn()
    bias = ModulatoryBias((4, 1, 1))
    with torch.no_grad():
        bias.modulatory_bias.copy_(torch.tensor([0.3, -0.2, 0.1, 0.5]).view(4, 1, 1))
    tuned = nn.Sequential(model[0], bias, *model[1:])
    x = images()
    network = convert(tuned, x, norm="max")
    currents = [m for m in network.layers if isinstance(m, ModulatoryBias)]
    scale = activation_scales(tuned, x, "max")[0]
    assert len(currents) == 1
    assert torch.allclose(currents[0].modulatory_bias, bias.modulatory_bias / scale)
    with torch.no_grad():
        ann = tuned(x)
    out = network(x, timesteps=512)
    assert float((out.argmax(1) == ann.argmax(1)).float().mean()) >= 0.95


@pytest.mark.parametrize(
    ("layer", "advice"),
    [(nn.MaxPool2d(2), "AvgPool2d"), (nn.Sigmoid(), "ReLU"), (nn.Softmax(1), "Linear")],
)
def test_unconvertible_layer_is_named_with_what_to_use(layer, advice):
    model = nn.Sequential(nn.Conv2d(1, 2, 3), layer, nn.Flatten(), nn.Linear(18, 2))
    with pytest.raises(ValueError, match=type(layer).__name__) as error:
        convert(model, images())
    assert advice in str(error.value)


def test_bad_timesteps_norm_and_coding_list_the_valid_values():
    network = convert(small_cnn(), images())
    data = TensorDataset(images(4), torch.zeros(4, dtype=torch.long))
    with pytest.raises(ValueError, match="positive integers"):
        evaluate_snn(network, data, [0, 8])
    with pytest.raises(ValueError, match="max, p99.9"):
        convert(small_cnn(), images(), norm="p99")
    with pytest.raises(ValueError, match="direct, rate"):
        evaluate_snn(network, data, [8], coding="poisson")


def test_synaptic_operations_count_each_spike_once_per_synapse():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    x = torch.rand(10, 1, 2, 2)
    network = convert(model, x)
    record = network.simulate(x, [16])
    assert record.spikes[16].sum() > 0
    # every hidden spike reaches the 2 output units; direct input is not counted
    assert torch.equal(record.synaptic_ops[16], 2 * record.spikes[16])
    rate = network.simulate(x, [16], coding="rate", generator=torch.Generator())
    assert bool((rate.synaptic_ops[16] > 2 * rate.spikes[16]).all())


def test_rate_coding_tracks_direct_coding_on_average():
    model = small_cnn()
    network = convert(model, images())
    data = TensorDataset(images(128, seed=5), model(images(128, seed=5)).argmax(1))
    direct = evaluate_snn(network, data, [128]).accuracy[128]
    rate = evaluate_snn(network, data, [128], coding="rate").accuracy[128]
    assert direct >= 0.9
    assert rate >= 0.8


def test_surrogate_nt_moves_only_the_modulatory_biases():
    model = small_cnn()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    tuned = nn.Sequential(
        model[0],
        ModulatoryBias((4, 1, 1)),
        *model[1:5],
        ModulatoryBias((8,)),
        *model[5:],
    )
    x = images(64)
    data = TensorDataset(x, torch.randint(0, 3, (64,), generator=torch.Generator()))
    network = convert(tuned, x)
    frozen = {
        n: p.clone() for n, p in network.named_parameters() if "modulatory" not in n
    }
    losses = fit_snn(network, data, timesteps=8, epochs=6, lr=0.05)
    assert losses[-1] < losses[0]
    for name, parameter in network.named_parameters():
        if "modulatory" in name:
            assert parameter.abs().sum() > 0
        else:
            assert torch.equal(parameter, frozen[name])


@pytest.mark.slow
def test_lif_rate_matches_the_analytic_curve_and_rises_with_current():
    current_a = torch.linspace(0.0, 2e-9, 9)
    simulated = firing_rate_hz(current_a, duration_s=1.0, dt_s=2e-5)
    analytic = analytic_firing_rate_hz(current_a)
    assert simulated[:2].sum() == 0  # below the rheobase of 0.4 nA
    assert torch.all(simulated[2:].diff() > 0)
    assert torch.allclose(simulated.double(), analytic, atol=2.0, rtol=0.02)


def test_convert_command_prints_json(tmp_path, capsys):
    code = main(
        [
            "convert",
            "--timesteps",
            "4,8",
            *SMALL_NETWORK_ARGS,
            "--cache-dir",
            str(tmp_path),
            "--json",
        ]
    )
    assert code == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {"dataset", "norm", "coding", "ann_test_acc"} <= set(result)
    assert set(result["snn_test_acc"]) == {"4", "8"}
    assert result["synaptic_ops_per_inference"]["8"] > 0


def test_snn_transfer_command_and_bad_input(tmp_path, capsys):
    code = main(
        [
            "snn-transfer",
            "--timesteps",
            "4",
            "--width",
            "2",
            "--epochs",
            "1",
            "--pretrain-epochs",
            "1",
            "--cache-dir",
            str(tmp_path),
            "--json",
        ]
    )
    assert code == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["timesteps"] == 4 and result["mode"] == "surrogate"
    assert result["trainable_params"] == 2 + 4 + 8 + 10
    assert main(["convert", "--timesteps", "0"]) == 2
    assert "positive integers" in capsys.readouterr().err


def test_compare_spiking_takes_a_granularity_per_run():
    from ntlib.data import load_task
    from ntlib.models import build_cnn
    from ntlib.snn_train import compare_spiking

    task = load_task("digits", "noise")
    torch.manual_seed(0)
    source = build_cnn(task.input_shape, 10, width=2)
    rows = compare_spiking(
        source,
        task,
        runs=[("nt", "surrogate", "channel"), ("nt", "surrogate", "unit")],
        seeds=[0],
        timesteps=2,
        epochs=0,
        granularity="channel",
    )
    assert [r["granularity"] for r in rows] == ["channel", "unit"]
    assert rows[0]["trainable_params"] == 2 + 4 + 8 + 10
    assert rows[1]["trainable_params"] == 2 * 64 + 4 * 64 + 8 + 10
    with pytest.raises(ValueError, match="a run is"):
        compare_spiking(source, task, runs=[("nt",)], seeds=[0], epochs=0)
