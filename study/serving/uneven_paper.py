"""Paper lit unevenly (a lamp to one side, a bright spot, a shadow's hard edge): its
brightness estimated at every pixel, and the ink measured against it.

The paper is what a grey closing (Soille, *Morphological Image Analysis*, 2003) leaves of
the picture: the strokes, narrower than its square, are filled in, while the light comes
through. `study.serving.digit_image.ink_map` uses it when the border shows the light
varying; a picture on even paper never imports scipy for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# Paper whose brightness differs by this much along the border is lit unevenly, and its
# brightness is estimated at every pixel at PAPER_SCALE of the picture's shorter side: more
# than a stroke is wide, less than a shadow usually covers.
UNEVEN = 0.06
PAPER_SCALE = 0.25
MIN_PAPER = 0.05  # paper darker than this is taken as this dark: no division by nothing
PAPER_NOISE_FACTOR = 2.0  # the paper's noise is cut at twice its border's 90th percentile


def border(image: np.ndarray) -> np.ndarray:
    """The pixels of an image's outermost rows and columns, each once."""
    return np.concatenate([image[0], image[-1], image[1:-1, 0], image[1:-1, -1]])


def evened(gray: np.ndarray) -> np.ndarray:
    """A 3 x 3 mean: noise and the dots of dithering evened out, strokes kept."""
    from scipy import ndimage

    return ndimage.uniform_filter(gray, size=3, mode="nearest")


@dataclass(frozen=True)
class Paper:
    """Paper whose brightness varies across the picture, and the ink left on it."""

    brightness: np.ndarray  # the paper's estimated brightness at every pixel
    ink: np.ndarray  # how far each pixel stands out from it, toward the ink (0 = paper)
    noise: float  # ink weaker than this is the paper's noise


def uneven_paper(gray: np.ndarray, already_evened: bool = False) -> Paper | None:
    """The paper's brightness, estimated at every pixel, when it varies along the border by
    more than UNEVEN (light falling off, a shadow's edge); None when it is even.

    The paper is what a grey closing (an opening for light ink) with a square PAPER_SCALE of
    the picture's shorter side leaves: every stroke narrower than that is filled in, while
    a shadow's hard edge, a linear fall-off and a bright centre come through unchanged. A
    3 x 3 mean first (unless `gray` is `already_evened`) evens out noise, which would
    otherwise raise the closing above the paper. The ink is dark or light as whichever of
    the two leaves the smoother paper: under uneven light the border's level says nothing
    of the ink's."""
    if not _border_varies(gray):
        return None
    from scipy import ndimage  # a third of a second to import: only for such pictures

    smooth = gray if already_evened else evened(gray)
    side = max(3, round(PAPER_SCALE * min(gray.shape)))
    # Padded by point reflection, which carries a slope on past the edge: any other padding
    # bends it there, and the closing would take the bend for a stroke to fill.
    pad = side // 2 + 1
    padded = np.pad(smooth, pad, mode="reflect", reflect_type="odd")
    papers = [_paper(ndimage.grey_closing, padded, pad, side, smooth, dark_ink=True),
              _paper(ndimage.grey_opening, padded, pad, side, smooth, dark_ink=False)]
    if max(np.ptp(border(paper.brightness)) for paper in papers) < UNEVEN:
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
    noise = PAPER_NOISE_FACTOR * float(np.percentile(border(ink), 90))
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
