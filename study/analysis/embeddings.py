"""The penultimate-layer embeddings of test images in 2-D (PCA, then t-SNE): the MLP
baseline's best run, the chosen convolutional network's architecture untrained, and the
chosen convolutional network, each chosen on validation by `select_best`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch

from study.analysis import inside
from study.analysis.sampling import model_inputs, stratified
from study.data.splits import load_arrays
from study.io import read_json, save_npz
from study.models.checkpoint import load_checkpoint
from study.models.registry import create_model
from study.run_files import RunFiles
from study.training.engine import predict
from study.training.precision import run_precision


class Panel(NamedTuple):
    """One network embedded: what its panel's title is made of (the figure words it in a
    language), the network and its checkpoint's metadata."""

    architecture: str
    regularisation: str  # of the checkpoint whose settings built the network
    trained: bool
    model: torch.nn.Module
    meta: dict[str, Any]


def panels(best: dict[str, Any], files: RunFiles, device: torch.device) -> list[Panel]:
    """Each network embedded: the MLP's best run, the chosen CNN untrained, the chosen CNN."""
    chosen: list[Panel] = []
    mlp = best["by_architecture"].get("mlp")
    if mlp is not None:
        model, meta = load_checkpoint(files.path(mlp, "model"), device)
        chosen.append(Panel("mlp", mlp["regularisation"], True, model, meta))
    if best["cnn"]:
        model, meta = load_checkpoint(files.path(best["cnn"], "model"), device)
        torch.manual_seed(0)
        untrained = create_model(meta["architecture"], **meta["model_kwargs"]).to(device).eval()
        arch, reg = meta["architecture"], meta["regularisation"]
        chosen.append(Panel(arch, reg, False, untrained, meta))
        chosen.append(Panel(arch, reg, True, model, meta))
    return chosen


def embeddings(best_json: Path, files: RunFiles, test_npz: Path, points: int,
               device: torch.device, out: Path) -> None:
    """2-D embeddings of a stratified sample of `points` test images by each network of
    `panels`, written to `out` (npz: per panel its architectures, regularisations and
    trained flags, then labels, and xy of shape panels x images x 2); `files` holds every
    run's model."""
    images, labels = load_arrays(test_npz)
    keep = stratified(labels, points)
    chosen, xys = panels(read_json(best_json), files, device), []
    moved: dict[tuple[float, float], torch.Tensor] = {}  # one copy per normalisation
    for panel in chosen:
        norm = panel.meta["normalisation"]
        key = (norm["mean"], norm["std"])
        if key not in moved:
            moved[key] = model_inputs(panel.meta, images[keep], device)[0]
        bf16 = run_precision(panel.meta, device).bf16
        features = predict(panel.model.features, moved[key], bf16=bf16).cpu().numpy()
        start = time.perf_counter()
        xys.append(inside.embed_2d(features))
        state = "trained" if panel.trained else "untrained"
        print(f"{panel.architecture} + {panel.regularisation} ({state}): PCA and t-SNE of "
              f"{len(features):,} embeddings of {features.shape[1]} dimensions in "
              f"{time.perf_counter() - start:.1f} s")
    save_npz(out, architectures=np.array([p.architecture for p in chosen], dtype=str),
             regularisations=np.array([p.regularisation for p in chosen], dtype=str),
             trained=np.array([p.trained for p in chosen], dtype=bool), labels=labels[keep],
             xy=np.stack(xys) if xys else np.zeros((0, len(keep), 2)))
