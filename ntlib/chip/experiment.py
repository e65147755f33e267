"""One experiment on the simulated chip, end to end.

See chapter ``chip``, ``python -m ntlib chip``.

Pretrain (cached) the source network, tune it with NT for the target task,
quantise it to 3-bit codes, design the chip from the *source* network's
scales (one set of weights and synapse supplies for every task), then
measure: the ANN, the converted SNN, the 3-bit SNN, and the chip, nominal
and with ``chips`` Monte Carlo mismatch draws at a corner and temperature,
before and after calibration (:mod:`ntlib.chip.calibrate`: bias supplies,
synapse supplies, or both).

The chip's data come in three disjoint parts: the first
:data:`CALIBRATION_IMAGES` training images calibrate (their rates), the next
:data:`SELECTION_IMAGES` pick the calibration round (their labels), and the
test images measure.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import TensorDataset

from ntlib.checks import check_choice
from ntlib.chip.calibrate import (
    calibrate_modes,
    check_calibration_mode,
    design_rates,
)
from ntlib.chip.circuit_model import circuit_model
from ntlib.chip.cost import chip_energy_j
from ntlib.chip.design import ChipDesign, design_chip, network_scales
from ntlib.chip.hil import trained_design
from ntlib.chip.simulator import Chip
from ntlib.circuits.energy_figures import energy_figures
from ntlib.circuits.process import DEFAULT_PROCESS
from ntlib.conversion import convert
from ntlib.data import TASKS, TransferTask, load_task
from ntlib.parallel import map_processes
from ntlib.pretrain import pretrained_source_model
from ntlib.quantise import quantised_model
from ntlib.snn import evaluate_snn
from ntlib.train import evaluate
from ntlib.transfer import tune

#: Tasks a chip runs: the source task itself, or a target task tuned with NT.
CHIP_TASKS: tuple[str, ...] = ("source", *TASKS)
LEVELS: tuple[str, ...] = ("behavioural", "spice")
#: Time steps of an inference (chapter ``energy``'s T) and calibration images.
TIMESTEPS = 32
#: The most time steps a chip inference may take (20.48 ms of chip time).
MAX_CHIP_TIMESTEPS = 1024
#: Source networks a chip runs: ReLU (converted with p99.9 scales) or QCFS.
SOURCES: tuple[str, ...] = ("relu", "qcfs")
#: Steps of the QCFS source's activation (chapter ``ann_to_snn``'s L = 4).
QCFS_LEVELS = 4
#: The book's chip from chapter ``calibration`` on, as chapter ``chip`` chose
#: it: the QCFS network at 8 steps, NT trained through the chip.
BOOK_CHIP = {"source_kind": "qcfs", "timesteps": 8, "trained": True}
CALIBRATION_IMAGES = 128
#: Labelled training images, after the calibration images, that pick a round.
SELECTION_IMAGES = 128
#: Seed of the Poisson input of every evaluation.
EVAL_SEED = 0


def _tensors(dataset) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = dataset.tensors
    return x, y


@dataclass
class ChipSetup:
    """Networks and data of one task, and the chip designed for it."""

    task_name: str
    task: TransferTask
    source: nn.Sequential
    tuned: nn.Sequential
    quantised: nn.Sequential
    design: ChipDesign
    test: tuple[torch.Tensor, torch.Tensor]
    calibration: tuple[torch.Tensor, torch.Tensor]
    #: labelled images that pick each chip's calibration round
    selection: tuple[torch.Tensor, torch.Tensor] | None = None
    #: the source network's activation, and the time steps of an inference
    source_kind: str = "relu"
    timesteps: int = TIMESTEPS

    @property
    def train_set(self):
        return task_sets(self.task, self.task_name)[0]

    @property
    def test_set(self):
        return task_sets(self.task, self.task_name)[1]

    @property
    def training(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Labelled training images outside the calibration and selection sets."""
        x, y = _tensors(self.train_set)
        used = len(self.calibration[0]) + (
            len(self.selection[0]) if self.selection is not None else 0)
        return x[used:], y[used:]


