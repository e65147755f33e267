"""Slices of every layer of the chip, as SPICE netlists of their own.

See chapter ``chip``.

A layer is a crossbar: neuron ``n`` has a synapse of code ``C[n, m]`` on
input line ``m`` (for a convolution, one per kernel element and position;
:func:`layer_codes` writes the whole matrix).  The neurons of a layer share
only their input lines, so any set of neurons with *all* their input lines
is a layer of its own: a *slice*.  Each line still carries its whole
fan-out: the slice's synapses as transistors, every other synapse of the
line as the charge its gates take (:func:`ntlib.chip.drivers.unit_gate_capacitance_f`),
and its driver is sized for all of them (:func:`ntlib.chip.drivers.driver_strength`).

A mismatched chip's draw (the :class:`~ntlib.chip.simulator.Chip`'s
``synapse_mismatch``, ``bias_mismatch`` and ``threshold_mismatch``) reaches
the netlist unchanged: each synapse's drawn current factor scales its
instance multiplier, each bias source's moves its supply to the one at which
the measured source gives that current, and a neuron's drawn threshold
divides all of its input currents (the same membrane trajectory in units of
its own threshold).

Slices are named by layer (:func:`layer_keys`: ``conv1``, ``conv2``,
``dense``, ``output`` for the book's network) and chosen by
:func:`slice_neurons` (:func:`check_slice` checks one against a layer's
shape before any work): for a convolution some channels over a square patch
at the centre, for a dense layer its first neurons.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ntlib.chip.design import ChipDesign, ChipLayer
from ntlib.chip.simulator import Chip
from ntlib.chip.spice_layer import LayerCircuit
from ntlib.models import DEFAULT_WIDTH, build_cnn


def layer_keys(design: ChipDesign) -> list[str]:
    """Names of the layers: ``conv1``, ``conv2``..., ``dense`` (or ``dense1``...),
    ``output`` (the last layer)."""
    layers = design.layers
    convs = [i for i, la in enumerate(layers[:-1]) if la.conv is not None]
    dense = [i for i, la in enumerate(layers[:-1]) if la.conv is None]
    keys = {i: f"conv{k + 1}" for k, i in enumerate(convs)}
    keys |= {i: "dense" if len(dense) == 1 else f"dense{k + 1}"
             for k, i in enumerate(dense)}
    keys[len(layers) - 1] = "output"
    return [keys[i] for i in range(len(layers))]


def layer_index(design: ChipDesign, key: str) -> int:
    """The index of layer ``key``; a ValueError naming the keys otherwise."""
    keys = layer_keys(design)
    if key not in keys:
        raise ValueError(f"unknown layer {key!r}; choose one of {', '.join(keys)}")
    return keys.index(key)


def input_shape(design: ChipDesign, index: int) -> tuple[int, ...]:
    """Shape of what layer ``index`` receives (one image, no batch)."""
    shape = tuple(design.input_shape)
    count = 0
    for kind, op in design.ops:
        if kind == "layer":
            if count == index:
                return shape
            shape, count = tuple(op.out_shape), count + 1
        elif kind == "pool":
            shape = (shape[0], shape[1] // op, shape[2] // op)
        else:
            shape = (int(np.prod(shape)),)
    raise IndexError(f"the design has no layer {index}")


def _conv_matrix(layer: ChipLayer, in_shape, kernel: torch.Tensor) -> np.ndarray:
    """``(N, M)`` of a convolution with one kernel per position ``(P, O, K)``."""
    conv = layer.conv
    lines = int(np.prod(in_shape))
    eye = torch.eye(lines, dtype=torch.float64).view(lines, *in_shape)
    patches = F.unfold(eye, conv["kernel_size"], padding=conv["padding"],
                       stride=conv["stride"])  # (M, K, P)
    out = torch.einsum("mkp,pok->opm", patches, kernel)  # (O, P, M)
    return out.reshape(-1, lines).numpy()


def _matrix(layer: ChipLayer, in_shape, weights: torch.Tensor) -> np.ndarray:
    if layer.conv is None:
        return weights.numpy().astype(np.float64)
    positions = int(np.prod(layer.out_shape[1:]))
    if weights.dim() == 4:  # one kernel shared by every position
        weights = weights.unsqueeze(0).expand(positions, *weights.shape)
    kernel = weights.flatten(2).to(torch.float64)  # (P, O, K)
    return _conv_matrix(layer, in_shape, kernel)


def layer_codes(design: ChipDesign, index: int) -> np.ndarray:
    """The layer's codes as a crossbar: ``(neurons, input lines)`` integers."""
    layer = design.layers[index]
    codes = _matrix(layer, input_shape(design, index), layer.codes.to(torch.float64))
    return np.rint(codes).astype(np.int8)


