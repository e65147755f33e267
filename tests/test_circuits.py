"""Behaviour of the analog neuron in SPICE (ntlib.circuits, chapters 7-8)."""

from __future__ import annotations

import itertools
import json
import resource
import subprocess
import sys

import numpy as np
import pytest

import ntlib
from ntlib.circuits import (
    NeuronParams,
    SimulationError,
    firing_rate_hz,
    simulate_neuron,
    source_current_a,
    summarize,
    sweep_supply,
)
from ntlib.circuits.lif import bias_to_supply_v, fit_lif, fit_membrane, lif_rate_hz
from ntlib.circuits.neuron import (
    FEEDBACK_CAPACITANCE_F,
    INPUT_EDGE_S,
    INPUT_PULSE_WIDTH_S,
    LEAK_RESISTANCE_OHM,
    MEMBRANE_CAPACITANCE_F,
    build_netlist,
)
from ntlib.circuits.simulate import run_netlist

pytestmark = pytest.mark.skipif(
    not ntlib.ngspice_status().available, reason="ngspice is not installed"
)


def test_firing_rate_rises_strictly_with_synapse_supply() -> None:
    rows = sweep_supply([0.8, 0.9, 1.0, 1.1, 1.2], weight_code=7)
    rates = [row["firing_rate_hz"] for row in rows]
    assert rates[0] > 0
    assert all(b > a for a, b in itertools.pairwise(rates)), rates


def test_inhibitory_code_lowers_the_rate_that_the_bias_alone_gives() -> None:
    bias_only = summarize(
        simulate_neuron(NeuronParams(weight_code=0, bias_supply_v=1.1))
    )
    inhibited = summarize(
        simulate_neuron(NeuronParams(weight_code=-7, bias_supply_v=1.1))
    )
    assert bias_only["firing_rate_hz"] > 3000
    assert inhibited["firing_rate_hz"] < 0.5 * bias_only["firing_rate_hz"]


def test_weight_code_zero_without_bias_stays_silent() -> None:
    run = simulate_neuron(NeuronParams(weight_code=0))
    assert firing_rate_hz(run) == 0.0
    assert run.membrane_v.max() < 0.05


def test_power_by_domain_adds_up_and_scales_with_supply() -> None:
    low, high = sweep_supply([0.8, 1.2])
    for row in (low, high):
        assert row["power_w"] == pytest.approx(sum(row["power_w_by_domain"].values()))
        assert row["power_w_by_domain"]["bias"] == 0.0
        assert row["energy_per_spike_j"] == pytest.approx(
            row["power_w"] * row["duration_s"] / row["spike_count"]
        )
    assert (
        high["power_w_by_domain"]["synapse"] > 3 * low["power_w_by_domain"]["synapse"]
    )
    # Synapse energy per event = supply x charge of 7 unit sources in one pulse.
    charge_c = high["energy_per_synaptic_event_j"] / high["supply_v"]
    unit_a = source_current_a("excite", [1.1, 1.2], membrane_v=0.3)[-1]
    pulse_s = INPUT_PULSE_WIDTH_S + INPUT_EDGE_S
    assert charge_c == pytest.approx(7 * unit_a * pulse_s, rel=0.2)


def test_source_current_follows_square_law_of_supply() -> None:
    supply = np.array([0.8, 1.0, 1.2])
    current = source_current_a("excite", supply, membrane_v=0.2)
    # Level-1 square law above |VT0| = 0.4 V: I ~ (V - 0.4)^2 (lambda aside).
    ratio = current[2] / current[0]
    assert ratio == pytest.approx((0.8 / 0.4) ** 2, rel=0.15)
    assert np.all(np.diff(source_current_a("inhibit", supply, membrane_v=0.4)) > 0)


def test_fitted_lif_parameters_match_the_components() -> None:
    step_a = 5e-9
    run = simulate_neuron(
        NeuronParams(weight_code=0, input_current_a=step_a, duration_s=3e-3)
    )
    capacitance_f, leak_ohm = fit_membrane(run.time_s, run.membrane_v, step_a)
    expected_c = MEMBRANE_CAPACITANCE_F + FEEDBACK_CAPACITANCE_F
    assert capacitance_f == pytest.approx(expected_c, rel=0.05)
    assert leak_ohm == pytest.approx(LEAK_RESISTANCE_OHM, rel=0.05)
    currents = np.array([20e-9, 40e-9, 80e-9, 160e-9])
    rates = [
        firing_rate_hz(
            simulate_neuron(NeuronParams(weight_code=0, input_current_a=float(i)))
        )
        for i in currents
    ]
    fit = fit_lif(currents, np.array(rates), capacitance_f, leak_ohm)
    assert 0.45 < fit.threshold_v < 0.7
    assert np.allclose(fit.rate_hz(currents), rates, rtol=0.1)


