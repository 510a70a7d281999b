"""The figures that look inside the networks: feature maps, attributions, occlusion, the
images that excite chosen channels, t-SNE of the embeddings, and robustness to FGSM."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import train_test_split

from study.analysis import inside
from study.data.splits import DIGITS, load_arrays, to_inputs
from study.figures.results import PALETTE, filters_figure, save
from study.io import check_outputs, read_json, write_text
from study.models.checkpoint import load_checkpoint
from study.models.registry import create_model
from study.run_files import RunFiles
from study.training.engine import predict
from study.training.precision import run_precision

EPSILONS = [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3]


def _blank(ax: plt.Axes) -> None:
    ax.set_xticks([])
    ax.set_yticks([])


def _inputs(meta: dict[str, Any], images: np.ndarray, device: torch.device
            ) -> tuple[torch.Tensor, float]:
    """Standardised inputs and the value of an empty pixel after standardisation."""
    norm = meta["normalisation"]
    return (to_inputs(images, norm["mean"], norm["std"], device),
            -norm["mean"] / norm["std"])


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


def feature_maps_figure(model: torch.nn.Module, x: torch.Tensor, images: np.ndarray,
                        title: str, channels: int = 6) -> plt.Figure:
    """For each digit: the input, then `channels` maps of every convolution, first layer at
    the top; a convolution whose output is a single pixel per channel is left out."""
    layers = [(n, m) for n, m in inside.feature_maps(model, x) if m.shape[-1] > 1]
    n_digits = len(x)
    columns = n_digits * (channels + 1)
    fig, axes = plt.subplots(len(layers), columns, squeeze=False,
                             figsize=(columns * 0.62 + 0.6, len(layers) * 0.7 + 0.6))
    for row, (name, maps) in enumerate(layers):
        for d in range(n_digits):
            first = d * (channels + 1)
            if row == 0:
                axes[row, first].imshow(images[d], cmap="gray_r")
                axes[row, first].set_title("input", fontsize=7)
            for c in range(min(channels, maps.shape[1])):
                ax = axes[row, first + 1 + c]
                ax.imshow(maps[d, c].numpy(), cmap="viridis")
                if row == 0:
                    ax.set_title(f"ch. {c}", fontsize=7)
        size = maps.shape[-1]
        axes[row, 0].set_ylabel(f"{name}\n{size}×{size}", fontsize=7, rotation=0,
                                ha="right", va="center")
    for ax in axes.flat:
        _blank(ax)
        if not ax.images:  # an empty cell: no frame either
            for spine in ax.spines.values():
                spine.set_visible(False)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def attributions_figure(images: np.ndarray, result: inside.Attributions, titles: list[str],
                        title: str) -> plt.Figure:
    """One column per digit: the image, integrated gradients (red for, blue against the
    predicted class), Grad-CAM over the image."""
    n = len(images)
    fig, axes = plt.subplots(3, n, figsize=(1.3 * n + 1.2, 5.0), squeeze=False)
    for col, (image, ig, cam, text) in enumerate(zip(images, result.integrated_gradients,
                                                     result.grad_cam, titles, strict=True)):
        axes[0, col].imshow(image, cmap="gray_r")
        axes[0, col].set_title(text, fontsize=8)
        limit = np.abs(ig).max() or 1.0
        axes[1, col].imshow(ig, cmap="RdBu_r", vmin=-limit, vmax=limit)
        axes[2, col].imshow(image, cmap="gray_r")
        axes[2, col].imshow(cam, cmap="inferno", alpha=0.55)
    for ax, name in zip(axes[:, 0], ["image", "integrated\ngradients",
                                     f"Grad-CAM\n({result.layer})"], strict=True):
        ax.set_ylabel(name, fontsize=8)
    for ax in axes.flat:
        _blank(ax)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def occlusion_figure(images: np.ndarray, maps: np.ndarray, titles: list[str], title: str
                     ) -> plt.Figure:
    n = len(images)
    fig, axes = plt.subplots(2, n, figsize=(1.5 * n + 0.4, 3.4), squeeze=False)
    limit = np.abs(maps).max() or 1.0
    for col in range(n):
        axes[0, col].imshow(images[col], cmap="gray_r")
        axes[0, col].set_title(titles[col], fontsize=8)
        shown = axes[1, col].imshow(maps[col], cmap="RdBu_r", vmin=-limit, vmax=limit)
    for ax in axes.flat:
        _blank(ax)
    fig.colorbar(shown, ax=axes[1].tolist(), shrink=0.8,
                 label="drop in probability\nwhen blanked")
    fig.suptitle(title, fontsize=9)
    return fig


def top_activations_figure(images: np.ndarray, channels: list[int], best: np.ndarray,
                           layer: str, title: str) -> plt.Figure:
    rows, top = best.shape
    fig, axes = plt.subplots(rows, top, figsize=(top * 0.85 + 0.8, rows * 0.9 + 0.5),
                             squeeze=False)
    for row, (channel, indices) in enumerate(zip(channels, best, strict=True)):
        for ax, index in zip(axes[row], indices, strict=True):
            ax.imshow(images[index], cmap="gray_r")
            _blank(ax)
        axes[row, 0].set_ylabel(f"channel {channel}", fontsize=8, rotation=0, ha="right",
                                va="center")
    fig.suptitle(f"{title}: test images that most excite channels of {layer}", fontsize=9)
    fig.tight_layout()
    return fig


INSIDE_FIGURES = ("filters", "maps", "attributions", "occlusion", "top")


def inside_figures(best_json: Path, files: RunFiles, test_npz: Path, device: torch.device,
                   outputs: dict[str, Path]) -> None:
    """Filters, feature maps, attributions, occlusion and top activations of the best
    convolutional network (chosen on validation), to `outputs` by name (INSIDE_FIGURES);
    `files` holds every run's model and predictions."""
    check_outputs(outputs, dict.fromkeys(INSIDE_FIGURES))
    cnn = read_json(best_json)["cnn"]
    filters_figure(files.path(cnn, "model") if cnn else None, outputs["filters"])
    images, labels = load_arrays(test_npz)
    if cnn is None:
        for name in INSIDE_FIGURES[1:]:
            filters_figure(None, outputs[name])  # says there is no CNN
        return
    model, meta = load_checkpoint(files.path(cnn, "model"), device)
    model = inside.no_inplace(model)
    name = f"{meta['architecture']} + {meta['regularisation']}"
    with np.load(files.path(cnn, "predictions")) as f:
        predicted, probabilities = f["predicted"], f["probabilities"]

    # Every test image goes to the device once; each figure takes its rows.
    all_x, background = _inputs(meta, images, device)
    right = chosen_digits(predicted, labels, right=True, count=4)
    wrong = chosen_digits(predicted, labels, right=False, count=4)
    save(feature_maps_figure(model, all_x[right[:2]], images[right[:2]],
                             f"Feature maps of every convolution of {name}"),
         outputs["maps"])

    shown = np.concatenate([right, wrong])
    x = all_x[shown]
    targets = torch.from_numpy(predicted[shown]).to(device)
    titles = [f"{labels[i]}→{predicted[i]}\n({probabilities[i, predicted[i]]:.2f})"
              for i in shown]
    result = inside.attributions(model, x, targets, background)
    save(attributions_figure(images[shown], result, titles,
                             f"What {name} looks at, for its predicted digit"),
         outputs["attributions"])

    maps = inside.occlusion(model, x[:6], targets[:6], background)
    save(occlusion_figure(images[shown[:6]], maps, titles[:6],
                          f"Occlusion sensitivity of {name} (6x6 patch)"),
         outputs["occlusion"])

    layer_name, layer = inside.cam_layer(model, all_x)
    channels, top = inside.top_activating(model, layer, all_x)
    save(top_activations_figure(images, channels, top, layer_name, name), outputs["top"])


