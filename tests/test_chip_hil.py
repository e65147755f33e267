"""NT trained through the chip (chapter calibration): gradients, training, CLI."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from ntlib.chip.calibrate import calibrate, calibrate_modes
from ntlib.chip.design import BIAS_DAC_BITS, BIAS_DAC_FULL_SCALE_V, trimmed_bank
from ntlib.chip.hil import trained_design, trained_trims
from ntlib.chip.simulator import Chip
from ntlib.cli import main
from tests.test_calibrate import designed, images, model, teacher

pytestmark = pytest.mark.usefixtures("one_thread", "cache_dir")


def labelled(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Images labelled by the network the chip was designed from."""
    x = images(n, seed)
    with torch.no_grad():
        return x, teacher()(x).argmax(1)


def test_a_zero_extra_bias_changes_nothing_and_carries_a_gradient():
    _, design = designed()
    chip = Chip(design, model(excite=0.7), mismatch_seed=3)
    x = images(16, 5)
    plain = chip.run(x, 16, torch.Generator().manual_seed(1))
    extra = [torch.zeros(layer.out_shape, requires_grad=True) for layer in design.layers]
    graded = chip.run(x, 16, torch.Generator().manual_seed(1), extra_bias=extra)
    assert torch.equal(plain.predictions, graded.predictions)
    for a, b in zip(plain.counts, graded.counts, strict=True):
        assert torch.equal(a, b.detach())
    assert plain.scores.grad_fn is None  # no graph without a trainable input
    graded.scores.logsumexp(1).sum().backward()
    for t in extra:
        assert torch.isfinite(t.grad).all()
        assert t.grad.abs().sum() > 0


def test_training_through_a_weakened_chip_wins_back_accuracy_on_unseen_images():
    _, design = designed()
    weak = model(excite=0.55)  # excitation 45 % weak: the chip goes quiet
    x_cal, y_cal = labelled(128, 11)
    x_sel, y_sel = labelled(128, 12)
    x_test, y_test = labelled(256, 13)
    before = Chip(design, weak).accuracy(x_test, y_test, 32)
    trained = calibrate(design, weak, None, x_cal, (x_sel, y_sel), 32,
                        "bias-trained", labels=y_cal)
    after = trained.accuracy(x_test, y_test, 32)
    assert trained.trims is not None
    assert after > before + 0.05, (before, after)


def test_each_epoch_gives_trims_a_chip_can_hold():
    _, design = designed()
    chip = Chip(design, model(excite=0.8))
    x, y = labelled(32, 4)
    epochs = list(trained_trims(chip, x, y, 8, epochs=2, batch_size=16))
    assert len(epochs) == 2
    for trims in epochs:
        assert [t.shape for t in trims] == [(layer.neurons,) for layer in design.layers]
        held = Chip(design, chip.circuit, None, trims).held_rheobase
        assert all(np.isfinite(h).all() for h in held)
    assert any(np.abs(t).max() > 0 for t in epochs[-1])
    with pytest.raises(ValueError, match="epochs and batch_size"):
        next(trained_trims(chip, x, y, epochs=0))


def test_trained_modes_need_the_labels():
    _, design = designed()
    with pytest.raises(ValueError, match="needs the calibration images' labels"):
        calibrate_modes(design, None, None, images(4, 1),
                        (images(4, 2), torch.zeros(4, dtype=torch.long)),
                        modes=("both-trained",))


@pytest.mark.parametrize("mode", ["none", "supply"])
def test_train_through_chip_without_biases_to_train_is_one_line_before_any_work(
        capsys, monkeypatch, mode):
    from ntlib.chip import experiment

    def no_work(*args, **kwargs):
        raise AssertionError("work started")

    monkeypatch.setattr(experiment, "chip_setup", no_work)
    assert main(["chip", "--calibrate", mode, "--train-through-chip"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--train-through-chip trains the biases: use it with --calibrate " \
        f"bias or both, not {mode}" in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(("mode", "wanted"), [("bias", "bias-trained"),
                                              ("both", "both-trained")])
def test_train_through_chip_names_the_trained_mode(chip_command_calls, mode, wanted):
    seen = chip_command_calls
    assert main(["chip", "--calibrate", mode, "--train-through-chip"]) == 0
    assert seen["calibration"] == wanted


def test_zero_trims_leave_a_design_s_bank_as_it_is():
    _, design = designed()
    zeros = [np.zeros(layer.neurons) for layer in design.layers]
    np.testing.assert_allclose(trimmed_bank(design, zeros), design.bias_bank(), atol=1e-9)
    with pytest.raises(ValueError, match="one trim per layer"):
        trimmed_bank(design, zeros[:1])


def test_a_design_trained_through_its_weak_chip_wins_back_unseen_images():
    _, design = designed()
    weak = replace(design, circuit=model(excite=0.55))  # a design blind to its physics
    x, y = labelled(128, 21)
    x_test, y_test = labelled(256, 23)
    trained = trained_design(weak, x, y, 32, epochs=6)
    before = Chip(weak).accuracy(x_test, y_test, 32)
    after = Chip(trained).accuracy(x_test, y_test, 32)
    assert after > before + 0.04, (before, after)  # 0.832 -> 0.895 measured
    # only the bias supplies moved, each onto the DAC grid
    step = BIAS_DAC_FULL_SCALE_V / (2**BIAS_DAC_BITS - 1)
    bank = trained.bias_bank()
    np.testing.assert_allclose(bank / step, np.round(bank / step), atol=1e-6)
    assert not np.array_equal(bank, weak.bias_bank())
    for a, b in zip(weak.layers, trained.layers, strict=True):
        assert torch.equal(a.codes, b.codes)
        assert (a.excite_supply_v, a.inhibit_supply_v) == (b.excite_supply_v,
                                                           b.inhibit_supply_v)


def test_a_trained_design_is_trained_once_per_cache_and_keyed_by_what_it_came_from(
        monkeypatch):
    _, design = designed()
    x, y = labelled(64, 31)
    first = trained_design(design, x, y, 8, epochs=1)

    def untrainable(*args, **kwargs):
        raise AssertionError("trained again instead of read from the cache")

    monkeypatch.setattr("ntlib.chip.hil.trained_trims", untrainable)
    again = trained_design(design, x, y, 8, epochs=1)
    np.testing.assert_array_equal(again.bias_bank(), first.bias_bank())
    # another step count, other images, another seed or another design: trained anew
    for changed in (lambda: trained_design(design, x, y, 16, epochs=1),
                    lambda: trained_design(design, x[:32], y[:32], 8, epochs=1),
                    lambda: trained_design(design, x, y, 8, epochs=1, seed=1),
                    lambda: trained_design(replace(design, circuit=model(excite=0.55)),
                                           x, y, 8, epochs=1)):
        with pytest.raises(AssertionError, match="trained again"):
            changed()
