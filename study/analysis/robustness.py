"""Robustness to the fast gradient sign attack: the test accuracy of every variant of the
chosen convolutional network's architecture (its first seed) as the attack grows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from study.analysis import inside
from study.analysis.sampling import model_inputs, stratified
from study.data.splits import load_arrays
from study.io import read_json, write_text
from study.models.checkpoint import load_checkpoint
from study.run_files import RunFiles

EPSILONS = [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3]


def robustness(best_json: Path, files: RunFiles, test_npz: Path, points: int,
               device: torch.device, out: Path) -> pd.DataFrame:
    """Accuracy under FGSM for each ε of EPSILONS, on a stratified sample of `points` test
    images, written to `out` (CSV: variant, epsilon, accuracy, images attacked); `files`
    holds every run's train.json and model."""
    best = read_json(best_json)
    architecture = (best["cnn"] or best)["architecture"]
    images, labels = load_arrays(test_npz)
    keep = stratified(labels, points)
    runs = pd.DataFrame(files.summaries)
    own = runs[(runs.architecture == architecture) & (runs.seed == runs.seed.min())]
    rows = []
    for run in own.itertuples():
        model, meta = load_checkpoint(files.path(run, "model"), device)
        x, background = model_inputs(meta, images[keep], device)
        high = (1 - meta["normalisation"]["mean"]) / meta["normalisation"]["std"]
        y = torch.from_numpy(labels[keep].astype(np.int64)).to(device)
        accuracy = inside.fgsm_accuracy(model, x, y, EPSILONS, meta["normalisation"]["std"],
                                        background, high)
        rows += [{"variant": run.regularisation, "epsilon": e, "accuracy": a,
                  "images": len(keep)}
                 for e, a in zip(EPSILONS, accuracy, strict=True)]
    frame = pd.DataFrame(rows)
    write_text(out, frame.to_csv(index=False))
    return frame
