"""Hostile-but-fair probes of the command line and the library: exit code and message.

Each probe runs in a fresh process, from the checkout given by ``--root``
(default: this one), in a scratch folder, with a tiny network so that a
probe that does run finishes in seconds.  It prints one row per probe: the
exit code and the last line of stderr (the error a reader sees), so that a
traceback or a silent success shows at once.

    .venv/bin/python benchmarks/probe_bad_input.py [--root OTHER_CHECKOUT]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--width", "2", "--pretrain-epochs", "1", "--epochs", "1"]
#: A probe still running after this long has accepted its input.
TIMEOUT_S = 90

LIBRARY = {
    "prepare(Sequential(ReLU()), 'nt')": "from torch import nn\n"
    "from ntlib.tuning import prepare\nprepare(nn.Sequential(nn.ReLU()), 'nt')",
    "prepare(Sequential(ReLU()), 'linear')": "from torch import nn\n"
    "from ntlib.tuning import prepare\nprepare(nn.Sequential(nn.ReLU()), 'linear')",
    "net(x, timesteps=[4, 8])": "NET\nnet(x, timesteps=[4, 8])",
    "net(x, timesteps=2.5)": "NET\nnet(x, timesteps=2.5)",
    "evaluate_snn(net, tensor, 4)": "NET\nevaluate_snn(net, x, 4)",
    "convert(model, empty tensor)": "NET\nconvert(model, torch.zeros(0, 1, 2, 2))",
    "convert(model, images of another shape)": "NET\n"
    "convert(model, torch.rand(8, 1, 3, 3))",
    "make_task(float labels)": "TASK\nmake_task(x, y.astype(float), x, y, 'noise')",
    "make_task(negative labels)": "TASK\nmake_task(x, y - 5, x, y - 5, 'noise')",
    "make_task(3-D images)": "TASK\nmake_task(x[:, 0], y, x[:, 0], y, 'noise')",
    "make_task(source_classes=())": "TASK\n"
    "make_task(x, y, x, y, 'class-split', source_classes=())",
    "pretrained_source_model(epochs=0)": "from ntlib.data import load_task\n"
    "from ntlib.pretrain import pretrained_source_model\n"
    "pretrained_source_model(load_task(), width=2, epochs=0, cache_dir='cache')\n"
    "print('cached:', __import__('os').listdir('cache'))",
}
PRELUDE = {
    "NET": "import torch\nfrom torch import nn\n"
    "from ntlib.conversion import convert\n"
    "from ntlib.snn import evaluate_snn\n"
    "model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))\n"
    "x = torch.rand(8, 1, 2, 2)\nnet = convert(model, x)",
    "TASK": "import numpy as np\nfrom ntlib.data import make_task\n"
    "x = np.random.rand(20, 1, 4, 4).astype(np.float32)\ny = np.arange(20) % 10",
}


def _idx(path: Path, magic: int, array: np.ndarray) -> None:
    header = magic.to_bytes(4, "big") + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape
    )
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def _mnist(root: Path, labels_train: np.ndarray | None = None) -> Path:
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for prefix, n in (("train", 200), ("t10k", 50)):
        _idx(raw / f"{prefix}-images-idx3-ubyte", 0x803, np.zeros((n, 28, 28)))
        labels = np.arange(n) % 10
        if prefix == "train" and labels_train is not None:
            labels = labels_train
        _idx(raw / f"{prefix}-labels-idx1-ubyte", 0x801, labels)
    return raw


def _command_probes(scratch: Path) -> dict[str, tuple[list[str], dict[str, str]]]:
    """name -> (arguments of python -m ntlib, extra environment)."""
    (scratch / "text.so").write_text("not a library\n")
    (scratch / "libngspice.so").symlink_to(scratch / "gone.so")
    a_file = scratch / "a-file"
    a_file.write_text("x")
    bad = {}
    for name, change in (
        ("random bytes", "random"),
        ("empty file", "empty"),
        ("200 images, 150 labels", "short"),
        ("label 200", "label"),
    ):
        raw = _mnist(scratch / name.replace(" ", "_").replace(",", ""))
        target = raw / "train-labels-idx1-ubyte"
        if change == "random":
            target = raw / "train-images-idx3-ubyte"
            target.write_bytes(np.random.default_rng(0).bytes(5000))
        elif change == "empty":
            target.write_bytes(b"")
        elif change == "short":
            _idx(target, 0x801, np.arange(150) % 10)
        else:
            labels = np.arange(200) % 10
            labels[3] = 200
            _idx(target, 0x801, labels)
        bad[name] = raw.parent.parent
    nope = {"NGSPICE_LIBRARY_PATH": "/nonexistent/libngspice.so"}
    probes: dict[str, tuple[list[str], dict[str, str]]] = {
        "info, NGSPICE_LIBRARY_PATH missing": (["info"], nope),
        "info, NGSPICE_LIBRARY_PATH not a library": (
            ["info"],
            {"NGSPICE_LIBRARY_PATH": str(scratch / "text.so")},
        ),
        "info, NGSPICE_LIBRARY_PATH dangling link": (
            ["info"],
            {"NGSPICE_LIBRARY_PATH": str(scratch / "libngspice.so")},
        ),
        "circuit --supply-v 1.0, NGSPICE_LIBRARY_PATH missing": (
            ["circuit", "--supply-v", "1.0"],
            nope,
        ),
        "transfer, NTLIB_CACHE_DIR=/sys/x": (
            ["transfer", *TINY],
            {"NTLIB_CACHE_DIR": "/sys/x"},
        ),
        "transfer, cache dir under a file": (
            ["transfer", *TINY, "--cache-dir", str(a_file / "sub")],
            {},
        ),
    }
    for name, folder in bad.items():
        probes[f"transfer --dataset mnist, {name}"] = (
            ["transfer", "--dataset", "mnist", "--data-dir", str(folder), *TINY],
            {},
        )
    probes["transfer --data-dir <a file> --download"] = (
        ["transfer", "--dataset", "mnist", "--data-dir", str(a_file), "--download"],
        {},
    )
    probes["transfer --lr inf --json"] = (["transfer", *TINY, "--lr", "inf"], {})
    probes["circuit --timeout-s inf"] = (
        ["circuit", "--supply-v", "1.0", "--timeout-s", "inf"],
        {},
    )
    probes["circuit --timeout-s nan"] = (
        ["circuit", "--supply-v", "1.0", "--timeout-s", "nan"],
        {},
    )
    probes["convert --timesteps 100000"] = (
        ["convert", *TINY[:4], "--timesteps", "100000"],
        {},
    )
    probes["snn-transfer --timesteps 100000"] = (
        ["snn-transfer", *TINY, "--timesteps", "100000"],
        {},
    )
    probes["transfer --device tpu"] = (["transfer", *TINY, "--device", "tpu"], {})
    probes["transfer --seed 99999999999999999999"] = (
        ["transfer", *TINY, "--seed", "99999999999999999999"],
        {},
    )
    return probes


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:150] if lines else ""


def _run(root: Path, argv: list[str], env: dict[str, str], cwd: Path) -> str:
    full_env = {**os.environ, "PYTHONPATH": str(root), **env}
    full_env.setdefault("NTLIB_CACHE_DIR", str(cwd / "cache"))
    start = time.perf_counter()
    try:
        done = subprocess.run(
            argv,
            cwd=cwd,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"still running after {TIMEOUT_S} s (stopped)"
    shown = _last_line(done.stderr) or _last_line(done.stdout)
    if "--json" in argv or "info" in argv:
        shown = _last_line(done.stdout) if done.returncode == 0 else shown
        if "info" in argv:
            shown = next(
                (ln.strip() for ln in done.stdout.splitlines() if "ngspice:" in ln),
                shown,
            )[:150]
    return f"rc {done.returncode} after {time.perf_counter() - start:.0f} s: {shown}"


def _sigint(root: Path, cwd: Path) -> str:
    driver = textwrap.dedent(
        """
        import signal
        import sys
        from ntlib import pretrain
        from ntlib.cli import main
        # As in a terminal: a background job starts with SIGINT ignored.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        real_fit = pretrain.fit
        def long_fit(model, dataset, epochs, **options):
            print("pretraining", file=sys.stderr, flush=True)
            return real_fit(model, dataset, 100000, **options)
        pretrain.fit = long_fit
        sys.exit(main(sys.argv[1:]))
        """
    )
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONUNBUFFERED": "1"}
    cache = cwd / "sigint-cache"
    process = subprocess.Popen(
        [sys.executable, "-c", driver, "transfer", "--width", "2", "--json",
         "--cache-dir", str(cache)],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stderr is not None
    process.stderr.readline()
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    left = sorted(p.name for p in cache.iterdir()) if cache.exists() else []
    return (
        f"rc {process.returncode}: {_last_line(err)} "
        f"({len(err.strip().splitlines())} lines; files left: {left or 'none'})"
    )


# --- Runtime probes: signals with the worker
# pool running, the cache folder, corrupt cache entries, the MNIST processed
# bypass, long paths, HOME=''.  Each prints the exit code, the first line of
# stderr and what was left behind.

MISMATCH = ["mismatch", "--instances", "8", "--jobs", "2", "--duration-s", "2e-3",
            "--json"]  # fmt: skip
CIRCUIT = ["circuit", "--supply-v", "0.9,1.0,1.1,1.2,1.3,1.4", "--jobs", "2",
           "--duration-s", "4e-3", "--json"]  # fmt: skip
#: One fast cached SPICE run: the mismatch command caches its summaries.
QUICK = ["mismatch", "--instances", "1", "--duration-s", "1e-4", "--json"]


def _first_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[0][:150] if lines else ""


def _group_left(pgid: int, leader_exited: bool = True) -> list[str]:
    """Processes still alive in process group ``pgid`` (or parented by it)."""
    out = subprocess.run(["ps", "-eo", "pid=,ppid=,pgid=,args="], capture_output=True,
                         text=True, check=False).stdout  # fmt: skip
    left = []
    for line in out.splitlines():
        pid, ppid, pgid_, cmd = line.split(None, 3)
        if (int(pgid_) == pgid or int(ppid) == pgid) and not (
            leader_exited and int(pid) == pgid
        ):
            left.append(f"{pid}:{cmd[:40]}")
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)  # clean up after the probe
    return left


def _signal_probe(root: Path, argv: list[str], plan: list[tuple[float, int, bool]],
                  cwd: Path) -> str:  # fmt: skip
    """Send ``(at_s, signal, to_group)`` in turn; rc, timing, stderr, leftovers."""
    cache = Path(tempfile.mkdtemp(dir=cwd))
    env = {**os.environ, "PYTHONPATH": str(root), "NTLIB_CACHE_DIR": str(cache)}
    start = time.monotonic()
    with open(cache.parent / f"{cache.name}.err", "w+") as err_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "ntlib", *argv], cwd=cwd, env=env, text=True,
            stdout=subprocess.DEVNULL, stderr=err_file, start_new_session=True,
            # as in a terminal, even when this script runs as a background job
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )  # fmt: skip
        sent = start
        for at_s, sig, to_group in plan:
            time.sleep(max(0.0, at_s - (time.monotonic() - start)))
            with contextlib.suppress(ProcessLookupError):
                if to_group:
                    os.killpg(process.pid, sig)
                else:
                    process.send_signal(sig)
                sent = time.monotonic()
        try:
            process.wait(timeout=30)
            waited = f"{time.monotonic() - sent:.1f} s after the last signal"
        except subprocess.TimeoutExpired:
            waited = "hung 30 s after the last signal"
        time.sleep(2)
        left = _group_left(process.pid, process.poll() is not None)  # then killed
        process.wait()
        err_file.seek(0)
        err = err_file.read()
    partial = [p.name for p in cache.rglob("*") if p.name.endswith(".tmp")]
    lines = len(err.strip().splitlines())
    return (f"rc {process.returncode}, {waited}: {_first_line(err)} ({lines} lines; "
            f"alive 2 s later: {left or 'none'}; temp files: {partial or 'none'})")  # fmt: skip


def _cache_run(root: Path, argv: list[str], env: dict[str, str], cwd: Path,
               umask: int | None = None) -> str:  # fmt: skip
    full_env = {**os.environ, "PYTHONPATH": str(root), **env}
    start = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "ntlib", *argv], cwd=cwd, env=full_env,
            capture_output=True, text=True, timeout=TIMEOUT_S, check=False,
            preexec_fn=None if umask is None else (lambda: os.umask(umask)),
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return f"still running after {TIMEOUT_S} s (stopped)"
    lines = len(done.stderr.strip().splitlines())
    shown = _first_line(done.stderr) or _last_line(done.stdout)[:80]
    return (f"rc {done.returncode} after {time.monotonic() - start:.0f} s: {shown} "
            f"({lines} stderr lines)")  # fmt: skip


def _tmp_files(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*") if p.name.endswith(".tmp")]


@contextlib.contextmanager
def _tmpfs(where: Path, options: str):
    """A small tmpfs (root only); yields None where it cannot be mounted."""
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs",
                           str(where)], capture_output=True, check=False)  # fmt: skip
    try:
        yield where if done.returncode == 0 else None
    finally:
        if done.returncode == 0:
            subprocess.run(["umount", str(where)], check=False)


def _fill(folder: Path) -> None:
    with contextlib.suppress(OSError), open(folder / "filler", "wb") as handle:
        while True:
            handle.write(b"x" * 4096)
            handle.flush()


def _processed_mnist(root: Path) -> Path:
    """Valid raw MNIST files plus torchvision's legacy processed/*.pt with label 200."""
    import torch

    _mnist(root)
    processed = root / "MNIST" / "processed"
    processed.mkdir()
    for name, n in (("training.pt", 200), ("test.pt", 50)):
        labels = torch.arange(n) % 10
        labels[3] = 200
        torch.save((torch.zeros(n, 28, 28, dtype=torch.uint8), labels),
                   processed / name)  # fmt: skip
    return root


