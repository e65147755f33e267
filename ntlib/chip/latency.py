"""A low-latency chip: the QCFS network on the chip, and what its physics costs.

See chapter ``chip``.

Chapter ``ann_to_snn``'s QCFS network converts to a spiking network that is
accurate after a few time steps; chapter ``chip``'s chip runs the ReLU
network for :data:`~ntlib.chip.experiment.TIMESTEPS`.  :func:`latency_rows`
sets the two side by side on the nominal chip, step count by step count:
the 3-bit spiking network's accuracy (the chip's reference), the chip's, and
the synaptic events per inference (the chip's energy follows them).
:func:`idealisation_rows` runs the same design on what-if chips that drop
one part of the circuit's physics at a time
(:data:`~ntlib.chip.simulator.IDEALISATIONS`), to show which part costs the
accuracy the chip loses against its spiking network.  :func:`trained_designs`
gives the other answer to that loss: the same chips with their NT biases
trained through them (:func:`~ntlib.chip.hil.trained_design`), and
:func:`latency_rows` sets them beside the designs they came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import numpy as np
from torch.utils.data import TensorDataset

from ntlib.chip.design import ChipDesign
from ntlib.chip.experiment import EVAL_SEED, ChipSetup
from ntlib.chip.hil import trained_design
from ntlib.chip.simulator import IDEALISATIONS, Chip
from ntlib.conversion import convert
from ntlib.parallel import run_calls
from ntlib.snn import evaluate_snn


def trained_designs(
    jobs: Sequence[tuple[ChipSetup, int] | tuple[ChipSetup, int, int]],
    processes: int = 1,
) -> list[ChipDesign]:
    """For each ``(setup, timesteps[, seed])``, the setup's design with NT trained through its chip.

    Trained on ``setup.training`` (none of the calibration, selection or
    test images) with the training ``seed`` (0 if not given),
    ``processes`` designs at a time.
    """
    return run_calls([partial(trained_design, setup.design, *setup.training, t,
                              seed=seed[0] if seed else 0)
                      for setup, t, *seed in jobs], processes)


def latency_rows(
    setup: ChipSetup,
    timesteps: Sequence[int],
    trained: dict[int, ChipDesign] | None = None,
) -> list[dict]:
    """The nominal chip and its 3-bit spiking network at each of ``timesteps``.

    One row per step count: ``source`` (the setup's), ``timesteps``,
    ``snn3bit`` and ``chip`` (test accuracy, on ``setup.test``), ``gap``
    (``snn3bit - chip``, points as a fraction) and ``events`` (synaptic
    events per inference on the chip).  ``chip_trained``, ``gap_trained``
    and ``events_trained`` are filled in by :func:`with_trained` for the step
    counts in ``trained``, and are ``None`` elsewhere.
    """
    x, y = setup.test
    network = convert(setup.quantised, setup.train_set, norm="p99.9")
    snn = evaluate_snn(network, TensorDataset(x, y), list(timesteps), "rate",
                       seed=EVAL_SEED).accuracy
    chip = Chip(setup.design)
    rows = []
    for t in timesteps:
        accuracy, events = chip.accuracy_and_events(x, y, t, EVAL_SEED)
        rows.append({"source": setup.source_kind, "timesteps": int(t),
                     "snn3bit": snn[t], "chip": accuracy, "gap": snn[t] - accuracy,
                     "events": events, "chip_trained": None, "gap_trained": None,
                     "events_trained": None})
    return with_trained(rows, setup, trained or {})


def with_trained(rows: Sequence[dict], setup: ChipSetup,
                 trained: dict[int, ChipDesign]) -> list[dict]:
    """Copies of :func:`latency_rows`' ``rows``, the trained chips' columns filled in.

    For a row whose step count is in ``trained`` (designs from
    :func:`trained_designs`, by step count): ``chip_trained`` and
    ``events_trained`` on ``setup.test``, on the same Poisson draw as the
    row's own chip, and ``gap_trained`` against the row's own 3-bit SNN.
    """
    x, y = setup.test
    out = []
    for row in rows:
        row = dict(row)
        t = row["timesteps"]
        if t in trained:
            accuracy, events = Chip(trained[t]).accuracy_and_events(x, y, t, EVAL_SEED)
            row.update(chip_trained=accuracy, gap_trained=row["snn3bit"] - accuracy,
                       events_trained=events)
        out.append(row)
    return out


def shortest_within(rows: Sequence[dict], points: float = 0.01,
                    gap: str = "gap") -> dict | None:
    """The row with the fewest time steps whose chip is within ``points`` of its SNN.

    ``gap`` names the column compared: ``"gap"`` (the design as converted)
    or ``"gap_trained"`` (rows without a trained chip are skipped).
    """
    close = [r for r in rows if r[gap] is not None and r[gap] <= points]
    return min(close, key=lambda r: r["timesteps"]) if close else None


def idealisation_rows(setup: ChipSetup, timesteps: int) -> list[dict]:
    """The nominal chip without each part of its physics, then without all.

    Rows: ``dropped`` (``"nothing"``, one name of :data:`IDEALISATIONS`, or
    ``"all"``), ``chip`` (test accuracy) and ``events``.
    """
    x, y = setup.test
    variants = [("nothing", ()), *((name, (name,)) for name in IDEALISATIONS),
                ("all", IDEALISATIONS)]
    rows = []
    for name, ideal in variants:
        accuracy, events = Chip(setup.design, ideal=ideal).accuracy_and_events(
            x, y, timesteps, EVAL_SEED)
        rows.append({"dropped": name, "chip": accuracy, "events": events})
    return rows


def events_ratio(reference: dict, low_latency: dict, column: str = "events") -> float:
    """How many times fewer synaptic events ``low_latency``'s row needs.

    ``column`` is ``"events"`` or ``"events_trained"`` (both rows' trained chips).
    """
    return float(reference[column] / np.maximum(low_latency[column], 1e-12))
