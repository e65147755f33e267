"""Binder builds what `make` builds: the same Python, the same pins, the same set-up.

repo2docker reads only ``binder/`` when it exists: ``runtime.txt`` picks the
Python (3.10 without it, too old for the pins), ``apt.txt`` the Debian
packages, ``requirements.txt`` the pip install and ``postBuild`` what follows.
These tests read those files against the Makefile, requirements*.txt,
``scripts/ensure-ngspice.sh`` and the README, so a change to one side that is
not made on the other fails here. ``scripts/binder-rebuild.py`` goes further
and builds the environment and runs every chapter in it.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
NOT_CHANGING_WHAT_IS_INSTALLED = {"--quiet", "-q", "--no-cache-dir"}


def requirement_lines(path: Path) -> list[str]:
    """Requirement lines of a pip file, following ``-r`` includes as pip does."""
    lines: list[str] = []
    for raw in path.read_text().splitlines():
        line = raw.split(" #")[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("-r ", "--requirement ")):
            included = (path.parent / line.split(maxsplit=1)[1]).resolve()
            assert included.is_file(), f"{path} includes a missing file: {line}"
            lines += requirement_lines(included)
        elif not line.startswith("-"):
            lines.append(line)
    return lines


def makefile_python() -> tuple[int, int]:
    """The oldest Python the Makefile accepts, from its version check."""
    match = re.search(r"sys\.version_info >= \((\d+), (\d+)\)",
                      (ROOT / "Makefile").read_text())
    assert match, "the Makefile no longer checks the Python version"
    return int(match.group(1)), int(match.group(2))


def pip_installs(lines: list[str]) -> list[tuple[str, ...]]:
    """The argument lists of the ``pip install`` commands among ``lines``."""
    installs = []
    for line in lines:
        words = shlex.split(line.replace("$(PY) -m pip", "pip"))
        if words[:2] != ["pip", "install"]:
            continue
        args = [w for w in words[2:] if w not in NOT_CHANGING_WHAT_IS_INSTALLED]
        installs.append(tuple(args))
    return installs


def makefile_setup() -> list[tuple[str, ...]]:
    text = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^\$\(STAMP\):.*?\n((?:\t.*\n)+)", text, re.M)
    assert recipe, "the Makefile's set-up recipe ($(STAMP)) was not found"
    return pip_installs([line.strip() for line in recipe.group(1).splitlines()])


def test_runtime_is_the_python_the_makefile_needs() -> None:
    runtime = (BINDER / "runtime.txt").read_text().strip()
    major, minor = makefile_python()
    assert runtime == f"python-{major}.{minor}", runtime
    requires = re.search(r'requires-python = ">=(\d+)\.(\d+)"',
                         (ROOT / "pyproject.toml").read_text())
    assert requires and (int(requires[1]), int(requires[2])) == (major, minor)


def test_every_pin_is_installed_on_binder() -> None:
    on_binder = set(requirement_lines(BINDER / "requirements.txt"))
    pinned = requirement_lines(ROOT / "requirements.txt")
    assert pinned, "requirements.txt has no requirement"
    missing = [pin for pin in pinned if pin not in on_binder]
    assert not missing, f"requirements.txt pins that Binder does not install: {missing}"
    loose = [r for r in on_binder if "==" not in r and r not in pinned]
    assert not loose, f"Binder installs unpinned requirements: {loose}"


def test_post_build_repeats_the_makefile_setup() -> None:
    post_build = BINDER / "postBuild"
    assert post_build.stat().st_mode & 0o111, "binder/postBuild must be executable"
    lines = [line.strip() for line in post_build.read_text().splitlines()]
    # repo2docker installs binder/requirements.txt itself (checked above), and
    # upgrading pip is the Makefile's own housekeeping.
    expected = [args for args in makefile_setup()
                if args not in (("-r", "requirements.txt"), ("--upgrade", "pip"))]
    assert expected, "no set-up step found in the Makefile"
    assert pip_installs(lines) == expected


def test_nodeps_pins_are_installed_by_both() -> None:
    nodeps = ROOT / "requirements-nodeps.txt"
    installs = makefile_setup()
    if nodeps.is_file():
        assert ("--no-deps", "-r", "requirements-nodeps.txt") in installs
        assert all("==" in pin for pin in requirement_lines(nodeps))
    else:
        assert not any("requirements-nodeps.txt" in args for args in installs)


def test_apt_packages_are_the_ones_make_installs() -> None:
    apt = (BINDER / "apt.txt").read_text().split()
    script = (ROOT / "scripts" / "ensure-ngspice.sh").read_text()
    packages = re.search(r'^PACKAGES="([^"]+)"', script, re.M)
    assert packages, "scripts/ensure-ngspice.sh no longer names its PACKAGES"
    assert sorted(apt) == sorted(packages.group(1).split())


def test_readme_names_every_binder_file() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## On Binder", 1)
    assert len(section) == 2, "README.md has no 'On Binder' section"
    for path in sorted(BINDER.iterdir()):
        assert f"`{path.name}`" in section[1].split("\n## ")[0], path.name
