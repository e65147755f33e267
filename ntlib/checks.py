"""Argument checks shared by ntlib's public functions (used from chapter 1 on).

Each check raises a ``TypeError`` (wrong kind of value) or a ``ValueError``
(right kind, wrong value) that names the argument, the value received and
what was expected, so that a reader's mistake reads as a sentence rather
than as an error from deep inside torch.  This module imports nothing else
from ntlib, so every other module may use it.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

#: The largest seed accepted: torch and NumPy's generators take 64-bit seeds.
MAX_SEED = 2**63 - 1


def check_int(name: str, value: Any, minimum: int | None = None) -> int:
    """``value`` as an int if it is an integer (not a bool) of at least ``minimum``.

    Example:
        >>> check_int("epochs", 3, minimum=1)
        3
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be an integer, got {value!r} ({type(value).__name__})"
        )
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def check_seed(name: str, value: Any) -> int:
    """A seed: an integer from 0 to :data:`MAX_SEED`."""
    seed = check_int(name, value, minimum=0)
    if seed > MAX_SEED:
        raise ValueError(
            f"{name} must be at most 2**63 - 1 = {MAX_SEED}, got {seed}; "
            "use a smaller seed"
        )
    return seed


def check_finite(name: str, value: Any, positive: bool = False) -> float:
    """``value`` as a float if it is a finite real number (and > 0 if ``positive``).

    Example:
        >>> check_finite("lr", 1e-3, positive=True)
        0.001
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a number, got {value!r} ({type(value).__name__})"
        )
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if positive and number <= 0:
        raise ValueError(f"{name} must be positive, got {value!r}")
    return number


def first_line(error: BaseException) -> str:
    """The first line of an error's message (torch's messages run long)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
