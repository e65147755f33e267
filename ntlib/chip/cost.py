"""Cost of a simulated chip: event energies from measured curves (chapter ``chip``).

The counts are the chip's: synaptic events by signed code and layer, output
spikes, and the time an inference takes (``T`` steps).  The energies are
SPICE measurements, each at the supply it is drawn from:

* an event of code ``c`` on a layer's excitatory (inhibitory) bank costs what
  chapter ``energy``'s single neuron measured at that layer's own
  excitatory (inhibitory) supply (:func:`supply_figures`: one
  :func:`~ntlib.circuits.energy_figures.energy_figures` per distinct supply,
  cached on disk).  An event costs ``V Q(V)`` and the charge ``Q`` follows
  the unit current, which falls steeply towards the devices' threshold, so
  no ``V^2`` rule can stand in for the measured curve;
* that measurement drives each bit of the synapse by its own gate driver.  A
  chip shares one driver per input line, sized for its fan-out
  (:func:`ntlib.chip.drivers.driver_strength`): :func:`driver_copy_event_j`
  measures what one copy of the driver draws per pulse with no load, so an
  event's energy splits into the driver copies and the rest (gate charge and
  unit current, :func:`synapse_event_j`).

:func:`slice_event_model_j` prices a SPICE slice of a layer
(:mod:`ntlib.chip.slices`) on its own spikes with these numbers, line by
line, so that :func:`event_model_check` can hold the model against the
synapse domains' energy that ngspice measures on the same slice.
"""

from __future__ import annotations

import numpy as np
import torch

from ntlib.chip.circuit_model import PROCESS, STEP_S
from ntlib.chip.design import ChipDesign
from ntlib.chip.drivers import driver_strength, unit_gate_capacitance_f
from ntlib.chip.simulator import Chip, ChipRun
from ntlib.chip.slices import layer_index, slice_circuit
from ntlib.chip.spice_check import CONDITIONS, digit_seed, slice_versus_behaviour
from ntlib.circuits.cache import cache_key, cached_json
from ntlib.circuits.energy_figures import (
    EVENT_DURATION_S,
    EVENT_RATE_HZ,
    EnergyFigures,
    energy_figures,
)
from ntlib.circuits.measure import simulate_summary
from ntlib.circuits.neuron import (
    INPUT_EDGE_S,
    INPUT_PULSE_WIDTH_S,
    PASSIVE_DEVICES,
    params_grid,
)
from ntlib.circuits.simulate import run_netlist
from ntlib.energy import bias_power_w
from ntlib.quantise import MAX_CODE

#: Decimals a supply is rounded to before it is measured (0.1 mV).
SUPPLY_DECIMALS = 4
#: Step of the comparator's DC sweep, volts.
COMPARATOR_STEP_V = 0.005
_START_S = 0.1e-6
_KINDS = ("excite", "inhibit")


def _supply_key(supply_v: float) -> float:
    return round(float(supply_v), SUPPLY_DECIMALS)


def layer_supplies(design: ChipDesign) -> dict[float, float]:
    """The design's distinct synapse supplies: ``{rounded: as designed}``, ascending."""
    supplies: dict[float, float] = {}
    for layer in design.layers:
        for volts in (layer.excite_supply_v, layer.inhibit_supply_v):
            supplies.setdefault(_supply_key(volts), float(volts))
    return dict(sorted(supplies.items()))


def supply_figures(
    design: ChipDesign, corner: str | None = None, temp_c: float | None = None,
    processes: int = 1,
) -> dict[float, EnergyFigures]:
    """The single neuron's energy figures at each of the design's synapse supplies.

    One :func:`~ntlib.circuits.energy_figures.energy_figures` per distinct
    supply (cached on disk; about 40 s each the first time), at ``corner``
    and ``temp_c`` (default: the design's); keyed by the supply rounded to
    :data:`SUPPLY_DECIMALS` decimals.

    Example:
        >>> figures = supply_figures(design)  # doctest: +SKIP
        >>> sorted(figures)[0]  # doctest: +SKIP
        0.9
    """
    corner = design.circuit.corner if corner is None else corner
    temp_c = design.circuit.temp_c if temp_c is None else temp_c
    return {key: energy_figures(PROCESS.name, corner, temp_c, volts, processes)
            for key, volts in layer_supplies(design).items()}


