"""The neuron's netlist for ngspice in the reader's browser (WebAssembly).

See chapters ``analog_neuron`` and ``supply_voltage``.

The live explorer (:mod:`ntlib.live_explorer`) runs the SKY130 neuron in the
page, with ngspice compiled to WebAssembly (npm ``eecircuit-engine``, pinned
in ``package.json``).  Its netlists are :func:`ntlib.circuits.neuron.build_netlist`'s
own text, never a second writer of the circuit:

* :func:`browser_netlist` is ``build_netlist``'s text with the model files'
  paths moved under :data:`BROWSER_ROOT`, the engine's in-memory file system;
* :func:`netlist_kit` cuts such netlists into the pieces a slider changes (the
  model lines of a corner, the neuron subcircuit with or without its bias
  devices, the supply lines, the input trains' pulse corners, the analysis
  lines); ``_ext/live/netlist.js`` joins them again, and
  ``tests/test_live_spice.py`` checks, over a grid of parameters, that the
  joined text equals :func:`browser_netlist`'s;
* :func:`browser_models` is the set of model files those netlists include,
  with each transistor file trimmed to the size bins the neuron's devices
  select (2.3 MB of bins down to a few), which the site serves as one JSON
  file per corner (``_ext/ntsite.py``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

#: Where the model files live in the engine's file system.
BROWSER_ROOT = "/sky130"
#: Sentinel values placed in a netlist and replaced by slider values in the page.
_SENTINELS = {"supply_v": 1.2345678, "bias_supply_v": 1.3456789,
              "bias_sink_supply_v": 0.4567891}
_INCLUDE = re.compile(r'^\s*\.include\s+"([^"]+)"', re.IGNORECASE | re.MULTILINE)
_DEVICE = re.compile(
    r"^X\S+\s+(?:\S+\s+){4}sky130_fd_pr__(\w+)\s+W=(\S+)\s+L=(\S+)",
    re.IGNORECASE | re.MULTILINE)
_BIN = re.compile(r"lmin\s*=\s*(\S+)\s+lmax\s*=\s*(\S+)\s+wmin\s*=\s*(\S+)\s+"
                  r"wmax\s*=\s*(\S+)", re.IGNORECASE)


def _pdk_root() -> Path:
    from ntlib.circuits.sky130 import pdk_root

    return pdk_root()


def browser_netlist(params: Any) -> str:
    """``build_netlist(params)`` with the model paths under :data:`BROWSER_ROOT`.

    Example:
        >>> from ntlib.circuits.neuron import NeuronParams
        >>> '"/sky130/models/all.spice"' in browser_netlist(NeuronParams())
        True
    """
    from ntlib.circuits.neuron import build_netlist

    return build_netlist(params).replace(str(_pdk_root()), BROWSER_ROOT)


def device_sizes(netlist: str) -> dict[str, set[tuple[float, float]]]:
    """Each SKY130 device type of ``netlist`` -> its (W, L) in micrometres."""
    sizes: dict[str, set[tuple[float, float]]] = {}
    for device, w, length in _DEVICE.findall(netlist):
        sizes.setdefault(device, set()).add((float(w), float(length)))
    return sizes


def trim_bins(text: str, device: str, sizes: set[tuple[float, float]]) -> str:
    """A ``*.pm3.spice`` text with only the model bins that cover ``sizes``.

    A bin ``sky130_fd_pr__<device>__model.N`` is kept when some (W, L) lies
    inside its ``[lmin, lmax] x [wmin, wmax]`` (both edges kept, so a size on
    a bin boundary keeps both neighbours).  Every other line stays.
    """
    parts = re.split(r"(?im)^(?=\.model\s|\.ends)", text)
    kept = []
    for part in parts:
        if not part.lower().startswith(".model"):
            kept.append(part)
            continue
        found = _BIN.search(part)
        if found is None or f"{device}__model." not in part.split("\n", 1)[0]:
            kept.append(part)
            continue
        lmin, lmax, wmin, wmax = (float(v) * 1e6 for v in found.groups())
        if any(lmin - 1e-6 <= length <= lmax + 1e-6 and wmin - 1e-6 <= w <= wmax + 1e-6
               for w, length in sizes):
            kept.append(part)
    return "".join(kept)


def include_closure(netlist: str) -> list[Path]:
    """Every model file ``netlist`` includes, directly or through other files."""
    found: list[Path] = []
    pending = [Path(p) for p in _INCLUDE.findall(netlist)]
    while pending:
        path = pending.pop(0).resolve()
        if path in found:
            continue
        found.append(path)
        pending += [path.parent / p for p in _INCLUDE.findall(path.read_text())]
    return found


def _full_params(corner: str) -> Any:
    """Parameters whose netlist holds every device the explorer can place."""
    from ntlib.circuits.neuron import NeuronParams

    return NeuronParams(corner=corner, bias_supply_v=1.0, bias_sink_supply_v=0.5,
                        duration_s=50e-6)


def browser_models(corner: str = "tt", trim: bool = True) -> dict[str, str]:
    """The model files of ``corner``'s neuron netlists: engine path -> text.

    Transistor files (``*.pm3.spice``) are trimmed to the neuron's bins
    (:func:`trim_bins`) unless ``trim`` is false.
    """
    from ntlib.circuits.neuron import build_netlist

    netlist = build_netlist(_full_params(corner))
    sizes = device_sizes(netlist)
    root = _pdk_root().resolve()
    files = {}
    for path in include_closure(netlist):
        text = path.read_text()
        name = path.name
        device = name.removeprefix("sky130_fd_pr__").split("__", 1)[0]
        if trim and name.endswith(".pm3.spice") and device in sizes:
            text = trim_bins(text, device, sizes[device])
        files[f"{BROWSER_ROOT}/{path.relative_to(root).as_posix()}"] = text
    return files


def _cut(netlist: str) -> dict[str, str]:
    """A neuron netlist cut at ``.subckt``, ``* power domains``, the input
    lines, ``* the neuron`` and ``.temp``."""
    head, rest = netlist.split("\n.subckt ", 1)
    subckt, rest = rest.split("\n* power domains\n", 1)
    supplies, rest = rest.split("\n* input spikes", 1)
    inputs, rest = rest.split("\n* the neuron\n", 1)
    neuron, tail = rest.split("\n.temp ", 1)
    return {"head": head, "subckt": ".subckt " + subckt, "supplies": supplies,
            "inputs": "* input spikes" + inputs, "neuron": neuron,
            "tail": ".temp " + tail}


def _pulse_corners(params: Any) -> list[str]:
    """The times of a Poisson train's PWL corners, as the netlist writes them."""
    from ntlib.circuits.inputs import INPUT_EDGE_S, INPUT_PULSE_WIDTH_S
    from ntlib.circuits.neuron import input_times_s

    edges = [0.0, INPUT_EDGE_S, INPUT_EDGE_S + INPUT_PULSE_WIDTH_S,
             2 * INPUT_EDGE_S + INPUT_PULSE_WIDTH_S]
    return [f"{t + e:.12g}" for t in input_times_s(params) for e in edges]


