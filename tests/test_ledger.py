"""The chip's energy ledger, its area and the digital side as a range (chapter 10)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from ntlib.chip.area import chip_area, digital_core_area
from ntlib.chip.circuit_model import CircuitModel
from ntlib.chip.design import design_chip, network_scales
from ntlib.chip.digital import (
    NEUROMORPHIC_PJ_PER_SOP,
    digital_range,
    mac_pj,
    neuromorphic_range,
    node_scale,
)
from ntlib.chip.ledger import COLUMNS, chip_activity, chip_ledger, summary
from ntlib.cli import main
from ntlib.energy import dense_layer
from ntlib.quantise import MAX_CODE

pytestmark = pytest.mark.usefixtures("one_thread")


def small_design():
    """A two-layer chip on a linear circuit model: no SPICE needed to run it."""
    circuit = CircuitModel(
        corner="tt", temp_c=27.0, supply_v=(0.9, 1.8),
        excite_gain=(0.01, 0.2), inhibit_gain=(0.01, 0.2), threshold_v=0.57,
        rheobase_a=1e-8, tau_s=6e-4, bias_range_rheobase=(-50.0, 50.0),
        bias_gap_rheobase=(-0.01, 0.01),
        sigma={k: 0.01 for k in ("excite", "inhibit", "bias", "bias_sink")},
        bias_source=((0.0, 1.8), (0.0, 5e-7)), bias_sink=((0.0, 1.8), (0.0, 5e-7)),
        refractory_s=0.0,
    )
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(16, 12), nn.ReLU(), nn.Linear(12, 3))
    x = torch.rand(64, 1, 4, 4, generator=torch.Generator().manual_seed(1))
    return design_chip(net, network_scales(net, x), circuit, (1, 4, 4)), x


def test_activity_counts_every_line_spike_and_every_neuron_step():
    design, x = small_design()
    activity = chip_activity(design, x[:8], timesteps=16)
    for index, layer in enumerate(design.layers):
        # a dense layer's events are its line spikes times each line's synapses
        codes = layer.codes.numpy()
        fan = np.stack([(codes == c).sum(0) for c in range(-MAX_CODE, MAX_CODE + 1)], 1)
        expected = activity.line_spikes[index] @ fan
        assert np.allclose(activity.run.events_by_code[index], expected)
        assert activity.membrane_counts[index].sum() == pytest.approx(
            layer.neurons * 16)
    assert activity.line_spikes[0].sum() > 0


def test_activity_and_ledger_refuse_bad_input():
    design, x = small_design()
    with pytest.raises(ValueError, match="timesteps must be an integer >= 1"):
        chip_activity(design, x[:2], timesteps=0)
    activity = chip_activity(design, x[:2], timesteps=4)
    with pytest.raises(ValueError, match="unknown converter 'buck'"):
        chip_ledger(design, activity, None, converter="buck")
    with pytest.raises(ValueError, match="unknown routing"):
        chip_ledger(design, activity, None, routing="mesh")
    with pytest.raises(ValueError, match="unknown bias_granularity"):
        chip_ledger(design, activity, None, bias_granularity="layer")


def test_summary_adds_the_rows_and_names_the_largest():
    table = pd.DataFrame(
        [("a", 1.0, 2.0, "measured", "x"), ("b", 5.0, 9.0, "estimate", "y"),
         ("c", 0.5, 0.5, "measured", "z"), ("d", 3.0, 4.0, "estimate", "w")],
        columns=list(COLUMNS))
    result = summary(table)
    assert result["low_nj"] == pytest.approx(9.5)
    assert result["high_nj"] == pytest.approx(15.5)
    assert result["dominant"] == ["b", "d", "a"]
    assert result["measured_share"] == pytest.approx(1.5 / 9.5)
    with pytest.raises(ValueError, match="not a ledger: missing columns"):
        summary(table.drop(columns="source"))
    with pytest.raises(ValueError, match="dominant must be an integer >= 1"):
        summary(table, dominant=0)


def test_digital_range_spans_memory_node_and_weight_width():
    layers = [dense_layer("fc1", 64, 32), dense_layer("fc2", 32, 10)]
    table = digital_range(layers).set_index(["memory", "node_nm", "weight_bits"])
    assert len(table) == 8
    assert node_scale() == pytest.approx((130 / 45) * (1.8 / 0.9) ** 2)
    assert mac_pj(8) == pytest.approx(0.23)
    assert mac_pj(4) == pytest.approx(0.2 / 4 + 0.03 / 2)
    for memory in ("banked 32 KB SRAM", "1 MB SRAM"):
        for bits in (8, 4):
            assert table.loc[(memory, 130.0, bits), "total_nj"] == pytest.approx(
                table.loc[(memory, 45.0, bits), "total_nj"] * node_scale())
        assert (table.loc[(memory, 45.0, 4), "total_nj"]
                < table.loc[(memory, 45.0, 8), "total_nj"])
    macs = 64 * 32 + 32 * 10
    assert table.loc[("1 MB SRAM", 45.0, 8), "arithmetic_nj"] == pytest.approx(
        macs * 0.23e-3)
    assert (table.xs("1 MB SRAM")["memory_nj"]
            > table.xs("banked 32 KB SRAM")["memory_nj"]).all()
    with pytest.raises(ValueError, match="weight_bits must be one of"):
        mac_pj(2)
    with pytest.raises(ValueError, match="need layers"):
        digital_range([])


def test_neuromorphic_figures_price_synaptic_ops_with_their_references():
    table = neuromorphic_range(2e6).set_index("chip")
    assert set(table.index) == {"Loihi", "SpiNNaker2", "TrueNorth", "Tianjic", "SENECA"}
    assert table.loc["Loihi", "low_nj"] == pytest.approx(2e6 * 23.6e-3)
    assert table.loc["TrueNorth", "high_nj"] == pytest.approx(2e6 * 26e-3)
    assert (table["low_nj"] <= table["high_nj"]).all()
    assert all(len(v[3]) > 10 for v in NEUROMORPHIC_PJ_PER_SOP.values())
    with pytest.raises(ValueError, match="synaptic_ops must be >= 0"):
        neuromorphic_range(-1)


def test_digital_core_area_from_published_bit_cells():
    at_130 = digital_core_area(136_586, 3_072, 8, 130.0)
    at_45 = digital_core_area(136_586, 3_072, 8, 45.0)
    bits = 136_586 * 8 + 3_072 * 8
    assert at_130["low_mm2"] == pytest.approx(bits * 2.45 / 0.7 * 1e-6 + 0.05)
    assert at_45["high_mm2"] < at_130["low_mm2"]
    assert digital_core_area(136_586, 0, 4)["sram_kb"] == pytest.approx(68.293)
    with pytest.raises(ValueError, match="node_nm must be one of"):
        digital_core_area(100, 0, 8, 65.0)
    with pytest.raises(ValueError, match="weight_bits must be 8 or 4"):
        digital_core_area(100, 0, 16)


def test_chip_area_counts_the_designs_devices():
    design, _ = small_design()
    table = chip_area(design).set_index("item")
    assert list(table.columns) == ["low (mm2)", "high (mm2)", "kind", "source"]
    assert (table["low (mm2)"] > 0).all()
    assert (table["low (mm2)"] <= table["high (mm2)"]).all()
    units = sum(int(la.codes.abs().sum()) for la in design.layers)
    assert table.loc["synapse units", "low (mm2)"] > units * 8.4e-6
    assert table.loc["synapse units", "low (mm2)"] < units * 20e-6 + 1e-12
    drawn = table.drop(index="routing and spacing")["low (mm2)"].sum()
    assert table.loc["routing and spacing", "low (mm2)"] == pytest.approx(0.5 * drawn)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--routing", "wires"], "--routing choose a ledger row: add --ledger"),
        (["--ledger", "--converter", "buck"], "unknown converter 'buck'"),
        (["--digits", "0"], "--digits must be an integer from 1"),
        (["--task", "flip"], "unknown task"),
    ],
)
def test_energy_command_refuses_bad_options_in_one_line(argv, message, capsys):
    try:
        code = main(["energy", *argv])
    except SystemExit as stop:
        code = stop.code
    assert code == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


# --- with SPICE: the book's source-task chip ---------------------------------


@pytest.fixture(scope="module")
def source():
    from ntlib.chip.experiment import chip_setup
    from ntlib.circuits.energy_figures import energy_figures

    torch.set_num_threads(1)
    setup = chip_setup("source")
    activity = chip_activity(setup.design, setup.test[0][:40])
    return setup, activity, energy_figures("sky130", "tt", 27.0, 1.2)


@pytest.mark.spice
def test_comparator_draws_a_crowbar_current_near_its_trip_point():
    from ntlib.chip.cost import comparator_power_w

    volts, watts = comparator_power_w()
    at = dict(zip(np.round(volts, 3), watts, strict=True))
    assert at[0.55] > 100 * at[0.0]
    assert at[0.5] < at[0.55]
    assert at[0.1] == pytest.approx(at[0.0], rel=0.1)


@pytest.mark.spice
def test_a_driver_copy_costs_more_at_a_higher_supply():
    from ntlib.chip.cost import driver_copy_event_j

    low, high = driver_copy_event_j("excite", 0.9), driver_copy_event_j("excite", 1.2)
    assert 0 < low < high
    with pytest.raises(ValueError, match="kind must be 'excite' or 'inhibit'"):
        driver_copy_event_j("both", 1.0)


@pytest.mark.spice
@pytest.mark.slow
def test_events_are_priced_at_the_measured_curve_of_each_layers_supply(source):
    from ntlib.chip.cost import events_energy_j, supply_figures
    from ntlib.circuits.energy_figures import energy_figures

    setup, activity, _ = source
    design = setup.design
    priced = events_energy_j(design, activity.run, supply_figures(design))
    for layer, events, got in zip(design.layers, activity.run.events_by_code, priced,
                                  strict=True):
        expected = 0.0
        for index, count in enumerate(events):
            code = index - MAX_CODE
            if code:
                supply = layer.excite_supply_v if code > 0 else layer.inhibit_supply_v
                expected += count * energy_figures(
                    "sky130", "tt", 27.0, supply).synaptic_event_j[code]
        assert got == pytest.approx(expected, rel=1e-9)
    # the measured curve falls faster than (V / 1.2 V)^2 towards 0.9 V
    ratio = (energy_figures("sky130", "tt", 27.0, 0.9).synaptic_event_j[7]
             / energy_figures("sky130", "tt", 27.0, 1.2).synaptic_event_j[7])
    assert ratio < 0.8 * (0.9 / 1.2) ** 2


@pytest.mark.spice
@pytest.mark.slow
def test_every_ledger_row_is_a_sourced_non_zero_range(source):
    from ntlib.chip.cost import chip_energy_j

    setup, activity, figures = source
    table = chip_ledger(setup.design, activity, figures)
    assert list(table.columns) == list(COLUMNS)
    assert len(table) == 11
    assert (table["low (nJ)"] > 0).all()
    assert (table["low (nJ)"] <= table["high (nJ)"]).all()
    assert table["source"].str.len().min() > 10
    assert set(table["kind"]) == {"measured", "estimate"}
    measured = table[table["kind"] == "measured"]
    assert (measured["low (nJ)"] == measured["high (nJ)"]).all()
    rows = table.set_index("item")
    parts = chip_energy_j(setup.design, activity.run, figures, activity.timesteps)
    assert rows.loc["output spikes", "low (nJ)"] == pytest.approx(parts["spikes"] * 1e9)
    events = rows.loc["synaptic events", "low (nJ)"] + rows.loc[
        "gate drivers at real fan-out", "low (nJ)"]
    assert events == pytest.approx(parts["events"] * 1e9, rel=0.05)
    result = summary(table)
    assert result["low_nj"] == pytest.approx(table["low (nJ)"].sum())
    assert result["high_nj"] == pytest.approx(table["high (nJ)"].sum())
    assert set(result["dominant"]) <= set(table["item"])
    linear = summary(chip_ledger(setup.design, activity, figures, converter="linear"))
    assert linear["high_nj"] > result["high_nj"]  # a linear regulator burns more
    channel = chip_ledger(setup.design, activity, figures, bias_granularity="channel")
    assert (channel.iloc[7]["high (nJ)"] < table.iloc[7]["high (nJ)"])


@pytest.mark.spice
@pytest.mark.slow
def test_event_model_follows_spice_on_the_output_layer(source):
    from ntlib.chip.cost import event_model_check

    setup, _, _ = source
    check = event_model_check(setup.design, "output", setup.test[0][:2], 32, 0,
                              {"neurons": 10})
    assert check["input_events"] > 0
    assert check["ratio"] == pytest.approx(1.0, abs=0.10)


@pytest.mark.spice
@pytest.mark.slow
def test_energy_command_prints_every_ledger_row_as_json(capsys):
    import json

    assert main(["energy", "--digits", "4", "--ledger", "--json",
                 "--converter", "linear"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["converter"] == "linear"
    assert len(result["rows"]) == 11
    assert all(0 < r["low_nj"] <= r["high_nj"] for r in result["rows"])
    assert result["total_low_nj"] == pytest.approx(
        sum(r["low_nj"] for r in result["rows"]))
    assert len(result["dominant"]) == 3
