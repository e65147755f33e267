"""Training and evaluation loops, several seeds summarised.

See chapters ``frozen_cnn`` and ``neuromodulatory_tuning``.

Plain mini-batch Adam with cross-entropy.  Only parameters with
``requires_grad`` reach the optimizer, so a frozen weight is never touched,
not even by weight decay.  Everything runs on the CPU unless ``device`` names
another one.  :func:`run_epochs` is the one epoch loop of the library: the
deep networks' :func:`fit` and the spiking networks'
:func:`ntlib.snn_train.fit_snn` both call it.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset
from tqdm.auto import tqdm

from ntlib.checks import check_finite, check_int, check_seed, first_line
from ntlib.tuning import TUNING_METHODS

#: Learning rate per tuning method, read from :data:`ntlib.tuning.TUNING_METHODS`
#: (a bias-only network moves further per unit of change than a full one, so
#: NT is given a larger step; chapter ``neuromodulatory_tuning``).
DEFAULT_LR: dict[str, float] = {m.name: m.lr for m in TUNING_METHODS}
DEFAULT_BATCH_SIZE = 64


def check_dataset(
    dataset: object, name: str = "dataset", tensors_only: bool = True
) -> None:
    """Raise unless ``dataset`` is a non-empty TensorDataset of (images, labels).

    With ``tensors_only=False`` any map-style ``Dataset`` (not a bare tensor)
    is accepted.
    """
    if (
        not tensors_only
        and isinstance(dataset, Dataset)
        and not isinstance(dataset, TensorDataset)
    ):
        if len(dataset) == 0:  # type: ignore[arg-type]
            raise ValueError(f"{name} is empty: it needs at least one image")
        return
    if not isinstance(dataset, TensorDataset) or len(dataset.tensors) != 2:
        raise TypeError(
            f"{name} must be a TensorDataset of (images, labels), got "
            f"{type(dataset).__name__}; build one with TensorDataset(x, y)"
        )
    if len(dataset) == 0:
        raise ValueError(f"{name} is empty: it needs at least one image")


def check_fits_model(model: nn.Module, dataset: TensorDataset, name: str) -> None:
    """Raise a ValueError in words if ``dataset``'s images do not fit ``model``.

    Runs the model once on one image (in eval mode, without gradients), so a
    shape mismatch reads as a sentence, not as torch's "mat1 and mat2".
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch nn.Module, got {type(model).__name__}")
    sample = dataset.tensors[0][:1]
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(sample.to(device))
    except RuntimeError as error:
        raise ValueError(
            f"the images of {name} (shape {tuple(sample.shape[1:])}) do not fit the "
            f"model: {first_line(error)}; give images of the shape the model was "
            "built for"
        ) from None
    finally:
        model.train(was_training)


@dataclass(frozen=True)
class FitResult:
    """What :func:`fit` did: the loss after each epoch and the time it took."""

    losses: list[float]
    train_seconds: float


def adam_and_loader(
    model: nn.Module,
    dataset: TensorDataset,
    epochs: int,
    lr: float,
    batch_size: int,
    seed: int,
) -> tuple[torch.optim.Adam, DataLoader]:
    """Adam over the trainable parameters and a loader shuffled by ``seed``.

    The set-up shared by :func:`fit` and chapter ``nt_in_snn``'s spiking training: only
    parameters with ``requires_grad`` are handed to the optimiser, so frozen
    weights never move.
    """
    check_int("epochs", epochs, minimum=0)
    check_int("batch_size", batch_size, minimum=1)
    check_finite("lr", lr, positive=True)
    check_seed("seed", seed)
    check_dataset(dataset, tensors_only=False)
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("the model has no trainable parameter (requires_grad)")
    generator = torch.Generator().manual_seed(seed)
    loader = DataLoader(
        dataset, batch_size=batch_size, shuffle=True, generator=generator
    )
    return torch.optim.Adam(params, lr=lr), loader


