"""Energy counting of ntlib.energy (chapter 9)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ntlib.activity import LayerActivity
from ntlib.energy import (
    DRAM_ACCESS_PJ_RANGE,
    OPERATION_ENERGY_PJ,
    analog_breakdown_j,
    bias_power_w,
    conv2d_layer,
    dense_layer,
    digital_energy_j,
    digital_rows,
    interpolate_bias_power_w,
    layers_from_module,
    memory_tier,
    memory_traffic,
    realisable_biases,
)


def test_mac_counts() -> None:
    assert conv2d_layer("c", 8, 16, 3, 4, 4).macs == 16 * 16 * 8 * 9
    assert conv2d_layer("c", 8, 16, 3, 4, 4).neurons == 256
    assert conv2d_layer("c", 8, 16, 3, 4, 4).params == 16 * (8 * 9 + 1)
    assert dense_layer("d", 64, 32).macs == 2048
    assert dense_layer("d", 64, 32).params == 65 * 32


def test_digital_energy_uses_horowitz_table() -> None:
    layers = [dense_layer("d", 100, 10)]
    assert digital_energy_j(layers, "int8") == pytest.approx(1000 * 0.23e-12)
    assert digital_energy_j(layers, "fp32") == pytest.approx(1000 * 4.6e-12)
    assert OPERATION_ENERGY_PJ["fp32"]["multiply"] == 3.7
    with pytest.raises(ValueError, match="fp32"):
        digital_energy_j(layers, "fp8")


def test_memory_tiers_follow_horowitz() -> None:
    assert memory_tier(8 * 1024) == (10.0, "8 KB SRAM")
    assert memory_tier(8 * 1024 + 1) == (20.0, "32 KB SRAM")
    assert memory_tier(500_000) == (100.0, "1 MB SRAM")
    assert memory_tier(2**21) == (DRAM_ACCESS_PJ_RANGE[0], "DRAM")
    with pytest.raises(ValueError, match="size_bytes"):
        memory_tier(-1)


def test_memory_traffic_counts_each_weight_once_and_activations_twice() -> None:
    layers = [dense_layer("a", 256, 128), dense_layer("b", 128, 10)]
    params = 257 * 128 + 129 * 10  # 34,186 numbers
    fp32 = memory_traffic(layers, "fp32")
    assert fp32["weight_accesses"] == params // 2  # two fp32 per 64-bit word
    assert fp32["weight_memory"] == "1 MB SRAM"  # 136,744 bytes
    assert fp32["activation_accesses"] == (256 + 128) // 2 + (128 + 10) // 2
    assert fp32["activation_memory"] == "8 KB SRAM"
    expected_pj = params // 2 * 100.0 + (192 + 69) * 10.0
    assert fp32["energy_j"] == pytest.approx(expected_pj * 1e-12)
    int8 = memory_traffic(layers, "int8")
    assert int8["weight_accesses"] == -(-params // 8)
    assert int8["weight_memory"] == "1 MB SRAM"  # 34,186 bytes > 32 KB
    rows = digital_rows(layers, "int8")
    assert rows["with_memory_j"] == pytest.approx(
        rows["arithmetic_j"] + int8["energy_j"]
    )
    with pytest.raises(ValueError, match="params and inputs"):
        memory_traffic([dataclasses.replace(dense_layer("a", 4, 4), inputs=0)], "fp32")


def test_layers_from_module_counts_conv_and_dense() -> None:
    torch = pytest.importorskip("torch")
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.AvgPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(64, 10),
    )
    layers = layers_from_module(net, (1, 8, 8))
    assert [layer.macs for layer in layers] == [8 * 8 * 4 * 9, 640]
    assert [layer.neurons for layer in layers] == [256, 10]
    assert [layer.params for layer in layers] == [4 * 10, 650]
    assert [layer.inputs for layer in layers] == [64, 64]


def test_analog_breakdown_sums_events_by_code_spikes_and_static_power() -> None:
    layers = [
        LayerActivity("a", 6, 3, 24.0, 16.0, {0: 8.0, 7: 16.0}),
        LayerActivity("b", 6, 2, 32.0, 0.0, {-4: 8.0, 2: 24.0}),
    ]
    event_j = {0: 1e-14, 7: 7e-13, -4: 5e-13, 2: 2e-13}
    parts = analog_breakdown_j(layers, event_j, 3e-12, 1e-9, 4e-8, 1e-4)
    assert parts["events"] == pytest.approx(
        8 * 1e-14 + 16 * 7e-13 + 8 * 5e-13 + 24 * 2e-13
    )
    assert parts["spikes"] == pytest.approx(16 * 3e-12)
    assert parts["neuron_static"] == pytest.approx(5 * 1e-9 * 1e-4)
    assert parts["bias_static"] == pytest.approx(4e-8 * 1e-4)
    assert parts["total"] == pytest.approx(
        sum(v for k, v in parts.items() if k != "total")
    )
    with pytest.raises(ValueError, match=r"codes \[7\]"):
        analog_breakdown_j(layers, {0: 0.0, -4: 0.0, 2: 0.0}, 0.0, 0.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="quantise_layers"):
        analog_breakdown_j([LayerActivity("c", 1, 1, 1.0, 0.0)], event_j, 0, 0, 0, 1)
    with pytest.raises(ValueError, match="inference_time_s"):
        analog_breakdown_j(layers, event_j, 0.0, 0.0, 0.0, 0.0)


def test_bias_power_from_a_table_or_a_function() -> None:
    table = {-2.0: 20e-9, 0.0: 0.0, 1.0: 8e-9, 3.0: 33e-9}
    power = interpolate_bias_power_w(table, np.array([-1.0, 0.0, 2.0]))
    assert power == pytest.approx([10e-9, 0.0, 20.5e-9])
    assert bias_power_w(lambda b: abs(b) * 1e-8, np.array([-1.0, 0.5])) == (
        pytest.approx([1e-8, 5e-9])
    )
    with pytest.raises(ValueError, match=r"\[-2, 3\]"):
        bias_power_w(table, np.array([3.5]))


def test_realisable_biases_clip_to_the_range_and_snap_across_the_gap() -> None:
    biases = np.array([-60.0, -1.0, -0.01, 0.0, 0.004, 0.012, 0.5, 50.0])
    held = realisable_biases(biases, (-57.5, 47.6), (-0.002, 0.0175))
    assert held.tolist() == [-57.5, -1.0, -0.01, 0.0, 0.0, 0.0175, 0.5, 47.6]
    with pytest.raises(ValueError, match="bias_gap"):
        realisable_biases(biases, (-1.0, 1.0), (0.1, 0.2))
