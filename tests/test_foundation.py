"""The foundation: seeding, the ngspice check and the command line."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import ntlib
from ntlib.cli import main
from ntlib.machine import NgspiceNotFoundError, ngspice_status, require_ngspice

ROOT = Path(__file__).resolve().parents[1]


def test_set_seed_repeats_python_numpy_and_torch() -> None:
    def draw() -> tuple[float, float, float]:
        ntlib.set_seed(123)
        return random.random(), float(np.random.rand()), float(torch.rand(1))

    first, second = draw(), draw()
    assert first == second
    ntlib.set_seed(124)
    assert (random.random(), float(np.random.rand()), float(torch.rand(1))) != first


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_set_seed_rejects_non_integers(bad: object) -> None:
    with pytest.raises(ValueError, match="non-negative integer"):
        ntlib.set_seed(bad)  # type: ignore[arg-type]


@pytest.mark.spice
def test_ngspice_is_found_on_this_machine() -> None:
    status = require_ngspice()
    assert status.library is not None and status.library.endswith("libngspice.so")
    assert status.spinit is not None and os.path.exists(status.spinit)


def test_missing_ngspice_names_library_and_install_command(monkeypatch) -> None:
    monkeypatch.setattr("ntlib.machine._LIBRARY_GLOBS", ("/nonexistent/libngspice.so",))
    monkeypatch.setattr("ntlib.machine.ctypes.util.find_library", lambda name: None)
    monkeypatch.delenv("NGSPICE_LIBRARY_PATH", raising=False)
    assert not ngspice_status().available
    with pytest.raises(NgspiceNotFoundError) as error:
        require_ngspice()
    message = str(error.value)
    assert "libngspice.so" in message
    assert "apt-get install ngspice libngspice0-dev" in message


def test_versioned_library_alone_does_not_count(monkeypatch) -> None:
    # libngspice0 alone ships libngspice.so.0, which PySpice cannot load.
    monkeypatch.setattr("ntlib.machine._LIBRARY_GLOBS", ("/nonexistent/libngspice.so",))
    monkeypatch.setattr(
        "ntlib.machine.ctypes.util.find_library", lambda name: "libngspice.so.0"
    )
    monkeypatch.delenv("NGSPICE_LIBRARY_PATH", raising=False)
    assert ngspice_status().library is None


def test_cli_help_lists_subcommands(capsys) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    assert "info" in capsys.readouterr().out


@pytest.mark.spice
def test_cli_info_json_is_last_line(capsys) -> None:
    assert main(["info", "--json"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    info = json.loads(last)
    assert info["ntlib"] == ntlib.__version__
    assert info["torch"].startswith("2.14")


def test_python_dash_m_entry_point() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ntlib", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
    assert "usage: python -m ntlib" in done.stdout


def test_setup_script_stops_non_root_without_ngspice(tmp_path: Path) -> None:
    """Run the Makefile's ngspice check as a non-root user on a machine without it."""
    fake_root = tmp_path / "bin"
    fake_root.mkdir()
    # An `id` that says we are user 1000, an `ldconfig` that knows no libngspice.
    (fake_root / "id").write_text("#!/bin/sh\necho 1000\n")
    (fake_root / "ldconfig").write_text("#!/bin/sh\nexit 0\n")
    for tool in ("id", "ldconfig"):
        (fake_root / tool).chmod(0o755)
    script = (ROOT / "scripts" / "ensure-ngspice.sh").read_text()
    # Point the file checks at paths that do not exist.
    script = script.replace("/usr/", str(tmp_path / "none") + "/")
    (tmp_path / "ensure.sh").write_text(script)
    env = {"PATH": f"{fake_root}:/usr/bin:/bin"}
    done = subprocess.run(
        ["sh", str(tmp_path / "ensure.sh")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode != 0
    assert "apt-get update && apt-get install -y ngspice libngspice0-dev" in done.stderr
    assert "Nothing else has been installed" in done.stderr


def test_glue_hands_plain_python_numbers_to_myst_nb(monkeypatch) -> None:
    import numpy as np

    from ntlib.plotting import glue

    kept: dict[str, object] = {}
    monkeypatch.setattr(
        "myst_nb.glue", lambda name, value, display=True: kept.update({name: value})
    )
    glue("numpy", np.float64(0.25))
    glue("torch", torch.tensor(3))
    glue("table", [1, 2])
    assert kept == {"numpy": 0.25, "torch": 3, "table": [1, 2]}
    assert type(kept["numpy"]) is float and type(kept["torch"]) is int
