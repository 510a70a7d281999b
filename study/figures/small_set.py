"""The learning curves on the smallest training set of the size axis, where over-fitting
shows most: every run's history, read with its training-set size, and drawn per variant."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.lines
import matplotlib.pyplot as plt
import matplotlib.ticker
import pandas as pd

from study.figures.style import number_ticks
from study.figures.variant_style import (
    BASELINE,
    figure_legend,
    log_ticks,
    note_figure,
    variant_colours,
    variant_order,
)
from study.io import read_json
from study.reporting.language import Language
from study.run_files import check_one_per_run


def small_set_curves(histories: pd.DataFrame, lang: Language,
                     variants: Sequence[str] | None = None) -> plt.Figure:
    """The learning curves on the smallest training set, one row per architecture, one line
    per variant (mean over seeds): on the left the training loss (solid, log scale), on the
    right the validation loss (dashed, a dot at each epoch validated). Where `none`'s
    validation loss turns up while its training loss keeps falling, the network learns its
    few images by heart; a variant that keeps the dashed line down is a cure. (Label
    smoothing's training loss cannot fall as low: it is measured against smoothed targets.)
    `histories` as `read_size_histories` gives them; the smallest of their sizes is drawn."""
    if histories.empty:
        fig, ax = plt.subplots(figsize=(5, 1.2))
        return note_figure(fig, ax, lang.label("figures.sizes.no_curves"))
    size = int(histories.train_images.min())
    curves = histories[histories.train_images == size]
    variants = variant_order(variants, curves.regularisation)
    colours = variant_colours(variants)
    architectures = list(dict.fromkeys(curves.architecture))
    fig, axes = plt.subplots(len(architectures), 2, squeeze=False, sharex=True,
                             figsize=(9, 2.5 * len(architectures) + 0.5))
    for (train_ax, val_ax), arch in zip(axes, architectures, strict=True):
        for variant in variants:
            runs = curves[(curves.architecture == arch) & (curves.regularisation == variant)]
            if runs.empty:
                continue
            baseline = variant == BASELINE
            style = dict(color=colours[variant], zorder=3 if baseline else 2)
            train = runs.groupby("epoch").train_loss.mean()
            # Only the epochs validated: the others have no validation loss.
            val = runs.dropna(subset=["val_loss"]).groupby("epoch").val_loss.mean()
            train_ax.plot(train.index, train, lw=2.0 if baseline else 1.1, **style)
            val_ax.plot(val.index, val, lw=2.2 if baseline else 1.4, ls="--", marker="o",
                        ms=3, **style)
        train_ax.set_yscale("log")
        log_ticks(train_ax.yaxis)
        train_ax.set_ylabel(f"{lang.name(arch)}\n{lang.label('figures.loss')}")
        for ax in (train_ax, val_ax):
            ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    axes[0, 0].set_title(lang.label("figures.sizes.training_loss"), fontsize=10)
    axes[0, 1].set_title(lang.label("figures.sizes.validation_loss"), fontsize=10)
    for ax in axes[-1]:
        ax.set_xlabel(lang.label("figures.epoch"))
    seeds = int(curves.groupby(["architecture", "regularisation"]).seed.nunique().max())
    handles = [matplotlib.lines.Line2D([], [], color=colours[v], lw=2.2, label=lang.name(v))
               for v in variants]
    handles += [matplotlib.lines.Line2D([], [], color="0.3", lw=1.1,
                                        label=lang.label("figures.splits.training")),
                matplotlib.lines.Line2D([], [], color="0.3", lw=1.4, ls="--", marker="o",
                                        ms=3, label=lang.label("figures.splits.validation"))]
    number_ticks(fig, lang)
    fig.tight_layout()
    title = lang.label("figures.sizes.small_curves", images=lang.integer(size),
                       seeds=lang.count(seeds, lang.label("nouns.seed")))
    figure_legend(fig, handles, min(len(handles), 8), title=title)
    return fig


def read_size_histories(summaries: list[Path], histories: list[Path]) -> pd.DataFrame:
    """Every run's history (CSV), one row per epoch, with the architecture, variant, seed
    and training-set size (`train_images`) of its train.json; `histories` in the order of
    `summaries`."""
    check_one_per_run("history", histories, summaries)
    frames = []
    for summary_path, history_path in zip(summaries, histories, strict=True):
        run = read_json(summary_path)
        history = pd.read_csv(history_path)
        history["architecture"] = run["architecture"]
        history["regularisation"] = run["regularisation"]
        history["seed"] = int(run["seed"])
        history["train_images"] = int(run["n_train"])
        frames.append(history)
    if not frames:
        return pd.DataFrame(columns=["epoch", "train_loss", "val_loss", "architecture",
                                     "regularisation", "seed", "train_images"])
    return pd.concat(frames, ignore_index=True)