def task_sets(task: TransferTask, task_name: str):
    """``(train, test)`` data sets of a chip task: the source side for ``source``."""
    if task_name == "source":
        return task.source_train, task.source_test
    return task.target_train, task.target_test


def chip_setup(
    task_name: str = "noise",
    dataset: str = "digits",
    data_dir: str | Path | None = None,
    cache_dir: str | Path | None = None,
    granularity: str = "channel",
    method: str = "nt",
    source_kind: str = "relu",
    timesteps: int = TIMESTEPS,
    trained: bool = False,
) -> ChipSetup:
    """Everything a chip experiment needs for one task (digits: seconds, cached).

    ``source_kind`` ``"qcfs"`` builds the chip from chapter ``ann_to_snn``'s
    QCFS network (:data:`QCFS_LEVELS` levels) instead of the ReLU one.
    ``trained`` trains the design's NT biases through its nominal chip at
    ``timesteps`` steps (:func:`~ntlib.chip.hil.trained_design`, on
    :attr:`ChipSetup.training`; about a minute at 8 steps, then cached).
    ``chip_setup(task, **BOOK_CHIP)`` is the book's chip.
    """
    check_choice("task", task_name, CHIP_TASKS)
    check_choice("source", source_kind, SOURCES)
    timesteps = check_timesteps(timesteps)
    task = load_task(dataset, "noise" if task_name == "source" else task_name,
                     data_dir)
    levels = QCFS_LEVELS if source_kind == "qcfs" else None
    source = pretrained_source_model(task, cache_dir=cache_dir,
                                     activation=source_kind, levels=levels)
    if task_name == "source":
        tuned = source
    else:
        torch.manual_seed(0)
        tuned, _ = tune(source, task, method, granularity)
    quantised, _ = quantised_model(tuned)
    source_q, _ = quantised_model(source)
    x_source, _ = _tensors(task.source_train)
    scales = network_scales(source_q, x_source)
    design = design_chip(quantised, scales, circuit_model("tt", 27.0),
                         task.input_shape)
    train_set, test_set = task_sets(task, task_name)
    x_train, y_train = _tensors(train_set)
    test = _tensors(test_set)
    cal, sel = CALIBRATION_IMAGES, CALIBRATION_IMAGES + SELECTION_IMAGES
    if trained:
        design = trained_design(design, x_train[sel:], y_train[sel:], timesteps,
                                cache_dir=cache_dir)
    return ChipSetup(task_name, task, source, tuned, quantised, design, test,
                     (x_train[:cal], y_train[:cal]),
                     (x_train[cal:sel], y_train[cal:sel]), source_kind, timesteps)


def check_timesteps(timesteps: int) -> int:
    """``timesteps`` if it is a whole number from 1 to :data:`MAX_CHIP_TIMESTEPS`."""
    if (isinstance(timesteps, bool) or not isinstance(timesteps, (int, np.integer))
            or not 1 <= timesteps <= MAX_CHIP_TIMESTEPS):
        raise ValueError(
            f"time steps must be a whole number from 1 to {MAX_CHIP_TIMESTEPS}, "
            f"got {timesteps!r}")
    return int(timesteps)


def _one_chip(item) -> dict[str, float]:
    (design, corner, temp_c, seed, test, calibration, selection, targets, modes,
     timesteps) = item
    torch.set_num_threads(1)
    circuit = circuit_model(corner, temp_c)
    chips = calibrate_modes(design, circuit, seed, calibration[0], selection,
                            timesteps, ("none", *modes), targets=targets,
                            labels=calibration[1])
    measured: dict[int, float] = {}  # a chip two modes chose is measured once
    for chip in chips.values():
        if id(chip) not in measured:
            measured[id(chip)] = chip.accuracy(*test, timesteps, EVAL_SEED)
    row = {"mismatch_seed": seed, "before": measured[id(chips["none"])]}
    for mode in modes:
        row[f"after_{mode}"] = measured[id(chips[mode])]
        changed = chips[mode] is not chips["none"]
        row[f"calibrated_{mode}"] = changed
    if modes:
        row["after"] = row[f"after_{modes[0]}"]
    return row


