"""Interactive figures of the analog neuron: pure plot functions and the explorer (chapter 8).

Each ``plot_*`` function simulates and draws a figure for the parameters it
is given and returns it; :func:`explorer` wraps :func:`plot_neuron` with
sliders.  One widget update runs one transient (about a tenth of a second).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from ntlib.circuits.measure import spike_times_s, summarize
from ntlib.circuits.models import BIAS_SUPPLY_RANGE_V, SYNAPSE_SUPPLY_RANGE_V
from ntlib.circuits.neuron import NeuronParams
from ntlib.circuits.simulate import simulate_neuron

DOMAIN_COLOURS = {"synapse": "#1f5aa6", "bias": "#2a9d8f", "neuron": "#d1495b"}


def plot_neuron(
    supply_v: float = 1.0,
    bias_supply_v: float = 0.0,
    weight_code: int = 7,
    input_rate_hz: float = 100e3,
    duration_s: float = 1e-3,
) -> Figure:
    """Simulate the neuron once and draw membrane, spikes, rate and power (chapter 8).

    Example:
        >>> fig = plot_neuron(supply_v=1.1)  # doctest: +SKIP
    """
    params = NeuronParams(
        supply_v=supply_v,
        weight_code=int(weight_code),
        input_rate_hz=input_rate_hz,
        bias_supply_v=bias_supply_v,
        duration_s=duration_s,
    )
    run = simulate_neuron(params)
    figures = summarize(run)
    fig = plt.figure(figsize=(9, 4.6))
    grid = fig.add_gridspec(3, 2, width_ratios=(3, 1), height_ratios=(3, 1, 1))
    ax_mem = fig.add_subplot(grid[0, 0])
    ax_raster = fig.add_subplot(grid[1:, 0], sharex=ax_mem)
    ax_rate = fig.add_subplot(grid[0, 1])
    ax_power = fig.add_subplot(grid[1:, 1])

    t_us = run.time_s * 1e6
    ax_mem.plot(t_us, run.membrane_v, lw=1.0)
    ax_mem.set_ylabel("membrane (V)")
    ax_mem.set_ylim(-0.1, 0.9)
    ax_mem.set_title(
        f"synapse {supply_v:.2f} V, code {int(weight_code):+d}, "
        f"bias {'off' if bias_supply_v == 0 else f'{bias_supply_v:.2f} V'}, "
        f"input {input_rate_hz / 1e3:.0f} kHz"
    )
    period_s = 1.0 / input_rate_hz
    inputs_us = (np.arange(period_s / 2, duration_s, period_s)) * 1e6
    spikes_us = spike_times_s(run) * 1e6
    ax_raster.eventplot(
        [spikes_us, inputs_us],
        lineoffsets=[1, 0],
        linelengths=0.8,
        colors=["#d1495b", "#5c5c5c"],
        linewidths=1.0,
    )
    ax_raster.set_yticks([0, 1], ["input", "output"])
    ax_raster.set_xlabel("time (us)")
    ax_raster.set_xlim(0, duration_s * 1e6)
    ax_raster.grid(False)

    ax_rate.bar(["rate"], [figures["firing_rate_hz"] / 1e3], color="#d1495b")
    ax_rate.set_ylabel("firing rate (kHz)")
    ax_rate.set_ylim(0, max(25.0, figures["firing_rate_hz"] / 1e3 * 1.2))
    ax_rate.text(
        0,
        figures["firing_rate_hz"] / 1e3 + 0.5,
        f"{figures['firing_rate_hz'] / 1e3:.1f}",
        ha="center",
    )
    by_domain = figures["power_w_by_domain"]
    names = list(by_domain)
    ax_power.barh(
        names,
        [by_domain[n] * 1e9 for n in names],
        color=[DOMAIN_COLOURS[n] for n in names],
    )
    ax_power.set_xlabel("power (nW)")
    ax_power.set_xlim(0, max(250.0, max(by_domain.values()) * 1e9 * 1.1))
    ax_power.set_title(f"total {figures['power_w'] * 1e9:.0f} nW", fontsize="small")
    return fig


def plot_supply_sweep(rows: Sequence[dict[str, Any]]) -> Figure:
    """Firing rate and power against synapse supply, from :func:`sweep_supply` rows."""
    supply = np.array([row["supply_v"] for row in rows])
    fig, (ax_rate, ax_power) = plt.subplots(1, 2, figsize=(8, 3.2))
    ax_rate.plot(supply, [row["firing_rate_hz"] / 1e3 for row in rows], "o-")
    ax_rate.set_xlabel("synapse supply (V)")
    ax_rate.set_ylabel("firing rate (kHz)")
    for domain, colour in DOMAIN_COLOURS.items():
        ax_power.plot(
            supply,
            [row["power_w_by_domain"][domain] * 1e9 for row in rows],
            "o-",
            color=colour,
            label=domain,
        )
    ax_power.plot(supply, [row["power_w"] * 1e9 for row in rows], "k--", label="total")
    ax_power.set_xlabel("synapse supply (V)")
    ax_power.set_ylabel("average power (nW)")
    ax_power.legend()
    return fig


def _show_neuron(**kwargs: Any) -> None:
    plot_neuron(**kwargs)
    plt.show()


def explorer() -> Any:
    """The ipywidgets explorer of chapter 8: sliders over :func:`plot_neuron`.

    Sliders: synapse supply, bias supply (0 = off), weight code, input rate.
    Each slider answers on release (``continuous_update=False``).
    """
    import ipywidgets as widgets

    step_v = 0.05
    syn_low, syn_high = SYNAPSE_SUPPLY_RANGE_V
    bias_low, bias_high = BIAS_SUPPLY_RANGE_V
    bias_options = [("off", 0.0)] + [
        (f"{v:.2f}", round(float(v), 2))
        for v in np.arange(bias_low, bias_high + step_v / 2, step_v)
    ]
    style = {"description_width": "initial"}
    controls = {
        "supply_v": widgets.FloatSlider(
            value=1.0,
            min=syn_low,
            max=syn_high,
            step=step_v,
            description="synapse supply (V)",
            continuous_update=False,
            style=style,
        ),
        "bias_supply_v": widgets.SelectionSlider(
            options=bias_options,
            value=0.0,
            description="bias supply (V)",
            continuous_update=False,
            style=style,
        ),
        "weight_code": widgets.IntSlider(
            value=7,
            min=-7,
            max=7,
            description="weight code",
            continuous_update=False,
            style=style,
        ),
        "input_rate_hz": widgets.SelectionSlider(
            options=[
                (f"{r // 1000} kHz", float(r)) for r in range(20_000, 220_000, 20_000)
            ],
            value=100e3,
            description="input rate",
            continuous_update=False,
            style=style,
        ),
    }
    return widgets.interactive(_show_neuron, **controls)
