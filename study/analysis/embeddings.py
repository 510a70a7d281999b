"""The penultimate-layer embeddings of test images in 2-D (PCA, then t-SNE): the MLP
baseline's best run, the chosen convolutional network's architecture untrained, and the
chosen convolutional network, each chosen on validation by `select_best`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

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


def panels(best: dict[str, Any], files: RunFiles, device: torch.device
           ) -> list[tuple[str, torch.nn.Module, dict[str, Any]]]:
    """(title, model, checkpoint metadata) of each network embedded."""
    chosen: list[tuple[str, torch.nn.Module, dict[str, Any]]] = []
    mlp = best["by_architecture"].get("mlp")
    if mlp is not None:
        model, meta = load_checkpoint(files.path(mlp, "model"), device)
        chosen.append((f"mlp + {mlp['regularisation']}, trained", model, meta))
    if best["cnn"]:
        model, meta = load_checkpoint(files.path(best["cnn"], "model"), device)
        torch.manual_seed(0)
        untrained = create_model(meta["architecture"], **meta["model_kwargs"]).to(device).eval()
        chosen.append((f"{meta['architecture']}, untrained", untrained, meta))
        chosen.append((f"{meta['architecture']} + {meta['regularisation']}, trained", model,
                       meta))
    return chosen


def embeddings(best_json: Path, files: RunFiles, test_npz: Path, points: int,
               device: torch.device, out: Path) -> None:
    """2-D embeddings of a stratified sample of `points` test images by each network of
    `panels`, written to `out` (npz: titles, labels, xy of shape panels x images x 2);
    `files` holds every run's model."""
    images, labels = load_arrays(test_npz)
    keep = stratified(labels, points)
    titles, xys = [], []
    moved: dict[tuple[float, float], torch.Tensor] = {}  # one copy per normalisation
    for title, model, meta in panels(read_json(best_json), files, device):
        norm = meta["normalisation"]
        key = (norm["mean"], norm["std"])
        if key not in moved:
            moved[key] = model_inputs(meta, images[keep], device)[0]
        bf16 = run_precision(meta, device).bf16
        features = predict(model.features, moved[key], bf16=bf16).cpu().numpy()
        start = time.perf_counter()
        xys.append(inside.embed_2d(features))
        titles.append(title)
        print(f"{title}: PCA and t-SNE of {len(features):,} embeddings of "
              f"{features.shape[1]} dimensions in {time.perf_counter() - start:.1f} s")
    save_npz(out, titles=np.array(titles), labels=labels[keep],
             xy=np.stack(xys) if xys else np.zeros((0, len(keep), 2)))
