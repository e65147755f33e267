"""Gate drivers sized for their fan-out, and their pulse checked in SPICE.

See chapter ``chip``.

One input line of a layer drives the gates of every synapse it feeds: in
the second convolution up to 288 synapses of up to 7 unit sources each, tens
of picofarads of 20 um long gates.  Chapter ``energy`` measured an event's
charge on the single neuron, whose drivers each switch one bit of at most
:data:`DRIVER_UNITS` units.  So a layer's line gets a driver of
``ceil(units / DRIVER_UNITS)`` parallel copies of that driver
(:func:`driver_strength`): per unit of load it is as strong as the single
neuron's, and its pulse has the same shape.

:func:`unit_gate_capacitance_f` measures the charge one unit's gate takes
over a full swing (its effective capacitance, SPICE, cached): it turns a
line's units into farads, and stands in for the synapses a slice of a layer
leaves out (:mod:`ntlib.chip.slices`).  :func:`line_pulse` drives one line,
with every one of its synapses as a transistor, by a driver of any strength
and reports the pulse its gates see.
"""

from __future__ import annotations

import numpy as np

from ntlib.chip.circuit_model import HOLD_V, PROCESS
from ntlib.circuits.cache import cache_key, cached_json
from ntlib.circuits.neuron import INPUT_EDGE_S, INPUT_PULSE_WIDTH_S
from ntlib.circuits.simulate import run_netlist
from ntlib.circuits.sky130 import device_line

#: Units one driver of strength 1 switches: the single neuron's largest bit.
DRIVER_UNITS = 4
#: Share of the swing at which a gate counts as fully driven.
FULL_DRIVE = 0.95
_START_S = 0.1e-6
_DEVICES = {"excite": ("pfet_01v8_lvt", "SYNAPSE_PMOS_WL_UM"),
            "inhibit": ("nfet_01v8", "SYNAPSE_NMOS_WL_UM")}


def driver_strength(units: np.ndarray | int) -> np.ndarray:
    """Copies of the single neuron's driver a line of ``units`` unit gates needs."""
    return np.maximum(1, np.ceil(np.asarray(units) / DRIVER_UNITS)).astype(int)


def _unit(kind: str, name: str, gate: str, supply: str, units: float) -> str:
    device, size = _DEVICES[kind]
    w, length = getattr(PROCESS.writer, size)
    rail = supply if kind == "excite" else "0"
    return (device_line(name, "mem", gate, rail, rail, device, w, length)
            + f" mult={units:.6g} m={units:.6g}")


def _levels(kind: str, supply_v: float) -> tuple[float, float, float, float]:
    """Input idle/active (logic) and gate idle/active levels of a line."""
    logic = PROCESS.writer.LOGIC_V
    if kind == "excite":  # active high input, gate pulled low
        return 0.0, logic, supply_v, 0.0
    return logic, 0.0, 0.0, supply_v


def _check_kind(kind: str) -> None:
    if kind not in _DEVICES:
        raise ValueError(f"kind must be 'excite' or 'inhibit'; got {kind!r}")


def unit_gate_capacitance_f(
    kind: str, supply_v: float, corner: str = "tt", temp_c: float = 27.0
) -> float:
    """Charge one unit's gate takes over a full swing, per volt (SPICE, cached).

    The gate swings from idle to active (the supply) in ``INPUT_EDGE_S`` with
    the membrane held at ``HOLD_V``; the gate source's charge over the swing,
    divided by the swing, is the unit's effective capacitance.
    """
    _check_kind(kind)
    _, _, idle, active = _levels(kind, supply_v)
    lines = [".title unit gate charge", *PROCESS.model_lines(corner, None),
             f"Vs vs 0 DC {supply_v:g}", f"Vm mem 0 DC {HOLD_V:g}",
             (f"Vg g 0 PWL(0 {idle:g} {_START_S:g} {idle:g} "
              f"{_START_S + INPUT_EDGE_S:g} {active:g})"),
             _unit(kind, "u", "g", "vs", 1.0), f".temp {temp_c:g}",
             PROCESS.writer.OPTIONS_LINE, f".tran 1n {3 * _START_S:g}", ".end"]
    netlist = "\n".join(lines)

    def measure() -> float:
        vectors = run_netlist(netlist, describe=f"{kind} unit gate")
        charge = np.trapezoid(-vectors["vg#branch"], vectors["time"])
        return float(abs(charge) / supply_v)

    key = cache_key("unit-gate", netlist, PROCESS.cache_key(corner))
    return cached_json(key, measure)


