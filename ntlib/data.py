"""Data sets and transfer tasks: a source task and a similar target task.

See chapter ``frozen_cnn``.

The images come from :mod:`ntlib.datasets`: scikit-learn's handwritten
digits by default (shipped, nothing downloaded), or a torchvision data set
read from a ``data_dir``.

A task pairs a *source* task, on which a network is pretrained, with a
*target* task that the frozen network must learn through neuromodulatory
tuning:

- ``class-split``: source classes 0-4, target classes 5-9 (labels 0-4);
- ``noise``, ``invert``, ``rotate``, ``blur``: the source classes seen through
  additive Gaussian noise, contrast inversion, a 30 degree rotation or a
  Gaussian blur (chapter ``neuromodulatory_tuning`` adds blur: the frozen network is far
  below fine-tuning on it, so tuning has a gap to recover).

For the "seen through a change" tasks the source learns from the clean
training images and the target from the same images seen through the change,
so that what tuning must learn is the change itself, not more digits.  The
test images are never trained on: clean for the source, changed for the
target.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch.utils.data import TensorDataset

from ntlib.checks import check_choice, check_seed
from ntlib.data_checks import check_arrays
from ntlib.datasets import DATASETS, SPLIT_SEED, load_arrays

logger = logging.getLogger(__name__)

TASKS: tuple[str, ...] = ("class-split", "noise", "invert", "rotate", "blur")

#: Standard deviation of the additive noise of the ``noise`` task (images in [0, 1]).
NOISE_STD = 0.3
#: Standard deviation of the ``blur`` task's Gaussian kernel, as a fraction of
#: the image width (1 pixel on 8x8 digits, 3.5 pixels on 28x28 MNIST).
BLUR_FRACTION = 0.125
#: Rotation of the ``rotate`` task, in degrees (counter-clockwise).
ROTATION_DEG = 30.0
#: Fraction of the target training set held out to choose hyperparameters.
VALIDATION_FRACTION = 0.2


@dataclass(frozen=True)
class TransferTask:
    """A source task and a similar target task, as tensors (chapter ``frozen_cnn``).

    Each split is a ``TensorDataset`` of ``x`` (float32, N x C x H x W, in
    [0, 1]) and ``y`` (int64, 0 .. num_classes - 1).
    """

    source_train: TensorDataset
    source_test: TensorDataset
    target_train: TensorDataset
    target_test: TensorDataset
    num_classes: int
    input_shape: tuple[int, int, int]
    dataset: str
    task: str

    def describe(self) -> dict[str, object]:
        """Sizes of the four splits, for a table (columns named for a reader)."""
        return {
            "data set": self.dataset,
            "task": self.task,
            "image (channels, height, width)": str(self.input_shape),
            "classes": self.num_classes,
            "source training images": len(self.source_train),
            "source test images": len(self.source_test),
            "target training images": len(self.target_train),
            "target test images": len(self.target_test),
        }



def class_split(
    x: np.ndarray,
    y: np.ndarray,
    classes: tuple[int, ...],
) -> tuple[np.ndarray, np.ndarray]:
    """Keep the images of ``classes`` and relabel them 0 .. len(classes) - 1."""
    mask = np.isin(y, classes)
    lookup = {c: i for i, c in enumerate(classes)}
    return x[mask], np.array([lookup[int(v)] for v in y[mask]], dtype=np.int64)


def check_classes(
    source_classes: tuple[int, ...], target_classes: tuple[int, ...], num_classes: int
) -> None:
    """Raise a ValueError if the class lists overlap or leave 0 .. num_classes - 1."""
    for name, classes in (("source", source_classes), ("target", target_classes)):
        bad = [c for c in classes if not 0 <= c < num_classes]
        if bad:
            raise ValueError(
                f"{name} classes {bad} are out of range: the data set has classes "
                f"0 to {num_classes - 1}"
            )
        if len(set(classes)) != len(classes) or not classes:
            raise ValueError(f"{name} classes {list(classes)} repeat or are empty")
    overlap = sorted(set(source_classes) & set(target_classes))
    if overlap:
        raise ValueError(
            f"source and target classes overlap in {overlap}: a class-split task "
            "needs disjoint classes"
        )


def apply_change(x: np.ndarray, task: str, seed: int = 0) -> np.ndarray:
    """Images seen through the change of ``task`` (noise, invert, rotate, blur).

    Results stay in [0, 1].  The noise is drawn from ``seed``; the other
    changes are deterministic.
    """
    check_choice("task", task, TASKS[1:])
    if task == "invert":
        return (1.0 - x).astype(np.float32)
    if task == "blur":
        return gaussian_blur(x, BLUR_FRACTION * x.shape[-1])
    if task == "noise":
        rng = np.random.default_rng(seed)
        noisy = x + rng.normal(0.0, NOISE_STD, size=x.shape).astype(np.float32)
        return np.clip(noisy, 0.0, 1.0).astype(np.float32)
    from torchvision.transforms.functional import InterpolationMode, rotate

    rotated = rotate(
        torch.from_numpy(np.ascontiguousarray(x)),
        ROTATION_DEG,
        interpolation=InterpolationMode.BILINEAR,
    )
    return rotated.clamp(0.0, 1.0).numpy().astype(np.float32)


def gaussian_blur(x: np.ndarray, sigma: float) -> np.ndarray:
    """Images N x C x H x W blurred by a Gaussian of ``sigma`` pixels.

    See chapter ``neuromodulatory_tuning``.

    The kernel spans three standard deviations each side (at most the image)
    and the border is reflected, so a blurred image keeps its brightness.
    """
    if not sigma > 0:
        raise ValueError(f"sigma must be a positive number of pixels, got {sigma!r}")
    from torchvision.transforms.functional import gaussian_blur as blur

    side = min(x.shape[-2:])
    radius = max(1, min(int(np.ceil(3 * sigma)), side - 1))
    blurred = blur(
        torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)),
        kernel_size=[2 * radius + 1, 2 * radius + 1],
        sigma=[float(sigma), float(sigma)],
    )
    return blurred.clamp(0.0, 1.0).numpy().astype(np.float32)


def _tensors(x: np.ndarray, y: np.ndarray) -> TensorDataset:
    return TensorDataset(
        torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)),
        torch.from_numpy(np.ascontiguousarray(y, dtype=np.int64)),
    )


def _split_classes(
    source_classes: tuple[int, ...] | None,
    target_classes: tuple[int, ...] | None,
    num_all: int,
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The class-split task's checked classes; by default the two halves."""
    half = num_all // 2
    for name, classes in (
        ("source_classes", source_classes),
        ("target_classes", target_classes),
    ):
        if classes is not None and (
            isinstance(classes, str | bytes)
            or not all(
                isinstance(c, int | np.integer) and not isinstance(c, bool)
                for c in classes
            )
        ):
            raise TypeError(
                f"{name} must be a tuple of integer class labels, got {classes!r}"
            )
    source = tuple(range(half)) if source_classes is None else tuple(source_classes)
    target = (
        tuple(range(half, 2 * half)) if target_classes is None else tuple(target_classes)
    )
    check_classes(source, target, num_all)
    if len(source) != len(target):
        raise ValueError(
            f"source ({len(source)}) and target ({len(target)}) need the same "
            "number of classes, so that the output layer fits both"
        )
    return source, target


