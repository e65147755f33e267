"""Public functions name the bad argument and what they expected."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from ntlib.conversion import convert
from ntlib.models import build_cnn
from ntlib.modulation import insert_modulatory_biases
from ntlib.snn import check_timesteps, evaluate_snn
from ntlib.snn_train import fit_snn, tune_spiking
from ntlib.train import evaluate, fit
from ntlib.transfer import tune
from ntlib.tuning import prepare


def _data(n: int = 16, shape=(1, 2, 2)) -> TensorDataset:
    generator = torch.Generator().manual_seed(0)
    return TensorDataset(
        torch.rand((n, *shape), generator=generator), torch.arange(n) % 2
    )


def _net() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))


@pytest.mark.parametrize("method", ["nt", "nt-head", "linear", "tft"])
def test_prepare_without_layers_to_tune(method) -> None:
    with pytest.raises(ValueError, match="model has no") as error:
        prepare(nn.Sequential(nn.ReLU()), method)
    assert "\n" not in str(error.value)


def test_prepare_wrong_types() -> None:
    with pytest.raises(TypeError, match="model must be a torch nn.Module"):
        prepare("cnn", "tft")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="input_shape"):
        prepare(_net(), "nt", input_shape=(1, 2.5, 2))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="model has no Conv2d or Linear"):
        insert_modulatory_biases(nn.Sequential(nn.ReLU()))


def test_spiking_network_timesteps() -> None:
    net = convert(_net(), _data())
    x = _data().tensors[0]
    with pytest.raises(TypeError, match="one positive integer.*simulate"):
        net(x, timesteps=[4, 8])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="one positive integer"):
        net(x, timesteps=2.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="positive integer or a list"):
        check_timesteps(2.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="positive integer or a list"):
        check_timesteps("8")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="positive integers"):
        check_timesteps([])
    assert check_timesteps(np.int64(8)) == [8]
    assert net(x, timesteps=4).shape == (16, 2)


def test_spiking_network_input_shape() -> None:
    net = convert(_net(), _data())
    with pytest.raises(
        ValueError, match=r"shape \(1, 2, 2\).*got shape \(3, 1, 3, 3\)"
    ):
        net(torch.rand(3, 1, 3, 3), timesteps=4)


def test_evaluate_snn_needs_a_dataset() -> None:
    net = convert(_net(), _data())
    with pytest.raises(TypeError, match="dataset must be a Dataset of"):
        evaluate_snn(net, _data().tensors[0], 4)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="network must be a SpikingNetwork"):
        evaluate_snn(_net(), _data(), 4)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="empty"):
        evaluate_snn(net, _data(0), 4)


def test_convert_calibration_data() -> None:
    with pytest.raises(ValueError, match="at least one image"):
        convert(_net(), torch.zeros(0, 1, 2, 2))
    with pytest.raises(TypeError, match="calibration data must be"):
        convert(_net(), [[0.0]])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"images of shape \(1, 3, 3\) do not fit"):
        convert(_net(), torch.rand(8, 1, 3, 3))
    with pytest.raises(ValueError, match="beta must be a finite number"):
        convert(_net(), _data(), beta=float("nan"))


def test_training_with_images_of_the_wrong_shape() -> None:
    wrong = _data(shape=(1, 3, 3))
    with pytest.raises(ValueError, match=r"shape \(1, 3, 3\)\) do not fit the model"):
        fit(_net(), wrong, epochs=1, progress=False)
    with pytest.raises(ValueError, match="do not fit the model"):
        evaluate(_net(), wrong)


@pytest.mark.parametrize(
    ("options", "error", "words"),
    [
        ({"lr": float("inf")}, ValueError, "lr must be a finite number"),
        ({"lr": float("nan")}, ValueError, "lr must be a finite number"),
        ({"lr": "0.1"}, TypeError, "lr must be a number"),
        ({"epochs": 1.5}, TypeError, "epochs must be an integer"),
        ({"epochs": -1}, ValueError, "epochs must be at least 0"),
        ({"batch_size": 0}, ValueError, "batch_size must be at least 1"),
        ({"seed": 2**70}, ValueError, "seed must be at most"),
    ],
)
def test_fit_arguments(options, error, words) -> None:
    settings = {"epochs": 1, "progress": False, **options}
    with pytest.raises(error, match=words):
        fit(_net(), _data(), **settings)


def test_fit_needs_a_dataset() -> None:
    with pytest.raises(TypeError, match="dataset must be a TensorDataset"):
        fit(_net(), _data().tensors[0], epochs=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="empty"):
        fit(_net(), _data(0), epochs=1)


def test_tune_and_tune_spiking_check_before_work(random_task) -> None:
    task = random_task("invert", n=20)
    source = build_cnn(task.input_shape, 10, 2)
    with pytest.raises(ValueError, match="lr must be a finite number"):
        tune(source, task, "nt", lr=float("inf"))
    with pytest.raises(ValueError, match="unknown method"):
        tune(source, task, "bogus")
    with pytest.raises(TypeError, match="task must be a TransferTask"):
        tune(source, "digits", "nt")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="one positive integer"):
        tune_spiking(source, task, timesteps=[4, 8])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lr must be positive"):
        tune_spiking(source, task, timesteps=4, lr=-1.0)
    with pytest.raises(TypeError, match="network must be a SpikingNetwork"):
        fit_snn(source, task.target_train, 4, 1)  # type: ignore[arg-type]
