"""ngspice is checked the way PySpice loads it: a bad NGSPICE_LIBRARY_PATH is an error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ntlib.cli import main
from ntlib.machine import (
    NgspiceNotFoundError,
    ngspice_status,
    pyspice_library_name,
    require_ngspice,
)

ROOT = Path(__file__).resolve().parents[1]
PYSPICE_SHARED = "PySpice.Spice.NgSpice.Shared"


@pytest.fixture
def fresh_pyspice(monkeypatch):
    """As in a new process: PySpice not imported yet, so it will read the variable."""
    monkeypatch.delitem(sys.modules, PYSPICE_SHARED, raising=False)
    return monkeypatch


def _bad_paths(tmp_path: Path) -> dict[str, str]:
    text = tmp_path / "libngspice.so"
    text.write_text("not a shared library\n")
    dangling = tmp_path / "dangling" / "libngspice.so"
    dangling.parent.mkdir()
    dangling.symlink_to(tmp_path / "gone.so")
    return {
        "missing": "/nonexistent/libngspice.so",
        "not a library": str(text),
        "dangling link": str(dangling),
    }


def test_bad_library_path_is_not_found(tmp_path, fresh_pyspice) -> None:
    for case, path in _bad_paths(tmp_path).items():
        fresh_pyspice.setenv("NGSPICE_LIBRARY_PATH", path)
        assert pyspice_library_name() == path
        status = ngspice_status()
        assert not status.available, case
        with pytest.raises(NgspiceNotFoundError) as error:
            require_ngspice()
        message = str(error.value)
        assert "\n" not in message
        assert f"NGSPICE_LIBRARY_PATH={path}" in message
        assert "apt-get install ngspice libngspice0-dev" in message


def test_a_library_without_ngspice_is_not_found(fresh_pyspice) -> None:
    libc = next(
        p
        for p in (
            "/lib/x86_64-linux-gnu/libc.so.6",
            "/usr/lib64/libc.so.6",
            "/lib/aarch64-linux-gnu/libc.so.6",
        )
        if os.path.exists(p)
    )
    fresh_pyspice.setenv("NGSPICE_LIBRARY_PATH", libc)
    status = ngspice_status()
    assert not status.available
    assert "ngSpice_Init" in status.describe()


def test_empty_library_path_is_not_found(fresh_pyspice) -> None:
    fresh_pyspice.setenv("NGSPICE_LIBRARY_PATH", "")
    assert "set but empty" in ngspice_status().describe()


def test_good_library_path_is_found(fresh_pyspice) -> None:
    fresh_pyspice.delenv("NGSPICE_LIBRARY_PATH", raising=False)
    found = require_ngspice().library
    assert found is not None
    fresh_pyspice.setenv("NGSPICE_LIBRARY_PATH", found)
    assert ngspice_status().available


def test_pyspice_recorded_path_wins(monkeypatch) -> None:
    # Once PySpice is imported, it has read the variable; a later change is moot.
    from PySpice.Spice.NgSpice.Shared import NgSpiceShared

    monkeypatch.setattr(NgSpiceShared, "LIBRARY_PATH", "/nonexistent/lib{}ngspice.so")
    monkeypatch.delenv("NGSPICE_LIBRARY_PATH", raising=False)
    assert pyspice_library_name() == "/nonexistent/libngspice.so"
    assert not ngspice_status().available


def test_info_reports_a_bad_library_path(fresh_pyspice, capsys) -> None:
    fresh_pyspice.setenv("NGSPICE_LIBRARY_PATH", "/nonexistent/libngspice.so")
    assert main(["info", "--json"]) == 1
    out = capsys.readouterr().out
    assert "ngspice cannot be loaded from NGSPICE_LIBRARY_PATH" in out


def test_circuit_command_gives_one_line_instead_of_a_cffi_traceback() -> None:
    env = {**os.environ, "NGSPICE_LIBRARY_PATH": "/nonexistent/libngspice.so"}
    done = subprocess.run(
        [sys.executable, "-m", "ntlib", "circuit", "--supply-v", "1.0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ngspice cannot be loaded from")
    assert "Traceback" not in done.stderr
