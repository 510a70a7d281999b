"""Inside the chosen convolutional network: its feature maps, what its decisions rest on
(integrated gradients, Grad-CAM, occlusion) and the test images that excite its channels,
computed once and kept as arrays for the figures to draw."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from study.analysis import inside
from study.analysis.sampling import model_inputs
from study.data.splits import DIGITS, load_arrays
from study.io import read_json, save_npz
from study.models.checkpoint import load_checkpoint
from study.run_files import RunFiles


def chosen_digits(predicted: np.ndarray, labels: np.ndarray, right: bool, count: int
                  ) -> np.ndarray:
    """The first test images, one per digit in turn, that the model gets right (or wrong)."""
    pool = np.flatnonzero((predicted == labels) == right)
    picks: list[int] = []
    for digit in DIGITS * count:
        candidates = [i for i in pool if labels[i] == digit and i not in picks]
        if candidates:
            picks.append(candidates[0])
        if len(picks) == count:
            break
    if len(picks) < count:  # fewer mistakes than digits: take what there is
        picks += [i for i in pool if i not in picks][:count - len(picks)]
    return np.array(picks, dtype=int)


def look_inside(best_json: Path, files: RunFiles, test_npz: Path, device: torch.device,
                out: Path) -> None:
    """Everything the inside figures draw, as arrays in `out` (npz), the network named by its
    architecture and regularisation keys (the figures word them); `has_cnn` is false (and
    nothing else is there) when the study has no convolutional network. `files` holds every
    run's model and predictions."""
    cnn = read_json(best_json)["cnn"]
    if cnn is None:
        save_npz(out, has_cnn=np.array(False))
        return
    images, labels = load_arrays(test_npz)
    model, meta = load_checkpoint(files.path(cnn, "model"), device)
    model = inside.no_inplace(model)
    with np.load(files.path(cnn, "predictions")) as f:
        predicted, probabilities = f["predicted"], f["probabilities"]
    # Every test image goes to the device once; each analysis takes its rows.
    all_x, background = model_inputs(meta, images, device)
    right = chosen_digits(predicted, labels, right=True, count=4)
    wrong = chosen_digits(predicted, labels, right=False, count=4)
    shown = np.concatenate([right, wrong])
    x, targets = all_x[shown], torch.from_numpy(predicted[shown]).to(device)
    maps = [(name, m.numpy()) for name, m in inside.feature_maps(model, all_x[right[:2]])
            if m.shape[-1] > 1]  # a single pixel per channel shows nothing
    result = inside.attributions(model, x, targets, background)
    layer_name, layer = inside.cam_layer(model, all_x)
    channels, top = inside.top_activating(model, layer, all_x)
    arrays: dict[str, Any] = {f"maps_{i}": m for i, (_, m) in enumerate(maps)}
    save_npz(out, has_cnn=np.array(True),
             architecture=np.array(meta["architecture"]),
             regularisation=np.array(meta["regularisation"]),
             map_images=images[right[:2]], map_layers=np.array([n for n, _ in maps]),
             shown=images[shown], labels=labels[shown], predicted=predicted[shown],
             confidence=probabilities[shown, predicted[shown]],
             integrated_gradients=result.integrated_gradients, grad_cam=result.grad_cam,
             cam_layer=np.array(result.layer),
             occlusion=inside.occlusion(model, x[:6], targets[:6], background),
             top_layer=np.array(layer_name), top_channels=np.array(channels),
             top_images=images[top], **arrays)
