"""Every cost of an inference on the chip, one row each, with its source (ch. ``chip``).

:func:`chip_ledger` lists the energy of one inference item by item.  A row
is *measured* when it multiplies a SPICE measurement by the chip's own
counts (its low and high are equal), an *estimate* when a part of it is an
assumption or a published figure (its low and high span the assumption):

* **synaptic events**: each layer's events by code at its own supplies
  (:func:`ntlib.chip.cost.synapse_event_j`: gate charge and unit current);
* **gate drivers at real fan-out**: every spike on an input line switches
  that line's driver, ``ceil(units / 4)`` copies
  (:func:`ntlib.chip.cost.driver_copy_event_j`);
* **output spikes**, **neuron static**, **NT bias static**: chapter
  ``energy``'s measurements (:func:`ntlib.chip.cost.chip_energy_j`);
* **comparator crowbar**: the neuron domain's power against the membrane
  (:func:`ntlib.chip.cost.comparator_power_w`, above its power at 0 V, which
  neuron static holds) over the behavioural chip's membrane trajectories
  (the membrane at the start of each step, after the leak);
* **array leakage**: the idle units and drivers (the single neuron's code-0
  synapse power split between its 14 units and 6 drivers in every possible
  way: the low and high ends);
* **bias DACs and buffers**: one 8-bit DAC and buffer per bias domain that is
  on (per neuron, or per channel), each drawing a quiescent current of
  10-100 nA from 1.8 V (assumption), plus the buffer's drop from 1.8 V to
  the bias supply on the measured bias current;
* **supply generation**: the synapse supplies made from the 1.8 V rail, by a
  switched-capacitor converter of 70-85 % efficiency (assumption; fully
  integrated converters reach about 70-80 %: H.-P. Le, S. R. Sanders and
  E. Alon, "Design techniques for fully integrated switched-capacitor DC-DC
  converters", IEEE JSSC 46(9), 2011) or a linear regulator
  (efficiency ``V / 1.8 V`` times 95-99 % for its quiescent current);
* **spike routing**: every spike into a layer (the pixels' and each hidden
  layer's) travels to its line's driver, either on a dedicated wire of
  half to twice the die's side at about 0.2 fF/um and 1.8 V (R. Ho,
  K. W. Mai and M. A. Horowitz, "The future of wires", Proc. IEEE 89(4),
  2001), or as an address event: low, Loihi's 1.7 pJ within-tile spike
  (M. Davies et al., IEEE Micro 38(1), 2018, 14 nm) scaled to 130 nm and
  1.8 V; high, DYNAP-SE's 883 pJ to encode and 360 pJ to route an event
  (S. Moradi et al., IEEE TBioCAS 12(1), 2018, 180 nm);
* **readout**: an 8-bit counter step per output spike (Horowitz's int8 add
  scaled to 130 nm) and an 8-bit conversion of the ten output membranes for
  the tie-break, at a Walden figure of merit of 10-200 fJ per step
  (B. Murmann, "ADC Performance Survey 1997-2024"): low, only on the images
  that need it; high, on every image.

:func:`summary` gives the total (low and high) and the three largest rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from ntlib.checks import check_choice
from ntlib.chip.area import GRANULARITIES, bias_domains, chip_area
from ntlib.chip.circuit_model import PROCESS, STEP_S
from ntlib.chip.cost import (
    chip_energy_j,
    comparator_power_w,
    driver_copy_event_j,
    figures_at,
    idle_synapse_power_w,
    supply_figures,
    synapse_event_j,
)
from ntlib.chip.design import ChipDesign
from ntlib.chip.digital import node_scale
from ntlib.chip.drivers import driver_strength
from ntlib.chip.simulator import Chip, ChipRun
from ntlib.chip.slices import layer_codes
from ntlib.circuits.energy_figures import EnergyFigures, energy_figures
from ntlib.energy import OPERATION_ENERGY_PJ, bias_power_w
from ntlib.quantise import MAX_CODE

#: Synapse supply of the figures for spikes and static power (chapter ``energy``).
NOMINAL_SUPPLY_V = 1.2
COLUMNS = ("item", "low (nJ)", "high (nJ)", "kind", "source")
#: Membrane histogram: bins over 0 to 1.2 thresholds.
MEMBRANE_BINS, MEMBRANE_TOP = 120, 1.2
#: Assumptions, each a (low, high) pair.
BIAS_BUFFER_QUIESCENT_A = (10e-9, 100e-9)
SWITCHED_CAPACITOR_EFFICIENCY = (0.70, 0.85)
LINEAR_CURRENT_EFFICIENCY = (0.95, 0.99)
WIRE_F_PER_UM = 0.2e-15
WIRE_LENGTH_DIE_SIDES = (0.5, 2.0)
ADDRESS_EVENT_PJ = (1.7 * node_scale(130, 1.8, 14, 0.75), 883.0 + 360.0)
ADC_FJ_PER_STEP = (10.0, 200.0)
ADC_BITS = 8
CONVERTERS = ("switched-capacitor", "linear")
ROUTINGS = ("wires", "address-event")
_KINDS = ("excite", "inhibit")


@dataclass
class ChipActivity:
    """What one run of the chip gives the ledger, per image (``chip_activity``).

    Attributes:
        run: the :class:`~ntlib.chip.simulator.ChipRun`, events counted.
        timesteps: steps of the inference.
        line_spikes: per layer, spikes per input line (flattened input).
        membrane_counts: per layer, neuron-steps in each membrane bin
            (:data:`MEMBRANE_BINS` over 0 to :data:`MEMBRANE_TOP` thresholds).
    """

    run: ChipRun
    timesteps: int
    line_spikes: list[np.ndarray]
    membrane_counts: list[np.ndarray]


class _RecordingChip(Chip):
    """A nominal chip that keeps each layer's input spikes and membrane histogram."""

    def __init__(self, design: ChipDesign) -> None:
        super().__init__(design)
        self.line_spikes = [0.0] * len(design.layers)
        self.membrane_counts = [np.zeros(MEMBRANE_BINS) for _ in design.layers]

    def _input(self, index, layer, h, membrane):
        self.line_spikes[index] = self.line_spikes[index] + h.flatten(1).sum(0).numpy()
        self.membrane_counts[index] += torch.histc(
            membrane.clamp(0, MEMBRANE_TOP), MEMBRANE_BINS, 0, MEMBRANE_TOP).numpy()
        return super()._input(index, layer, h, membrane)