def runtime_probes(root: Path, scratch: Path) -> dict[str, str]:
    """The runtime probes; name -> result."""
    results: dict[str, str] = {}
    int_, term, kill = signal.SIGINT, signal.SIGTERM, signal.SIGKILL
    for name, argv, plan in (
        ("mismatch --jobs 2: SIGINT to group at 10 s", MISMATCH, [(10, int_, True)]),
        ("mismatch --jobs 2: SIGINT to group at 10 s and 12 s", MISMATCH,
         [(10, int_, True), (12, int_, True)]),
        ("circuit --jobs 2: SIGINT to group at 10 s and 12 s", CIRCUIT,
         [(10, int_, True), (12, int_, True)]),
        ("mismatch --jobs 2: SIGTERM to the parent at 10 s", MISMATCH,
         [(10, term, False)]),
        ("mismatch --jobs 2: SIGKILL to the parent at 10 s", MISMATCH,
         [(10, kill, False)]),
    ):  # fmt: skip
        results[name] = _signal_probe(root, argv, plan, scratch)
        print(f"{name:<55} {results[name]}", flush=True)

    def record(name: str, result: str) -> None:
        results[name] = result
        print(f"{name:<55} {result}", flush=True)

    base = scratch / "runtime"
    base.mkdir()
    a_file = base / "a-file"
    a_file.write_text("x")
    with_circuits = base / "with-circuits-file"
    with_circuits.mkdir()
    (with_circuits / "circuits").write_text("x")
    long_name = base / ("n" * 300)
    long_path = base / "/".join(["d" * 200] * 25)
    for name, folder in (
        ("NTLIB_CACHE_DIR is a file", a_file),
        ("a file named circuits in the cache folder", with_circuits),
        ("cache folder name of 300 characters", long_name),
        ("cache path of 5,000 characters", long_path),
    ):
        record(f"mismatch, {name}",
               _cache_run(root, QUICK, {"NTLIB_CACHE_DIR": str(folder)}, base))  # fmt: skip
    record("transfer --cache-dir <5,000 characters>",
           _cache_run(root, ["transfer", *TINY, "--cache-dir", str(long_path)], {},
                      base))  # fmt: skip
    record("transfer --dataset mnist --data-dir <5,000 characters>",
           _cache_run(root, ["transfer", "--dataset", "mnist", "--data-dir",
                             str(long_path), *TINY], {}, base))  # fmt: skip
    with _tmpfs(base / "ro", "ro,size=64k") as read_only:
        if read_only is None:
            record("mismatch, read-only cache folder", "skipped (mount needs root)")
        else:
            record("mismatch, read-only cache folder",
                   _cache_run(root, QUICK, {"NTLIB_CACHE_DIR": str(read_only)}, base))  # fmt: skip
    for command in (QUICK, ["transfer", *TINY]):
        with _tmpfs(base / "full", "size=64k") as full:
            name = f"{command[0]}, full disk at the cache folder"
            if full is None:
                record(name, "skipped (mount needs root)")
                continue
            _fill(full)
            result = _cache_run(root, command, {"NTLIB_CACHE_DIR": str(full)}, base)
            record(name, f"{result}; temp files: {_tmp_files(full) or 'none'}")
    # A directory at a key path, and corrupt entries: fill a cache, then spoil it.
    spoilt = base / "spoilt"
    _cache_run(root, QUICK, {"NTLIB_CACHE_DIR": str(spoilt)}, base)
    entries = sorted((spoilt / "circuits").glob("summary-*.json"))
    for name, content in (
        ("100 random bytes", np.random.default_rng(0).bytes(100)),
        ('valid JSON "hello"', b'"hello"'),
        ("valid JSON null", b"null"),
        ("a directory", None),
    ):
        for entry in entries:
            if entry.is_dir():
                entry.rmdir()
            if content is None:
                entry.unlink(missing_ok=True)
                entry.mkdir()
            else:
                entry.write_bytes(content)
        result = _cache_run(root, QUICK, {"NTLIB_CACHE_DIR": str(spoilt)}, base)
        rebuilt = all(e.is_file() and e.read_bytes()[:1] == b"{" for e in entries)
        record(f"mismatch, summary entry is {name}",
               f"{result}; rebuilt: {rebuilt}; temp files: "
               f"{_tmp_files(spoilt) or 'none'}")  # fmt: skip
    # HOME='' with no NTLIB_CACHE_DIR: where does the cache go?
    home_root = Path("/.cache/ntlib")
    existed = home_root.exists()
    result = _cache_run(root, QUICK, {"HOME": "", "NTLIB_CACHE_DIR": ""}, base)
    made = home_root.exists() and not existed
    record("mismatch, HOME='' and no NTLIB_CACHE_DIR",
           f"{result}; created /.cache/ntlib: {made}")  # fmt: skip
    if made:
        subprocess.run(["rm", "-rf", str(home_root)], check=False)
    fresh = base / "umask0" / "cache"
    result = _cache_run(root, QUICK, {"NTLIB_CACHE_DIR": str(fresh)}, base, umask=0)
    modes = {p.name: oct(p.stat().st_mode & 0o777) for p in (fresh, fresh / "circuits")
             if p.exists()}  # fmt: skip
    record("mismatch under umask 000: folder modes", f"{result}; modes: {modes}")
    # chip --cache-dir: does it cover the circuit results too?
    chip_cache = base / "chip-cache"
    result = _cache_run(root, ["chip", "--chips", "0", "--digits", "2", "--cache-dir",
                               str(chip_cache), "--json"],
                        {"NTLIB_CACHE_DIR": str(base / "env-cache")}, base)  # fmt: skip
    record("chip --cache-dir X: circuit results under X",
           f"{result}; X/circuits: {(chip_cache / 'circuits').is_dir()}")  # fmt: skip
    # MNIST: torchvision's processed/*.pt must not bypass the raw-file checks.
    data = _processed_mnist(base / "processed-mnist")
    result = _cache_run(root, ["transfer", "--dataset", "mnist", "--data-dir",
                               str(data), *TINY, "--json"],
                        {"NTLIB_CACHE_DIR": str(base / "mnist-cache")}, base)  # fmt: skip
    record("transfer --dataset mnist, processed/*.pt with label 200", result)
    return results


