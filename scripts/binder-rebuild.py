"""Rebuild the Binder environment as repo2docker does, then run every chapter in it.

repo2docker's Python build pack, given ``binder/``: takes the Python that
``binder/runtime.txt`` names, installs the Debian packages of
``binder/apt.txt``, runs ``pip install --no-cache-dir -r
binder/requirements.txt`` from the repository root, then runs
``binder/postBuild``. This script does the same on this machine, in a fresh
virtual environment and a fresh copy of the committed repository (what Binder
would clone), then runs every chapter with nbval there, one at a time, and
measures each chapter's peak memory (pytest plus its kernel, summed over the
process tree) against Binder's 2 GB.

    python3 scripts/binder-rebuild.py                 # build in a temporary folder
    python3 scripts/binder-rebuild.py --keep DIR      # build in DIR and keep it
    python3 scripts/binder-rebuild.py --chapters 00 04

Exit status 0 when every chapter passes under the limit. Only the apt
packages are checked, not installed (they are system-wide; install them with
``apt-get install $(cat binder/apt.txt)``). Needs the network only for pip.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BINDER_LIMIT_MIB = 2048


def say(message: str) -> None:
    print(message, flush=True)


def runtime_python(binder: Path) -> str:
    """The interpreter that ``runtime.txt`` asks for, e.g. ``python3.11``."""
    text = (binder / "runtime.txt").read_text().strip()
    if not text.startswith("python-"):
        sys.exit(f"binder/runtime.txt must read python-X.Y, found {text!r}")
    version = text.removeprefix("python-")
    exe = shutil.which(f"python{version}")
    if exe is None:
        sys.exit(f"binder/runtime.txt asks for Python {version}, but python{version} "
                 "is not on PATH; install it to rebuild the Binder environment")
    return exe


def check_apt(binder: Path) -> None:
    """Every package of ``apt.txt`` is installed here (as repo2docker installs it)."""
    packages = (binder / "apt.txt").read_text().split()
    missing = [p for p in packages
               if subprocess.run(["dpkg", "-s", p], capture_output=True).returncode]
    if missing:
        sys.exit(f"apt.txt packages not installed here: {' '.join(missing)}; run: "
                 f"apt-get install {' '.join(missing)}")
    say(f"apt.txt: {' '.join(packages)} installed")


def run(command: list[str], cwd: Path, env: dict[str, str]) -> None:
    say("$ " + " ".join(command))
    subprocess.run(command, cwd=cwd, env=env, check=True)


def tree_rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants, in MiB (from /proc)."""
    total_kib, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total_kib += next((int(line.split()[1]) for line in status.splitlines()
                               if line.startswith("VmRSS:")), 0)
            for task in Path(f"/proc/{current}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total_kib / 1024


def run_chapter(python: Path, repo: Path, notebook: Path, env: dict[str, str],
                timeout_s: int) -> tuple[int, float, float, str]:
    """nbval on one chapter: exit status, peak MiB, seconds, last output line."""
    command = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider",
               "--nbval-lax", "--nbval-current-env", "--nbval-cell-timeout=600",
               str(notebook.relative_to(repo))]
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=repo, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss_mib(process.pid))
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        output, _ = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        output += f"\ntimed out after {timeout_s} s"
    done.set()
    sampler.join()
    seconds = time.perf_counter() - start
    lines = [line for line in output.splitlines() if line.strip()]
    if process.returncode:
        say(output[-4000:])
    return process.returncode, peak, seconds, lines[-1] if lines else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="build here and keep it")
    parser.add_argument("--chapters", nargs="*", default=[],
                        help="chapter number prefixes to run (default: all)")
    parser.add_argument("--timeout", type=int, default=1800,
                        help="seconds one chapter may take (default 1800)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    work = args.keep or Path(tempfile.mkdtemp(prefix="binder-rebuild-"))
    if args.keep and work.exists() and any(work.iterdir()):
        sys.exit(f"--keep {work}: the folder is not empty; give a new one")
    repo, venv = work / "repo", work / "env"
    repo.mkdir(parents=True)
    # What Binder clones: the committed tree, without .venv, _build or caches.
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(repo)], input=archive, check=True)
    binder = repo / "binder"

    python = runtime_python(binder)
    check_apt(binder)
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env["PATH"] = f"{venv / 'bin'}:{env['PATH']}"
    # An index that cannot be reached (the CPU-torch index, offline) is
    # skipped quickly instead of retried for minutes.
    env.setdefault("PIP_RETRIES", "1")
    env.setdefault("PIP_TIMEOUT", "20")
    # The notebooks' model cache starts empty, as on a fresh Binder.
    env["NTLIB_CACHE_DIR"] = str(work / "cache")

    build_start = time.perf_counter()
    run([python, "-m", "venv", str(venv)], repo, env)
    run([str(venv / "bin" / "pip"), "install", "--no-cache-dir", "-r",
         "binder/requirements.txt"], repo, env)
    run(["bash", "binder/postBuild"], repo, env)
    build_s = time.perf_counter() - build_start
    say(f"environment built in {build_s:.0f} s")

    notebooks = sorted((repo / "book").glob("[0-9][0-9]_*.ipynb"))
    if args.chapters:
        notebooks = [nb for nb in notebooks
                     if any(nb.name.startswith(c) for c in args.chapters)]
    results = []
    for notebook in notebooks:
        say(f"== {notebook.name}")
        status, peak, seconds, last = run_chapter(venv / "bin" / "python", repo,
                                                  notebook, env, args.timeout)
        results.append((notebook.name, status, peak, seconds, last))
        say(f"   exit {status}, peak {peak:,.0f} MiB, {seconds:.0f} s: {last}")

    say("\nchapter                               nbval   peak MiB   under 2 GB   time")
    failed = False
    for name, status, peak, seconds, _ in results:
        ok = peak <= BINDER_LIMIT_MIB
        failed |= bool(status) or not ok
        say(f"{name:38}{'pass' if status == 0 else 'FAIL':>6}{peak:>11,.0f}"
            f"{'yes' if ok else 'NO':>13}{seconds:>7.0f} s")
    total_s = time.perf_counter() - started
    say(f"environment {build_s:.0f} s; chapters "
        f"{sum(r[3] for r in results):.0f} s; total {total_s:.0f} s "
        f"(limit {BINDER_LIMIT_MIB} MiB per chapter, pytest and kernel together)")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
