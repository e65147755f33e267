"""Time and memory of one NT training step against one TFT step on the same batch.

Each measurement runs in a fresh process on random tensors shaped like 28x28
images, through the book's 28x28 CNN.  Time: median of the timed steps after
warm-up.  Memory: the peak resident memory reached while training (the
process's peak is reset just before the first step through
/proc/self/clear_refs), minus the memory resident just before it, so it counts
what a step adds: gradients, optimiser state, activations saved for backward.
On a CUDA device it reports torch.cuda.max_memory_allocated instead.  The
``-lean`` rows train NT through ``ntlib.memory_lean.lean_copy``, whose frozen layers
keep no activations for backward.

    python benchmarks/bench_step.py                # CPU, 1 thread
    python benchmarks/bench_step.py --device cuda  # where a GPU exists
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

CONFIGS = (
    ("tft", "channel", ""),
    ("nt", "channel", ""),
    ("nt", "unit", ""),
    ("nt", "channel", "lean"),
    ("nt", "unit", "lean"),
)


def _rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def measure(
    method: str,
    granularity: str,
    lean: bool,
    batch: int,
    width: int,
    steps: int,
    device: str,
) -> dict[str, float]:
    import torch
    from torch import nn

    from ntlib.memory_lean import lean_copy
    from ntlib.models import build_cnn
    from ntlib.tuning import prepare, trainable_params

    torch.set_num_threads(1)
    torch.manual_seed(0)
    shape = (1, 28, 28)
    model = prepare(build_cnn(shape, 10, width), method, granularity, shape)
    if lean:
        model = lean_copy(model)
    model.to(device).train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.rand(batch, *shape, device=device)
    y = torch.randint(0, 10, (batch,), device=device)

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()
        optimizer.step()

    cuda = device.startswith("cuda")
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    else:
        Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM)
        base = _rss_kb("VmRSS") * 1024
    times = []
    for i in range(steps + 3):
        start = time.perf_counter()
        step()
        if cuda:
            torch.cuda.synchronize()
        if i >= 3:
            times.append(time.perf_counter() - start)
    peak = torch.cuda.max_memory_allocated() if cuda else _rss_kb("VmHWM") * 1024
    return {
        "method": (f"{method}-{granularity}" if method == "nt" else method)
        + ("-lean" if lean else ""),
        "batch": batch,
        "trainable_params": trainable_params(model),
        "step_seconds": statistics.median(times),
        "step_memory_mb": (peak - base) / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", default="32,128,512")
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--steps", type=int, default=15)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        method, granularity, lean, batch = args.one.split(":")
        result = measure(
            method,
            granularity,
            lean == "lean",
            int(batch),
            args.width,
            args.steps,
            args.device,
        )
        print(json.dumps(result))
        return
    print(
        f"device={args.device} width={args.width} steps={args.steps} "
        "(28x28 CNN, random tensors)"
    )
    header = (
        f"{'batch':>5} {'method':>15} {'trainable':>9} {'step ms':>8} "
        f"{'mem MB':>7} {'time/TFT':>8} {'mem/TFT':>8}"
    )
    print(header)
    for batch in (int(b) for b in args.batches.split(",")):
        rows = []
        for method, granularity, lean in CONFIGS:
            out = (
                subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--one",
                        f"{method}:{granularity}:{lean}:{batch}",
                        "--width",
                        str(args.width),
                        "--steps",
                        str(args.steps),
                        "--device",
                        args.device,
                    ],
                    check=True,
                    capture_output=True,
                    text=True,
                    # glibc returns freed blocks of 64 KiB and more to the system at
                    # once, so that resident memory follows the memory in use
                    env={**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536"},
                )
                .stdout.strip()
                .splitlines()[-1]
            )
            rows.append(json.loads(out))
        tft = rows[0]
        for r in rows:
            print(
                f"{r['batch']:>5} {r['method']:>15} {r['trainable_params']:>9} "
                f"{1e3 * r['step_seconds']:>8.2f} {r['step_memory_mb']:>7.1f} "
                f"{r['step_seconds'] / tft['step_seconds']:>8.2f} "
                f"{r['step_memory_mb'] / tft['step_memory_mb']:>8.2f}"
            )


if __name__ == "__main__":
    main()
