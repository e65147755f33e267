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
    "from ntlib.snn import convert, evaluate_snn\n"
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout to probe")
    args = parser.parse_args()
    root = args.root.resolve()
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
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
