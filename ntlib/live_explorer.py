"""The live neuron explorer: SKY130 transients run by ngspice in the reader's browser.

See chapters ``analog_neuron`` and ``supply_voltage``.

:func:`live_explorer` returns a display bundle whose ``text/html`` is a
``<div class="nt-live-explorer">``: sliders for the synapse supply, the weight
code, the sourcing and sinking bias supplies, the input rate, mode and seed,
the corner and the simulated time, and a *Simulate* button.  The button sends
the slider values to a Web Worker (``_static/live/spice-worker.js``) that
writes the netlist (``_static/live/netlist.js``, from the pieces of
:func:`ntlib.live_spice.netlist_kit`: ``build_netlist``'s own text), loads the
trimmed SKY130 models into ngspice's WebAssembly file system and runs the
transient, saving only the vectors the page reads; the page then shows the
firing rate, the power of each domain and the membrane trace at full
resolution (min/max per pixel).  The worker starts (engine, models and a short
warm-up transient that compiles ngspice's hot code) as soon as the explorer
comes into view, so a click pays for its own simulation only.

Where the explorer was given a precomputed point (:func:`precomputed_point`,
native ngspice at build time) for the slider values, it answers at once; a
live run refines it.  Opened from ``file://`` the precomputed parts work and
the button says in one line that the live run needs ``make serve``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from ntlib.live_spice import netlist_kit

#: The class of the ``<div>`` that holds a live explorer on the page.
LIVE_EXPLORER_CLASS = "nt-live-explorer"
#: The command that serves the built site on localhost.
SERVE_COMMAND = "make serve"
#: Samples per precomputed membrane trace.
PRECOMPUTED_POINTS = 1000


def _slider_values(low: float, high: float, step: float, off: bool) -> list[float]:
    count = round((high - low) / step)
    values = [round(low + i * step, 4) for i in range(count + 1)]
    return [0.0, *values] if off else values


def precomputed_point(params: Any) -> dict[str, Any]:
    """One native transient as the explorer shows it (rate, power, trace).

    Simulated with the book's ngspice and cached on disk; the page answers
    with it at once when the sliders sit on ``params``.
    """
    from ntlib.circuits.cache import cache_key, cached_json
    from ntlib.circuits.neuron import build_netlist
    from ntlib.circuits.process import get_process

    key = cache_key("live-explorer-point", PRECOMPUTED_POINTS, build_netlist(params),
                    get_process(params.process).cache_key(params.corner))
    return {"key": point_key(params), **cached_json(key, lambda: _point(params))}


def _point(params: Any) -> dict[str, Any]:
    import numpy as np

    from ntlib.circuits.measure import spike_times_s, summarize
    from ntlib.circuits.simulate import simulate_neuron

    run = simulate_neuron(params)
    figures = summarize(run)
    time_s = np.linspace(0.0, params.duration_s, PRECOMPUTED_POINTS)
    return {
        "spike_count": figures["spike_count"],
        "firing_rate_hz": figures["firing_rate_hz"],
        "power_w_by_domain": figures["power_w_by_domain"],
        "time_s": time_s.round(12).tolist(),
        "membrane_v": np.interp(time_s, run.time_s, run.membrane_v).round(5).tolist(),
        "spike_times_s": spike_times_s(run).round(12).tolist(),
    }


def point_key(params: Any) -> str:
    """The explorer's key of a slider setting (``explorer.js`` builds the same)."""
    seed = params.input_seed if params.input_mode == "poisson" else 0
    return "|".join(str(v) for v in (
        params.corner, f"{params.supply_v:.4f}", params.weight_code,
        f"{params.bias_supply_v:.4f}", f"{params.bias_sink_supply_v:.4f}",
        f"{params.input_rate_hz:g}", params.input_mode, seed, f"{params.duration_s:g}"))


def live_explorer(
    start: Any = None,
    input_rates_hz: Sequence[float] = (25e3, 50e3, 100e3, 200e3),
    input_seeds: Sequence[int] = (0, 1, 2),
    durations_s: Sequence[float] = (1e-3, 2e-4),
    corners: Sequence[str] = ("tt", "ff", "ss", "sf", "fs"),
    precomputed: Sequence[Any] = (),
) -> dict[str, Any]:
    """A display bundle of the in-browser SPICE explorer of the SKY130 neuron.

    Args:
        start: the :class:`~ntlib.circuits.neuron.NeuronParams` the sliders
            start at (default: the book's defaults, 1 ms).
        input_rates_hz, input_seeds, durations_s, corners: the choices offered.
        precomputed: NeuronParams to simulate natively now and ship with the
            page, so these settings answer at once (see :func:`precomputed_point`).

    Returns:
        ``{"text/html": ..., "text/plain": ...}``; show it with
        ``IPython.display.display(bundle, raw=True)``.

    Example:
        >>> bundle = live_explorer()  # doctest: +SKIP
        >>> 'class="nt-live-explorer"' in bundle["text/html"]  # doctest: +SKIP
        True
    """
    from ntlib.circuits.neuron import NeuronParams
    from ntlib.circuits.process import get_process

    start = start if start is not None else NeuronParams()
    process = get_process("sky130")
    low, high = process.synapse_supply_range_v
    config = {
        "kit": netlist_kit(input_rates_hz, input_seeds, durations_s, corners),
        "neuron_supply_v": process.neuron_supply_v,
        "controls": {
            "supply_v": _slider_values(low, high, 0.05, False),
            "weight_code": list(range(-7, 8)),
            "bias_supply_v": _slider_values(*process.bias_supply_range_v, 0.05, True),
            "bias_sink_supply_v": _slider_values(
                *process.bias_sink_supply_range_v, 0.05, True),
            "input_rate_hz": [float(r) for r in input_rates_hz],
            "input_mode": ["poisson", "periodic"],
            "input_seed": [int(s) for s in input_seeds],
            "corner": list(corners),
            "duration_s": [float(d) for d in durations_s],
        },
        "start": {name: getattr(start, name) for name in (
            "supply_v", "weight_code", "bias_supply_v", "bias_sink_supply_v",
            "input_rate_hz", "input_mode", "input_seed", "corner", "duration_s")},
        "precomputed": {p["key"]: p for p in map(precomputed_point, precomputed)},
        "serve_command": SERVE_COMMAND,
    }
    # Raw text inside <script>: only "</" could end it early ("<\/" is JSON too).
    data = json.dumps(config, separators=(",", ":")).replace("</", "<\\/")
    # The same explorer gets the same id on every build (reproducible pages).
    ident = f"ntlive-{hashlib.sha256(data.encode()).hexdigest()[:10]}"
    loader = (
        "(function(){var r=document.documentElement.dataset.content_root||'./';"
        "if(document.querySelector('script[data-nt-live]'))return;"
        "var s=document.createElement('script');s.dataset.ntLive='1';"
        "s.src=r+'_static/live/explorer.js';document.head.appendChild(s);})();"
    )
    body = (
        f'<div class="{LIVE_EXPLORER_CLASS}" id="{ident}">'
        f'<script type="application/json" class="nt-live-config">{data}</script>'
        f'<noscript>The live explorer needs JavaScript.</noscript>'
        f"<script>{loader}</script></div>"
    )
    return {
        "text/html": body,
        "text/plain": "<live SPICE explorer: runs in the browser of the built book>",
    }
