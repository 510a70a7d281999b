"""The figures of the report: the data, the training, and what the best network learned."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.lines
import matplotlib.patches
import matplotlib.ticker

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from torch import nn

from study.data.mnist import known_label_errors
from study.data.splits import load_arrays
from study.evaluation.calibration import Reliability, reliability_of
from study.figures.style import number_ticks
from study.io import atomic_path, check_outputs, read_json
from study.models.checkpoint import load_checkpoint
from study.reporting.language import Language
from study.run_files import RunFiles

sns.set_theme(context="paper", style="whitegrid", font_scale=1.1)


def save(fig: plt.Figure, path: str | Path) -> None:
    """Write `fig` as a 200 dpi PNG, atomically, and free it."""
    with atomic_path(Path(path)) as tmp:
        fig.savefig(tmp, format="png", dpi=200, bbox_inches="tight")
    plt.close(fig)


def image_grid(images: np.ndarray, titles: list[str], columns: int,
               marked: list[bool] | None = None) -> plt.Figure:
    """Digits in a grid with a title each; `marked` ones get a red frame."""
    rows = max(1, -(-len(images) // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(columns * 0.9, rows * 1.05),
                             squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    marks = marked or [False] * len(images)
    for ax, image, title, mark in zip(axes.flat, images, titles, marks, strict=False):
        ax.imshow(image, cmap="gray_r", vmin=0, vmax=255)
        ax.set_title(title, fontsize=8, color="#D55E00" if mark else "black")
        if mark:
            ax.add_patch(matplotlib.patches.Rectangle((-0.5, -0.5), 28, 28, fill=False,
                                                      ec="#D55E00", lw=3))
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- the training


# Okabe & Ito's colour-blind-safe palette, one colour per variant (black last: the 8th).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#000000"]


def read_histories(runs: pd.DataFrame, files: RunFiles) -> pd.DataFrame:
    """Every run's history (CSV, in `files`), one row per epoch, with its architecture,
    variant and seed."""
    histories = []
    for run in runs.itertuples():
        history = pd.read_csv(files.path(run, "history"))
        history["architecture"], history["regularisation"] = run.architecture, run.regularisation
        history["seed"] = run.seed
        histories.append(history)
    curves = pd.concat(histories, ignore_index=True)
    curves["train_error"] = 100 * (1 - curves.train_accuracy)
    curves["val_error"] = 100 * (1 - curves.val_accuracy)
    return curves


def learning_curves(curves: pd.DataFrame, architectures: list[str], variants: list[str],
                    lang: Language) -> plt.Figure:
    """Loss and error per epoch, training (solid) against validation (dashed), one row per
    architecture, its variants overlaid (mean over seeds): a gap that opens between the two
    lines is over-fitting, and a variant that closes it is a cure."""
    colours = dict(zip(variants, PALETTE * 2, strict=False))
    fig, axes = plt.subplots(len(architectures), 2, squeeze=False,
                             figsize=(9, 2.4 * len(architectures) + 0.8))
    for row, arch in zip(axes, architectures, strict=True):
        for variant in variants:
            mean = (curves[(curves.architecture == arch) & (curves.regularisation == variant)]
                    .groupby("epoch").mean(numeric_only=True))
            if mean.empty:
                continue
            for ax, train, val in ((row[0], "train_loss", "val_loss"),
                                   (row[1], "train_error", "val_error")):
                ax.plot(mean.index, mean[train], color=colours[variant], lw=1.4)
                ax.plot(mean.index, mean[val], color=colours[variant], lw=1.4, ls="--")
        row[0].set_ylabel(f"{lang.name(arch)}\n{lang.label('figures.loss')}")
        row[1].set_ylabel(lang.label("figures.curves.error"))
        row[1].set_yscale("log")
        row[1].yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
        for ax in row:
            ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    for ax in axes[-1]:
        ax.set_xlabel(lang.label("figures.epoch"))
    handles = [matplotlib.lines.Line2D([], [], color=colours[v], lw=2, label=lang.name(v))
               for v in variants]
    handles += [matplotlib.lines.Line2D([], [], color="0.3", lw=1.4,
                                        label=lang.label("figures.splits.training")),
                matplotlib.lines.Line2D([], [], color="0.3", lw=1.4, ls="--",
                                        label=lang.label("figures.splits.validation"))]
    fig.legend(handles=handles, loc="upper center", ncol=min(len(handles), 5),
               bbox_to_anchor=(0.5, 1.0), frameon=False)
    number_ticks(fig, lang)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.5 / fig.get_figheight()))
    return fig


def accuracy_by_variant(runs: pd.DataFrame, architectures: list[str], variants: list[str],
                        lang: Language) -> plt.Figure:
    """Test accuracy of every variant, one panel per architecture (each with its own scale):
    mean ± std over seeds, single seeds as dots."""
    fig, axes = plt.subplots(1, len(architectures), squeeze=False,
                             figsize=(max(6.0, 2.2 * len(architectures)), 3.4))
    for ax, arch in zip(axes[0], architectures, strict=True):
        own = runs[runs.architecture == arch]
        for x, variant in enumerate(variants):
            accuracy = 100 * own[own.regularisation == variant].test_accuracy
            if accuracy.empty:
                continue
            ax.errorbar(x, accuracy.mean(), yerr=accuracy.std() if len(accuracy) > 1 else 0,
                        fmt="o", color=PALETTE[x % len(PALETTE)], capsize=3, ms=6)
            ax.plot([x] * len(accuracy), accuracy, ".", color="0.45", ms=4)
        ax.set_xticks(range(len(variants)), [lang.name(v) for v in variants], rotation=55,
                      ha="right")
        ax.set_title(lang.name(arch))
        ax.yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%.2f"))
    axes[0][0].set_ylabel(lang.label("figures.test_accuracy"))
    number_ticks(fig, lang)
    fig.tight_layout()
    return fig


RESULT_FIGURES = ("curves", "curves_best", "accuracy")


def result_figures(runs_csv: Path, best_json: Path, files: RunFiles,
                   outputs: dict[str, Path], lang: Language) -> None:
    """The learning curves (all, and those of the architecture chosen on validation, in
    `best_json`) and the accuracy of every variant, to `outputs` by name (RESULT_FIGURES),
    in `lang`; `files` holds every run's history."""
    check_outputs(outputs, dict.fromkeys(RESULT_FIGURES))
    runs = pd.read_csv(runs_csv)
    architectures = list(dict.fromkeys(runs.architecture))
    variants = list(dict.fromkeys(runs.regularisation))
    curves = read_histories(runs, files)
    save(learning_curves(curves, architectures, variants, lang), outputs["curves"])
    # The slides show the chosen architecture.
    best = read_json(best_json)["architecture"]
    save(learning_curves(curves, [best], variants, lang), outputs["curves_best"])
    save(accuracy_by_variant(runs, architectures, variants, lang), outputs["accuracy"])


