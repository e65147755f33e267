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
accuracy the chip loses against its spiking network.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from torch.utils.data import TensorDataset

from ntlib.chip.experiment import EVAL_SEED, ChipSetup
from ntlib.chip.simulator import IDEALISATIONS, Chip
from ntlib.conversion import convert
from ntlib.snn import evaluate_snn


def latency_rows(setup: ChipSetup, timesteps: Sequence[int]) -> list[dict]:
    """The nominal chip and its 3-bit spiking network at each of ``timesteps``.

    One row per step count: ``source`` (the setup's), ``timesteps``,
    ``snn3bit`` and ``chip`` (test accuracy, on ``setup.test``), ``gap``
    (``snn3bit - chip``, points as a fraction) and ``events`` (synaptic
    events per inference on the chip).
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
                     "snn3bit": snn[t], "chip": accuracy,
                     "gap": snn[t] - accuracy, "events": events})
    return rows


def shortest_within(rows: Sequence[dict], points: float = 0.01) -> dict | None:
    """The row with the fewest time steps whose chip is within ``points`` of its SNN."""
    close = [r for r in rows if r["gap"] <= points]
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


def events_ratio(reference: dict, low_latency: dict) -> float:
    """How many times fewer synaptic events ``low_latency``'s row needs."""
    return float(reference["events"] / np.maximum(low_latency["events"], 1e-12))
