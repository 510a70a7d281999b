"""The final evaluation: the one place that reads the official test images."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    log_loss,
    precision_recall_fscore_support,
)

from study.data.splits import DIGITS, load_arrays, to_inputs
from study.errors import DataError
from study.io import read_json, save_npz, write_json, write_text
from study.models.checkpoint import load_checkpoint
from study.run_files import RunFiles
from study.training.engine import predict
from study.training.precision import run_precision


def test_metrics(labels: np.ndarray, probabilities: np.ndarray) -> dict[str, Any]:
    """Accuracy, loss, macro F1 and per-class precision, recall and F1 (scikit-learn)."""
    predicted = probabilities.argmax(1)
    precision, recall, f1, support = precision_recall_fscore_support(
        labels, predicted, labels=DIGITS, zero_division=0
    )
    return {
        "test_accuracy": float(accuracy_score(labels, predicted)),
        "test_loss": float(log_loss(labels, probabilities, labels=DIGITS)),
        "test_errors": int((predicted != labels).sum()),
        "n_test": len(labels),
        "macro_f1": float(f1_score(labels, predicted, average="macro", zero_division=0)),
        "per_class": [
            {"class": c, "precision": float(p), "recall": float(r), "f1": float(f),
             "support": int(s)}
            for c, p, r, f, s in zip(DIGITS, precision, recall, f1, support, strict=True)
        ],
    }


def evaluate_run(checkpoint: Path, test_npz: Path | tuple[np.ndarray, np.ndarray], *,
                 metrics_out: Path, confusion_out: Path, predictions_out: Path,
                 device: torch.device, batch_size: int = 2000) -> dict[str, Any]:
    """Write one trained run's test metrics (JSON), confusion matrix (CSV) and predictions
    (npz: probabilities, labels, predicted). `test_npz` may be the test arrays already read
    (images, labels), as `evaluate_runs` gives them to each of its runs."""
    model, meta = load_checkpoint(checkpoint, device)
    images, labels = load_arrays(test_npz) if isinstance(test_npz, (str, Path)) else test_npz
    norm = meta["normalisation"]
    precision = run_precision(meta, device)
    x = to_inputs(images, norm["mean"], norm["std"], device).contiguous(
        memory_format=precision.memory_format)
    logits = predict(model.to(memory_format=precision.memory_format), x, batch_size,
                     precision.bf16)
    probabilities = torch.softmax(logits.double(), 1).cpu().numpy()
    labels = labels.astype(np.int64)
    metrics = {**test_metrics(labels, probabilities), **precision.record()}
    confusion = pd.DataFrame(confusion_matrix(labels, probabilities.argmax(1), labels=DIGITS),
                             index=pd.Index(DIGITS, name="true"), columns=DIGITS)
    save_npz(predictions_out, probabilities=probabilities.astype(np.float32), labels=labels,
             predicted=probabilities.argmax(1))
    write_text(confusion_out, confusion.to_csv())
    write_json(metrics_out, metrics)
    return metrics


def evaluate_runs(checkpoints: list[Path], test_npz: Path, *, metrics_out: list[Path],
                  confusion_out: list[Path], predictions_out: list[Path],
                  device: torch.device) -> list[dict[str, Any]]:
    """`evaluate_run` of several runs in one process, the i-th run's files at the i-th
    position of each list: the start-up and the test images are paid once, not per run."""
    test = load_arrays(test_npz)
    return [evaluate_run(checkpoint, test, metrics_out=m, confusion_out=c,
                         predictions_out=p, device=device)
            for checkpoint, m, c, p in zip(checkpoints, metrics_out, confusion_out,
                                           predictions_out, strict=True)]


def evaluate_ensemble(ensemble_json: Path, runs: RunFiles, *, metrics_out: Path,
                      predictions_out: Path) -> dict[str, Any]:
    """Average the test probabilities of the members (chosen on validation in ensemble.json;
    `runs` holds every run's predictions) and write the ensemble's metrics and predictions."""
    members = read_json(ensemble_json)["members"]
    probabilities, labels = None, None
    for member in members:
        path = runs.path(member, "predictions")
        with np.load(path) as f:
            p = f["probabilities"].astype(np.float64)
            if labels is not None and not np.array_equal(labels, f["labels"]):
                raise DataError(f"{path}: predictions of other test images than the other "
                                "members'; evaluate every run again.")
            labels = f["labels"]
        probabilities = p if probabilities is None else probabilities + p
    probabilities /= len(members)
    metrics = {**test_metrics(labels, probabilities), "members": members}
    save_npz(predictions_out, probabilities=probabilities.astype(np.float32), labels=labels,
             predicted=probabilities.argmax(1))
    write_json(metrics_out, metrics)
    return metrics