# ---------------------------------------------------------------- the best model


def first_conv(model: nn.Module) -> nn.Conv2d | None:
    return next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)


def confusion_figure(confusion_csv: Path, title: str, path: Path, lang: Language) -> None:
    """Row-normalised: each row says where the test images of one digit went (% of it)."""
    confusion = pd.read_csv(confusion_csv, index_col=0).to_numpy()
    share = 100 * confusion / confusion.sum(1, keepdims=True).clip(min=1)
    errors = share.copy()
    np.fill_diagonal(errors, 0)
    labels = np.array([[lang.fixed(x, 1) if x >= 0.05 else "" for x in row] for row in share])
    fig, ax = plt.subplots(figsize=(6.4, 5.4))
    # Colour shows the errors only: the diagonal (the recall of each digit) would swamp them.
    sns.heatmap(errors, annot=labels, fmt="", cmap="rocket_r", vmin=0,
                cbar_kws={"label": lang.label("figures.best.share")},
                linewidths=0.5, linecolor="0.9", ax=ax, annot_kws={"fontsize": 7.5})
    ax.set_xlabel(lang.label("figures.best.predicted_digit"))
    ax.set_ylabel(lang.label("figures.best.true_digit"))
    ax.set_title(title, fontsize=10)
    number_ticks(fig, lang)
    fig.tight_layout()
    save(fig, path)


