"""Slices of every layer in SPICE (chapter 10): crossbars, draws, drivers, figures."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from ntlib.chip.circuit_model import CircuitModel
from ntlib.chip.design import design_chip, network_scales
from ntlib.chip.drivers import DRIVER_UNITS, driver_strength, line_pulse
from ntlib.chip.simulator import Chip
from ntlib.chip.slices import (
    bias_supplies,
    check_slice,
    layer_codes,
    layer_keys,
    network_layer_shapes,
    slice_circuit,
    slice_neurons,
    synapse_factors,
)
from ntlib.chip.spice_check import (
    CONDITIONS,
    agreement,
    clopper_pearson_lower,
    slice_versus_behaviour,
)
from ntlib.chip.spice_layer import (
    LayerCircuit,
    layer_netlist,
    options_line,
    simulate_layer,
)
from ntlib.circuits.simulate import run_netlist
from ntlib.cli import main

pytestmark = pytest.mark.usefixtures("one_thread")


def model(sigma: float = 0.05) -> CircuitModel:
    """A circuit model with linear curves, no SPICE needed."""
    return CircuitModel(
        corner="tt", temp_c=27.0, supply_v=(0.9, 1.8),
        excite_gain=(0.01, 0.2), inhibit_gain=(0.01, 0.2),
        threshold_v=0.57, rheobase_a=1e-8, tau_s=6e-4,
        bias_range_rheobase=(-50.0, 50.0), bias_gap_rheobase=(-0.01, 0.01),
        sigma={"excite": sigma, "inhibit": sigma, "bias": sigma, "bias_sink": sigma,
               "threshold": sigma},
        bias_source=((0.0, 0.9, 1.8), (0.0, 1e-7, 5e-7)),
        bias_sink=((0.0, 0.9, 1.8), (0.0, 2e-7, 5e-7)),
    )


@pytest.fixture(scope="module")
def design():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(),
                        nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
                        nn.Linear(64, 6), nn.ReLU(), nn.Linear(6, 3))
    x = torch.rand(32, 1, 4, 4, generator=torch.Generator().manual_seed(1))
    return design_chip(net, network_scales(net, x), model(), (1, 4, 4))


def test_layers_are_named_like_the_book_network(design):
    assert layer_keys(design) == ["conv1", "conv2", "dense", "output"]
    assert network_layer_shapes((1, 8, 8)) == {
        "conv1": (16, 8, 8), "conv2": (32, 8, 8), "dense": (64,), "output": (10,)}


@pytest.mark.parametrize("index", [0, 1, 2, 3])
def test_the_crossbar_of_codes_computes_what_the_layer_computes(design, index):
    layer = design.layers[index]
    codes = layer_codes(design, index)
    in_shape = (1, 4, 4) if index == 0 else (3, 4, 4) if index == 1 else None
    h = torch.bernoulli(torch.full((5, codes.shape[1]), 0.5),
                        generator=torch.Generator().manual_seed(2))
    if layer.conv is None:
        expected = h @ layer.codes.to(torch.float32).T
    else:
        expected = F.conv2d(h.view(5, *in_shape), layer.codes.to(torch.float32),
                            padding=1).flatten(1)
    assert np.array_equal(h.numpy() @ codes.T.astype(np.float32), expected.numpy())


def test_a_mismatched_chip_carries_each_synapse_draw_into_the_crossbar(design):
    chip = Chip(design, None, 3)
    factors = synapse_factors(chip, 1)
    codes = layer_codes(design, 1)
    assert np.all(factors[codes == 0] == 1.0)
    # neuron (channel 2, row 1, col 2) from input (channel 1, row 0, col 3):
    # kernel element (dy, dx) = (0, 2), at position 1 * 4 + 2
    n, m = 2 * 16 + 1 * 4 + 2, 1 * 16 + 0 * 4 + 3
    drawn, nominal = chip.weights[1], Chip(design).weights[1]
    expected = float(drawn[6, 2, 1, 0, 2] / nominal[2, 1, 0, 2]
                     / chip.threshold_mismatch[1][n])
    assert codes[n, m] != 0
    assert factors[n, m] == pytest.approx(expected, rel=1e-6)
    assert 0.01 < float(np.std(factors[np.abs(codes) == 1])) < 0.1
    assert np.all(synapse_factors(Chip(design), 1) == 1.0)


def test_a_mismatched_bias_source_becomes_the_supply_that_gives_its_current(design):
    chip = Chip(design, None, 5)
    source, sink = bias_supplies(chip, 2)
    layer = design.layers[2]
    nominal = Chip(design).held_rheobase[2]
    curve = model()
    for j in range(layer.neurons):
        if layer.bias_source_v[j] > 0:
            amps = np.interp(source[j], *curve.bias_source)
            want = np.interp(layer.bias_source_v[j], *curve.bias_source)
            assert amps / want == pytest.approx(
                chip.held_rheobase[2][j] / nominal[j]
                / chip.threshold_mismatch[2][j], rel=1e-6)
        else:
            assert source[j] == 0.0
    assert np.array_equal(bias_supplies(Chip(design), 2)[1], layer.bias_sink_v)
    assert sink.shape == (layer.neurons,)


def test_a_slice_keeps_every_line_of_its_neurons_and_the_rest_as_load(design):
    neurons = slice_neurons(design, "conv2", channels=2, patch=2)
    assert neurons.tolist() == [5, 6, 9, 10, 21, 22, 25, 26]  # centre of 4 x 4
    circuit, lines = slice_circuit(Chip(design), 1, neurons)
    codes = layer_codes(design, 1)
    assert np.array_equal(circuit.codes, codes[np.ix_(neurons, lines)])
    assert set(lines) == set(np.flatnonzero(np.any(codes[neurons] != 0, axis=0)))
    total = np.stack([np.clip(codes, 0, None).sum(0), np.clip(-codes, 0, None).sum(0)],
                     1)[lines]
    inside = np.stack([np.clip(circuit.codes, 0, None).sum(0),
                       np.clip(-circuit.codes, 0, None).sum(0)], 1)
    assert np.array_equal(inside + circuit.outside_units, total)
    assert circuit.synapse_factor is None


@pytest.mark.parametrize(
    ("key", "shape", "size", "message"),
    [
        ("conv2", (32, 8, 8), {"channels": 33}, "32 channels"),
        ("conv1", (16, 8, 8), {"patch": 9}, "a patch is 1 to 8"),
        ("dense", (64,), {"neurons": 65}, "64 neurons"),
        ("dense", (64,), {"patch": 2}, "is dense"),
        ("conv2", (32, 8, 8), {"neurons": 4}, "is a convolution"),
    ],
)
def test_a_slice_larger_than_its_layer_is_refused(key, shape, size, message):
    with pytest.raises(ValueError, match=message):
        check_slice(key, shape, **size)


def test_the_command_refuses_a_bad_slice_in_one_line_before_any_work(capsys):
    assert main(["chip", "--level", "spice", "--layer", "dense", "--neurons",
                 "65"]) == 2
    with pytest.raises(SystemExit) as stopped:  # argparse refuses the name
        main(["chip", "--level", "spice", "--layer", "conv9"])
    assert stopped.value.code == 2
    assert main(["chip", "--layer", "output"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and "64 neurons" in err[0] and "conv9" in err[1]


def test_drivers_are_sized_for_every_gate_on_their_line():
    assert driver_strength(np.array([1, DRIVER_UNITS, DRIVER_UNITS + 1, 339])).tolist() \
        == [1, 1, 2, 85]
    codes = np.array([[7, -3], [6, 0], [1, 0]])
    text = layer_netlist(LayerCircuit(codes, 1.2, 1.0, np.zeros(3), np.zeros(3),
                                      synapse_factor=np.full((3, 2), 1.1)),
                         np.ones((2, 2)))
    driver = [line for line in text.splitlines() if line.startswith("Xgp0p")]
    assert driver and driver[0].endswith(" m=4")  # 14 units: 4 drivers
    inhibit = [line for line in text.splitlines() if line.startswith("Xgn1p")]
    assert inhibit and " m=" not in inhibit[0]  # 3 units: one driver
    assert "mult=7.7 m=7.7" in text and "mult=3.3 m=3.3" in text


def test_clopper_pearson_and_the_agreement_figures():
    assert clopper_pearson_lower(12, 12) == pytest.approx(0.7354, abs=1e-4)
    assert clopper_pearson_lower(100, 100) == pytest.approx(0.9638, abs=1e-4)
    assert clopper_pearson_lower(0, 10) == 0.0
    check = {"behaviour_counts": np.array([[2, 4], [0, 2]]),
             "spice_counts": np.array([[2, 3], [1, 1]]),
             "behaviour_predictions": np.array([1, 1]),
             "spice_predictions": np.array([1, 0])}
    fig = agreement(check)
    assert fig["count_error"] == pytest.approx(0.75 / 2.0)
    assert fig["winner_agreement"] == 0.5 and fig["digits"] == 2
    assert 0.0 < fig["correlation"] < 1.0


@pytest.mark.spice
def test_a_driver_sized_for_its_line_gives_the_single_neurons_pulse():
    codes = np.full(60, 5)  # 300 units: far beyond one driver
    weak = line_pulse(codes, "excite", 1.0, 1)
    sized = line_pulse(codes, "excite", 1.0, int(driver_strength(codes.sum())))
    bit = line_pulse(np.array([4]), "excite", 1.0, 1)
    assert weak["off_edge_s"] > 10 * sized["off_edge_s"]
    assert sized["full_drive_in_pulse"] and sized["full_drive_s"] < 50e-9
    assert sized["charge_per_unit_c"] == pytest.approx(bit["charge_per_unit_c"],
                                                       rel=0.03)
    assert weak["charge_per_unit_c"] > 1.05 * bit["charge_per_unit_c"]
    assert 10e-12 < sized["gate_capacitance_f"] < 40e-12


@pytest.mark.spice
@pytest.mark.slow
def test_a_drawn_factor_scales_the_synapse_current_in_spice():
    spikes = np.ones((12, 1))
    counts = []
    for factor in (1.0, 1.6):
        circuit = LayerCircuit(np.array([[3]]), 1.2, 1.2, np.zeros(1), np.zeros(1),
                               synapse_factor=np.array([[factor]]))
        counts.append(sum(simulate_layer(circuit, spikes)["spikes"][0]))
    assert counts[1] > counts[0] >= 1


@pytest.mark.spice
def test_a_slice_runs_in_spice_beside_the_behavioural_chip_on_the_same_spikes(design):
    x = torch.rand(2, 1, 4, 4, generator=torch.Generator().manual_seed(3))
    check = slice_versus_behaviour(design, "output", x, CONDITIONS["mismatch"],
                                   timesteps=4, seed=0)
    assert check["spice_counts"].shape == check["behaviour_counts"].shape == (2, 3)
    assert check["input_lines"] == int(np.any(layer_codes(design, 3) != 0, 0).sum())
    assert check["spice_predictions"].shape == (2,)
    again = slice_versus_behaviour(design, "output", x[:1], CONDITIONS["mismatch"],
                                   timesteps=4, seed=0)  # digit 0 alone: same draw
    assert np.array_equal(again["behaviour_counts"][0], check["behaviour_counts"][0])
    assert np.array_equal(again["spice_counts"][0], check["spice_counts"][0])


def test_a_qcfs_slice_starts_each_membrane_at_half_its_drawn_threshold(design):
    from dataclasses import replace

    half = replace(design, initial_membrane=0.5)
    neurons = slice_neurons(half, "conv2", channels=2, patch=2)
    nominal, _ = slice_circuit(Chip(half), 1, neurons)
    np.testing.assert_allclose(nominal.initial_membrane_v, 0.5 * 0.57)
    lines = np.zeros((2, nominal.codes.shape[1]), dtype=np.int8)
    assert f"v(mem_0)={0.5 * 0.57:g} " in layer_netlist(nominal, lines)
    mismatched = Chip(half, mismatch_seed=4)
    drawn = mismatched.threshold_mismatch[1].reshape(-1)[neurons]
    assert not np.allclose(drawn, 1.0)
    circuit, _ = slice_circuit(mismatched, 1, neurons)
    np.testing.assert_allclose(circuit.initial_membrane_v, 0.5 * 0.57 / drawn)
    # a chip whose membranes start at rest keeps the netlist it always had
    plain, _ = slice_circuit(Chip(design), 1, neurons)
    assert plain.initial_membrane_v is None
    assert "v(mem_0)=0 " in layer_netlist(plain, lines)
    with pytest.raises(ValueError, match="initial_membrane_v"):
        replace(plain, initial_membrane_v=np.full(len(neurons) + 1, 0.2))
    with pytest.raises(ValueError, match="initial_membrane_v"):
        replace(plain, initial_membrane_v=np.full(len(neurons), -0.1))


@pytest.mark.spice
def test_a_membrane_started_at_half_a_threshold_leaks_from_there_in_spice():
    from ntlib.chip.circuit_model import circuit_model

    circuit = circuit_model()
    start = 0.5 * circuit.threshold_v
    quiet = dict(codes=np.array([[1]]), excite_supply_v=1.0, inhibit_supply_v=1.0,
                 bias_supply_v=np.zeros(1), bias_sink_supply_v=np.zeros(1))
    spikes = np.zeros((2, 1), dtype=np.int8)  # two steps, no input spike
    rest = simulate_layer(LayerCircuit(**quiet), spikes)
    held = simulate_layer(LayerCircuit(**quiet, initial_membrane_v=np.array([start])),
                          spikes)
    assert abs(rest["final_membrane_v"][0]) < 0.01 * circuit.threshold_v
    leaked = start * np.exp(-2 * 20e-6 / circuit.tau_s)
    assert held["final_membrane_v"][0] == pytest.approx(leaked, rel=0.05)
    assert sum(held["spikes"][0]) == 0


def test_a_layer_integrates_by_gears_method_and_refuses_unknown_settings():
    assert options_line() == ".options klu method=gear reltol=0.005"
    assert "method=trap reltol=0.0001" in options_line(1e-4, "trap")
    with pytest.raises(ValueError, match="gear or trap"):
        options_line(5e-3, "euler")
    with pytest.raises(ValueError, match="between 0 and 1"):
        options_line(0.0)


@pytest.mark.spice
def test_a_spike_lifts_the_refractory_node_no_higher_than_its_follower_can():
    # the trapezoidal rule at the layer's tolerance rang to 2.3-2.7 V here
    codes = np.array([[7, 5, -2], [3, 4, -6], [6, 0, 2]])
    circuit = LayerCircuit(codes, 1.2, 1.35, np.full(3, 1.3), np.zeros(3))
    spikes = (np.random.default_rng(0).random((16, 3)) < 0.6).astype(np.int8)
    vectors = run_netlist(layer_netlist(circuit, spikes), describe="three neurons")
    fired = [vectors[f"spk_{j}"].max() > 0.9 for j in range(3)]
    peaks = [float(vectors[f"ref_{j}"].max()) for j in range(3)]
    assert all(fired)
    assert max(peaks) < 1.3, peaks
