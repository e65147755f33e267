"""The commands refuse non-numbers, unbounded sizes and late failures; Ctrl-C is 130."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ntlib.cli import EXIT_INTERRUPTED, main
from ntlib.cli.common import (
    MAX_TIMESTEPS,
    available_cpus,
    capped_jobs,
    emit,
    strict_json,
)
from ntlib.cli.options import finite_float, positive_float

ROOT = Path(__file__).resolve().parents[1]


def _no_work(monkeypatch) -> None:
    """Fail the test if a command reads data before its options are checked."""

    def no_work(*_args, **_kwargs):
        raise AssertionError("work started before the options were checked")

    for module in ("ntlib.cli.transfer", "ntlib.cli.convert"):
        monkeypatch.setattr(f"{module}.load_task", no_work)


def _one_line_error(argv: list[str], capsys) -> str:
    try:
        code = main(argv)
    except SystemExit as done:  # argparse's own checks exit through here
        code = done.code
    assert code == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("error: ") and "Traceback" not in err
    return err


@pytest.mark.parametrize("command", ["transfer", "snn-transfer"])
@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "0", "-1e-3", "abc"])
def test_lr_must_be_a_finite_positive_number(command, value, monkeypatch, capsys):
    _no_work(monkeypatch)
    err = _one_line_error([command, f"--lr={value}"], capsys)
    assert "--lr" in err and repr(value) in err


def test_float_parsers() -> None:
    assert finite_float("-2.5") == -2.5
    assert positive_float("1e-3") == 1e-3
    for bad in ("inf", "nan", "1e999", "x"):
        with pytest.raises(Exception, match="must be a"):
            finite_float(bad)


def test_json_output_is_strict(capsys) -> None:
    emit({"lr": float("inf"), "acc": float("nan"), "rows": [1.5, float("-inf")]}, True)
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert "Infinity" not in line and "NaN" not in line
    assert json.loads(line, parse_constant=pytest.fail) == {
        "acc": None,
        "lr": None,
        "rows": [1.5, None],
    }
    assert strict_json({"b": 1, "a": 0.5}) == '{"a": 0.5, "b": 1}'


@pytest.mark.parametrize("command", ["convert", "snn-transfer"])
def test_timesteps_have_an_upper_limit(command, monkeypatch, capsys) -> None:
    _no_work(monkeypatch)
    err = _one_line_error([command, "--timesteps", "100000"], capsys)
    assert f"limit of {MAX_TIMESTEPS}" in err
    err = _one_line_error([command, "--timesteps", "0"], capsys)
    assert "positive" in err


def test_timesteps_limit_is_in_the_help(capsys) -> None:
    for command in ("convert", "snn-transfer"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert str(MAX_TIMESTEPS) in capsys.readouterr().out


def test_jobs_are_capped_by_tasks_and_cpus() -> None:
    assert capped_jobs(20, 2) == min(2, available_cpus())
    assert capped_jobs(100000, 100000) == available_cpus()
    assert capped_jobs(1, 5) == 1
    with pytest.raises(ValueError, match="--jobs must be at least 1; got 0"):
        capped_jobs(0, 3)


def test_threads_are_bounded(monkeypatch, capsys) -> None:
    _no_work(monkeypatch)
    err = _one_line_error(["convert", "--threads", "100000"], capsys)
    assert "--threads 100000" in err


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["transfer", "--device", "tpu"], "--device 'tpu'"),
        (["transfer", "--device", "cuda:99"], "--device cuda:99"),
        (["transfer", "--seed", "99999999999999999999"], "--seed must be"),
        (["transfer", "--seed", "-1"], "--seed"),
        (["convert", "--seed", "99999999999999999999"], "--seed must be"),
        (["snn-transfer", "--seed", "99999999999999999999"], "--seed must be"),
        (["snn-transfer", "--device", "cuda"], "CPU only"),
    ],
)
def test_bad_options_fail_before_any_work(argv, words, monkeypatch, capsys):
    _no_work(monkeypatch)
    assert words in _one_line_error(argv, capsys)


_DRIVER = textwrap.dedent(
    """
    import signal
    import sys

    from ntlib import pretrain
    from ntlib.cli import main

    # As in a terminal: a shell's background job starts with SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    real_fit = pretrain.fit

    def long_fit(model, dataset, epochs, **options):
        print("pretraining", file=sys.stderr, flush=True)
        return real_fit(model, dataset, 100000, **options)  # stopped by Ctrl-C

    pretrain.fit = long_fit
    sys.exit(main(sys.argv[1:]))
    """
)


@pytest.mark.slow
def test_ctrl_c_during_pretraining_exits_130_without_files(tmp_path) -> None:
    cache = tmp_path / "cache"
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _DRIVER,
            "transfer",
            "--width",
            "2",
            "--json",
            "--cache-dir",
            str(cache),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stderr is not None
        assert process.stderr.readline().strip() == "pretraining"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == EXIT_INTERRUPTED == 130
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("interrupted: transfer stopped by Ctrl-C")
    assert out == ""
    assert list(cache.iterdir()) == []


def test_spikingjelly_benchmark_installs_pinned_versions(tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench_spikingjelly as bench
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("")
    calls: list[list[str]] = []

    def run(command, **_kwargs):
        calls.append([str(c) for c in command])
        return subprocess.CompletedProcess(command, 1 if len(calls) == 1 else 0)

    monkeypatch.setattr(bench.subprocess, "run", run)
    bench.ensure_venv(venv)
    install = calls[-1]
    assert "install" in install
    packages = install[install.index("--no-deps") + 1 :]
    assert sorted(p.split("==")[0] for p in packages) == ["loguru", "spikingjelly"]
    assert all(
        len(p.split("==")) == 2 and p.split("==")[1][0].isdigit() for p in packages
    )


# --- Limits, messages and the shared option parsing --------------------------


def test_check_choice_is_the_one_unknown_name_message() -> None:
    from ntlib.checks import check_choice
    from ntlib.circuits.process import get_process
    from ntlib.models import torchvision_model
    from ntlib.modulation import check_granularity

    assert check_choice("task", "noise", ("noise", "blur")) == "noise"
    for call, kind in (
        (lambda: check_choice("task", "x", ("noise", "blur")), "task"),
        (lambda: torchvision_model("x"), "architecture"),
        (lambda: check_granularity("x"), "granularity"),
        (lambda: get_process("x"), "process"),
        (lambda: get_process("sky130").check_corner("x"), "sky130 corner"),
    ):
        with pytest.raises(ValueError, match=f"^unknown {kind} 'x'; valid names are: "):
            call()


@pytest.mark.parametrize(
    "argv",
    [
        ["chip", "--corner", "xx"],
        ["circuit", "--supply-v", "1.0", "--corner", "xx"],
        ["mismatch", "--corner", "xx"],
    ],
)
def test_corner_errors_are_identical_between_commands(argv, capsys) -> None:
    err = _one_line_error(argv, capsys)
    assert "unknown corner 'xx'; valid names are: tt, ff, ss, sf, fs" in err


@pytest.mark.parametrize("command", [["chip"], ["circuit", "--supply-v", "1.0"]])
def test_temp_c_is_parsed_the_same_way_by_every_command(command, capsys) -> None:
    err = _one_line_error([*command, "--temp-c", "abc"], capsys)
    assert "--temp-c must be a number; got 'abc'" in err
    err = _one_line_error([*command, "--temp-c", "nan"], capsys)
    assert "--temp-c must be a finite number; got 'nan'" in err


@pytest.mark.parametrize("command", [["chip"], ["circuit", "--supply-v", "1.0"],
                                     ["mismatch"]])  # fmt: skip
def test_temp_c_out_of_range_shows_the_value_as_typed(command, capsys) -> None:
    err = _one_line_error([*command, "--temp-c", "125.0001"], capsys)
    assert "got 125.0001" in err and "-40 to 125 C" in err


@pytest.mark.parametrize(
    ("option", "value"),
    [("--chips", "100000000"), ("--chips", "10001"), ("--chips", "-1")],
)
def test_chips_share_the_monte_carlo_limit(option, value, capsys) -> None:
    from ntlib.checks import MAX_DRAWS
    from ntlib.circuits.mismatch import MAX_INSTANCES

    assert MAX_INSTANCES == MAX_DRAWS == 10_000
    err = _one_line_error(["chip", option, value], capsys)
    assert f"{option} must be an integer from 0 to 10,000; got '{value}'" in err
    err = _one_line_error(["mismatch", "--instances", "10001"], capsys)
    assert "--instances must be an integer from 1 to 10,000" in err


@pytest.mark.parametrize(
    "command",
    [["mismatch"], ["transfer"], ["convert"], ["snn-transfer"]],
)
def test_every_seed_is_capped_at_32_bits(command, monkeypatch, capsys) -> None:
    from ntlib.checks import MAX_SEED

    assert MAX_SEED == 2**32 - 1
    _no_work(monkeypatch)
    err = _one_line_error([*command, "--seed", str(2**32)], capsys)
    assert "--seed must be an integer from 0 to 2**32 - 1 = 4294967295" in err


def test_the_library_seed_limit_is_the_same() -> None:
    from ntlib.checks import check_seed
    from ntlib.circuits.mismatch import mismatch_sweep

    assert check_seed("seed", 2**32 - 1) == 2**32 - 1
    with pytest.raises(ValueError, match="at most 2..32 - 1"):
        check_seed("seed", 2**32)
    with pytest.raises(ValueError, match="at most 2..32 - 1"):
        mismatch_sweep(1, 1.2, seed=2**32)


@pytest.mark.parametrize("command", ["transfer", "snn-transfer"])
def test_a_huge_learning_rate_is_refused_in_words(command, monkeypatch, capsys):
    _no_work(monkeypatch)
    err = _one_line_error([command, "--lr", "1e300"], capsys)
    assert "--lr must be at most 3.4e+38" in err and "'1e300'" in err
    assert "overflow" not in err


def test_check_converged_names_the_learning_rate() -> None:
    from ntlib.checks import check_converged

    check_converged([2.3, 1.0, 0.5], 0.9, 10, 1e-2, accuracy_before=0.5)
    check_converged(None, 0.1, 10, 1e-2, accuracy_before=0.1)  # never learned
    check_converged(None, 0.12, 10, 1e-2)  # no accuracy before: no verdict
    with pytest.raises(ValueError, match=r"diverged with --lr 1e\+30: the loss"):
        check_converged([2.3, float("nan")], 0.1, 10, 1e30)
    with pytest.raises(ValueError, match="the loss became inf in epoch 1"):
        check_converged([float("inf")], 0.5, 10, 1.0)
    with pytest.raises(ValueError, match=r"diverged with --lr 1e\+30: accuracy fell"):
        check_converged(None, 0.1, 10, 1e30, accuracy_before=0.52)
    with pytest.raises(ValueError, match="chance for 2 classes"):
        check_converged([0.7], 0.5, 2, 10.0, accuracy_before=0.9)


def test_a_diverged_transfer_is_an_error_naming_the_lr(tmp_path, capsys) -> None:
    argv = ["transfer", "--width", "4", "--pretrain-epochs", "3", "--epochs", "1",
            "--cache-dir", str(tmp_path), "--json"]  # fmt: skip
    assert main(argv) == 0  # the same network learns at the default rate
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["target_test_acc_before"] > 0.3
    err = _one_line_error([*argv, "--lr", "1e30"], capsys)
    assert err.startswith("error: training diverged with --lr 1e+30")


def test_a_newline_in_a_path_does_not_cut_the_message(capsys) -> None:
    err = _one_line_error(["transfer", "--dataset", "mnist", "--data-dir",
                           "first\nsecond"], capsys)  # fmt: skip
    assert "first\\nsecond" in err


def test_chip_accuracies_share_the_test_images(monkeypatch) -> None:
    """Every accuracy of `chip --json` is on the same --digits test images."""
    import torch
    from torch import nn
    from torch.utils.data import TensorDataset

    from ntlib.chip import experiment

    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    x, y = torch.rand(40, 1, 2, 2), torch.randint(0, 2, (40,))
    setup = type("Setup", (), {})()
    setup.tuned = setup.quantised = model
    setup.train_set = setup.test_set = TensorDataset(x, y)
    setup.test = (x, y)
    setup.timesteps = experiment.TIMESTEPS
    seen: list[int] = []
    real_evaluate, real_snn = experiment.evaluate, experiment.evaluate_snn

    def evaluate(model, dataset, *args, **kwargs):
        seen.append(len(dataset))
        return real_evaluate(model, dataset, *args, **kwargs)

    def evaluate_snn(network, dataset, *args, **kwargs):
        seen.append(len(dataset))
        return real_snn(network, dataset, *args, **kwargs)

    monkeypatch.setattr(experiment, "evaluate", evaluate)
    monkeypatch.setattr(experiment, "evaluate_snn", evaluate_snn)
    monkeypatch.setattr(experiment, "chip_setup", lambda *args, **kwargs: setup)

    class Stop(Exception):
        pass

    def circuit_model(*args, **kwargs):
        raise Stop  # the reference accuracies are done by now

    monkeypatch.setattr(experiment, "circuit_model", circuit_model)
    with pytest.raises(Stop):
        experiment.chip_experiment(digits=7, chips=0)
    assert seen == [7, 7, 7]
    # The chapter's call keeps its default: the whole test set.
    seen.clear()
    experiment.reference_accuracies(setup)
    assert seen == [40, 40, 40]