def misclassified_figure(predictions: Path, images: np.ndarray, path: Path, lang: Language,
                         count: int = 30) -> None:
    """The most confident mistakes, with true → predicted label and confidence; a red frame
    marks the test images whose MNIST label is known to be wrong."""
    with np.load(predictions) as f:
        probabilities, labels, predicted = f["probabilities"], f["labels"], f["predicted"]
    wrong = np.flatnonzero(predicted != labels)
    # The most confident mistakes first: these are the most telling (or mislabelled) images.
    wrong = wrong[np.argsort(-probabilities[wrong, predicted[wrong]])][:count]
    suspect = set(known_label_errors())
    titles = [f"{labels[i]}→{predicted[i]} ({lang.fixed(probabilities[i, predicted[i]], 2)})"
              for i in wrong]
    fig = image_grid(images[wrong], titles or [lang.label("figures.best.no_errors")], 10,
                     marked=[i in suspect for i in wrong])
    if any(i in suspect for i in wrong):
        fig.text(0.5, 0.0, lang.label("figures.best.label_error"), ha="center", va="top",
                 fontsize=8, color="#D55E00")
    save(fig, path)


def reliability_figure(before: Reliability, after: Reliability, temperature: float,
                       title: str, lang: Language) -> plt.Figure:
    """Accuracy against confidence before and after temperature scaling; below, how many
    predictions fall at each confidence."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6, 5.6), sharex=True,
                                      gridspec_kw={"height_ratios": [3, 1.3]})
    top.plot([0, 1], [0, 1], color="0.5", lw=1, ls=":", label=lang.label("figures.best.perfect"))
    scaled = lang.label("figures.best.temperature", temperature=lang.fixed(temperature, 2))
    for result, colour, name in ((before, PALETTE[0], lang.label("figures.best.as_trained")),
                                 (after, PALETTE[1], scaled)):
        top.plot(result.confidence, result.accuracy, "o-", color=colour, ms=5,
                 label=lang.label("figures.best.ece", curve=name, ece=lang.pct(result.ece)))
        bottom.bar(result.confidence, result.count, width=0.025, color=colour, alpha=0.6)
    top.set_ylabel(lang.label("figures.best.accuracy_in_bin"))
    top.set_xlim(0, 1.01)
    top.set_ylim(0, 1.01)
    top.legend(loc="upper left", fontsize=8)
    top.set_title(title, fontsize=10)
    bottom.set_yscale("log")
    bottom.set_xlabel(lang.label("figures.best.confidence"))
    bottom.set_ylabel(lang.label("figures.test_images"))
    number_ticks(fig, lang)
    fig.tight_layout()
    return fig


def filters_figure(checkpoint: Path | None, path: Path, lang: Language) -> None:
    """The first convolution's filters of the model in `checkpoint` (None: there is none)."""
    conv = None
    if checkpoint is not None:
        model, meta = load_checkpoint(checkpoint)
        conv = first_conv(model)
    if conv is None:
        fig, ax = plt.subplots(figsize=(5, 1))
        ax.axis("off")
        ax.text(0.5, 0.5, lang.label("figures.inside.no_cnn"), ha="center")
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
    name = lang.name(f"{meta['architecture']} + {meta['regularisation']}")
    fig.suptitle(lang.label("figures.inside.filters", name=name), fontsize=9)
    fig.tight_layout()
    save(fig, path)


BEST_MODEL_FIGURES = ("confusion", "misclassified", "reliability")


def best_model_figures(best_json: Path, files: RunFiles, test_npz: Path,
                       calibration_json: Path, outputs: dict[str, Path], lang: Language
                       ) -> None:
    """The evaluation of the best run (chosen on validation): its confusion matrix, its most
    confident mistakes and its reliability before and after temperature scaling (measured by
    `study.analysis.calibrate`), to `outputs` by name (BEST_MODEL_FIGURES), in `lang`;
    `files` holds every run's predictions and confusion matrix."""
    check_outputs(outputs, dict.fromkeys(BEST_MODEL_FIGURES))
    best = read_json(best_json)
    images, _ = load_arrays(test_npz)
    run = lang.label("figures.best.run", seed=best["seed"],
                     run=lang.name(f"{best['architecture']} + {best['regularisation']}"))
    confusion_figure(files.path(best, "confusion"),
                     lang.label("figures.best.confusion", run=run), outputs["confusion"], lang)
    misclassified_figure(files.path(best, "predictions"), images, outputs["misclassified"],
                         lang)
    calibration = read_json(calibration_json)
    save(reliability_figure(reliability_of(calibration, "before"),
                            reliability_of(calibration, "after"), calibration["temperature"],
                            lang.label("figures.best.reliability", run=run), lang),
         outputs["reliability"])
