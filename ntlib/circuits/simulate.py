"""Running netlists in ngspice through PySpice, safely.

See chapters ``analog_neuron``-``energy``.

ngspice's shared library is one global instance per process.  This module
owns that instance: it silences PySpice's logger (PySpice 1.5 warns
"Unsupported Ngspice version" for Debian's ngspice 39, which would reach
stderr), runs each analysis (in the calling thread, or under a wall-clock
guard in ngspice's background thread when a ``timeout_s`` is given), checks
that the result is complete and finite, and removes the circuit afterwards,
so a thousand simulations do not grow the process's memory.

Parallel sweeps run in separate processes (:mod:`ntlib.parallel`), never
threads.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from ntlib.circuits.process import DEFAULT_PROCESS
from ntlib.machine import require_ngspice

logger = logging.getLogger(__name__)

#: Default wall-clock limit of one analysis, in seconds, or ``None``: run in
#: the calling thread and rely on ngspice's own bounds (it aborts a transient
#: whose time step collapses, "timestep too small", and the result is then
#: checked for completeness).  A number runs ngspice in its background thread
#: and halts it past the limit; inside a Jupyter kernel with widgets that
#: background thread has been seen to stall the kernel, so the library's
#: default is the calling thread and the command line sets a limit.
DEFAULT_TIMEOUT_S: float | None = None


class SimulationError(RuntimeError):
    """ngspice did not converge, timed out or returned an incomplete result."""


def _silence_pyspice() -> None:
    # PySpice logs through "PySpice..." loggers; ngspice's own chatter arrives
    # through the same callbacks.  Nothing of it may reach stderr.
    for name in ("PySpice", "PySpice.Spice.NgSpice.Shared"):
        pyspice_logger = logging.getLogger(name)
        pyspice_logger.setLevel(logging.CRITICAL + 1)
        pyspice_logger.propagate = False


_NGSPICE_CLASS: list[Any] = []  # the subclass below, built on first use


def _ngspice_class() -> Any:
    # PySpice 1.5's background-thread callback returns None where ngspice's C
    # API expects an int, so cffi prints "an integer is required" on stderr at
    # every background run.  This subclass answers properly and records when
    # the background thread has finished (ngspice reports True at the end).
    if not _NGSPICE_CLASS:
        from PySpice.Spice.NgSpice.Shared import NgSpiceShared

        class QuietNgSpiceShared(NgSpiceShared):
            _instances: ClassVar[dict[int, Any]] = {}
            finished = threading.Event()

            @staticmethod
            def _background_thread_running(is_running, ngspice_id, user_data):
                if is_running:
                    QuietNgSpiceShared.finished.set()
                return 0

        _NGSPICE_CLASS.append(QuietNgSpiceShared)
    return _NGSPICE_CLASS[0]


_CONFIGURED: list[bool] = []  # set once the PDK's options are in place


def ngspice_instance() -> Any:
    """The process's ngspice, started on first use (after checking it is installed).

    On first use it also sets the options of the SKY130 PDK's ``.spiceinit``
    (:data:`ntlib.circuits.sky130.SPICEINIT_COMMANDS`); they do not change
    the level-1 circuits.
    """
    require_ngspice()
    _silence_pyspice()
    ngspice = _ngspice_class().new_instance()
    if not _CONFIGURED:
        from ntlib.circuits.sky130 import SPICEINIT_COMMANDS

        for command in SPICEINIT_COMMANDS:
            ngspice.exec_command(command)
        _CONFIGURED.append(True)
    return ngspice


def run_netlist(
    netlist: str, *, describe: str, timeout_s: float | None = DEFAULT_TIMEOUT_S
) -> dict[str, np.ndarray]:
    """Run the analysis in ``netlist``; return every vector as a float array.

    Args:
        netlist: a complete netlist with one analysis line (``.tran``, ``.dc``).
        describe: the parameters in words, named in any error.
        timeout_s: wall-clock limit; past it the run is halted and an error
            raised, never a hang.  ``None`` runs in the calling thread.

    Returns:
        ``{vector name: values}``, e.g. ``"time"``, ``"mem"``, ``"vsyn#branch"``.

    Raises:
        SimulationError: ngspice failed, timed out, or returned an empty,
            non-finite or incomplete result.
    """
    ngspice = ngspice_instance()
    ngspice.destroy()
    try:
        ngspice.load_circuit(netlist)
    except Exception as error:  # PySpice raises NgSpiceCircuitError or NameError
        _cleanup(ngspice)
        raise SimulationError(
            f"ngspice rejected the netlist ({describe}): {error}"
        ) from error
    if timeout_s is None:
        _run_in_foreground(ngspice, describe)
    else:
        _run_with_guard(ngspice, describe, timeout_s)
    stderr = ngspice.stderr
    try:
        plot_name = ngspice.last_plot
        if plot_name == "const":
            raise SimulationError(
                f"ngspice produced no result ({describe}): {stderr.strip()[:300]}"
            )
        plot = ngspice.plot(None, plot_name)
        vectors = {
            name: np.array(vector._data, dtype=float).copy()
            if hasattr(vector, "_data")
            else np.real(np.asarray(vector.to_waveform(), dtype=complex)).astype(float)
            for name, vector in plot.items()
        }
    finally:
        _cleanup(ngspice)
    if not vectors or any(v.size == 0 for v in vectors.values()):
        raise SimulationError(f"ngspice returned an empty result ({describe})")
    if not all(np.isfinite(v).all() for v in vectors.values()):
        raise SimulationError(f"ngspice returned non-finite values ({describe})")
    return vectors


def _run_in_foreground(ngspice: Any, describe: str) -> None:
    try:
        ngspice.exec_command("run")
    except Exception as error:
        _cleanup(ngspice)
        raise SimulationError(
            f"ngspice failed ({describe}): {error}; {ngspice.stderr.strip()[:300]}"
        ) from error


def _run_with_guard(ngspice: Any, describe: str, timeout_s: float) -> None:
    finished = _ngspice_class().finished
    finished.clear()
    try:
        ngspice.exec_command("bg_run")
    except Exception as error:
        _cleanup(ngspice)
        raise SimulationError(
            f"ngspice failed to start ({describe}): {error}"
        ) from error
    if not finished.wait(timeout_s):
        try:
            ngspice.exec_command("bg_halt")
        except Exception:  # noqa: BLE001 (PySpice flags ngspice's halt notice)
            logger.debug("ngspice reported on bg_halt")
        finished.wait(5.0)
        _cleanup(ngspice)
        raise SimulationError(
            f"simulation did not finish within {timeout_s:g} s ({describe}); "
            "shorten duration_s or check the parameters"
        )


def _cleanup(ngspice: Any) -> None:
    # Without remcirc ngspice keeps every circuit it was given: memory grows.
    try:
        ngspice.destroy()
        ngspice.remove_circuit()
    except Exception:  # noqa: BLE001 (nothing loaded: nothing to remove)
        logger.debug("nothing to remove from ngspice")


# --- the neuron ------------------------------------------------------------


class Transient:
    """One simulated transient of the neuron: waveforms and the run's wall time.

    Attributes:
        params: the :class:`~ntlib.circuits.neuron.NeuronParams` simulated.
        time_s, membrane_v, spike_v, refractory_v: waveforms (ngspice's own,
            non-uniform time points).
        supply_v, supply_current_a: per power domain (``"synapse"``, ``"bias"``,
            ``"bias_sink"``, ``"neuron"``): rail voltage and the current drawn
            from it.
        sim_seconds: wall time of the simulation.
    """

    def __init__(self, params: Any, vectors: dict[str, np.ndarray], sim_seconds: float):
        from ntlib.circuits.neuron import DOMAIN_NODES, DOMAINS

        self.params = params
        self.time_s = vectors["time"]
        self.membrane_v = vectors["mem"]
        self.spike_v = vectors["spk"]
        self.refractory_v = vectors["ref"]
        self.supply_v = {d: vectors[DOMAIN_NODES[d]] for d in DOMAINS}
        # SPICE reports a source's current flowing into its + terminal; a
        # supply that delivers power has a negative branch current.
        self.supply_current_a = {
            d: -vectors[f"{src}#branch"] for d, src in DOMAINS.items()
        }
        self.sim_seconds = sim_seconds

    def __repr__(self) -> str:
        return (
            f"Transient({self.params.describe()}, {self.time_s.size} points, "
            f"{self.sim_seconds:.3f} s)"
        )


def simulate_neuron(
    params: Any = None, timeout_s: float | None = DEFAULT_TIMEOUT_S
) -> Transient:
    """Simulate one transient of the analog neuron (chapter ``analog_neuron``).

    Args:
        params: a :class:`~ntlib.circuits.neuron.NeuronParams` (defaults if None).
        timeout_s: wall-clock guard for ngspice.

    Raises:
        SimulationError: naming the parameters, if ngspice does not converge.

    Example:
        >>> from ntlib.circuits import NeuronParams, simulate_neuron
        >>> run = simulate_neuron(NeuronParams(supply_v=1.0))  # doctest: +SKIP
    """
    from ntlib.circuits.neuron import NeuronParams, build_netlist

    params = params if params is not None else NeuronParams()
    start = time.perf_counter()
    vectors = run_netlist(
        build_netlist(params), describe=params.describe(), timeout_s=timeout_s
    )
    sim_seconds = time.perf_counter() - start
    end_s = vectors["time"][-1]
    if end_s < params.duration_s * (1 - 1e-6):
        raise SimulationError(
            f"transient stopped at {end_s:.3g} s of {params.duration_s:g} s: ngspice did "
            f"not converge ({params.describe()})"
        )
    return Transient(params, vectors, sim_seconds)


def source_current_a(
    kind: str,
    supply_v: Sequence[float] | np.ndarray,
    membrane_v: float = 0.3,
    timeout_s: float | None = DEFAULT_TIMEOUT_S,
    process: str = DEFAULT_PROCESS,
    corner: str = "tt",
    temp_c: float = 27.0,
) -> np.ndarray:
    """Current of one unit source (multiplier 1) against its supply.

    See chapter ``supply_voltage``.

    A DC sweep of the source's supply with the membrane node held at
    ``membrane_v``.  Positive values flow onto the membrane (``"excite"``,
    ``"bias"``); an ``"inhibit"`` source gives the current it sinks, also
    positive (``"bias_sink"`` too).

    Example:
        >>> source_current_a("excite", [0.8, 1.2])  # doctest: +SKIP
        array([...])
    """
    from ntlib.circuits.neuron import source_netlist

    supply = np.asarray(supply_v, dtype=float)
    if supply.ndim != 1 or supply.size < 2 or np.any(np.diff(supply) <= 0):
        raise ValueError("supply_v must be at least two increasing voltages")
    if np.any(supply < 0) or np.any(supply > 2.0):
        raise ValueError(
            f"supply_v must lie in 0-2 V; got {supply.min():g}-{supply.max():g}"
        )
    start, stop = float(supply[0]), float(supply[-1])
    step = float(np.min(np.diff(supply))) / 2
    netlist = source_netlist(
        kind, membrane_v, start, stop, step, process, corner, temp_c
    )
    vectors = run_netlist(
        netlist,
        describe=(
            f"{kind} source ({process}, {corner}, {temp_c:g} C), "
            f"membrane_v={membrane_v:g} V, supply {start:g}-{stop:g} V"
        ),
        timeout_s=timeout_s,
    )
    sweep = vectors["v-sweep"] if "v-sweep" in vectors else vectors["vs"]
    # The holding source Vmem absorbs what the device delivers onto the node.
    current = vectors["vmem#branch"]
    current = -current if kind in ("inhibit", "bias_sink") else current
    return np.interp(supply, sweep, current)
