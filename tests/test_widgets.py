"""The chapter-8 explorer draws real figures (ntlib.widgets)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

import ntlib
from ntlib.widgets import explorer, plot_neuron, plot_supply_sweep

pytestmark = pytest.mark.skipif(
    not ntlib.ngspice_status().available, reason="ngspice is not installed"
)


def test_plot_neuron_draws_trace_raster_rate_and_power() -> None:
    fig = plot_neuron()
    axes = fig.get_axes()
    assert len(axes) == 4
    trace = axes[0].get_lines()[0].get_ydata()
    assert trace.max() > 0.5  # the membrane reached threshold
    plt.close(fig)


def test_sweep_figure_and_explorer() -> None:
    rows = [
        {
            "supply_v": v,
            "firing_rate_hz": r,
            "power_w": p,
            "power_w_by_domain": {"synapse": p / 2, "bias": 0.0, "neuron": p / 2},
        }
        for v, r, p in [(0.8, 1e3, 1e-8), (1.0, 2e3, 2e-8)]
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
    }
    assert all(not child.continuous_update for child in widget.children[:-1])
    plt.close("all")