def figures_at(figures: dict[float, EnergyFigures], supply_v: float) -> EnergyFigures:
    """The figures measured at ``supply_v``; a ValueError naming those there are."""
    key = _supply_key(supply_v)
    if key not in figures:
        raise ValueError(
            f"no energy figures at {key:g} V (measured: "
            f"{', '.join(f'{v:g}' for v in sorted(figures))} V); build them with "
            "supply_figures(design)"
        )
    return figures[key]


def _driver_netlist(kind: str, supply_v: float, corner: str, temp_c: float) -> str:
    logic = PROCESS.writer.LOGIC_V
    idle, active = (0.0, logic) if kind == "excite" else (logic, 0.0)
    end = _START_S + INPUT_EDGE_S + INPUT_PULSE_WIDTH_S
    return "\n".join([
        ".title one gate driver, no load", *PROCESS.model_lines(corner, None),
        f"Vs vs 0 DC {supply_v:g}",
        (f"Vin in 0 PWL(0 {idle:g} {_START_S:g} {idle:g} "
         f"{_START_S + INPUT_EDGE_S:g} {active:g} {end:g} {active:g} "
         f"{end + INPUT_EDGE_S:g} {idle:g})"),
        *PROCESS.writer.driver_lines("g", "in", "vs", 1),
        f".temp {temp_c:g}", PROCESS.writer.OPTIONS_LINE,
        f".tran 1n {end + 1.5e-6:g} 0 2n", ".end"])


def driver_copy_event_j(
    kind: str, supply_v: float, corner: str = "tt", temp_c: float = 27.0
) -> float:
    """Energy one copy of the gate driver draws from its supply per pulse (SPICE).

    The driver (:func:`ntlib.circuits.netlist_sky130.driver_lines`) has no
    load: what it draws is its own output capacitance and the current
    through both devices while its input switches.  Its static draw (the
    power before the pulse) is subtracted.  Cached on disk.

    Example:
        >>> driver_copy_event_j("excite", 1.2) > 0  # doctest: +SKIP
        True
    """
    if kind not in _KINDS:
        raise ValueError(f"kind must be 'excite' or 'inhibit'; got {kind!r}")
    netlist = _driver_netlist(kind, supply_v, corner, temp_c)

    def measure() -> float:
        vectors = run_netlist(netlist, describe=f"{kind} gate driver at {supply_v:g} V")
        t, power = vectors["time"], -vectors["vs#branch"] * supply_v
        static_w = float(power[t <= _START_S].mean())
        return float(np.trapezoid(power - static_w, t))

    key = cache_key("driver-copy", netlist, PROCESS.cache_key(corner))
    return float(cached_json(key, measure))


def _bits(code: int) -> int:
    return abs(int(code)).bit_count()


def synapse_event_j(figures: EnergyFigures, code: int, driver_j: float) -> float:
    """An event's energy at ``code`` without its bit drivers: gate charge and current.

    ``driver_j``: :func:`driver_copy_event_j` at the figures' supply; the
    single neuron drives each set bit of ``|code|`` by one copy.
    """
    return figures.synaptic_event_j[int(code)] - _bits(code) * driver_j


def events_energy_j(
    design: ChipDesign, run: ChipRun, figures: dict[float, EnergyFigures]
) -> list[float]:
    """Each layer's synaptic events per inference, priced at its own supplies.

    An event of code ``c`` costs the single neuron's measured
    ``synaptic_event_j[c]`` at the layer's excitatory supply (``c > 0``) or
    inhibitory supply (``c < 0``), bit drivers included.
    """
    if not run.events_by_code:
        raise ValueError(
            "the chip run has no event counts; run the chip with count_events=True"
        )
    out = []
    for layer, events in zip(design.layers, run.events_by_code, strict=True):
        total = 0.0
        for index, count in enumerate(events):
            code = index - MAX_CODE
            if code == 0:
                continue
            supply = layer.excite_supply_v if code > 0 else layer.inhibit_supply_v
            total += count * figures_at(figures, supply).synaptic_event_j[code]
        out.append(float(total))
    return out


