"""The analog chip's energy floor and the published neurons it is held against."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from itertools import pairwise

import pytest

from ntlib.chip.floor import (
    ANALOG_NEURONS_FJ_PER_SPIKE,
    BOLTZMANN_J_PER_K,
    COLUMNS,
    FloorInputs,
    floor_per_inference_j,
    floor_rows,
    membrane_floor_j,
    min_capacitance_f,
    oxide_f_per_um2,
    synapse_floor_j,
    thermal_noise_v,
)


def approx(expected: float, rel: float = 1e-9):
    """Relative only: pytest's default absolute 1e-12 would pass any joule here."""
    return pytest.approx(expected, rel=rel, abs=0.0)


def inputs(**changes) -> FloorInputs:
    """Round numbers near the SKY130 neuron's, so that no SPICE runs."""
    base = FloorInputs(corner="tt", temp_c=27.0, membrane_capacitance_f=12e-12,
                       threshold_v=0.56, synapse_supply_v=1.2, code_step_v=0.022,
                       excite_gate_f=80e-15, inhibit_gate_f=40e-15)
    return replace(base, **changes)


def row(table, start: str) -> float:
    return float(table.loc[table["item"].str.startswith(start), "value"].iloc[0])


def test_the_membrane_floor_is_c_v_squared_of_the_same_constants():
    numbers = inputs()
    assert membrane_floor_j(numbers) == approx(12e-12 * 0.56**2)
    table = floor_rows(inputs=numbers)
    assert list(table.columns) == list(COLUMNS)
    assert row(table, "membrane floor per spike") == approx(3.7632)
    assert row(table, "membrane capacitance") == approx(12.0)
    # the synapse floor: one unit's effective gate, to the supply and back
    assert synapse_floor_j(numbers, "excite") == approx(80e-15 * 1.44)
    assert synapse_floor_j(numbers) == approx(40e-15 * 1.44)  # smaller unit
    assert row(table, "synapse floor per event (inhibit)") == approx(0.0576)
    assert table["source"].str.len().min() > 0


def test_kt_over_c_is_the_textbook_number_and_rises_with_temperature():
    assert thermal_noise_v(1e-12, 26.85) == approx(64.36e-6, rel=1e-3)
    temps = [-40.0, 0.0, 27.0, 85.0, 125.0]
    noise = [thermal_noise_v(12e-12, t) for t in temps]
    smallest = [min_capacitance_f(0.022, 0.1, t) for t in temps]
    assert all(a < b for a, b in pairwise(noise))
    assert all(a < b for a, b in pairwise(smallest))
    # the smallest capacitance puts the noise exactly at the stated fraction
    for fraction in (0.05, 0.1, 0.5):
        c = min_capacitance_f(0.022, fraction, 85.0)
        assert thermal_noise_v(c, 85.0) == approx(fraction * 0.022)
    hot, cold = floor_rows("tt", 85.0, inputs=inputs(temp_c=85.0)), floor_rows(
        inputs=inputs())
    assert row(hot, "membrane kT/C") > row(cold, "membrane kT/C")
    assert row(hot, "smallest C") == approx(
        BOLTZMANN_J_PER_K * 358.15 / 0.0022**2 * 1e15)


def test_the_floor_per_inference_is_linear_in_spikes_and_events():
    numbers = inputs()

    def floor(spikes: float, events: float) -> float:
        return floor_per_inference_j(spikes, events, inputs=numbers)

    assert floor(0, 0) == 0.0
    assert floor(1, 0) == approx(membrane_floor_j(numbers))
    assert floor(0, 1) == approx(synapse_floor_j(numbers))
    assert floor(300, 7_000) == approx(floor(300, 0) + floor(0, 7_000))
    assert floor(3 * 300, 3 * 7_000) == approx(3 * floor(300, 7_000))
    assert floor_per_inference_j(0, 10, bank="excite", inputs=numbers) == approx(
        10 * 80e-15 * 1.44)


def test_every_published_neuron_has_a_range_a_node_and_a_reference():
    assert len(ANALOG_NEURONS_FJ_PER_SPIKE) >= 3
    for name, (low, high, node_nm, reference) in ANALOG_NEURONS_FJ_PER_SPIKE.items():
        assert 0 < low <= high, name
        assert node_nm > 0, name
        assert reference.strip() and re.search(r"\b(19|20)\d\d\b", reference), name


def test_the_pdk_oxide_capacitance_is_a_few_ff_per_square_micrometre():
    for bank in ("excite", "inhibit"):
        typical = oxide_f_per_um2(bank, "tt")
        assert 7e-15 < typical < 9e-15
    # thinner oxide (more capacitance) at the device type's fast corner
    assert oxide_f_per_um2("inhibit", "ff") > oxide_f_per_um2("inhibit", "tt")
    assert oxide_f_per_um2("excite", "ss") < oxide_f_per_um2("excite", "tt")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: floor_per_inference_j(-1, 10, inputs=inputs()), "spikes must be"),
        (lambda: floor_per_inference_j(1, math.nan, inputs=inputs()),
         "synaptic_events must be"),
        (lambda: floor_per_inference_j(1, 1, corner="xx"), "valid names are"),
        (lambda: floor_rows("xx"), "valid names are"),
        (lambda: floor_rows("tt", 200.0), "temp_c must lie"),
        (lambda: floor_rows("tt", supply_v=3.3), "supply_v must lie"),
        (lambda: floor_rows(noise_fraction=0.0, inputs=inputs()), "noise_fraction"),
        (lambda: floor_rows(noise_fraction=2.0, inputs=inputs()), "noise_fraction"),
        (lambda: floor_rows("ss", inputs=inputs()), "leave inputs out"),
        (lambda: floor_per_inference_j(1, 1, bank="both", inputs=inputs()),
         "bank must be"),
        (lambda: thermal_noise_v(0.0), "capacitance_f must be"),
        (lambda: inputs(threshold_v=-0.5), "threshold_v must be"),
    ],
)
def test_bad_input_says_what_was_wrong_and_what_to_do(call, message):
    with pytest.raises(ValueError, match=message) as error:
        call()
    assert "\n" not in str(error.value)


@pytest.mark.spice
def test_the_measured_circuit_sits_above_its_floor():
    """The SKY130 neuron at tt/27 C (SPICE results from the disk cache)."""
    from ntlib.chip.circuit_model import circuit_model
    from ntlib.circuits.energy_figures import energy_figures

    circuit = circuit_model("tt", 27.0)
    table = floor_rows("tt", 27.0)
    by_hand = circuit.capacitance_f * circuit.threshold_v**2
    assert row(table, "membrane floor per spike") == approx(by_hand * 1e12)
    measured = energy_figures(corner="tt", temp_c=27.0, supply_v=1.2)
    assert by_hand < measured.spike_j
    for code, bank in ((1, "excite"), (-1, "inhibit")):
        floor = row(table, f"synapse floor per event ({bank})") * 1e-12
        assert 0 < floor < measured.synaptic_event_j[code]
    # the effective gate is below the full oxide: a floor, not an estimate
    assert row(table, "inhibit unit: effective") < row(table, "inhibit unit: oxide")