def line_netlist(
    codes: np.ndarray, kind: str, supply_v: float, strength: int,
    corner: str = "tt", temp_c: float = 27.0,
) -> str:
    """One line driving a synapse of ``|code|`` units per entry of ``codes``.

    One input pulse (``INPUT_PULSE_WIDTH_S``) reaches the driver; every
    synapse's drain sits on a membrane held at ``HOLD_V``.
    """
    _check_kind(kind)
    codes = np.abs(np.asarray(codes, dtype=int))
    codes = codes[codes > 0]
    if codes.size == 0:
        raise ValueError("the line drives no synapse (every code is 0)")
    idle_in, active_in, _, _ = _levels(kind, supply_v)
    end = _START_S + INPUT_EDGE_S + INPUT_PULSE_WIDTH_S
    lines = [".title one input line", *PROCESS.model_lines(corner, None),
             f"Vs vs 0 DC {supply_v:g}", f"Vm mem 0 DC {HOLD_V:g}",
             (f"Vin in 0 PWL(0 {idle_in:g} {_START_S:g} {idle_in:g} "
              f"{_START_S + INPUT_EDGE_S:g} {active_in:g} {end:g} {active_in:g} "
              f"{end + INPUT_EDGE_S:g} {idle_in:g})"),
             *PROCESS.writer.driver_lines("g", "in", "vs", int(strength))]
    lines += [_unit(kind, f"s{i}", "g", "vs", float(c)) for i, c in enumerate(codes)]
    lines += [f".temp {temp_c:g}", PROCESS.writer.OPTIONS_LINE,
              f".tran 1n {end + 1.5e-6:g} 0 2n", ".end"]
    return "\n".join(lines)


def _crossing(t: np.ndarray, share: np.ndarray, level: float, after: float) -> float:
    """First time after ``after`` at which ``share`` reaches ``level`` (nan: never)."""
    idx = np.flatnonzero((t > after) & (share >= level))
    return float(t[idx[0]]) if idx.size else float("nan")


def line_pulse(
    codes: np.ndarray, kind: str, supply_v: float, strength: int,
    corner: str = "tt", temp_c: float = 27.0,
) -> dict:
    """The pulse on a line's gates under a driver of ``strength`` (SPICE, cached).

    Returns ``units``, ``gate_capacitance_f`` (its units times
    :func:`unit_gate_capacitance_f`), ``strength``, ``on_edge_s`` and
    ``off_edge_s`` (10-90 % of the swing), ``full_drive_s`` (from the input
    pulse's start until the gates are :data:`FULL_DRIVE` of the way on; nan:
    never), ``full_drive_in_pulse`` (reached before the pulse ends), and
    ``charge_per_unit_c``: the charge one unit moves onto the membrane in the
    event (chapter ``energy``'s single neuron measured it with its own
    drivers).
    """
    netlist = line_netlist(codes, kind, supply_v, strength, corner, temp_c)
    units = int(np.abs(np.asarray(codes, dtype=int)).sum())

    def measure() -> dict:
        vectors = run_netlist(netlist, describe=f"one {kind} line of {units} units")
        t, gate = vectors["time"], vectors["g"]
        _, _, idle, active = _levels(kind, supply_v)
        share = (gate - idle) / (active - idle)  # 0 off, 1 fully on
        end = _START_S + INPUT_EDGE_S + INPUT_PULSE_WIDTH_S
        on10 = _crossing(t, share, 0.1, _START_S)
        on90 = _crossing(t, share, 0.9, _START_S)
        off10 = _crossing(t, 1 - share, 0.1, end)
        off90 = _crossing(t, 1 - share, 0.9, end)
        full = _crossing(t, share, FULL_DRIVE, _START_S) - _START_S
        charge = np.trapezoid(vectors["vm#branch"], t)
        return {"units": units, "strength": int(strength),
                "on_edge_s": on90 - on10, "off_edge_s": off90 - off10,
                "full_drive_s": full,
                "full_drive_in_pulse": bool(full < end - _START_S),
                "charge_per_unit_c": float(abs(charge) / units)}

    key = cache_key("line-pulse", netlist, PROCESS.cache_key(corner))
    result = dict(cached_json(key, measure))
    result["gate_capacitance_f"] = units * unit_gate_capacitance_f(
        kind, supply_v, corner, temp_c)
    return result
