"""The calibration of the chosen run: the temperature fitted on the validation split, and the
reliability of its test probabilities before and after it. The findings quote the numbers;
the reliability figure draws the bins."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch

from study.data.splits import load_arrays, load_split, to_inputs
from study.evaluation.calibration import (
    Reliability,
    fit_temperature,
    log_probabilities,
    reliability,
)
from study.io import read_json, write_json
from study.models.checkpoint import load_checkpoint
from study.numerics import softmax
from study.run_files import RunFiles, describe, run_key
from study.training.engine import predict
from study.training.precision import run_precision


def calibrate(best_json: Path, files: RunFiles, train_npz: Path, split_npz: Path,
              device: torch.device, out: Path) -> dict[str, Any]:
    """Fit T on the validation split (logits in the precision the test predictions were made
    in), then measure the test set's reliability with and without it; write it all to `out`
    (JSON) and return it. `files` holds every run's model and predictions."""
    best = read_json(best_json)
    model, meta = load_checkpoint(files.path(best, "model"), device)
    images, labels = load_arrays(train_npz)
    val_idx = load_split(split_npz).val_idx
    norm = meta["normalisation"]
    val_x = to_inputs(images[val_idx], norm["mean"], norm["std"], device)
    val_logits = predict(model, val_x, bf16=run_precision(meta, device).bf16)
    temperature = fit_temperature(val_logits.double().cpu().numpy(),
                                  labels[val_idx].astype(int))
    with np.load(files.path(best, "predictions")) as f:
        probabilities, test_labels = f["probabilities"], f["labels"]
    before = reliability(probabilities, test_labels)
    after = reliability(softmax(log_probabilities(probabilities), temperature), test_labels)
    result = {"temperature": temperature, "ece_before": before.ece, "ece_after": after.ece,
              "run": describe(run_key(best)),
              "bins": {"before": _bins(before), "after": _bins(after)}}
    write_json(out, result)
    return result


def _bins(result: Reliability) -> dict[str, list[float]]:
    return {k: np.asarray(v).tolist() for k, v in asdict(result).items() if k != "ece"}
