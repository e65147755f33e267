"""NT in a spiking network against TFT of the spiking network (chapter 6 figures).

Prints, per task, the mean and spread over seeds of the target accuracy of
NT by conversion, NT by surrogate training and TFT by surrogate training, with
trained parameters and spikes per inference, and whether NT is within 2 points
of TFT-SNN.

    .venv/bin/python benchmarks/bench_snn_transfer.py --tasks noise,rotate,invert,class-split
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

from ntlib.data import load_task
from ntlib.pretrain import pretrained_source_model
from ntlib.snn_train import compare_spiking


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default="noise,rotate,invert,class-split")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--timesteps", type=int, default=8)
    parser.add_argument("--surrogate-epochs", type=int, default=8)
    parser.add_argument("--convert-epochs", type=int, default=15)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--granularity", default="unit")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    seeds = [int(s) for s in args.seeds.split(",")]
    rows = []
    for name in args.tasks.split(","):
        start = time.perf_counter()
        task = load_task("digits", name)
        source = pretrained_source_model(task)
        rows += compare_spiking(
            source,
            task,
            seeds=seeds,
            timesteps=args.timesteps,
            granularity=args.granularity,
            epochs={"convert": args.convert_epochs, "surrogate": args.surrogate_epochs},
        )
        print(f"# {name}: {time.perf_counter() - start:.1f} s", flush=True)
    print(
        f"granularity={args.granularity}, T={args.timesteps}, surrogate epochs={args.surrogate_epochs}, "
        f"convert (ANN) epochs={args.convert_epochs}, seeds={seeds}"
    )
    header = f"{'task':<12}{'method/mode':<16}{'params':>8}{'before':>8}"
    print(header + f"{'target acc':>18}{'spikes/inf':>12}{'s/run':>7}")
    summary = {}
    for name in args.tasks.split(","):
        for key in (("nt", "convert"), ("nt", "surrogate"), ("tft", "surrogate")):
            sel = [
                r for r in rows if r["task"] == name and (r["method"], r["mode"]) == key
            ]
            acc = [r["target_test_acc"] for r in sel]
            mean, std = statistics.fmean(acc), statistics.stdev(acc)
            summary[(name, *key)] = mean
            print(
                f"{name:<12}{'/'.join(key):<16}{sel[0]['trainable_params']:>8}"
                f"{statistics.fmean(r['target_test_acc_before'] for r in sel):>8.3f}"
                f"{mean:>11.3f} ± {std:.3f}"
                f"{statistics.fmean(r['spikes_per_inference'] for r in sel):>12.0f}"
                f"{statistics.fmean(r['train_seconds'] for r in sel):>7.1f}"
            )
        tft = summary[(name, "tft", "surrogate")]
        for mode in ("convert", "surrogate"):
            gap = 100 * (tft - summary[(name, "nt", mode)])
            print(
                f"{name:<12}NT-{mode} is {gap:+.2f} points behind TFT-SNN: "
                f"{'within' if gap <= 2 else 'NOT within'} 2 points"
            )
    out = Path(__file__).parent / "results" / "snn_transfer.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