def fit(
    model: nn.Module,
    dataset: TensorDataset,
    epochs: int,
    lr: float = 1e-3,
    batch_size: int = DEFAULT_BATCH_SIZE,
    seed: int = 0,
    device: str = "cpu",
    progress: bool = True,
) -> FitResult:
    """Train ``model`` in place on ``dataset`` with Adam and cross-entropy.

    Only parameters with ``requires_grad`` are optimised.  The batch order is
    drawn from ``seed``.  Introduced in chapter ``frozen_cnn``.

    Args:
        model: a classifier returning logits.
        dataset: a ``TensorDataset`` of images and int64 labels.
        epochs: passes over the data.
        lr: Adam's learning rate.
        batch_size: images per step.
        seed: seeds the shuffling (and nothing else).
        device: ``"cpu"`` or e.g. ``"cuda"``.
        progress: show a tqdm bar over the epochs.

    Returns:
        A :class:`FitResult` with the mean loss of each epoch.
    """
    optimizer, loader = adam_and_loader(model, dataset, epochs, lr, batch_size, seed)
    if isinstance(dataset, TensorDataset):
        check_fits_model(model.to(device), dataset, "dataset")
    model.to(device).train()
    start = time.perf_counter()
    losses = run_epochs(model, optimizer, loader, epochs, device, progress)
    model.eval()
    return FitResult(losses=losses, train_seconds=time.perf_counter() - start)


def run_epochs(
    forward: Callable[[torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    loader: DataLoader,
    epochs: int,
    device: str = "cpu",
    progress: bool = False,
) -> list[float]:
    """The epoch loop: cross-entropy of ``forward(x)``, one optimiser step a batch.

    ``forward`` maps a batch of images to logits: the model itself for a deep
    network (:func:`fit`, chapter ``frozen_cnn``), the mean output over time for a
    spiking network (:func:`ntlib.snn_train.fit_snn`, chapter ``nt_in_snn``).

    Returns:
        The mean loss of each epoch.
    """
    loss_fn = nn.CrossEntropyLoss()
    losses: list[float] = []
    for _ in tqdm(range(epochs), desc="epochs", disable=not progress, leave=False):
        total, count = 0.0, 0
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(forward(x), y)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(y)
            count += len(y)
        losses.append(total / max(count, 1))
    return losses


@torch.no_grad()
def predict(
    model: nn.Module, dataset: TensorDataset, device: str = "cpu", batch_size: int = 512
) -> torch.Tensor:
    """Predicted class of every image of ``dataset`` (on the CPU)."""
    check_dataset(dataset)
    check_fits_model(model.to(device), dataset, "dataset")
    model.to(device).eval()
    out = []
    for x, _ in DataLoader(dataset, batch_size=batch_size):
        out.append(model(x.to(device)).argmax(dim=1).cpu())
    return torch.cat(out)


def evaluate(model: nn.Module, dataset: TensorDataset, device: str = "cpu") -> float:
    """Accuracy of ``model`` on ``dataset`` as a fraction in [0, 1].

    See chapter ``frozen_cnn``.
    """
    if isinstance(dataset, TensorDataset) and len(dataset) == 0:
        raise ValueError("cannot evaluate on an empty data set")
    check_dataset(dataset)
    labels = dataset.tensors[1]
    return float((predict(model, dataset, device) == labels).float().mean())


def mean_std(values: Iterable[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    values = list(values)
    if not values:
        raise ValueError("mean_std needs at least one value")
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return statistics.fmean(values), std


def gap_recovered(accuracy: float, frozen: float, tft: float) -> float:
    """Share of the frozen-to-TFT gap that a method recovers.

    See chapters ``neuromodulatory_tuning`` and ``nt_in_snn``.

    ``(accuracy - frozen) / (tft - frozen)``: 0 means no better than the
    untuned network, 1 means as good as fine-tuning every weight, more than 1
    better.  When fine-tuning is no better than the frozen network the share
    is undefined and NaN is returned; when the gap is a few test images the
    share is mostly noise, so report the gap in images beside it.

    Example:
        >>> round(gap_recovered(0.882, 0.869, 0.906), 2)
        0.35
    """
    for name, value in (("accuracy", accuracy), ("frozen", frozen), ("tft", tft)):
        check_finite(name, value)
    if tft <= frozen:
        return float("nan")
    return (accuracy - frozen) / (tft - frozen)
