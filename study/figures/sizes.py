"""The size axis: how the test error, and what each variant changes in it, move with the
size of the training set, and the learning curves on the smallest set, where over-fitting
shows most. They only draw: `study.analysis.effects` computed every error and interval."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.lines
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd

from study.errors import ConfigError
from study.figures.results import PALETTE, save
from study.io import check_outputs, read_json

BASELINE = "none"
SIZE_FIGURES = ("by_size", "gain", "small_curves")
SIGNIFICANT = ("helps", "hurts")  # the verdicts of a change that survives Holm's correction

# PALETTE less its black, which marks `none` alone.
_COLOURS = [colour for colour in PALETTE if colour != "#000000"]


def variant_colours(variants: Sequence[str]) -> dict[str, str]:
    """One colour per variant, the same in every figure: PALETTE's colour of the variant's
    place in the study's order (as in the learning curves), `none` black."""
    return {variant: "#000000" if variant == BASELINE else _COLOURS[i % len(_COLOURS)]
            for i, variant in enumerate(variants)}


def _order(variants: Sequence[str] | None, found: pd.Series, baseline_first: bool = False
           ) -> list[str]:
    """`variants`, or else the order of the data (`none` put first when `baseline_first`: the
    comparisons leave it out, yet the colours follow each variant's place in the study),
    then any variant the data adds."""
    order = list(variants) if variants is not None else []
    if variants is None and baseline_first:
        order.append(BASELINE)
    return order + [v for v in dict.fromkeys(found) if v not in order]


def _multi_size(table: pd.DataFrame) -> list[str]:
    """The architectures of `table` trained at two sizes or more, in the order of `table`."""
    counts = table.groupby("architecture", sort=False).train_images.nunique()
    return [arch for arch, n in counts.items() if n >= 2]


def _note(fig: plt.Figure, ax: plt.Axes, text: str) -> plt.Figure:
    """`ax` emptied and given `text`: the figure says why it shows nothing."""
    fig.set_size_inches(6.5, 1.4)
    ax.axis("off")
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, fontsize=10)
    fig.tight_layout()
    return fig


def _size_axis(ax: plt.Axes, sizes: Sequence[int]) -> None:
    """Log x at the training sizes, each labelled in full (1,000, 7,000, 54,000)."""
    ax.set_xscale("log")
    ax.set_xticks(list(sizes), [f"{n:,}" for n in sizes])
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.set_xlim(min(sizes) / 1.6, max(sizes) * 1.6)


def _log_ticks(axis: matplotlib.axis.Axis) -> None:
    """Log ticks at 1, 2 and 5 of every decade, written as plain numbers (0.5, 2, 10)."""
    axis.set_major_locator(matplotlib.ticker.LogLocator(base=10, subs=(1, 2, 5)))
    axis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_locator(matplotlib.ticker.NullLocator())


def _dodge(variants: Sequence[str]) -> dict[str, float]:
    """A small factor per variant on the log size axis, so intervals at one size sit side by
    side instead of on top of each other."""
    middle = (len(variants) - 1) / 2
    return {v: 1.045 ** (i - middle) for i, v in enumerate(variants)}


def _legend(fig: plt.Figure, handles: list[matplotlib.artist.Artist], columns: int,
            title: str | None = None) -> None:
    """One legend for the whole figure, above its panels, headed by `title`."""
    fig.legend(handles=handles, loc="lower center", ncol=columns, frameon=False,
               bbox_to_anchor=(0.5, 1.0), fontsize=9, title=title, title_fontsize=11)


def _variant_handles(variants: Sequence[str], colours: dict[str, str]
                     ) -> list[matplotlib.artist.Artist]:
    return [matplotlib.lines.Line2D([], [], color=colours[v], marker="o", ms=5,
                                    lw=2.6 if v == BASELINE else 1.5, label=v)
            for v in variants]


def _footnote(fig: plt.Figure, table: pd.DataFrame, shown: Sequence[str],
              more: str = "") -> None:
    """A line under the panels naming the architectures trained at one size only (and
    `more`, a further note)."""
    others = [a for a in dict.fromkeys(table.architecture) if a not in shown]
    notes = [f"Trained at one size only, so not shown: {', '.join(others)}."] if others else []
    if notes or more:
        fig.text(0.5, 0.0, " ".join([*notes, more]).strip(), ha="center", va="top",
                 fontsize=8, color="0.35")


