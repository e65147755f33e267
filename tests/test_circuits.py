"""Behaviour of the analog neuron in SPICE (ntlib.circuits, chapters 7-9).

Level-1 checks are fast (about 0.05 s a transient); SKY130 checks run BSIM4
transients of 0.5 ms (about a second each on a quiet core), into a fresh
cache directory so every run simulates afresh.
"""

from __future__ import annotations

import itertools
import json
import math
import resource
import subprocess
import sys
from concurrent.futures import Executor

import numpy as np
import pytest

from ntlib.circuits import (
    NeuronParams,
    SimulationError,
    bias_curves,
    bias_to_supplies,
    energy_figures,
    firing_rate_hz,
    realisable_fraction,
    rheobase_a,
    simulate_neuron,
    simulate_summary,
    source_current_a,
    summarize,
    sweep_supply,
)
from ntlib.circuits.lif_fit import fit_lif, fit_membrane, lif_rate_hz
from ntlib.circuits.mismatch import mismatch_sweep, pelgrom_sigma
from ntlib.circuits.neuron import (
    FEEDBACK_CAPACITANCE_F,
    INPUT_EDGE_S,
    INPUT_PULSE_WIDTH_S,
    LEAK_RESISTANCE_OHM,
    MEMBRANE_CAPACITANCE_F,
    build_netlist,
)
from ntlib.circuits.simulate import run_netlist

pytestmark = [pytest.mark.spice, pytest.mark.usefixtures("cache_dir")]
L1 = {"process": "level1"}



# --- SKY130 -------------------------------------------------------------


def test_sky130_rate_rises_strictly_with_synapse_supply() -> None:
    rows = sweep_supply([0.9, 1.3, 1.8], duration_s=0.5e-3, processes=2)
    rates = [row["firing_rate_hz"] for row in rows]
    assert rates[0] > 0
    assert all(b > a for a, b in itertools.pairwise(rates)), rates
    assert {row["process"] for row in rows} == {"sky130"}


def test_sky130_corners_bracket_typical() -> None:
    rate = {
        corner: sweep_supply([1.0], corner=corner, duration_s=0.5e-3)[0][
            "firing_rate_hz"
        ]
        for corner in ("ss", "tt", "ff")
    }
    assert rate["ss"] <= rate["tt"] <= rate["ff"], rate
    assert rate["ss"] < rate["ff"], rate


def test_sky130_inhibitory_code_pays_gate_drive_energy() -> None:
    common = {"supply_v": 1.2, "duration_s": 0.5e-3}
    rest = simulate_summary(NeuronParams(weight_code=0, **common))
    inhibit = simulate_summary(NeuronParams(weight_code=-7, **common))
    events = 50
    extra_j = (
        (inhibit["power_w_by_domain"]["synapse"] - rest["power_w_by_domain"]["synapse"])
        * common["duration_s"]
        / events
    )
    # Seven 0.42 x 20 um NMOS gates (about 0.5 pF with overlaps) swung to 1.2 V.
    assert 0.1e-12 < extra_j < 2e-12
    assert inhibit["spike_count"] == 0


def test_sky130_simulation_is_cached_on_disk(monkeypatch) -> None:
    params = NeuronParams(duration_s=0.1e-3)
    first = simulate_summary(params)

    def no_spice(*args, **kwargs):
        raise AssertionError("simulated again instead of reading the cache")

    monkeypatch.setattr("ntlib.circuits.measure.simulate_neuron", no_spice)
    assert simulate_summary(params) == first
    with pytest.raises(AssertionError, match="simulated again"):
        simulate_summary(NeuronParams(duration_s=0.1e-3, temp_c=85.0))


