"""Argument checks shared by ntlib's public functions.

Used from chapter ``frozen_cnn`` on.

Each check raises a ``TypeError`` (wrong kind of value) or a ``ValueError``
(right kind, wrong value) that names the argument, the value received and
what was expected, so that a reader's mistake reads as a sentence rather
than as an error from deep inside torch.  This module imports nothing else
from ntlib, so every other module may use it.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Collection, Sequence
from typing import Any

#: The largest seed accepted, by every function and every command: ngspice
#: keeps a seed modulo 2**32 (and NumPy's legacy generator takes 32 bits), so
#: a larger seed would repeat the draws of a smaller one under another name.
MAX_SEED = 2**32 - 1
#: The most Monte Carlo draws one run makes (mismatch instances, chips): each
#: is a simulation and a row of output, and memory grows with their number.
MAX_DRAWS = 10_000
#: Accuracy within this of chance (1 / classes) counts as "at chance".
CHANCE_MARGIN = 0.05


def check_choice(kind: str, value: Any, valid: Collection[str]) -> str:
    """``value`` if it is one of ``valid``, else a ValueError that lists them.

    The one spelling of "unknown name" for every function and command.

    Example:
        >>> check_choice("task", "noise", ("noise", "invert"))
        'noise'
    """
    if not isinstance(value, str) or value not in valid:
        raise ValueError(
            f"unknown {kind} {value!r}; valid names are: {', '.join(valid)}"
        )
    return value


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
            f"{name} must be at most 2**32 - 1 = {MAX_SEED}, got {seed}; "
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


def check_converged(
    loss_history: Sequence[float] | None,
    accuracy: float,
    n_classes: int,
    lr: float,
    accuracy_before: float | None = None,
    option: str = "--lr",
) -> None:
    """Raise a ValueError naming the learning rate if a training run diverged.

    A run diverged if a loss is not a finite number, or if its accuracy fell to
    chance (within :data:`CHANCE_MARGIN` of ``1 / n_classes``) from
    ``accuracy_before``, clearly above chance.  A network that was at chance
    before training and stays there (too small, too few epochs) has not
    diverged: it has not learned, and its result is reported as it is.

    Example:
        >>> check_converged([2.3, 1.1], accuracy=0.9, n_classes=10, lr=1e-2)
        >>> check_converged([2.3, float("nan")], 0.1, 10, lr=1e30)
        Traceback (most recent call last):
        ...
        ValueError: training diverged with --lr 1e+30: the loss became nan in \
epoch 2; use a smaller learning rate (the default is usually right)
    """
    for epoch, loss in enumerate(loss_history or (), start=1):
        if not math.isfinite(loss):
            raise ValueError(
                f"training diverged with {option} {lr:g}: the loss became {loss} "
                f"in epoch {epoch}; use a smaller learning rate (the default is "
                "usually right)"
            )
    chance = 1.0 / n_classes
    at_chance = accuracy <= chance + CHANCE_MARGIN
    if at_chance and accuracy_before is not None and (
        accuracy_before > chance + CHANCE_MARGIN
    ):
        raise ValueError(
            f"training diverged with {option} {lr:g}: accuracy fell from "
            f"{accuracy_before:.3f} to {accuracy:.3f}, chance for {n_classes} "
            "classes; use a smaller learning rate (the default is usually right)"
        )
