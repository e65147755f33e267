"""The verdicts the chapters glue: each follows from its numbers and criterion."""

import pytest

from ntlib.verdict import (
    COMPARABLE_POINTS,
    about,
    cheaper_range,
    comparable,
    names,
    rising,
    within,
)


def test_names_joins_in_bold() -> None:
    assert names([]) == "none"
    assert names(["a"]) == "a"
    assert names(["a", "b", "c"]) == "a, b and c"


def test_comparable_counts_the_tasks_within_the_criterion() -> None:
    edge = COMPARABLE_POINTS
    assert comparable({"noise": 0.0, "blur": edge}) == (
        "holds on every task (noise and blur)")
    assert comparable({"noise": -1.0, "rotate": edge + 0.01}) == (
        "holds on 1 of 2 tasks (noise), not on rotate")
    assert comparable({"invert": 30.0}).startswith("does not hold")
    with pytest.raises(ValueError, match="at least one task"):
        comparable({})


def test_about_is_a_factor_either_way() -> None:
    assert about({"a": 5_000.0, "b": 20_000.0}, 1e4) == "holds for a and b"
    assert about({"a": 4_999.0}, 1e4) == "does not hold: a (4,999)"
    assert about({"a": 1e4, "b": 30.0}, 1e4) == "holds for a, not for b (30)"


def test_within_uses_the_absolute_error() -> None:
    assert within(-4.0, 5.0, "x").startswith("holds: within 4.0 %")
    assert within(5.1, 5.0, "x").startswith("does not hold: within 5.1 %")
    with pytest.raises(ValueError, match="finite"):
        within(float("nan"), 5.0, "x")


def test_rising_tells_strict_from_steps_from_falling() -> None:
    assert rising([1, 2, 3], "r") == "holds: r rises at every step"
    assert rising([1, 1, 2], "r").startswith("holds in steps")
    assert rising([1, 3, 2, 1], "r") == "does not hold: r falls at 2 steps"
    with pytest.raises(ValueError, match="two values"):
        rising([1.0], "r")


def test_cheaper_range_decides_only_outside_the_range() -> None:
    options = {"big": 2_000.0, "small": 100.0, "close": 800.0}
    text = cheaper_range(600.0, 1_300.0, options)
    assert text == ("holds in part: cheaper than big; dearer than small; "
                    "undecided against close, inside the chip's range")
    assert cheaper_range(1.0, 2.0, {"a": 3.0}) == "holds: cheaper than a"
    assert cheaper_range(5.0, 6.0, {"a": 3.0}).startswith("does not hold")
    assert cheaper_range(1.0, 4.0, {"a": 3.0}).startswith("does not hold")
    with pytest.raises(ValueError, match="low <= high"):
        cheaper_range(2.0, 1.0, options)
