"""Our converter against SpikingJelly's ann2snn on the same trained CNN.

SpikingJelly is not part of the book's stack: this script installs it into
its own virtual environment under /tmp (``--venv``), which sees the book's
torch through a ``.pth`` file, and re-runs itself there.  It converts the
pretrained source CNN of the digits (the embedded default) with both
converters, by max and by 99.9th-percentile norm, direct coding, and prints
the test accuracy against T for each.

    .venv/bin/python benchmarks/bench_spikingjelly.py
"""

from __future__ import annotations

import argparse
import copy
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMESTEPS = [4, 8, 16, 32, 64, 128]
#: Exact versions installed into the side environment (ann2snn's FXConverter
#: and RateCodingRecipe are SpikingJelly 2.0's API; loguru is its logger).
PINNED = ("spikingjelly==2.0.0", "loguru==0.7.3")


def ensure_venv(venv: Path) -> Path:
    """Create ``venv`` with the :data:`PINNED` packages if needed; return its python.

    An environment holding other versions is brought to the pinned ones.
    """
    python = venv / "bin" / "python"
    if not python.exists():
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", str(venv)], check=True)
        site = next((venv / "lib").glob("python3*/site-packages"))
        book_site = sysconfig.get_paths()["purelib"]
        (site / "book_stack.pth").write_text(book_site + "\n")
    wanted = [tuple(p.split("==")) for p in PINNED]
    # exits non-zero when a package is missing or of another version
    code = (
        "from importlib.metadata import version; import sys; "
        f"sys.exit(any(version(n) != v for n, v in {wanted!r}))"
    )
    check = subprocess.run(
        [str(python), "-c", code],
        capture_output=True,
        check=False,
    )
    if check.returncode != 0:
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-deps",
                *PINNED,
            ],
            check=True,
        )
    return python


def spikingjelly_curve(model, task, mode: str) -> dict[int, float]:
    import torch
    from spikingjelly.activation_based import ann2snn, functional
    from torch.utils.data import DataLoader

    calibration = DataLoader(task.source_train, batch_size=256, shuffle=False)
    recipe = ann2snn.RateCodingRecipe(dataloader=calibration, mode=mode)
    snn = ann2snn.FXConverter(recipe=recipe, device="cpu").convert(copy.deepcopy(model))
    snn.eval()
    correct = {t: 0 for t in TIMESTEPS}
    total = 0
    with torch.no_grad():
        for x, y in DataLoader(task.source_test, batch_size=512):
            functional.reset_net(snn)
            out = 0
            for t in range(1, TIMESTEPS[-1] + 1):
                out = out + snn(x)
                if t in correct:
                    correct[t] += int((out.argmax(1) == y).sum())
            total += len(y)
    return {t: c / total for t, c in correct.items()}


def compare() -> None:
    from importlib.metadata import version

    import torch

    sys.path.insert(0, str(ROOT))
    from ntlib.conversion import convert
    from ntlib.data import load_task
    from ntlib.pretrain import pretrained_source_model
    from ntlib.snn import evaluate_snn
    from ntlib.train import evaluate

    torch.set_num_threads(1)
    print(
        f"spikingjelly {version('spikingjelly')}, torch {torch.__version__}; "
        "direct coding, calibration on the source training images"
    )
    # two trained ANNs: the source network of the 'noise' task (all ten
    # digits) and that of 'class-split' (digits 0-4)
    for task_name in ("noise", "class-split"):
        task = load_task("digits", task_name)
        model = pretrained_source_model(task)
        ann = evaluate(model, task.source_test)
        curves = {}
        for ours, theirs in (("max", "max"), ("p99.9", "99.9%")):
            for v0 in (0.5, 0.0):
                net = convert(model, task.source_train, ours, initial_membrane=v0)
                curves[f"ntlib {ours} (start {v0})"] = evaluate_snn(
                    net, task.source_test, TIMESTEPS
                ).accuracy
            curves[f"spikingjelly {theirs}"] = spikingjelly_curve(model, task, theirs)
        print(
            f"\nsource network of '{task_name}': ANN test accuracy "
            f"{100 * ann:.2f} % on {len(task.source_test)} images"
        )
        print(f"{'converter':<28}" + "".join(f"{'T=' + str(t):>8}" for t in TIMESTEPS))
        for name, curve in curves.items():
            print(f"{name:<28}" + "".join(f"{100 * curve[t]:>8.2f}" for t in TIMESTEPS))
        for ours, theirs in (("max", "max"), ("p99.9", "99.9%")):
            mine = curves[f"ntlib {ours} (start 0.5)"]
            peer = curves[f"spikingjelly {theirs}"]
            behind = {
                t: round(100 * (peer[t] - mine[t]), 2)
                for t in TIMESTEPS
                if mine[t] < peer[t]
            }
            print(f"{ours}: ntlib behind spikingjelly (points) at {behind or 'no T'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", default="/tmp/sjvenv")
    args = parser.parse_args()
    if os.environ.get("NTLIB_SJ_CHILD"):
        compare()
        return
    try:
        python = ensure_venv(Path(args.venv))
    except (subprocess.CalledProcessError, OSError, StopIteration) as error:
        print(f"spikingjelly could not be installed ({error}); no comparison made")
        raise SystemExit(1) from None
    env = {**os.environ, "NTLIB_SJ_CHILD": "1"}
    raise SystemExit(
        subprocess.run(
            [str(python), __file__, *sys.argv[1:]], env=env, check=False
        ).returncode
    )


if __name__ == "__main__":
    main()
