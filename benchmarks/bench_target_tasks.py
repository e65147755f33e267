"""Candidate target tasks: how far below fine-tuning is the frozen network?

Chapter 2 needed a target task on which the frozen network is far below
traditional fine-tuning (TFT), so that tuning has a gap to recover.  This
script pretrains the book's width-16 source network on the embedded digits
(seed 0, 40 epochs, cached) and, for each candidate change of the clean
digits, prints the frozen network's target test accuracy, TFT's, NT per
channel's and the linear probe's (15 epochs, the book's default rates), the
gap TFT minus frozen in points and the share of it NT recovers.  The
candidates are stronger noise, a Gaussian blur (``sigma`` in pixels of the
8x8 image) and a contrast reduction ``0.5 + c (x - 0.5)``; ``blur1.0`` is the
``blur`` task of ``ntlib.data`` (``BLUR_FRACTION`` of the 8-pixel width).

    .venv/bin/python benchmarks/bench_target_tasks.py
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import torch
from torch.utils.data import TensorDataset

from ntlib.data import gaussian_blur, load_task
from ntlib.datasets import load_digits_arrays
from ntlib.pretrain import pretrained_source_model
from ntlib.train import evaluate, gap_recovered
from ntlib.transfer import tune


def _tensors(x: np.ndarray, y: np.ndarray) -> TensorDataset:
    return TensorDataset(torch.from_numpy(x), torch.from_numpy(y.astype(np.int64)))


Change = Callable[[np.ndarray, int], np.ndarray]


def noise(std: float) -> Change:
    def change(x: np.ndarray, seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        return np.clip(x + rng.normal(0.0, std, x.shape), 0, 1).astype(np.float32)

    return change


def blur(sigma: float) -> Change:
    return lambda x, _seed: gaussian_blur(x, sigma)


def contrast(c: float) -> Change:
    return lambda x, _seed: (0.5 + c * (x - 0.5)).astype(np.float32)


CANDIDATES: dict[str, Change] = {
    "noise0.3": noise(0.3),
    "noise0.5": noise(0.5),
    "noise0.6": noise(0.6),
    "blur1.0": blur(1.0),
    "blur1.5": blur(1.5),
    "contrast0.3": contrast(0.3),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15, help="tuning epochs")
    parser.add_argument("--cache-dir", default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    x_train, y_train, x_test, y_test = load_digits_arrays()
    base = load_task("digits", "noise")
    source = pretrained_source_model(
        base, width=16, epochs=40, cache_dir=args.cache_dir
    )
    print(
        f"{'task':12s} {'frozen':>7s} {'tft':>7s} {'nt':>7s} {'linear':>7s}"
        f" {'gap pts':>8s} {'nt share':>9s}"
    )
    start = time.perf_counter()
    for name, change in CANDIDATES.items():
        task = replace(
            base,
            task=name,
            target_train=_tensors(change(x_train, 0), y_train),
            target_test=_tensors(change(x_test, 1), y_test),
        )
        frozen = evaluate(source, task.target_test)
        acc = {
            method: tune(source, task, method, epochs=args.epochs)[1]["target_test_acc"]
            for method in ("tft", "nt", "linear")
        }
        share = gap_recovered(acc["nt"], frozen, acc["tft"])
        print(
            f"{name:12s} {frozen:7.3f} {acc['tft']:7.3f} {acc['nt']:7.3f}"
            f" {acc['linear']:7.3f} {100 * (acc['tft'] - frozen):8.1f}"
            f" {share:9.0%}",
            flush=True,
        )
    print(f"{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
