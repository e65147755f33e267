"""The QCFS activation, its conversion and its options (chapter 5)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch
from torch import nn

from ntlib.conversion import activation_scales, convert
from ntlib.models import build_cnn
from ntlib.qcfs import QCFS, calibrate_thresholds, check_activation, make_activation
from ntlib.tuning import prepare, trainable_params


def test_staircase_values_and_shift() -> None:
    act = QCFS(levels=4, threshold=2.0)
    x = torch.tensor([-3.0, 0.0, 0.24, 0.26, 1.0, 1.76, 2.0, 9.0])
    # steps of lambda / L = 0.5, switching half-way between levels
    assert act(x).tolist() == [0.0, 0.0, 0.0, 0.5, 1.0, 2.0, 2.0, 2.0]


def test_gradient_passes_the_floor_and_trains_the_threshold() -> None:
    act = QCFS(levels=4, threshold=1.0)
    x = torch.tensor([-0.5, 0.3, 0.6, 2.0], requires_grad=True)
    act(x).sum().backward()
    # straight through inside (0, lambda), zero where the clip is flat
    assert x.grad.tolist() == [0.0, 1.0, 1.0, 0.0]
    assert act.threshold.grad is not None and float(act.threshold.grad) != 0.0


@pytest.mark.parametrize(
    ("activation", "levels", "message"),
    [
        ("tanh", None, "unknown activation"),
        ("qcfs", None, "needs levels"),
        ("relu", 4, "only to the qcfs"),
        ("qcfs", 0, "levels must be an integer"),
        ("qcfs", 2.5, "levels must be an integer"),
        ("qcfs", float("nan"), "levels must be an integer"),
    ],
)
def test_bad_activation_options(activation, levels, message) -> None:
    with pytest.raises(ValueError, match=message):
        check_activation(activation, levels)


def test_build_cnn_with_qcfs_has_one_threshold_per_layer() -> None:
    relu = build_cnn((1, 8, 8), 10)
    qcfs = build_cnn((1, 8, 8), 10, activation="qcfs", levels=4)
    assert sum(isinstance(m, QCFS) for m in qcfs) == 3
    assert not any(isinstance(m, nn.ReLU) for m in qcfs)
    n_relu = sum(p.numel() for p in relu.parameters())
    assert sum(p.numel() for p in qcfs.parameters()) == n_relu + 3


def test_calibration_sets_thresholds_from_data() -> None:
    torch.manual_seed(0)
    net = build_cnn((1, 8, 8), 10, activation="qcfs", levels=2)
    x = torch.rand(64, 1, 8, 8)
    thresholds = calibrate_thresholds(net, x)
    assert len(thresholds) == 3
    assert thresholds == [
        float(m.threshold.detach()) for m in net if isinstance(m, QCFS)
    ]
    # every layer passes something on (uncalibrated, L=2 rounds all to zero)
    h = x
    for module in net:
        h = module(h)
        if isinstance(module, QCFS):
            assert float((h > 0).float().mean()) > 0.01


def test_nt_on_qcfs_trains_only_biases() -> None:
    net = build_cnn((1, 8, 8), 10, activation="qcfs", levels=4)
    tuned = prepare(net, "nt")
    assert trainable_params(tuned) == 16 + 32 + 64 + 10
    assert all(not m.threshold.requires_grad for m in tuned if isinstance(m, QCFS))


def test_converted_qcfs_layer_is_exact_at_t_equal_l() -> None:
    """An IF neuron with threshold lambda started at lambda/2 is QCFS at T=L."""
    torch.manual_seed(1)
    levels = 4
    net = nn.Sequential(
        nn.Flatten(), nn.Linear(4, 6), make_activation("qcfs", levels), nn.Linear(6, 3)
    )
    net[2].threshold.data.fill_(0.7)
    x = torch.rand(32, 1, 2, 2)
    assert activation_scales(net, x) == [pytest.approx(0.7)]
    spiking = convert(net, x)
    with torch.no_grad():
        ann = net(x)
        snn_out = spiking(x, timesteps=levels)
    torch.testing.assert_close(snn_out, ann, atol=1e-5, rtol=1e-5)


@pytest.mark.slow
def test_convert_command_reports_the_relu_twin(tmp_path) -> None:
    result = subprocess.run(
        [
            sys.executable, "-m", "ntlib", "convert", "--activation", "qcfs",
            "--levels", "2", "--timesteps", "2", "--pretrain-epochs", "1",
            "--width", "2", "--cache-dir", str(tmp_path), "--json",
        ],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    row = json.loads(result.stdout)
    assert row["activation"] == "qcfs" and row["levels"] == 2
    assert 0.0 <= row["relu_ann_test_acc"] <= 1.0
    assert set(row["synaptic_ops_per_inference"]) == {"2"}
    names = [p.name for p in tmp_path.iterdir()]
    assert any(n.endswith("-qcfs2.pt") for n in names), names  # the QCFS source
    assert any(n.endswith("-s0.pt") for n in names), names  # and its ReLU twin


@pytest.mark.slow
def test_convert_command_rejects_levels_without_qcfs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ntlib", "convert", "--levels", "4", "--json"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "levels applies only to the qcfs activation" in result.stderr