def train_key(mode: str, rate_hz: float, seed: int, duration_s: float) -> str:
    """The kit's key of one input train (``netlist.js`` builds the same)."""
    return f"{mode}|{rate_hz:g}|{seed if mode == 'poisson' else 0}|{duration_s:g}"


def netlist_kit(
    input_rates_hz: Sequence[float] = (25e3, 50e3, 100e3, 200e3),
    input_seeds: Sequence[int] = (0, 1, 2),
    durations_s: Sequence[float] = (1e-3,),
    corners: Sequence[str] = ("tt", "ff", "ss", "sf", "fs"),
    max_step_s: float | None = None,
) -> dict[str, Any]:
    """The pieces ``_ext/live/netlist.js`` joins into any explorer netlist.

    Args:
        input_rates_hz, input_seeds, durations_s, corners: the choices the
            explorer offers; every input train they combine into is shipped.
        max_step_s: the transient's maximum step (``None``: the default).

    Returns:
        A JSON-ready dict: ``head`` (per corner), ``subckt`` (per bias
        combination ``"11"``, ``"10"``, ``"01"``, ``"00"``), ``supplies``
        (with ``{supply_v}``-style placeholders), ``logic_v``, ``periodic``
        (the timing of each rate's ``PULSE``), ``trains`` (Poisson PWL corner times,
        per :func:`train_key`), ``neuron`` and ``tail`` (per duration).
    """
    from ntlib.circuits.netlist_sky130 import LOGIC_V
    from ntlib.circuits.neuron import NeuronParams

    base = NeuronParams(corner=corners[0], duration_s=durations_s[0],
                        max_step_s=max_step_s, **_SENTINELS)
    kit: dict[str, Any] = {"head": {}, "subckt": {}, "trains": {}, "periodic": {},
                           "tail": {}, "logic_v": f"{LOGIC_V:g}"}
    for corner in corners:
        netlist = browser_netlist(replace(base, corner=corner))
        kit["head"][corner] = _cut(netlist)["head"]
    for source in (0, 1):
        for sink in (0, 1):
            params = replace(base, bias_supply_v=_SENTINELS["bias_supply_v"] * source,
                             bias_sink_supply_v=_SENTINELS["bias_sink_supply_v"] * sink)
            kit["subckt"][f"{source}{sink}"] = _cut(browser_netlist(params))["subckt"]
    pieces = _cut(browser_netlist(base))
    supplies = pieces["supplies"]
    for name, value in _SENTINELS.items():
        supplies = supplies.replace(f" DC {value}", f" DC {{{name}}}")
    kit["supplies"], kit["neuron"] = supplies, pieces["neuron"]
    for duration in durations_s:
        kit["tail"][f"{duration:g}"] = _cut(
            browser_netlist(replace(base, duration_s=duration)))["tail"]
        for rate in input_rates_hz:
            periodic = replace(base, duration_s=duration, input_rate_hz=rate,
                               input_mode="periodic", weight_code=1)
            line = _cut(browser_netlist(periodic))["inputs"].split("\n")[1]
            kit["periodic"][f"{rate:g}|{duration:g}"] = line.split(" 1.8 ", 1)[1]
            for seed in input_seeds:
                poisson = replace(periodic, input_mode="poisson", input_seed=seed)
                kit["trains"][train_key("poisson", rate, seed, duration)] = (
                    _pulse_corners(poisson))
    return kit