# --- Command-line probes (limits, messages and the shared
# option parsing).  Bad input must give one line and rc 2 before any work; a
# probe that would do work runs with a memory limit so it cannot take the
# machine.  The chip probes share one persistent cache (pretraining and the
# circuit's gain curve take minutes on two cores the first time).

#: A network that learns above chance in seconds (so a diverged run shows).
SMALL = ["--width", "4", "--pretrain-epochs", "3", "--epochs", "2"]
#: Memory limit of a probe that may start work: 8 GiB.
PROBE_MEMORY_BYTES = 8 * 2**30
CHIP = ["chip", "--chips", "0", "--digits", "2", "--json"]
CLI_PROBES: dict[str, list[str]] = {
    "chip --chips 100000000": ["chip", "--chips", "100000000", "--digits", "2"],
    "chip --temp-c 125.0001": ["chip", "--temp-c", "125.0001"],
    "chip --temp-c abc": ["chip", "--temp-c", "abc"],
    "circuit --temp-c abc": ["circuit", "--supply-v", "1.0", "--temp-c", "abc"],
    "circuit --temp-c 125.0001": ["circuit", "--supply-v", "1.0", "--temp-c",
                                  "125.0001"],
    "chip --corner xx": ["chip", "--corner", "xx"],
    "circuit --corner xx": ["circuit", "--supply-v", "1.0", "--corner", "xx"],
    "mismatch --corner xx": ["mismatch", "--corner", "xx"],
    "mismatch --seed 4294967296": ["mismatch", "--instances", "1", "--duration-s",
                                   "1e-4", "--seed", "4294967296", "--json"],
    "transfer --seed 4294967296": ["transfer", *TINY, "--seed", "4294967296"],
    "convert --seed 4294967296": ["convert", *TINY[:4], "--seed", "4294967296"],
    "transfer --lr 1e300": ["transfer", *TINY, "--lr", "1e300"],
    "transfer --lr 1e30 (a network above chance)": ["transfer", *SMALL, "--lr",
                                                    "1e30", "--json"],
    "transfer --lr 1e30 --method tft": ["transfer", *SMALL, "--method", "tft",
                                        "--lr", "1e30", "--json"],
    "transfer (the same network, default lr)": ["transfer", *SMALL, "--json"],
    "transfer --data-dir 'a<newline>b'": ["transfer", "--dataset", "mnist",
                                          "--data-dir", "a\nb", *TINY],
    "chip --data-dir 'a<newline>b'": ["chip", "--dataset", "mnist", "--data-dir",
                                      "a\nb"],
}  # fmt: skip
# The single neuron's input train and transient step (chapters 7 and 8).
CLI_PROBES.update({
    f"circuit {flag} {value}": ["circuit", "--supply-v", "1.0", flag, value]
    for flag, value in (
        ("--input", "poison"), ("--input", ""), ("--input-seed", "-1"),
        ("--input-seed", "4294967296"), ("--input-seed", "1.5"),
        ("--max-step", "0"), ("--max-step", "-1e-9"), ("--max-step", "inf"),
        ("--max-step", "nan"), ("--max-step", "1"),
    )
})  # fmt: skip
# A SPICE slice of one layer of the chip (chapter 10): unknown layers and
# slices larger than the layer.
CLI_PROBES.update({
    f"chip {' '.join(argv)}": ["chip", "--level", "spice", *argv]
    for argv in (
        ("--layer", "conv3"), ("--layer", ""), ("--layer", "conv2", "--channels",
                                                 "33"),
        ("--layer", "conv1", "--patch", "9"), ("--layer", "dense", "--neurons", "65"),
        ("--layer", "output", "--neurons", "11"), ("--layer", "dense", "--patch", "2"),
        ("--layer", "conv2", "--neurons", "4"), ("--neurons", "2"),
        ("--layer", "output", "--mismatch-seed", "0"),
    )
})  # fmt: skip
CLI_PROBES["chip --layer output (behavioural level)"] = ["chip", "--layer", "output"]


