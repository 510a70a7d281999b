"""A picture of a handwritten number: its ink split into digits, left to right, each made
MNIST-like on its own by `study.serving.digit_image`.

Digits side by side leave empty columns between them; digits that touch lightly leave a
neck, a column crossed by a single thin stroke with a whole digit's worth of ink on each
side. Some single digits have such a neck too (a 4 written as an L and a bar, a 0 left
open), and a digit may break into pieces a little apart: such a split is only a proposal,
which `study.serving.predict` keeps when the model reads every digit of it more surely
than what it splits as one digit. Pieces a stroke's width or more apart are digits.

Only numpy: `study predict` must answer in well under a second from a cold start.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from study.serving.digit_image import picture_ink, to_mnist
from study.serving.picture_file import ImageInputError, load_picture

# A piece of ink is a digit of its own when it holds at least this share of the largest
# piece's ink and is at least this share of the tallest piece's height; smaller pieces (a
# detached bar, a dot) belong to the nearest digit when they lie within NEAR of its height.
DIGIT_MASS_SHARE = 0.1
DIGIT_HEIGHT_SHARE = 0.4
NEAR = 0.25
# Touching digits are cut at a neck: a column crossed by one stroke at most NECK_STROKES
# strokes thick, with at least SIDE_MASS_SHARE of the piece's ink and SIDE_HEIGHT_SHARE of
# its height on either side. Pieces narrower than MIN_ASPECT times their height are one
# digit.
NECK_STROKES = 1.5
SIDE_MASS_SHARE = 0.25
SIDE_HEIGHT_SHARE = 0.8
MIN_ASPECT = 0.75


@dataclass(frozen=True)
class Piece:
    """Ink that empty columns set apart from the rest of the picture: one digit, or digits
    that touch, proposed as `parts` cut at their necks, left to right (none without a neck).
    Each ink map is the size of the picture, zero outside its piece or part."""

    ink: np.ndarray
    parts: list[np.ndarray]
    # At least a stroke's width of empty columns from the piece before it (the first: True).
    # A writer leaves that much between digits; a digit broken by a faint stroke does not.
    apart: bool = True


@dataclass(frozen=True)
class Readings:
    """A picture made MNIST-like (28 x 28, float32 in [0, 1]) two ways: as one digit, and,
    when it has several pieces or a piece with a neck, as each piece with the digits it may
    split into, left to right (no pieces otherwise)."""

    whole: np.ndarray
    pieces: list[tuple[np.ndarray, list[np.ndarray]]]
    apart: bool  # every piece a stroke's width or more from the next


def split_pieces(ink: np.ndarray) -> list[Piece]:
    """The pieces of a picture's ink, left to right; one piece holding the whole ink map
    when nothing sets its digits apart."""
    runs = _column_runs(ink.any(axis=0))
    digits = _digit_runs(ink, runs)
    if not digits:
        return [Piece(ink, [])]
    stroke = _stroke_width(ink)
    spans = [_cut_at_necks(ink, digit, stroke) for digit in digits]
    piece_of = _column_owners(ink, runs, digits)
    part_of = _column_owners(ink, runs, [span for cuts in spans for span in cuts])
    pieces, first = [], 0
    for index, cuts in enumerate(spans):
        whole = ink if len(digits) == 1 else np.where(piece_of[None, :] == index, ink, 0.0)
        parts = [] if len(cuts) == 1 else [np.where(part_of[None, :] == first + k, ink, 0.0)
                                           for k in range(len(cuts))]
        gap = digits[index][0] - digits[index - 1][1] if index else None
        pieces.append(Piece(whole, parts, gap is None or gap >= stroke))
        first += len(cuts)
    return pieces


def _column_runs(columns: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of every run of inked columns."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], columns.astype(np.int8), [0]])))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True))


def _rows(ink: np.ndarray, span: tuple[int, int]) -> np.ndarray:
    return np.flatnonzero(ink[:, span[0]:span[1]].any(axis=1))


def _height(ink: np.ndarray, span: tuple[int, int]) -> int:
    rows = _rows(ink, span)
    return int(rows[-1] - rows[0] + 1) if rows.size else 0


def _digit_runs(ink: np.ndarray, runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The runs of columns holding a digit of their own: enough of the largest run's ink
    and of the tallest run's height."""
    masses = [float(ink[:, a:b].sum()) for a, b in runs]
    heights = [_height(ink, run) for run in runs]
    return [run for run, mass, height in zip(runs, masses, heights, strict=True)
            if mass >= DIGIT_MASS_SHARE * max(masses)
            and height >= DIGIT_HEIGHT_SHARE * max(heights)]