def _stratified(labels: np.ndarray, points: int) -> np.ndarray:
    if points >= len(labels):
        return np.arange(len(labels))
    keep, _ = train_test_split(np.arange(len(labels)), train_size=points, stratify=labels,
                               random_state=0)
    return np.sort(keep)


def best_run(runs: pd.DataFrame, architecture: str | None = None) -> pd.Series | None:
    """The run with the best validation accuracy (of `architecture`), never the test's."""
    own = runs if architecture is None else runs[runs.architecture == architecture]
    return None if own.empty else own.sort_values(["val_accuracy", "val_loss"],
                                                  ascending=[False, True]).iloc[0]


def tsne_figure(runs_csv: Path, files: RunFiles, best_json: Path, test_npz: Path, points: int,
                device: torch.device, path: Path) -> None:
    """Penultimate-layer embeddings of the test images in 2-D: the MLP baseline, the best
    CNN's architecture untrained, and the best CNN; `files` holds every run's model."""
    runs = pd.read_csv(runs_csv)
    best = read_json(best_json)
    images, labels = load_arrays(test_npz)
    keep = _stratified(labels, points)
    panels: list[tuple[str, torch.nn.Module, dict[str, Any]]] = []
    mlp = best_run(runs, "mlp")
    if mlp is not None:
        model, meta = load_checkpoint(files.path(mlp, "model"), device)
        panels.append((f"mlp + {mlp.regularisation}, trained", model, meta))
    if best["cnn"]:
        model, meta = load_checkpoint(files.path(best["cnn"], "model"), device)
        torch.manual_seed(0)
        untrained = create_model(meta["architecture"], **meta["model_kwargs"]).to(device).eval()
        panels.append((f"{meta['architecture']}, untrained", untrained, meta))
        panels.append((f"{meta['architecture']} + {meta['regularisation']}, trained", model,
                       meta))
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels) + 1.0, 4.4),
                             squeeze=False)
    moved: dict[tuple[float, float], torch.Tensor] = {}  # one copy per normalisation
    for ax, (title, model, meta) in zip(axes[0], panels, strict=True):
        norm = meta["normalisation"]
        key = (norm["mean"], norm["std"])
        if key not in moved:
            moved[key] = _inputs(meta, images[keep], device)[0]
        x = moved[key]
        bf16 = run_precision(meta, device).bf16
        features = predict(model.features, x, bf16=bf16).cpu().numpy()
        start = time.perf_counter()
        xy = inside.embed_2d(features)
        print(f"{title}: PCA and t-SNE of {len(features):,} embeddings of "
              f"{features.shape[1]} dimensions in {time.perf_counter() - start:.1f} s")
        for digit in DIGITS:
            at = labels[keep] == digit
            ax.scatter(xy[at, 0], xy[at, 1], s=2, color=plt.cm.tab10(digit), label=str(digit),
                       rasterized=True)
        ax.set_title(title, fontsize=9)
        _blank(ax)
    axes[0, -1].legend(title="digit", markerscale=5, bbox_to_anchor=(1.02, 1),
                       loc="upper left", fontsize=8)
    fig.suptitle(f"t-SNE of the penultimate layer (after PCA to 50 dimensions), "
                 f"{len(keep):,} test images", fontsize=10)
    fig.tight_layout()
    save(fig, path)