def make_task(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    task: str,
    dataset: str = "custom",
    seed: int = 0,
    source_classes: tuple[int, ...] | None = None,
    target_classes: tuple[int, ...] | None = None,
) -> TransferTask:
    """Build a :class:`TransferTask` from arrays (used by :func:`load_task`).

    Args:
        x_train, y_train, x_test, y_test: images N x C x H x W in [0, 1], labels.
        task: one of :data:`TASKS`.
        dataset: a name recorded in the task.
        seed: draws the noise of the ``noise`` task.
        source_classes, target_classes: for ``class-split``; default the lower
            and upper half of the classes (0-4 and 5-9 for ten classes).
    """
    check_choice("task", task, TASKS)
    check_arrays(x_train, y_train, x_test, y_test)
    check_seed("seed", seed)
    num_all = int(max(y_train.max(), y_test.max())) + 1
    input_shape = tuple(int(s) for s in x_train.shape[1:])
    if task == "class-split":
        source_classes, target_classes = _split_classes(
            source_classes, target_classes, num_all
        )
        splits = [
            class_split(x, y, c)
            for c in (source_classes, target_classes)
            for x, y in ((x_train, y_train), (x_test, y_test))
        ]
        src_train, src_test, tgt_train, tgt_test = (_tensors(*s) for s in splits)
        num_classes = len(source_classes)
    else:
        src_train = _tensors(x_train, y_train)
        src_test = _tensors(x_test, y_test)
        tgt_train = _tensors(apply_change(x_train, task, seed), y_train)
        tgt_test = _tensors(apply_change(x_test, task, seed + 1), y_test)
        num_classes = num_all
    return TransferTask(
        source_train=src_train,
        source_test=src_test,
        target_train=tgt_train,
        target_test=tgt_test,
        num_classes=num_classes,
        input_shape=input_shape,  # type: ignore[arg-type]
        dataset=dataset,
        task=task,
    )


