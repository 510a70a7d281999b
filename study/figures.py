"""The figures of the report: the data, the training, and what the best network learned."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch
from sklearn.manifold import TSNE
from sklearn.model_selection import train_test_split
from torch import nn

from study.checkpoint import load_checkpoint
from study.data import load_arrays, load_split, to_inputs
from study.engine import pick_device, predict
from study.io import atomic_path, read_json

sns.set_theme(context="paper", style="whitegrid", font_scale=1.1)
DIGITS = list(range(10))


def save(fig: plt.Figure, path: Path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=160, bbox_inches="tight")
    plt.close(fig)


def image_grid(images: np.ndarray, titles: list[str], columns: int) -> plt.Figure:
    rows = max(1, -(-len(images) // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(columns * 0.9, rows * 1.05),
                             squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, image, title in zip(axes.flat, images, titles, strict=False):
        ax.imshow(image, cmap="gray_r", vmin=0, vmax=255)
        ax.set_title(title, fontsize=8)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- the data


def data_figures(train_npz: Path, split_npz: Path, out_dir: Path) -> None:
    images, labels = load_arrays(train_npz)
    split = load_split(split_npz)
    rng = np.random.default_rng(0)
    train_labels = labels[split.train_idx]
    picks = [split.train_idx[rng.choice(np.flatnonzero(train_labels == d), 4, replace=False)]
             for d in DIGITS]
    order = np.stack(picks, axis=1).ravel()  # four rows, one column per digit
    save(image_grid(images[order], [str(labels[i]) for i in order], 10),
         out_dir / "samples.png")

    counts = pd.DataFrame({
        "digit": np.concatenate([labels[split.train_idx], labels[split.val_idx]]),
        "split": ["training"] * len(split.train_idx) + ["validation"] * len(split.val_idx),
    })
    fig, axes = plt.subplots(1, 2, figsize=(9, 3))
    for ax, name in zip(axes, ["training", "validation"], strict=True):
        sns.countplot(counts[counts.split == name], x="digit", ax=ax, color="C0")
        ax.set_title(f"{name} split ({(counts.split == name).sum():,} images)")
        ax.set_ylabel("images")
    fig.tight_layout()
    save(fig, out_dir / "class_balance.png")


# ---------------------------------------------------------------- the training


def result_figures(runs_csv: Path, out_dir: Path) -> None:
    runs = pd.read_csv(runs_csv)
    histories = []
    for run in runs.itertuples():
        history = pd.read_csv(Path(run.dir) / "history.csv")
        history["architecture"], history["regularisation"] = run.architecture, run.regularisation
        history["seed"] = run.seed
        histories.append(history)
    curves = pd.concat(histories)
    curves["validation error (%)"] = 100 * (1 - curves.val_accuracy)
    architectures = list(dict.fromkeys(runs.architecture))
    fig, axes = plt.subplots(1, len(architectures), figsize=(3.6 * len(architectures), 3.2),
                             sharey=True, squeeze=False)
    for ax, arch in zip(axes[0], architectures, strict=True):
        sns.lineplot(curves[curves.architecture == arch], x="epoch", y="validation error (%)",
                     hue="regularisation", errorbar="sd", marker="o", ax=ax)
        ax.set_title(arch)
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    fig.tight_layout()
    save(fig, out_dir / "learning_curves.png")

    runs["variant"] = runs.architecture + " + " + runs.regularisation
    runs["test accuracy (%)"] = 100 * runs.test_accuracy
    fig, ax = plt.subplots(figsize=(7, 0.45 * runs.variant.nunique() + 1.2))
    sns.pointplot(runs, y="variant", x="test accuracy (%)", errorbar="sd", linestyle="none",
                  capsize=0.3, ax=ax, color="C0")
    sns.stripplot(runs, y="variant", x="test accuracy (%)", ax=ax, color="0.4", size=4,
                  alpha=0.6)
    ax.set_ylabel("")
    ax.set_title("Test accuracy, mean ± std over seeds (dots: single seeds)")
    fig.tight_layout()
    save(fig, out_dir / "accuracy_by_variant.png")


# ---------------------------------------------------------------- the best model


def first_conv(model: nn.Module) -> nn.Conv2d | None:
    return next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)


def confusion_figure(run_dir: Path, title: str, path: Path) -> None:
    confusion = pd.read_csv(run_dir / "confusion.csv", index_col=0)
    errors = confusion.to_numpy().copy()
    np.fill_diagonal(errors, 0)
    fig, ax = plt.subplots(figsize=(6, 5))
    # Colour shows the errors only: the diagonal would swamp them.
    sns.heatmap(errors, annot=confusion.to_numpy(), fmt="d", cmap="Reds", cbar=False,
                linewidths=0.5, linecolor="0.9", ax=ax, annot_kws={"fontsize": 8})
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    ax.set_title(title)
    fig.tight_layout()
    save(fig, path)


def misclassified_figure(run_dir: Path, images: np.ndarray, path: Path, count: int = 30) -> None:
    with np.load(run_dir / "predictions.npz") as f:
        probabilities, labels, predicted = f["probabilities"], f["labels"], f["predicted"]
    wrong = np.flatnonzero(predicted != labels)
    # The most confident mistakes first: these are the most telling (or mislabelled) images.
    wrong = wrong[np.argsort(-probabilities[wrong, predicted[wrong]])][:count]
    titles = [f"{labels[i]}→{predicted[i]} ({probabilities[i, predicted[i]]:.2f})"
              for i in wrong]
    save(image_grid(images[wrong], titles or ["no errors"], 10), path)


def filters_figure(cnn_dir: Path | None, path: Path) -> None:
    conv = None
    if cnn_dir is not None:
        model, meta = load_checkpoint(cnn_dir / "model.pt")
        conv = first_conv(model)
    if conv is None:
        fig, ax = plt.subplots(figsize=(5, 1))
        ax.axis("off")
        ax.text(0.5, 0.5, "no convolutional model in this study", ha="center")
        save(fig, path)
        return
    weights = conv.weight.detach()[:, 0].numpy()  # (filters, k, k): one input channel
    columns = min(8, len(weights))
    rows = -(-len(weights) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(columns * 0.9, rows * 0.9), squeeze=False)
    limit = np.abs(weights).max()
    for ax in axes.flat:
        ax.axis("off")
    for ax, w in zip(axes.flat, weights, strict=False):
        ax.imshow(w, cmap="RdBu_r", vmin=-limit, vmax=limit)
    fig.suptitle(f"First-layer filters of {meta['architecture']} + {meta['regularisation']} "
                 "(red positive, blue negative)", fontsize=9)
    fig.tight_layout()
    save(fig, path)


def tsne_figure(run_dir: Path, images: np.ndarray, labels: np.ndarray, points: int,
                device: torch.device, path: Path) -> None:
    model, meta = load_checkpoint(run_dir / "model.pt", device)
    if points < len(labels):
        keep, _ = train_test_split(np.arange(len(labels)), train_size=points, stratify=labels,
                                   random_state=0)
    else:
        keep = np.arange(len(labels))
    norm = meta["normalisation"]
    x = to_inputs(images[keep], norm["mean"], norm["std"], device)
    embedding = predict(model.features, x).cpu().numpy()
    xy = TSNE(n_components=2, init="pca", perplexity=min(30, len(keep) // 4),
              random_state=0).fit_transform(embedding)
    fig, ax = plt.subplots(figsize=(6, 5.5))
    sns.scatterplot(x=xy[:, 0], y=xy[:, 1], hue=labels[keep].astype(str), palette="tab10",
                    hue_order=[str(d) for d in DIGITS], s=8, linewidth=0, ax=ax)
    ax.legend(title="digit", markerscale=2, bbox_to_anchor=(1.02, 1), loc="upper left")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"t-SNE of the penultimate layer, {len(keep):,} test images")
    fig.tight_layout()
    save(fig, path)


def best_model_figures(best_json: Path, test_npz: Path, device: str, tsne_points: int,
                       out_dir: Path) -> None:
    best = read_json(best_json)
    run_dir = Path(best["dir"])
    images, labels = load_arrays(test_npz)
    name = f"{best['architecture']} + {best['regularisation']} (seed {best['seed']})"
    confusion_figure(run_dir, f"Confusion matrix of {name}, test set",
                     out_dir / "confusion.png")
    misclassified_figure(run_dir, images, out_dir / "misclassified.png")
    filters_figure(Path(best["cnn_dir"]) if best["cnn_dir"] else None, out_dir / "filters.png")
    tsne_figure(run_dir, images, labels, tsne_points, pick_device(device), out_dir / "tsne.png")
