"""Neuromodulatory tuning inside a spiking network (chapter ``nt_in_snn``).

Two ways to give a spiking network a new, similar task while its weights stay
frozen:

- ``convert``: tune the supplemental biases of the deep network (chapter ``neuromodulatory_tuning``),
  then convert it (:func:`ntlib.conversion.convert`); each bias becomes a constant
  current injected into the neurons behind it.
- ``surrogate``: convert the pretrained network with zero supplemental biases
  and train those currents directly in the spiking network, through time,
  with surrogate gradients (the spike's derivative replaced by a smooth one).

Traditional fine-tuning of the spiking network (``tft``: every weight, the same
surrogate training) is the reference.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from snntorch import surrogate
from torch import nn
from torch.utils.data import TensorDataset

from ntlib.checks import check_int
from ntlib.conversion import convert
from ntlib.data import TransferTask
from ntlib.snn import SpikingNetwork, check_one_timesteps, evaluate_snn
from ntlib.train import DEFAULT_LR, adam_and_loader, evaluate, fit, run_epochs
from ntlib.transfer import check_tune_args
from ntlib.tuning import TUNING_METHODS, prepare, trainable_params

#: How the supplemental biases reach the spiking network (chapter ``nt_in_snn``).
SNN_MODES: tuple[str, ...] = ("convert", "surrogate")
#: The tuning methods a spiking network can be tuned with here, read from
#: :data:`ntlib.tuning.TUNING_METHODS`; a gain-tuned deep network converts once
#: its gains are folded (chapter ``chip``).
SPIKING_METHODS: tuple[str, ...] = tuple(m.name for m in TUNING_METHODS if m.spiking)
#: Adam's learning rate for surrogate training, per method (each method's
#: ``spiking_lr``).  The injected currents are the deep network's biases
#: divided by the layer scales, and only a few epochs are affordable, so NT
#: takes a larger step than in ``ntlib.train.DEFAULT_LR`` (chapter ``nt_in_snn``).
DEFAULT_SNN_LR: dict[str, float] = {
    m.name: m.spiking_lr for m in TUNING_METHODS if m.spiking_lr is not None
}


def fit_snn(
    network: SpikingNetwork,
    dataset: TensorDataset,
    timesteps: int,
    epochs: int,
    lr: float = 1e-2,
    batch_size: int = 64,
    seed: int = 0,
    progress: bool = False,
) -> list[float]:
    """Train a spiking network's trainable parameters with surrogate gradients.

    The input is a constant current (direct coding) for ``timesteps`` steps,
    the loss is the cross-entropy of the mean output over time, and the error
    flows back through every step (backpropagation through time).  Only
    parameters with ``requires_grad`` move, so frozen weights stay
    bit-identical (chapter ``nt_in_snn``).

    Returns:
        The mean loss of each epoch.
    """
    timesteps = check_one_timesteps(timesteps)
    if not isinstance(network, SpikingNetwork):
        raise TypeError(
            "network must be a SpikingNetwork (see ntlib.conversion.convert), "
            f"got {type(network).__name__}"
        )
    optimizer, loader = adam_and_loader(network, dataset, epochs, lr, batch_size, seed)
    network.train()
    losses = run_epochs(
        lambda x: network(x, timesteps), optimizer, loader, epochs, progress=progress
    )
    network.eval()
    return losses


def snn_accuracy(
    network: SpikingNetwork, dataset: TensorDataset, timesteps: int
) -> float:
    """Accuracy of a spiking network after ``timesteps`` steps, direct coding."""
    return evaluate_snn(network, dataset, [timesteps]).accuracy[timesteps]


@dataclass(frozen=True)
class SpikingTransfer:
    """One tuning run of a spiking network on a target task (chapter ``nt_in_snn``).

    Field names follow the ``transfer`` command's; accuracies are fractions.
    ``target_test_acc_before`` is the untuned spiking network's,
    ``ann_target_test_acc`` the tuned deep network's (``convert`` mode only).
    """

    method: str
    mode: str
    granularity: str
    seed: int
    timesteps: int
    epochs: int
    lr: float
    trainable_params: int
    total_params: int
    source_test_acc: float
    target_test_acc_before: float
    target_test_acc: float
    ann_target_test_acc: float | None
    spikes_per_inference: float
    synaptic_ops_per_inference: float
    train_seconds: float

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def tune_spiking(
    source_model: nn.Sequential,
    task: TransferTask,
    method: str = "nt",
    mode: str = "surrogate",
    timesteps: int = 16,
    epochs: int = 8,
    lr: float | None = None,
    granularity: str = "channel",
    norm: str = "p99.9",
    batch_size: int = 64,
    seed: int = 0,
    progress: bool = False,
) -> SpikingTransfer:
    """Adapt a pretrained network to ``task``'s target as a spiking network.

    ``mode="convert"`` tunes the deep network (``ntlib.train.fit``, ``epochs``
    epochs) and converts it; ``mode="surrogate"`` converts the prepared network
    and trains it as a spiking network for ``epochs`` epochs of ``timesteps``
    steps.  Both calibrate the weight normalisation on the target training
    data and are scored on the target test set at ``timesteps`` (chapter ``nt_in_snn``).

    Example:
        >>> from ntlib.data import load_task
        >>> from ntlib.models import build_cnn
        >>> task = load_task("digits", "noise")
        >>> run = tune_spiking(build_cnn(task.input_shape, 10, 4), task,
        ...                    timesteps=4, epochs=1)
        >>> run.trainable_params  # one current per channel: 4 + 8 + 16 + 10
        38
    """
    _check_spiking_args(task, method, mode, granularity, epochs, lr, seed, batch_size)
    timesteps = check_one_timesteps(timesteps)
    torch.manual_seed(seed)
    tuned = prepare(source_model, method, granularity, task.input_shape)
    spike_grad = surrogate.atan() if mode == "surrogate" else None
    network = convert(tuned, task.target_train, norm, spike_grad=spike_grad)
    before = snn_accuracy(network, task.target_test, timesteps)
    start = time.perf_counter()
    training = {"batch_size": batch_size, "seed": seed, "progress": progress}
    if mode == "convert":
        lr = lr or DEFAULT_LR[method]
        network, ann_target_acc = _tune_then_convert(
            tuned, task, epochs, lr, norm, training
        )
    else:
        lr = lr or DEFAULT_SNN_LR[method]
        ann_target_acc = None
        if epochs > 0:
            fit_snn(network, task.target_train, timesteps, epochs, lr=lr, **training)
    seconds = time.perf_counter() - start
    settings = {"method": method, "mode": mode, "granularity": granularity,
                "seed": seed, "timesteps": timesteps, "epochs": epochs,
                "lr": float(lr)}
    return _spiking_transfer(
        settings, source_model, task, tuned, network, before, ann_target_acc, seconds
    )


def _spiking_transfer(
    settings: dict,
    source_model: nn.Sequential,
    task: TransferTask,
    tuned: nn.Sequential,
    network: SpikingNetwork,
    before: float,
    ann_target_acc: float | None,
    seconds: float,
) -> SpikingTransfer:
    """The record of one :func:`tune_spiking` run, scored at its ``timesteps``."""
    timesteps = settings["timesteps"]
    result = evaluate_snn(network, task.target_test, [timesteps])
    return SpikingTransfer(
        **settings,
        trainable_params=trainable_params(tuned),
        total_params=sum(p.numel() for p in tuned.parameters()),
        source_test_acc=evaluate(source_model, task.source_test),
        target_test_acc_before=before,
        target_test_acc=result.accuracy[timesteps],
        ann_target_test_acc=ann_target_acc,
        spikes_per_inference=result.spikes_per_inference[timesteps],
        synaptic_ops_per_inference=result.synaptic_ops_per_inference[timesteps],
        train_seconds=seconds,
    )


def _tune_then_convert(
    tuned: nn.Sequential,
    task: TransferTask,
    epochs: int,
    lr: float,
    norm: str,
    training: dict,
) -> tuple[SpikingNetwork, float]:
    """``convert`` mode: tune the deep network, then convert it (chapter ``nt_in_snn``).

    Returns the spiking network and the tuned deep network's target accuracy.
    """
    if epochs > 0:
        fit(tuned, task.target_train, epochs, lr=lr, **training)
    ann_target_acc = evaluate(tuned, task.target_test)
    return convert(tuned, task.target_train, norm), ann_target_acc


def _check_spiking_args(
    task: TransferTask,
    method: str,
    mode: str,
    granularity: str,
    epochs: int,
    lr: float | None,
    seed: int,
    batch_size: int,
) -> None:
    """Raise a ValueError/TypeError naming the first bad argument of tune_spiking."""
    if mode not in SNN_MODES:
        raise ValueError(f"unknown mode {mode!r}; valid: {', '.join(SNN_MODES)}")
    check_tune_args(task, method, granularity, epochs, lr, seed)
    if method not in SPIKING_METHODS:
        raise ValueError(
            f"method {method!r} is not available for spiking networks; use one of "
            f"{', '.join(SPIKING_METHODS)}, or tune the deep network with "
            f"{method!r}, fold it (ntlib.modulation.fold_modulatory_biases) and "
            "convert"
        )
    check_int("batch_size", batch_size, minimum=1)


def compare_spiking(
    source_model: nn.Sequential,
    task: TransferTask,
    runs: Sequence[tuple[str, ...]] = (
        ("nt", "convert"),
        ("nt", "surrogate"),
        ("tft", "surrogate"),
    ),
    seeds: Sequence[int] = (0, 1, 2),
    **options,
) -> list[dict[str, object]]:
    """One row per (method, mode[, granularity], seed): the table of chapter ``nt_in_snn``.

    Each run is ``(method, mode)`` or ``(method, mode, granularity)``; a run
    without its own granularity uses the ``granularity`` option.  Keyword
    arguments go to :func:`tune_spiking`; ``epochs`` may be a dict keyed by
    mode.
    """
    epochs = options.pop("epochs", 5)
    default_granularity = options.pop("granularity", "channel")
    rows = []
    for run_spec in runs:
        if len(run_spec) not in (2, 3):
            raise ValueError(
                f"a run is (method, mode) or (method, mode, granularity), got "
                f"{run_spec!r}"
            )
        method, mode = run_spec[0], run_spec[1]
        granularity = run_spec[2] if len(run_spec) == 3 else default_granularity
        for seed in seeds:
            n = epochs[mode] if isinstance(epochs, dict) else epochs
            run = tune_spiking(
                source_model,
                task,
                method,
                mode,
                epochs=n,
                seed=seed,
                granularity=granularity,
                **options,
            )
            rows.append({"task": task.task, **run.as_dict()})
    return rows
