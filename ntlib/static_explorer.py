"""Chapter ``supply_voltage``'s supply-voltage explorer for pages without a Python kernel.

A published HTML page cannot run SPICE, so this explorer is a precomputed grid
of SKY130 transients (one per synapse supply, cached on disk) drawn with
Plotly: a slider picks the supply, and the membrane trace, the output spikes
and the title (supply, firing rate, power) follow it, in the browser alone.
The neuron is driven by seeded Poisson input trains: the traces are those of
the first seed, and the rate is given as the mean over all the grid's seeds
with its standard error (a periodic train would lock the rate to the input
rate over a whole number, a staircase).
:func:`explorer_grid` computes the grid; :func:`static_explorer` is the pure
function that turns a grid into a displayable bundle.  Kernel readers also
get the live ``ipywidgets`` explorer of :mod:`ntlib.widgets`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np

#: Samples per membrane trace in the grid (uniform in time).
TRACE_POINTS = 400
#: The class of the ``<div>`` that holds the explorer on the page.
EXPLORER_CLASS = "nt-explorer"


def _grid_point(params: Any) -> dict[str, Any]:
    from ntlib.circuits.measure import spike_times_s, summarize
    from ntlib.circuits.neuron import input_times_s
    from ntlib.circuits.simulate import simulate_neuron

    run = simulate_neuron(params)
    figures = summarize(run)
    time_s = np.linspace(0.0, params.duration_s, TRACE_POINTS)
    return {
        "supply_v": params.supply_v,
        "time_us": np.round(time_s * 1e6, 4).tolist(),
        "membrane_v": np.round(
            np.interp(time_s, run.time_s, run.membrane_v), 5
        ).tolist(),
        "spike_times_us": np.round(spike_times_s(run) * 1e6, 4).tolist(),
        "firing_rate_hz": figures["firing_rate_hz"],
        "power_w": figures["power_w"],
        "power_w_by_domain": figures["power_w_by_domain"],
        "input_times_us": np.round(input_times_s(params) * 1e6, 4).tolist(),
    }


def explorer_point(params: Any) -> dict[str, Any]:
    """One transient as an explorer point (traces and figures), cached on disk."""
    from ntlib.circuits.cache import cache_key, cached_json
    from ntlib.circuits.neuron import build_netlist
    from ntlib.circuits.process import get_process

    key = cache_key(
        "explorer-point",
        TRACE_POINTS,
        build_netlist(params),
        get_process(params.process).cache_key(params.corner),
    )
    return cached_json(key, lambda: _grid_point(params))


def explorer_grid(
    supply_v: Sequence[float] = tuple(np.round(np.arange(0.9, 1.81, 0.1), 2)),
    weight_code: int = 7,
    input_rate_hz: float = 100e3,
    duration_s: float = 1e-3,
    processes: int = 1,
    input_seeds: Sequence[int] = (0, 1, 2),
    input_mode: str = "poisson",
) -> dict[str, Any]:
    """Simulate the SKY130 neuron at each synapse supply; traces and figures.

    See chapter ``supply_voltage``.

    Each supply is simulated once per input seed (the same seeds at every
    supply), all in one pool of ``processes`` workers; each run is cached on
    disk (key: netlist text and model files), so a rebuilt chapter reads the
    grid back in a fraction of a second.  ``input_mode="periodic"`` runs one
    periodic train per supply (the seeds do not apply).

    Returns:
        ``{"weight_code", "input_rate_hz", "duration_s", "input_mode",
        "input_seeds", "points": [...]}``; each point has ``supply_v``,
        ``time_us``, ``membrane_v``, ``spike_times_us``, ``input_times_us``,
        ``firing_rate_hz``, ``power_w`` and ``power_w_by_domain`` (the first
        seed's run), ``rates_hz`` (one per seed), ``rate_mean_hz`` and
        ``rate_sem_hz`` (standard error of the mean over seeds; 0 for one).
    """
    from functools import partial

    from ntlib.circuits.measure import simulate_summary
    from ntlib.circuits.neuron import params_grid
    from ntlib.parallel import run_calls

    seeds = [0] if input_mode == "periodic" else [int(s) for s in input_seeds]
    if not seeds:
        raise ValueError("input_seeds must name at least one seed")
    grids = [
        params_grid(
            supply_v, (weight_code,), input_rate_hz=input_rate_hz,
            duration_s=duration_s, input_mode=input_mode, input_seed=seed,
        )
        for seed in seeds
    ]
    calls = [partial(explorer_point, p) for p in grids[0]] + [
        partial(simulate_summary, p) for grid in grids[1:] for p in grid
    ]
    results = run_calls(calls, processes)
    points = results[: len(grids[0])]
    for i, point in enumerate(points):
        rates = [point["firing_rate_hz"]] + [
            results[len(points) * k + i]["firing_rate_hz"]
            for k in range(1, len(seeds))
        ]
        point["rates_hz"] = rates
        point["rate_mean_hz"] = float(np.mean(rates))
        point["rate_sem_hz"] = (
            float(np.std(rates, ddof=1) / np.sqrt(len(rates))) if len(rates) > 1
            else 0.0
        )
    return {
        "weight_code": weight_code,
        "input_rate_hz": input_rate_hz,
        "duration_s": duration_s,
        "input_mode": input_mode,
        "input_seeds": seeds,
        "points": points,
    }


def point_title(point: dict[str, Any]) -> str:
    """The title for one grid point: supply, firing rate and power.

    With several input seeds the rate is their mean and its standard error.

    Example:
        >>> point_title({"supply_v": 1.2, "firing_rate_hz": 14300.0, "power_w": 52e-9})
        'synapse supply 1.20 V: 14.3 kHz, 52 nW'
    """
    rate = f"{point['firing_rate_hz'] / 1e3:.1f} kHz"
    if len(point.get("rates_hz", ())) > 1:
        rate = (
            f"{point['rate_mean_hz'] / 1e3:.1f} +- {point['rate_sem_hz'] / 1e3:.1f} "
            f"kHz (mean of {len(point['rates_hz'])} input trains)"
        )
    return f"synapse supply {point['supply_v']:.2f} V: {rate}, " + (
        f"{point['power_w'] * 1e9:.0f} nW"
    )


def _slider_steps(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One slider step per point: show its two traces, title it."""
    steps = []
    for i, point in enumerate(points):
        visible = [False] * (2 * len(points))
        visible[2 * i] = visible[2 * i + 1] = True
        steps.append(
            {
                "method": "update",
                "label": f"{point['supply_v']:.2f}",
                "args": [{"visible": visible}, {"title": {"text": point_title(point)}}],
            }
        )
    return steps


def explorer_figure(grid: dict[str, Any], start: int | None = None) -> Any:
    """The Plotly figure of a grid: two traces per supply, a slider over supplies."""
    import plotly.graph_objects as go

    points = grid["points"]
    if not points:
        raise ValueError("the explorer grid has no points")
    start = len(points) // 2 if start is None else start
    if not 0 <= start < len(points):
        raise ValueError(
            f"start must index the grid's {len(points)} points; got {start}"
        )
    fig = go.Figure()
    for i, point in enumerate(points):
        fig.add_trace(
            go.Scatter(
                x=point["time_us"],
                y=point["membrane_v"],
                mode="lines",
                name="membrane",
                line={"color": "#1f5aa6", "width": 1.2},
                visible=i == start,
            )
        )
        fig.add_trace(
            go.Scatter(
                x=point["spike_times_us"],
                y=[1.0] * len(point["spike_times_us"]),
                mode="markers",
                name="output spikes",
                marker={"symbol": "line-ns-open", "size": 14, "color": "#d1495b"},
                visible=i == start,
            )
        )
    steps = _slider_steps(points)
    fig.update_layout(
        title={"text": point_title(points[start])},
        xaxis={"title": {"text": "time (us)"}},
        yaxis={"title": {"text": "membrane (V)"}, "range": [-0.05, 1.1]},
        sliders=[
            {
                "active": start,
                "currentvalue": {"prefix": "synapse supply (V): "},
                "steps": steps,
                "pad": {"t": 40},
            }
        ],
        height=430,
        margin={"l": 60, "r": 20, "t": 60, "b": 40},
        showlegend=True,
        template="simple_white",
    )
    return fig


def static_explorer(grid: dict[str, Any], start: int | None = None) -> dict[str, Any]:
    """A display bundle of the grid explorer: HTML for pages, Plotly JSON for Lab.

    ``text/html`` holds a ``<div class="nt-explorer">`` whose ``<script>``
    calls ``Plotly.newPlot`` (the page loads plotly.js itself);
    ``application/vnd.plotly.v1+json`` lets JupyterLab draw it live.  Show it
    with ``IPython.display.display(bundle, raw=True)``.

    Example:
        >>> bundle = static_explorer(explorer_grid())  # doctest: +SKIP
        >>> sorted(bundle)  # doctest: +SKIP
        ['application/vnd.plotly.v1+json', 'text/html', 'text/plain']
    """
    import plotly.io as pio

    fig = explorer_figure(grid, start)
    body = pio.to_html(
        fig, full_html=False, include_plotlyjs=False, config={"responsive": True}
    )
    html = f'<div class="{EXPLORER_CLASS}">\n{body}\n</div>'
    return {
        "text/html": html,
        "application/vnd.plotly.v1+json": json.loads(fig.to_json()),
        "text/plain": f"<supply-voltage explorer: {len(grid['points'])} supplies>",
    }