def chip_population(
    setup: ChipSetup,
    chips: int,
    corner: str = "tt",
    temp_c: float = 27.0,
    processes: int = 1,
    first_seed: int = 1,
    modes: tuple[str, ...] = ("bias",),
) -> list[dict[str, float]]:
    """Accuracy of ``chips`` mismatch draws before and after calibration.

    ``chips = 0`` measures one chip without mismatch at the corner instead.
    Each row holds ``before`` and, per mode of ``modes``
    (:data:`~ntlib.chip.calibrate.CALIBRATION_MODES` but ``none``),
    ``after_<mode>`` and ``calibrated_<mode>`` (whether the selection images
    chose a trimmed chip); ``after`` repeats the first mode's.  The chips are
    calibrated on ``setup.calibration``'s images, their rounds picked on
    ``setup.selection`` and measured on ``setup.test``.
    """
    modes = tuple(m for m in modes if check_calibration_mode(m) != "none")
    selection = setup.selection
    if selection is None:
        raise ValueError("the setup has no selection images: build it with chip_setup")
    targets = design_rates(setup.design, setup.calibration[0], setup.timesteps)
    seeds = [None] if chips == 0 else list(range(first_seed, first_seed + chips))
    # Measured once here (its gain runs on the workers), read from disk by them.
    circuit_model(corner, temp_c, processes)
    items = [(setup.design, corner, temp_c, seed, setup.test, setup.calibration,
              selection, targets, modes, setup.timesteps) for seed in seeds]
    return map_processes(_one_chip, items, processes)


def population_summary(rows: list[dict], test_images: int) -> dict[str, float]:
    """Mean and worst test accuracy before and after each mode, and their change.

    ``rows`` are :func:`chip_population`'s, measured on ``test_images``
    images.  ``stderr`` is the standard error of one chip's accuracy on the
    test set (binomial, at the mean accuracy before calibration): a change of
    the mean smaller than it is within the noise of the test set.
    """
    before = np.array([r["before"] for r in rows])
    mean = float(before.mean())
    out = {"before_mean": mean, "before_min": float(before.min()),
           "stderr": float(np.sqrt(mean * (1 - mean) / test_images))}
    for key in rows[0]:
        if key.startswith("after_"):
            after = np.array([r[key] for r in rows])
            mode = key.removeprefix("after_")
            out[f"{mode}_mean"] = float(after.mean())
            out[f"{mode}_min"] = float(after.min())
            out[f"{mode}_change"] = float(after.mean() - mean)
    return out


def reference_accuracies(
    setup: ChipSetup, test: TensorDataset | None = None
) -> dict[str, float]:
    """ANN, converted SNN and 3-bit SNN test accuracy (rate coding, the setup's T).

    On ``test`` if given (the chip's own test images, so that every accuracy
    of a result is measured on the same images), else the whole test set.
    """
    test = setup.test_set if test is None else test
    out = {"ann_test_acc": evaluate(setup.tuned, test)}
    for key, model in (("snn_test_acc", setup.tuned),
                       ("snn3bit_test_acc", setup.quantised)):
        network = convert(model, setup.train_set, norm="p99.9")
        out[key] = evaluate_snn(network, test, [setup.timesteps], "rate",
                                seed=EVAL_SEED).accuracy[setup.timesteps]
    return out


def check_spice_level(chips: int, corner: str, temp_c: float) -> None:
    """The SPICE level simulates the nominal chip only: a ValueError otherwise."""
    if corner != "tt" or temp_c != 27.0 or chips != 1:
        raise ValueError(
            "--level spice simulates the output layer of the nominal chip at tt and "
            "27 C: use --chips 1 --corner tt --temp-c 27"
        )


