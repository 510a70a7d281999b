"""Numerical helpers shared across the stages, in numpy alone: `study predict` uses them and
must start without PyTorch."""

from __future__ import annotations

import numpy as np


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise softmax of `logits / temperature`, in the logits' precision."""
    scaled = logits / temperature
    # Shifting each row by its maximum keeps exp from overflowing; the result is unchanged.
    shifted = np.exp(scaled - scaled.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)
