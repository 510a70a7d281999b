"""Calibration: does a confidence of 0.9 mean right nine times in ten?

Temperature scaling (Guo et al., "On Calibration of Modern Neural Networks", ICML 2017)
divides the logits by one number T, fitted on the validation split by minimising the
negative log-likelihood; it changes the confidences, never the predicted class. The expected
calibration error (ECE) comes from torchmetrics.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from scipy.optimize import minimize_scalar

BINS = 15  # the usual choice since Guo et al.


def log_probabilities(probabilities: np.ndarray) -> np.ndarray:
    """Logits up to a constant per row, which is all a softmax (and so T) sees."""
    return np.log(np.clip(probabilities, 1e-300, 1.0))


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The T > 0 that minimises the mean negative log-likelihood of softmax(logits / T)."""
    z, y = torch.from_numpy(logits).double(), torch.from_numpy(labels).long()

    def nll(log_t: float) -> float:
        return torch.nn.functional.cross_entropy(z / np.exp(log_t), y).item()

    result = minimize_scalar(nll, bounds=(np.log(0.05), np.log(20.0)), method="bounded")
    return float(np.exp(result.x))


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """ECE: the gap between confidence and accuracy, averaged over 15 equal-width bins of
    confidence, weighted by how many predictions fall in each."""
    # Imported here: the figures read Reliability without paying for torchmetrics.
    from torchmetrics.functional.classification import multiclass_calibration_error

    return float(multiclass_calibration_error(
        torch.from_numpy(probabilities).float(), torch.from_numpy(labels).long(),
        num_classes=probabilities.shape[1], n_bins=BINS, norm="l1"))


@dataclass
class Reliability:
    """Accuracy against confidence, per bin: what a reliability diagram draws."""

    confidence: np.ndarray  # mean confidence of each non-empty bin
    accuracy: np.ndarray  # fraction right in it
    count: np.ndarray  # predictions in it
    ece: float


def reliability(probabilities: np.ndarray, labels: np.ndarray) -> Reliability:
    confidence = probabilities.max(1)
    right = probabilities.argmax(1) == labels
    bins = np.minimum((confidence * BINS).astype(int), BINS - 1)
    used = np.unique(bins)
    return Reliability(
        confidence=np.array([confidence[bins == b].mean() for b in used]),
        accuracy=np.array([right[bins == b].mean() for b in used]),
        count=np.array([(bins == b).sum() for b in used]),
        ece=expected_calibration_error(probabilities, labels),
    )


def reliability_of(calibration: dict[str, Any], which: str) -> Reliability:
    """The bins `before` or `after` of a calibration written by `study.analysis.calibrate`."""
    bins = calibration["bins"][which]
    return Reliability(confidence=np.array(bins["confidence"]),
                       accuracy=np.array(bins["accuracy"]), count=np.array(bins["count"]),
                       ece=calibration[f"ece_{which}"])
