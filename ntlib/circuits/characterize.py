"""Characterising the neuron: rheobase, bias sources, bidirectional bias.

See chapter ``supply_voltage``.

The rheobase (the smallest constant input current that makes the neuron fire)
comes from one DC sweep of a test current with the reset path opened: the
current at which the comparator's first inverter trips.  The two NT bias
sources are characterised by DC sweeps of their domains' supplies with the
membrane held at a typical voltage; :func:`bias_to_supplies` inverts those
curves, so a bias of either sign (in rheobase units, as NT learns it) maps to
the supply of the sourcing or of the sinking domain.  Results are cached on
disk (:mod:`ntlib.circuits.cache`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ntlib.circuits.cache import cache_key, cached_json
from ntlib.circuits.neuron import NeuronParams, build_netlist, source_netlist
from ntlib.circuits.process import DEFAULT_PROCESS, Process, get_process
from ntlib.circuits.simulate import run_netlist, source_current_a

#: Membrane voltage at which the bias sources are characterised, volts (about
#: half the firing threshold: where the membrane spends its time).
BIAS_MEMBRANE_V = 0.3
#: Largest test current of the rheobase sweep, amperes.
RHEOBASE_SWEEP_MAX_A = 200e-9


def _bias_ranges(process: Process) -> tuple[tuple[str, str, tuple[float, float]], ...]:
    """``(source kind, curve name, documented supply range)`` of both bias domains."""
    return (
        ("bias", "source", process.bias_supply_range_v),
        ("bias_sink", "sink", process.bias_sink_supply_range_v),
    )


def rheobase_netlist(params: NeuronParams) -> str:
    """The neuron with its reset opened and a swept DC test current.

    See chapter ``supply_voltage``.
    """
    netlist = build_netlist(
        NeuronParams(
            process=params.process,
            corner=params.corner,
            temp_c=params.temp_c,
            supply_v=params.supply_v,
            weight_code=0,
            input_current_a=1e-9,
            mismatch_seed=params.mismatch_seed,
        )
    )
    netlist = netlist.replace("rst mem ref ", "rst mem 0 ")
    lines = [
        line
        for line in netlist.splitlines()
        if not line.startswith((".ic ", ".tran ")) and line != ".end"
    ]
    step_a = RHEOBASE_SWEEP_MAX_A / 2000
    lines += [f".dc Iin 0 {RHEOBASE_SWEEP_MAX_A:g} {step_a:g}", ".end"]
    return "\n".join(lines)


def _rheobase_from_sweep(netlist: str, params: NeuronParams) -> float:
    vectors = run_netlist(netlist, describe=f"rheobase sweep, {params.describe()}")
    sweep = next(v for k, v in vectors.items() if k.endswith("sweep"))
    n1 = vectors["n1"]
    half = params.neuron_supply_v / 2
    below = np.flatnonzero(n1 < half)
    if below.size == 0 or below[0] == 0:
        raise ValueError(
            f"the comparator did not trip between 0 and {RHEOBASE_SWEEP_MAX_A:g} A "
            f"({params.describe()})"
        )
    i = below[0]
    frac = (n1[i - 1] - half) / (n1[i - 1] - n1[i])
    return float(sweep[i - 1] + frac * (sweep[i] - sweep[i - 1]))


def rheobase_a(params: NeuronParams | None = None) -> float:
    """The neuron's rheobase current, amperes (cached; chapter ``supply_voltage``).

    Only ``process``, ``corner``, ``temp_c``, ``supply_v`` (the off synapse
    units leak a little) and ``mismatch_seed`` of ``params`` matter.

    Example:
        >>> rheobase_a(NeuronParams())  # doctest: +SKIP
        1.4e-08
    """
    params = params if params is not None else NeuronParams()
    netlist = rheobase_netlist(params)
    model = get_process(params.process).cache_key(params.corner)
    key = cache_key("rheobase", netlist, model)
    return float(cached_json(key, lambda: _rheobase_from_sweep(netlist, params)))


@dataclass(frozen=True)
class BiasReach:
    """What the NT bias sources can hold, measured against the rheobase.

    See chapters ``energy``-``chip``.

    Attributes:
        rheobase_a: smallest constant current that makes the neuron fire.
        bias_range_rheobase: the most negative and most positive reachable
            bias, rheobase units.
        bias_gap_rheobase: the smallest non-zero sinking and sourcing bias
            (between them only 0, both domains off, is realisable).
    """

    rheobase_a: float
    bias_range_rheobase: tuple[float, float]
    bias_gap_rheobase: tuple[float, float]


@dataclass(frozen=True)
class BiasCurves:
    """Measured current of the two NT bias sources against their supplies.

    ``source_a`` flows onto the membrane from the sourcing domain; ``sink_a``
    is drawn off it by the sinking one (both positive, in amperes);
    ``source_domain_a`` and ``sink_domain_a`` are the currents each domain's
    supply delivers while holding that bias (the sink's gate takes only
    leakage).
    """

    source_supply_v: tuple[float, ...]
    source_a: tuple[float, ...]
    sink_supply_v: tuple[float, ...]
    sink_a: tuple[float, ...]
    source_domain_a: tuple[float, ...]
    sink_domain_a: tuple[float, ...]


def _bias_netlists(process: str, corner: str, temp_c: float) -> list[str]:
    netlists = []
    for kind, _, (low, high) in _bias_ranges(get_process(process)):
        netlists.append(
            source_netlist(
                kind, BIAS_MEMBRANE_V, low, high, 0.0125, process, corner, temp_c
            )
        )
    return netlists


def _sweep_bias(process: str, corner: str, temp_c: float) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for kind, name, (low, high) in _bias_ranges(get_process(process)):
        supply = np.round(np.arange(low, high + 1e-9, 0.025), 4)
        out[f"{name}_supply_v"] = supply.tolist()
        current = source_current_a(
            kind, supply, BIAS_MEMBRANE_V, process=process, corner=corner, temp_c=temp_c
        )
        out[f"{name}_a"] = current.tolist()
        netlist = source_netlist(
            kind, BIAS_MEMBRANE_V, low, high, 0.0125, process, corner, temp_c
        )
        vectors = run_netlist(netlist, describe=f"{kind} domain current")
        sweep = next(v for k, v in vectors.items() if k.endswith("sweep"))
        drawn = -vectors["vs#branch"]
        out[f"{name}_domain_a"] = np.interp(supply, sweep, drawn).tolist()
    return out


def bias_curves(
    process: str = DEFAULT_PROCESS, corner: str = "tt", temp_c: float = 27.0
) -> BiasCurves:
    """The bias sources' current against supply over the documented range (cached)."""
    NeuronParams(process=process, corner=corner, temp_c=temp_c)  # checks the inputs
    key = cache_key(
        "bias-curves",
        *_bias_netlists(process, corner, temp_c),
        get_process(process).cache_key(corner),
    )
    data = cached_json(key, lambda: _sweep_bias(process, corner, temp_c))
    return BiasCurves(**{name: tuple(values) for name, values in data.items()})


