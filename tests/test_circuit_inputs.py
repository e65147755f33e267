"""The single neuron's input trains, transient step and step study."""

from __future__ import annotations

import numpy as np
import pytest

from ntlib.circuits.inputs import (
    DEAD_TIME_S,
    DEFAULT_MAX_STEP_S,
    TRANSIENT_RELTOL,
    poisson_times_s,
)
from ntlib.circuits.measure import input_event_count, step_errors
from ntlib.circuits.neuron import (
    INPUT_EDGE_S,
    INPUT_PULSE_WIDTH_S,
    NeuronParams,
    build_netlist,
    input_times_s,
)
from ntlib.cli import main


def test_defaults_are_poisson_seed_0_and_the_library_step():
    params = NeuronParams()
    assert (params.input_mode, params.input_seed, params.max_step_s) == (
        "poisson", 0, None
    )
    netlist = build_netlist(params)
    assert f".tran 5e-07 0.001 0 {DEFAULT_MAX_STEP_S:g} uic" in netlist
    assert f".options reltol={TRANSIENT_RELTOL:g}" in netlist
    assert "PWL(" in netlist and "PULSE(" not in netlist


@pytest.mark.parametrize(
    "field, value, error",
    [
        ("input_mode", "poison", ValueError),
        ("input_mode", None, ValueError),
        ("input_seed", -1, ValueError),
        ("input_seed", 2**32, ValueError),
        ("input_seed", 1.5, TypeError),
        ("max_step_s", 0.0, ValueError),
        ("max_step_s", -1e-9, ValueError),
        ("max_step_s", float("nan"), ValueError),
        ("max_step_s", float("inf"), ValueError),
        ("max_step_s", 1.0, ValueError),
        ("max_step_s", True, ValueError),
    ],
)
def test_bad_input_options_are_refused(field, value, error):
    with pytest.raises(error, match=field):
        NeuronParams(**{field: value})


def test_periodic_times_start_half_a_period_in():
    times = input_times_s(NeuronParams(input_mode="periodic"))
    assert times.size == 100
    np.testing.assert_allclose(times[:3], [5e-6, 15e-6, 25e-6])
    netlist = build_netlist(NeuronParams(input_mode="periodic"))
    assert "PULSE(0.0 1.8 5e-06 1e-08 1e-08 5e-07 1e-05)" in netlist


def test_poisson_times_are_seeded_spaced_and_at_the_mean_rate():
    a = input_times_s(NeuronParams(input_seed=3))
    np.testing.assert_array_equal(a, input_times_s(NeuronParams(input_seed=3)))
    assert not np.array_equal(a, input_times_s(NeuronParams(input_seed=4)))
    # pulses (rise, width, fall) never overlap: one edge of rest between them
    assert np.min(np.diff(a)) >= INPUT_PULSE_WIDTH_S + 3 * INPUT_EDGE_S - 1e-15
    assert 0 < a[0] and a[-1] < 1e-3
    long = poisson_times_s(100e3, 50e-3, seed=0)
    assert abs(long.size / 50e-3 / 100e3 - 1) < 0.05  # 5000 events: sd 1.4 %
    gaps = np.diff(long) - DEAD_TIME_S
    cv = np.std(gaps) / np.mean(gaps)  # the free part is exponential: cv 1
    assert 0.9 < cv < 1.1


def test_poisson_train_refuses_a_rate_without_room_between_pulses():
    with pytest.raises(ValueError, match="no room"):
        poisson_times_s(1 / DEAD_TIME_S, 1e-3, seed=0)


def test_the_pwl_source_holds_every_pulse():
    params = NeuronParams(weight_code=1, input_seed=2)
    times = input_times_s(params)
    line = next(
        part for part in build_netlist(params).split("\nV") if part.startswith("inp0")
    )
    values = np.array(
        line.split("PWL(")[1].rstrip(")").replace("\n+", " ").split(), dtype=float
    ).reshape(-1, 2)
    assert values.shape[0] == 1 + 4 * times.size
    np.testing.assert_allclose(values[1::4, 0], times, rtol=1e-11)
    np.testing.assert_allclose(values[3::4, 0] - values[1::4, 0],
                               INPUT_EDGE_S + INPUT_PULSE_WIDTH_S, rtol=1e-6)
    assert set(values[1:, 1]) == {0.0, 1.8} and np.all(np.diff(values[:, 0]) > 0)


