"""The book's chapters, by key: the one table the library's references read.

A docstring in ``ntlib`` names the chapter that explains it by a key in
double backquotes, "the analog neuron (chapter ``analog_neuron``)", never by
its number: renumbering or renaming a chapter changes this table alone.  The
key is the notebook's file name without its number, so a reader finds the
chapter with ``ls book/*analog_neuron*``, or with :func:`chapter_path`.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from ntlib.checks import check_choice

#: Chapter key -> notebook stem in ``book/`` (its two digits are its number).
CHAPTERS: dict[str, str] = {
    "toolbox": "00_toolbox",
    "frozen_cnn": "01_frozen_cnn",
    "neuromodulatory_tuning": "02_neuromodulatory_tuning",
    "orders_of_magnitude": "03_orders_of_magnitude",
    "lif_neurons": "04_lif_neurons",
    "ann_to_snn": "05_ann_to_snn",
    "nt_in_snn": "06_nt_in_snn",
    "analog_neuron": "07_analog_neuron",
    "supply_voltage": "08_supply_voltage",
    "energy": "09_energy",
    "chip": "10_chip",
    "calibration": "11_calibration",
    "verdict": "12_verdict",
}


def _stem(key: str) -> str:
    return CHAPTERS[check_choice("chapter", key, CHAPTERS)]


def chapter_number(key: str) -> int:
    """The number of the chapter called ``key``.

    Example:
        >>> chapter_number("analog_neuron")
        7
    """
    return int(_stem(key).split("_", 1)[0])


def chapter_path(key: str) -> PurePosixPath:
    """The notebook of the chapter called ``key``, relative to the repository.

    Example:
        >>> str(chapter_path("chip"))
        'book/10_chip.ipynb'
    """
    return PurePosixPath("book") / f"{_stem(key)}.ipynb"
