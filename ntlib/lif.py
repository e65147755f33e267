"""Leaky integrate-and-fire neurons under a constant current (chapter ``lif_neurons``).

One snntorch ``Leaky`` neuron per current: the membrane integrates the input,
leaks towards rest with time constant ``tau_s``, fires when it crosses the
threshold and is reset.  A supplemental (modulatory) bias is one more constant
current, so it shifts the firing-rate curve along the current axis.
"""

from __future__ import annotations

import math

import snntorch as snn
import torch


def analytic_firing_rate_hz(
    current_a: torch.Tensor,
    tau_s: float = 0.02,
    resistance_ohm: float = 5e7,
    threshold_v: float = 0.02,
    refractory_s: float = 0.0,
) -> torch.Tensor:
    """Firing rate of a leaky integrate-and-fire neuron under a constant current.

    The membrane ``tau dV/dt = -V + R I`` starts at rest (0 V) and is reset to
    rest on each spike, so the rate is ``1 / (tau ln(RI / (RI - V_th)))`` above
    the rheobase ``V_th / R`` and zero below it (chapter ``lif_neurons``).  A refractory
    period ``t_ref`` adds to each interval: ``1 / (t_ref + tau ln(...))``
    (chapter ``analog_neuron`` fits the analog neuron with it).

    Example:
        >>> analytic_firing_rate_hz(torch.tensor([0.0, 1e-9])).round()
        tensor([ 0., 98.], dtype=torch.float64)
    """
    drive_v = torch.as_tensor(current_a, dtype=torch.float64) * resistance_ohm
    above = drive_v > threshold_v
    safe = torch.where(above, drive_v, torch.full_like(drive_v, 2 * threshold_v))
    rate = 1.0 / (refractory_s + tau_s * torch.log(safe / (safe - threshold_v)))
    return torch.where(above, rate, torch.zeros_like(rate))


def simulate_lif(
    current_a: torch.Tensor,
    duration_s: float = 0.5,
    dt_s: float = 1e-4,
    tau_s: float = 0.02,
    resistance_ohm: float = 5e7,
    threshold_v: float = 0.02,
    reset_mechanism: str = "zero",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Membrane voltage and spikes of snntorch LIF neurons under constant currents.

    One neuron per entry of ``current_a``.  The discrete membrane is the exact
    solution of the RC equation over a step: ``V[t+1] = beta V[t] + (1 - beta)
    R I`` with ``beta = exp(-dt / tau)`` (chapter ``lif_neurons``).

    Returns:
        ``(membrane_v, spikes)``, each of shape ``(steps, len(current_a))``.
    """
    current = torch.as_tensor(current_a, dtype=torch.float32).reshape(-1)
    beta = math.exp(-dt_s / tau_s)
    neuron = snn.Leaky(
        beta=beta, threshold=threshold_v, reset_mechanism=reset_mechanism
    )
    neuron.reset_mem()
    drive = (1.0 - beta) * resistance_ohm * current
    mem = torch.zeros_like(drive)
    trace, spikes = [], []
    with torch.no_grad():
        for _ in range(round(duration_s / dt_s)):
            spk, mem = neuron(drive, mem)
            trace.append(mem)
            spikes.append(spk)
    return torch.stack(trace), torch.stack(spikes)


def firing_rate_hz(
    current_a: torch.Tensor, duration_s: float = 0.5, **lif
) -> torch.Tensor:
    """Simulated firing rate (spikes per second) for each constant current (ch. 4).

    Keyword arguments go to :func:`simulate_lif`.

    Example:
        >>> firing_rate_hz(torch.tensor([0.0, 1e-9])).round()
        tensor([ 0., 96.])
    """
    _, spikes = simulate_lif(current_a, duration_s=duration_s, **lif)
    return spikes.sum(dim=0) / duration_s
