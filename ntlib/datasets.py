"""The image data sets, as arrays: the shipped digits and torchvision's sets.

The embedded default is scikit-learn's handwritten digits (1797 images of
8x8, shipped inside scikit-learn, nothing downloaded).  Torchvision data sets
(MNIST, Fashion-MNIST, KMNIST, CIFAR-10) are read from a ``data_dir`` in
torchvision's layout, checked by :mod:`ntlib.data_checks`, and download only
when asked to.  :mod:`ntlib.data` builds the transfer tasks from these arrays
(chapter ``frozen_cnn``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ntlib.checks import check_choice
from ntlib.data_checks import (
    MNIST_LIKE,
    DataFileError,
    check_data_dir,
    expected_files,
    read_mnist_split,
)

DATASETS: tuple[str, ...] = ("digits", "mnist", "fashion-mnist", "kmnist", "cifar10")
#: Fraction of the digits held out for testing (fixed, stratified).
DIGITS_TEST_FRACTION = 0.3
#: The fixed seed of every split, so that a split never depends on a run's seed.
SPLIT_SEED = 0

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def load_digits_arrays() -> Arrays:
    """The digits as ``(x_train, y_train, x_test, y_test)``, 1 x 8 x 8 in [0, 1].

    The split is stratified and fixed (70 % train, 30 % test, seed 0).
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None, :, :]
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=DIGITS_TEST_FRACTION, stratify=y, random_state=SPLIT_SEED
    )
    return x_train, y_train, x_test, y_test


def load_torchvision_arrays(
    dataset: str, data_dir: str | Path | None, download: bool = False
) -> Arrays:
    """A torchvision data set as ``(x_train, y_train, x_test, y_test)`` in [0, 1].

    Reads from ``data_dir`` in torchvision's layout; MNIST-format sets are
    read from the checked raw IDX files only (torchvision's legacy
    ``processed/*.pt`` files are ignored).  Nothing is downloaded
    unless ``download`` is true; with files missing it raises a
    FileNotFoundError naming them, and a corrupt or inconsistent
    MNIST-format file is a ValueError naming it (see :func:`check_data_dir`).
    """
    check_choice("data set", dataset, DATASETS)
    check_data_dir(dataset, data_dir, download)
    assert data_dir is not None  # checked above
    fetching = download and any(
        not p.exists() for p in expected_files(dataset, data_dir)
    )
    from torchvision import datasets

    root = str(Path(data_dir).expanduser())
    arrays = []
    for train in (True, False):
        try:
            if dataset == "cifar10":
                ds = datasets.CIFAR10(root, train=train, download=download)
                x = ds.data.astype(np.float32).transpose(0, 3, 1, 2) / 255.0
                y = np.asarray(ds.targets, dtype=np.int64)
            else:
                if fetching and train:  # torchvision only fetches the raw files
                    getattr(datasets, MNIST_LIKE[dataset][1])(root, download=True)
                    check_data_dir(dataset, data_dir, False)
                # The checked raw files, never torchvision's processed/*.pt
                # (which it would prefer, unchecked).
                images, labels = read_mnist_split(dataset, data_dir, train)
                x = images.astype(np.float32)[:, None, :, :] / 255.0
                y = labels.astype(np.int64)
        except Exception as error:  # a corrupt file or a failed download
            reason = str(error).strip().splitlines()[0] if str(error).strip() else ""
            verb = "downloaded or read" if fetching else "read"
            raise DataFileError(
                f"{dataset} files under {root} could not be {verb} "
                f"({type(error).__name__}: {reason}); delete them and fetch them "
                "again with --download"
            ) from error
        arrays += [x, y]
    return arrays[0], arrays[1], arrays[2], arrays[3]


def load_arrays(
    dataset: str, data_dir: str | Path | None = None, download: bool = False
) -> Arrays:
    """``dataset`` as ``(x_train, y_train, x_test, y_test)``, images in [0, 1].

    Example:
        >>> x_train, y_train, x_test, y_test = load_arrays("digits")
        >>> x_train.shape[1:], len(y_test)
        ((1, 8, 8), 540)
    """
    check_choice("data set", dataset, DATASETS)
    if dataset == "digits":
        return load_digits_arrays()
    return load_torchvision_arrays(dataset, data_dir, download)