def _stroke_width(ink: np.ndarray) -> float:
    """The strokes' thickness: the median length of the runs of ink down the columns or
    along the rows, whichever is shorter (a stroke's run along itself is long)."""
    strong = ink > 0.5
    return min(_median_run(strong), _median_run(strong.T))


def _median_run(mask: np.ndarray) -> float:
    """The median length of the runs of True down the columns of `mask`."""
    edges = np.diff(np.pad(mask, ((1, 1), (0, 0))).astype(np.int8), axis=0).T.ravel()
    lengths = np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)
    return float(np.median(lengths)) if lengths.size else 1.0


def _cut_at_necks(ink: np.ndarray, span: tuple[int, int],
                  stroke: float) -> list[tuple[int, int]]:
    """`span` cut into the digits that touch within it, at their necks, left to right."""
    start, stop = span
    height = _height(ink, span)
    if stop - start < MIN_ASPECT * height:
        return [span]
    block = ink[:, start:stop]
    strong = block > 0.5
    thickness = strong.sum(axis=0)
    # A neck is crossed by one stroke: one run of ink down its column, not two (as across
    # the loop of a 0) or more.
    runs = (np.diff((block > 0).astype(np.int8), axis=0, prepend=0) == 1).sum(axis=0)
    thickness = np.where(runs == 1, thickness, block.shape[0])
    mass = np.cumsum(block.sum(axis=0))
    total = float(mass[-1])
    best = None
    for x in np.argsort(thickness, kind="stable"):
        if thickness[x] > NECK_STROKES * stroke:
            break
        left, right = (start, start + int(x)), (start + int(x) + 1, stop)
        if x == 0 or x == stop - start - 1:
            continue
        if (min(float(mass[x - 1]), total - float(mass[x])) >= SIDE_MASS_SHARE * total
                and min(_height(ink, left), _height(ink, right)) >= SIDE_HEIGHT_SHARE * height):
            best = int(x)
            break
    if best is None:
        return [span]
    # The neck's own column goes to neither side: it is where the two digits meet.
    return (_cut_at_necks(ink, (start, start + best), stroke)
            + _cut_at_necks(ink, (start + best + 1, stop), stroke))


def _column_owners(ink: np.ndarray, pieces: list[tuple[int, int]],
                   spans: list[tuple[int, int]]) -> np.ndarray:
    """The digit (an index into `spans`) each column belongs to: the one it lies in; for a
    small piece of ink outside them all, the nearest one when it is close enough; -1 for a
    speck and for the neck where two digits touch."""
    owner = np.full(ink.shape[1], -1)
    for index, (start, stop) in enumerate(spans):
        owner[start:stop] = index
    for a, b in pieces:
        if (owner[a:b] >= 0).any():
            continue
        gaps = [max(start - b, a - stop) for start, stop in spans]
        nearest = int(np.argmin(gaps))
        if gaps[nearest] <= NEAR * _height(ink, spans[nearest]):
            owner[a:b] = nearest
    return owner


def preprocess_number(path: str | Path) -> Readings:
    """The picture at `path` made MNIST-like as one digit, exactly as
    `digit_image.preprocess` makes it, and as the pieces of a number. Which reading stands
    is the model's call where the pieces touch or nearly do: see `study.serving.predict`."""
    picture = load_picture(path)
    try:
        ink = picture_ink(picture)
        pieces = split_pieces(ink)
        whole = to_mnist(ink)
        if len(pieces) == 1 and not pieces[0].parts:
            return Readings(whole, [], apart=True)
        return Readings(whole, [(whole if len(pieces) == 1 else to_mnist(piece.ink),
                                 [to_mnist(part) for part in piece.parts])
                                for piece in pieces], all(piece.apart for piece in pieces))
    except ValueError as err:
        raise ImageInputError(f"{path}: {err}") from None
