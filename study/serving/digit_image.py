"""Any picture of one digit, made to look like an MNIST image.

MNIST's own recipe (LeCun et al.): the digit is cropped to its ink, scaled to fit a 20 x 20
box keeping its aspect ratio (anti-aliased), and placed in 28 x 28 so that its centre of mass
falls on the centre. Before that, a picture from elsewhere is turned into an ink map: light
on dark like MNIST whatever the paper, the paper's grain and noise cut away, specks apart
from the digit dropped, and the strokes stretched to full strength. The paper's level is
read off the border; where light falls on it unevenly (a lamp to one side, a shadow's
edge), it is estimated at every pixel by a grey closing (Soille, *Morphological Image
Analysis*, 2003) and divided out, and a dithered palette picture's dots are evened first.

The live demo in the deck does the same in JavaScript (study/assets/demo/digit_demo.js)
for what it gets, a canvas: evenly lit, so the even-paper steps alone. A test holds the two
to the same output. Keep them in step.

Only numpy, Pillow and (for noisy or unevenly lit pictures) scipy: `study predict` must
answer in well under a second from a cold start.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from study.errors import StudyError

SIZE = 28  # MNIST's field
BOX = 20  # the digit is scaled to fit this box
CENTRE = 14.0  # where MNIST's centres of mass lie, in pixel-index coordinates: [13.5, 14.5)
MAX_PIXELS = 64_000_000  # more than most cameras give; refused before it is decoded
WORKING_SIDE = 512  # pixels: a picture's shorter side is averaged down to this at most
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
# The 0.1% darkest and lightest pixels: which of the two lies farther from the paper is ink.
POLARITY_PERCENTILE = 0.1
# Paper whose brightness differs by this much along the border is lit unevenly, and its
# brightness is estimated at every pixel at PAPER_SCALE of the picture's shorter side: more
# than a stroke is wide, less than a shadow usually covers.
UNEVEN = 0.06
PAPER_SCALE = 0.25
MIN_PAPER = 0.05  # paper darker than this is taken as this dark: no division by nothing
MIN_BLOT_PEAK = 0.5  # on uneven paper, a blot at the edge never this strong is shading
PAPER_NOISE_FACTOR = 2.0  # the paper's noise is cut at twice its border's 90th percentile


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


def ink_map(gray: np.ndarray, floor: float = 0.0, dithered: bool = False) -> np.ndarray:
    """Ink strength in [0, 1], light on dark: the paper becomes 0, its noise is cut away with
    the specks it leaves apart from the digit, and the strongest stroke becomes 1; ink weaker
    than `floor` is cut away as noise too. Paper lit unevenly (light falling off, a shadow's
    edge) is removed as it varies across the picture; a `dithered` picture's dots are
    evened out first. Raises ValueError when nothing stands out from the paper."""
    gray = np.asarray(gray, dtype=np.float64)
    if dithered:
        gray = _evened(gray)
    background = float(np.median(_border(gray)))
    paper = uneven_paper(gray, evened=dithered)
    # Toward the ink from the paper, whose level on even paper is the border's median; dark
    # ink as the share of the paper's light it takes away, so that a dim photo's ink counts
    # as much as a bright one's (the stretch below gives the same strokes either way).
    signed = paper.ink if paper is not None else (
        (background - gray) / max(background, MIN_PAPER) if _dark_ink(gray, background)
        else gray - background)
    ink = np.clip(signed, 0.0, None)
    noise = paper.noise if paper is not None else (
        NOISE_SIGMAS * 1.4826 * float(np.median(np.abs(_border(signed)))))  # robust sigma
    cut = max(noise, floor)
    peak = float(ink.max(initial=0.0))
    if cut > 0 and peak > cut:
        # On a noisy picture the strongest pixel is stroke plus noise: take the strokes'
        # PEAK_PERCENTILE instead, so that they come out at full strength as in MNIST.
        peak = float(np.percentile(ink[ink > cut], PEAK_PERCENTILE))
    if peak - cut < MIN_INK:
        raise ValueError("no ink: nothing stands out from the background")
    ink = np.clip((ink - cut) / (peak - cut), 0.0, 1.0)
    if paper is not None:
        # What the closing could not follow of the light (a dark corner, a palette's band
        # of shade) is left as a faint blot at the picture's edge, where ink is rarely faint.
        return drop_specks(ink, faint_at_edge=MIN_BLOT_PEAK)
    # Where the border shows no noise (a drawing, a scan, MNIST itself) a faint separate
    # pixel is part of the digit's anti-aliasing, not dust: nothing is dropped.
    return drop_specks(ink) if cut > 0 else ink


def picture_ink(picture: Picture) -> np.ndarray:
    """The ink map of a picture, its format's artefacts taken into account: a lossy one's
    ringing cut, a dithered palette one's dots evened out first."""
    # A palette picture whose paper is not one flat colour is dithered.
    dithered = picture.palette and bool(np.ptp(_border(picture.gray)) > 0)
    return ink_map(picture.gray, LOSSY_FLOOR if picture.lossy else 0.0, dithered)


def _evened(gray: np.ndarray) -> np.ndarray:
    """A 3 x 3 mean: noise and the dots of dithering evened out, strokes kept."""
    from scipy import ndimage

    return ndimage.uniform_filter(gray, size=3, mode="nearest")


def _border(image: np.ndarray) -> np.ndarray:
    return np.concatenate([image[0], image[-1], image[1:-1, 0], image[1:-1, -1]])


