"""Measured spikes and synaptic events per layer, ntlib.activity (chapter 9)."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from ntlib.activity import measure_activity
from ntlib.conversion import convert
from ntlib.quantise import quantise_layers
from ntlib.snn import evaluate_snn

T = 8


pytestmark = pytest.mark.usefixtures("one_thread")


def _hand_network() -> tuple[nn.Sequential, TensorDataset]:
    """Two pixels, one always on and one always off; counts follow by hand.

    Hidden neurons 1 and 2 see the on pixel with weight 1 and fire at every
    step; neuron 3 sees only the off pixel and never fires.
    """
    net = nn.Sequential(nn.Flatten(), nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2))
    with torch.no_grad():
        net[1].weight.copy_(torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))
        net[1].bias.zero_()
        net[3].weight.copy_(torch.tensor([[1.0, -0.6, 0.2], [0.25, 0.0, 1.0]]))
        net[3].bias.zero_()
    x = torch.tensor([[[[1.0, 0.0]]]]).repeat(3, 1, 1, 1)
    return net, TensorDataset(x, torch.zeros(3, dtype=torch.long))


def test_counts_match_a_hand_computation() -> None:
    net, data = _hand_network()
    spiking = convert(net, data, norm="max")
    report = measure_activity(spiking, data, T, codes=quantise_layers(net))
    hidden, output = report.layers
    assert (hidden.synapses, hidden.neurons) == (6, 3)
    assert (output.synapses, output.neurons) == (6, 2)
    # one pixel spikes T times and reaches 3 synapses
    assert hidden.events == pytest.approx(3 * T)
    # two hidden neurons spike T times each; each reaches 2 synapses
    assert hidden.spikes == pytest.approx(2 * T)
    assert output.events == pytest.approx(4 * T)
    assert output.spikes == 0.0
    assert hidden.events_per_synapse == pytest.approx(3 * T / 6)
    assert hidden.spikes_per_neuron == pytest.approx(2 * T / 3)
    # codes: hidden [[7, 0], [7, 0], [0, 7]]; output [[7, -4, 1], [2, 0, 7]]
    assert hidden.events_by_code == pytest.approx({0: T, 7: 2 * T})
    assert output.events_by_code == pytest.approx({-4: T, 0: T, 1: 0, 2: T, 7: T})
    assert output.mean_abs_code() == pytest.approx((4 + 0 + 2 + 7) / 4)
    assert report.samples == 3 and report.total_events() == pytest.approx(7 * T)


def test_events_agree_with_the_converters_synaptic_operations() -> None:
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(4, 4, 3, padding=1),
        nn.ReLU(),
        nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Linear(16, 8),
        nn.ReLU(),
        nn.Linear(8, 3),
    )
    data = TensorDataset(torch.rand(40, 1, 4, 4), torch.randint(0, 3, (40,)))
    spiking = convert(net, data)
    report = measure_activity(spiking, data, 16, batch_size=16, seed=3)
    reference = evaluate_snn(spiking, data, [16], "rate", batch_size=16, seed=3)
    assert report.total_events() == pytest.approx(
        reference.synaptic_ops_per_inference[16], rel=1e-6
    )
    assert report.total_spikes() == pytest.approx(
        reference.spikes_per_inference[16], rel=1e-6
    )
    assert report.accuracy == pytest.approx(reference.accuracy[16])
    # zero padding: corner pixels reach fewer than 4 x 9 synapses
    assert report.layers[0].synapses < 16 * 4 * 9
    assert report.layers[0].events_by_code == {}


def test_bad_input_is_refused() -> None:
    net, data = _hand_network()
    spiking = convert(net, data)
    with pytest.raises(ValueError, match="coding='rate'"):
        measure_activity(spiking, data, T, coding="direct")
    with pytest.raises(ValueError, match="positive integer"):
        measure_activity(spiking, data, 0)
    with pytest.raises(ValueError, match="quantise_layers"):
        measure_activity(spiking, data, T, codes=quantise_layers(net)[:1])
