"""The process registry (chapter 7): a new process is one entry, nothing else.

A FAKE process (the level-1 cards with a higher NMOS threshold, under the name
"fake") goes through the whole single-neuron path: parameter checks against
its ranges, netlist, simulation, summary and firing rate.
"""

from __future__ import annotations

import copy
import dataclasses

import pytest

from ntlib.circuits import (
    NeuronParams,
    build_netlist,
    firing_rate_hz,
    simulate_neuron,
    simulate_summary,
    summarize,
)
from ntlib.circuits.netlist_level1 import MODEL_CARDS
from ntlib.circuits.process import (
    PROCESSES,
    card_process,
    get_process,
    register_process,
)

pytestmark = pytest.mark.usefixtures("cache_dir")


@pytest.fixture
def fake():
    """A level-1 process whose NMOS threshold is 0.1 V higher, narrower ranges."""
    cards = copy.deepcopy(MODEL_CARDS)
    cards["nch"]["vto"] = 0.53
    process = dataclasses.replace(
        card_process("fake", cards), synapse_supply_range_v=(0.8, 1.2)
    )
    register_process(process)
    yield process
    del PROCESSES["fake"]



def test_unknown_process_names_the_valid_ones() -> None:
    message = "unknown process 'x'; valid names are: level1, sky130"
    with pytest.raises(ValueError, match=message):
        get_process("x")
    with pytest.raises(ValueError, match="unknown process 'x'"):
        NeuronParams(process="x")


def test_the_two_processes_carry_their_supplies_and_ranges() -> None:
    sky, level1 = get_process("sky130"), get_process("level1")
    assert (sky.neuron_supply_v, sky.nominal_supply_v) == (1.8, 1.2)
    assert (level1.neuron_supply_v, level1.nominal_supply_v) == (1.2, 1.0)
    assert NeuronParams().supply_v == NeuronParams(process="level1").supply_v == 1.2
    assert NeuronParams(process="level1", supply_v=None).supply_v == 1.0
    assert sky.mismatch and not level1.mismatch
    assert level1.cache_key("tt") == "level1-cards"


def test_a_registered_process_is_checked_against_its_own_ranges(fake) -> None:
    assert NeuronParams(process="fake", supply_v=None).supply_v == 1.0
    with pytest.raises(ValueError, match="0.8-1.2 V"):
        NeuronParams(process="fake", supply_v=1.3)
    with pytest.raises(ValueError, match="no corners"):
        NeuronParams(process="fake", corner="ss")
    with pytest.raises(ValueError, match="no mismatch models"):
        NeuronParams(process="fake", mismatch_seed=1)
    assert "vto=0.53" in build_netlist(NeuronParams(process="fake"))


@pytest.mark.spice
def test_a_fake_process_runs_the_whole_single_neuron_path(fake) -> None:
    params = dict(supply_v=1.0, weight_code=7, duration_s=0.5e-3)
    fake_run = simulate_neuron(NeuronParams(process="fake", **params))
    level1_run = simulate_neuron(NeuronParams(process="level1", **params))
    fake_summary = summarize(fake_run)
    assert fake_summary["process"] == "fake"
    assert fake_summary["spike_count"] > 0
    assert fake_summary["firing_rate_hz"] == firing_rate_hz(fake_run)
    # A higher NMOS threshold moves the comparator's trip point: the rate changes.
    assert firing_rate_hz(fake_run) != firing_rate_hz(level1_run)
    cached = simulate_summary(NeuronParams(process="fake", **params))
    assert cached["spike_count"] == fake_summary["spike_count"]
