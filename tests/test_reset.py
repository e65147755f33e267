"""The reset and the comparator around a spike, measured in SPICE (chapter 10)."""

from __future__ import annotations

import numpy as np
import pytest

from ntlib.chip.circuit_model import circuit_model
from ntlib.chip.reset import (
    ResetDrain,
    drain_netlist,
    event_threshold,
    hold_against_s,
    reset_drain,
)


def test_the_hold_lasts_until_the_drain_falls_below_the_current():
    time = np.arange(0.0, 30e-6, 1e-6)
    drain = ResetDrain("tt", 27.0, tuple(time), tuple(1e-6 * np.exp(-time / 4e-6)))
    held = hold_against_s(drain, [1e-6 * np.exp(-2.5), 1e-6 * np.exp(-5.5), 2e-6])
    assert held == pytest.approx([10e-6, 22e-6, 0.0], rel=0.02)
    assert drain.at(40e-6) == 0.0  # beyond the measurement


def test_the_drain_netlist_compares_the_neuron_with_its_reset_gate_grounded():
    netlist = drain_netlist("ss", 27.0)
    opened = netlist[netlist.index(".subckt opened"):]
    opened = opened[:opened.index(".ends")]
    assert " rst mem 0 0 " in opened.replace("Xrst", " rst")
    assert "X0 " in netlist and " opened" in netlist.split("X1 ")[1].splitlines()[0]
    with pytest.raises(ValueError, match="corner"):
        drain_netlist("xx", 27.0)


def test_the_reset_drain_is_over_before_the_next_step():
    drain = reset_drain("tt", 27.0)
    current = np.asarray(drain.current_a)
    peak = int(current.argmax())
    assert drain.time_s[peak] < 2e-6 and current[peak] > 1e-6
    after = current[peak:]
    assert np.all(np.diff(after) <= 1e-3 * current[peak])  # falls for good
    assert drain.at(4e-6) > 0.3 * current[peak]
    assert drain.at(20e-6) < 0.01 * current[peak]  # one 20 us step later


def test_an_event_fires_the_neuron_within_two_percent_of_its_threshold():
    circuit = circuit_model("tt", 27.0)
    event = event_threshold("tt", 27.0, circuit.threshold_v, circuit.capacitance_f)
    assert event["fired"] == sorted(event["fired"])  # silent, then firing
    assert 0.98 < event["silent_up_to"] < event["fires_from"] <= 1.02


def test_a_longer_spike_drains_harder_afterwards():
    """The spike charges the reset's gate while it lasts (bench_reset --spike-widths)."""
    short, long = reset_drain("tt", 27.0), reset_drain("tt", 27.0, 0.6e-6)
    assert short.spike_s == pytest.approx(0.3e-6) and long.spike_s == 0.6e-6
    for at in (2e-6, 4e-6, 8e-6):
        assert long.at(at) > 1.05 * short.at(at)
    with pytest.raises(ValueError, match="spike_s"):
        drain_netlist("tt", 27.0, 0.0)


def test_a_model_takes_another_drain_in_thresholds_per_second():
    circuit = circuit_model("tt", 27.0)
    measured = reset_drain("tt", 27.0)
    assert circuit.with_drain(measured) == circuit
    doubled = ResetDrain("tt", 27.0, measured.time_s, measured.current_a,
                         measured.membrane_v,
                         tuple(tuple(2 * c for c in row) for row in measured.by_membrane_a))
    rates = np.asarray(circuit.with_drain(doubled).drain_rate)
    assert rates == pytest.approx(2 * np.asarray(circuit.drain_rate))
    per_threshold = circuit.capacitance_f * circuit.threshold_v
    assert rates[3] == pytest.approx(2 * np.asarray(measured.current_a) / per_threshold)