def bias_range_rheobase(
    curves: BiasCurves, rheobase: float
) -> tuple[tuple[float, float], tuple[float, float]]:
    """``((most negative, most positive), (smallest sink, smallest source))`` biases.

    The first pair is the reachable range; the second the smallest non-zero
    magnitudes each side can give (its domain at the lowest documented supply).
    Between them only an exact 0 (both domains off) is realisable.
    """
    source = np.asarray(curves.source_a) / rheobase
    sink = np.asarray(curves.sink_a) / rheobase
    return (-float(sink.max()), float(source.max())), (
        -float(sink.min()),
        float(source.min()),
    )


def bias_to_supplies(
    bias: float | np.ndarray, rheobase: float, curves: BiasCurves
) -> tuple[np.ndarray, np.ndarray]:
    """Supplies ``(sourcing domain, sinking domain)`` that realise NT biases.

    See chapter ``supply_voltage``.

    A bias ``b`` (in rheobase units) is the current ``b * rheobase`` added to
    the membrane: a positive one from the sourcing domain (the sinking domain
    off, 0 V), a negative one from the sinking domain.  ``b = 0`` switches
    both off.

    Raises:
        ValueError: a bias the circuit cannot realise (beyond the largest
            current, or non-zero but below the smallest), naming the range.
    """
    values = np.asarray(bias, dtype=float)
    if not np.all(np.isfinite(values)):
        raise ValueError("bias must be finite; got NaN or infinity")
    (most_neg, most_pos), (least_neg, least_pos) = bias_range_rheobase(curves, rheobase)
    reachable = (
        (values == 0)
        | ((values >= least_pos) & (values <= most_pos))
        | ((values <= least_neg) & (values >= most_neg))
    )
    if not np.all(reachable):
        bad = values[~reachable].flat[0]
        raise ValueError(
            f"bias {bad:g} (rheobase units) is out of the circuit's reach: it realises "
            f"0, {least_pos:.3g} to {most_pos:.3g} (sourcing) and {most_neg:.3g} to "
            f"{least_neg:.3g} (sinking); scale or clip the biases first"
        )
    source_v = np.interp(
        values * rheobase, np.asarray(curves.source_a), curves.source_supply_v
    )
    sink_v = np.interp(
        -values * rheobase, np.asarray(curves.sink_a), curves.sink_supply_v
    )
    return np.where(values > 0, source_v, 0.0), np.where(values < 0, sink_v, 0.0)