def _threshold(chip: Chip, index: int) -> np.ndarray:
    """Each neuron's drawn threshold in nominal thresholds (1 on a nominal chip)."""
    drawn = getattr(chip, "threshold_mismatch", [None] * (index + 1))[index]
    neurons = chip.design.layers[index].neurons
    return np.ones(neurons) if drawn is None else np.asarray(drawn, dtype=float)


def synapse_factors(chip: Chip, index: int) -> np.ndarray:
    """Each synapse's drawn current factor in the crossbar: ``(neurons, lines)``.

    The chip's ``synapse_mismatch`` over its neuron's drawn threshold
    (``threshold_mismatch``): to the membrane, a threshold ``f`` times the
    nominal one is the nominal one with every input current divided by ``f``.
    1 where the code is 0 or the chip is nominal.
    """
    layer = chip.design.layers[index]
    drawn = chip.synapse_mismatch[index]
    threshold = _threshold(chip, index)[:, None]
    if drawn is None:
        return np.ones((layer.neurons, int(np.prod(input_shape(chip.design, index)))))
    factor = _matrix(layer, input_shape(chip.design, index),
                     drawn.to(torch.float64) * layer.codes.to(torch.float64))
    codes = layer_codes(chip.design, index)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(codes != 0, factor / np.where(codes != 0, codes, 1)
                        / threshold, 1.0)


def bias_supplies(chip: Chip, index: int) -> tuple[np.ndarray, np.ndarray]:
    """Each neuron's bias supplies ``(source, sink)`` as this chip's sources see them.

    A source whose current is ``f`` times the nominal one (its draw
    ``bias_mismatch`` over its neuron's ``threshold_mismatch``) is the
    nominal source at the supply that gives ``f`` times the current (the
    measured curves of :class:`~ntlib.chip.circuit_model.CircuitModel`).
    """
    layer = chip.design.layers[index]
    source = np.asarray(layer.bias_source_v, dtype=float)
    sink = np.asarray(layer.bias_sink_v, dtype=float)
    drawn = chip.bias_mismatch[index]
    if drawn is None:
        return source, sink
    factor = np.asarray(drawn, dtype=float) / _threshold(chip, index)
    curves = chip.circuit

    def moved(volts: np.ndarray, curve) -> np.ndarray:
        supply, current = map(np.asarray, curve)
        amps = np.interp(volts, supply, current) * factor
        return np.where(volts > 0, np.interp(amps, current, supply), 0.0)

    return moved(source, curves.bias_source), moved(sink, curves.bias_sink)


def network_layer_shapes(
    input_shape: tuple[int, ...], classes: int = 10, width: int = DEFAULT_WIDTH
) -> dict[str, tuple[int, ...]]:
    """The output shape of each layer of the book's CNN, by key, without training.

    Example:
        >>> network_layer_shapes((1, 8, 8))["conv2"]
        (32, 8, 8)
    """
    model = build_cnn(tuple(input_shape), classes, width)
    shapes, x = [], torch.zeros((1, *input_shape))
    with torch.no_grad():
        for module in model:
            x = module(x)
            if isinstance(module, (torch.nn.Conv2d, torch.nn.Linear)):
                shapes.append(tuple(x.shape[1:]))
    keys = [f"conv{i + 1}" for i in range(len(shapes) - 2)] + ["dense", "output"]
    return dict(zip(keys, shapes, strict=True))


