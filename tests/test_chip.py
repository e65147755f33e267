"""The simulated chip (chapter 10): netlists, design, mismatch, calibration, energy."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from ntlib.chip.calibrate import calibrate, design_rates
from ntlib.chip.circuit_model import CircuitModel, circuit_model
from ntlib.chip.cost import chip_energy_j
from ntlib.chip.design import design_chip, network_scales
from ntlib.chip.simulator import Chip
from ntlib.chip.spice_layer import LayerCircuit, layer_netlist
from ntlib.circuits.energy_figures import EnergyFigures
from ntlib.cli import main
from ntlib.quantise import quantise_layers

pytestmark = pytest.mark.usefixtures("one_thread")


def model(
    gain: float = 1.0, corner: str = "tt", sigma: float = 0.01,
    reset_drain: tuple[float, ...] = (),
) -> CircuitModel:
    """A circuit model with linear gain curves, no SPICE needed."""
    return CircuitModel(
        corner=corner, temp_c=27.0, supply_v=(0.9, 1.8),
        excite_gain=(0.01 * gain, 0.2 * gain), inhibit_gain=(0.01 * gain, 0.2 * gain),
        threshold_v=0.57, rheobase_a=1e-8, tau_s=6e-4,
        bias_range_rheobase=(-50.0, 50.0), bias_gap_rheobase=(-0.01, 0.01),
        sigma={"excite": sigma, "inhibit": sigma, "bias": sigma, "bias_sink": sigma},
        bias_source=((0.0, 1.8), (0.0, 5e-7)), bias_sink=((0.0, 1.8), (0.0, 5e-7)),
        reset_drain=reset_drain,
    )


def net() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(16, 12), nn.ReLU(), nn.Linear(12, 3))


def data(n: int = 64) -> torch.Tensor:
    return torch.rand(n, 1, 4, 4, generator=torch.Generator().manual_seed(1))


def test_layer_netlist_has_one_device_per_nonzero_synapse_and_a_line_per_firing_input():
    codes = np.array([[3, 0, -2], [0, 0, 7]])
    spikes = np.array([[1, 0, 0], [0, 0, 1]])
    circuit = LayerCircuit(codes, 1.2, 1.0, np.zeros(2), np.array([0.0, 0.6]))
    text = layer_netlist(circuit, spikes)
    synapses = [line for line in text.splitlines() if line.startswith("Xs")]
    assert sorted(line.split()[0] for line in synapses) == ["Xs0_0", "Xs0_2", "Xs1_2"]
    assert "mult=3" in text and "mult=2" in text and "mult=7" in text
    assert "Vinp0 " in text and "Vinn2 " in text and "Vinp1 " not in text
    assert "Vbiasn_1 vbiasn_1 0 DC 0.6" in text and "Vbias_0" not in text
    assert "Vsyni vsyni 0 DC 1" in text


@pytest.mark.parametrize(
    ("codes", "spikes", "message"),
    [
        (np.array([[8]]), np.zeros((2, 1)), "integers -7..+7"),
        (np.array([[1, 2]]), np.zeros((2, 3)), "spikes must be"),
    ],
)
def test_layer_netlist_refuses_bad_codes_and_spike_shapes(codes, spikes, message):
    with pytest.raises(ValueError, match=message):
        layer_netlist(LayerCircuit(codes, 1.2, 1.2, np.zeros(1), np.zeros(1)), spikes)


def test_design_keeps_the_codes_and_fits_every_gain_into_the_supplies():
    source = net()
    circuit = model()
    design = design_chip(source, network_scales(source, data()), circuit, (1, 4, 4))
    for layer, q in zip(design.layers, quantise_layers(source), strict=True):
        assert torch.equal(layer.codes, q.codes.to(torch.int64))
        assert 0.01 <= layer.gain <= 0.2
        assert 0.9 <= layer.excite_supply_v <= 1.8
        # the supply gives the layer's gain on the (linear) curve
        assert circuit.gains_at(layer.excite_supply_v)[0] == pytest.approx(layer.gain)
    bank = design.bias_bank()
    assert bank.shape == (15, 2)
    assert np.all((bank[:, 0] == 0) | (bank[:, 1] == 0))  # one domain on at most
    assert np.array_equal(design.with_bank(bank).bias_bank(), bank)


def test_a_gain_out_of_reach_moves_the_layer_scale():
    source = net()
    scales = network_scales(source, data())
    tiny = model(gain=100.0)  # every gain the layers ask for is below the range
    design = design_chip(source, scales, tiny, (1, 4, 4))
    assert design.layers[0].gain == pytest.approx(1.0)
    assert design.scales_used[0] < scales[0]


def test_mismatch_draws_repeat_for_a_seed_and_scale_with_the_code():
    source = net()
    design = design_chip(source, network_scales(source, data()), model(sigma=0.05),
                         (1, 4, 4))
    nominal = Chip(design)
    first, again, other = Chip(design, None, 3), Chip(design, None, 3), Chip(design, None, 4)
    assert torch.equal(first.weights[0], again.weights[0])
    assert not torch.equal(first.weights[0], other.weights[0])
    codes = design.layers[0].codes
    ratio = (first.weights[0] / nominal.weights[0])[codes.abs() == 1]
    assert 0.02 < float(ratio.std()) < 0.08


@pytest.mark.parametrize("drain", [(), (1.0, 1.0, 1.0, 1.0, 0.8)])
def test_nominal_chip_matches_a_hand_simulated_neuron(drain):
    source = nn.Sequential(nn.Flatten(), nn.Linear(1, 1))
    with torch.no_grad():
        source[1].weight.fill_(0.7)
        source[1].bias.zero_()
    circuit = model(reset_drain=drain)
    design = design_chip(source, [1.0], circuit, (1, 1, 1))
    chip = Chip(design)
    run = chip.run(torch.ones(1, 1, 1, 1), timesteps=10, count_events=True)
    # code 7 at gain 0.1 per code step: 0.7 threshold half a step into each
    # step, four parts a step, each leaking and losing the drain of its place
    # after the last spike (this one drains the next step's event away)
    decay, v, after, spikes = circuit.beta() ** 0.25, 0.0, len(drain), 0
    for _ in range(10):
        for part in range(4):
            if part == 2:
                v += 0.7
                if v >= 1:
                    spikes, v, after = spikes + 1, 0.0, 0
            v = max(decay * v - (drain[after] if after < len(drain) else 0), 0.0)
            after = min(after + 1, len(drain))
    assert spikes == (5 if not drain else 3)
    assert int(run.counts[0].sum()) == spikes
    assert run.events_by_code[0][7 + 7] == pytest.approx(10)


def test_calibration_recovers_a_chip_whose_gain_is_off_and_never_hurts():
    source = net()
    x, x_sel = data(128), torch.rand(128, 1, 4, 4,
                                     generator=torch.Generator().manual_seed(2))
    y, y_sel = source(x).argmax(1), source(x_sel).argmax(1)
    design = design_chip(source, network_scales(source, x), model(), (1, 4, 4))
    strong = model(gain=1.6)  # a fast corner: every synapse 60 % stronger
    target = design_rates(design, x, 32)
    before = Chip(design, strong)
    chip = calibrate(design, strong, None, x, (x_sel, y_sel), 32, targets=target)
    # the selection images pick the round: never worse on them
    assert chip.accuracy(x_sel, y_sel, 32) >= before.accuracy(x_sel, y_sel, 32)
    run_before = before.run(x, 32, torch.Generator().manual_seed(0))
    after = chip.run(x, 32, torch.Generator().manual_seed(0))
    error_before = (run_before.counts[0].mean(0) / 32 - target[0]).abs().mean()
    error_after = (after.counts[0].mean(0) / 32 - target[0]).abs().mean()
    if chip.trims is not None:
        assert error_after < error_before
    assert int((after.predictions == y).sum()) > 0


def test_chip_energy_adds_events_spikes_and_static_parts():
    source = net()
    design = design_chip(source, network_scales(source, data()), model(), (1, 4, 4))
    run = Chip(design).run(data(8), 16, count_events=True)
    codes = range(-7, 8)
    figures = EnergyFigures(
        process="sky130", corner="tt", temp_c=27.0, supply_v=1.2,
        synaptic_event_j={c: 1e-12 * abs(c) for c in codes},
        domain_event_j={c: {} for c in codes}, spike_j=1e-11, neuron_static_w=0.0,
        rheobase_a=1e-8, bias_power_w={-1.0: 0.0, 1.0: 0.0},
        bias_range_rheobase=(-1.0, 1.0), bias_gap_rheobase=(-0.01, 0.01),
    )
    parts = chip_energy_j(design, run, figures, 16)
    spikes = sum(float(c.sum()) for c in run.counts) / 8
    assert parts["spikes"] == pytest.approx(spikes * 1e-11)
    assert parts["total"] == pytest.approx(sum(v for k, v in parts.items() if k != "total"))
    assert parts["events"] > 0
    with pytest.raises(ValueError, match="count_events=True"):
        chip_energy_j(design, Chip(design).run(data(8), 16), figures, 16)


def test_circuit_model_refuses_an_unknown_corner():
    with pytest.raises(ValueError, match="unknown sky130 corner 'xx'; valid names"):
        circuit_model("xx")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--temp-c", "200"], "--temp-c must lie in"),
        (["--chips", "-1"], "--chips must be an integer from 0"),
        (["--level", "spice", "--chips", "5"], "--level spice simulates"),
        (["--task", "flip"], "unknown task"),
    ],
)
def test_chip_command_refuses_bad_options_in_one_line(argv, message, capsys):
    with pytest.raises(SystemExit) if argv[0] in ("--task", "--chips") else _nothing():
        code = main(["chip", *argv])
        assert code == 2
    assert message in capsys.readouterr().err


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_a_trained_gain_becomes_a_per_neuron_supply_clipped_to_what_it_can_give():
    from ntlib.tuning import prepare

    source = net()
    tuned = prepare(source, "gain", "channel", (1, 4, 4))
    gains = [m for m in tuned if hasattr(m, "modulatory_gain")]
    with torch.no_grad():
        gains[0].modulatory_gain.copy_(torch.linspace(-1.0, 2.0, 12))
    circuit = model()
    design = design_chip(tuned, network_scales(source, data()), circuit, (1, 4, 4))
    layer = design.layers[0]
    realised = layer.neuron_gain * layer.gain
    assert realised.min() == pytest.approx(0.01)  # negative gains: the lowest supply
    assert np.all(realised <= 0.2 + 1e-9)
    chip, plain = Chip(design), Chip(design_chip(source, network_scales(source, data()),
                                                circuit, (1, 4, 4)))
    ratio = chip.weights[0] / plain.weights[0]
    assert torch.allclose(ratio[~ratio.isnan()].view(-1),
                          torch.from_numpy(layer.neuron_gain.astype(np.float32))
                          .repeat_interleave(16)[~ratio.isnan().view(-1)], atol=1e-5)


def test_the_membrane_factor_interpolates_as_numpy_does_with_its_slope_as_gradient():
    from ntlib.chip.piecewise import interp as _interp

    xp = np.array([0.0, 0.04, 0.1, 0.2, 0.32, 0.45, 0.6, 0.78])
    fp = np.array([0.01, 0.2, 0.5, 0.8, 1.0, 1.2, 1.3, 1.38])
    x = np.linspace(-0.2, 1.2, 501)
    got = _interp(torch.tensor(x, dtype=torch.float32, requires_grad=True),
                  torch.tensor(xp, dtype=torch.float32),
                  torch.tensor(fp, dtype=torch.float32))
    assert np.allclose(got.detach().numpy(), np.interp(x, xp, fp), atol=1e-6)
    point = torch.tensor([0.15], requires_grad=True)
    _interp(point, torch.tensor(xp, dtype=torch.float32),
            torch.tensor(fp, dtype=torch.float32)).sum().backward()
    assert float(point.grad) == pytest.approx((0.8 - 0.5) / (0.2 - 0.1), rel=1e-5)
    # two curves on one grid at once: each as if alone
    flat = np.full_like(fp, 0.7)
    pair = _interp(torch.tensor(x, dtype=torch.float32), torch.tensor(xp, dtype=torch.float32),
                   torch.tensor(fp, dtype=torch.float32), torch.tensor(flat, dtype=torch.float32))
    assert np.allclose(pair[0].numpy(), np.interp(x, xp, fp), atol=1e-6)
    assert np.allclose(pair[1].numpy(), 0.7, atol=1e-7)
