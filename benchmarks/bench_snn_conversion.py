"""Accuracy of the converted source CNN against T (chapter 5 figures).

Converts the pretrained source CNN of the embedded digits by max and by
99.9th-percentile norm, with direct and rate (Poisson) coding, prints test
accuracy and synaptic operations per inference for each T, and checks the
targets: direct coding with the 99.9th-percentile norm within 1 point of the
ANN at T=32 and within 0.3 point at T=128.

    .venv/bin/python benchmarks/bench_snn_conversion.py
"""

from __future__ import annotations

import time

import torch

from ntlib.conversion import convert
from ntlib.data import load_task
from ntlib.pretrain import pretrained_source_model
from ntlib.snn import evaluate_snn
from ntlib.train import evaluate

TIMESTEPS = [4, 8, 16, 32, 64, 128]


def main() -> None:
    torch.set_num_threads(1)
    task = load_task("digits", "noise")
    model = pretrained_source_model(task)
    ann = evaluate(model, task.source_test)
    print(f"ANN test accuracy: {100 * ann:.2f} % on {len(task.source_test)} images")
    print(
        f"{'norm/coding':<16}"
        + "".join(f"{'T=' + str(t):>9}" for t in TIMESTEPS)
        + f"{'seconds':>9}"
    )
    results = {}
    for norm in ("max", "p99.9"):
        network = convert(model, task.source_train, norm)
        for coding in ("direct", "rate"):
            start = time.perf_counter()
            result = evaluate_snn(network, task.source_test, TIMESTEPS, coding)
            seconds = time.perf_counter() - start
            results[(norm, coding)] = result
            print(
                f"{norm + '/' + coding:<16}"
                + "".join(f"{100 * result.accuracy[t]:>9.2f}" for t in TIMESTEPS)
                + f"{seconds:>9.1f}"
            )
    print(
        "synaptic operations per inference (p99.9/direct): "
        + ", ".join(
            f"T={t}: {v:.3g}"
            for t, v in results[("p99.9", "direct")].synaptic_ops_per_inference.items()
        )
    )
    robust = results[("p99.9", "direct")].accuracy
    for t, bound in ((32, 1.0), (128, 0.3)):
        gap = 100 * (ann - robust[t])
        verdict = "met" if gap <= bound else "NOT met"
        print(f"T={t}: ANN - SNN = {gap:+.2f} points (target <= {bound}): {verdict}")


if __name__ == "__main__":
    main()
