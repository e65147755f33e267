"""Reproducibility: one seed for Python, NumPy and torch (used from the preface on)."""

from __future__ import annotations

import random

import numpy as np


def set_seed(seed: int) -> int:
    """Seed Python's ``random``, NumPy and torch with one integer.

    Introduced in the preface; every chapter calls it in its setup cell.

    Args:
        seed: a non-negative integer.

    Returns:
        The seed, so that a caller can record it.

    Example:
        >>> set_seed(0)
        0
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    try:
        import torch
    except ImportError:  # torch is optional for the circuit chapters
        return seed
    torch.manual_seed(seed)
    return seed
