"""A picture of a number is cut into its digits, left to right, whether they stand apart or
touch lightly; a picture of one digit stays one piece, made MNIST-like exactly as before."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from drawn_digits import STROKES, draw, draw_number
from PIL import Image

from study.serving.digit_image import picture_ink, preprocess, to_mnist
from study.serving.number_image import preprocess_number, split_pieces
from study.serving.picture_file import load_picture

NUMBERS = ["17", "42", "307", "2014", "7431"]
GAPS = {"spaced": 30, "close": 4, "touching": -2}  # pixels between 200-pixel digits


def _close_but_for_a_pixel(a: np.ndarray, b: np.ndarray, tolerance: float) -> bool:
    return any(float(np.abs(np.roll(a, (dy, dx), axis=(0, 1)) - b).mean()) <= tolerance
               for dy in (-1, 0, 1) for dx in (-1, 0, 1))


def _digits(pieces: list) -> list[np.ndarray]:
    """The proposed digits, left to right: each piece's parts, or the piece."""
    return [part for piece in pieces for part in (piece.parts or [piece.ink])]


@pytest.mark.parametrize("gap", GAPS.values(), ids=GAPS.keys())
@pytest.mark.parametrize("number", NUMBERS)
def test_a_number_is_cut_into_its_digits(tmp_path: Path, number: str, gap: int) -> None:
    path = tmp_path / "number.png"
    draw_number(number, gap).save(path)
    digits = _digits(split_pieces(picture_ink(load_picture(path))))
    assert len(digits) == len(number)
    for ink, digit in zip(digits, number, strict=True):
        alone = tmp_path / f"{digit}.png"
        draw(int(digit), size=200).save(alone)
        assert _close_but_for_a_pixel(to_mnist(ink), preprocess(alone), 0.03), digit


@pytest.mark.parametrize("digit", sorted(STROKES))
def test_one_digit_stays_one_piece_as_before(tmp_path: Path, digit: int) -> None:
    path = tmp_path / "digit.png"
    draw(digit, width=0.16, canvas=(500, 300), offset=(0.2, 0.0)).save(path)
    ink = picture_ink(load_picture(path))
    (piece,) = split_pieces(ink)
    assert piece.ink is ink and piece.parts == []
    reading = preprocess_number(path)
    assert np.array_equal(reading.whole, preprocess(path)) and reading.pieces == []


def test_a_number_keeps_the_whole_reading_to_compare(tmp_path: Path) -> None:
    """The split is a proposal: the whole picture as one digit comes with it, and each
    piece with the digits it may split into; pieces a stroke's width apart are digits,
    pieces closer than that only a proposal too."""
    path = tmp_path / "number.png"
    draw_number("74", gap=-2).save(path)
    reading = preprocess_number(path)
    assert np.array_equal(reading.whole, preprocess(path))
    ((piece, parts),) = reading.pieces  # one touching piece, cut at its neck
    assert np.array_equal(piece, reading.whole) and len(parts) == 2
    stroke = round(0.09 * 200)  # draw's strokes, in pixels
    for gap, apart in ((40, True), (stroke, True), (stroke // 2, False)):
        draw_number("74", gap=gap).save(path)
        reading = preprocess_number(path)
        assert [len(parts) for _, parts in reading.pieces] == [0, 0]
        assert reading.apart is apart, gap


def test_a_detached_stroke_stays_with_its_digit_and_dust_far_away_does_not(
        tmp_path: Path) -> None:
    picture = np.pad(np.asarray(draw_number("17", gap=40)), ((0, 0), (120, 0)))
    h = picture.shape[0]
    top = np.flatnonzero(picture.any(axis=1))[0]
    sevens = np.flatnonzero(picture.any(axis=0))
    picture[top:top + 6, sevens[-1] + 4:sevens[-1] + 20] = 255  # the 7's bar, broken off
    picture[h - 8:h - 4, 2:6] = 255  # dust in a corner, farther than a quarter digit away
    path = tmp_path / "number.png"
    Image.fromarray(picture).save(path)
    pieces = split_pieces(picture_ink(load_picture(path)))
    assert len(pieces) == 2
    assert pieces[1].ink[top:top + 6, sevens[-1] + 4:sevens[-1] + 20].all()
    assert not any(piece.ink[h - 8:h - 4, 2:6].any() for piece in pieces)
