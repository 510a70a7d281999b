"""Digits drawn by the tests: pen strokes in the unit square, drawn with Pillow as a person
would with a pen (the pictures `study predict` gets), or replayed as mouse strokes on the
deck's canvas."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

Stroke = list[tuple[float, float]]


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, stop: float,
         steps: int = 24) -> Stroke:
    """Points of an elliptic arc, angles in degrees, clockwise on screen from 3 o'clock."""
    return [(cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
            for a in np.linspace(start, stop, steps)]


# Each digit as MNIST's writers mostly wrote it: one list of strokes, x right, y down.
STROKES: dict[int, list[Stroke]] = {
    0: [_arc(0.5, 0.5, 0.26, 0.4, 0, 360, 40)],
    1: [[(0.58, 0.1), (0.42, 0.9)]],
    2: [[*_arc(0.5, 0.32, 0.25, 0.22, 200, 390, 16), (0.22, 0.88), (0.8, 0.88)]],
    3: [_arc(0.5, 0.3, 0.23, 0.2, 210, 450, 16) + _arc(0.5, 0.7, 0.26, 0.2, 270, 510, 16)],
    4: [[(0.58, 0.1), (0.2, 0.62), (0.82, 0.62)], [(0.62, 0.35), (0.62, 0.92)]],
    7: [[(0.2, 0.15), (0.8, 0.15), (0.42, 0.9)]],
}


def draw(digit: int, size: int = 280, width: float = 0.09, ink: int = 255,
         paper: int = 0, scale: float = 1.0, offset: tuple[float, float] = (0.0, 0.0),
         canvas: tuple[int, int] | None = None) -> Image.Image:
    """`digit` drawn in a `size` pixel square (scaled by `scale` about its centre, moved by
    `offset` in units of `size`), on a grey-level picture of `canvas` pixels (default the
    square). Strokes `width` * `size` pixels wide, round-ended."""
    w, h = canvas or (size, size)
    image = Image.new("L", (w, h), paper)
    pen = ImageDraw.Draw(image)
    line = max(1, round(width * size * scale))
    for stroke in STROKES[digit]:
        points = [((0.5 + (x - 0.5) * scale + offset[0]) * size,
                   (0.5 + (y - 0.5) * scale + offset[1]) * size) for x, y in stroke]
        pen.line(points, fill=ink, width=line, joint="curve")
        for x, y in (points[0], points[-1]):
            r = line / 2
            pen.ellipse((x - r, y - r, x + r, y + r), fill=ink)
    return image


def draw_number(digits: str, gap: int = 30, size: int = 200, margin: int = 40,
                width: float = 0.09) -> Image.Image:
    """The `digits` drawn side by side as a person writes a number: each cropped to its
    ink, `gap` pixels apart (negative: overlapping by that much, so that they touch), on a
    black picture with `margin` pixels around."""
    crops = []
    for digit in digits:
        ink = np.asarray(draw(int(digit), size=size, width=width))
        columns = np.flatnonzero(ink.any(axis=0))
        crops.append(ink[:, columns[0]:columns[-1] + 1])
    total = sum(c.shape[1] for c in crops) + gap * (len(crops) - 1)
    picture = np.zeros((size + 2 * margin, total + 2 * margin), dtype=np.uint8)
    x = margin
    for crop in crops:
        region = picture[margin:margin + size, x:x + crop.shape[1]]
        np.maximum(region, crop, out=region)
        x += crop.shape[1] + gap
    return Image.fromarray(picture)
