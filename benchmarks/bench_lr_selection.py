"""Learning rates chosen on validation data, not on the test set (chapters 2 and 6).

The book tunes with fixed Adam learning rates: 0.01 for NT and 0.001 for TFT in
deep networks (``ntlib.train.DEFAULT_LR``), 3e-2 for NT trained by surrogate
gradients in a spiking network (``ntlib.snn_train.DEFAULT_SNN_LR``).  This
script chooses each learning rate honestly: a fixed, stratified 20 % of the
target training set (seed 0) is held out as validation data, every learning
rate of a grid is trained on the other 80 % and scored on that validation
part, and the best one is kept.  For the tasks that see the source digits
through a change (noise, rotate), the source network of the sweep is
pretrained without the originals of the validation digits
(``ntlib.data.validation_task``), so no validation digit has been seen in any
form; the book's own source network, which has seen them all, would reward
rates that leave it unchanged.  The target test set is then used once per
run: networks tuned on the full target training set at the chosen rate (and,
for comparison, at the rate in use) are scored on it, over several seeds.

Deep networks: digits, width 16, the book's 15 tuning epochs, NT per channel,
NT per unit and TFT.  Spiking networks: mode (b) of chapter 6 (NT currents
trained by surrogate gradients, per unit), T = 8 steps, 8 epochs; TFT-SNN's
rate is swept too, so that both sides of the spiking gap are chosen alike.

    .venv/bin/python benchmarks/bench_lr_selection.py

The test accuracy of the networks trained on 80 % is printed next to their
validation accuracy for reference only; it plays no part in any choice.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from ntlib.data import load_task, validation_task
from ntlib.models import DEFAULT_WIDTH
from ntlib.pretrain import pretrained_source_model
from ntlib.snn_train import DEFAULT_SNN_LR, tune_spiking
from ntlib.train import DEFAULT_LR, evaluate, mean_std
from ntlib.transfer import DEFAULT_TUNE_EPOCHS, tune

CONFIGS = (("nt", "channel"), ("nt", "unit"), ("tft", "channel"))
SNN_GRANULARITY = "unit"  # chapter 6's GRANULARITY


def floats(text: str) -> list[float]:
    return [float(v) for v in text.split(",") if v]


def ints(text: str) -> list[int]:
    return [int(v) for v in text.split(",") if v]


def label(method: str, granularity: str) -> str:
    return f"{method} ({granularity})" if method.startswith("nt") else method


def pick(scores: dict[float, float]) -> float:
    """The rate of highest mean validation accuracy (ties: the smaller rate)."""
    best = max(scores.values())
    return min(lr for lr, score in scores.items() if score == best)


def fmt(values: list[float]) -> str:
    mean, std = mean_std(values)
    return f"{100 * mean:6.2f} ± {100 * std:4.2f}"


def deep_part(args: argparse.Namespace) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    print(
        f"== Deep networks: digits, width {DEFAULT_WIDTH}, {DEFAULT_TUNE_EPOCHS} "
        f"epochs; validation = {args.fraction:.0%} of target_train (seed 0), "
        f"sweep seeds {args.sweep_seeds}, test seeds {args.seeds}"
    )
    print(
        f"{'task':<12}{'config':<15}{'lr':>8}{'val acc % (80% train)':>24}"
        f"{'test acc % (ref. only)':>24}"
    )
    finals = []
    for name in args.tasks:
        task = load_task("digits", name)
        held = validation_task(task, args.fraction)
        held_source = pretrained_source_model(held)
        source = pretrained_source_model(task)
        for method, granularity in CONFIGS:
            grid = args.tft_lrs if method == "tft" else args.nt_lrs
            val, ref = {}, {}
            for lr in grid:
                val[lr], ref[lr] = [], []
                for seed in args.sweep_seeds:
                    model, row = tune(
                        held_source, held, method, granularity, lr=lr, seed=seed
                    )
                    val[lr].append(float(row["target_test_acc"]))
                    ref[lr].append(evaluate(model, task.target_test))
            chosen = pick({lr: mean_std(v)[0] for lr, v in val.items()})
            in_use = DEFAULT_LR[method]
            for lr in grid:
                mark = ("*" if lr == chosen else " ") + ("d" if lr == in_use else " ")
                print(
                    f"{name:<12}{label(method, granularity):<15}{lr:>8g}"
                    f"{fmt(val[lr]):>22}{mark}{fmt(ref[lr]):>24}"
                )
                rows.append(
                    {
                        "part": "deep-sweep",
                        "task": name,
                        "method": method,
                        "granularity": granularity,
                        "lr": lr,
                        "val_acc": val[lr],
                        "test_acc_80": ref[lr],
                        "chosen": lr == chosen,
                    }
                )
            test = {}
            for lr in sorted({chosen, in_use}):
                test[lr] = [
                    float(
                        tune(source, task, method, granularity, lr=lr, seed=s)[1][
                            "target_test_acc"
                        ]
                    )
                    for s in args.seeds
                ]
            finals.append((name, method, granularity, chosen, in_use, test))
            rows.append(
                {
                    "part": "deep-test",
                    "task": name,
                    "method": method,
                    "granularity": granularity,
                    "chosen_lr": chosen,
                    "in_use_lr": in_use,
                    "test_acc": {str(k): v for k, v in test.items()},
                }
            )
    print("(* chosen on validation, d = the rate in use, DEFAULT_LR)")
    print()
    print(f"Target test accuracy (%), full target_train, seeds {args.seeds}:")
    print(
        f"{'task':<12}{'config':<15}{'chosen lr':>10}{'at chosen':>17}"
        f"{'in-use lr':>10}{'at in-use':>17}"
    )
    acc: dict[tuple[str, str, str], float] = {}
    for name, method, granularity, chosen, in_use, test in finals:
        key = label(method, granularity)
        acc[name, key, "chosen"] = mean_std(test[chosen])[0]
        acc[name, key, "in-use"] = mean_std(test[in_use])[0]
        print(
            f"{name:<12}{key:<15}{chosen:>10g}{fmt(test[chosen]):>17}"
            f"{in_use:>10g}{fmt(test[in_use]):>17}"
        )
    print()
    print("NT-TFT gap (TFT minus NT, points of target test accuracy):")
    print(f"{'task':<12}{'NT config':<15}{'validated rates':>16}{'rates in use':>14}")
    for name in args.tasks:
        for key in ("nt (channel)", "nt (unit)"):
            gaps = [
                100 * (acc[name, "tft", w] - acc[name, key, w])
                for w in ("chosen", "in-use")
            ]
            print(f"{name:<12}{key:<15}{gaps[0]:>16.2f}{gaps[1]:>14.2f}")
    return rows


def spiking_part(args: argparse.Namespace) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    print()
    print(
        f"== Spiking networks, mode (b) surrogate training, per {SNN_GRANULARITY}, "
        f"T={args.timesteps}, {args.snn_epochs} epochs; sweep seeds "
        f"{args.snn_sweep_seeds}, test seeds {args.seeds}"
    )
    print(f"{'task':<12}{'method':<8}{'lr':>8}{'val acc % (80% train)':>24}")
    finals = []
    for name in args.snn_tasks:
        task = load_task("digits", name)
        held = validation_task(task, args.fraction)
        held_source = pretrained_source_model(held)
        source = pretrained_source_model(task)
        for method, grid in (("nt", args.snn_lrs), ("tft", args.snn_tft_lrs)):
            if not grid:
                continue
            val = {
                lr: [
                    tune_spiking(
                        held_source,
                        held,
                        method,
                        "surrogate",
                        timesteps=args.timesteps,
                        epochs=args.snn_epochs,
                        lr=lr,
                        granularity=SNN_GRANULARITY,
                        seed=seed,
                    ).target_test_acc
                    for seed in args.snn_sweep_seeds
                ]
                for lr in grid
            }
            chosen = pick({lr: mean_std(v)[0] for lr, v in val.items()})
            in_use = DEFAULT_SNN_LR[method]
            for lr in grid:
                mark = ("*" if lr == chosen else " ") + ("d" if lr == in_use else " ")
                print(f"{name:<12}{method:<8}{lr:>8g}{fmt(val[lr]):>22}{mark}")
                rows.append(
                    {
                        "part": "snn-sweep",
                        "task": name,
                        "method": method,
                        "lr": lr,
                        "val_acc": val[lr],
                        "chosen": lr == chosen,
                    }
                )
            test = {
                lr: [
                    tune_spiking(
                        source,
                        task,
                        method,
                        "surrogate",
                        timesteps=args.timesteps,
                        epochs=args.snn_epochs,
                        lr=lr,
                        granularity=SNN_GRANULARITY,
                        seed=s,
                    ).target_test_acc
                    for s in args.seeds
                ]
                for lr in sorted({chosen, in_use})
            }
            finals.append((name, method, chosen, in_use, test))
            rows.append(
                {
                    "part": "snn-test",
                    "task": name,
                    "method": method,
                    "chosen_lr": chosen,
                    "in_use_lr": in_use,
                    "test_acc": {str(k): v for k, v in test.items()},
                }
            )
    print("(* chosen on validation, d = the rate in use, DEFAULT_SNN_LR)")
    print()
    print(f"Spiking target test accuracy (%), full target_train, seeds {args.seeds}:")
    print(
        f"{'task':<12}{'method':<8}{'chosen lr':>10}{'at chosen':>17}"
        f"{'in-use lr':>10}{'at in-use':>17}"
    )
    acc = {}
    for name, method, chosen, in_use, test in finals:
        acc[name, method, "chosen"] = mean_std(test[chosen])[0]
        acc[name, method, "in-use"] = mean_std(test[in_use])[0]
        print(
            f"{name:<12}{method:<8}{chosen:>10g}{fmt(test[chosen]):>17}"
            f"{in_use:>10g}{fmt(test[in_use]):>17}"
        )
    if args.snn_tft_lrs:
        print()
        print("NT(b)-TFT-SNN gap (TFT-SNN minus NT, points):")
        print(f"{'task':<12}{'validated rates':>16}{'rates in use':>14}")
        for name in args.snn_tasks:
            gaps = [
                100 * (acc[name, "tft", w] - acc[name, "nt", w])
                for w in ("chosen", "in-use")
            ]
            print(f"{name:<12}{gaps[0]:>16.2f}{gaps[1]:>14.2f}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tasks", type=lambda t: t.split(","), default=["noise", "class-split"]
    )
    parser.add_argument(
        "--snn-tasks", type=lambda t: t.split(","), default=["noise", "rotate"]
    )
    parser.add_argument(
        "--nt-lrs", type=floats, default=floats("1e-3,3e-3,1e-2,3e-2,1e-1,3e-1")
    )
    parser.add_argument(
        "--tft-lrs", type=floats, default=floats("1e-4,3e-4,1e-3,3e-3,1e-2,3e-2")
    )
    parser.add_argument("--snn-lrs", type=floats, default=floats("3e-3,1e-2,3e-2,1e-1"))
    parser.add_argument(
        "--snn-tft-lrs",
        type=floats,
        default=floats("1e-4,3e-4,1e-3,3e-3"),
        help="TFT-SNN grid; empty to skip TFT-SNN",
    )
    parser.add_argument("--sweep-seeds", type=ints, default=[0, 1, 2])
    parser.add_argument("--snn-sweep-seeds", type=ints, default=[0, 1])
    parser.add_argument("--seeds", type=ints, default=[0, 1, 2])
    parser.add_argument("--fraction", type=float, default=0.2)
    parser.add_argument("--timesteps", type=int, default=8)
    parser.add_argument("--snn-epochs", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--skip-deep", action="store_true")
    parser.add_argument("--skip-snn", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    rows = [] if args.skip_deep else deep_part(args)
    deep_s = time.perf_counter() - start
    rows += [] if args.skip_snn else spiking_part(args)
    total_s = time.perf_counter() - start
    print()
    print(
        f"# wall time: deep {deep_s:.0f} s, spiking {total_s - deep_s:.0f} s, "
        f"total {total_s:.0f} s ({args.threads} thread)"
    )
    out = Path(__file__).parent / "results" / "lr_selection.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
