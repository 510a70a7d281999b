"""What the analyses share: the test images they use and how a model sees them."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from sklearn.model_selection import train_test_split

from study.data.splits import to_inputs


def stratified(labels: np.ndarray, points: int) -> np.ndarray:
    """A stratified sample of `points` indices (all of them if there are fewer), sorted."""
    if points >= len(labels):
        return np.arange(len(labels))
    keep, _ = train_test_split(np.arange(len(labels)), train_size=points, stratify=labels,
                               random_state=0)
    return np.sort(keep)


def model_inputs(meta: dict[str, Any], images: np.ndarray, device: torch.device
                 ) -> tuple[torch.Tensor, float]:
    """Standardised inputs of a checkpoint's model, and the value of an empty pixel after
    standardisation."""
    norm = meta["normalisation"]
    return (to_inputs(images, norm["mean"], norm["std"], device),
            -norm["mean"] / norm["std"])