def load_task(
    dataset: str = "digits",
    task: str = "noise",
    data_dir: str | None = None,
    download: bool = False,
    seed: int = 0,
) -> TransferTask:
    """Load a data set and build one transfer task from it (chapter ``frozen_cnn``).

    Args:
        dataset: one of :data:`DATASETS`; ``digits`` needs no files.
        task: one of :data:`TASKS`.
        data_dir: folder in torchvision's layout (not used by ``digits``).
        download: let torchvision download missing files.
        seed: draws the noise of the ``noise`` task.

    Example:
        >>> task = load_task("digits", "noise")
        >>> task.input_shape, task.num_classes
        ((1, 8, 8), 10)
    """
    check_choice("data set", dataset, DATASETS)
    check_choice("task", task, TASKS)
    arrays = load_arrays(dataset, data_dir, download)
    logger.info("loaded %s: %d train, %d test", dataset, len(arrays[1]), len(arrays[3]))
    return make_task(*arrays, task=task, dataset=dataset, seed=seed)


def train_test_split_indices(
    dataset: TensorDataset,
    fraction: float = VALIDATION_FRACTION,
    seed: int = SPLIT_SEED,
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted indices ``(fit, held_out)`` of a stratified split of ``dataset``.

    See :func:`validation_split`, which applies them (chapter
    ``neuromodulatory_tuning``).
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(
            f"the validation fraction must lie strictly between 0 and 1, got "
            f"{fraction}; 0.2 holds out a fifth"
        )
    from sklearn.model_selection import train_test_split

    y = dataset.tensors[1]
    try:
        fit_index, val_index = train_test_split(
            np.arange(len(y)),
            test_size=fraction,
            stratify=y.numpy(),
            random_state=seed,
        )
    except ValueError as error:
        raise ValueError(
            f"cannot hold out {fraction} of {len(y)} images stratified over "
            f"{len(torch.unique(y))} classes ({error}); use a larger fraction "
            "or more images"
        ) from error
    return np.sort(fit_index), np.sort(val_index)


def validation_split(
    dataset: TensorDataset,
    fraction: float = VALIDATION_FRACTION,
    seed: int = SPLIT_SEED,
) -> tuple[TensorDataset, TensorDataset]:
    """Split a labelled data set into ``(fit, validation)``, stratified by label.

    ``fraction`` of the images (about ``fraction`` of each class) go to the
    validation part, drawn from ``seed``; the rest is for training.  Choose
    hyperparameters such as the learning rate on the validation part, never
    on a test set (chapter ``neuromodulatory_tuning``).
    """
    fit_index, val_index = train_test_split_indices(dataset, fraction, seed)
    x, y = dataset.tensors[0], dataset.tensors[1]
    return (
        TensorDataset(x[fit_index], y[fit_index]),
        TensorDataset(x[val_index], y[val_index]),
    )


def validation_task(
    task: TransferTask,
    fraction: float = VALIDATION_FRACTION,
    seed: int = SPLIT_SEED,
) -> TransferTask:
    """``task`` with its target training set split into training and validation.

    The returned task trains on the rest of ``target_train`` and its
    ``target_test`` is the held-out validation part, so that any tuning
    function scoring on ``target_test`` scores on validation data instead
    (chapter ``neuromodulatory_tuning``).

    For the tasks that see the source images through a change (noise,
    invert, rotate) each target training image is a changed copy of a source
    training image, so the originals of the validation images are dropped
    from ``source_train`` as well: a source network pretrained on the
    returned task has never seen a validation digit in any form.  For
    ``class-split`` the source is left unchanged.
    """
    fit_part, val_part = validation_split(task.target_train, fraction, seed)
    if task.task == "class-split":
        return replace(task, target_train=fit_part, target_test=val_part)
    if len(task.source_train) != len(task.target_train):
        raise ValueError(
            f"task {task.task!r} should pair each of its {len(task.source_train)} "
            f"source images with one of its {len(task.target_train)} target "
            "images; build it with make_task or load_task"
        )
    fit_index, _ = train_test_split_indices(task.target_train, fraction, seed)
    x, y = task.source_train.tensors[0], task.source_train.tensors[1]
    return replace(
        task,
        source_train=TensorDataset(x[fit_index], y[fit_index]),
        target_train=fit_part,
        target_test=val_part,
    )
