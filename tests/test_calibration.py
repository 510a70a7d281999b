"""Calibration: temperature scaling and the expected calibration error."""

from __future__ import annotations

import numpy as np
import pytest

from study.evaluation.calibration import (
    fit_temperature,
    log_probabilities,
    reliability,
)
from study.numerics import softmax


def sample(n: int, temperature: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Logits, and labels drawn from softmax(logits / temperature): a model whose confidence
    is right only once its logits are divided by `temperature`."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 4, size=(n, 10))
    probabilities = softmax(logits, temperature)
    labels = np.array([rng.choice(10, p=p / p.sum()) for p in probabilities])
    return logits, labels


@pytest.mark.parametrize("true_temperature", [0.5, 1.0, 2.5])
def test_fit_temperature_recovers_the_temperature(true_temperature: float) -> None:
    logits, labels = sample(20000, true_temperature)
    assert fit_temperature(logits, labels) == pytest.approx(true_temperature, rel=0.05)


def test_scaling_an_overconfident_model_lowers_its_ece() -> None:
    logits, labels = sample(20000, 2.5)
    before = reliability(softmax(logits), labels)
    after = reliability(softmax(logits, fit_temperature(logits, labels)), labels)
    assert before.ece > 0.05
    assert after.ece < before.ece / 3
    # The predicted class never changes.
    assert (softmax(logits).argmax(1) == softmax(logits, 2.5).argmax(1)).all()


def test_ece_is_the_weighted_gap_of_the_diagram_bins() -> None:
    logits, labels = sample(5000, 1.7, seed=1)
    result = reliability(softmax(logits), labels)
    weighted = (result.count * np.abs(result.accuracy - result.confidence)).sum() / 5000
    assert result.ece == pytest.approx(weighted, abs=1e-5)
    assert result.count.sum() == 5000


def test_logits_from_probabilities_give_the_same_softmax() -> None:
    logits, _ = sample(100, 1.0)
    probabilities = softmax(logits)
    assert np.allclose(softmax(log_probabilities(probabilities)), probabilities, atol=1e-12)
    assert np.allclose(softmax(log_probabilities(probabilities), 2.0), softmax(logits, 2.0),
                       atol=1e-12)


def test_softmax_is_pytorchs_and_does_not_overflow() -> None:
    import torch

    logits, _ = sample(100, 1.0)
    for temperature in (1.0, 0.3):
        expected = torch.softmax(torch.from_numpy(logits / temperature), 1).numpy()
        assert np.allclose(softmax(logits, temperature), expected, rtol=1e-12, atol=0)
    huge = np.array([[1000.0, 0.0, -1000.0]])
    assert np.allclose(softmax(huge), [[1.0, 0.0, 0.0]], rtol=0, atol=1e-300)
