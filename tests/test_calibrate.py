"""Calibrating a chip (chapter calibration): supplies, biases, honest selection."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

from ntlib.chip.calibrate import (
    calibrate,
    calibrate_modes,
    design_rates,
    layer_supplies,
)
from ntlib.chip.circuit_model import CircuitModel
from ntlib.chip.design import (
    BIAS_DAC_BITS,
    BIAS_DAC_FULL_SCALE_V,
    design_chip,
    network_scales,
)
from ntlib.chip.experiment import population_summary
from ntlib.chip.simulator import Chip
from ntlib.cli import main

pytestmark = pytest.mark.usefixtures("one_thread")


def model(excite: float = 1.0, inhibit: float = 1.0) -> CircuitModel:
    """Linear gain curves; ``excite`` and ``inhibit`` scale each bank's curve."""
    return CircuitModel(
        corner="tt", temp_c=27.0, supply_v=(0.9, 1.8),
        excite_gain=(0.01 * excite, 0.2 * excite),
        inhibit_gain=(0.01 * inhibit, 0.2 * inhibit),
        threshold_v=0.57, rheobase_a=1e-8, tau_s=6e-4,
        bias_range_rheobase=(-50.0, 50.0), bias_gap_rheobase=(-0.01, 0.01),
        sigma={"excite": 0.01, "inhibit": 0.01, "bias": 0.01, "bias_sink": 0.01},
        bias_source=((0.0, 1.8), (0.0, 5e-7)), bias_sink=((0.0, 1.8), (0.0, 5e-7)),
    )


def teacher() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(16, 24), nn.ReLU(), nn.Linear(24, 4))


def images(n: int, seed: int) -> torch.Tensor:
    return torch.rand(n, 1, 4, 4, generator=torch.Generator().manual_seed(seed))


def designed():
    net = teacher()
    x = images(256, 1)
    return net, design_chip(net, network_scales(net, x), model(), (1, 4, 4))


def test_a_supply_per_bank_undoes_a_scaled_excitatory_bank_on_the_dac_grid():
    _, design = designed()
    skewed = model(excite=1.4)  # excitation 40 % strong, inhibition as designed
    for layer in design.layers:
        assert skewed.gains_at(layer.excite_supply_v)[0] / layer.gain == pytest.approx(
            1.4, rel=1e-3)
    supplies = layer_supplies(design, skewed, [1.0] * len(design.layers))
    step = BIAS_DAC_FULL_SCALE_V / (2**BIAS_DAC_BITS - 1)
    for layer, (excite_v, inhibit_v) in zip(design.layers, supplies, strict=True):
        # each bank back at the designed gain, within half a DAC step's change
        slope = (0.2 - 0.01) / 0.9
        tolerance = 0.5 * step * 1.4 * slope / layer.gain + 1e-9
        assert skewed.gains_at(excite_v)[0] / layer.gain == pytest.approx(
            1.0, abs=tolerance)
        assert skewed.gains_at(inhibit_v)[1] / layer.gain == pytest.approx(
            1.0, abs=tolerance)
        assert excite_v < layer.excite_supply_v  # a weaker excitatory supply
        for volts in (excite_v, inhibit_v):
            assert volts / step == pytest.approx(round(volts / step), abs=1e-6)


def test_supply_calibration_restores_the_rates_and_answers_of_the_design():
    net, design = designed()
    skewed = model(excite=1.6)  # excitation 60 % strong, inhibition as designed
    x_cal, x_sel, x_test = images(128, 2), images(128, 3), images(256, 4)
    with torch.no_grad():
        y_sel = net(x_sel).argmax(1)
    # what the designed chip answers: the calibration's aim on unseen images
    y_test = Chip(design).run(x_test, 32, torch.Generator().manual_seed(0)).predictions
    targets = design_rates(design, x_cal, 32)
    chips = calibrate_modes(design, skewed, None, x_cal, (x_sel, y_sel), 32,
                            ("none", "bias", "supply", "both"), targets=targets)

    def rate_error(chip: Chip) -> float:
        run = chip.run(x_cal, 32, torch.Generator().manual_seed(0))
        return float(sum((c.mean(0) / 32 - t).abs().mean()
                         for c, t in zip(run.counts, targets, strict=True)))

    untrimmed = chips["none"]
    assert chips["supply"] is not untrimmed
    assert rate_error(chips["supply"]) < 0.5 * rate_error(untrimmed)
    agree = {m: c.accuracy(x_test, y_test, 32) for m, c in chips.items()}
    assert agree["supply"] > agree["none"] + 0.05
    assert agree["both"] > agree["none"] + 0.05
    # the biases of "supply" are the design's; its supplies moved
    assert chips["supply"].trims is None
    assert all(a.excite_supply_v != b.excite_supply_v for a, b in
               zip(chips["supply"].design.layers, design.layers, strict=True))


