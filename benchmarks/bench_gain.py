"""Additive bias against multiplicative gain per neuron, on every digits task (chapter 10).

On the chip the neuromodulatory signal scales a neuron's synaptic currents: a
gain on its weighted input (``ntlib.modulation.ModulatoryGain``), where NT in
software adds a bias.  This script measures both, and their sum:

1. ``--select-lr``: the learning rates of ``gain`` and ``nt-gain`` are chosen
   on validation data, as ``bench_lr_selection.py`` chooses NT's and TFT's: a
   stratified 20 % of the target training set (seed 0) is held out
   (``ntlib.data.validation_task``, whose source network never saw those
   digits), each rate of a grid is trained on the other 80 % and scored on
   the held-out part, over the sweep seeds.  The test set plays no part.
2. The comparison: for each task of ``ntlib.data.TASKS`` and each granularity,
   the target test accuracy of the frozen network, NT (bias), gain, NT+gain
   and TFT at ``ntlib.train.DEFAULT_LR``, mean ± std over the seeds, with the
   trainable-parameter counts.
3. Where a gain cannot act: the share of hidden neurons (ReLU outputs) of the
   frozen source network that never fire on the target training images, and
   the share of trained gains that came out negative (a sign flip, which a
   supply voltage cannot give).

    nice .venv/bin/python benchmarks/bench_gain.py [--select-lr] [--tasks noise]
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from pathlib import Path

import torch
from torch import nn

from ntlib.data import TASKS, load_task, validation_task
from ntlib.modulation import GRANULARITIES, ModulatoryGain
from ntlib.pretrain import pretrained_source_model
from ntlib.train import DEFAULT_LR, evaluate, mean_std
from ntlib.transfer import GAIN_COMPARISON, gain_comparison, tune

GAIN_CONFIGS = (
    ("gain", "channel"),
    ("gain", "unit"),
    ("nt-gain", "channel"),
    ("nt-gain", "unit"),
)
LABELS = {
    "frozen": "frozen",
    "nt": "NT-bias",
    "gain": "NT-gain",
    "nt-gain": "both",
    "tft": "TFT",
}


def floats(text: str) -> list[float]:
    return [float(v) for v in text.split(",") if v]


def ints(text: str) -> list[int]:
    return [int(v) for v in text.split(",") if v]


def fmt(values: list[float]) -> str:
    mean, std = mean_std(values)
    return f"{100 * mean:6.2f} ± {100 * std:4.2f}"


def select_lr(args: argparse.Namespace) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    print(
        f"== Learning rate on validation data ({args.fraction:.0%} of target_train, "
        f"seed 0), sweep seeds {args.sweep_seeds}"
    )
    print(f"{'task':<12}{'config':<20}{'lr':>8}{'val acc %':>18}")
    mean_val: dict[tuple[str, str, float], list[float]] = {}
    configs = [c for c in GAIN_CONFIGS if c[0] in args.lr_methods]
    for name in args.lr_tasks:
        task = load_task("digits", name)
        held = validation_task(task, args.fraction)
        held_source = pretrained_source_model(held)
        for method, granularity in configs:
            val = {}
            for lr in args.lrs:
                val[lr] = [
                    float(
                        tune(held_source, held, method, granularity, lr=lr, seed=s)[1][
                            "target_test_acc"
                        ]
                    )
                    for s in args.sweep_seeds
                ]
                mean_val.setdefault((method, granularity, lr), []).append(
                    mean_std(val[lr])[0]
                )
            best = max(mean_std(v)[0] for v in val.values())
            for lr, v in val.items():
                mark = "*" if mean_std(v)[0] == best else " "
                config = f"{method} ({granularity})"
                print(f"{name:<12}{config:<20}{lr:>8g}{fmt(v):>17}{mark}")
                rows.append(
                    {
                        "part": "lr-sweep",
                        "task": name,
                        "method": method,
                        "granularity": granularity,
                        "lr": lr,
                        "val_acc": v,
                    }
                )
    print("(* best on that task's validation part)")
    print(f"Mean validation accuracy over tasks {args.lr_tasks}:")
    for method, granularity in configs:
        scores = {lr: mean_std(mean_val[method, granularity, lr])[0] for lr in args.lrs}
        best = max(scores.values())
        chosen = min(lr for lr, s in scores.items() if s == best)
        line = "  ".join(f"{lr:g}: {100 * s:.2f}" for lr, s in scores.items())
        print(f"  {method} ({granularity}): {line}  -> chosen {chosen:g}")
    print("One rate per method (DEFAULT_LR is per method): mean over granularities")
    for method in args.lr_methods:
        scores = {
            lr: mean_std(
                [
                    v
                    for (m, _, r), vs in mean_val.items()
                    if (m, r) == (method, lr)
                    for v in vs
                ]
            )[0]
            for lr in args.lrs
        }
        best = max(scores.values())
        chosen = min(lr for lr, s in scores.items() if s == best)
        line = "  ".join(f"{lr:g}: {100 * s:.2f}" for lr, s in scores.items())
        print(f"  {method}: {line}  -> chosen {chosen:g}")
    print(
        f"Rates in use (ntlib.train.DEFAULT_LR): gain {DEFAULT_LR['gain']:g}, "
        f"nt-gain {DEFAULT_LR['nt-gain']:g}"
    )
    print()
    return rows


def dead_share(model: nn.Sequential, images: torch.Tensor) -> float:
    """Share of hidden ReLU neurons that never fire on ``images``."""
    dead, total = 0, 0
    x = images
    with torch.no_grad():
        for layer in model:
            x = layer(x)
            if isinstance(layer, nn.ReLU):
                fired = (x > 0).any(dim=0)
                dead += int((~fired).sum())
                total += fired.numel()
    return dead / total


def silent_inputs(model: nn.Sequential, images: torch.Tensor) -> float:
    """Share of neurons whose weighted input W x is zero on every image.

    A gain multiplies W x, so it cannot move such a neuron; a bias can.
    """
    silent, total = 0, 0
    x = images
    with torch.no_grad():
        for layer in model:
            y = layer(x)
            if isinstance(layer, nn.Conv2d | nn.Linear):
                weighted = y if layer.bias is None else y - layer(torch.zeros_like(x))
                quiet = weighted.abs().amax(dim=0) == 0
                silent += int(quiet.sum())
                total += quiet.numel()
            x = y
    return silent / total


def negative_gains(model: nn.Sequential) -> float:
    gains = torch.cat(
        [
            m.modulatory_gain.detach().reshape(-1)
            for m in model.modules()
            if isinstance(m, ModulatoryGain)
        ]
    )
    return float((gains < 0).float().mean())


def compare(args: argparse.Namespace) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    print(
        f"== Target test accuracy (%), digits, default learning rates, seeds "
        f"{args.seeds} (mean ± std); trainable parameters in brackets"
    )
    header = "".join(f"{LABELS[c]:>22}" for c in GAIN_COMPARISON)
    print(f"{'task':<12}{'granularity':<12}{header}")
    for name in args.tasks:
        task = load_task("digits", name)
        source = pretrained_source_model(task)
        for granularity in GRANULARITIES:
            runs = gain_comparison(source, task, granularity, tuple(args.seeds))
            cells = []
            for config in GAIN_COMPARISON:
                acc = [
                    float(r["target_test_acc"]) for r in runs if r["config"] == config
                ]
                params = [r["trainable_params"] for r in runs if r["config"] == config]
                cells.append(f"{fmt(acc)} [{params[0]}]")
                rows.append(
                    {
                        "part": "comparison",
                        "task": name,
                        "granularity": granularity,
                        "config": config,
                        "target_test_acc": acc,
                        "trainable_params": params[0],
                    }
                )
            print(f"{name:<12}{granularity:<12}" + "".join(f"{c:>22}" for c in cells))
    return rows


def clamped_accuracy(model: nn.Sequential, task) -> float:
    """Test accuracy with every negative gain set to zero (no retraining)."""
    clamped = copy.deepcopy(model)
    with torch.no_grad():
        for m in clamped.modules():
            if isinstance(m, ModulatoryGain):
                m.modulatory_gain.clamp_(min=0.0)
    return evaluate(clamped, task.target_test)


def notes_part(args: argparse.Namespace) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    print()
    print(
        "== Where a gain cannot act: frozen source network on the target training "
        f"images; gain-tuned networks (seed {args.seeds[0]})"
    )
    print(
        f"{'task':<12}{'never fire %':>13}{'zero Wx %':>11}{'granularity':>12}"
        f"{'gains < 0 %':>12}{'test acc %':>11}{'gains >= 0 %':>13}"
    )
    for name in args.tasks:
        task = load_task("digits", name)
        source = pretrained_source_model(task)
        images = task.target_train.tensors[0]
        dead, silent = dead_share(source, images), silent_inputs(source, images)
        for granularity in GRANULARITIES:
            model, row = tune(source, task, "gain", granularity, seed=args.seeds[0])
            negative = negative_gains(model)
            acc = float(row["target_test_acc"])
            clamped = clamped_accuracy(model, task)
            print(
                f"{name:<12}{100 * dead:>13.2f}{100 * silent:>11.2f}{granularity:>12}"
                f"{100 * negative:>12.2f}{100 * acc:>11.2f}{100 * clamped:>13.2f}"
            )
            rows.append(
                {
                    "part": "notes",
                    "task": name,
                    "granularity": granularity,
                    "never_fire_share": dead,
                    "zero_weighted_input_share": silent,
                    "negative_gain_share": negative,
                    "target_test_acc": acc,
                    "target_test_acc_gains_clamped": clamped,
                }
            )
    print(
        "(never fire: hidden ReLU neurons silent on every image; zero Wx: neurons "
        "whose weighted input is 0 on every image, which no gain can move; "
        "gains >= 0: the tuned network with its negative gains set to 0, "
        "which a supply voltage could give, not retrained)"
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=lambda t: t.split(","), default=list(TASKS))
    parser.add_argument("--seeds", type=ints, default=[0, 1, 2])
    parser.add_argument("--select-lr", action="store_true")
    parser.add_argument("--skip-comparison", action="store_true")
    parser.add_argument("--skip-notes", action="store_true")
    parser.add_argument(
        "--lr-tasks", type=lambda t: t.split(","), default=["noise", "class-split"]
    )
    parser.add_argument(
        "--lrs", type=floats, default=floats("1e-3,3e-3,1e-2,3e-2,1e-1,3e-1,1,3")
    )
    parser.add_argument(
        "--lr-methods", type=lambda t: t.split(","), default=["gain", "nt-gain"]
    )
    parser.add_argument("--sweep-seeds", type=ints, default=[0, 1, 2])
    parser.add_argument("--fraction", type=float, default=0.2)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    rows = select_lr(args) if args.select_lr else []
    if not args.skip_comparison:
        rows += compare(args)
    if not args.skip_notes:
        rows += notes_part(args)
    print()
    print(f"# wall time {time.perf_counter() - start:.0f} s ({args.threads} thread)")
    stem = (
        "gain"
        if not args.skip_comparison
        else "gain_lr"
        if args.select_lr
        else "gain_notes"
    )
    out = Path(__file__).parent / "results" / f"{stem}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
