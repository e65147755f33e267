"""Energy counting of ntlib.energy (chapter 9)."""

from __future__ import annotations

import pytest

from ntlib.energy import (
    OPERATION_ENERGY_PJ,
    analog_energy_j,
    compare,
    conv2d_layer,
    dense_layer,
    digital_energy_j,
    digits_cnn_layers,
    layers_from_module,
)


def test_mac_counts() -> None:
    assert conv2d_layer("c", 8, 16, 3, 4, 4).macs == 16 * 16 * 8 * 9
    assert conv2d_layer("c", 8, 16, 3, 4, 4).neurons == 256
    assert dense_layer("d", 64, 32).macs == 2048
    assert sum(layer.macs for layer in digits_cnn_layers()) == 4608 + 18432 + 2048 + 320


def test_digital_energy_uses_horowitz_table() -> None:
    layers = [dense_layer("d", 100, 10)]
    assert digital_energy_j(layers, "int8") == pytest.approx(1000 * 0.23e-12)
    assert digital_energy_j(layers, "fp32") == pytest.approx(1000 * 4.6e-12)
    assert OPERATION_ENERGY_PJ["fp32"]["multiply"] == 3.7
    with pytest.raises(ValueError, match="fp32"):
        digital_energy_j(layers, "fp8")


def test_analog_energy_and_comparison() -> None:
    layers = [dense_layer("d", 10, 10)]
    analog = analog_energy_j(layers, 1e-13, 1e-11, 2.0, 1.0)
    assert analog == pytest.approx(100 * 2 * 1e-13 + 10 * 1e-11)
    result = compare(layers, 1e-13, 1e-11, 2.0, 1.0, conditions={"supply": "1.0 V"})
    assert result["ratio"]["fp32"] == pytest.approx(100 * 4.6e-12 / analog)
    assert result["assumptions"]["supply"] == "1.0 V"
    with pytest.raises(ValueError):
        analog_energy_j(layers, 1e-13, 1e-11, -1.0, 1.0)


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
