"""The circuit beside the ideal leaky integrate-and-fire model.

See chapters ``analog_neuron``-``supply_voltage``.

The LIF model: ``C dV/dt = -V/R + I``; a spike when ``V`` reaches the
threshold ``V_th``, then ``V`` is held at 0 for a refractory time ``t_ref``.
For a constant current the firing rate has a closed form:

    rate(I) = 1 / (t_ref + R C ln(I R / (I R - V_th)))   for I R > V_th,

and 0 below the rheobase current ``V_th / R``.  This module fits ``C`` and
``R`` from a simulated subthreshold membrane trace, ``V_th`` and ``t_ref`` from
simulated rates.  (An NT bias maps to a bias supply voltage in
:mod:`ntlib.circuits.characterize`.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.optimize import curve_fit

from ntlib.circuits.process import DEFAULT_PROCESS
from ntlib.lif import analytic_firing_rate_hz


def lif_rate_hz(
    current_a: float | np.ndarray,
    capacitance_f: float,
    leak_ohm: float,
    threshold_v: float,
    refractory_s: float = 0.0,
) -> np.ndarray:
    """Firing rate of the ideal LIF neuron under a constant current.

    See chapter ``analog_neuron``.

    Chapter ``lif_neurons``'s :func:`ntlib.lif.analytic_firing_rate_hz` in the circuit's
    terms: capacitance and leak resistance instead of the time constant.

    Example:
        >>> float(lif_rate_hz(0.0, 1e-12, 1e6, 0.5))
        0.0
        >>> round(float(lif_rate_hz(2e-6, 1e-12, 1e6, 0.5)) / 1e6, 3)  # 1/(RC ln 4/3)
        3.476
    """
    rate_hz = analytic_firing_rate_hz(
        torch.as_tensor(np.asarray(current_a, dtype=float)),
        tau_s=capacitance_f * leak_ohm,
        resistance_ohm=leak_ohm,
        threshold_v=threshold_v,
        refractory_s=refractory_s,
    )
    return rate_hz.numpy()


def lif_beta(capacitance_f: float, leak_ohm: float, dt_s: float) -> float:
    """Decay factor per time step, ``exp(-dt / RC)``: the discrete LIF's beta.

    Example:
        >>> round(lif_beta(1e-12, 1e6, 1e-6), 4)
        0.3679
    """
    return float(np.exp(-dt_s / (leak_ohm * capacitance_f)))


@dataclass(frozen=True)
class LifFit:
    """Fitted LIF parameters of the circuit (chapter ``analog_neuron``)."""

    capacitance_f: float
    leak_ohm: float
    threshold_v: float
    refractory_s: float

    @property
    def tau_s(self) -> float:
        return self.capacitance_f * self.leak_ohm

    @property
    def rheobase_a(self) -> float:
        """The smallest constant current that makes the neuron fire."""
        return self.threshold_v / self.leak_ohm

    def rate_hz(self, current_a: float | np.ndarray) -> np.ndarray:
        return lif_rate_hz(
            current_a,
            self.capacitance_f,
            self.leak_ohm,
            self.threshold_v,
            self.refractory_s,
        )


def fit_membrane(
    time_s: np.ndarray, membrane_v: np.ndarray, current_a: float
) -> tuple[float, float]:
    """Fit ``C`` and ``R`` to a subthreshold step response (chapter ``analog_neuron``).

    With a constant current ``I`` from rest, ``V(t) = I R (1 - exp(-t / RC))``.

    Returns:
        ``(capacitance_f, leak_ohm)``.
    """
    if current_a <= 0:
        raise ValueError(f"current_a must be positive; got {current_a!r}")

    def model(t: np.ndarray, r_mohm: float, tau_us: float) -> np.ndarray:
        return current_a * r_mohm * 1e6 * (1 - np.exp(-t / (tau_us * 1e-6)))

    final_v = float(membrane_v[-1])
    (r_mohm, tau_us), _ = curve_fit(
        model, time_s, membrane_v, p0=(final_v / current_a / 1e6, time_s[-1] * 1e6 / 5)
    )
    leak_ohm = r_mohm * 1e6
    return float(tau_us * 1e-6 / leak_ohm), float(leak_ohm)


def fit_lif(
    current_a: np.ndarray,
    rate_hz: np.ndarray,
    capacitance_f: float,
    leak_ohm: float,
) -> LifFit:
    """Fit threshold and refractory time to simulated rates, C and R given.

    See chapter ``analog_neuron``.

    Only points with a positive rate enter the fit.
    """
    current = np.asarray(current_a, dtype=float)
    rate = np.asarray(rate_hz, dtype=float)
    firing = rate > 0
    if firing.sum() < 3:
        raise ValueError(
            f"need at least 3 currents that make the neuron fire; got {firing.sum()}"
        )

    def model(i: np.ndarray, threshold_v: float, refractory_us: float) -> np.ndarray:
        return lif_rate_hz(
            i, capacitance_f, leak_ohm, threshold_v, refractory_us * 1e-6
        )

    smallest_drive_v = float(current[firing].min() * leak_ohm)
    (threshold_v, refractory_us), _ = curve_fit(
        model,
        current[firing],
        rate[firing],
        p0=(0.8 * smallest_drive_v, 1.0),
        bounds=((0.0, 0.0), (smallest_drive_v * 0.999, 1e4)),
    )
    return LifFit(
        capacitance_f, leak_ohm, float(threshold_v), float(refractory_us) * 1e-6
    )


def fit_circuit(
    currents_a: np.ndarray | None = None,
    step_current_a: float = 5e-9,
    process: str = DEFAULT_PROCESS,
) -> LifFit:
    """Simulate the neuron and fit the LIF model to it.

    See chapter ``analog_neuron``'s recipe.

    ``C`` and ``R`` from the membrane's response to a subthreshold current step
    (3 ms), then ``V_th`` and ``t_ref`` from the firing rate at each of
    ``currents_a`` (default 20-300 nA), with the synapse silent (code 0).
    """
    from ntlib.circuits.measure import firing_rate_hz
    from ntlib.circuits.neuron import NeuronParams
    from ntlib.circuits.simulate import simulate_neuron

    if currents_a is None:
        currents_a = np.array([20e-9, 30e-9, 50e-9, 80e-9, 120e-9, 200e-9, 300e-9])
    step = simulate_neuron(
        NeuronParams(
            weight_code=0,
            input_current_a=step_current_a,
            duration_s=3e-3,
            process=process,
        )
    )
    capacitance_f, leak_ohm = fit_membrane(step.time_s, step.membrane_v, step_current_a)
    rates = np.array(
        [
            firing_rate_hz(
                simulate_neuron(
                    NeuronParams(
                        weight_code=0,
                        input_current_a=float(i),
                        duration_s=2e-3,
                        process=process,
                    )
                )
            )
            for i in currents_a
        ]
    )
    return fit_lif(np.asarray(currents_a), rates, capacitance_f, leak_ohm)