def test_event_count_follows_the_train():
    params = NeuronParams(input_seed=5)
    assert input_event_count(params) == input_times_s(params).size != 100
    assert input_event_count(NeuronParams(input_mode="periodic")) == 100


def test_step_errors_are_fractions_of_the_reference_interval():
    reference = {"spike_times_s": [10e-6, 30e-6, 50e-6], "mean_membrane_v": 0.2,
                 "sim_seconds": 2.0}
    trial = {"spike_times_s": [10.2e-6, 30e-6, 50e-6], "mean_membrane_v": 0.201,
             "sim_seconds": 1.0}
    errors = step_errors(trial, reference)
    assert errors["spike_count_difference"] == 0
    assert errors["spike_time_error_max"] == pytest.approx(0.01)
    assert errors["spike_time_error_mean"] == pytest.approx(0.01 / 3)
    assert errors["membrane_error"] == pytest.approx(0.005)
    assert errors["cost"] == pytest.approx(0.5)
    missing = step_errors({**trial, "spike_times_s": [10e-6, 30e-6]}, reference)
    assert missing["spike_count_difference"] == -1
    assert missing["spike_time_error_max"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    "option, value",
    [("--input", "poison"), ("--input-seed", "-1"), ("--input-seed", "4294967296"),
     ("--max-step", "0"), ("--max-step", "nan"), ("--max-step", "inf"),
     ("--max-step", "1")],
)
def test_circuit_command_refuses_bad_input_options(option, value, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["circuit", "--supply-v", "1.0", option, value])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and option in err


@pytest.mark.spice
def test_poisson_transient_is_quiet_until_the_first_pulse(cache_dir):
    from ntlib.circuits.measure import simulate_summary, spike_times_s
    from ntlib.circuits.simulate import simulate_neuron

    params = NeuronParams(duration_s=200e-6, input_seed=1)
    run = simulate_neuron(params)
    first = input_times_s(params)[0]
    # the start-up kick has decayed by the first pulse, which then lifts mem
    before_v = float(np.interp(first, run.time_s, run.membrane_v))
    end = first + INPUT_PULSE_WIDTH_S + 2 * INPUT_EDGE_S
    after_v = float(np.interp(end, run.time_s, run.membrane_v))
    assert before_v < 0.01 and after_v - before_v > 0.02
    row = simulate_summary(params)
    assert row["input_mode"] == "poisson" and row["max_step_s"] == DEFAULT_MAX_STEP_S
    assert row["input_event_count"] == input_times_s(params).size
    assert row["spike_count"] == spike_times_s(run).size


def test_explorer_grid_runs_every_seed_and_gives_mean_and_error(monkeypatch):
    import ntlib.circuits.measure as measure
    import ntlib.static_explorer as static_explorer

    def rate(p):  # a rate that rises with the supply, shifted by the seed
        return 1e4 * p.supply_v + 100.0 * p.input_seed

    seen = []

    def point(p):
        seen.append((p.supply_v, p.input_seed, p.input_mode))
        return {"supply_v": p.supply_v, "firing_rate_hz": rate(p), "power_w": 1e-8}

    def summary(p):
        seen.append((p.supply_v, p.input_seed, p.input_mode))
        return {"firing_rate_hz": rate(p)}

    monkeypatch.setattr(static_explorer, "explorer_point", point)
    monkeypatch.setattr(measure, "simulate_summary", summary)
    grid = static_explorer.explorer_grid([1.0, 1.2], input_seeds=(0, 1, 2))
    assert sorted(seen) == sorted(
        (v, s, "poisson") for v in (1.0, 1.2) for s in (0, 1, 2)
    )
    first = grid["points"][0]
    assert first["rates_hz"] == [1e4, 1e4 + 100, 1e4 + 200]
    assert first["rate_mean_hz"] == pytest.approx(1e4 + 100)
    assert first["rate_sem_hz"] == pytest.approx(100 / np.sqrt(3))
    assert grid["input_seeds"] == [0, 1, 2]
    seen.clear()
    periodic = static_explorer.explorer_grid([1.0], input_mode="periodic")
    assert seen == [(1.0, 0, "periodic")]
    assert periodic["points"][0]["rate_sem_hz"] == 0.0