def _limited_run(root: Path, argv: list[str], env: dict[str, str], cwd: Path,
                 timeout_s: float = TIMEOUT_S) -> tuple[str, str]:  # fmt: skip
    """``(row, stdout)`` of one run under :data:`PROBE_MEMORY_BYTES`."""
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (PROBE_MEMORY_BYTES,) * 2)

    full_env = {**os.environ, "PYTHONPATH": str(root), **env}
    full_env.setdefault("NTLIB_CACHE_DIR", str(cwd / "cache"))
    start = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "ntlib", *argv], cwd=cwd, env=full_env,
            capture_output=True, text=True, timeout=timeout_s, check=False,
            preexec_fn=limit,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return f"still running after {timeout_s:.0f} s (stopped)", ""
    err = done.stderr.strip().splitlines()
    errors = [line for line in err if line.startswith(("error", "Traceback"))]
    shown = (errors or err or [""])[0][:150] if done.returncode else ""
    out = done.stdout.strip().splitlines()
    if not shown and out and out[-1].startswith("{"):  # a --json result: its accuracies
        result = json.loads(out[-1])
        shown = ", ".join(f"{k} {v:.3f}" for k, v in sorted(result.items())
                          if k.startswith("target_test_acc"))  # fmt: skip
    shown = shown or (out[-1][:150] if out else "")
    return (f"rc {done.returncode} after {time.monotonic() - start:.0f} s: "
            f"{shown} ({len(err)} stderr lines)"), done.stdout  # fmt: skip


