"""The chapter-8 explorers draw real figures (ntlib.widgets, ntlib.static_explorer)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from ntlib.static_explorer import explorer_figure, point_title
from ntlib.widgets import explorer, plot_neuron, plot_supply_sweep, static_explorer


def _grid() -> dict:
    points = []
    for supply, rate, power in [(0.9, 10e3, 200e-9), (1.2, 25e3, 600e-9)]:
        points.append(
            {
                "supply_v": supply,
                "time_us": [0.0, 1.0, 2.0],
                "membrane_v": [0.0, supply / 2, 0.0],
                "spike_times_us": [1.5],
                "input_times_us": [0.5],
                "firing_rate_hz": rate,
                "power_w": power,
                "power_w_by_domain": {"synapse": power, "neuron": 0.0},
            }
        )
    return {
        "weight_code": 7,
        "input_rate_hz": 1e5,
        "duration_s": 2e-6,
        "points": points,
    }


def test_static_explorer_bundle_has_html_script_and_plotly_json() -> None:
    bundle = static_explorer(_grid())
    html = bundle["text/html"]
    assert html.startswith('<div class="nt-explorer">')
    assert "<script" in html and "Plotly.newPlot" in html
    figure = bundle["application/vnd.plotly.v1+json"]
    assert len(figure["data"]) == 4
    steps = figure["layout"]["sliders"][0]["steps"]
    titles = [step["args"][1]["title"]["text"] for step in steps]
    assert titles == [
        "synapse supply 0.90 V: 10.0 kHz, 200 nW",
        "synapse supply 1.20 V: 25.0 kHz, 600 nW",
    ]
    # Each step shows exactly its own membrane and spike traces.
    assert steps[0]["args"][0]["visible"] == [True, True, False, False]
    assert figure["layout"]["title"]["text"] == titles[1]  # starts in the middle


def test_static_explorer_rejects_an_empty_grid() -> None:
    with pytest.raises(ValueError, match="no points"):
        explorer_figure({"points": []})
    assert point_title(_grid()["points"][0]).startswith("synapse supply 0.90 V")


@pytest.mark.spice
@pytest.mark.usefixtures("cache_dir")
def test_plot_neuron_draws_trace_raster_rate_and_power() -> None:
    fig = plot_neuron(supply_v=1.5, duration_s=0.3e-3)
    axes = fig.get_axes()
    assert len(axes) == 4
    trace = axes[0].get_lines()[0].get_ydata()
    assert max(trace) > 0.5  # the membrane reached threshold
    plt.close(fig)


def test_sweep_figure_and_explorer() -> None:
    rows = [
        {
            "supply_v": v,
            "firing_rate_hz": r,
            "power_w": p,
            "power_w_by_domain": {"synapse": p / 2, "bias": 0.0, "neuron": p / 2},
        }
        for v, r, p in [(0.9, 1e3, 1e-8), (1.2, 2e3, 2e-8)]
    ]
    fig = plot_supply_sweep(rows)
    assert len(fig.get_axes()) == 2
    plt.close(fig)
    widget = explorer()
    names = {child.description for child in widget.children[:-1]}
    assert names == {
        "synapse supply (V)",
        "bias supply (V)",
        "weight code",
        "input rate",
        "input train",
    }
    assert all(not child.continuous_update for child in widget.children[:-1])
    plt.close("all")


def test_sweep_figure_draws_seed_error_bars_beside_the_periodic_staircase() -> None:
    rows = [
        {
            "supply_v": v,
            "firing_rate_hz": r,
            "rates_hz": [r - 100.0, r + 100.0],
            "rate_mean_hz": r,
            "rate_sem_hz": 100.0,
            "power_w": 1e-8,
            "power_w_by_domain": {"synapse": 5e-9, "neuron": 5e-9},
        }
        for v, r in [(0.9, 1e3), (1.2, 2e3)]
    ]
    periodic = [{**row, "firing_rate_hz": 1.5e3} for row in rows]
    fig = plot_supply_sweep(rows, periodic_rows=periodic)
    ax_rate = fig.get_axes()[0]
    (bars,) = ax_rate.containers
    segments = bars.lines[2][0].get_segments()
    np.testing.assert_allclose([s[:, 1] for s in segments], [[0.9, 1.1], [1.9, 2.1]])
    labels = [line.get_label() for line in ax_rate.get_lines()]
    assert "periodic" in labels
    plt.close(fig)
    assert "2.0 +- 0.1 kHz (mean of 2 input trains)" in point_title(rows[1])
