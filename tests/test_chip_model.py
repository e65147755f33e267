"""The behavioural neuron's model: membrane-dependent banks, PVT, mismatch draws."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

from ntlib.chip.circuit_model import CircuitModel
from ntlib.chip.design import design_chip
from ntlib.chip.simulator import Chip
from ntlib.chip.twin import twin_spike_times_s
from ntlib.circuits import sky130
from ntlib.circuits.neuron import neuron_subckt

pytestmark = pytest.mark.usefixtures("one_thread")


def model(**changes) -> CircuitModel:
    """Linear gain curves; the inhibitory bank fades to nothing at ground."""
    base = CircuitModel(
        corner="tt", temp_c=27.0, supply_v=(0.9, 1.8),
        excite_gain=(0.01, 0.2), inhibit_gain=(0.01, 0.2),
        threshold_v=0.5, rheobase_a=1e-8, tau_s=6e-4,
        bias_range_rheobase=(-50.0, 50.0), bias_gap_rheobase=(-0.01, 0.01),
        sigma={"excite": 0.02, "inhibit": 0.02, "bias": 0.02, "bias_sink": 0.02,
               "threshold": 0.05},
        bias_source=((0.0, 1.8), (0.0, 5e-7)), bias_sink=((0.0, 1.8), (0.0, 5e-7)),
        membrane_v=(0.0, 0.25, 0.5), excite_factor=((1.0, 1.0, 1.0),) * 2,
        inhibit_factor=((0.0, 1.0, 2.0), (0.0, 1.0, 2.0)),
    )
    return replace(base, **changes)


def one_neuron(weights: list[float]):
    source = nn.Sequential(nn.Flatten(), nn.Linear(len(weights), 1))
    with torch.no_grad():
        source[1].weight.copy_(torch.tensor([weights]))
        source[1].bias.zero_()
    return source


def test_a_jump_depends_on_the_membrane_it_lands_on():
    circuit = model()
    assert circuit.jump(-1, 1.8, 0.0) == 0.0  # the sink has nothing to pull on

    def by_hand(code: int, gain: float, v: float) -> float:
        start = v  # the charge in 8 parts, each at the membrane it finds
        for _ in range(8):
            v = max(v + code * gain * np.interp(v, [0, 0.5, 1], [0, 1, 2]) / 8, 0)
        return v - start

    assert circuit.jump(-1, 1.8, 0.5) == pytest.approx(by_hand(-1, 0.2, 0.5))
    assert -0.2 < circuit.jump(-1, 1.8, 0.5) < -0.15  # at HOLD: about the gain
    assert circuit.jump(-1, 1.8, 1.0) == pytest.approx(by_hand(-1, 0.2, 1.0))
    assert circuit.jump(3, 1.35, 0.1) == pytest.approx(3 * 0.105)  # a flat bank
    _, factor = model(membrane_v=()).membrane_factor(1.2, "inhibit")
    assert factor.tolist() == [1.0, 1.0]


def test_the_chip_scales_each_bank_by_its_factor_at_the_membrane():
    circuit = model()
    design = design_chip(one_neuron([0.7, -0.21]), [1.0], circuit, (1, 1, 2))
    layer = design.layers[0]
    codes = layer.codes[0].tolist()
    g = layer.gain
    beta = circuit.beta()
    _, f_inh = circuit.membrane_factor(layer.inhibit_supply_v, "inhibit")
    run = Chip(design).run(torch.ones(1, 1, 1, 2), timesteps=12)
    # by hand: the inhibitory input is weighed at the leaked membrane; the
    # events arrive half a step in, after half a step's leak
    v, spikes = 0.0, 0
    for _ in range(12):
        v = beta**0.5 * v
        for _ in range(4):  # the step's charge in four parts
            factor = np.interp(v, [0.0, 0.5, 1.0], f_inh)
            v = max(v + (codes[0] * g + codes[1] * g * factor) / 4, 0.0)
        if v >= 1.0:
            spikes, v = spikes + 1, 0.0
        v = beta**0.5 * v
    assert spikes > 0
    assert int(run.counts[0].sum()) == spikes
    silent = replace(circuit, inhibit_factor=((0.0, 0.0, 0.0),) * 2)
    free = Chip(design, silent).run(torch.ones(1, 1, 1, 2), timesteps=12)
    assert int(free.counts[0].sum()) > spikes  # a sink with no pull inhibits nothing


def bias_only_spikes(circuit: CircuitModel, bias: float, steps: int) -> list[int]:
    """Spikes of one neuron over ``steps`` under ``bias`` thresholds per step alone."""
    chip = Chip(design_chip(one_neuron([0.5]), [1.0], circuit, (1, 1, 1)), circuit)
    chip.bias[0] = torch.full_like(chip.bias[0], bias)
    run = chip.run(torch.zeros(1, 1, 1, 1), timesteps=steps, initial_membrane=0.0)
    return run.counts[0].flatten().tolist(), chip


def test_the_reset_drains_the_membrane_part_by_part_after_a_spike():
    drain = (0.5, 0.2, 0.01)
    circuit = model(reset_drain=drain)
    counts, chip = bias_only_spikes(circuit, 0.9, 40)
    free, _ = bias_only_spikes(model(), 0.9, 40)
    # by hand: four parts a step, each leaks, adds a quarter of the bias and
    # loses the drain of its place after the last spike
    decay, v, after, spikes = circuit.beta() ** 0.25, 0.0, len(drain), 0
    for _ in range(40 * 4):
        v = max(decay * v + 0.9 / 4 - (drain[after] if after < len(drain) else 0), 0)
        if v >= 1.0:
            spikes, v, after = spikes + 1, 0.0, 0
        else:
            after = min(after + 1, len(drain))
    assert sum(counts) == spikes
    assert sum(free) > spikes  # the drain costs the bias its first parts
    assert chip._drain.tolist() == pytest.approx([*drain, 0.0])


def test_a_strong_bias_can_fire_a_neuron_twice_in_one_step():
    counts, _ = bias_only_spikes(model(), 2.5, 1)
    assert counts == [2.0]  # 0.625 thresholds a part, no drain: every second part


def test_mismatch_draws_are_exposed_and_thresholds_do_not_move_the_others():
    source = nn.Sequential(nn.Flatten(), nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 3))
    x = torch.rand(32, 1, 4, 4, generator=torch.Generator().manual_seed(1))
    from ntlib.chip.design import network_scales

    design = design_chip(source, network_scales(source, x), model(), (1, 4, 4))
    nominal, chip = Chip(design), Chip(design, None, 5)
    assert nominal.synapse_mismatch[0] is None and nominal.threshold_mismatch[0] is None
    drawn = chip.synapse_mismatch[0]
    assert torch.allclose(chip.weights[0], nominal.weights[0] * drawn)
    assert chip.threshold_mismatch[0].shape == (64,)
    assert 0.03 < float(np.std(chip.threshold_mismatch[0])) < 0.07
    no_threshold = Chip(design_chip(source, network_scales(source, x), model(
        sigma={**model().sigma, "threshold": 0.0}), (1, 4, 4)), None, 5)
    assert torch.equal(no_threshold.weights[0], chip.weights[0])
    assert np.array_equal(no_threshold.bias_mismatch[1], chip.bias_mismatch[1])
    assert np.all(no_threshold.threshold_mismatch[0] == 1.0)


def test_the_spread_follows_its_curve_against_supply_and_scales_with_sigma():
    circuit = model(sigma_supply_v=(0.9, 1.2, 1.8), sigma_excite=(0.012, 0.008, 0.006),
                    sigma_inhibit=(0.007, 0.0035, 0.002))
    assert circuit.sigma_at("excite", 0.9) == pytest.approx(0.02 * 1.5)
    assert circuit.sigma_at("inhibit", 1.2) == pytest.approx(0.02)
    assert circuit.sigma_at("bias", 0.9) == 0.02


#: A drain of 5e5 thresholds per second for 25 µs after a spike, at any
#: membrane above a thousandth of a threshold.
STRONG_DRAIN = {"drain_time_s": (0.0, 25e-6, 25.1e-6), "drain_membrane": (1e-3, 1.0),
                "drain_rate": ((5e5, 5e5, 0.0),) * 2}


def test_the_twin_fires_at_the_lif_rate_under_a_bias_alone():
    spikes = twin_spike_times_s(model(), 1.2, 1, np.array([]), 20e-3, 3.0)
    expected = 1 / (6e-4 * math.log(3.0 / 2.0))
    assert (spikes.size - 1) / (spikes[-1] - spikes[0]) == pytest.approx(expected)
    # a drain stronger than the bias pins the membrane at ground while it lasts
    held = twin_spike_times_s(model(**STRONG_DRAIN), 1.2, 1, np.array([]),
                              20e-3, 3.0)
    assert np.diff(held) == pytest.approx(25.05e-6 + 6e-4 * math.log(1.5), rel=2e-3)


def test_an_event_overpowers_the_drain_only_if_it_alone_would_fire():
    drained = model(**STRONG_DRAIN)
    times = 5e-6 + 10e-6 * np.arange(100)
    # code 4 at 1.8 V lifts 0.8 thresholds: the drain takes the events inside it
    # (its pulse, 1.6e6 thresholds per second, nets 0.55 against the drain)
    assert np.diff(twin_spike_times_s(model(), 1.8, 4, times, 1e-3)) == pytest.approx(
        20e-6, rel=1e-3)
    assert np.diff(twin_spike_times_s(drained, 1.8, 4, times, 1e-3)) == pytest.approx(
        40e-6, rel=1e-3)
    # code 7 lifts 1.4 thresholds (1.15 against the drain): it fires at every event
    assert np.diff(twin_spike_times_s(drained, 1.8, 7, times, 1e-3)) == pytest.approx(
        10e-6, rel=1e-2)


def test_the_sky130_neuron_uses_the_pdk_passives_and_level1_keeps_ideal_ones():
    sky, _ = neuron_subckt("n", "sky130")
    text = "\n".join(sky)
    assert text.count("sky130_fd_pr__res_xhigh_po") == 2
    assert text.count("sky130_fd_pr__cap_mim_m3_1") == 3
    level1, _ = neuron_subckt("n", "level1")
    assert "Cm mem 0 1e-11" in level1 and "Rleak mem 0 5e+07" in level1
    slow = "\n".join(sky130.model_lines("ss"))
    assert "res_high__cap_high__lin.spice" in slow and "parameters/" not in slow
    assert sky130.model_identity("ss") != sky130.model_identity("tt")


@pytest.mark.spice
def test_the_pdk_resistor_moves_with_corner_and_temperature():
    from ntlib.circuits.netlist_sky130 import passive_lines
    from ntlib.circuits.simulate import run_netlist

    def ohm(corner: str, temp_c: float) -> float:
        lines = passive_lines([("Rleak", "a", "0", 50e6)])
        net = "\n".join([".title r", *sky130.model_lines(corner), "Va a 0 DC 0.3",
                         *lines, f".temp {temp_c:g}", ".op", ".end"])
        return 0.3 / -run_netlist(net, describe="resistor")["va#branch"][0]

    typical = ohm("tt", 27.0)
    assert typical == pytest.approx(50e6, rel=0.01)
    assert ohm("ss", 27.0) / typical == pytest.approx(1.15, abs=0.01)
    assert ohm("ff", 27.0) / typical == pytest.approx(0.85, abs=0.01)
    assert ohm("tt", 85.0) < typical < ohm("tt", -40.0)


@pytest.mark.spice
@pytest.mark.slow
def test_the_inhibitory_sink_fades_towards_ground_and_the_source_stays_flat():
    from ntlib.chip import measurements as spice

    membranes = (0.02, 0.1, 0.25, 0.4)
    read = spice.read_jumps(spice.jump_netlist("tt", 27.0, 1.2, membranes), membranes)
    jumps = spice.event_jumps(read, membranes, 0.57, 8)
    inhibit, excite = jumps["inhibit_factor"], jumps["excite_factor"]
    assert inhibit[0] < 0.3 and inhibit[1] < 0.8 and inhibit[3] > 1.1
    assert np.all(np.diff(inhibit) > 0)
    assert np.allclose(excite, 1.0, atol=0.02)
    assert 0.03 < jumps["excite"] < 0.08 and 0.02 < jumps["inhibit"] < 0.06
    # a code -2 event from 0.25 V ends lower than a code -1 one, where the
    # sink pulls less: per code step it moves less than the rate at its start
    codes = spice.code_jumps(read, membranes, 0.57)
    assert -codes[-2] / 2 < -codes[-1] < jumps["inhibit"]
    assert codes[2] / 2 == pytest.approx(jumps["excite"], rel=0.01)


def test_unfolded_rates_give_back_the_jumps_they_came_from():
    from ntlib.chip.piecewise import integrate_jump, unfold_rates

    grid = np.array([0.0, 0.05, 0.2, 0.45, 0.8])
    true_rate = np.array([0.0, 0.02, 0.05, 0.08, 0.09])  # a sink in triode
    jumps = np.array([v - integrate_jump(v, -1, grid, true_rate, 8) for v in grid])
    rate = unfold_rates(grid, jumps, -1, 8)
    assert rate == pytest.approx(true_rate, rel=1e-4, abs=1e-9)
    # each measured jump is smaller than the rate at its start
    assert np.all(jumps[1:] < true_rate[1:])
    flat = unfold_rates(grid, np.full(5, 0.07), 1, 8)
    assert flat == pytest.approx(0.07, rel=1e-6)


def test_unfolding_refuses_negative_jumps_and_a_falling_grid():
    from ntlib.chip.piecewise import unfold_rates

    with pytest.raises(ValueError, match="rising grid"):
        unfold_rates(np.array([0.0, 0.2, 0.1]), np.ones(3) * 0.01, 1, 8)
    with pytest.raises(ValueError, match="rising grid"):
        unfold_rates(np.array([0.0, 0.1]), np.array([0.01, -0.01]), 1, 8)
    with pytest.raises(ValueError, match="sign"):
        unfold_rates(np.array([0.0, 0.1]), np.array([0.01, 0.01]), 2, 8)


def test_the_summary_table_reads_the_model_at_each_condition():
    from ntlib.chip.summary import model_summary, model_table

    hot = model(tau_s=4.5e-4, temp_c=85.0, leak_ohm=45e6, capacitance_f=10e-12)
    row = model_summary(hot)
    assert row["tau (us)"] == pytest.approx(450.0)
    assert row["leak per step beta"] == pytest.approx(math.exp(-20 / 450))
    assert row["inhibitory factor near ground"] == pytest.approx(0.2)
    assert row["inhibitory factor near threshold"] == pytest.approx(1.56)
    table = model_table({("tt", 27.0): model(), ("tt", 85.0): hot})
    assert list(table.columns) == ["tt 27 C", "tt 85 C"]
    assert table.loc["leak resistance (MOhm)", "tt 85 C"] == pytest.approx(45.0)


def test_a_grid_point_whose_copy_fired_takes_the_factor_below_it():
    from ntlib.chip.measurements import drop_fired

    assert drop_fired([1.0, 1.001, 0.999, -2.98]) == [1.0, 1.001, 0.999, 0.999]
    assert drop_fired([0.01, 0.15, 0.5, 1.4]) == [0.01, 0.15, 0.5, 1.4]