def chip_energy_j(
    design: ChipDesign,
    run: ChipRun,
    figures: EnergyFigures,
    timesteps: int,
    held_rheobase: list[np.ndarray] | None = None,
    event_figures: dict[float, EnergyFigures] | None = None,
) -> dict[str, float]:
    """Energy per inference by part: ``events``, ``spikes``, ``neuron static``,
    ``bias static`` and ``total``, joules.

    ``figures``: the single neuron's figures for the spikes, the neurons'
    static power and the bias domains (and the corner of the event curves).
    The events are priced at each layer's own supplies
    (:func:`events_energy_j`) with ``event_figures`` (default:
    :func:`supply_figures` at ``figures``' corner and temperature).
    ``held_rheobase``: the biases the chip holds (default: the design's).
    :func:`ntlib.chip.ledger.chip_ledger` adds every other cost of the chip.
    """
    if event_figures is None:
        event_figures = supply_figures(design, figures.corner, figures.temp_c)
    events_j = sum(events_energy_j(design, run, event_figures))
    spikes = sum(float(c.sum(dim=tuple(range(1, c.dim()))).mean()) for c in run.counts)
    neurons = sum(layer.neurons for layer in design.layers)
    duration = timesteps * STEP_S
    if held_rheobase is None:
        held_rheobase = [
            design.circuit.bias_rheobase(layer.bias_source_v, layer.bias_sink_v)
            for layer in design.layers
        ]
    low, high = figures.bias_range_rheobase
    biases = np.clip(np.concatenate(held_rheobase), low, high)
    parts = {
        "events": float(events_j),
        "spikes": spikes * figures.spike_j,
        "neuron static": neurons * figures.neuron_static_w * duration,
        "bias static": float(bias_power_w(figures.bias_power_at, biases).sum())
        * duration,
    }
    parts["total"] = sum(parts.values())
    return parts


def slice_event_model_j(
    circuit, spikes: np.ndarray, figures: dict[float, EnergyFigures]
) -> float:
    """The synapse domains' energy of a layer (slice) netlist, from measured prices.

    ``circuit`` is a :class:`~ntlib.chip.spice_layer.LayerCircuit`,
    ``spikes`` its ``(T, M)`` input spikes.  Per spike on line ``i``, on each
    side that has a synapse in the netlist: the line driver's copies
    (:func:`driver_copy_event_j`), the gate charge of the line's units
    outside the netlist (:func:`ntlib.chip.drivers.unit_gate_capacitance_f`
    times ``V^2``) and :func:`synapse_event_j` of every synapse on it.
    """
    codes = np.asarray(circuit.codes, dtype=int)
    fired = np.asarray(spikes).sum(axis=0)
    outside = (np.zeros((codes.shape[1], 2), dtype=int)
               if circuit.outside_units is None else np.asarray(circuit.outside_units))
    total = 0.0
    for side, kind in enumerate(_KINDS):
        supply = circuit.excite_supply_v if side == 0 else circuit.inhibit_supply_v
        fig = figures_at(figures, supply)
        driver_j = driver_copy_event_j(kind, supply, circuit.corner, circuit.temp_c)
        gate_f = unit_gate_capacitance_f(kind, supply, circuit.corner, circuit.temp_c)
        side_codes = np.clip(codes if side == 0 else -codes, 0, None)
        price = {c: synapse_event_j(fig, c if side == 0 else -c, driver_j)
                 for c in range(1, MAX_CODE + 1)}
        for i in np.flatnonzero(fired):
            mine = side_codes[:, i][side_codes[:, i] > 0]
            if mine.size == 0:
                continue
            units = int(mine.sum() + outside[i, side])
            per_spike = (int(driver_strength(units)) * driver_j
                         + outside[i, side] * gate_f * supply**2
                         + sum(price[int(c)] for c in mine))
            total += fired[i] * per_spike
    return float(total)


