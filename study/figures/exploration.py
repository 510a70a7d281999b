"""Getting to know the data (step 1): what the exploration notebook shows, as functions.

The notebook (workflow/notebooks/explore_data.py.ipynb) calls these and says what each shows;
keeping the code here lets the tests check it without a notebook kernel, and `study figures
exploration` draws them in any language without the notebook.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from study.data.splits import DIGITS, Split, load_arrays, load_split
from study.figures.results import save
from study.figures.style import number_ticks
from study.io import check_outputs, write_text
from study.reporting.language import Language

# Okabe & Ito's colour-blind-safe palette: one colour per split.
SPLIT_COLOURS = {"training": "#0072B2", "validation": "#E69F00", "test": "#009E73"}


def structure(train_images: np.ndarray, train_labels: np.ndarray, test_images: np.ndarray,
              test_labels: np.ndarray, split: Split, lang: Language) -> pd.DataFrame:
    """The data set's structure: one row per array, its shape, type, values and count."""
    words = "figures.exploration.structure"

    def values(array: np.ndarray) -> str:  # written as the shapes are: 59992, ungrouped
        return lang.label(f"{words}.values", low=int(array.min()), high=int(array.max()))

    rows = []
    for name, images, labels in (("training", train_images, train_labels),
                                 ("test", test_images, test_labels)):
        rows.append((lang.label(f"{words}.arrays.{name}_images"),
                     " × ".join(map(str, images.shape)), str(images.dtype), values(images),
                     lang.integer(len(images))))
        rows.append((lang.label(f"{words}.arrays.{name}_labels"), str(len(labels)),
                     str(labels.dtype), values(labels),
                     lang.label(f"{words}.classes", n=lang.integer(len(np.unique(labels))))))
    for name, idx in (("training", split.train_idx), ("validation", split.val_idx)):
        rows.append((lang.label(f"{words}.arrays.{name}_split"), str(len(idx)),
                     str(idx.dtype), values(idx),
                     lang.label(f"{words}.images", n=lang.integer(len(idx)))))
    columns = [lang.label(f"{words}.columns.{key}")
               for key in ("array", "shape", "type", "values", "count")]
    return pd.DataFrame(rows, columns=columns)


def examples_per_class(images: np.ndarray, labels: np.ndarray, lang: Language,
                       per_class: int = 8, seed: int = 0) -> plt.Figure:
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
    fig.suptitle(lang.label("figures.exploration.samples"), fontsize=11)
    fig.tight_layout()
    return fig


def class_balance(labels: dict[str, np.ndarray], lang: Language) -> plt.Figure:
    """Share of each digit in every split (`labels`: split name -> labels, the names those
    of the wording's figures.splits), side by side."""
    fig, ax = plt.subplots(figsize=(8, 3.2))
    width = 0.8 / len(labels)
    for i, (name, values) in enumerate(labels.items()):
        share = np.bincount(values, minlength=10) / len(values) * 100
        ax.bar(np.arange(10) + (i - (len(labels) - 1) / 2) * width, share, width,
               label=lang.label("figures.exploration.split",
                                split=lang.label(f"figures.splits.{name}"),
                                images=lang.integer(len(values))),
               color=SPLIT_COLOURS.get(name, f"C{i}"))
    ax.axhline(10, color="0.3", lw=0.8, ls="--")
    ax.set_xticks(DIGITS)
    ax.set_xlabel(lang.label("figures.digit"))
    ax.set_ylabel(lang.label("figures.exploration.share"))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=len(labels), fontsize=8,
              frameon=False)
    number_ticks(fig, lang)
    fig.tight_layout()
    return fig


def mean_images(images: np.ndarray, labels: np.ndarray) -> plt.Figure:
    """The mean image of each digit: where its strokes usually are (no word to translate:
    each is titled by its digit)."""
    fig, axes = plt.subplots(1, 10, figsize=(10, 1.4))
    for digit, ax in zip(DIGITS, axes, strict=True):
        ax.imshow(images[labels == digit].mean(0), cmap="gray_r", vmin=0, vmax=255)
        ax.set_title(str(digit))
        ax.axis("off")
    fig.tight_layout()
    return fig


def intensity_histogram(images: np.ndarray, lang: Language) -> plt.Figure:
    """Histogram of the pixel values: mostly blank background, a peak of full ink."""
    values = np.bincount(images.ravel(), minlength=256) / images.size * 100
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.bar(np.arange(256), values, width=1.0, color=SPLIT_COLOURS["training"])
    ax.set_yscale("log")
    ax.set_xlabel(lang.label("figures.exploration.pixel_value"))
    ax.set_ylabel(lang.label("figures.exploration.pixel_share"))
    ax.set_xlim(-1, 256)
    number_ticks(fig, lang)
    fig.tight_layout()
    return fig


def ink_per_class(images: np.ndarray, labels: np.ndarray, lang: Language
                  ) -> tuple[plt.Figure, pd.Series]:
    """Average ink of each digit (sum of pixel values / 255, i.e. fully inked pixels)."""
    ink = images.reshape(len(images), -1).sum(1) / 255.0
    frame = pd.DataFrame({"digit": labels, "ink": ink})
    fig, ax = plt.subplots(figsize=(7, 3))
    groups = [frame.ink[frame.digit == d] for d in DIGITS]
    ax.boxplot(groups, positions=DIGITS, widths=0.6, showfliers=False,
               medianprops={"color": SPLIT_COLOURS["validation"], "lw": 2})
    ax.set_xlabel(lang.label("figures.digit"))
    ax.set_ylabel(lang.label("figures.exploration.ink"))
    number_ticks(fig, lang)
    fig.tight_layout()
    return fig, frame.groupby("digit").ink.mean()


EXPLORATION_OUTPUTS = ("samples", "balance", "means", "intensity", "ink", "structure")


def exploration_figures(train_npz: Path, test_npz: Path, split_npz: Path,
                        outputs: dict[str, Path], lang: Language) -> None:
    """What the exploration notebook draws and writes, in `lang`, to `outputs` by name
    (EXPLORATION_OUTPUTS, the names of the notebook's outputs): the figures, and the
    structure table in Markdown."""
    check_outputs(outputs, dict.fromkeys(EXPLORATION_OUTPUTS))
    train_images, train_labels = load_arrays(train_npz)
    test_images, test_labels = load_arrays(test_npz)
    split = load_split(split_npz)
    table = structure(train_images, train_labels, test_images, test_labels, split, lang)
    write_text(outputs["structure"], table.to_markdown(index=False) + "\n")
    images, labels = train_images[split.train_idx], train_labels[split.train_idx]
    save(examples_per_class(images, labels, lang), outputs["samples"])
    save(class_balance({"training": labels, "validation": train_labels[split.val_idx],
                        "test": test_labels}, lang), outputs["balance"])
    save(mean_images(images, labels), outputs["means"])
    save(intensity_histogram(images, lang), outputs["intensity"])
    save(ink_per_class(images, labels, lang)[0], outputs["ink"])
