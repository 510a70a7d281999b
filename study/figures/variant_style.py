"""What the figures of the size axis share: one colour and one order per variant in every
figure, `none` black; a note in place of a figure with nothing to draw; log ticks written as
plain numbers; one legend above the panels."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.artist
import matplotlib.pyplot as plt
import matplotlib.ticker
import pandas as pd

from study.figures.results import PALETTE

BASELINE = "none"

# PALETTE less its black, which marks `none` alone.
_COLOURS = [colour for colour in PALETTE if colour != "#000000"]


def variant_colours(variants: Sequence[str]) -> dict[str, str]:
    """One colour per variant, the same in every figure: PALETTE's colour of the variant's
    place in the study's order (as in the learning curves), `none` black."""
    return {variant: "#000000" if variant == BASELINE else _COLOURS[i % len(_COLOURS)]
            for i, variant in enumerate(variants)}


def variant_order(variants: Sequence[str] | None, found: pd.Series,
                  baseline_first: bool = False) -> list[str]:
    """`variants`, or else the order of the data (`none` put first when `baseline_first`:
    the comparisons leave it out, yet the colours follow each variant's place in the
    study), then any variant the data adds."""
    order = list(variants) if variants is not None else []
    if variants is None and baseline_first:
        order.append(BASELINE)
    return order + [v for v in dict.fromkeys(found) if v not in order]


def note_figure(fig: plt.Figure, ax: plt.Axes, text: str) -> plt.Figure:
    """`ax` emptied and given `text`: the figure says why it shows nothing."""
    fig.set_size_inches(6.5, 1.4)
    ax.axis("off")
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, fontsize=10)
    fig.tight_layout()
    return fig


def log_ticks(axis: matplotlib.axis.Axis) -> None:
    """Log ticks at 1, 2 and 5 of every decade, written as plain numbers (0.5, 2, 10)."""
    axis.set_major_locator(matplotlib.ticker.LogLocator(base=10, subs=(1, 2, 5)))
    axis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_locator(matplotlib.ticker.NullLocator())


def figure_legend(fig: plt.Figure, handles: list[matplotlib.artist.Artist], columns: int,
                  title: str | None = None, raised: float = 0.0) -> None:
    """One legend for the whole figure, above its panels (`raised` inches higher), headed by
    `title`."""
    fig.legend(handles=handles, loc="lower center", ncol=columns, frameon=False,
               bbox_to_anchor=(0.5, 1.0 + raised / fig.get_figheight()), fontsize=9,
               title=title, title_fontsize=11)