def chip_activity(
    design: ChipDesign, x: torch.Tensor, timesteps: int = 32, seed: int = 0
) -> ChipActivity:
    """Run the nominal chip on images ``x`` and keep what the ledger prices.

    Example:
        >>> activity = chip_activity(setup.design, setup.test[0][:100])  # doctest: +SKIP
    """
    if x.ndim < 2 or x.shape[0] < 1:
        raise ValueError(f"x must be a batch of at least one image; got {tuple(x.shape)}")
    if not isinstance(timesteps, int) or timesteps < 1:
        raise ValueError(f"timesteps must be an integer >= 1; got {timesteps!r}")
    chip = _RecordingChip(design)
    run = chip.run(x, timesteps, torch.Generator().manual_seed(seed), count_events=True)
    images = x.shape[0]
    return ChipActivity(run, timesteps,
                        [np.asarray(s) / images for s in chip.line_spikes],
                        [c / images for c in chip.membrane_counts])


def _row(item, low, high, kind, source) -> dict:
    return dict(zip(COLUMNS, (item, low * 1e9, high * 1e9, kind, source), strict=True))


def _sides(design: ChipDesign, activity: ChipActivity,
           figures: dict[float, EnergyFigures]) -> list[dict]:
    """Each layer's two synapse domains: supply, events, drivers and leakage (J)."""
    duration = activity.timesteps * STEP_S
    corner, temp_c = design.circuit.corner, design.circuit.temp_c
    out = []
    for index, layer in enumerate(design.layers):
        codes = layer_codes(design, index).astype(int)
        events = activity.run.events_by_code[index]
        for side, kind in enumerate(_KINDS):
            supply = layer.excite_supply_v if side == 0 else layer.inhibit_supply_v
            fig = figures_at(figures, supply)
            driver_j = driver_copy_event_j(kind, supply, corner, temp_c)
            sign = 1 if side == 0 else -1
            event_j = sum(events[MAX_CODE + sign * c]
                          * synapse_event_j(fig, sign * c, driver_j)
                          for c in range(1, MAX_CODE + 1))
            units = np.clip(sign * codes, 0, None).sum(0)  # per input line
            copies = np.where(units > 0, driver_strength(units), 0)
            idle_w = idle_synapse_power_w(supply, corner, temp_c) / 2  # one side
            leak = (units.sum() * idle_w / 7, copies.sum() * idle_w / 3)
            out.append({
                "layer": layer.name, "supply_v": supply, "events_j": float(event_j),
                "drivers_j": float((activity.line_spikes[index] * copies).sum()
                                   * driver_j),
                "leak_j": (min(leak) * duration, max(leak) * duration),
                "units": int(units.sum()), "copies": int(copies.sum())})
    return out