def test_bidirectional_bias_maps_both_signs_and_refuses_the_unreachable() -> None:
    curves = bias_curves()
    rheobase = rheobase_a()
    assert 5e-9 < rheobase < 30e-9
    source_v, sink_v = bias_to_supplies(
        np.array([-1.0, 0.0, 1.0, 2.0]), rheobase, curves
    )
    assert sink_v[0] > 0 and source_v[0] == 0
    assert source_v[1] == 0 and sink_v[1] == 0
    assert sink_v[2] == 0 and 0 < source_v[2] < source_v[3]
    # The supply found realises the bias: the measured current at that supply.
    current = source_current_a("bias", [source_v[2] - 0.01, source_v[2]], 0.3)[-1]
    assert current == pytest.approx(rheobase, rel=0.05)
    with pytest.raises(ValueError, match="out of the circuit's reach.*sourcing"):
        bias_to_supplies(1e4, rheobase, curves)
    with pytest.raises(ValueError, match="out of the circuit's reach"):
        bias_to_supplies(1e-6, rheobase, curves)
    fractions = realisable_fraction(
        np.array([0.0, 1.0, -1.0, 1e4, 1e-6]), rheobase, curves
    )
    assert fractions == {"realisable": 0.6, "too_large": 0.2, "too_small": 0.2}


def test_mismatch_is_reproducible_per_seed_and_differs_between_seeds() -> None:
    same = [rheobase_a(NeuronParams(mismatch_seed=7)) for _ in range(2)]
    other = rheobase_a(NeuronParams(mismatch_seed=8))
    assert same[0] == same[1]
    assert other != same[0]
    assert other == pytest.approx(same[0], rel=0.2)


class SerialExecutor(Executor):
    """An executor that records its use and runs in this process."""

    def __init__(self) -> None:
        self.calls = 0

    def map(self, fn, *iterables, **kwargs):
        self.calls += 1
        return map(fn, *iterables)


def test_mismatch_sweep_runs_through_any_executor() -> None:
    executor = SerialExecutor()
    rows = mismatch_sweep(2, 1.2, seed=3, duration_s=0.1e-3, executor=executor)
    assert executor.calls == 1
    assert [row["instance"] for row in rows] == [0, 1]
    assert rows[0]["rheobase_a"] != rows[1]["rheobase_a"]
    for row in rows:
        for key in ("firing_rate_hz", "power_w", "rheobase_a", "seed", "corner"):
            assert key in row
    assert float(pelgrom_sigma(4.0, 5.0)) == pytest.approx(2.5e-3)


def test_energy_figures_level1_structure_and_scaling() -> None:
    figures = energy_figures("level1")
    assert sorted(figures.synaptic_event_j) == list(range(-7, 8))
    assert figures.synaptic_event_j[0] == 0.0
    positive = [figures.synaptic_event_j[c] for c in range(1, 8)]
    assert all(b > a for a, b in itertools.pairwise(positive))
    # Synapse energy per event = supply x charge of 7 unit sources in one pulse.
    unit_a = source_current_a("excite", [0.95, 1.0], 0.3, process="level1")[-1]
    charge_c = 7 * unit_a * (INPUT_PULSE_WIDTH_S + INPUT_EDGE_S)
    assert figures.synaptic_event_j[7] == pytest.approx(
        figures.supply_v * charge_c, rel=0.25
    )
    assert figures.spike_j > 0 and figures.rheobase_a > 0
    low, high = figures.bias_range_rheobase
    assert low < 0 < high
    assert figures.bias_power_at(0.0) == 0.0
    assert figures.bias_power_at(high / 2) > 0
    with pytest.raises(ValueError, match="outside the reachable"):
        figures.bias_power_at(high * 2)


# --- level 1 (the teaching cards) ---------------------------------------


def test_level1_firing_rate_rises_strictly_with_synapse_supply() -> None:
    rows = sweep_supply([0.8, 0.9, 1.0, 1.1, 1.2], weight_code=7, **L1)
    rates = [row["firing_rate_hz"] for row in rows]
    assert rates[0] > 0
    assert all(b > a for a, b in itertools.pairwise(rates)), rates