def robustness_figure(runs_csv: Path, files: RunFiles, best_json: Path, test_npz: Path,
                      points: int, device: torch.device, path: Path, table: Path) -> None:
    """Test accuracy under FGSM against ε for every variant of the best CNN's architecture
    (its first seed), on a stratified sample of the test images; `files` holds every run's
    model."""
    runs = pd.read_csv(runs_csv)
    best = read_json(best_json)
    architecture = (best["cnn"] or best)["architecture"]
    images, labels = load_arrays(test_npz)
    keep = _stratified(labels, points)
    own = runs[(runs.architecture == architecture) & (runs.seed == runs.seed.min())]
    rows = []
    for run in own.itertuples():
        model, meta = load_checkpoint(files.path(run, "model"), device)
        x, background = _inputs(meta, images[keep], device)
        high = (1 - meta["normalisation"]["mean"]) / meta["normalisation"]["std"]
        y = torch.from_numpy(labels[keep].astype(np.int64)).to(device)
        accuracy = inside.fgsm_accuracy(model, x, y, EPSILONS, meta["normalisation"]["std"],
                                        background, high)
        rows += [{"variant": run.regularisation, "epsilon": e, "accuracy": a}
                 for e, a in zip(EPSILONS, accuracy, strict=True)]
    frame = pd.DataFrame(rows)
    write_text(table, frame.to_csv(index=False))
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for i, (variant, group) in enumerate(frame.groupby("variant", sort=False)):
        ax.plot(group.epsilon, 100 * group.accuracy, "o-", color=PALETTE[i % len(PALETTE)],
                label=variant, ms=4)
    ax.set_xlabel("FGSM perturbation ε (pixel units, pixels in [0, 1])")
    ax.set_ylabel("test accuracy (%)")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=8, title=f"{architecture} variant")
    ax.set_title(f"Robustness to the fast gradient sign attack, {len(keep):,} test images",
                 fontsize=9)
    fig.tight_layout()
    save(fig, path)
