"""The behavioural neuron's model as a table, one column per condition.

See chapter ``chip``.

:func:`model_summary` turns a :class:`~ntlib.chip.circuit_model.CircuitModel`
into the numbers a reader checks (R, C and tau fitted at the condition, the
leak per step, threshold, refractory period and reset drain, the banks' gains and membrane
factors, the mismatch spreads), and :func:`model_table` sets several
conditions side by side, so a chapter can show and glue them.
"""

from __future__ import annotations

import numpy as np

from ntlib.chip.circuit_model import CircuitModel

#: Supply at which the table reads the gains and factors (the nominal one).
SUMMARY_SUPPLY_V = 1.2


def model_summary(circuit: CircuitModel, supply_v: float = SUMMARY_SUPPLY_V) -> dict:
    """The model at its condition, in readable units (keys name the units).

    The membrane factors are read at 10 % and 78 % of the threshold (near
    ground and near the top of the measured grid); the spreads at the
    lowest and the nominal synapse supply.

    Example:
        >>> from ntlib.chip.circuit_model import circuit_model
        >>> model_summary(circuit_model())["tau (us)"]  # doctest: +SKIP
        602.0...
    """
    excite, inhibit = circuit.gains_at(supply_v)
    grid, f_exc = circuit.membrane_factor(supply_v, "excite")
    _, f_inh = circuit.membrane_factor(supply_v, "inhibit")
    low = circuit.supply_v[0]
    return {
        "leak resistance (MOhm)": circuit.leak_ohm / 1e6,
        "membrane capacitance (pF)": circuit.capacitance_f * 1e12,
        "tau (us)": circuit.tau_s * 1e6,
        "leak per step beta": circuit.beta(),
        "threshold (V)": circuit.threshold_v,
        "rheobase (nA)": circuit.rheobase_a * 1e9,
        "refractory (us)": circuit.refractory_s * 1e6,
        "reset drain, first quarter step (thresholds)": _drain(circuit, 0),
        "reset drain, fourth quarter step (thresholds)": _drain(circuit, 3),
        "excitatory gain": excite,
        "inhibitory gain": inhibit,
        "excitatory factor near ground": float(np.interp(0.1, grid, f_exc)),
        "excitatory factor near threshold": float(np.interp(0.78, grid, f_exc)),
        "inhibitory factor near ground": float(np.interp(0.1, grid, f_inh)),
        "inhibitory factor near threshold": float(np.interp(0.78, grid, f_inh)),
        f"excitatory spread at {low:g} V (%)": 100 * circuit.sigma_at("excite", low),
        "excitatory spread (%)": 100 * circuit.sigma_at("excite", supply_v),
        f"inhibitory spread at {low:g} V (%)": 100 * circuit.sigma_at("inhibit", low),
        "inhibitory spread (%)": 100 * circuit.sigma_at("inhibit", supply_v),
        "threshold spread (%)": 100 * circuit.sigma.get("threshold", 0.0),
        "bias source spread (%)": 100 * circuit.sigma["bias"],
        "bias sink spread (%)": 100 * circuit.sigma["bias_sink"],
    }


def _drain(circuit: CircuitModel, part: int) -> float:
    drain = circuit.reset_drain
    return float(drain[part]) if part < len(drain) else 0.0


def model_table(models: dict, supply_v: float = SUMMARY_SUPPLY_V):
    """A pandas table of :func:`model_summary`: a row per quantity, a column per
    ``(corner, temp_c)`` of ``models`` (``{condition: CircuitModel}``)."""
    import pandas as pd

    columns = {f"{corner} {temp:g} C": model_summary(circuit, supply_v)
               for (corner, temp), circuit in models.items()}
    table = pd.DataFrame(columns)
    table.index.name = f"behavioural model (gains and factors at {supply_v:g} V)"
    return table