def error_by_size(errors: pd.DataFrame, variants: Sequence[str] | None = None) -> plt.Figure:
    """Test error against the size of the training set, both on log scales, one panel per
    architecture trained at two sizes or more (a shared scale, so architectures compare),
    one line per variant (`none` black and thicker) with its 95% interval. A straight line
    is a power law; lines that meet at the largest size are variants that matter only when
    images are few. `variants` gives the order and the colours (default: the data's)."""
    variants = _order(variants, errors.regularisation)
    colours, dodge = variant_colours(variants), _dodge(variants)
    architectures = _multi_size(errors)
    fig, axes = plt.subplots(1, max(1, len(architectures)), squeeze=False, sharey=True,
                             figsize=(max(4.2, 3.4 * len(architectures) + 0.6), 3.8))
    if not architectures:
        return _note(fig, axes[0][0], "No architecture was trained at two sizes or more:\n"
                     "there is no size axis to draw.")
    shown = errors[errors.architecture.isin(architectures)]
    percent = 100 * shown[["error", "low", "high"]].astype(float)
    # A log axis cannot draw 0 or below (an interval's low end near an error of 0): such
    # points and ends are drawn at a floor under the smallest positive value, below the
    # axis' bottom, so that they run off it; the data is kept.
    positive = percent.to_numpy()[percent.to_numpy() > 0]
    floor = positive.min() / 2 if positive.size else 1e-3
    clipped = bool((percent[["error", "low"]] <= 0).any().any())
    sizes = sorted(shown.train_images.unique())
    for ax, arch in zip(axes[0], architectures, strict=True):
        for variant in variants:
            rows = shown[(shown.architecture == arch) & (shown.regularisation == variant)]
            if rows.empty:
                continue
            rows = rows.sort_values("train_images")
            value = percent.loc[rows.index]
            y = value.error.clip(lower=floor)
            below = (y - value.low.clip(lower=floor)).clip(lower=0).fillna(0)
            above = (value.high - y).clip(lower=0).fillna(0)
            baseline = variant == BASELINE
            ax.errorbar(rows.train_images.to_numpy(float) * dodge[variant], y.to_numpy(),
                        yerr=[below.to_numpy(), above.to_numpy()],
                        color=colours[variant], lw=2.6 if baseline else 1.5, marker="o",
                        ms=5 if baseline else 4, capsize=2.5, elinewidth=1.1,
                        zorder=3 if baseline else 2)
        _size_axis(ax, sizes)
        ax.set_title(arch)
        ax.set_xlabel("training images (log scale)")
    axes[0][0].set_yscale("log")
    _log_ticks(axes[0][0].yaxis)
    axes[0][0].set_ylabel("test error (%, log scale)")
    if clipped:
        axes[0][0].set_ylim(bottom=1.25 * floor)
    _legend(fig, _variant_handles(variants, colours), min(len(variants), 7))
    fig.tight_layout()
    _footnote(fig, errors, architectures, "An interval (or error) reaching 0 runs off "
              "the bottom of the log scale." if clipped else "")
    return fig


