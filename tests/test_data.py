"""Transfer tasks: the digits default, the task changes, torchvision files."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ntlib.data import (
    DATASETS,
    TASKS,
    apply_change,
    check_classes,
    gaussian_blur,
    load_task,
    make_task,
    validation_split,
    validation_task,
)


def test_digits_noise_shapes_and_ranges():
    task = load_task("digits", "noise")
    assert task.input_shape == (1, 8, 8)
    assert task.num_classes == 10
    x, y = task.target_train.tensors
    assert x.dtype == torch.float32 and y.dtype == torch.int64
    assert x.shape[1:] == (1, 8, 8)
    assert 0.0 <= float(x.min()) and float(x.max()) <= 1.0
    # 1797 digits, 30 % held out, stratified
    assert len(task.source_train) + len(task.source_test) == 1797
    assert len(task.source_test) == 540
    from sklearn.datasets import load_digits

    whole = np.bincount(load_digits().target)
    counts = torch.bincount(task.source_test.tensors[1]).numpy()
    assert np.abs(counts - 0.3 * whole).max() <= 1


def test_split_is_fixed_and_noise_follows_seed():
    a, b = load_task("digits", "noise", seed=0), load_task("digits", "noise", seed=0)
    c = load_task("digits", "noise", seed=1)
    assert torch.equal(a.source_test.tensors[0], c.source_test.tensors[0])
    assert torch.equal(a.target_train.tensors[0], b.target_train.tensors[0])
    assert not torch.equal(a.target_train.tensors[0], c.target_train.tensors[0])


def test_class_split_remaps_labels():
    task = load_task("digits", "class-split")
    assert task.num_classes == 5
    for split in (task.source_train, task.target_train, task.target_test):
        assert set(split.tensors[1].tolist()) == {0, 1, 2, 3, 4}
    # target images are the digits 5-9: none of them equals a source image
    src = {bytes(v.numpy().tobytes()) for v in task.source_train.tensors[0]}
    assert not any(
        bytes(v.numpy().tobytes()) in src for v in task.target_train.tensors[0]
    )


def test_changes():
    x = np.random.default_rng(0).random((4, 1, 8, 8)).astype(np.float32)
    np.testing.assert_allclose(apply_change(x, "invert"), 1.0 - x)
    noisy = apply_change(x, "noise")
    assert noisy.min() >= 0 and noisy.max() <= 1 and not np.allclose(noisy, x)
    img = np.zeros((1, 1, 9, 9), dtype=np.float32)
    img[0, 0, 4, :] = 1.0  # a horizontal bar turns away from horizontal
    rotated = apply_change(img, "rotate")[0, 0]
    assert rotated[4].sum() < 0.8 * img[0, 0, 4].sum()
    assert rotated[2, 6] + rotated[6, 2] > 0.3


@pytest.mark.parametrize(
    ("source", "target", "message"),
    [((0, 1, 2), (2, 3, 4), "overlap in \\[2\\]"), ((0, 1), (8, 12), "out of range")],
)
def test_bad_classes(source, target, message):
    with pytest.raises(ValueError, match=message):
        check_classes(source, target, 10)
    x = np.zeros((20, 1, 4, 4), dtype=np.float32)
    y = np.arange(20) % 10
    with pytest.raises(ValueError, match=message):
        make_task(
            x, y, x, y, "class-split", source_classes=source, target_classes=target
        )


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(ValueError, match="valid names are: digits, mnist"):
        load_task("imagenet", "noise")
    with pytest.raises(ValueError, match="class-split, noise, invert, rotate, blur"):
        load_task("digits", "sharpen")
    assert "digits" in DATASETS and "rotate" in TASKS


def test_missing_files_offline_name_them_and_the_flag(tmp_path):
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte.*--download"):
        load_task("mnist", "noise", data_dir=str(tmp_path))


def _write_idx(path, array: np.ndarray) -> None:
    code = 0x08  # unsigned byte
    header = bytes([0, 0, code, array.ndim])
    dims = b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    path.write_bytes(header + dims + array.astype(np.uint8).tobytes())


def test_reads_mnist_layout_from_tiny_files(tmp_path):
    raw = tmp_path / "KMNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 40), ("t10k", 20)):
        _write_idx(raw / f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (n, 6, 6)))
        _write_idx(raw / f"{prefix}-labels-idx1-ubyte", np.arange(n) % 10)
    task = load_task("kmnist", "class-split", data_dir=str(tmp_path))
    assert task.input_shape == (1, 6, 6)
    assert len(task.source_train) == 20 and len(task.target_test) == 10
    x = task.source_train.tensors[0]
    assert 0.0 <= float(x.min()) and float(x.max()) <= 1.0 and float(x.max()) > 0.9


def test_validation_split_is_stratified_disjoint_and_fixed():
    task = load_task("digits", "noise")
    fit_part, val_part = validation_split(task.target_train, 0.2, seed=0)
    x, y = task.target_train.tensors
    assert len(fit_part) + len(val_part) == len(y)
    assert len(val_part) == math.ceil(0.2 * len(y))  # as scikit-learn rounds
    whole = torch.bincount(y).numpy()
    counts = torch.bincount(val_part.tensors[1], minlength=10).numpy()
    assert np.abs(counts - 0.2 * whole).max() <= 1
    # every image lands in exactly one part (rows are unique in digits)
    rows = {v.numpy().tobytes() for v in x}
    fit_rows = {v.numpy().tobytes() for v in fit_part.tensors[0]}
    val_rows = {v.numpy().tobytes() for v in val_part.tensors[0]}
    assert not fit_rows & val_rows and fit_rows | val_rows == rows
    again = validation_split(task.target_train, 0.2, seed=0)[1]
    other = validation_split(task.target_train, 0.2, seed=1)[1]
    assert torch.equal(again.tensors[0], val_part.tensors[0])
    assert not torch.equal(other.tensors[0], val_part.tensors[0])


def test_validation_task_scores_on_held_out_training_images():
    task = load_task("digits", "class-split")
    held = validation_task(task, 0.25)
    assert len(held.target_train) + len(held.target_test) == len(task.target_train)
    assert held.source_train is task.source_train
    assert held.num_classes == task.num_classes
    test_rows = {v.numpy().tobytes() for v in task.target_test.tensors[0]}
    held_rows = [v.numpy().tobytes() for v in held.target_test.tensors[0]]
    assert not any(row in test_rows for row in held_rows)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1])
def test_validation_split_rejects_bad_fractions(fraction):
    data = torch.utils.data.TensorDataset(torch.zeros(20, 1), torch.arange(20) % 2)
    with pytest.raises(ValueError, match=f"strictly between 0 and 1, got {fraction}"):
        validation_split(data, fraction)
    with pytest.raises(ValueError, match="cannot hold out 0.05 of 20 images"):
        validation_split(data, 0.05)


def test_validation_task_drops_the_originals_of_validation_images_from_source():
    task = load_task("digits", "invert")  # invert is exact: original = 1 - image
    held = validation_task(task, 0.2)
    assert len(held.source_train) == len(held.target_train)
    assert torch.equal(held.source_train.tensors[1], held.target_train.tensors[1])
    torch.testing.assert_close(
        1.0 - held.target_train.tensors[0], held.source_train.tensors[0]
    )
    originals = {(1.0 - v).numpy().tobytes() for v in held.target_test.tensors[0]}
    sources = [v.numpy().tobytes() for v in held.source_train.tensors[0]]
    assert not any(row in originals for row in sources)
    assert held.source_test is task.source_test


def test_blur_spreads_a_point_and_keeps_its_mass():
    img = np.zeros((1, 1, 8, 8), dtype=np.float32)
    img[0, 0, 3, 4] = 1.0
    blurred = apply_change(img, "blur")[0, 0]
    assert blurred.shape == (8, 8) and blurred.dtype == np.float32
    assert 0.1 < blurred[3, 4] < 0.25  # sigma of one pixel on 8x8 images
    assert blurred[3, 4] == blurred.max()
    assert blurred[3, 3] == pytest.approx(blurred[3, 5])  # symmetric
    assert blurred.sum() == pytest.approx(1.0, abs=0.02)  # reflected border
    flat = np.full((2, 1, 8, 8), 0.4, dtype=np.float32)
    np.testing.assert_allclose(apply_change(flat, "blur"), flat, atol=1e-6)


def test_blur_is_a_target_task_whose_images_differ_from_the_source():
    task = load_task("digits", "blur")
    x_src, y_src = task.source_train.tensors
    x_tgt, y_tgt = task.target_train.tensors
    assert torch.equal(y_src, y_tgt) and x_src.shape == x_tgt.shape
    assert float((x_src - x_tgt).abs().mean()) > 0.05


def test_gaussian_blur_rejects_a_non_positive_sigma():
    with pytest.raises(ValueError, match="sigma must be a positive"):
        gaussian_blur(np.zeros((1, 1, 8, 8), dtype=np.float32), 0.0)
