"""Aggregation: mean, spread, intervals, paired tests and metrics are right."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from study.evaluation import test_metrics as compute_test_metrics
from study.tables import interval95, mcnemar, summarise


def runs_frame() -> pd.DataFrame:
    rows = []
    for arch, val, test in [("mlp", 0.980, 0.995), ("lenet5", 0.990, 0.985)]:
        for seed in (0, 1):
            rows.append({"architecture": arch, "regularisation": "none", "seed": seed,
                         "val_accuracy": val + seed * 1e-3, "val_loss": 0.1,
                         "test_accuracy": test, "epochs": 3, "train_seconds": 1.0,
                         "dir": f"runs/{arch}/{seed}"})
    return pd.DataFrame(rows)


def test_summary_mean_std_and_interval() -> None:
    summary = summarise(runs_frame())
    mlp = summary[summary.architecture == "mlp"].iloc[0]
    assert mlp.seeds == 2
    assert mlp["Validation accuracy (%)"] == "98.05 ± 0.07"
    low, high = interval95(pd.Series([0.99, 0.992, 0.994]))
    assert low == pytest.approx(0.992 - 4.302653 * 0.002 / np.sqrt(3), abs=1e-6)
    assert high == pytest.approx(0.992 + 4.302653 * 0.002 / np.sqrt(3), abs=1e-6)
    assert interval95(pd.Series([0.99])) is None


def test_mcnemar_exact() -> None:
    best = np.array([True] * 90 + [True] * 8 + [False] * 2)
    other = np.array([True] * 90 + [False] * 8 + [True] * 2)
    only_best, only_other, p = mcnemar(best, other)
    assert (only_best, only_other) == (8, 2)
    assert p == pytest.approx(0.109375)  # two-sided binomial, 10 discordant pairs
    assert mcnemar(best, best)[2] == 1.0


def test_metrics_match_a_hand_count() -> None:
    labels = np.array([0, 0, 1, 1, 2])
    probabilities = np.eye(10)[[0, 1, 1, 1, 2]] * 0.9 + 0.01
    metrics = compute_test_metrics(labels, probabilities)
    assert metrics["test_accuracy"] == 0.8 and metrics["test_errors"] == 1
    per_class = {c["class"]: c for c in metrics["per_class"]}
    assert per_class[0]["recall"] == 0.5 and per_class[0]["precision"] == 1.0
    assert per_class[1]["precision"] == pytest.approx(2 / 3)
    assert per_class[5]["support"] == 0