def gain_by_size(effects: pd.DataFrame, variants: Sequence[str] | None = None) -> plt.Figure:
    """What each variant changes in the test error against `none` of the same architecture
    and size, in points (below zero: fewer errors), against the size of the training set
    (log scale), one panel per architecture trained at two sizes or more (each with its own
    scale: the changes shrink with the size), one line per variant with its 95% interval. A
    filled marker is a change that holds after Holm's correction over every comparison of
    the study, a hollow one a change the runs cannot tell from zero. `variants` gives the
    order and the colours (default: the data's, `none` first)."""
    variants = _order(variants, effects.regularisation, baseline_first=True)
    compared = [v for v in variants if v != BASELINE]
    colours, dodge = variant_colours(variants), _dodge(compared)
    architectures = _multi_size(effects)
    fig, axes = plt.subplots(1, max(1, len(architectures)), squeeze=False,
                             figsize=(max(4.2, 3.4 * len(architectures) + 0.6), 3.9))
    if effects.empty:
        return _note(fig, axes[0][0], f"No comparison with '{BASELINE}' to draw: no run of "
                     f"'{BASELINE}' shares its architecture, size\nand seed with a run of "
                     "another variant.")
    if not architectures:
        return _note(fig, axes[0][0], "No architecture was compared at two sizes or more:\n"
                     "there is no size axis to draw.")
    shown = effects[effects.architecture.isin(architectures)]
    sizes = sorted(shown.train_images.unique())
    for ax, arch in zip(axes[0], architectures, strict=True):
        ax.axhline(0, color="0.2", lw=1, zorder=1)
        for variant in compared:
            rows = shown[(shown.architecture == arch) & (shown.regularisation == variant)]
            if rows.empty:
                continue
            rows = rows.sort_values("train_images")
            x = rows.train_images.to_numpy(float) * dodge[variant]
            y = 100 * rows.change.to_numpy(float)
            below = np.nan_to_num((y - 100 * rows.low.to_numpy(float)).clip(min=0))
            above = np.nan_to_num((100 * rows.high.to_numpy(float) - y).clip(min=0))
            ax.errorbar(x, y, yerr=[below, above], color=colours[variant], lw=1.4,
                        capsize=2.5, elinewidth=1.1, zorder=2)
            significant = rows.verdict.isin(SIGNIFICANT).to_numpy()
            for filled in (True, False):
                pick = significant == filled
                ax.plot(x[pick], y[pick], "o", ms=6, mec=colours[variant], mew=1.4,
                        mfc=colours[variant] if filled else "white", ls="none", zorder=3)
        _size_axis(ax, sizes)
        ax.set_title(arch)
        ax.set_xlabel("training images (log scale)")
    axes[0][0].set_ylabel(f"test error − {BASELINE}'s (points)\n"
                          "below 0: fewer errors")
    lines = [matplotlib.lines.Line2D([], [], color=colours[v], lw=2, label=v)
             for v in compared]
    markers = [matplotlib.lines.Line2D([], [], color="0.3", marker="o", ls="none", ms=6,
                                       label="filled: significant after Holm (5%)"),
               matplotlib.lines.Line2D([], [], color="0.3", marker="o", ls="none", ms=6,
                                       mfc="white", mew=1.4, label="hollow: unclear")]
    fig.tight_layout()
    # The variants in a row (or more), what the markers mean in a row above them.
    rows = -(-len(lines) // 6)
    fig.legend(handles=lines, loc="lower center", ncol=min(len(lines), 6), frameon=False,
               bbox_to_anchor=(0.5, 1.0), fontsize=9)
    fig.legend(handles=markers, loc="lower center", ncol=2, frameon=False, fontsize=9,
               bbox_to_anchor=(0.5, 1.0 + 0.3 * rows / fig.get_figheight()))
    _footnote(fig, effects, architectures)
    return fig


def small_set_curves(histories: pd.DataFrame, variants: Sequence[str] | None = None
                     ) -> plt.Figure:
    """The learning curves on the smallest training set, one row per architecture, one line
    per variant (mean over seeds): on the left the training loss (solid, log scale), on the
    right the validation loss (dashed, a dot at each epoch validated). Where `none`'s
    validation loss turns up while its training loss keeps falling, the network learns its
    few images by heart; a variant that keeps the dashed line down is a cure. (Label
    smoothing's training loss cannot fall as low: it is measured against smoothed targets.)
    `histories` as `read_size_histories` gives them; the smallest of their sizes is drawn."""
    if histories.empty:
        fig, ax = plt.subplots(figsize=(5, 1.2))
        return _note(fig, ax, "No learning curve was given.")
    size = int(histories.train_images.min())
    curves = histories[histories.train_images == size]
    variants = _order(variants, curves.regularisation)
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
        _log_ticks(train_ax.yaxis)
        train_ax.set_ylabel(f"{arch}\ncross-entropy loss")
        for ax in (train_ax, val_ax):
            ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    axes[0, 0].set_title("training loss (log scale)", fontsize=10)
    axes[0, 1].set_title("validation loss", fontsize=10)
    for ax in axes[-1]:
        ax.set_xlabel("epoch")
    seeds = int(curves.groupby(["architecture", "regularisation"]).seed.nunique().max())
    handles = [matplotlib.lines.Line2D([], [], color=colours[v], lw=2.2, label=v)
               for v in variants]
    handles += [matplotlib.lines.Line2D([], [], color="0.3", lw=1.1, label="training"),
                matplotlib.lines.Line2D([], [], color="0.3", lw=1.4, ls="--", marker="o",
                                        ms=3, label="validation")]
    fig.tight_layout()
    _legend(fig, handles, min(len(handles), 8),
            title=f"Learning curves on {size:,} training images, mean over {seeds} "
            f"seed{'s' if seeds != 1 else ''}")
    return fig


def read_size_histories(summaries: list[Path], histories: list[Path]) -> pd.DataFrame:
    """Every run's history (CSV), one row per epoch, with the architecture, variant, seed
    and training-set size (`train_images`) of its train.json; `histories` in the order of
    `summaries`."""
    if len(summaries) != len(histories):
        raise ConfigError(f"{len(histories)} history files for {len(summaries)} runs: give "
                          "one per run, in the order of the train.json files")
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


def size_figures(errors_csv: Path, effects_csv: Path, summaries: list[Path],
                 histories: list[Path], outputs: dict[str, Path]) -> None:
    """The test error and each variant's change against `none` by training-set size (from
    the effects analysis' `errors_csv` and `effects_csv`), and the learning curves of the
    runs of `summaries` and `histories` (those of the smallest size), to `outputs` by name
    (SIZE_FIGURES). Every figure gives a variant the same colour."""
    check_outputs(outputs, dict.fromkeys(SIZE_FIGURES))
    errors, effects = pd.read_csv(errors_csv), pd.read_csv(effects_csv)
    curves = read_size_histories(summaries, histories)
    variants = list(dict.fromkeys([*errors.regularisation, *effects.regularisation,
                                   *curves.regularisation]))
    save(error_by_size(errors, variants), outputs["by_size"])
    save(gain_by_size(effects, variants), outputs["gain"])
    save(small_set_curves(curves, variants), outputs["small_curves"])
