"""The "times fewer parameters" that chapters 1-3 state are one ratio, computed once."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pandas as pd
import pytest

from ntlib.models import build_cnn
from ntlib.plotting import thousands
from ntlib.tuning import nt_param_count, nt_saving, prepare, total_params

BOOK = Path(__file__).resolve().parents[1] / "book"


def glued(notebook: str) -> dict[str, object]:
    """The values a committed notebook glued for its prose, by name."""
    values: dict[str, object] = {}
    for cell in json.loads((BOOK / notebook).read_text())["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if "application/papermill.record/text/markdown" in data:
                values[name] = "".join(data["application/papermill.record/text/markdown"])
            elif name and "application/papermill.record/text/plain" in data:
                text = data["application/papermill.record/text/plain"]
                values[name] = ast.literal_eval("".join(text))
    return values


def test_nt_saving_is_tft_parameters_over_nt_biases() -> None:
    cnn = build_cnn((1, 8, 8), 10, width=16)
    assert nt_saving(cnn) == pytest.approx(total_params(cnn) / nt_param_count(cnn))
    assert nt_saving(cnn) == pytest.approx(136_586 / 122)
    assert nt_saving(cnn, "unit", (1, 8, 8)) == pytest.approx(136_586 / 3_146)


def test_nt_saving_ignores_the_modulatory_biases_themselves() -> None:
    cnn = build_cnn((1, 8, 8), 10, width=16)
    tuned = prepare(cnn, "nt", "channel", (1, 8, 8))
    assert total_params(tuned) > total_params(cnn)
    assert nt_saving(tuned) == nt_saving(cnn)


def test_thousands_separates_integers_only() -> None:
    frame = thousands(pd.DataFrame({"n": [136_586, 7], "x": [0.5, 1.25]}))
    assert list(frame["n"]) == ["136,586", "7"]
    assert list(frame["x"]) == [0.5, 1.25]


def test_chapters_2_and_3_state_the_same_ratio_for_the_book_cnn() -> None:
    chapter2 = glued("02_neuromodulatory_tuning.ipynb")
    chapter3 = glued("03_orders_of_magnitude.ipynb")
    cnn = build_cnn((1, 8, 8), 10, width=16)
    assert chapter2["nt_ratio"] == pytest.approx(chapter3["ratio_book"])
    assert chapter2["nt_ratio"] == pytest.approx(nt_saving(cnn))
    assert chapter2["tft_trainable"] / chapter2["nt_trainable"] == pytest.approx(
        chapter2["nt_ratio"])
    assert chapter2["unit_ratio"] == pytest.approx(chapter3["ratio_unit_book"])