def _dark_ink(gray: np.ndarray, background: float) -> bool:
    """Whether the ink is darker than the paper: it lies farther below the paper's level
    than anything lies above it (a dim photo of white paper has dark ink on paper darker
    than mid-grey)."""
    low, high = np.percentile(gray, [POLARITY_PERCENTILE, 100 - POLARITY_PERCENTILE])
    return background - low > high - background


@dataclass(frozen=True)
class Paper:
    """Paper whose brightness varies across the picture, and the ink left on it."""

    brightness: np.ndarray  # the paper's estimated brightness at every pixel
    ink: np.ndarray  # how far each pixel stands out from it, toward the ink (0 = paper)
    noise: float  # ink weaker than this is the paper's noise


def uneven_paper(gray: np.ndarray, evened: bool = False) -> Paper | None:
    """The paper's brightness, estimated at every pixel, when it varies along the border by
    more than UNEVEN (light falling off, a shadow's edge); None when it is even.

    The paper is what a grey closing (an opening for light ink) with a square PAPER_SCALE of
    the picture's shorter side leaves: every stroke narrower than that is filled in, while
    a shadow's hard edge, a linear fall-off and a bright centre come through unchanged. A
    3 x 3 mean first (unless `gray` is `evened` already) evens out noise, which would
    otherwise raise the closing above the paper. The ink is dark or light as whichever of
    the two leaves the smoother paper: under uneven light the border's level says nothing
    of the ink's."""
    if not _border_varies(gray):
        return None
    from scipy import ndimage  # a third of a second to import: only for such pictures

    smooth = gray if evened else _evened(gray)
    side = max(3, round(PAPER_SCALE * min(gray.shape)))
    # Padded by point reflection, which carries a slope on past the edge: any other padding
    # bends it there, and the closing would take the bend for a stroke to fill.
    pad = side // 2 + 1
    padded = np.pad(smooth, pad, mode="reflect", reflect_type="odd")
    papers = [_paper(ndimage.grey_closing, padded, pad, side, smooth, dark_ink=True),
              _paper(ndimage.grey_opening, padded, pad, side, smooth, dark_ink=False)]
    if max(np.ptp(_border(paper.brightness)) for paper in papers) < UNEVEN:
        return None
    return min(papers, key=_roughness)


def _roughness(paper: Paper) -> float:
    """How much the paper's brightness changes from pixel to pixel. Under the right guess
    of the ink's polarity it is the light alone; under the wrong one it keeps the strokes,
    which the fill takes for paper, and their sharp edges."""
    return float(np.abs(np.diff(paper.brightness, axis=0)).mean()
                 + np.abs(np.diff(paper.brightness, axis=1)).mean())


def _paper(fill: Callable[..., np.ndarray], padded: np.ndarray, pad: int, side: int,
           smooth: np.ndarray, dark_ink: bool) -> Paper:
    """The paper under ink that is dark (a closing fills it in) or light (an opening)."""
    brightness = fill(padded, size=(side, side), mode="nearest")[pad:-pad, pad:-pad]
    # Light multiplies what the paper and the ink reflect: dark ink is the share of the
    # paper's light it takes away, as strong in a shadow as in full light.
    ink = ((brightness - smooth) / np.maximum(brightness, MIN_PAPER) if dark_ink
           else smooth - brightness)
    # The closing rests on the noise's peaks, so the paper's noise only ever shows as ink:
    # its level is read off the border's 90th percentile rather than its spread.
    noise = PAPER_NOISE_FACTOR * float(np.percentile(_border(ink), 90))
    return Paper(brightness, ink, noise)


def _border_varies(gray: np.ndarray) -> bool:
    """Whether the border's eight stretches (each side's halves) differ in median brightness
    by UNEVEN or more: a cheap test, so that a picture on even paper needs no scipy."""
    h, w = gray.shape
    if min(h, w) < 8:
        return False
    stretches = [gray[0, : w // 2], gray[0, w // 2:], gray[-1, : w // 2], gray[-1, w // 2:],
                 gray[: h // 2, 0], gray[h // 2:, 0], gray[: h // 2, -1], gray[h // 2:, -1]]
    medians = [float(np.median(s)) for s in stretches]
    return max(medians) - min(medians) >= UNEVEN


def drop_specks(ink: np.ndarray, faint_at_edge: float = 0.0) -> np.ndarray:
    """Zero every separate blot (8-connected) whose ink is under MIN_SPECK_SHARE of the
    largest blot's, or that touches the picture's edge and whose strongest pixel is under
    `faint_at_edge`: dust, noise and shading, not part of the digit."""
    from scipy import ndimage  # a third of a second to import: only for noisy pictures

    labels, count = ndimage.label(ink > 0, structure=np.ones((3, 3)))
    if count <= 1:
        return ink
    index = np.arange(1, count + 1)
    mass = ndimage.sum_labels(ink, labels, index=index)
    faint = ndimage.maximum(ink, labels, index=index) < faint_at_edge
    at_edge = np.isin(index, _border(labels))
    keep = np.concatenate([[False], (mass >= MIN_SPECK_SHARE * mass.max())
                           & ~(faint & at_edge)])
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
    picture = load_picture(path)
    try:
        return to_mnist(picture_ink(picture))
    except ValueError as err:
        raise ImageInputError(f"{path}: {err}") from None