def test_lif_rate_formula() -> None:
    assert lif_rate_hz(0.4e-6, 1e-12, 1e6, 0.5) == 0.0
    # 1/(RC ln 2) at I R = 2 V_th
    assert float(lif_rate_hz(1e-6, 1e-12, 1e6, 0.5)) == pytest.approx(
        1 / (1e-6 * np.log(2))
    )


def test_bias_to_supply_inverts_the_source_curve() -> None:
    supply = np.array([0.7, 1.0, 1.3])
    current = np.array([1e-9, 4e-9, 9e-9])
    volts = bias_to_supply_v(np.array([0.0, 0.25, 0.9]), 10e-9, supply, current)
    assert volts[0] == 0.0
    assert volts[1] == pytest.approx(0.85)
    assert volts[2] == pytest.approx(1.3)
    with pytest.raises(ValueError, match="more than"):
        bias_to_supply_v(2.0, 10e-9, supply, current)
    with pytest.raises(ValueError, match=">= 0"):
        bias_to_supply_v(-0.1, 10e-9, supply, current)


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("supply_v", 1.5, "0.7-1.3 V"),
        ("supply_v", 0.5, "0.7-1.3 V"),
        ("weight_code", 8, "-7 to \\+7"),
        ("weight_code", -8, "-7 to \\+7"),
        ("weight_code", 2.5, "-7 to \\+7"),
        ("bias_supply_v", 0.3, "0.7-1.3 V"),
    ],
)
def test_out_of_range_input_names_the_range(
    field: str, value: float, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        NeuronParams(**{field: value})


def test_failing_netlist_raises_naming_the_parameters() -> None:
    broken = build_netlist(NeuronParams()).replace("Cm mem 0", "Cm mem 0 bogus")
    with pytest.raises(SimulationError, match="case 42"):
        run_netlist(broken, describe="case 42")


def test_unfinished_run_raises_not_hangs() -> None:
    slow = build_netlist(NeuronParams(duration_s=50e-3)).replace(
        ".tran 2.5e-05", ".tran 1e-09"
    )
    with pytest.raises(SimulationError, match="did not finish within 0.2 s"):
        run_netlist(slow, describe="slow case", timeout_s=0.2)
    # ngspice is usable again afterwards.
    assert firing_rate_hz(simulate_neuron(NeuronParams(supply_v=1.2))) > 0


def test_memory_stays_flat_over_repeated_simulations() -> None:
    params = NeuronParams(duration_s=100e-6)
    for _ in range(20):
        simulate_neuron(params)
    before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for _ in range(60):
        simulate_neuron(params)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before_kb) / 1024
    assert grown_mb < 3


def test_command_line_json() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "ntlib", "circuit", "--supply-v", "0.9,1.1", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = json.loads(out.stdout.strip().splitlines()[-1])
    assert [row["supply_v"] for row in rows] == [0.9, 1.1]
    for key in ("firing_rate_hz", "power_w", "power_w_by_domain", "energy_per_spike_j"):
        assert key in rows[0]
    assert rows[1]["firing_rate_hz"] > rows[0]["firing_rate_hz"]
    assert 0 < rows[0]["sim_seconds"] < 5
    assert out.stderr == ""


def test_command_line_bad_input_exits_2() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "ntlib",
            "circuit",
            "--supply-v",
            "1.0",
            "--weight-code",
            "9",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 2
    assert "-7 to +7" in out.stderr


def test_parallel_sweep_matches_serial() -> None:
    serial = sweep_supply([0.9, 1.1])
    parallel = sweep_supply([0.9, 1.1], processes=2)
    for a, b in zip(serial, parallel, strict=True):
        assert a["firing_rate_hz"] == pytest.approx(b["firing_rate_hz"])