def check_slice(
    key: str, out_shape: tuple[int, ...], neurons: int | None = None,
    channels: int | None = None, patch: int | None = None,
) -> np.ndarray:
    """Indices (flattened, in the layer's order) of a slice of a layer of ``out_shape``.

    Convolution (``out_shape`` of 3): ``channels`` (default 1) first output
    channels over a ``patch`` by ``patch`` (default 2) square of positions at
    the centre.  Dense: the first ``neurons`` (default all).  A ValueError,
    naming the layer's size, for a slice larger than the layer.
    """
    if len(out_shape) == 1:
        if channels is not None or patch is not None:
            raise ValueError(f"layer {key} is dense: give --neurons, not "
                             "--channels or --patch")
        size = out_shape[0]
        count = size if neurons is None else neurons
        if not 1 <= count <= size:
            raise ValueError(f"layer {key} has {size} neurons; a slice holds 1 to "
                             f"{size}, got {count}")
        return np.arange(count)
    if neurons is not None:
        raise ValueError(f"layer {key} is a convolution: give --channels and "
                         "--patch, not --neurons")
    out, height, width = out_shape
    channels = 1 if channels is None else channels
    patch = 2 if patch is None else patch
    if not 1 <= channels <= out:
        raise ValueError(f"layer {key} has {out} channels; a slice holds 1 to "
                         f"{out}, got {channels}")
    if not 1 <= patch <= min(height, width):
        raise ValueError(f"layer {key} has {height} x {width} positions; a patch "
                         f"is 1 to {min(height, width)} wide, got {patch}")
    top, left = (height - patch) // 2, (width - patch) // 2
    grid = ((top + np.arange(patch))[:, None] * width
            + (left + np.arange(patch))[None, :]).ravel()
    return (np.arange(channels)[:, None] * height * width + grid[None, :]).ravel()


def slice_neurons(
    design: ChipDesign, key: str, neurons: int | None = None,
    channels: int | None = None, patch: int | None = None,
) -> np.ndarray:
    """:func:`check_slice` of layer ``key`` of ``design``."""
    layer = design.layers[layer_index(design, key)]
    return check_slice(key, tuple(layer.out_shape), neurons, channels, patch)


def slice_circuit(
    chip: Chip, index: int, neurons: np.ndarray
) -> tuple[LayerCircuit, np.ndarray]:
    """The slice's :class:`LayerCircuit` and the input lines it keeps.

    The lines are those any of the slice's neurons has a synapse on; each
    keeps the units of the layer's other neurons as its ``outside_units``.
    """
    design = chip.design
    layer = design.layers[index]
    if layer.neuron_gain is not None:
        raise ValueError("a layer with a synapse supply per neuron has no SPICE slice")
    codes = layer_codes(design, index)
    neurons = np.asarray(neurons)
    inside = np.zeros(codes.shape[0], dtype=bool)
    inside[neurons] = True
    lines = np.flatnonzero(np.any(codes[neurons] != 0, axis=0))
    rest = codes[~inside][:, lines].astype(int)
    outside = np.stack([np.clip(rest, 0, None).sum(0),
                        np.clip(-rest, 0, None).sum(0)], axis=1)
    source, sink = bias_supplies(chip, index)
    factors = synapse_factors(chip, index)[np.ix_(neurons, lines)]
    circuit = LayerCircuit(
        codes=codes[np.ix_(neurons, lines)].astype(int),
        excite_supply_v=layer.excite_supply_v,
        inhibit_supply_v=layer.inhibit_supply_v,
        bias_supply_v=source[neurons], bias_sink_supply_v=sink[neurons],
        corner=chip.circuit.corner, temp_c=chip.circuit.temp_c,
        synapse_factor=None if chip.mismatch_seed is None else factors,
        outside_units=outside,
        # a membrane starting at a fraction of its drawn threshold, on the
        # nominal comparator that the scaled currents above assume
        initial_membrane_v=(design.initial_membrane * chip.circuit.threshold_v
                            / _threshold(chip, index)[neurons])
        if design.initial_membrane else None,
    )
    return circuit, lines
