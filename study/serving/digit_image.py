"""Any picture of one digit, made to look like an MNIST image.

MNIST's own recipe (LeCun et al.): the digit is cropped to its ink, scaled to fit a 20 x 20
box keeping its aspect ratio (anti-aliased), and placed in 28 x 28 so that its centre of mass
falls on the centre. Before that, a picture from elsewhere is turned into an ink map: light
on dark like MNIST whatever the paper, the paper's grain and noise cut away, specks apart
from the digit dropped, and the strokes stretched to full strength. The paper's level is
read off the border; where light falls on it unevenly (a lamp to one side, a shadow's
edge), it is estimated at every pixel (`study.serving.uneven_paper`) and divided out, and a
dithered palette picture's dots are evened first. The file itself is read by
`study.serving.picture_file`.

The live demo in the deck does the same in JavaScript (study/assets/demo/digit_demo.js)
for what it gets, a canvas: evenly lit, so the even-paper steps alone. A test holds the two
to the same output. Keep them in step.

Only numpy, Pillow and (for noisy or unevenly lit pictures) scipy: `study predict` must
answer in well under a second from a cold start.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image

from study.serving.picture_file import ImageInputError, Picture, load_picture
from study.serving.uneven_paper import MIN_PAPER, border, evened, uneven_paper

SIZE = 28  # MNIST's field
BOX = 20  # the digit is scaled to fit this box
CENTRE = 14.0  # where MNIST's centres of mass lie, in pixel-index coordinates: [13.5, 14.5)
# The strongest stroke must stand this far above the noise cut (on a [0, 1] scale), or
# nothing in the picture is taken for a digit.
MIN_INK = 0.15
NOISE_SIGMAS = 4.0  # the paper's noise, read off the border, is cut this far above its level
PEAK_PERCENTILE = 90.0  # of the inked pixels of a noisy picture: the strokes' full strength
MIN_SPECK_SHARE = 0.05  # a separate blot with less ink than this share of the largest is a speck
# JPEG and its kin leave faint ringing beside every stroke, which a clean border does not
# show: in a picture of a lossy format, ink weaker than this is taken for it and cut away.
LOSSY_FLOOR = 0.1
# The 0.1% darkest and lightest pixels: which of the two lies farther from the paper is ink.
POLARITY_PERCENTILE = 0.1
MIN_BLOT_PEAK = 0.5  # on uneven paper, a blot at the edge never this strong is shading


def ink_map(gray: np.ndarray, floor: float = 0.0, dithered: bool = False) -> np.ndarray:
    """Ink strength in [0, 1], light on dark: the paper becomes 0, its noise is cut away with
    the specks it leaves apart from the digit, and the strongest stroke becomes 1; ink weaker
    than `floor` is cut away as noise too. Paper lit unevenly (light falling off, a shadow's
    edge) is removed as it varies across the picture; a `dithered` picture's dots are
    evened out first. Raises ValueError when nothing stands out from the paper."""
    gray = np.asarray(gray, dtype=np.float64)
    if dithered:
        gray = evened(gray)
    background = float(np.median(border(gray)))
    paper = uneven_paper(gray, already_evened=dithered)
    # Toward the ink from the paper, whose level on even paper is the border's median; dark
    # ink as the share of the paper's light it takes away, so that a dim photo's ink counts
    # as much as a bright one's (the stretch below gives the same strokes either way).
    signed = paper.ink if paper is not None else (
        (background - gray) / max(background, MIN_PAPER) if _dark_ink(gray, background)
        else gray - background)
    ink = np.clip(signed, 0.0, None)
    noise = paper.noise if paper is not None else (
        NOISE_SIGMAS * 1.4826 * float(np.median(np.abs(border(signed)))))  # robust sigma
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
    dithered = picture.palette and bool(np.ptp(border(picture.gray)) > 0)
    return ink_map(picture.gray, LOSSY_FLOOR if picture.lossy else 0.0, dithered)


def _dark_ink(gray: np.ndarray, background: float) -> bool:
    """Whether the ink is darker than the paper: it lies farther below the paper's level
    than anything lies above it (a dim photo of white paper has dark ink on paper darker
    than mid-grey)."""
    low, high = np.percentile(gray, [POLARITY_PERCENTILE, 100 - POLARITY_PERCENTILE])
    return background - low > high - background


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
    at_edge = np.isin(index, border(labels))
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
