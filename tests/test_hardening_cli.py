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
    finite_float,
    positive_float,
    strict_json,
)

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
        with pytest.raises(Exception, match="not a"):
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