def test_inhibitory_code_lowers_the_rate_that_the_bias_alone_gives() -> None:
    bias_only = summarize(
        simulate_neuron(NeuronParams(weight_code=0, bias_supply_v=1.1, **L1))
    )
    inhibited = summarize(
        simulate_neuron(NeuronParams(weight_code=-7, bias_supply_v=1.1, **L1))
    )
    assert bias_only["firing_rate_hz"] > 3000
    assert inhibited["firing_rate_hz"] < 0.5 * bias_only["firing_rate_hz"]


def test_weight_code_zero_without_bias_stays_silent() -> None:
    run = simulate_neuron(NeuronParams(weight_code=0, **L1))
    assert firing_rate_hz(run) == 0.0
    assert run.membrane_v.max() < 0.05


def test_power_by_domain_adds_up_and_scales_with_supply() -> None:
    low, high = sweep_supply([0.8, 1.2], **L1)
    for row in (low, high):
        assert row["power_w"] == pytest.approx(sum(row["power_w_by_domain"].values()))
        assert row["power_w_by_domain"]["bias"] == 0.0
        assert row["energy_per_spike_j"] == pytest.approx(
            row["power_w"] * row["duration_s"] / row["spike_count"]
        )
    assert (
        high["power_w_by_domain"]["synapse"] > 3 * low["power_w_by_domain"]["synapse"]
    )


def test_source_current_follows_square_law_of_supply() -> None:
    supply = np.array([0.8, 1.0, 1.2])
    current = source_current_a("excite", supply, membrane_v=0.2, **L1)
    # Level-1 square law above |VT0| = 0.4 V: I ~ (V - 0.4)^2 (lambda aside).
    ratio = current[2] / current[0]
    assert ratio == pytest.approx((0.8 / 0.4) ** 2, rel=0.15)
    assert np.all(
        np.diff(source_current_a("inhibit", supply, membrane_v=0.4, **L1)) > 0
    )