def test_selection_labels_pick_the_round_not_the_calibration_images():
    net, design = designed()
    skewed = model(excite=1.6)
    x_cal, x_sel = images(128, 2), images(128, 3)
    with torch.no_grad():
        y_sel = net(x_sel).argmax(1)
    wrong = (y_sel + 1) % 4  # labels that reward a worse chip
    right = calibrate(design, skewed, None, x_cal, (x_sel, y_sel), 32, "supply")
    perverse = calibrate(design, skewed, None, x_cal, (x_sel, wrong), 32, "supply")
    assert right is not perverse
    for chip, labels in ((right, y_sel), (perverse, wrong)):
        others = calibrate_modes(design, skewed, None, x_cal, (x_sel, labels), 32,
                                 ("none",))["none"]
        assert chip.accuracy(x_sel, labels, 32) >= others.accuracy(x_sel, labels, 32)


def test_unknown_modes_are_refused():
    _, design = designed()
    with pytest.raises(ValueError, match="unknown calibration mode 'gain'; valid"):
        calibrate(design, None, None, images(4, 1), (images(4, 2), torch.zeros(4)),
                  mode="gain")


def test_chip_command_refuses_an_unknown_mode_in_one_line_before_any_work(
        capsys, monkeypatch):
    from ntlib.chip import experiment

    def no_work(*args, **kwargs):
        raise AssertionError("work started")

    monkeypatch.setattr(experiment, "chip_setup", no_work)
    with pytest.raises(SystemExit) as stop:
        main(["chip", "--calibrate", "gain"])
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "unknown calibration mode 'gain'; valid names are: none, bias, supply, "\
        "both" in err
    assert len(err.splitlines()) == 1


def test_population_summary_states_means_worst_changes_and_the_standard_error():
    rows = [{"before": 0.8, "after_bias": 0.7, "after_both": 0.9},
            {"before": 0.6, "after_bias": 0.8, "after_both": 0.9}]
    out = population_summary(rows, 100)
    assert out["before_mean"] == pytest.approx(0.7)
    assert out["before_min"] == pytest.approx(0.6)
    assert out["bias_change"] == pytest.approx(0.05)
    assert out["both_min"] == pytest.approx(0.9)
    assert out["stderr"] == pytest.approx(np.sqrt(0.7 * 0.3 / 100))


@pytest.mark.slow
@pytest.mark.spice
def test_calibration_selection_and_test_images_are_disjoint():
    from ntlib.chip.experiment import chip_setup

    setup = chip_setup("noise")
    parts = [setup.calibration[0], setup.selection[0], setup.test[0]]
    rows = [{p.flatten().numpy().tobytes() for p in part} for part in parts]
    assert len(rows[0]) > 100 and len(rows[1]) > 100
    for i in range(3):
        for j in range(i + 1, 3):
            assert not rows[i] & rows[j], (i, j)


@pytest.mark.slow
@pytest.mark.spice
def test_the_book_chip_is_the_qcfs_chip_trained_on_images_no_other_set_holds():
    from ntlib.chip.experiment import BOOK_CHIP, chip_setup
    from ntlib.chip.hil import trained_design

    book = chip_setup("source", **BOOK_CHIP)
    plain = chip_setup("source", source_kind="qcfs", timesteps=BOOK_CHIP["timesteps"])
    assert (book.source_kind, book.timesteps) == ("qcfs", 8)
    keys = [{p.flatten().numpy().tobytes() for p in part} for part in (
        book.training[0], book.calibration[0], book.selection[0], book.test[0])]
    assert len(keys[0]) > 500
    for other in keys[1:]:
        assert not keys[0] & other
    np.testing.assert_array_equal(
        book.design.bias_bank(),
        trained_design(plain.design, *plain.training, 8).bias_bank())
    assert not np.array_equal(book.design.bias_bank(), plain.design.bias_bank())
    for a, b in zip(book.design.layers, plain.design.layers, strict=True):
        assert torch.equal(a.codes, b.codes)
        assert (a.excite_supply_v, a.inhibit_supply_v) == (b.excite_supply_v,
                                                           b.inhibit_supply_v)


@pytest.mark.slow
@pytest.mark.spice
def test_chip_result_names_the_calibration_by_its_knob():
    from ntlib.chip.experiment import chip_experiment

    result = chip_experiment("source", digits=8, chips=1, calibration="supply")
    assert result["calibration"] == "supply"
    assert result["chip_test_acc_calibrated_by_supply"] == result[
        "chip_test_acc_calibrated"]
    assert 0.0 <= result["chip_test_acc_calibrated_by_supply_min"] <= 1.0
    none = chip_experiment("source", digits=8, chips=1, calibration="none")
    assert none["chip_test_acc_calibrated"] is None
    assert none["chip_test_acc"] == result["chip_test_acc"]


def test_with_supplies_changes_only_the_synapse_supplies():
    from ntlib.chip.calibrate import with_supplies

    _, design = designed()
    moved = with_supplies(design, [(1.0, 1.1)] * len(design.layers))
    for a, b in zip(design.layers, moved.layers, strict=True):
        assert (b.excite_supply_v, b.inhibit_supply_v) == (1.0, 1.1)
        assert torch.equal(a.codes, b.codes)
        assert np.array_equal(a.bias_source_v, b.bias_source_v)
    assert replace(design).layers[0].excite_supply_v == design.layers[0].excite_supply_v
