"""Interactive figures of the analog neuron: pure plot functions and the explorer.

See chapter ``supply_voltage``.

Each ``plot_*`` function draws a figure for the parameters it is given and
returns it; :func:`explorer` wraps :func:`plot_neuron` with sliders for a
reader with a Python kernel.  A slider position the chapter precomputed (the
explorer grid) is read from the disk cache; any other runs one SKY130
transient (about two seconds).  The static pages use the Plotly explorer of
:mod:`ntlib.static_explorer` instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from ntlib.circuits.neuron import NeuronParams
from ntlib.circuits.process import BIAS_SUPPLY_RANGE_V, SYNAPSE_SUPPLY_RANGE_V
from ntlib.plotting import legend_outside
from ntlib.static_explorer import explorer_grid, explorer_point, static_explorer

__all__ = [
    "explorer",
    "explorer_controls",
    "explorer_grid",
    "explorer_point",
    "plot_neuron",
    "plot_schematic",
    "plot_supply_sweep",
    "show_neuron",
    "static_explorer",
]

DOMAIN_COLOURS = {
    "synapse": "#1f5aa6",
    "bias": "#2a9d8f",
    "bias_sink": "#8ab17d",
    "neuron": "#d1495b",
}


def plot_neuron(
    supply_v: float = 1.2,
    bias_supply_v: float = 0.0,
    weight_code: int = 7,
    input_rate_hz: float = 100e3,
    duration_s: float = 1e-3,
    input_mode: str = "poisson",
    input_seed: int = 0,
) -> Figure:
    """Simulate the SKY130 neuron (or read it from the disk cache) and draw it.

    See chapter ``supply_voltage``.

    Membrane trace, input and output spikes, firing rate and power by domain.
    A point computed before (the chapter precomputes the explorer's grid) is
    read from disk; a new one runs one transient.  The input is a seeded
    Poisson train (``input_seed``) or, with ``input_mode="periodic"``, a
    periodic one.

    Example:
        >>> fig = plot_neuron(supply_v=1.1)  # doctest: +SKIP
    """
    params = NeuronParams(
        supply_v=supply_v,
        weight_code=int(weight_code),
        input_rate_hz=input_rate_hz,
        bias_supply_v=bias_supply_v,
        duration_s=duration_s,
        input_mode=input_mode,
        input_seed=int(input_seed),
    )
    point = explorer_point(params)
    # A fixed layout: constrained layout would double the drawing time of a
    # widget update.
    fig = plt.figure(figsize=(9, 4.6), layout="none")
    ax_mem, ax_raster, ax_rate, ax_power = _neuron_axes(fig)
    ax_mem.plot(point["time_us"], point["membrane_v"], lw=1.0)
    ax_mem.set_ylabel("membrane (V)")
    ax_mem.set_ylim(-0.1, 1.1)
    ax_mem.set_title(
        f"synapse {supply_v:.2f} V, code {int(weight_code):+d}, "
        f"bias {'off' if bias_supply_v == 0 else f'{bias_supply_v:.2f} V'}, "
        f"input {input_rate_hz / 1e3:.0f} kHz {input_mode}"
    )
    _draw_raster(ax_raster, point, duration_s)
    _draw_rate_and_power(ax_rate, ax_power, point)
    return fig


def _neuron_axes(fig: Figure) -> tuple[Any, Any, Any, Any]:
    """The membrane, raster, rate and power axes of :func:`plot_neuron`."""
    grid = fig.add_gridspec(
        3,
        2,
        width_ratios=(3, 1),
        height_ratios=(3, 1, 1),
        left=0.1,
        right=0.98,
        bottom=0.11,
        top=0.93,
        wspace=0.35,
        hspace=0.55,
    )
    ax_mem = fig.add_subplot(grid[0, 0])
    ax_raster = fig.add_subplot(grid[1:, 0], sharex=ax_mem)
    ax_rate = fig.add_subplot(grid[0, 1])
    ax_power = fig.add_subplot(grid[1:, 1])
    return ax_mem, ax_raster, ax_rate, ax_power


def _draw_raster(ax: Any, point: dict[str, Any], duration_s: float) -> None:
    """Output and input spike times, one row each."""
    ax.eventplot(
        [point["spike_times_us"], point["input_times_us"]],
        lineoffsets=[1, 0],
        linelengths=0.8,
        colors=["#d1495b", "#5c5c5c"],
        linewidths=1.0,
    )
    ax.set_yticks([0, 1], ["input", "output"])
    ax.set_xlabel("time (us)")
    ax.set_xlim(0, duration_s * 1e6)
    ax.grid(False)


def _draw_rate_and_power(ax_rate: Any, ax_power: Any, point: dict[str, Any]) -> None:
    """The firing rate as one bar, and the power of each domain."""
    rate_khz = point["firing_rate_hz"] / 1e3
    ax_rate.bar(["rate"], [rate_khz], color="#d1495b")
    ax_rate.set_ylabel("firing rate (kHz)")
    ax_rate.set_ylim(0, max(60.0, rate_khz * 1.2))
    ax_rate.text(0, rate_khz + 0.5, f"{rate_khz:.1f}", ha="center")
    by_domain = point["power_w_by_domain"]
    names = list(by_domain)
    ax_power.barh(
        names,
        [by_domain[n] * 1e9 for n in names],
        color=[DOMAIN_COLOURS[n] for n in names],
    )
    ax_power.set_xlabel("power (nW)")
    ax_power.set_xlim(0, max(250.0, max(by_domain.values()) * 1e9 * 1.1))
    ax_power.set_title(f"total {point['power_w'] * 1e9:.0f} nW", fontsize=9)


def plot_supply_sweep(
    rows: Sequence[dict[str, Any]],
    periodic_rows: Sequence[dict[str, Any]] | None = None,
) -> Figure:
    """Firing rate and power against synapse supply (chapter ``supply_voltage``).

    ``rows`` are :func:`~ntlib.circuits.measure.sweep_supply` rows or the
    points of :func:`~ntlib.static_explorer.explorer_grid`; points with
    ``rate_mean_hz`` and ``rate_sem_hz`` (several Poisson input seeds) are
    drawn as the mean with standard-error bars.  ``periodic_rows``, the same
    supplies under a periodic input train, are drawn beside them: a staircase.
    """
    supply = np.array([row["supply_v"] for row in rows])
    fig, (ax_rate, ax_power) = plt.subplots(1, 2, figsize=(8, 3.2))
    mean = [row.get("rate_mean_hz", row["firing_rate_hz"]) / 1e3 for row in rows]
    sem = [row.get("rate_sem_hz", 0.0) / 1e3 for row in rows]
    ax_rate.errorbar(supply, mean, yerr=sem, fmt="o-", capsize=3, label="Poisson")
    if periodic_rows is not None:
        ax_rate.plot(
            [row["supply_v"] for row in periodic_rows],
            [row["firing_rate_hz"] / 1e3 for row in periodic_rows],
            "s--", drawstyle="steps-mid", color="#5c5c5c", label="periodic",
        )
        legend_outside(ax_rate)
    ax_rate.set_xlabel("synapse supply (V)")
    ax_rate.set_ylabel("firing rate (kHz)")
    for domain in rows[0]["power_w_by_domain"]:
        colour = DOMAIN_COLOURS.get(domain, "#5c5c5c")
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
    legend_outside(ax_power)
    return fig


def show_neuron(**kwargs: Any) -> None:
    """Draw :func:`plot_neuron` and show it (the explorer's callback)."""
    plot_neuron(**kwargs)
    plt.show()


def explorer_controls() -> dict[str, Any]:
    """The explorer's sliders, keyed by :func:`plot_neuron`'s arguments.

    See chapter ``supply_voltage``.

    Synapse supply, bias supply (``off`` = 0 V), weight code, input rate and
    input train (Poisson, seed 0, or periodic); each answers on release
    (``continuous_update=False``).
    """
    import ipywidgets as widgets

    step_v = 0.1
    syn_low, syn_high = SYNAPSE_SUPPLY_RANGE_V
    bias_low, bias_high = BIAS_SUPPLY_RANGE_V
    bias_options = [("off", 0.0)] + [
        (f"{v:.2f}", round(float(v), 2))
        for v in np.arange(bias_low, bias_high + step_v / 2, step_v)
    ]
    style = {"description_width": "initial"}
    return {
        "supply_v": widgets.FloatSlider(
            value=1.2,
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
        "input_mode": widgets.SelectionSlider(
            options=["poisson", "periodic"],
            value="poisson",
            description="input train",
            continuous_update=False,
            style=style,
        ),
    }


def explorer() -> Any:
    """The explorer of chapter ``supply_voltage``: ``ipywidgets.interactive`` over :func:`show_neuron`."""
    import ipywidgets as widgets

    return widgets.interactive(show_neuron, **explorer_controls())


#: The schematic's blocks: lower-left corner, width, height, label and colour.
_SCHEMATIC_BOXES: tuple[tuple[float, float, float, float, str, str], ...] = (
    (
        0.2,
        2.6,
        2.6,
        2.2,
        "synapse power domain\n(supply = neuromodulation)\n\nPMOS sources x1 x2 x4\n"
        "NMOS sinks x1 x2 x4\nswitched by input spike\nand 3-bit weight code",
        DOMAIN_COLOURS["synapse"],
    ),
    (
        0.2,
        0.3,
        2.6,
        1.6,
        "two bias power domains\n(NT bias, either sign)\n\nPMOS source | NMOS sink",
        DOMAIN_COLOURS["bias"],
    ),
    (
        3.9, 1.5, 1.9, 2.0, "membrane\n\nCm {cm_pf:g} pF\nRleak {rleak_mohm:g} MOhm\n"
        "(node mem)", "#edae49"
    ),
    (
        6.7,
        2.6,
        3.0,
        2.2,
        "neuron power domain ({neuron_v:g} V)\n\ncomparator: two inverters\n"
        "feedback Cfb {cfb_pf:g} pF (hysteresis)\n-> spike output",
        DOMAIN_COLOURS["neuron"],
    ),
    (
        6.7,
        0.3,
        3.0,
        1.6,
        "reset + refractory\nnode ref: Cref {cref_pf:g} pF, Rref {rref_mohm:g} MOhm\n"
        "holds mem at 0 V",
        DOMAIN_COLOURS["neuron"],
    ),
)
#: The schematic's arrows: from, to and label.
_SCHEMATIC_ARROWS: tuple[tuple[float, float, float, float, str], ...] = (
    (2.8, 3.6, 3.9, 2.9, "+/- I"),
    (2.8, 1.1, 3.9, 2.0, "I_bias"),
    (5.8, 2.9, 6.7, 3.6, "V_mem"),
    (8.2, 2.6, 8.2, 1.9, "spike"),
    (6.7, 1.1, 5.8, 2.0, "reset"),
)


def _box(
    ax: Any, x: float, y: float, w: float, h: float, text: str, colour: str
) -> None:
    """A rounded, tinted block with its label in the middle."""
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(
        FancyBboxPatch(
            (x, y),
            w,
            h,
            boxstyle="round,pad=0.05",
            fc=colour,
            ec="black",
            alpha=0.25,
            lw=1.2,
        )
    )
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=9)


def _arrow(ax: Any, x0: float, y0: float, x1: float, y1: float, text: str = "") -> None:
    """An arrow from ``(x0, y0)`` to ``(x1, y1)``, labelled above its middle."""
    from matplotlib.patches import FancyArrowPatch

    ax.add_patch(
        FancyArrowPatch((x0, y0), (x1, y1), arrowstyle="-|>", mutation_scale=12)
    )
    if text:
        ax.text((x0 + x1) / 2, (y0 + y1) / 2 + 0.12, text, ha="center", fontsize=9)


def plot_schematic(process: str = "sky130") -> Figure:
    """A schematic-style block figure of the neuron and its power domains.

    See chapter ``analog_neuron``.  The values in the boxes are the netlist's:
    the passive devices (:data:`ntlib.circuits.neuron.PASSIVE_DEVICES`) and
    ``process``'s neuron supply.
    """
    from ntlib.circuits.neuron import PASSIVE_DEVICES
    from ntlib.circuits.process import get_process

    value = {name: v for name, _, _, v in PASSIVE_DEVICES}
    numbers = {"cm_pf": value["Cm"] * 1e12, "rleak_mohm": value["Rleak"] / 1e6,
               "cfb_pf": value["Cfb"] * 1e12, "cref_pf": value["Cref"] * 1e12,
               "rref_mohm": value["Rref"] / 1e6,
               "neuron_v": get_process(process).neuron_supply_v}
    fig, ax = plt.subplots(figsize=(9, 4.2))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 5)
    ax.axis("off")
    for *place, text, colour in _SCHEMATIC_BOXES:
        _box(ax, *place, text.format(**numbers), colour)
    for arrow in _SCHEMATIC_ARROWS:
        _arrow(ax, *arrow)
    ax.text(0.2, 0.0, "input spikes (digital)", fontsize=9, color="#5c5c5c")
    return fig