def test_fitted_lif_parameters_match_the_components() -> None:
    step_a = 5e-9
    run = simulate_neuron(
        NeuronParams(weight_code=0, input_current_a=step_a, duration_s=3e-3, **L1)
    )
    capacitance_f, leak_ohm = fit_membrane(run.time_s, run.membrane_v, step_a)
    expected_c = MEMBRANE_CAPACITANCE_F + FEEDBACK_CAPACITANCE_F
    assert capacitance_f == pytest.approx(expected_c, rel=0.05)
    assert leak_ohm == pytest.approx(LEAK_RESISTANCE_OHM, rel=0.05)
    currents = np.array([20e-9, 40e-9, 80e-9, 160e-9])
    rates = [
        firing_rate_hz(
            simulate_neuron(NeuronParams(weight_code=0, input_current_a=float(i), **L1))
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


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"supply_v": 1.9}, "0.9-1.8 V"),
        ({"supply_v": 0.5}, "0.9-1.8 V"),
        ({"supply_v": 1.5, "process": "level1"}, "0.7-1.3 V"),
        ({"weight_code": 8}, "-7 to \\+7"),
        ({"weight_code": -8}, "-7 to \\+7"),
        ({"weight_code": 2.5}, "-7 to \\+7"),
        ({"weight_code": math.nan}, "weight_code"),
        ({"supply_v": math.inf}, "supply_v"),
        ({"bias_supply_v": 0.3}, "0.75-1.8 V"),
        ({"bias_sink_supply_v": 1.5}, "0.3-1.2 V"),
        ({"corner": "xx"}, "tt, ff, ss, sf, fs"),
        ({"process": "bsim"}, "level1, sky130"),
        ({"temp_c": 300.0}, "temp_c"),
        ({"corner": "ss", "process": "level1"}, "no corners"),
    ],
)
def test_out_of_range_input_names_the_range(fields: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        NeuronParams(**fields)


def test_wrong_types_name_the_argument() -> None:
    with pytest.raises(TypeError, match="supply_v"):
        NeuronParams(supply_v="1.0")
    with pytest.raises(TypeError, match="weight_code"):
        NeuronParams(weight_code="7")


def test_failing_netlist_raises_naming_the_parameters() -> None:
    broken = build_netlist(NeuronParams(**L1)).replace("Cm mem 0", "Cm mem 0 bogus")
    with pytest.raises(SimulationError, match="case 42"):
        run_netlist(broken, describe="case 42")


def test_unfinished_run_raises_not_hangs() -> None:
    slow = build_netlist(NeuronParams(duration_s=50e-3, **L1)).replace(
        ".tran 2.5e-05", ".tran 1e-09"
    )
    with pytest.raises(SimulationError, match="did not finish within 0.2 s"):
        run_netlist(slow, describe="slow case", timeout_s=0.2)
    # ngspice is usable again afterwards.
    assert firing_rate_hz(simulate_neuron(NeuronParams(supply_v=1.2, **L1))) > 0


def test_memory_stays_flat_over_repeated_simulations() -> None:
    params = NeuronParams(duration_s=100e-6, **L1)
    for _ in range(20):
        simulate_neuron(params)
    before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for _ in range(60):
        simulate_neuron(params)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before_kb) / 1024
    assert grown_mb < 3


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ntlib", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_command_line_json() -> None:
    out = _cli("circuit", "--supply-v", "0.9,1.1", "--process", "level1", "--json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout.strip().splitlines()[-1])
    assert [row["supply_v"] for row in rows] == [0.9, 1.1]
    for key in ("firing_rate_hz", "power_w", "power_w_by_domain", "energy_per_spike_j"):
        assert key in rows[0]
    assert [row["process"] for row in rows] == ["level1", "level1"]
    assert rows[0]["corner"] == "tt" and rows[0]["temp_c"] == 27.0
    assert rows[1]["firing_rate_hz"] > rows[0]["firing_rate_hz"]
    assert 0 < rows[0]["sim_seconds"] < 5
    assert out.stderr == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--weight-code", "9"), "-7 to +7"),
        (("--timeout-s", "inf"), "--timeout-s must be a finite number"),
        (("--timeout-s", "nan"), "--timeout-s must be a finite number"),
        (("--temp-c", "nan"), "--temp-c must be a finite number"),
        (("--bias-supply-v", "inf"), "--bias-supply-v must be a finite number"),
    ],
)
def test_command_line_bad_input_exits_2(args: tuple, message: str) -> None:
    out = _cli("circuit", "--supply-v", "1.0", *args)
    assert out.returncode == 2
    assert message in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_command_line_rejects_non_finite_supplies_and_caps_jobs() -> None:
    out = _cli("circuit", "--supply-v", "1.0,nan")
    assert out.returncode == 2 and "finite" in out.stderr
    out = _cli("circuit", "--supply-v", "1.0", "--jobs", "0")
    assert out.returncode == 2 and "--jobs" in out.stderr


def test_mismatch_command_line_is_reproducible_by_seed() -> None:
    args = ("mismatch", "--instances", "2", "--duration-s", "0.1e-3", "--json")
    first = json.loads(_cli(*args, "--seed", "4").stdout.splitlines()[-1])
    again = json.loads(_cli(*args, "--seed", "4").stdout.splitlines()[-1])
    other = json.loads(_cli(*args, "--seed", "5").stdout.splitlines()[-1])
    assert [r["instance"] for r in first] == [0, 1]
    assert [r["rheobase_a"] for r in first] == [r["rheobase_a"] for r in again]
    assert [r["rheobase_a"] for r in first] != [r["rheobase_a"] for r in other]
    assert _cli("mismatch", "--instances", "0").returncode == 2


def test_parallel_sweep_matches_serial() -> None:
    serial = sweep_supply([0.9, 1.1], **L1)
    parallel = sweep_supply([0.9, 1.1], processes=2, **L1)
    for a, b in zip(serial, parallel, strict=True):
        assert a["firing_rate_hz"] == pytest.approx(b["firing_rate_hz"])
