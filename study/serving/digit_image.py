"""Any picture of one digit, made to look like an MNIST image.

MNIST's own recipe (LeCun et al.): the digit is cropped to its ink, scaled to fit a 20 x 20
box keeping its aspect ratio (anti-aliased), and placed in 28 x 28 so that its centre of mass
falls on the centre. Before that, a picture from elsewhere is turned into an ink map: light
on dark like MNIST whatever the paper (the background is read off the border), the paper's
grain and noise cut away, specks apart from the digit dropped, and the strokes stretched to
full strength.

The live demo in the deck does the same in JavaScript (study/assets/demo/digit_demo.js); a
test holds the two to the same output. Keep them in step.

Only numpy, Pillow and (for noisy pictures) scipy: `study predict` must answer in well
under a second from a cold start.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from study.errors import StudyError

SIZE = 28  # MNIST's field
BOX = 20  # the digit is scaled to fit this box
CENTRE = 14.0  # where MNIST's centres of mass lie, in pixel-index coordinates: [13.5, 14.5)
MAX_PIXELS = 64_000_000  # more than most cameras give; refused before it is decoded
# The strongest stroke must stand this far above the noise cut (on a [0, 1] scale), or
# nothing in the picture is taken for a digit.
MIN_INK = 0.15
NOISE_SIGMAS = 4.0  # the paper's noise, read off the border, is cut this far above its level
PEAK_PERCENTILE = 90.0  # of the inked pixels of a noisy picture: the strokes' full strength
MIN_SPECK_SHARE = 0.05  # a separate blot with less ink than this share of the largest is a speck
LOSSY_FORMATS = {"JPEG", "MPO", "WEBP", "JPEG2000"}  # Pillow's names of lossy formats
# JPEG and its kin leave faint ringing beside every stroke, which a clean border does not
# show: in a picture of a lossy format, ink weaker than this is taken for it and cut away.
LOSSY_FLOOR = 0.1


class ImageInputError(StudyError):
    """A file given as a digit image cannot be read as one."""


def load_gray(path: str | Path) -> tuple[np.ndarray, bool]:
    """The picture at `path` as float64 brightness in [0, 1] (H x W), and whether its format
    is lossy. A picture with transparency gives its opacity instead: what is drawn is the
    ink."""
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
                image = ImageOps.exif_transpose(image)  # photos stand as they were taken
                image.load()
                return _brightness(image), lossy
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


def ink_map(gray: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """Ink strength in [0, 1], light on dark: the background (the border's median) becomes
    0, its noise is cut away with the specks it leaves apart from the digit, and the strongest
    stroke becomes 1; ink weaker than `floor` is cut away as noise too. Raises ValueError
    when nothing stands out from the background."""
    gray = np.asarray(gray, dtype=np.float64)
    border = np.concatenate([gray[0], gray[-1], gray[1:-1, 0], gray[1:-1, -1]])
    background = float(np.median(border))
    ink = gray - background if background <= 0.5 else background - gray
    ink = np.clip(ink, 0.0, None)
    edge = np.abs(border - background)
    cut = max(NOISE_SIGMAS * 1.4826 * float(np.median(edge)), floor)  # robust sigma
    peak = float(ink.max(initial=0.0))
    if cut > 0 and peak > cut:
        # On a noisy picture the strongest pixel is stroke plus noise: take the strokes'
        # PEAK_PERCENTILE instead, so that they come out at full strength as in MNIST.
        peak = float(np.percentile(ink[ink > cut], PEAK_PERCENTILE))
    if peak - cut < MIN_INK:
        raise ValueError("no ink: nothing stands out from the background")
    ink = np.clip((ink - cut) / (peak - cut), 0.0, 1.0)
    # Where the border shows no noise (a drawing, a scan, MNIST itself) a faint separate
    # pixel is part of the digit's anti-aliasing, not dust: nothing is dropped.
    return drop_specks(ink) if cut > 0 else ink


def drop_specks(ink: np.ndarray) -> np.ndarray:
    """Zero every separate blot (8-connected) whose ink is under MIN_SPECK_SHARE of the
    largest blot's: dust and noise, not part of the digit."""
    from scipy import ndimage  # a third of a second to import: only for noisy pictures

    labels, count = ndimage.label(ink > 0, structure=np.ones((3, 3)))
    if count <= 1:
        return ink
    mass = ndimage.sum_labels(ink, labels, index=np.arange(1, count + 1))
    keep = np.concatenate([[False], mass >= MIN_SPECK_SHARE * mass.max()])
    return np.where(keep[labels], ink, 0.0)


def to_mnist(ink: np.ndarray) -> np.ndarray:
    """The digit of an ink map as MNIST has it: cropped to its ink, scaled to fit 20 x 20
    keeping its aspect ratio, centred by its centre of mass in 28 x 28. float32 in [0, 1]."""
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:
        raise ValueError("no ink: the image is blank")
    digit = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    height, width = digit.shape
    factor = BOX / max(height, width)
    new_h, new_w = (max(1, math.floor(n * factor + 0.5)) for n in (height, width))
    if (new_h, new_w) != (height, width):
        # Pillow's anti-aliased bilinear filter; the demo's JavaScript copies its weights.
        digit = np.asarray(Image.fromarray(digit.astype(np.float32))
                           .resize((new_w, new_h), Image.Resampling.BILINEAR), dtype=np.float64)
        digit = np.clip(digit, 0.0, 1.0)
    total = digit.sum()  # > 0: the crop holds ink, and the filter's weights are positive
    ys, xs = np.indices(digit.shape)
    # Shift by whole pixels, so that the centre of mass lands in [13.5, 14.5) as in MNIST.
    top = _place(float((ys * digit).sum() / total), new_h)
    left = _place(float((xs * digit).sum() / total), new_w)
    field = np.zeros((SIZE, SIZE), dtype=np.float32)
    field[top:top + new_h, left:left + new_w] = digit
    return field


def _place(centre_of_mass: float, extent: int) -> int:
    offset = math.ceil(CENTRE - 0.5 - centre_of_mass - 1e-9)
    return min(max(offset, 0), SIZE - extent)


def preprocess(path: str | Path) -> np.ndarray:
    """The 28 x 28 MNIST-like image (float32 in [0, 1]) of the digit pictured at `path`."""
    gray, lossy = load_gray(path)
    try:
        return to_mnist(ink_map(gray, LOSSY_FLOOR if lossy else 0.0))
    except ValueError as err:
        raise ImageInputError(f"{path}: {err}") from None
