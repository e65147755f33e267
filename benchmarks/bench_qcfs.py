"""Conversion loss at low latency: ReLU (p99.9 and max norm) against QCFS.

Prints, for each source network, its ANN test accuracy, the conversion loss
(ANN minus SNN, in points) at each T, the synaptic operations per inference,
and for each the smallest T whose loss is at most 0.2 points, with the
synaptic operations it costs there.  Targets: QCFS loss <= 0.2 points at T=4
and <= 1 point at T=2; the QCFS ANN within 0.5 points of its ReLU twin.

    .venv/bin/python benchmarks/bench_qcfs.py
    .venv/bin/python benchmarks/bench_qcfs.py --dataset mnist --data-dir ~/data
"""

from __future__ import annotations

import argparse
import time

import torch

from ntlib.conversion import convert
from ntlib.data import DATASETS, load_task
from ntlib.pretrain import pretrained_source_model
from ntlib.snn import evaluate_snn
from ntlib.train import evaluate

TIMESTEPS = [1, 2, 4, 8, 16, 32, 64]
SOURCES = [("relu", None, "p99.9"), ("relu", None, "max")] + [
    ("qcfs", levels, "p99.9") for levels in (2, 4, 8)
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=DATASETS, default="digits")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--task", default="noise")
    parser.add_argument("--test-limit", type=int, default=2000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    task = load_task(args.dataset, args.task, args.data_dir)
    test = task.source_test
    if len(test) > args.test_limit:
        test = torch.utils.data.Subset(test, range(args.test_limit))
    print(
        f"{args.dataset}/{args.task}: {len(test)} test images "
        f"(one image = {100 / len(test):.2f} points)"
    )
    header = "source            ANN %   " + " ".join(f"T={t:<5}" for t in TIMESTEPS)
    print(header)
    summary = []
    relu_acc = None
    for activation, levels, norm in SOURCES:
        start = time.perf_counter()
        model = pretrained_source_model(task, activation=activation, levels=levels)
        ann = evaluate(model, test)
        relu_acc = ann if activation == "relu" else relu_acc
        result = evaluate_snn(convert(model, task.source_train, norm), test, TIMESTEPS)
        loss = {t: 100 * (ann - a) for t, a in result.accuracy.items()}
        name = f"{activation}{'' if levels is None else f' L={levels}'} {norm}"
        print(
            f"{name:<17} {100 * ann:6.2f}  "
            + " ".join(f"{loss[t]:+6.2f}" for t in TIMESTEPS)
            + f"   ({time.perf_counter() - start:.0f} s)"
        )
        reach = next((t for t in TIMESTEPS if loss[t] <= 0.2), None)
        ops = result.synaptic_ops_per_inference
        summary.append((name, ann, reach, ops[reach] if reach else None, ops))
    print("\nsmallest T with a loss of at most 0.2 points, and its synaptic ops:")
    for name, ann, reach, ops_at, ops in summary:
        twin = (
            ""
            if name.startswith("relu")
            else (f"; ANN minus its ReLU twin {100 * (ann - relu_acc):+.2f} points")
        )
        where = f"T={reach}: {ops_at:,.0f} synaptic ops" if reach else "not reached"
        print(f"  {name:<17} {where}{twin}")
    print("\nsynaptic operations per inference at each T:")
    for name, _, _, _, ops in summary:
        print(f"  {name:<17} " + " ".join(f"{ops[t]:>9,.0f}" for t in TIMESTEPS))


if __name__ == "__main__":
    main()
