"""Monte Carlo of device mismatch: many instances of the neuron.

See chapter ``supply_voltage``.

Each instance is the same netlist with the PDK's per-device mismatch turned on
(``mc_mm_switch=1``) and ngspice's random generator seeded, so an instance is
reproducible: the same ``seed`` and ``instance`` draw the same transistors.
Every transistor of the synapse is its own instance in the netlist (1, 2 and 4
units per bit), as in a layout, so each draws its own threshold and current
factor.

:func:`mismatch_sweep` runs the instances through any
:class:`concurrent.futures.Executor`: a ``ProcessPoolExecutor`` on one machine
(ngspice is one instance per process, so never threads), or a Dask or Ray
executor on a cluster.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor
from typing import Any

import numpy as np

from ntlib.checks import MAX_DRAWS, check_seed
from ntlib.circuits.characterize import rheobase_a
from ntlib.circuits.measure import simulate_summary
from ntlib.circuits.neuron import NeuronParams
from ntlib.circuits.process import DEFAULT_PROCESS, get_process
from ntlib.parallel import map_processes

#: Largest number of instances one sweep accepts.
MAX_INSTANCES = MAX_DRAWS  # one limit for every Monte Carlo (ntlib.checks)


def instance_seed(seed: int, instance: int) -> int:
    """ngspice's seed for ``instance`` of a sweep seeded with ``seed`` (positive).

    Example:
        >>> instance_seed(0, 0), instance_seed(0, 1), instance_seed(1, 0)
        (1, 2, 100004)
    """
    return seed * 100_003 + instance + 1


def mismatch_instance(params: NeuronParams, instance: int) -> dict[str, Any]:
    """Simulate one mismatch instance: its rate, power and rheobase (cached).

    ``params.mismatch_seed`` must be set; ``instance`` is only reported.
    """
    summary = simulate_summary(params)
    return {
        "instance": instance,
        "seed": params.mismatch_seed,
        "process": params.process,
        "corner": params.corner,
        "temp_c": params.temp_c,
        "supply_v": params.supply_v,
        "weight_code": params.weight_code,
        "firing_rate_hz": summary["firing_rate_hz"],
        "power_w": summary["power_w"],
        "rheobase_a": rheobase_a(params),
        "sim_seconds": summary["sim_seconds"],
    }


def _run(item: tuple[NeuronParams, int]) -> dict[str, Any]:
    return mismatch_instance(*item)


def mismatch_sweep(
    instances: int,
    supply_v: float | None = None,
    *,
    seed: int = 0,
    weight_code: int = 7,
    input_rate_hz: float = 100e3,
    duration_s: float = 1e-3,
    corner: str = "tt",
    temp_c: float = 27.0,
    executor: Executor | None = None,
    jobs: int = 1,
) -> list[dict[str, Any]]:
    """One row per mismatch instance of the neuron with its synapse.

    See chapter ``supply_voltage``.

    Args:
        instances: how many instances (1 to :data:`MAX_INSTANCES`).
        supply_v: the synapse supply of every instance (None: the nominal supply).
        seed: the sweep's seed (instance ``i`` uses :func:`instance_seed`).
        executor: any ``concurrent.futures.Executor`` (its ``map`` runs the
            instances); ``None`` makes a ``ProcessPoolExecutor`` of ``jobs``
            workers, or runs in this process when ``jobs`` is 1.
        jobs: worker processes when no executor is given.

    Returns:
        Rows with ``instance``, ``seed``, ``firing_rate_hz``, ``power_w``,
        ``rheobase_a``, the conditions and ``sim_seconds``, in instance order.

    Example:
        >>> rows = mismatch_sweep(4, 1.2, seed=1, jobs=2)  # doctest: +SKIP
        >>> len({row["firing_rate_hz"] for row in rows}) > 1  # doctest: +SKIP
        True
    """
    if isinstance(instances, bool) or not isinstance(instances, int):
        raise TypeError(f"instances must be an integer; got {instances!r}")
    if not 1 <= instances <= MAX_INSTANCES:
        raise ValueError(f"instances must be 1 to {MAX_INSTANCES:,}; got {instances!r}")
    check_seed("seed", seed)  # at most 2**32 - 1: ngspice keeps 32 bits
    items = [
        (
            NeuronParams(
                supply_v=supply_v,
                weight_code=weight_code,
                input_rate_hz=input_rate_hz,
                duration_s=duration_s,
                corner=corner,
                temp_c=temp_c,
                mismatch_seed=instance_seed(seed, i),
            ),
            i,
        )
        for i in range(instances)
    ]
    if executor is not None:
        return list(executor.map(_run, items))
    return map_processes(_run, items, jobs)


def pelgrom_sigma(area_um2: float | np.ndarray, a_vt_mv_um: float) -> np.ndarray:
    """Pelgrom's law: threshold mismatch sigma in volts for a gate area.

    See chapter ``supply_voltage``.

    ``sigma(dVt) = A_VT / sqrt(W L)``.

    Example:
        >>> round(float(pelgrom_sigma(20.0, 5.0)) * 1e3, 3)
        1.118
    """
    return np.asarray(a_vt_mv_um, dtype=float) * 1e-3 / np.sqrt(area_um2)


def unit_current_spread(
    kind: str = "excite",
    supply_v: float | None = None,
    devices: int = 200,
    seed: int = 1,
    membrane_v: float = 0.3,
    process: str = DEFAULT_PROCESS,
    corner: str = "tt",
    temp_c: float = 27.0,
) -> np.ndarray:
    """Currents of ``devices`` mismatched unit sources at one supply.

    See chapter ``supply_voltage``.

    One DC operating point of ``devices`` copies of a synapse unit, each with
    its own mismatch draw: the spread Pelgrom's law predicts.  Chapter
    ``chip`` measures it at every corner, temperature and layer supply.
    """
    from ntlib.circuits.simulate import run_netlist

    params = NeuronParams(process=process, mismatch_seed=seed, corner=corner,
                          temp_c=temp_c)  # checks them all
    record = get_process(process)
    supply_v = record.nominal_supply_v if supply_v is None else supply_v
    header = record.model_lines(params.corner, seed)
    lines = [".title unit spread", *header, f"Vs vs 0 DC {supply_v}"]
    unit = record.writer.unit_device(kind)  # "<X|M>1 mem ..."
    for i in range(devices):
        device = f"{unit[0]}{i} m{i} {unit.split(' ', 2)[2]}"
        lines += [f"Vm{i} m{i} 0 DC {membrane_v}", device]
    lines += [f".temp {temp_c:g}", ".op", ".end"]
    vectors = run_netlist("\n".join(lines), describe=f"{devices} {kind} units")
    current = np.array([vectors[f"vm{i}#branch"][0] for i in range(devices)])
    return -current if kind in ("inhibit", "bias_sink") else current


__all__: Sequence[str] = (
    "instance_seed",
    "mismatch_instance",
    "mismatch_sweep",
    "pelgrom_sigma",
    "unit_current_spread",
)
