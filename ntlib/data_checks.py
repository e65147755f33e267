"""Checks of data before use: files on disk and the arrays of a task.

See chapter ``frozen_cnn``.

:mod:`ntlib.data` calls these before torchvision reads a file or a task is
built, so a corrupt download or an array of the wrong kind is reported in
one sentence naming the file or the argument, not as an error from deep
inside torchvision or torch.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: The MNIST-format data sets: their folder and torchvision class names.
MNIST_LIKE = {
    "mnist": ("MNIST", "MNIST"),
    "fashion-mnist": ("FashionMNIST", "FashionMNIST"),
    "kmnist": ("KMNIST", "KMNIST"),
}
_MNIST_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
_CIFAR_FILES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",)


def expected_files(dataset: str, data_dir: str | Path) -> list[Path]:
    """The files torchvision reads for ``dataset`` under ``data_dir``."""
    root = Path(data_dir).expanduser()
    if dataset in MNIST_LIKE:
        folder = MNIST_LIKE[dataset][0]
        return [root / folder / "raw" / name for name in _MNIST_FILES]
    if dataset == "cifar10":
        return [root / "cifar-10-batches-py" / name for name in _CIFAR_FILES]
    raise ValueError(f"{dataset!r} is not read from files")


#: IDX magic numbers: unsigned bytes, with 3 (images) or 1 (labels) dimensions.
_IDX_IMAGES_MAGIC = 0x00000803
_IDX_LABELS_MAGIC = 0x00000801
#: Classes of every MNIST-format data set: labels 0 to 9.
_MNIST_CLASSES = 10


class DataFileError(ValueError):
    """A data file exists but is not what its name promises (chapter ``frozen_cnn``)."""


def _idx_header(path: Path, magic: int, dims: int) -> tuple[int, ...]:
    """The sizes in an IDX file's header, after checking the magic and length."""
    kind = "images" if dims == 3 else "labels"
    advice = "delete it and fetch it again with --download"
    try:
        with open(path, "rb") as handle:
            header = handle.read(4 + 4 * dims)
        size = path.stat().st_size
    except OSError as error:
        raise DataFileError(
            f"{path} cannot be read ({error.strerror}); {advice}"
        ) from None
    if len(header) < 4 + 4 * dims:
        raise DataFileError(
            f"{path} is too short ({size} bytes) for an MNIST-format {kind} file; "
            f"{advice}"
        )
    found = int.from_bytes(header[:4], "big")
    if found != magic:
        raise DataFileError(
            f"{path} is not an MNIST-format {kind} file (magic number 0x{found:08x}, "
            f"expected 0x{magic:08x}); {advice}"
        )
    sizes = tuple(
        int.from_bytes(header[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)
    )
    expected = 4 + 4 * dims + int(np.prod(sizes, dtype=np.int64))
    if size != expected or sizes[0] == 0 or min(sizes) < 1:
        raise DataFileError(
            f"{path} holds {size} bytes where its header ({kind}, sizes "
            f"{'x'.join(str(v) for v in sizes)}) promises {expected}; {advice}"
        )
    return sizes


def check_mnist_files(dataset: str, data_dir: str | Path) -> None:
    """Check the four MNIST-format files of ``dataset`` before torchvision reads them.

    Each file must carry the IDX magic number of its kind, be exactly as
    long as its header says, the images and labels of a split must be as
    many, and every label must be a class 0-9.  A DataFileError (a
    ValueError) names the first bad file (chapter ``frozen_cnn``).
    """
    paths = expected_files(dataset, data_dir)
    for images, labels in ((paths[0], paths[1]), (paths[2], paths[3])):
        image_sizes = _idx_header(images, _IDX_IMAGES_MAGIC, 3)
        (count,) = _idx_header(labels, _IDX_LABELS_MAGIC, 1)
        if image_sizes[0] != count:
            raise DataFileError(
                f"{images} holds {image_sizes[0]} images but {labels} holds {count} "
                "labels; the two files of a split must match (fetch them again "
                "with --download)"
            )
        values = np.fromfile(labels, dtype=np.uint8, offset=8)
        if values.size and int(values.max()) >= _MNIST_CLASSES:
            raise DataFileError(
                f"{labels} has label {int(values.max())}; MNIST-format labels are "
                "classes 0 to 9 (fetch the file again with --download)"
            )


def read_mnist_split(
    dataset: str, data_dir: str | Path, train: bool
) -> tuple[np.ndarray, np.ndarray]:
    """The images (N x 28 x 28 uint8) and labels of one split, from the raw IDX files.

    These are the files :func:`check_mnist_files` checks (it is called
    first); torchvision would instead read its legacy ``processed/*.pt``
    files when they exist, unchecked.
    """
    check_mnist_files(dataset, data_dir)
    paths = expected_files(dataset, data_dir)
    images_path, labels_path = (paths[0], paths[1]) if train else (paths[2], paths[3])
    sizes = _idx_header(images_path, _IDX_IMAGES_MAGIC, 3)
    images = np.fromfile(images_path, dtype=np.uint8, offset=16).reshape(sizes)
    labels = np.fromfile(labels_path, dtype=np.uint8, offset=8)
    return images, labels


def check_data_dir(dataset: str, data_dir: str | Path | None, download: bool) -> None:
    """Check ``data_dir`` for ``dataset`` before any work (commands call it first).

    ``digits`` needs nothing.  Otherwise ``data_dir`` must be given and must
    not be a file; without ``download`` the files must be there, and
    MNIST-format files are checked by :func:`check_mnist_files`.
    """
    if dataset == "digits":
        return
    if data_dir is None:
        raise ValueError(
            f"data set {dataset!r} needs a data directory: pass data_dir "
            "(--data-dir DIR), and download=True (--download) to fetch it"
        )
    root = Path(data_dir).expanduser()
    try:
        if root.exists() and not root.is_dir():
            raise ValueError(
                f"--data-dir {data_dir} is a file, not a folder; point it at the "
                "folder that holds (or will hold) the data set"
            )
        missing = [p for p in expected_files(dataset, data_dir) if not p.exists()]
    except OSError as error:  # a name too long, a loop of links, no permission
        shown = str(data_dir) if len(str(data_dir)) <= 300 else (
            f"{str(data_dir)[:150]}... ({len(str(data_dir))} characters)"
        )
        raise ValueError(
            f"--data-dir {shown} cannot be used ({error.strerror or error}); point "
            "it at a shorter, readable folder"
        ) from None
    if missing and not download:
        names = ", ".join(str(p) for p in missing)
        raise FileNotFoundError(
            f"{dataset} files not found under {data_dir}: missing {names}. "
            "Download them with --download (download=True), or point --data-dir "
            "at a folder in torchvision's layout"
        )
    if not missing and dataset in MNIST_LIKE:
        check_mnist_files(dataset, data_dir)


def check_arrays(
    x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray
) -> None:
    """Raise a TypeError/ValueError naming the first array :func:`make_task` cannot use."""
    for split, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        for name, array in ((f"x_{split}", x), (f"y_{split}", y)):
            if not isinstance(array, np.ndarray):
                raise TypeError(
                    f"{name} must be a NumPy array, got {type(array).__name__}"
                )
        if x.ndim != 4 or x.shape[0] == 0 or min(x.shape) < 1:
            raise ValueError(
                f"x_{split} must hold images as N x C x H x W with N >= 1, got "
                f"shape {x.shape}; add a channel axis with x[:, None] for grey images"
            )
        if not np.issubdtype(x.dtype, np.number) or np.issubdtype(
            x.dtype, np.complexfloating
        ):
            raise TypeError(f"x_{split} must hold real numbers, got dtype {x.dtype}")
        if not np.all(np.isfinite(x)):
            raise ValueError(f"x_{split} holds NaN or infinite pixels")
        if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
            raise TypeError(
                f"y_{split} must be a 1-D array of integer labels, got dtype "
                f"{y.dtype} and shape {y.shape}"
            )
        if len(y) != len(x):
            raise ValueError(
                f"x_{split} holds {len(x)} images but y_{split} {len(y)} labels; "
                "give one label per image"
            )
        if int(y.min()) < 0:
            raise ValueError(
                f"y_{split} holds the negative label {int(y.min())}; labels are "
                "classes 0, 1, 2, ..."
            )
    if x_train.shape[1:] != x_test.shape[1:]:
        raise ValueError(
            f"training images are {x_train.shape[1:]} but test images "
            f"{x_test.shape[1:]}; both must have one shape"
        )