def _bias_drop_j(design: ChipDesign, figures: EnergyFigures, duration: float) -> float:
    """The bias buffers' drop from 1.8 V on the measured bias power, joules."""
    rail = PROCESS.neuron_supply_v
    total = 0.0
    low, high = figures.bias_range_rheobase
    for layer in design.layers:
        held = np.clip(design.circuit.bias_rheobase(layer.bias_source_v,
                                                    layer.bias_sink_v), low, high)
        power = bias_power_w(figures.bias_power_at, held)
        volts = np.where(held >= 0, layer.bias_source_v, layer.bias_sink_v)
        drop = np.where(volts > 0, rail / np.maximum(volts, 1e-9) - 1, 0.0)
        total += float((power * drop).sum())
    return total * duration


def _die_sides_um(design: ChipDesign) -> tuple[float, float]:
    """The side of a square die of the chip's low and high area, micrometres."""
    table = chip_area(design)
    return tuple(math.sqrt(float(table[c].sum()) * 1e6)
                 for c in ("low (mm2)", "high (mm2)"))


def chip_ledger(
    design: ChipDesign,
    activity: ChipActivity,
    figures: EnergyFigures | None = None,
    converter: str = "switched-capacitor",
    routing: str = "wires",
    bias_granularity: str = "neuron",
) -> pd.DataFrame:
    """The chip's energy per inference, one row per cost (chapter ``chip``).

    Args:
        design: the chip.
        activity: :func:`chip_activity` on the test images.
        figures: the single neuron's figures (spikes, static powers, bias
            domains); default: measured at the design's corner and 1.2 V.
        converter: ``switched-capacitor`` or ``linear`` (supply generation).
        routing: ``wires`` (one wire per neuron output) or ``address-event``.
        bias_granularity: ``neuron`` or ``channel`` (bias DACs and buffers).

    Returns:
        A DataFrame with columns ``item``, ``low (nJ)``, ``high (nJ)``,
        ``kind`` (``measured`` or ``estimate``) and ``source``.

    Example:
        >>> activity = chip_activity(setup.design, setup.test[0][:100])  # doctest: +SKIP
        >>> table = chip_ledger(setup.design, activity, energy_figures())  # doctest: +SKIP
        >>> summary(table)["dominant"]  # doctest: +SKIP
    """
    check_choice("converter", converter, CONVERTERS)
    check_choice("routing", routing, ROUTINGS)
    check_choice("bias_granularity", bias_granularity, GRANULARITIES)
    if not activity.run.events_by_code:
        raise ValueError("the activity has no event counts; build it with "
                         "chip_activity(design, x)")
    duration = activity.timesteps * STEP_S
    corner, temp_c = design.circuit.corner, design.circuit.temp_c
    if figures is None:
        figures = energy_figures(PROCESS.name, corner, temp_c, NOMINAL_SUPPLY_V)
    curves = supply_figures(design, corner, temp_c)
    sides = _sides(design, activity, curves)
    basic = chip_energy_j(design, activity.run, figures, activity.timesteps,
                          event_figures=curves)
    rows = [_row("synaptic events", *[sum(s["events_j"] for s in sides)] * 2,
                 "measured", "energy_figures (SPICE) at each layer's supplies, bit "
                 "drivers taken out; events counted by the chip")]
    copies = sum(s["copies"] for s in sides)
    rows.append(_row("gate drivers at real fan-out",
                     *[sum(s["drivers_j"] for s in sides)] * 2, "measured",
                     f"driver_copy_event_j (SPICE) x line spikes x {copies} copies"))
    rows += [_row(item, basic[key], basic[key], "measured", source) for item, key,
             source in (("output spikes", "spikes", "energy_figures spike_j x spikes"),
                        ("neuron static", "neuron static",
                         "energy_figures neuron_static_w x neurons x T"),
                        ("NT bias static", "bias static",
                         "energy_figures bias_power_w at the held biases"))]
    volts, watts = comparator_power_w(corner, temp_c)
    centres = (np.arange(MEMBRANE_BINS) + 0.5) * MEMBRANE_TOP / MEMBRANE_BINS
    extra_w = np.interp(centres * design.circuit.threshold_v, volts, watts) - watts[0]
    crowbar = sum(float((c * extra_w).sum()) for c in activity.membrane_counts) * STEP_S
    rows.append(_row("comparator crowbar", crowbar, crowbar, "measured",
                     "comparator_power_w (SPICE DC sweep) over the chip's membrane "
                     "trajectories, above its power at 0 V"))
    leak = [sum(s["leak_j"][i] for s in sides) for i in (0, 1)]
    rows.append(_row("array leakage", *leak, "estimate",
                     "code-0 synapse power (SPICE) split between units and drivers"))
    domains = bias_domains(design, bias_granularity)
    quiescent = [domains * a * PROCESS.neuron_supply_v * duration
                 for a in BIAS_BUFFER_QUIESCENT_A]
    drop = _bias_drop_j(design, figures, duration)
    rows.append(_row(f"bias DACs and buffers (per {bias_granularity})",
                     quiescent[0] + drop, quiescent[1] + drop, "estimate",
                     f"{domains} domains x 10-100 nA x 1.8 V (assumption) + the "
                     "buffers' drop on the measured bias power"))
    rows.append(_row(f"supply generation ({converter})",
                     *_conversion_loss(sides, converter), "estimate",
                     "synapse supplies from 1.8 V; SC 70-85 % (Le et al. 2011) or "
                     "linear V/1.8 x 95-99 % (assumption)"))
    rows.append(_row(f"spike routing ({routing})", *_routing(design, activity, routing),
                     "estimate", "wires 0.2 fF/um over 0.5-2 die sides (Ho et al. "
                     "2001) or address events (Loihi 2018 scaled; DYNAP-SE 2018)"))
    rows.append(_row("readout", *_readout(activity), "estimate",
                     "8-bit counter per output spike (Horowitz 2014 x node scale); "
                     "8-bit ADC at 10-200 fJ/step (Murmann survey)"))
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _conversion_loss(sides: list[dict], converter: str) -> tuple[float, float]:
    """Energy lost making the synapse supplies from the 1.8 V rail (low, high)."""
    rail = PROCESS.neuron_supply_v
    low = high = 0.0
    for side in sides:
        delivered = side["events_j"] + side["drivers_j"] + sum(side["leak_j"]) / 2
        if converter == "switched-capacitor":
            best, worst = SWITCHED_CAPACITOR_EFFICIENCY[1], SWITCHED_CAPACITOR_EFFICIENCY[0]
        else:
            ratio = side["supply_v"] / rail
            best = ratio * LINEAR_CURRENT_EFFICIENCY[1]
            worst = ratio * LINEAR_CURRENT_EFFICIENCY[0]
        low += delivered * (1 / best - 1)
        high += delivered * (1 / worst - 1)
    return low, high


