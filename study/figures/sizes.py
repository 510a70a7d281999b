"""The size axis: how the test error, and what each variant changes in it, move with the
size of the training set (with the learning curves on the smallest set, study.figures.
small_set). They only draw: `study.analysis.effects` computed every error and interval."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.lines
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd

from study.figures.results import save
from study.figures.small_set import read_size_histories, small_set_curves
from study.figures.style import number_ticks
from study.figures.variant_style import (
    BASELINE,
    figure_legend,
    log_ticks,
    note_figure,
    variant_colours,
    variant_order,
)
from study.io import check_outputs
from study.reporting.language import Language

SIZE_FIGURES = ("by_size", "gain", "small_curves")
SIGNIFICANT = ("helps", "hurts")  # the verdicts of a change that survives Holm's correction


def _multi_size(table: pd.DataFrame) -> list[str]:
    """The architectures of `table` trained at two sizes or more, in the order of `table`."""
    counts = table.groupby("architecture", sort=False).train_images.nunique()
    return [arch for arch, n in counts.items() if n >= 2]


def _size_axis(ax: plt.Axes, sizes: Sequence[int], lang: Language) -> None:
    """Log x at the training sizes, each written in full (1,000, 7,000, 54,000), and its
    label."""
    ax.set_xscale("log")
    ax.set_xticks(list(sizes), [lang.integer(n) for n in sizes])
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.set_xlim(min(sizes) / 1.6, max(sizes) * 1.6)
    ax.set_xlabel(lang.label("figures.training_images"))


def _dodge(variants: Sequence[str]) -> dict[str, float]:
    """A small factor per variant on the log size axis, so intervals at one size sit side by
    side instead of on top of each other."""
    middle = (len(variants) - 1) / 2
    return {v: 1.045 ** (i - middle) for i, v in enumerate(variants)}


def _variant_handles(variants: Sequence[str], colours: dict[str, str], lang: Language
                     ) -> list[matplotlib.artist.Artist]:
    return [matplotlib.lines.Line2D([], [], color=colours[v], marker="o", ms=5,
                                    lw=2.6 if v == BASELINE else 1.5, label=lang.name(v))
            for v in variants]


def _footnote(fig: plt.Figure, table: pd.DataFrame, shown: Sequence[str], lang: Language,
              more: str = "") -> None:
    """A line under the panels naming the architectures trained at one size only (and
    `more`, a further note)."""
    others = [lang.name(a) for a in dict.fromkeys(table.architecture) if a not in shown]
    notes = ([lang.label("figures.sizes.one_size", architectures=", ".join(others))]
             if others else [])
    if notes or more:
        fig.text(0.5, 0.0, " ".join([*notes, more]).strip(), ha="center", va="top",
                 fontsize=8, color="0.35")


def error_by_size(errors: pd.DataFrame, lang: Language, variants: Sequence[str] | None = None
                  ) -> plt.Figure:
    """Test error against the size of the training set, both on log scales, one panel per
    architecture trained at two sizes or more (a shared scale, so architectures compare),
    one line per variant (`none` black and thicker) with its 95% interval. A straight line
    is a power law; lines that meet at the largest size are variants that matter only when
    images are few. `variants` gives the order and the colours (default: the data's)."""
    variants = variant_order(variants, errors.regularisation)
    colours, dodge = variant_colours(variants), _dodge(variants)
    architectures = _multi_size(errors)
    fig, axes = plt.subplots(1, max(1, len(architectures)), squeeze=False, sharey=True,
                             figsize=(max(4.2, 3.4 * len(architectures) + 0.6), 3.8))
    if not architectures:
        return note_figure(fig, axes[0][0], lang.label("figures.sizes.no_size_axis"))
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
        _size_axis(ax, sizes, lang)
        ax.set_title(lang.name(arch))
    axes[0][0].set_yscale("log")
    log_ticks(axes[0][0].yaxis)
    axes[0][0].set_ylabel(lang.label("figures.sizes.test_error"))
    if clipped:
        axes[0][0].set_ylim(bottom=1.25 * floor)
    figure_legend(fig, _variant_handles(variants, colours, lang), min(len(variants), 7))
    number_ticks(fig, lang)
    fig.tight_layout()
    _footnote(fig, errors, architectures, lang,
              lang.label("figures.sizes.clipped") if clipped else "")
    return fig


def gain_by_size(effects: pd.DataFrame, lang: Language, variants: Sequence[str] | None = None
                 ) -> plt.Figure:
    """What each variant changes in the test error against `none` of the same architecture
    and size, in points (below zero: fewer errors), against the size of the training set
    (log scale), one panel per architecture trained at two sizes or more (each with its own
    scale: the changes shrink with the size), one line per variant with its 95% interval. A
    filled marker is a change that holds after Holm's correction over every comparison of
    the study, a hollow one a change the runs cannot tell from zero. `variants` gives the
    order and the colours (default: the data's, `none` first)."""
    variants = variant_order(variants, effects.regularisation, baseline_first=True)
    compared = [v for v in variants if v != BASELINE]
    colours = variant_colours(variants)
    architectures = _multi_size(effects)
    fig, axes = plt.subplots(1, max(1, len(architectures)), squeeze=False,
                             figsize=(max(4.2, 3.4 * len(architectures) + 0.6), 3.9))
    baseline = lang.name(BASELINE)
    if effects.empty:
        return note_figure(fig, axes[0][0], lang.label("figures.sizes.no_comparison",
                                                       baseline=baseline))
    if not architectures:
        return note_figure(fig, axes[0][0], lang.label("figures.sizes.not_compared"))
    shown = effects[effects.architecture.isin(architectures)]
    sizes = sorted(shown.train_images.unique())
    for ax, arch in zip(axes[0], architectures, strict=True):
        _gain_panel(ax, shown[shown.architecture == arch], compared, colours)
        _size_axis(ax, sizes, lang)
        ax.set_title(lang.name(arch))
    axes[0][0].set_ylabel(lang.label("figures.sizes.change", baseline=baseline))
    number_ticks(fig, lang)
    fig.tight_layout()
    _gain_legend(fig, compared, colours, lang)
    _footnote(fig, effects, architectures, lang)
    return fig


def _gain_panel(ax: plt.Axes, rows: pd.DataFrame, compared: list[str],
                colours: dict[str, str]) -> None:
    """One architecture's changes: a line per variant with its interval, its markers filled
    where the change is significant, around a zero line."""
    dodge = _dodge(compared)
    ax.axhline(0, color="0.2", lw=1, zorder=1)
    for variant in compared:
        own = rows[rows.regularisation == variant].sort_values("train_images")
        if own.empty:
            continue
        x = own.train_images.to_numpy(float) * dodge[variant]
        y = 100 * own.change.to_numpy(float)
        below = np.nan_to_num((y - 100 * own.low.to_numpy(float)).clip(min=0))
        above = np.nan_to_num((100 * own.high.to_numpy(float) - y).clip(min=0))
        ax.errorbar(x, y, yerr=[below, above], color=colours[variant], lw=1.4,
                    capsize=2.5, elinewidth=1.1, zorder=2)
        significant = own.verdict.isin(SIGNIFICANT).to_numpy()
        for filled in (True, False):
            pick = significant == filled
            ax.plot(x[pick], y[pick], "o", ms=6, mec=colours[variant], mew=1.4,
                    mfc=colours[variant] if filled else "white", ls="none", zorder=3)


def _gain_legend(fig: plt.Figure, compared: list[str], colours: dict[str, str],
                 lang: Language) -> None:
    """The variants in a row (or more), what the markers mean in a row above them."""
    lines = [matplotlib.lines.Line2D([], [], color=colours[v], lw=2, label=lang.name(v))
             for v in compared]
    markers = [matplotlib.lines.Line2D([], [], color="0.3", marker="o", ls="none", ms=6,
                                       label=lang.label("figures.sizes.filled")),
               matplotlib.lines.Line2D([], [], color="0.3", marker="o", ls="none", ms=6,
                                       mfc="white", mew=1.4,
                                       label=lang.label("figures.sizes.hollow"))]
    figure_legend(fig, lines, min(len(lines), 6))
    figure_legend(fig, markers, 2, raised=0.3 * -(-len(lines) // 6))


def size_figures(errors_csv: Path, effects_csv: Path, summaries: list[Path],
                 histories: list[Path], outputs: dict[str, Path], lang: Language) -> None:
    """The test error and each variant's change against `none` by training-set size (from
    the effects analysis' `errors_csv` and `effects_csv`), and the learning curves of the
    runs of `summaries` and `histories` (those of the smallest size), to `outputs` by name
    (SIZE_FIGURES), in `lang`. Every figure gives a variant the same colour."""
    check_outputs(outputs, dict.fromkeys(SIZE_FIGURES))
    errors, effects = pd.read_csv(errors_csv), pd.read_csv(effects_csv)
    curves = read_size_histories(summaries, histories)
    variants = list(dict.fromkeys([*errors.regularisation, *effects.regularisation,
                                   *curves.regularisation]))
    save(error_by_size(errors, lang, variants), outputs["by_size"])
    save(gain_by_size(effects, lang, variants), outputs["gain"])
    save(small_set_curves(curves, lang, variants), outputs["small_curves"])
