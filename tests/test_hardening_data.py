"""MNIST-format files are checked before use; make_task refuses arrays it cannot use."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ntlib.cli import main
from ntlib.data import load_task, make_task
from ntlib.data_checks import DataFileError, check_mnist_files


def _write_idx(path: Path, magic: int, array: np.ndarray) -> None:
    header = magic.to_bytes(4, "big") + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape
    )
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def _mnist(root: Path, n_train: int = 200, n_labels: int | None = None) -> Path:
    """A tiny MNIST in torchvision's layout: ``n_train`` 28x28 images, 50 test."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", n_train), ("t10k", 50)):
        images = rng.integers(0, 256, (n, 28, 28))
        labels = np.arange(n if n_labels is None or prefix == "t10k" else n_labels)
        _write_idx(raw / f"{prefix}-images-idx3-ubyte", 0x803, images)
        _write_idx(raw / f"{prefix}-labels-idx1-ubyte", 0x801, labels % 10)
    return raw


def _command_error(data_dir: Path, capsys, *extra: str) -> str:
    code = main(["transfer", "--dataset", "mnist", "--data-dir", str(data_dir), *extra])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("error: ")
    return err


def test_valid_tiny_mnist_loads(tmp_path) -> None:
    _mnist(tmp_path)
    task = load_task("mnist", "noise", str(tmp_path))
    assert task.input_shape == (1, 28, 28) and task.num_classes == 10
    assert len(task.source_train) == 200 and len(task.source_test) == 50


def test_random_bytes_name_the_file(tmp_path, capsys) -> None:
    raw = _mnist(tmp_path)
    bad = raw / "train-images-idx3-ubyte"
    bad.write_bytes(np.random.default_rng(1).bytes(5000))
    err = _command_error(tmp_path, capsys)
    assert str(bad) in err and "not an MNIST-format images file" in err


def test_empty_file_names_the_file(tmp_path, capsys) -> None:
    raw = _mnist(tmp_path)
    bad = raw / "t10k-labels-idx1-ubyte"
    bad.write_bytes(b"")
    err = _command_error(tmp_path, capsys)
    assert str(bad) in err and "too short" in err


def test_truncated_file_names_the_file(tmp_path) -> None:
    raw = _mnist(tmp_path)
    bad = raw / "train-images-idx3-ubyte"
    bad.write_bytes(bad.read_bytes()[:-1])
    with pytest.raises(DataFileError, match="promises"):
        check_mnist_files("mnist", tmp_path)


def test_images_and_labels_must_match(tmp_path, capsys) -> None:
    _mnist(tmp_path, n_train=200, n_labels=150)
    err = _command_error(tmp_path, capsys)
    assert "200 images" in err and "150" in err and "train-labels-idx1-ubyte" in err


def test_label_out_of_range(tmp_path, capsys) -> None:
    raw = _mnist(tmp_path)
    labels = np.arange(200) % 10
    labels[17] = 200
    _write_idx(raw / "train-labels-idx1-ubyte", 0x801, labels)
    err = _command_error(tmp_path, capsys)
    assert "label 200" in err and "0 to 9" in err and "train-labels" in err


def test_data_dir_that_is_a_file(tmp_path, capsys) -> None:
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("x")
    err = _command_error(a_file, capsys, "--download")
    assert "is a file, not a folder" in err


def _arrays():
    rng = np.random.default_rng(0)
    x = rng.random((20, 1, 4, 4)).astype(np.float32)
    y = np.arange(20) % 10
    return x, y


@pytest.mark.parametrize(
    ("change", "error", "words"),
    [
        (lambda x, y: (x, y.astype(np.float32)), TypeError, "integer labels"),
        (lambda x, y: (x, y - 5), ValueError, "negative label"),
        (lambda x, y: (x[:, 0], y), ValueError, "N x C x H x W"),
        (lambda x, y: (x, y[:15]), ValueError, "one label per image"),
        (lambda x, y: (x * np.nan, y), ValueError, "NaN"),
        (lambda x, y: (x.tolist(), y), TypeError, "NumPy array"),
    ],
)
def test_make_task_refuses_bad_arrays(change, error, words) -> None:
    x, y = change(*_arrays())
    with pytest.raises(error, match=words):
        make_task(x, y, x, y, "noise")


def test_make_task_refuses_empty_classes() -> None:
    x, y = _arrays()
    with pytest.raises(ValueError, match="repeat or are empty"):
        make_task(x, y, x, y, "class-split", source_classes=())
    with pytest.raises(TypeError, match="source_classes"):
        make_task(x, y, x, y, "class-split", source_classes=(0.5, 1))


def test_library_load_names_the_bad_file(tmp_path) -> None:
    raw = _mnist(tmp_path, n_train=200, n_labels=150)
    with pytest.raises(DataFileError, match="train-labels-idx1-ubyte"):
        load_task("mnist", "noise", str(tmp_path))
    raw = _mnist(tmp_path / "second")
    (raw / "t10k-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03")
    with pytest.raises(DataFileError, match="t10k-images-idx3-ubyte.*too short"):
        load_task("mnist", "noise", str(tmp_path / "second"))


def test_torchvision_processed_files_do_not_bypass_the_checks(tmp_path):
    """torchvision's processed/*.pt (here with a label of 200) are never read."""
    import torch

    from ntlib.datasets import load_torchvision_arrays

    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for prefix, n in (("train", 20), ("t10k", 10)):
        _write_idx(raw / f"{prefix}-images-idx3-ubyte", 0x803, np.zeros((n, 28, 28)))
        _write_idx(raw / f"{prefix}-labels-idx1-ubyte", 0x801, np.arange(n) % 10)
    processed = tmp_path / "MNIST" / "processed"
    processed.mkdir()
    for name, n in (("training.pt", 20), ("test.pt", 10)):
        labels = torch.full((n,), 200)
        torch.save((torch.zeros(n, 28, 28, dtype=torch.uint8), labels),
                   processed / name)  # fmt: skip
    _, y_train, _, y_test = load_torchvision_arrays("mnist", tmp_path)
    assert y_train.max() == 9 and y_test.max() == 9
    assert len(y_train) == 20 and len(y_test) == 10


def test_overlong_data_dir_is_one_line(tmp_path):
    from ntlib.data_checks import check_data_dir

    with pytest.raises(ValueError, match="--data-dir") as info:
        check_data_dir("mnist", tmp_path / "/".join(["d" * 200] * 25), False)
    assert "\n" not in str(info.value)
