"""The book's matplotlib style and small plotting helpers (every chapter)."""

from __future__ import annotations

import matplotlib as mpl
import pandas as pd

BOOK_STYLE: dict[str, object] = {
    "figure.figsize": (6.4, 3.6),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "figure.constrained_layout.use": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.titlesize": "medium",
    "axes.labelsize": "medium",
    "legend.frameon": False,
    "legend.fontsize": 9,
    "lines.linewidth": 1.6,
    "axes.prop_cycle": mpl.cycler(
        color=["#1f5aa6", "#d1495b", "#2a9d8f", "#edae49", "#6c4f9c", "#5c5c5c"]
    ),
}


def use_style() -> None:
    """Apply the book's figure style to matplotlib (called in each setup cell)."""
    mpl.rcParams.update(BOOK_STYLE)


def glue(name: str, value: object, display: bool = False) -> None:
    """Keep a computed value for the prose, as myst-nb's ``glue`` does (every chapter).

    NumPy and torch scalars are turned into plain Python numbers first: NumPy 2
    writes ``np.float64(0.9)`` as their text, which ``{glue:text}`` cannot
    format, and the sentence would show an empty gap.

    Example:
        >>> import numpy as np
        >>> glue("accuracy", np.float64(0.9))
    """
    from myst_nb import glue as myst_glue

    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "ndim", None) == 0:
        value = item()
    myst_glue(name, value, display=display)


def thousands(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose whole numbers read ``136,586`` (chapters' tables).

    Floats are left to the frame's own formatting; only integers (Python or
    NumPy) are written with thousands separators, so a table shows large
    counts the way the prose does.

    Example:
        >>> import pandas as pd
        >>> thousands(pd.DataFrame({"params": [136586]})).iloc[0, 0]
        '136,586'
    """
    import numbers

    def fmt(value: object) -> object:
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return f"{int(value):,}"
        return value

    return frame.map(fmt)
