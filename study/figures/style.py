"""The language's numbers on a figure's axes: every tick label, whatever formatter wrote it
(matplotlib's own, "%g", "%.2f", a log axis' plain numbers), gets the language's decimal
mark, so that a French figure reads 0,5 where the English one reads 0.5."""

from __future__ import annotations

import re

import matplotlib.axis
import matplotlib.pyplot as plt
import matplotlib.ticker

from study.reporting.language import Language

# A point between two digits: the decimal mark of a number, never the full stop of a word.
_DECIMAL_POINT = re.compile(r"(?<=\d)\.(?=\d)")


class _LanguageFormatter(matplotlib.ticker.Formatter):
    """`inner`'s tick labels with `decimal` for the decimal point; `inner` still chooses the
    ticks' precision and offset."""

    def __init__(self, inner: matplotlib.ticker.Formatter, decimal: str) -> None:
        self.inner, self.decimal = inner, decimal

    def _mark(self, label: object) -> str:
        text = str(label)  # a FixedFormatter gives back what it was given (seaborn: numbers)
        # In mathtext a bare comma is punctuation and gets a space after it: {,} does not.
        mark = "{" + self.decimal + "}" if text.startswith("$") else self.decimal
        return _DECIMAL_POINT.sub(mark, text)

    def set_axis(self, axis: matplotlib.axis.Axis | None) -> None:
        super().set_axis(axis)
        self.inner.set_axis(axis)

    def set_locs(self, locs: list[float]) -> None:
        super().set_locs(locs)
        self.inner.set_locs(locs)

    def __call__(self, x: float, pos: int | None = None) -> str:
        return self._mark(self.inner(x, pos))

    def format_ticks(self, values: list[float]) -> list[str]:
        return [self._mark(text) for text in self.inner.format_ticks(values)]

    def get_offset(self) -> str:
        return self._mark(self.inner.get_offset())

    def format_data_short(self, value: float) -> str:
        return self._mark(self.inner.format_data_short(value))


def number_ticks(fig: plt.Figure, lang: Language) -> None:
    """Every tick label of `fig` (colour bars included) written with `lang`'s decimal mark.
    Call it once the axes have their scales and formatters: setting a scale afterwards
    puts back matplotlib's own formatter."""
    decimal = lang.number["decimal"]
    if decimal == ".":  # matplotlib's own: nothing to change
        return
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for ticker in (axis.major, axis.minor):
                if not isinstance(ticker.formatter, _LanguageFormatter):
                    # Set through the axis, which gives the new formatter its axis.
                    wrapped = _LanguageFormatter(ticker.formatter, decimal)
                    if ticker is axis.major:
                        axis.set_major_formatter(wrapped)
                    else:
                        axis.set_minor_formatter(wrapped)