def _routed_spikes(activity: ChipActivity) -> float:
    """Spikes delivered to a layer's lines per inference: pixels' and hidden layers'."""
    hidden = sum(float(c.flatten(1).sum(1).mean()) for c in activity.run.counts[:-1])
    return float(activity.line_spikes[0].sum()) + hidden


def _routing(design: ChipDesign, activity: ChipActivity,
             routing: str) -> tuple[float, float]:
    spikes = _routed_spikes(activity)
    if routing == "address-event":
        return tuple(spikes * pj * 1e-12 for pj in ADDRESS_EVENT_PJ)
    rail = PROCESS.neuron_supply_v
    return tuple(spikes * WIRE_F_PER_UM * side_um * sides * rail**2
                 for side_um, sides in zip(_die_sides_um(design),
                                           WIRE_LENGTH_DIE_SIDES, strict=True))


def _readout(activity: ChipActivity) -> tuple[float, float]:
    counts = activity.run.counts[-1].flatten(1)
    top = counts.max(1, keepdim=True).values
    needs_membrane = float(((counts == top).sum(1) > 1).float().mean())
    counter_j = (float(counts.sum(1).mean()) * ADC_BITS / 8
                 * OPERATION_ENERGY_PJ["int8"]["add"] * node_scale() * 1e-12)
    outputs = counts.shape[1]
    convert = [outputs * 2**ADC_BITS * fj * 1e-15 for fj in ADC_FJ_PER_STEP]
    return counter_j + needs_membrane * convert[0], counter_j + convert[1]


def summary(ledger: pd.DataFrame, dominant: int = 3) -> dict:
    """Total energy per inference (low, high, nJ) and the ``dominant`` largest rows.

    Rows are ranked by their high value.  Returns ``low_nj``, ``high_nj``,
    ``dominant`` (item names) and ``measured_share`` (the measured rows'
    share of the low total).
    """
    missing = [c for c in COLUMNS if c not in ledger.columns]
    if missing:
        raise ValueError(f"not a ledger: missing columns {missing}; build it with "
                         "chip_ledger")
    if not isinstance(dominant, int) or dominant < 1:
        raise ValueError(f"dominant must be an integer >= 1; got {dominant!r}")
    low = float(ledger["low (nJ)"].sum())
    top = ledger.sort_values("high (nJ)", ascending=False)["item"]
    measured = ledger.loc[ledger["kind"] == "measured", "low (nJ)"].sum()
    return {"low_nj": low, "high_nj": float(ledger["high (nJ)"].sum()),
            "dominant": list(top.head(dominant)),
            "measured_share": float(measured / low) if low > 0 else float("nan")}
