"""The shape of ntlib: data flows one way, no import cycle, small modules.

The import graph is read from the source with ``ast`` (every ``import``,
including the lazy ones inside functions), so a cycle that only closes when
some function runs is caught too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "ntlib"
MAX_MODULE_LINES = 400

#: The book's flow, lowest first: a module may import its own layer and the
#: layers before it, never a later one.  A prefix ending in "." names a
#: package's modules.
LAYERS: tuple[tuple[str, ...], ...] = (
    # plumbing every chapter shares
    ("ntlib.checks", "ntlib.seed", "ntlib.machine", "ntlib.cache", "ntlib.parallel",
     "ntlib.chapters", "ntlib.verdict"),
    # chapter 1: the data sets and their checks
    ("ntlib.data_checks", "ntlib.datasets", "ntlib.data"),
    # chapters 1, 4 and 5: the networks and neuron models
    ("ntlib.models", "ntlib.qcfs", "ntlib.lif"),
    # chapters 2 and 10: the modulatory bias and gain on each neuron
    ("ntlib.modulation",),
    # chapters 2 and 3: the tuning methods' table and parameter counts
    ("ntlib.tuning",),
    # chapters 1 and 2: training, pretraining, one transfer experiment
    ("ntlib.train", "ntlib.memory_lean", "ntlib.pretrain", "ntlib.transfer"),
    # chapters 5, 6 and 9: spiking networks, their conversion and activity, 3-bit
    # weights
    ("ntlib.quantise", "ntlib.snn_checks", "ntlib.snn", "ntlib.conversion",
     "ntlib.snn_train", "ntlib.activity"),
    # chapters 7 and 8: the analog neuron in SPICE
    ("ntlib.circuits.",),
    # chapter 9: energy against digital hardware
    ("ntlib.energy",),
    # chapters 10 and 11: the chip (design, simulator, cost, calibration)
    ("ntlib.chip.",),
    # readers of everything: figures, widgets, the command line, the facade
    ("ntlib.plotting", "ntlib.static_explorer", "ntlib.live_spice",
     "ntlib.live_explorer", "ntlib.widgets", "ntlib.cli.", "ntlib.__main__", "ntlib"),
)


def module_name(path: Path) -> str:
    parts = ("ntlib", *path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: dict[str, Path] = {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _resolve(name: str) -> str | None:
    """The ntlib module ``name`` refers to (a module or a name inside one)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str) -> set[str]:
    """Every ntlib module that ``module`` imports, at the top or inside a function."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0]
                base = f"{anchor}.{base}" if base else anchor
            names = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            target = _resolve(name) if name.startswith("ntlib") else None
            if target and target != module:
                found.add(target)
    return found


GRAPH: dict[str, set[str]] = {m: imports_of(m) for m in MODULES}


def layer_of(module: str) -> int:
    for index, members in enumerate(LAYERS):
        for member in members:
            inside = member.endswith(".") and f"{module}.".startswith(member)
            if module == member or inside:
                return index
    raise AssertionError(
        f"{module} has no layer in tests/test_architecture.py LAYERS; add it where "
        "it belongs in the book's flow"
    )


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each strongly connected group of modules (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_the_graph_sees_lazy_imports():
    # simulator imports design at the top; tuning imports models inside
    # architecture_param_counts: both must be in the graph.
    assert "ntlib.chip.design" in GRAPH["ntlib.chip.simulator"]
    assert "ntlib.models" in GRAPH["ntlib.tuning"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [
        ["a", "b", "c"]
    ]


def test_no_import_cycle():
    # The facade ``ntlib/__init__.py`` re-exports from its modules and holds
    # ``__version__``, which the command line and the circuit cache read; it
    # is no layer of its own.
    graph = {m: deps - {"ntlib"} for m, deps in GRAPH.items() if m != "ntlib"}
    assert cycles(graph) == []


def test_every_module_has_a_layer():
    for module in MODULES:
        layer_of(module)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_imports_a_later_layer(module):
    if module == "ntlib":
        return
    upward = sorted(
        target
        for target in GRAPH[module] - {"ntlib"}
        if layer_of(target) > layer_of(module)
    )
    assert upward == [], f"{module} (layer {layer_of(module)}) imports {upward}"


def test_no_module_over_400_lines():
    long = {
        str(path.relative_to(ROOT.parent)): n
        for path in MODULES.values()
        if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}, f"a module past {MAX_MODULE_LINES} lines is two topics: {long}"


def test_the_package_docstring_maps_every_module() -> None:
    import ntlib

    top_level = {name.split(".")[1] for name in MODULES if name.count(".") >= 1}
    missing = sorted(n for n in top_level if f"``{n}``" not in (ntlib.__doc__ or ""))
    assert missing == [], f"ntlib/__init__.py's module map omits {missing}"
