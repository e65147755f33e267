"""The transfer and params commands: JSON fields and errors."""

from __future__ import annotations

import json

import pytest

from ntlib.cli import main


@pytest.mark.slow
def test_transfer_json(tmp_path, capsys):
    code = main(
        [
            "transfer",
            "--task",
            "invert",
            "--method",
            "nt",
            "--width",
            "2",
            "--epochs",
            "1",
            "--pretrain-epochs",
            "2",
            "--cache-dir",
            str(tmp_path),
            "--json",
        ]
    )
    assert code == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    for key in (
        "dataset",
        "task",
        "method",
        "granularity",
        "seed",
        "source_test_acc",
        "target_test_acc_before",
        "target_test_acc",
        "trainable_params",
        "total_params",
        "train_seconds",
        "peak_rss_mb",
    ):
        assert key in result
    assert result["trainable_params"] == 2 + 4 + 8 + 10
    for key in ("source_test_acc", "target_test_acc_before", "target_test_acc"):
        assert 0.0 <= result[key] <= 1.0


@pytest.mark.slow
def test_params_vgg16_near_ten_thousand(capsys):
    assert main(["params", "--arch", "vgg11", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["total_params"] == 132863336
    assert result["nt_params"] == 64 + 128 + 256 * 2 + 512 * 4 + 4096 * 2 + 1000
    assert result["nt_params"] < result["nt_params_unit"] < result["total_params"]


def test_missing_files_is_a_one_line_error(tmp_path, capsys):
    code = main(["transfer", "--dataset", "fashion-mnist", "--data-dir", str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("error: fashion-mnist files not found") and "--download" in err
    )


def test_cuda_without_a_gpu_is_a_one_line_error(capsys):
    import pytest
    import torch

    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    assert main(["transfer", "--device", "cuda"]) == 2
    assert "--device cpu" in capsys.readouterr().err


def test_transfer_offers_the_blur_task(tmp_path, capsys):
    args = ["transfer", "--task", "blur", "--method", "linear", "--width", "2"]
    args += ["--epochs", "1", "--pretrain-epochs", "1", "--cache-dir", str(tmp_path)]
    assert main([*args, "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["task"] == "blur" and result["trainable_params"] == 8 * 10 + 10
