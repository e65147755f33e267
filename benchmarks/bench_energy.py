"""Chapter 9's energy figures, printed: measured activity, codes, analog and digital.

Measures, on the converted network of chapter 5 (99.9th-percentile norm,
Poisson input, ``--timesteps`` steps, 3-bit signed weight codes):

- synaptic events and spikes per inference, layer by layer;
- the event-weighted mean |weight code| and the accuracy cost of the codes
  (ANN and SNN, source test digits);
- the analog energy per inference from ``ntlib.circuits.energy_figures`` for
  each ``--process`` (events by code, spikes, neuron and NT-bias static power
  over ``T`` input periods);
- the digital rows (Horowitz 45 nm: arithmetic only, and with memory access)
  and every digital / analog ratio.

    .venv/bin/python benchmarks/bench_energy.py
    .venv/bin/python benchmarks/bench_energy.py --timesteps 8 --process sky130
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from ntlib.activity import measure_activity
from ntlib.circuits import energy_figures
from ntlib.circuits.energy_figures import EVENT_RATE_HZ
from ntlib.conversion import convert
from ntlib.data import load_task
from ntlib.energy import (
    analog_breakdown_j,
    bias_power_w,
    digital_rows,
    layers_from_module,
    realisable_biases,
)
from ntlib.modulation import ModulatoryBias
from ntlib.pretrain import pretrained_source_model
from ntlib.quantise import quantised_model
from ntlib.train import evaluate
from ntlib.transfer import tune


def nt_biases_per_neuron(model: torch.nn.Sequential, task, neurons: list[int]):
    """Chapter 2's NT run (per channel); one bias per neuron, rheobase units."""
    tuned, row = tune(model, task, "nt", "channel")
    modules = [m for m in tuned if isinstance(m, ModulatoryBias)]
    biases = []
    for module, count in zip(modules, neurons):
        per_channel = module.modulatory_bias.detach().flatten().numpy()
        biases.append(np.repeat(per_channel, count // per_channel.size))
    return np.concatenate(biases), row["target_test_acc"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timesteps", type=int, default=32)
    parser.add_argument(
        "--process", action="append", choices=("sky130", "level1"), default=None
    )
    args = parser.parse_args()
    processes = args.process or ["sky130", "level1"]
    torch.set_num_threads(1)
    start = time.perf_counter()
    task = load_task("digits", "noise")
    model = pretrained_source_model(task)
    quantised, codes = quantised_model(model)
    float_report = measure_activity(
        convert(model, task.source_train), task.source_test, args.timesteps
    )
    report = measure_activity(
        convert(quantised, task.source_train),
        task.source_test,
        args.timesteps,
        codes=codes,
    )
    print(f"T = {args.timesteps}, rate coding, {report.samples:,} test images")
    print(
        f"{'layer':<18}{'synapses':>10}{'neurons':>9}{'events':>12}"
        f"{'ev/syn':>8}{'spikes':>9}{'sp/neu':>8}{'|code|':>8}"
    )
    for layer in report.layers:
        print(
            f"{layer.name:<18}{layer.synapses:>10,}{layer.neurons:>9,}"
            f"{layer.events:>12,.0f}{layer.events_per_synapse:>8.2f}"
            f"{layer.spikes:>9,.0f}{layer.spikes_per_neuron:>8.2f}"
            f"{layer.mean_abs_code():>8.3f}"
        )
    total_events = report.total_events()
    mean_code = (
        sum(
            abs(c) * n
            for layer in report.layers
            for c, n in layer.events_by_code.items()
        )
        / total_events
    )
    print(
        f"total events {total_events:,.0f}, spikes {report.total_spikes():,.0f}, "
        f"event-weighted mean |code| {mean_code:.3f}"
    )
    ann = 100 * evaluate(model, task.source_test)
    ann_q = 100 * evaluate(quantised, task.source_test)
    print(
        f"ANN accuracy {ann:.2f} % -> {ann_q:.2f} % with codes "
        f"(cost {ann - ann_q:.2f} points)"
    )
    snn, snn_q = 100 * float_report.accuracy, 100 * report.accuracy
    print(
        f"SNN accuracy {snn:.2f} % -> {snn_q:.2f} % with codes "
        f"(cost {snn - snn_q:.2f} points)"
    )

    biases, nt_acc = nt_biases_per_neuron(
        model, task, [layer.neurons for layer in report.layers]
    )
    print(
        f"NT (chapter 2, per channel): target accuracy {100 * nt_acc:.2f} %, "
        f"{100 * (biases < 0).mean():.1f} % of neurons with a negative bias"
    )
    inference_s = args.timesteps / EVENT_RATE_HZ
    print(
        f"assumed inference time: {inference_s * 1e6:.0f} us "
        f"(T input periods of the circuit)"
    )
    layers = layers_from_module(model, task.input_shape)
    digital = {p: digital_rows(layers, p) for p in ("fp32", "int8")}
    for process in processes:
        figures = energy_figures(process=process, processes=2)
        held = realisable_biases(
            biases, figures.bias_range_rheobase, figures.bias_gap_rheobase
        )
        moved = float(np.mean(held != biases))
        parts = analog_breakdown_j(
            report.layers,
            figures.synaptic_event_j,
            figures.spike_j,
            figures.neuron_static_w,
            float(bias_power_w(figures.bias_power_at, held).sum()),
            inference_s,
        )
        print(
            f"analog, {process}: "
            + ", ".join(f"{k} {v * 1e9:.3f} nJ" for k, v in parts.items())
            + f" (NT biases the sources cannot hold exactly: {100 * moved:.1f} %)"
        )
        for precision, rows in digital.items():
            for row, energy in rows.items():
                print(
                    f"  {precision} {row}: {energy * 1e9:.1f} nJ, "
                    f"digital / analog = {energy / parts['total']:.3g}"
                )
    print(f"wall time {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