def realisable_fraction(
    bias: np.ndarray, rheobase: float, curves: BiasCurves
) -> dict[str, float]:
    """Fractions of ``bias`` that are realisable, too large, or too small.

    See chapter ``supply_voltage``.
    """
    values = np.asarray(bias, dtype=float).ravel()
    (most_neg, most_pos), (least_neg, least_pos) = bias_range_rheobase(curves, rheobase)
    too_large = (values > most_pos) | (values < most_neg)
    too_small = (values != 0) & (values < least_pos) & (values > least_neg)
    return {
        "realisable": float(np.mean(~too_large & ~too_small)),
        "too_large": float(np.mean(too_large)),
        "too_small": float(np.mean(too_small)),
    }


def realisable_biases(
    biases_rheobase: np.ndarray,
    bias_range: tuple[float, float],
    bias_gap: tuple[float, float],
) -> np.ndarray:
    """The nearest bias each NT bias source can hold (chapters ``energy`` and ``chip``).

    A bias beyond ``bias_range`` (most negative, most positive) is clipped
    to it; a non-zero bias inside ``bias_gap`` (the smallest non-zero
    sinking and sourcing bias) becomes the nearest of the gap's edges and 0
    (both domains off).

    Example:
        >>> realisable_biases(np.array([-9.0, -0.3, 0.1, 0.4, 2.0]), (-5, 5),
        ...                   (-0.5, 0.5)).tolist()
        [-5.0, -0.5, 0.0, 0.5, 2.0]
    """
    low, high = bias_range
    gap_low, gap_high = bias_gap
    if not low <= gap_low <= 0 <= gap_high <= high:
        raise ValueError(
            f"need bias_range[0] <= bias_gap[0] <= 0 <= bias_gap[1] <= "
            f"bias_range[1]; got range {bias_range}, gap {bias_gap}"
        )
    clipped = np.clip(np.asarray(biases_rheobase, dtype=float), low, high)
    inside = (clipped > gap_low) & (clipped < gap_high) & (clipped != 0)
    choices = np.array([gap_low, 0.0, gap_high])
    nearest = choices[np.abs(clipped[:, None] - choices[None, :]).argmin(axis=1)]
    return np.where(inside, nearest, clipped)