def event_model_check(
    design: ChipDesign, layer: str, x: torch.Tensor, timesteps: int = 32,
    seed: int = 0, slice_size: dict | None = None, processes: int = 1,
    figures: dict[float, EnergyFigures] | None = None,
) -> dict:
    """The event-energy model against SPICE on a slice of ``layer``, images ``x``.

    Runs :func:`ntlib.chip.spice_check.slice_versus_behaviour` (cached) on
    the nominal chip and prices the same input spikes with
    :func:`slice_event_model_j`.  Returns ``layer``, ``neurons``,
    ``input_events``, ``model_j`` and ``spice_j`` (the synapse domains'
    energy, summed over the images) and ``ratio`` (model over SPICE).
    """
    figures = supply_figures(design) if figures is None else figures
    check = slice_versus_behaviour(design, layer, x, CONDITIONS["tt"], timesteps,
                                   seed, slice_size, processes)
    index = layer_index(design, layer)
    chip = Chip(design)
    circuit, lines = slice_circuit(chip, index, np.asarray(check["neurons"]))
    model_j = 0.0
    for d in range(x.shape[0]):  # the same draw per digit as the SPICE check
        run = chip.run(x[d:d + 1], timesteps, torch.Generator().manual_seed(
            digit_seed(seed, d)), record_inputs_of=index)
        spikes = torch.stack(run.inputs).numpy()[:, 0, lines]
        model_j += slice_event_model_j(circuit, spikes, figures)
    spice_j = float(sum(p["synapse"] for p in check["power_w"]) * timesteps * STEP_S)
    return {"layer": layer, "neurons": len(check["neurons"]),
            "input_events": int(np.sum(check["input_events"])),
            "model_j": float(model_j), "spice_j": spice_j,
            "ratio": float(model_j / spice_j) if spice_j > 0 else float("nan")}


def _comparator_netlist(corner: str, temp_c: float, top_v: float) -> str:
    writer = PROCESS.writer
    return "\n".join([
        ".title comparator supply current against the membrane",
        *PROCESS.model_lines(corner, None),
        f"Vneuron vdd 0 DC {PROCESS.neuron_supply_v:g}", "Vm mem 0 DC 0",
        *writer.passive_lines(PASSIVE_DEVICES), *writer.comparator_lines(),
        f".temp {temp_c:g}", writer.OPTIONS_LINE,
        f".dc Vm 0 {top_v:g} {COMPARATOR_STEP_V:g}", ".end"])


def comparator_power_w(
    corner: str = "tt", temp_c: float = 27.0, top_v: float = 0.8
) -> tuple[np.ndarray, np.ndarray]:
    """The neuron domain's power against a membrane held at each voltage (SPICE).

    A DC sweep of the membrane from 0 to ``top_v`` in
    :data:`COMPARATOR_STEP_V` steps with the comparator and reset of chapter
    ``analog_neuron`` on the neuron supply: near its trip point the first,
    weak inverter conducts from rail to rail (crowbar current).  Returns
    ``(membrane_v, power_w)``; cached on disk.

    Example:
        >>> volts, watts = comparator_power_w()  # doctest: +SKIP
        >>> bool(watts.max() > watts[0])  # doctest: +SKIP
        True
    """
    netlist = _comparator_netlist(corner, temp_c, top_v)

    def measure() -> dict:
        vectors = run_netlist(netlist, describe="comparator DC sweep")
        sweep = next(k for k in vectors if k.endswith("sweep"))
        power = -vectors["vneuron#branch"] * PROCESS.neuron_supply_v
        return {"membrane_v": vectors[sweep].tolist(), "power_w": power.tolist()}

    key = cache_key("comparator-sweep", netlist, PROCESS.cache_key(corner))
    result = cached_json(key, measure)
    return np.asarray(result["membrane_v"]), np.asarray(result["power_w"])


def idle_synapse_power_w(
    supply_v: float, corner: str = "tt", temp_c: float = 27.0
) -> float:
    """The single neuron's synapse domain at code 0 (7 + 7 idle units, 6 drivers).

    Read from the code-0 run of :func:`~ntlib.circuits.energy_figures.
    energy_figures` at ``supply_v`` (SPICE, cached): the leakage of the idle
    units and drivers together, watts.
    """
    params = params_grid([supply_v], [0], process=PROCESS.name, corner=corner,
                         temp_c=temp_c, input_rate_hz=EVENT_RATE_HZ,
                         duration_s=EVENT_DURATION_S, input_mode="periodic")[0]
    return float(simulate_summary(params)["power_w_by_domain"]["synapse"])
