"""Photographs of handwritten digits as people take them, simulated: ink on tinted paper
under uneven light (falling off, radial, a shadow's edge, dim), blurred and noisy, saved as
a small JPEG, a dithered GIF or PNG-8, or a plain PNG. The tests draw their pictures with it,
and `scripts/bench_photos.py` measures how many such pictures `study predict` reads right.

numpy and Pillow only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

# Lights a photograph of paper may be taken under: the paper's brightness across the picture,
# from 1 (fully lit) down to 1 - strength.
LIGHTS = ("even", "gradient", "radial", "shadow")
PAPERS = {"white": (246, 245, 240), "cream": (240, 232, 205), "yellow": (250, 236, 150),
          "blue": (205, 222, 242), "recycled": (198, 194, 182)}
INKS = {"black": (25, 25, 30), "blue": (35, 45, 140), "pencil": (95, 95, 100)}
FORMATS = ("png", "jpeg", "gif", "png8")


def light_falloff(light: str, shape: tuple[int, int], strength: float = 0.55) -> np.ndarray:
    """How much light falls on each pixel of a picture of `shape`: evenly; falling off
    linearly from left to right; radially from a bright point off the centre; or cut by a
    shadow's hard, slanted edge over the picture's left part."""
    h, w = shape
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    y, x = y / max(h - 1, 1), x / max(w - 1, 1)
    if light == "even":
        return np.ones(shape)
    if light == "gradient":
        return 1.0 - strength * x
    if light == "radial":
        r2 = (x - 0.4) ** 2 + (y - 0.35) ** 2
        return 1.0 - strength * np.clip(r2 / 0.6, 0.0, 1.0)
    if light == "shadow":
        return np.where(x < 0.45 + 0.2 * (y - 0.5), 1.0 - strength, 1.0)
    raise ValueError(f"unknown light {light!r}")


def photographed(drawing: Image.Image, light: str,
                 paper: tuple[int, int, int] = PAPERS["cream"],
                 ink: tuple[int, int, int] = INKS["blue"], strength: float = 0.55,
                 noise: float = 0.0, seed: int = 0) -> Image.Image:
    """A drawing of light strokes on black (an ink coverage map) as a colour photograph of
    `ink` on `paper` under `light`, with Gaussian noise of `noise` grey levels."""
    coverage = np.asarray(drawing.convert("L"), dtype=np.float64)[..., None] / 255.0
    colour = np.asarray(paper) * (1.0 - coverage) + np.asarray(ink) * coverage
    colour = colour * light_falloff(light, coverage.shape[:2], strength)[..., None]
    if noise:
        colour = colour + np.random.default_rng(seed).normal(0.0, noise, colour.shape)
    return Image.fromarray(np.clip(colour + 0.5, 0, 255).astype(np.uint8))


def dithered(picture: Image.Image, colours: int = 32) -> Image.Image:
    """A palette picture of `colours` colours, Floyd-Steinberg dithered, as GIF and PNG-8
    keep a photograph."""
    return picture.convert("RGB").quantize(colours, dither=Image.Dither.FLOYDSTEINBERG)


def save_as(picture: Image.Image, path: Path, kind: str) -> Path:
    """`picture` written as `kind` (one of FORMATS) at `path` with its suffix."""
    suffix = {"png": ".png", "jpeg": ".jpg", "gif": ".gif", "png8": ".png"}[kind]
    path = path.with_suffix(suffix)
    if kind == "jpeg":
        picture.convert("RGB").save(path, quality=70)
    elif kind == "gif":
        dithered(picture, 32).save(path)
    elif kind == "png8":
        dithered(picture, 16).save(path)
    else:
        picture.save(path)
    return path


@dataclass(frozen=True)
class Scene:
    """How one simulated photograph is taken."""

    paper: str
    ink: str
    light: str
    strength: float  # how far the light falls off
    dim: float  # the whole picture's brightness: 1 in good light
    blur: float  # Gaussian blur radius, pixels
    noise: float  # grey levels
    kind: str  # file format, one of FORMATS
    height: int  # the digits' height in pixels

    @classmethod
    def drawn(cls, rng: np.random.Generator) -> Scene:
        return cls(paper=str(rng.choice(list(PAPERS))), ink=str(rng.choice(list(INKS))),
                   light=str(rng.choice(LIGHTS)), strength=float(rng.uniform(0.3, 0.6)),
                   dim=float(rng.choice([1.0, 1.0, 0.45])), blur=float(rng.uniform(0, 1.5)),
                   noise=float(rng.uniform(1, 8)), kind=str(rng.choice(FORMATS)),
                   height=int(rng.integers(48, 240)))


def coverage_of(digits: list[np.ndarray], height: int, gap: float,
                rng: np.random.Generator) -> Image.Image:
    """MNIST-like images (28 x 28, uint8, light on dark) side by side, `gap` of a digit's
    height apart, scaled to `height` pixels, with a margin of paper around them."""
    crops = []
    for image in digits:
        columns = np.flatnonzero(image.any(axis=0))
        crops.append(image[:, columns[0]:columns[-1] + 1])
    space = round(gap * 28)
    width = sum(c.shape[1] for c in crops) + space * (len(crops) - 1)
    row = np.zeros((28, width), dtype=np.uint8)
    x = 0
    for crop in crops:
        np.maximum(row[:, x:x + crop.shape[1]], crop, out=row[:, x:x + crop.shape[1]])
        x += crop.shape[1] + space
    scale = height / 28
    strip = Image.fromarray(row).resize((max(1, round(width * scale)), height),
                                        Image.Resampling.BICUBIC)
    margin = [int(rng.uniform(0.3, 1.0) * height) for _ in range(4)]
    canvas = Image.new("L", (strip.width + margin[0] + margin[1],
                             strip.height + margin[2] + margin[3]), 0)
    canvas.paste(strip, (margin[0], margin[2]))
    return canvas


def photograph(coverage: Image.Image, scene: Scene, seed: int) -> Image.Image:
    """`coverage` taken as `scene` says, before its file format."""
    picture = photographed(coverage, scene.light, PAPERS[scene.paper], INKS[scene.ink],
                           scene.strength, scene.noise, seed)
    if scene.dim != 1.0:
        picture = Image.fromarray((np.asarray(picture) * scene.dim).astype(np.uint8))
    if scene.blur > 0:
        picture = picture.filter(ImageFilter.GaussianBlur(scene.blur))
    return picture
