"""The low-latency chip: QCFS designs, what-if chips and the latency tables."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from test_chip import data, model, net
from torch import nn

from ntlib.chip.design import QCFS_INITIAL_MEMBRANE, design_chip
from ntlib.chip.experiment import MAX_CHIP_TIMESTEPS, check_timesteps
from ntlib.chip.hil import trained_design
from ntlib.chip.latency import (
    events_ratio,
    idealisation_rows,
    latency_rows,
    shortest_within,
    trained_designs,
)
from ntlib.chip.simulator import IDEALISATIONS, Chip
from ntlib.cli import main
from ntlib.qcfs import QCFS

pytestmark = pytest.mark.usefixtures("one_thread", "cache_dir")


def one_neuron(weight: float, activation: nn.Module | None = None):
    layers = [nn.Flatten(), nn.Linear(1, 1)]
    if activation is not None:
        layers.append(activation)
    source = nn.Sequential(*layers)
    with torch.no_grad():
        source[1].weight.fill_(weight)
        source[1].bias.zero_()
    return design_chip(source, [1.0], model(), (1, 1, 1))


def hand_counts(weight: float, steps: int, beta: float, subtract: bool,
                start: float = 0.0) -> int:
    v, spikes = start, 0
    for _ in range(steps):
        v = beta * v + weight
        if v >= 1:
            spikes += 1
            v = v - 1 if subtract else 0.0
    return spikes


@pytest.mark.parametrize("ideal", [(), ("no_leak",), ("subtractive_reset",),
                                   ("no_leak", "subtractive_reset")])
def test_a_what_if_chip_drops_exactly_the_physics_named(ideal):
    design = one_neuron(0.75)
    run = Chip(design, ideal=ideal).run(torch.ones(1, 1, 1, 1), timesteps=10)
    beta = 1.0 if "no_leak" in ideal else design.circuit.beta()
    expected = hand_counts(0.75, 10, beta, "subtractive_reset" in ideal)
    assert int(run.counts[0].sum()) == expected
    if ideal == ("no_leak", "subtractive_reset"):
        assert expected == 7  # 0.75 per step, nothing lost: 7.5 thresholds in 10 steps


def test_a_qcfs_network_starts_its_membranes_at_half_a_threshold():
    relu, qcfs = one_neuron(0.6), one_neuron(0.6, QCFS(levels=4))
    assert relu.initial_membrane == 0.0
    assert qcfs.initial_membrane == QCFS_INITIAL_MEMBRANE == 0.5
    x = torch.ones(1, 1, 1, 1)
    # one step of 0.6: from rest it stays below threshold, from one half it fires
    assert int(Chip(relu).run(x, timesteps=1).counts[0].sum()) == 0
    assert int(Chip(qcfs).run(x, timesteps=1).counts[0].sum()) == 1
    assert int(Chip(relu).run(x, 1, initial_membrane=0.5).counts[0].sum()) == 1


def test_an_unknown_idealisation_is_refused_with_the_valid_names():
    with pytest.raises(ValueError, match="no_leak, subtractive_reset"):
        Chip(one_neuron(0.5), ideal=("no_noise",))


@pytest.mark.parametrize("bad", [0, -3, MAX_CHIP_TIMESTEPS + 1, 2.5, True, "8"])
def test_chip_time_steps_are_checked(bad):
    with pytest.raises(ValueError, match="time steps must be a whole number"):
        check_timesteps(bad)
    assert check_timesteps(8) == 8


def _setup():
    source = net()
    x = data(96)
    design = design_chip(source, [1.0, 1.0], model(gain=1.0), (1, 4, 4))
    with torch.no_grad():
        y = source(x[64:]).argmax(1)
    return SimpleNamespace(design=design, quantised=source, train_set=x[:64],
                           test=(x[64:], y), source_kind="relu")


def test_latency_rows_set_the_chip_beside_its_spiking_network():
    setup = _setup()
    rows = latency_rows(setup, [4, 16])
    assert [r["timesteps"] for r in rows] == [4, 16]
    for row in rows:
        assert row["gap"] == pytest.approx(row["snn3bit"] - row["chip"])
    assert rows[1]["events"] > 3 * rows[0]["events"]  # events grow with the steps
    # the "as designed" what-if is the chip that Chip.accuracy measures
    ideal = idealisation_rows(setup, 16)
    assert [r["dropped"] for r in ideal] == ["nothing", *IDEALISATIONS, "all"]
    assert ideal[0]["chip"] == pytest.approx(Chip(setup.design).accuracy(*setup.test, 16))
    assert ideal[0]["chip"] == pytest.approx(rows[1]["chip"])


def test_the_trained_columns_are_filled_only_where_a_design_was_trained():
    setup = _setup()
    x = data(96)[:64]  # the training images, none of them a test image
    with torch.no_grad():
        y = setup.quantised(x).argmax(1)
    designs = {16: trained_design(setup.design, x, y, 16, epochs=1)}
    rows = latency_rows(setup, [4, 16], designs)
    assert [r["chip_trained"] is None for r in rows] == [True, False]
    row = rows[1]
    assert row["chip_trained"] == pytest.approx(Chip(designs[16]).accuracy(*setup.test, 16))
    assert row["gap_trained"] == pytest.approx(row["snn3bit"] - row["chip_trained"])
    assert row["events_trained"] > 0
    # the design's own columns are those of a run without trained designs
    plain = latency_rows(setup, [4, 16])
    assert [(r["chip"], r["snn3bit"]) for r in plain] == [
        (r["chip"], r["snn3bit"]) for r in rows]


def test_trained_designs_pass_each_job_its_seed():
    setup = _setup()
    x = data(96)[:64]
    with torch.no_grad():
        setup.training = (x, setup.quantised(x).argmax(1))
    default, seeded = trained_designs([(setup, 8), (setup, 8, 3)])
    assert not np.array_equal(default.bias_bank(), seeded.bias_bank())
    for design, seed in ((default, 0), (seeded, 3)):
        np.testing.assert_array_equal(
            design.bias_bank(),
            trained_design(setup.design, *setup.training, 8, seed=seed).bias_bank())


def test_shortest_within_and_events_ratio():
    rows = [{"timesteps": 4, "gap": 0.03, "events": 10.0},
            {"timesteps": 8, "gap": 0.008, "events": 20.0},
            {"timesteps": 16, "gap": 0.0, "events": 40.0}]
    assert shortest_within(rows)["timesteps"] == 8
    assert shortest_within(rows, points=0.0)["timesteps"] == 16
    assert shortest_within(rows[:1]) is None
    assert events_ratio({"events": 80.0}, rows[1]) == pytest.approx(4.0)
    trained = [dict(r, gap_trained=g, events_trained=2 * r["events"])
               for r, g in zip(rows, (0.005, None, 0.0), strict=True)]
    assert shortest_within(trained, gap="gap_trained")["timesteps"] == 4
    assert shortest_within(trained[1:], gap="gap_trained")["timesteps"] == 16
    assert events_ratio({"events_trained": 80.0}, trained[0],
                        "events_trained") == pytest.approx(4.0)


@pytest.mark.parametrize(
    ("argv", "message", "exits"),
    [
        (["--timesteps", "0"], "--timesteps must be an integer from 1", True),
        (["--timesteps", "5000"], "--timesteps must be an integer from 1", True),
        (["--source", "spiking"], "unknown source network", True),
    ],
)
def test_chip_command_refuses_bad_source_and_steps_in_one_line(argv, message, exits,
                                                               capsys):
    if exits:
        with pytest.raises(SystemExit) as stop:
            main(["chip", *argv])
        assert stop.value.code == 2
    else:
        assert main(["chip", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("level", ["behavioural", "spice"])
def test_the_book_chip_is_one_command_at_either_level(chip_command_calls, level):
    seen = chip_command_calls
    assert main(["chip", "--level", level, "--chips", "1", "--source", "qcfs",
                 "--timesteps", "8", "--train-design"]) == 0
    assert (seen["source_kind"], seen["timesteps"], seen["trained_design"]) == (
        "qcfs", 8, True)
    assert main(["chip", "--chips", "1"]) == 0
    assert (seen["source_kind"], seen["trained_design"]) == ("relu", False)
