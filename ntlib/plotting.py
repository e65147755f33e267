"""The book's matplotlib style and small plotting helpers (every chapter)."""

from __future__ import annotations

import math
import numbers
import re

import matplotlib as mpl
import pandas as pd

BOOK_STYLE: dict[str, object] = {
    "figure.figsize": (6.4, 3.6),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    # Figures are vector graphics (sharp at any screen density); a fixed
    # salt keeps their element ids, and so the built files, the same from
    # one build to the next.
    "svg.fonttype": "path",
    "svg.hashsalt": "ntbook",
    "figure.constrained_layout.use": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.titlesize": "medium",
    "axes.labelsize": "medium",
    "legend.frameon": False,
    "font.size": 10,
    "legend.fontsize": 9,
    "lines.linewidth": 1.6,
    "axes.prop_cycle": mpl.cycler(
        color=["#1f5aa6", "#d1495b", "#2a9d8f", "#edae49", "#6c4f9c", "#5c5c5c"]
    ),
}


#: The format a notebook shows its figures in: vector, so they stay sharp on
#: high-density screens, and small once a server gzips them.
FIGURE_FORMAT = "svg"


def use_style() -> None:
    """Apply the book's figure style to matplotlib (called in each setup cell).

    In a notebook it also makes the kernel show (and glue) figures as
    :data:`FIGURE_FORMAT`.
    """
    mpl.rcParams.update(BOOK_STYLE)
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with the book
        return
    if get_ipython() is not None:
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats(FIGURE_FORMAT)


#: The smallest text on a figure, points: legends, tick labels, annotations.
MIN_FONT_PT = 9


def legend_outside(ax, **kwargs):
    """A legend beside ``ax``, outside its data, at least :data:`MIN_FONT_PT` (figures).

    By default to the right of the axes (``loc="upper left"`` at
    ``bbox_to_anchor=(1.02, 1.0)``); the figure's constrained layout makes
    room for it.  ``kwargs`` go to :meth:`matplotlib.axes.Axes.legend`: pass
    ``loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3`` to set it
    below instead.  A ``fontsize`` below :data:`MIN_FONT_PT` is a ValueError.

    Example:
        >>> import matplotlib.pyplot as plt
        >>> fig, ax = plt.subplots()
        >>> _ = ax.plot([0, 1], label="rate")
        >>> legend_outside(ax).get_texts()[0].get_fontsize() >= MIN_FONT_PT
        True
        >>> plt.close(fig)
    """
    from matplotlib.font_manager import FontProperties

    if "bbox_to_anchor" not in kwargs:
        kwargs.setdefault("loc", "upper left")
        kwargs["bbox_to_anchor"] = (1.02, 1.0)
    kwargs.setdefault("borderaxespad", 0.0)
    size = FontProperties(size=kwargs.get("fontsize", mpl.rcParams["legend.fontsize"]))
    if size.get_size_in_points() < MIN_FONT_PT:
        raise ValueError(
            f"a legend needs at least {MIN_FONT_PT} pt to be read; got "
            f"{size.get_size_in_points():g} pt: leave fontsize out"
        )
    return ax.legend(**kwargs)


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

    def fmt(value: object) -> object:
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return _number(value)
        return value

    return frame.map(fmt)


#: A header that reads like code, not like a name: ``input_shape``, ``power_w``.
_CODE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+$")


def _number(value: object) -> str:
    """One cell: whole numbers with separators, others to four significant figures."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return str(value)
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if not math.isfinite(value):
        return str(value)
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def table(frame: pd.DataFrame, formats: dict[str, str] | None = None):
    """A DataFrame styled for the page: every chapter's tables go through it.

    Whole numbers get thousands separators, other numbers four significant
    figures (at least their whole part), unless ``formats`` gives a column its
    own format string (``{"accuracy (%)": "{:.2f}"}``).  An unnamed index
    counting 0, 1, 2, ... is hidden.  A column or index named like code
    (``input_shape``) is a ValueError: name it for a reader, with its unit.

    Example:
        >>> styled = table(pd.DataFrame({"synapses": [435840], "rate (kHz)": [21.7]}))
        >>> "435,840" in styled.to_html() and "21.7" in styled.to_html()
        True
    """
    formats = dict(formats or {})
    names = [str(c) for c in frame.columns] + [str(n) for n in frame.index.names
                                               if n is not None]
    coded = [n for n in names if _CODE_NAME.match(n)]
    if coded:
        raise ValueError(f"name these columns for a reader, with units: {coded}")
    unknown = set(formats) - {str(c) for c in frame.columns}
    if unknown:
        raise ValueError(f"formats name no column of the table: {sorted(unknown)}")
    styled = frame.style.format(_number)
    for column, spec in formats.items():
        styled = styled.format(spec, subset=[column])
    counting = (isinstance(frame.index, pd.RangeIndex) and frame.index.name is None
                and frame.index.start == 0 and frame.index.step == 1)
    if counting:
        styled = styled.hide(axis="index")
    return styled
