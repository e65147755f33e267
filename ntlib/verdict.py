"""The paper's claims, each scored from the numbers that measure it.

See chapter ``verdict``.

A chapter that measures a claim turns its own numbers into a one-line
verdict with these functions and glues it; the closing chapter sets the
glued verdicts side by side.  No verdict is typed: each follows from the
numbers and from a stated criterion (:data:`COMPARABLE_POINTS` for
"comparable", a factor of :data:`ORDER_FACTOR` for "about").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

#: "Comparable to fine-tuning": within this many accuracy points of it.
COMPARABLE_POINTS = 2.0
#: "About N": within this factor of N, either way.
ORDER_FACTOR = 2.0


def names(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``; "none" when empty.

    Plain text: the closing chapter pastes verdicts from other pages, and a
    pasted value is text, not Markdown.

    Example:
        >>> names(["noise", "blur", "rotate"])
        'noise, blur and rotate'
    """
    items = [str(item) for item in items]
    if not items:
        return "none"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def comparable(
    gaps_points: Mapping[str, float], points: float = COMPARABLE_POINTS
) -> str:
    """Verdict on "comparable to fine-tuning" from each task's gap to it.

    ``gaps_points``: task -> accuracy points behind fine-tuning (negative:
    ahead).  A task counts when its gap is at most ``points``.

    Example:
        >>> comparable({"noise": 0.5, "rotate": 9.0})
        'holds on 1 of 2 tasks (noise), not on rotate'
    """
    if not gaps_points:
        raise ValueError("comparable() needs the gap of at least one task")
    close = [t for t, gap in gaps_points.items() if gap <= points]
    far = [t for t in gaps_points if t not in close]
    if not far:
        return f"holds on every task ({names(close)})"
    if not close:
        return f"does not hold: more than {points:g} points behind on every task"
    return (
        f"holds on {len(close)} of {len(gaps_points)} tasks ({names(close)}), "
        f"not on {names(far)}"
    )


def about(
    values: Mapping[str, float], claimed: float, factor: float = ORDER_FACTOR
) -> str:
    """Verdict on "about ``claimed``" for each named value.

    Example:
        >>> about({"VGG-16": 1.1e4, "MobileNet-V2": 150.0}, 1e4)
        'holds for VGG-16, not for MobileNet-V2 (150)'
    """
    if not values:
        raise ValueError("about() needs at least one value")
    near = [k for k, v in values.items() if claimed / factor <= v <= claimed * factor]
    far = [f"{names([k])} ({v:,.0f})" for k, v in values.items() if k not in near]
    if not far:
        return f"holds for {names(near)}"
    if not near:
        return "does not hold: " + ", ".join(far)
    return f"holds for {names(near)}, not for " + ", ".join(far)


def within(error_pct: float, limit_pct: float, what: str) -> str:
    """Verdict on an agreement: ``what`` within ``limit_pct`` per cent or not.

    Example:
        >>> within(1.3, 5.0, "the LIF formula")
        'holds: within 1.3 % of the LIF formula (criterion 5 %)'
    """
    if not np.isfinite(error_pct):
        raise ValueError(f"the error must be a finite number, got {error_pct}")
    verdict = "holds" if abs(error_pct) <= limit_pct else "does not hold"
    return (
        f"{verdict}: within {abs(error_pct):.1f} % of {what} "
        f"(criterion {limit_pct:g} %)"
    )


def rising(values: Sequence[float], what: str) -> str:
    """Verdict on "``what`` rises with the knob": strictly, in steps, or not.

    Example:
        >>> rising([1.0, 2.0, 2.0, 3.0], "the rate")
        'holds in steps: the rate never falls, but stays flat at 1 of 3 steps'
    """
    steps = np.diff(np.asarray(values, dtype=float))
    if steps.size == 0:
        raise ValueError("rising() needs at least two values")
    if np.all(steps > 0):
        return f"holds: {what} rises at every step"
    if np.all(steps >= 0):
        flat = int(np.sum(steps == 0))
        return (
            f"holds in steps: {what} never falls, but stays flat at {flat} of "
            f"{steps.size} steps"
        )
    return f"does not hold: {what} falls at {int(np.sum(steps < 0))} steps"


def cheaper_range(low: float, high: float, options: Mapping[str, float]) -> str:
    """Verdict on "cheaper than digital" when the analog cost is a range.

    ``low``, ``high``: the analog side's energy per inference; ``options``:
    name -> a digital option's energy, same unit.  An option counts as beaten
    only when it costs more than ``high``, as cheaper only when it costs less
    than ``low``; in between the ranges cannot decide.

    Example:
        >>> cheaper_range(600.0, 1300.0, {"int8 at 130 nm": 5200.0, "int8 at 45 nm": 450.0})
        'holds in part: cheaper than int8 at 130 nm; dearer than int8 at 45 nm'
    """
    if not 0 <= low <= high:
        raise ValueError(f"need 0 <= low <= high; got {low!r}, {high!r}")
    if not options:
        raise ValueError("cheaper_range() needs at least one option")
    beaten = [name for name, cost in options.items() if cost > high]
    dearer = [name for name, cost in options.items() if cost < low]
    open_ = [name for name in options if name not in beaten and name not in dearer]
    parts = []
    if beaten:
        parts.append(f"cheaper than {names(beaten)}")
    if dearer:
        parts.append(f"dearer than {names(dearer)}")
    if open_:
        parts.append(f"undecided against {names(open_)}, inside the chip's range")
    if beaten and not dearer and not open_:
        verdict = "holds"
    elif not beaten:
        verdict = "does not hold"
    else:
        verdict = "holds in part"
    return f"{verdict}: " + "; ".join(parts)
