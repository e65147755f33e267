"""Figures a reader can read: legends beside the data, no text under 9 pt."""

from __future__ import annotations

import json
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from ntlib.plotting import MIN_FONT_PT, legend_outside, use_style  # noqa: E402
from ntlib.widgets import plot_schematic  # noqa: E402

BOOK = Path(__file__).resolve().parents[1] / "book"
SMALL = re.compile(r'fontsize\s*=\s*("(?:x-|xx-)?small"|[0-8](?:\.\d+)?\b)')


def chapter_code() -> dict[str, str]:
    code = {}
    for path in sorted(BOOK.glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        code[path.name] = "\n".join("".join(c["source"]) for c in cells
                                    if c["cell_type"] == "code")
    return code


@pytest.mark.parametrize("kwargs", [{}, {"loc": "upper center",
                                          "bbox_to_anchor": (0.5, -0.2), "ncol": 2}])
def test_a_legend_outside_never_covers_the_axes(kwargs):
    use_style()
    fig, ax = plt.subplots()
    for k in range(3):
        ax.plot(range(10), [k * x for x in range(10)], label=f"line {k}")
    legend = legend_outside(ax, **kwargs)
    fig.canvas.draw()
    box, axes = legend.get_window_extent(), ax.get_window_extent()
    assert not box.overlaps(axes)
    assert min(t.get_fontsize() for t in legend.get_texts()) >= MIN_FONT_PT
    plt.close(fig)


def test_a_legend_in_small_type_is_refused():
    fig, ax = plt.subplots()
    ax.plot([0, 1], label="rate")
    with pytest.raises(ValueError, match="at least 9 pt"):
        legend_outside(ax, fontsize="small")
    plt.close(fig)


def test_every_chapter_puts_its_legends_outside_and_no_text_below_9_pt():
    for name, code in chapter_code().items():
        raw = [line for line in code.splitlines()
               if ".legend(" in line and "legend_outside(" not in line]
        assert not raw, f"{name}: use ntlib.plotting.legend_outside: {raw}"
        small = SMALL.findall(code)
        assert not small, f"{name}: text below {MIN_FONT_PT} pt: {small}"


@pytest.mark.parametrize(("process", "volts"), [("level1", "1.2 V"), ("sky130", "1.8 V")])
def test_the_schematic_shows_the_netlist_values_in_readable_type(process, volts):
    fig = plot_schematic(process)
    texts = fig.axes[0].texts
    joined = " ".join(t.get_text() for t in texts)
    assert f"neuron power domain ({volts})" in joined
    assert "Cm 10 pF" in joined and "Rleak 50 MOhm" in joined
    assert min(t.get_fontsize() for t in texts) >= MIN_FONT_PT
    plt.close(fig)


def test_a_table_hides_a_counting_index_and_writes_numbers_for_reading():
    import pandas as pd

    from ntlib.plotting import table

    frame = pd.DataFrame({"synapses": [435840, 12], "energy (nJ)": [20980.14, 0.012345]})
    html = table(frame).to_html()
    assert "435,840" in html and "20,980" in html and "0.01235" in html
    assert ">0<" not in html.replace(" ", "")  # no counting index column
    named = table(frame.set_index(pd.Index(["conv1", "dense"], name="layer"))).to_html()
    assert "conv1" in named
    assert "0.012" in table(frame, {"energy (nJ)": "{:.3f}"}).to_html()


@pytest.mark.parametrize(("columns", "formats", "message"), [
    (["input_shape"], None, "name these columns for a reader"),
    (["rate (kHz)"], {"rate": "{:.1f}"}, "formats name no column"),
])
def test_a_table_refuses_code_names_and_stray_formats(columns, formats, message):
    import pandas as pd

    from ntlib.plotting import table

    with pytest.raises(ValueError, match=message):
        table(pd.DataFrame([[1.0]], columns=columns), formats)
