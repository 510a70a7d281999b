"""Any picture of a digit made MNIST-like: MNIST's own images come back as they were, and
drawn digits come out the same whatever their size, place, polarity, format or noise."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from drawn_digits import draw
from PIL import Image

from study.bench.photos import LIGHTS, photographed, save_as
from study.data.mnist import Mnist
from study.serving import digit_image, picture_file
from study.serving.digit_image import ink_map, picture_ink, preprocess, to_mnist
from study.serving.picture_file import ImageInputError, load_picture

ROUNDING = 1 / 255 + 1e-6  # one grey level of an 8-bit image


def _ink_box(image: np.ndarray) -> int:
    top, bottom, left, right = _ink_rows_and_columns(image)
    return max(bottom - top, right - left) + 1


def _ink_rows_and_columns(image: np.ndarray) -> tuple[int, int, int, int]:
    rows, cols = np.flatnonzero(image.any(1)), np.flatnonzero(image.any(0))
    return rows[0], rows[-1], cols[0], cols[-1]


def test_an_mnist_test_image_comes_back_as_it_was(real_mnist: Mnist) -> None:
    images = real_mnist.test_images.astype(np.float64) / 255.0
    boxed = [im for im in images if _ink_box(im) == digit_image.BOX]
    assert len(boxed) > 0.99 * len(images)  # MNIST scaled its digits into 20 x 20
    for image in boxed:
        again = to_mnist(ink_map(image))
        assert np.abs(again - image).max() <= ROUNDING
    # Its centres of mass lie where the centring puts them.
    ys = np.arange(28)[:, None]
    centres = [(ys * im).sum() / im.sum() for im in boxed[:500]]
    assert min(centres) >= 13.5 and max(centres) < 14.5


def test_an_inverted_mnist_image_comes_back_too(real_mnist: Mnist) -> None:
    image = real_mnist.test_images[0].astype(np.float64) / 255.0
    assert np.abs(to_mnist(ink_map(1.0 - image)) - image).max() <= ROUNDING


def _as_file(image: Image.Image, path: Path, **options: object) -> Path:
    image.save(path, **options)
    return path


def _close(a: np.ndarray, b: np.ndarray, tolerance: float) -> bool:
    return float(np.abs(a - b).mean()) <= tolerance


def _close_but_for_a_pixel(a: np.ndarray, b: np.ndarray, tolerance: float) -> bool:
    """Close, allowing the whole-pixel centring to land one pixel apart."""
    return any(_close(np.roll(a, (dy, dx), axis=(0, 1)), b, tolerance)
               for dy in (-1, 0, 1) for dx in (-1, 0, 1))


def test_the_result_looks_like_mnist(tmp_path: Path) -> None:
    out = preprocess(_as_file(draw(7), tmp_path / "seven.png"))
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() == pytest.approx(1.0)
    assert _ink_box(out) == digit_image.BOX
    ys, xs = np.indices(out.shape)
    for axis in (ys, xs):
        assert 13.5 <= (axis * out).sum() / out.sum() < 14.5


@pytest.mark.parametrize("digit", [0, 1, 7])
def test_size_and_place_in_the_picture_do_not_matter(tmp_path: Path, digit: int) -> None:
    centred = preprocess(_as_file(draw(digit), tmp_path / "a.png"))
    # The same drawing moved into a corner of a larger, wider picture: the same pixels.
    moved = draw(digit, canvas=(700, 420), offset=(1.2, 0.3))
    assert np.array_equal(preprocess(_as_file(moved, tmp_path / "b.png")), centred)
    # Drawn three times smaller elsewhere: the same but for the anti-aliasing.
    small = draw(digit, scale=1 / 3, offset=(-0.25, 0.2))
    assert _close_but_for_a_pixel(preprocess(_as_file(small, tmp_path / "c.png")), centred,
                                  0.03)


def test_dark_on_light_is_detected(tmp_path: Path) -> None:
    light_on_dark = preprocess(_as_file(draw(3), tmp_path / "a.png"))
    dark_on_light = preprocess(_as_file(draw(3, ink=0, paper=255), tmp_path / "b.png"))
    np.testing.assert_allclose(dark_on_light, light_on_dark, atol=1e-6)
    # Grey ink on grey paper: stretched to full strength.
    grey = preprocess(_as_file(draw(3, ink=90, paper=170), tmp_path / "c.png"))
    np.testing.assert_allclose(grey, light_on_dark, atol=1e-6)


def test_noise_and_specks_of_a_photograph_are_cut_away(tmp_path: Path) -> None:
    clean = preprocess(_as_file(draw(4, ink=40, paper=210), tmp_path / "a.png"))
    rng = np.random.default_rng(0)
    photo = np.asarray(draw(4, ink=40, paper=210), dtype=np.float64)
    photo += rng.normal(0, 10, photo.shape)
    photo[20:23, 250:253] = 30  # a speck of dust far from the digit
    path = _as_file(Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8)),
                    tmp_path / "photo.jpg", quality=85)
    noisy = preprocess(path)
    assert _ink_box(noisy) == digit_image.BOX
    assert _close(noisy, clean, 0.05)
    # The speck is dropped: kept, it would widen the box and shrink the digit.
    assert _ink_rows_and_columns(noisy) == _ink_rows_and_columns(clean)


def test_thick_strokes_give_the_same_digit_thicker(tmp_path: Path) -> None:
    thin = preprocess(_as_file(draw(0), tmp_path / "a.png"))
    thick = preprocess(_as_file(draw(0, width=0.2), tmp_path / "b.png"))
    assert thick.sum() > 1.5 * thin.sum()
    assert _ink_box(thick) == digit_image.BOX


@pytest.mark.parametrize("suffix", [".png", ".bmp", ".gif", ".tif"])
def test_lossless_formats_give_the_same_pixels(tmp_path: Path, suffix: str) -> None:
    reference = preprocess(_as_file(draw(2), tmp_path / "reference.png"))
    assert np.array_equal(preprocess(_as_file(draw(2), tmp_path / f"d{suffix}")), reference)


def test_jpeg_colour_alpha_and_16_bit_pictures_are_read(tmp_path: Path) -> None:
    reference = preprocess(_as_file(draw(2), tmp_path / "reference.png"))
    grey = np.asarray(draw(2))
    # Blue ink on yellow paper, as a JPEG.
    colour = np.where(grey[..., None] > 127, [20, 40, 160], [250, 230, 120]).astype(np.uint8)
    jpeg = _as_file(Image.fromarray(colour), tmp_path / "colour.jpg", quality=90)
    assert _close(preprocess(jpeg), reference, 0.03)
    # Black strokes on a transparent background: what is drawn is the ink.
    rgba = np.zeros((*grey.shape, 4), dtype=np.uint8)
    rgba[..., 3] = grey
    assert _close(preprocess(_as_file(Image.fromarray(rgba), tmp_path / "alpha.png")),
                  reference, 1e-6)
    # 16-bit grey.
    deep = Image.fromarray(grey.astype(np.uint16) * 257)
    assert deep.mode.startswith("I")
    assert _close(preprocess(_as_file(deep, tmp_path / "deep.png")), reference, 1e-6)
    # A palette image and a one-bit image.
    assert _close(preprocess(_as_file(draw(2).convert("P"), tmp_path / "p.png")),
                  reference, 1e-6)
    assert _close(preprocess(_as_file(draw(2).convert("1"), tmp_path / "bw.png")),
                  reference, 0.03)


def _photo(digit: int, light: str, kind: str, folder: Path, **options: object) -> Path:
    """`digit` written in blue on cream paper, photographed under `light`, saved as `kind`."""
    drawing = draw(digit, size=200, offset=(0.4, 0.25), canvas=(360, 300))
    picture = photographed(drawing, light, noise=3, seed=digit, **options)  # type: ignore[arg-type]
    return save_as(picture, folder / f"{digit}_{light}_{kind}", kind)


@pytest.mark.parametrize("kind", ["png", "jpeg", "gif"])
@pytest.mark.parametrize("light", [light for light in LIGHTS if light != "even"])
@pytest.mark.parametrize("digit", [0, 4, 7])
def test_paper_lit_unevenly_is_evened_out(tmp_path: Path, digit: int, light: str,
                                          kind: str) -> None:
    """Light falling off, a bright spot and a shadow's hard edge across the digit, as PNG,
    JPEG and a dithered GIF: the ink found is the evenly lit picture's, within two pixels,
    and so is the 28 x 28 image."""
    clean = _photo(digit, "even", "png", tmp_path)
    photo = _photo(digit, light, kind, tmp_path)
    boxes = [np.array(_ink_rows_and_columns(picture_ink(load_picture(path))))
             for path in (clean, photo)]
    assert np.abs(boxes[1] - boxes[0]).max() <= 2
    assert _close_but_for_a_pixel(preprocess(photo), preprocess(clean), 0.05)


def test_uneven_light_without_its_removal_loses_the_digit(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """The failure the removal prevents: the paper's level read off the border alone takes
    the shaded side of the paper for ink, and the digit shrinks into a corner of the box."""
    photo = _photo(7, "gradient", "gif", tmp_path)
    clean = preprocess(_photo(7, "even", "png", tmp_path))
    assert _close_but_for_a_pixel(preprocess(photo), clean, 0.05)
    monkeypatch.setattr(digit_image, "uneven_paper", lambda gray, already_evened=False: None)
    try:
        unevened = preprocess(photo)
    except ImageInputError:  # nothing stands out from so noisy a paper: lost either way
        return
    assert not _close_but_for_a_pixel(unevened, clean, 0.05)


def test_a_dim_photo_of_white_paper_is_still_dark_ink(tmp_path: Path) -> None:
    """Paper photographed in poor light is darker than mid-grey; its ink is darker still,
    not light ink on dark paper."""
    bright = _photo(4, "even", "png", tmp_path, paper=(240, 240, 240), ink=(60, 60, 60))
    dim = Image.fromarray((np.asarray(Image.open(bright)) * 0.4).astype(np.uint8))
    path = _as_file(dim, tmp_path / "dim.png")
    assert float(np.asarray(Image.open(path).convert("L")).mean()) < 0.45 * 255
    assert _close_but_for_a_pixel(preprocess(path), preprocess(bright), 0.05)


def test_a_large_photo_is_read_at_a_working_size(tmp_path: Path) -> None:
    """A camera's picture is averaged down before it is read: the same digit as drawn
    small, and the shrunk picture stays above the working size."""
    small = _as_file(draw(3, size=300), tmp_path / "small.png")
    large = draw(3, size=3000).convert("RGB")
    for suffix in (".png", ".jpg"):
        path = _as_file(large, tmp_path / f"large{suffix}")
        picture = load_picture(path)
        assert picture_file.WORKING_SIDE // 2 <= min(picture.gray.shape) <= (
            picture_file.WORKING_SIDE)
        assert _close_but_for_a_pixel(preprocess(path), preprocess(small), 0.03)


def test_a_photo_taken_sideways_is_turned_upright(tmp_path: Path) -> None:
    upright = preprocess(_as_file(draw(7), tmp_path / "a.png"))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    stored = draw(7).transpose(Image.Transpose.ROTATE_90)
    path = _as_file(stored.convert("RGB"), tmp_path / "b.jpg", exif=exif, quality=95)
    assert _close(preprocess(path), upright, 0.03)


def _png_claiming(width: int, height: int) -> bytes:
    """A valid one-pixel PNG whose header claims `width` x `height` pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + \
            struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty file"),
    (b"this is not a picture\n", "not an image"),
    (b"PK\x03\x04" + bytes(100), "not an image"),
    (_png_claiming(100_000, 100_000), "too large"),  # Pillow's own limit: twice ours
    (_png_claiming(9_000, 8_000), "too large"),  # 72 megapixels: over ours
])
def test_a_file_that_is_no_usable_image_gets_a_clear_error(tmp_path: Path, content: bytes,
                                                            message: str) -> None:
    path = tmp_path / "digit.png"
    path.write_bytes(content)
    with pytest.raises(ImageInputError, match=message) as err:
        preprocess(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_a_truncated_picture_gets_a_clear_error(tmp_path: Path) -> None:
    whole = _as_file(draw(7), tmp_path / "whole.png").read_bytes()
    path = tmp_path / "cut.png"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ImageInputError, match="unreadable image"):
        preprocess(path)


@pytest.mark.parametrize("paper", [0, 128, 255])
def test_a_picture_without_ink_gets_a_clear_error(tmp_path: Path, paper: int) -> None:
    path = _as_file(Image.new("L", (100, 80), paper), tmp_path / "blank.png")
    with pytest.raises(ImageInputError, match="no ink"):
        preprocess(path)
    # Faint noise on the paper is no digit either.
    noise = np.random.default_rng(1).normal(paper, 6, (80, 100)).clip(0, 255)
    noisy = _as_file(Image.fromarray(noise.astype(np.uint8)), tmp_path / "noise.png")
    with pytest.raises(ImageInputError, match="no ink"):
        preprocess(noisy)


def test_a_missing_file_gets_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ImageInputError, match="no such file"):
        preprocess(tmp_path / "nowhere.png")
