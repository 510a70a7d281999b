"""Getting to know the data (step 1): what the exploration notebook shows, as functions.

The notebook (workflow/notebooks/explore_data.py.ipynb) calls these and says what each shows;
keeping the code here lets the tests check it without a notebook kernel.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from study.data.splits import DIGITS, Split

# Okabe & Ito's colour-blind-safe palette: one colour per split.
SPLIT_COLOURS = {"training": "#0072B2", "validation": "#E69F00", "test": "#009E73"}


def structure(train_images: np.ndarray, train_labels: np.ndarray, test_images: np.ndarray,
              test_labels: np.ndarray, split: Split) -> pd.DataFrame:
    """The data set's structure: one row per array, its shape, type, values and count."""
    rows = []
    for name, images, labels in (("training (official)", train_images, train_labels),
                                 ("test (official)", test_images, test_labels)):
        rows.append({"Array": f"{name} images", "Shape": " × ".join(map(str, images.shape)),
                     "Type": str(images.dtype),
                     "Values": f"{int(images.min())} to {int(images.max())}",
                     "Count": f"{len(images):,}"})
        rows.append({"Array": f"{name} labels", "Shape": str(len(labels)),
                     "Type": str(labels.dtype),
                     "Values": f"{int(labels.min())} to {int(labels.max())}",
                     "Count": f"{len(np.unique(labels))} classes"})
    for name, idx in (("training split", split.train_idx), ("validation split", split.val_idx)):
        rows.append({"Array": f"{name} (of the official training set)",
                     "Shape": str(len(idx)), "Type": str(idx.dtype),
                     "Values": f"{int(idx.min())} to {int(idx.max())}",
                     "Count": f"{len(idx):,} images"})
    return pd.DataFrame(rows)


def examples_per_class(images: np.ndarray, labels: np.ndarray, per_class: int = 8,
                       seed: int = 0) -> plt.Figure:
    """A grid with one row per digit and `per_class` random examples of it."""
    rng = np.random.default_rng(seed)
    fig, axes = plt.subplots(10, per_class, figsize=(per_class * 0.75, 10 * 0.75),
                             squeeze=False)
    for digit in DIGITS:
        picks = rng.choice(np.flatnonzero(labels == digit), per_class, replace=False)
        for ax, index in zip(axes[digit], picks, strict=True):
            ax.imshow(images[index], cmap="gray_r", vmin=0, vmax=255)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[digit, 0].set_ylabel(str(digit), rotation=0, fontsize=12, labelpad=12,
                                  va="center")
    fig.suptitle("Random training images, one row per digit", fontsize=11)
    fig.tight_layout()
    return fig


def class_balance(labels: dict[str, np.ndarray]) -> plt.Figure:
    """Share of each digit in every split (`labels`: split name -> labels), side by side."""
    fig, ax = plt.subplots(figsize=(8, 3.2))
    width = 0.8 / len(labels)
    for i, (name, values) in enumerate(labels.items()):
        share = np.bincount(values, minlength=10) / len(values) * 100
        ax.bar(np.arange(10) + (i - (len(labels) - 1) / 2) * width, share, width,
               label=f"{name} ({len(values):,} images)",
               color=SPLIT_COLOURS.get(name, f"C{i}"))
    ax.axhline(10, color="0.3", lw=0.8, ls="--")
    ax.set_xticks(DIGITS)
    ax.set_xlabel("digit")
    ax.set_ylabel("share of the split (%)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=len(labels), fontsize=8,
              frameon=False)
    fig.tight_layout()
    return fig


def mean_images(images: np.ndarray, labels: np.ndarray) -> plt.Figure:
    """The mean image of each digit: where its strokes usually are."""
    fig, axes = plt.subplots(1, 10, figsize=(10, 1.4))
    for digit, ax in zip(DIGITS, axes, strict=True):
        ax.imshow(images[labels == digit].mean(0), cmap="gray_r", vmin=0, vmax=255)
        ax.set_title(str(digit))
        ax.axis("off")
    fig.tight_layout()
    return fig


def intensity_histogram(images: np.ndarray) -> plt.Figure:
    """Histogram of the pixel values: mostly blank background, a peak of full ink."""
    values = np.bincount(images.ravel(), minlength=256) / images.size * 100
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.bar(np.arange(256), values, width=1.0, color=SPLIT_COLOURS["training"])
    ax.set_yscale("log")
    ax.set_xlabel("pixel value (0 = background, 255 = full ink)")
    ax.set_ylabel("share of pixels (%, log scale)")
    ax.set_xlim(-1, 256)
    fig.tight_layout()
    return fig


def ink_per_class(images: np.ndarray, labels: np.ndarray) -> tuple[plt.Figure, pd.Series]:
    """Average ink of each digit (sum of pixel values / 255, i.e. fully inked pixels)."""
    ink = images.reshape(len(images), -1).sum(1) / 255.0
    frame = pd.DataFrame({"digit": labels, "ink": ink})
    fig, ax = plt.subplots(figsize=(7, 3))
    groups = [frame.ink[frame.digit == d] for d in DIGITS]
    ax.boxplot(groups, positions=DIGITS, widths=0.6, showfliers=False,
               medianprops={"color": SPLIT_COLOURS["validation"], "lw": 2})
    ax.set_xlabel("digit")
    ax.set_ylabel("ink per image\n(fully inked pixels)")
    fig.tight_layout()
    return fig, frame.groupby("digit").ink.mean()