def cli_probes(root: Path, scratch: Path) -> dict[str, str]:
    """The command-line probes; name -> result."""
    results: dict[str, str] = {}

    def record(name: str, result: str) -> None:
        results[name] = result
        print(f"{name:<55} {result}", flush=True)

    chip_cache = Path(tempfile.gettempdir()) / "ntlib-probe-chip-cache"
    chip_env = {"NTLIB_CACHE_DIR": str(chip_cache)}
    for name, argv in CLI_PROBES.items():
        env = chip_env if argv[0] == "chip" else {}
        record(name, _limited_run(root, argv, env, scratch)[0])
    # Item 7: does --seed 2**32 draw the same instance as --seed 0?
    draws = []
    for seed in ("0", "4294967296"):
        argv = ["mismatch", "--instances", "1", "--duration-s", "1e-4", "--seed",
                seed, "--json"]  # fmt: skip
        _, out = _limited_run(root, argv, {}, scratch)
        rows = json.loads(out.strip().splitlines()[-1]) if out.strip() else []
        draws.append([(r["firing_rate_hz"], r["rheobase_a"]) for r in rows])
    same = draws[0] == draws[1] and bool(draws[0])
    record("mismatch --seed 0 and --seed 4294967296: same draws",
           f"{same} ({'refused' if not draws[1] else 'run'})")  # fmt: skip
    # Item 10: which test images does each accuracy of chip --json use?
    row, out = _limited_run(root, CHIP, chip_env, scratch, timeout_s=900)
    lines = out.strip().splitlines()
    try:
        result = json.loads(lines[-1]) if lines else {}
    except ValueError:
        result = {}
    counts = {k: result.get(k) for k in ("digits", "test_images", "chip_test_images")}
    accs = ", ".join(f"{k.removesuffix('_test_acc')} {v:.3f}"
                     for k, v in sorted(result.items()) if k.endswith("_test_acc"))  # fmt: skip
    record("chip --json: test-image fields", f"{row[:16]}; {counts}; {accs}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout to probe")
    parser.add_argument(
        "--runtime",
        action="store_true",
        help="only the runtime probes: signals, cache folder and entries, MNIST",
    )
    parser.add_argument(
        "--cli",
        action="store_true",
        help="only the command-line probes: limits, seeds, messages, chip JSON",
    )
    args = parser.parse_args()
    root = args.root.resolve()
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        if args.runtime:
            runtime_probes(root, scratch)
            return
        if args.cli:
            cli_probes(root, scratch)
            return
        for name, (argv, env) in _command_probes(scratch).items():
            if "--lr" in argv:
                argv = [*argv, "--json"]
            result = _run(root, [sys.executable, "-m", "ntlib", *argv], env, scratch)
            print(f"{name:<55} {result}", flush=True)
        for name, code in LIBRARY.items():
            for key, prelude in PRELUDE.items():
                code = code.replace(key, prelude)
            result = _run(root, [sys.executable, "-c", code], {}, scratch)
            print(f"{name:<55} {result}", flush=True)
        print(f"{'SIGINT during pretraining':<55} {_sigint(root, scratch)}")


if __name__ == "__main__":
    main()
