"""A picture file read as brightness: any format Pillow opens, checked before it is
decoded, turned upright, a camera's picture shrunk to a working size, and what its format
may have done to it (a lossy one's ringing, a palette one's dithering) noted.

Only numpy and Pillow: `study predict` must answer in well under a second from a cold
start.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from study.errors import StudyError

MAX_PIXELS = 64_000_000  # more than most cameras give; refused before it is decoded
WORKING_SIDE = 512  # pixels: a picture's shorter side is averaged down to this at most
LOSSY_FORMATS = {"JPEG", "MPO", "WEBP", "JPEG2000"}  # Pillow's names of lossy formats


class ImageInputError(StudyError):
    """A file given as a digit image cannot be read as one."""


@dataclass(frozen=True)
class Picture:
    """A picture's brightness, and what its format may have done to it."""

    gray: np.ndarray  # float64 brightness in [0, 1], H x W; opacity where it has transparency
    lossy: bool  # JPEG and its kin: faint ringing beside every stroke
    palette: bool  # GIF, PNG-8: few colours, a photograph's shading dithered into dots


def load_picture(path: str | Path) -> Picture:
    """The picture at `path`, as brightness. A picture with transparency gives its opacity
    instead: what is drawn is the ink."""
    path = Path(path)
    if not path.is_file():
        raise ImageInputError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise ImageInputError(f"{path}: empty file, not an image")
    previous = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow warns above it (an error here)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                image.seek(0)  # the first frame of an animation or page of a TIFF
                lossy = image.format in LOSSY_FORMATS
                palette = image.mode in ("P", "PA")
                if image.format == "JPEG" and min(image.size) > 2 * WORKING_SIDE:
                    # A camera's JPEG decoded at 1/2, 1/4 or 1/8 of its size straight away,
                    # never below WORKING_SIDE: the shrinking below would average it anyway.
                    scale = min(image.size) // WORKING_SIDE
                    image.draft(image.mode, (image.width // scale, image.height // scale))
                image = ImageOps.exif_transpose(image)  # photos stand as they were taken
                image.load()
                return Picture(_shrunk(_brightness(image)), lossy, palette)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise ImageInputError(f"{path}: image too large, refused before decoding ({err}); "
                              "shrink it and try again") from None
    except UnidentifiedImageError:
        raise ImageInputError(f"{path}: not an image Pillow can read (PNG, JPEG, BMP, GIF, "
                              "TIFF...)") from None
    except (OSError, ValueError, SyntaxError) as err:
        raise ImageInputError(f"{path}: unreadable image ({err})") from None
    finally:
        Image.MAX_IMAGE_PIXELS = previous


def _shrunk(gray: np.ndarray) -> np.ndarray:
    """A camera's picture averaged over blocks of pixels until its shorter side is at most
    WORKING_SIDE: the digit ends 20 pixels tall, and every step after is faster."""
    factor = math.ceil(min(gray.shape) / WORKING_SIDE)
    if factor < 2:
        return gray
    h, w = (n // factor * factor for n in gray.shape)
    return gray[:h, :w].reshape(h // factor, factor, w // factor, factor).mean(axis=(1, 3))


def _brightness(image: Image.Image) -> np.ndarray:
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("LA", "PA", "La", "RGBa"):
        image = image.convert("RGBA")
    if image.mode == "RGBA":
        alpha = np.asarray(image.getchannel("A"), dtype=np.float64) / 255.0
        if alpha.min() < 1.0:
            return alpha
        image = image.convert("RGB")
    if image.mode in ("1", "L"):
        return np.asarray(image.convert("L"), dtype=np.float64) / 255.0
    if image.mode.startswith(("I", "F")):  # 16- and 32-bit grey, floating point
        values = np.asarray(image, dtype=np.float64)
        top = values.max(initial=0.0)
        scale = next((s for s in (1.0, 255.0, 65535.0) if top <= s), top)
        return np.clip(values / scale, 0.0, 1.0)
    rgb = np.asarray(image.convert("RGB"), dtype=np.float64) / 255.0
    return rgb @ np.array([0.299, 0.587, 0.114])  # ITU-R 601 luma, as Pillow's "L"