def _nominal_chip(
    setup: ChipSetup, corner: str, temp_c: float, processes: int
) -> dict[str, float]:
    """The nominal chip's test accuracy and energy per inference."""
    circuit = circuit_model(corner, temp_c, processes)
    run = Chip(setup.design, circuit).run(
        setup.test[0], setup.timesteps, torch.Generator().manual_seed(EVAL_SEED),
        count_events=True)
    figures = energy_figures(DEFAULT_PROCESS, corner, temp_c)  # nominal supply
    return {
        "chip_nominal_test_acc": float(
            (run.predictions == setup.test[1]).float().mean()),
        "energy_per_inference_j": chip_energy_j(
            setup.design, run, figures, setup.timesteps)["total"],
        "synaptic_events_per_inference": float(
            sum(e.sum() for e in run.events_by_code)),
    }


def _spice_level(setup: ChipSetup, processes: int) -> dict[str, float | None]:
    """The output layer in SPICE against the behavioural chip (``--level spice``)."""
    from ntlib.chip.spice_check import spice_versus_behaviour

    check = spice_versus_behaviour(setup.design, setup.test[0], setup.timesteps,
                                   EVAL_SEED, processes)
    acc = float(np.mean(check["spice_predictions"] == setup.test[1].numpy()))
    return {
        "chip_test_acc": acc, "chip_test_acc_min": acc,
        "chip_test_acc_calibrated": None, "chip_test_acc_calibrated_min": None,
        "calibration": "none",
        "spice_behaviour_agreement": float(np.mean(
            check["spice_predictions"] == check["behaviour_predictions"])),
        "sim_seconds": float(check["sim_seconds"].sum()),
    }


def chip_experiment(
    task_name: str = "noise",
    level: str = "behavioural",
    digits: int | None = None,
    chips: int = 20,
    corner: str = "tt",
    temp_c: float = 27.0,
    dataset: str = "digits",
    data_dir: str | Path | None = None,
    cache_dir: str | Path | None = None,
    processes: int = 1,
    calibration: str = "bias",
    source_kind: str = "relu",
    timesteps: int = TIMESTEPS,
    trained_design: bool = False,
) -> dict:
    """The ``chip`` command's result: one JSON-able dict (see the command's help)."""
    check_choice("level", level, LEVELS)
    check_calibration_mode(calibration)
    setup = chip_setup(task_name, dataset, data_dir, cache_dir,
                       source_kind=source_kind, timesteps=timesteps,
                       trained=trained_design)
    total = len(setup.test[0])
    digits = total if digits is None else digits
    if not 1 <= digits <= total:
        raise ValueError(f"--digits must be 1-{total} for this test set; got {digits}")
    setup.test = (setup.test[0][:digits], setup.test[1][:digits])
    # Every accuracy below, reference and chip alike, is on these test images.
    result: dict = {
        "dataset": dataset, "task": task_name, "level": level, "corner": corner,
        "temp_c": temp_c, "test_images": digits, "chips": chips,
        "source": source_kind, "timesteps": setup.timesteps,
        "design_trained": trained_design,
        **reference_accuracies(setup, TensorDataset(*setup.test)),
    }
    start = time.perf_counter()
    result.update(_nominal_chip(setup, corner, temp_c, processes))
    if level == "spice":
        check_spice_level(chips, corner, temp_c)
        result.update(_spice_level(setup, processes))
        return result
    modes = () if calibration == "none" else (calibration,)
    rows = chip_population(setup, chips, corner, temp_c, processes, modes=modes)
    before = [r["before"] for r in rows]
    result.update(
        chip_test_acc=float(np.mean(before)), chip_test_acc_min=float(np.min(before)),
        calibration=calibration,
        chip_test_acc_calibrated=None, chip_test_acc_calibrated_min=None,
    )
    if modes:
        after = [r[f"after_{calibration}"] for r in rows]
        mean, worst = float(np.mean(after)), float(np.min(after))
        field = calibration.replace("-", "_")  # bias-trained: ..._by_bias_trained
        result.update({
            "chip_test_acc_calibrated": mean, "chip_test_acc_calibrated_min": worst,
            f"chip_test_acc_calibrated_by_{field}": mean,
            f"chip_test_acc_calibrated_by_{field}_min": worst,
        })
    result["sim_seconds"] = time.perf_counter() - start
    return result
