"""One transfer experiment end to end: pretrain, freeze, tune, evaluate.

See chapter ``neuromodulatory_tuning``.

Joins :mod:`ntlib.data`, :mod:`ntlib.models`, :mod:`ntlib.tuning` and
:mod:`ntlib.train`; the ``transfer`` command and chapter ``neuromodulatory_tuning``'s
grid call it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

from ntlib.checks import check_choice, check_finite, check_int, check_seed
from ntlib.data import TransferTask, load_task
from ntlib.memory_lean import lean_copy
from ntlib.models import DEFAULT_WIDTH
from ntlib.modulation import GRANULARITIES
from ntlib.pretrain import (
    DEFAULT_PRETRAIN_EPOCHS,
    pretrained_source_model,
    pretrained_sources,
)
from ntlib.train import DEFAULT_BATCH_SIZE, DEFAULT_LR, evaluate, fit
from ntlib.tuning import METHODS, prepare, total_params, trainable_params

#: Tuning epochs on the target task used by the book's defaults.
DEFAULT_TUNE_EPOCHS = 15


def check_tune_args(
    task: TransferTask,
    method: str,
    granularity: str,
    epochs: int,
    lr: float | None,
    seed: int,
) -> None:
    """Raise a TypeError/ValueError naming the first bad argument of :func:`tune`.

    Called before any work, so a bad value never costs a pretraining.
    """
    if not isinstance(task, TransferTask):
        raise TypeError(
            f"task must be a TransferTask (see ntlib.load_task), got "
            f"{type(task).__name__}"
        )
    check_choice("method", method, METHODS)
    check_choice("granularity", granularity, GRANULARITIES)
    check_int("epochs", epochs, minimum=0)
    if lr is not None:
        check_finite("lr", lr, positive=True)
    check_seed("seed", seed)


def tune(
    source_model: nn.Sequential,
    task: TransferTask,
    method: str,
    granularity: str = "channel",
    epochs: int = DEFAULT_TUNE_EPOCHS,
    lr: float | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    seed: int = 0,
    device: str = "cpu",
    progress: bool = False,
    memory_lean: bool = False,
) -> tuple[nn.Sequential, dict[str, float | int | str]]:
    """Tune a copy of ``source_model`` on the target task with one method.

    ``source_model`` is left untouched.  ``lr`` defaults to the method's entry
    in :data:`ntlib.train.DEFAULT_LR`.  ``memory_lean`` trains through
    :func:`ntlib.memory_lean.lean_copy` (same gradients, less memory).

    Returns:
        The tuned model and a dict with ``method``, ``granularity``, ``seed``,
        ``lr``, ``epochs``, ``target_test_acc``, ``trainable_params``,
        ``total_params`` and ``train_seconds``.
    """
    check_tune_args(task, method, granularity, epochs, lr, seed)
    lr = DEFAULT_LR[method] if lr is None else lr
    torch.manual_seed(seed)
    model = prepare(source_model, method, granularity, task.input_shape)
    result = fit(
        lean_copy(model) if memory_lean else model,
        task.target_train,
        epochs,
        lr=lr,  # type: ignore[arg-type]
        batch_size=batch_size,
        seed=seed,
        device=device,
        progress=progress,
    )
    row: dict[str, float | int | str] = {
        "method": method,
        "granularity": granularity,
        "seed": seed,
        "lr": float(lr),  # type: ignore[arg-type]
        "epochs": epochs,
        "target_test_acc": evaluate(model, task.target_test, device),
        "trainable_params": trainable_params(model),
        "total_params": total_params(model),
        "train_seconds": result.train_seconds,
    }
    return model.cpu(), row


def run_transfer(
    task: TransferTask,
    method: str,
    granularity: str = "channel",
    width: int = DEFAULT_WIDTH,
    epochs: int = DEFAULT_TUNE_EPOCHS,
    pretrain_epochs: int = DEFAULT_PRETRAIN_EPOCHS,
    lr: float | None = None,
    seed: int = 0,
    pretrain_seed: int = 0,
    cache_dir: str | Path | None = None,
    device: str = "cpu",
    progress: bool = False,
    activation: str = "relu",
    levels: int | None = None,
) -> dict[str, float | int | str | None]:
    """Pretrain (or load) the source model, then tune it for the target task.

    ``activation`` and ``levels`` choose a ReLU or a QCFS source network
    (chapter ``ann_to_snn``); NT works on either, its bias adds to the pre-activation.
    Returns the dict of :func:`tune` plus ``dataset``, ``task``, ``width``,
    ``activation``, ``levels``, ``source_test_acc`` and
    ``target_test_acc_before`` (frozen, untuned).
    """
    check_tune_args(task, method, granularity, epochs, lr, seed)
    source = pretrained_source_model(
        task,
        width=width,
        epochs=pretrain_epochs,
        seed=pretrain_seed,
        cache_dir=cache_dir,
        progress=progress,
        activation=activation,
        levels=levels,
    )
    _, row = tune(
        source,
        task,
        method,
        granularity,
        epochs=epochs,
        lr=lr,
        seed=seed,
        device=device,
        progress=progress,
    )
    return {
        "dataset": task.dataset,
        "task": task.task,
        "width": width,
        "activation": activation,
        "levels": levels,
        "source_test_acc": evaluate(source, task.source_test),
        "target_test_acc_before": evaluate(source, task.target_test),
        **row,
    }


#: The configurations :func:`gain_comparison` measures, in table order.
GAIN_COMPARISON: tuple[str, ...] = ("frozen", "nt", "gain", "nt-gain", "tft")
_COMPARISON_KEYS = ("granularity", "seed", "lr", "target_test_acc", "trainable_params")


def gain_comparison(
    source_model: nn.Sequential,
    task: TransferTask,
    granularity: str = "channel",
    seeds: tuple[int, ...] = (0, 1, 2),
    epochs: int = DEFAULT_TUNE_EPOCHS,
    lrs: dict[str, float] | None = None,
) -> list[dict[str, float | int | str]]:
    """Additive bias against multiplicative gain on one task (chapter ``chip``).

    Tunes copies of ``source_model`` with ``nt`` (a bias per neuron), ``gain``
    (a gain per neuron), ``nt-gain`` (both) and ``tft`` (every weight) at
    ``granularity``, once per seed, and adds the frozen network (untuned:
    no trainable parameter, one row).  ``lrs`` overrides a method's learning
    rate (default :data:`ntlib.train.DEFAULT_LR`).

    Returns:
        One dict per run: ``config``, ``granularity``, ``seed``, ``lr``,
        ``target_test_acc`` and ``trainable_params``.
    """
    check_choice("granularity", granularity, GRANULARITIES)
    if isinstance(seeds, int) or not seeds:
        raise ValueError(
            f"seeds must be a non-empty tuple of seeds such as (0, 1, 2), got {seeds!r}"
        )
    lrs = dict(lrs or {})
    unknown = sorted(set(lrs) - set(METHODS))
    if unknown:
        raise ValueError(
            f"lrs names unknown methods {unknown}; valid: {', '.join(METHODS)}"
        )
    rows: list[dict[str, float | int | str]] = [
        {
            "config": "frozen",
            "granularity": granularity,
            "seed": seeds[0],
            "lr": 0.0,
            "target_test_acc": evaluate(source_model, task.target_test),
            "trainable_params": 0,
        }
    ]
    for method in GAIN_COMPARISON[1:]:
        for seed in seeds:
            _, row = tune(
                source_model,
                task,
                method,
                granularity,
                epochs=epochs,
                lr=lrs.get(method),
                seed=seed,
            )
            rows.append({"config": method, **{k: row[k] for k in _COMPARISON_KEYS}})
    return rows


def seeded_source(
    dataset: str,
    task: str,
    seed: int,
    width: int = DEFAULT_WIDTH,
    epochs: int = DEFAULT_PRETRAIN_EPOCHS,
    cache_dir: str | Path | None = None,
    data_dir: str | Path | None = None,
) -> tuple[TransferTask, nn.Sequential]:
    """A target task and its pretrained source network, both drawn from ``seed``.

    The error bars of chapters ``neuromodulatory_tuning`` and ``nt_in_snn``: ``seed``
    draws the task's random changes (the ``noise`` task's noise), the source network's
    initial weights and its pretraining batch order; passing the same ``seed`` to
    :func:`tune` also draws the tuning batch order.  The train/test split stays fixed
    (:data:`ntlib.datasets.SPLIT_SEED`), so every seed is scored on the same test
    images.
    """
    return seeded_sources(
        dataset, [task], [seed], width, epochs, cache_dir=cache_dir, data_dir=data_dir
    )[task, seed]


def seeded_sources(
    dataset: str,
    tasks: Sequence[str],
    seeds: Sequence[int],
    width: int = DEFAULT_WIDTH,
    epochs: int = DEFAULT_PRETRAIN_EPOCHS,
    processes: int = 1,
    cache_dir: str | Path | None = None,
    data_dir: str | Path | None = None,
) -> dict[tuple[str, int], tuple[TransferTask, nn.Sequential]]:
    """:func:`seeded_source` for every task and seed, keyed by ``(task, seed)``.

    The networks missing from the cache are pretrained in ``processes``
    worker processes, each once (:func:`ntlib.pretrain.pretrained_sources`).
    """
    for seed in seeds:
        check_seed("seed", seed)
    targets = {
        (task, seed): load_task(dataset, task, data_dir, seed=seed)
        for task in tasks
        for seed in seeds
    }
    sources = pretrained_sources(
        [(target, width, epochs, seed) for (_, seed), target in targets.items()],
        processes,
        cache_dir,
    )
    return {
        key: (target, source)
        for (key, target), source in zip(targets.items(), sources, strict=True)
    }
