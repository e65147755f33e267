"""Fixtures and markers shared by the tests.

Markers (``pytest -m``):

- ``spice``: runs ngspice; skipped, with the install command as the reason,
  on a machine without it (``make test`` installs it, so CI never skips);
- ``slow``: takes a few seconds or more (trains, spawns worker processes or
  runs a command end to end).

The quick subset, well under a minute: ``pytest tests -m "not slow and not spice"``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import ntlib
from ntlib.data import TransferTask, make_task
from ntlib.models import build_cnn

#: The digits' image shape, which the small networks below take.
DIGITS_SHAPE = (1, 8, 8)

#: "Small" CLI options shared by the command tests: a 2-channel CNN
#: pretrained for one epoch, so that a whole command takes a second.
SMALL_NETWORK_ARGS = ("--width", "2", "--pretrain-epochs", "1")


def pytest_collection_modifyitems(config, items) -> None:
    """Skip ``spice`` tests where ngspice cannot be loaded, saying how to get it."""
    status = ntlib.ngspice_status()
    if status.available:
        return
    skip = pytest.mark.skip(
        reason="ngspice is not installed: apt-get install ngspice libngspice0-dev"
    )
    for item in items:
        if "spice" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def one_thread():
    """Small networks run fastest on one thread, and never fight for the cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty cache folder for models and circuit results.

    ``NTLIB_CACHE_DIR`` points at it for the test, so nothing reads or writes
    the reader's own cache.
    """
    folder = tmp_path / "cache"
    folder.mkdir()
    monkeypatch.setenv("NTLIB_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def small_cnn() -> Callable[..., nn.Sequential]:
    """``small_cnn(width=4)``: the book's CNN for the digits, seeded (seed 0)."""

    def build(width: int = 4) -> nn.Sequential:
        torch.manual_seed(0)
        return build_cnn(DIGITS_SHAPE, 10, width=width)

    return build


@pytest.fixture
def random_task() -> Callable[..., TransferTask]:
    """``random_task(task, n, shape, classes, test)``: random images, cycling labels.

    ``n`` images of ``shape`` with labels ``0, 1, ..., classes - 1, 0, ...``;
    the first ``test`` of them (all by default) are the test set too.
    """

    def build(
        task: str = "noise",
        n: int = 64,
        shape: tuple[int, ...] = DIGITS_SHAPE,
        classes: int = 10,
        test: int | None = None,
        dataset: str = "custom",
    ) -> TransferTask:
        rng = np.random.default_rng(0)
        x = rng.random((n, *shape)).astype(np.float32)
        y = (np.arange(n) % classes).astype(np.int64)
        held = n if test is None else test
        return make_task(x, y, x[:held], y[:held], task, dataset=dataset)

    return build


@pytest.fixture
def chip_command_calls(monkeypatch: pytest.MonkeyPatch) -> dict:
    """What ``python -m ntlib chip`` hands to ``chip_experiment``: no chip is run.

    The returned dict holds the keyword arguments of the latest call.
    """
    from ntlib.chip import experiment

    seen: dict = {}

    def record(**kwargs):
        seen.update(kwargs)
        return {}

    monkeypatch.setattr(experiment, "chip_experiment", record)
    monkeypatch.setattr("ntlib.machine.require_ngspice", lambda: None)
    return seen
