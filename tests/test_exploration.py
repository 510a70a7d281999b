"""The data exploration: its table and figures, from small synthetic data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import png_size

from study.data.splits import Split
from study.figures import exploration
from study.figures.results import save


@pytest.fixture
def digits() -> tuple[np.ndarray, np.ndarray]:
    """200 images, 20 per digit; digit d has d + 1 fully inked rows, the rest blank."""
    labels = np.repeat(np.arange(10), 20)
    images = np.zeros((len(labels), 28, 28), dtype=np.uint8)
    for i, label in enumerate(labels):
        images[i, 4:5 + label, 10:18] = 255
    return images, labels


def test_structure_describes_every_array(digits) -> None:
    images, labels = digits
    split = Split(np.arange(150), np.arange(150, 200), 0.1, 0.3, np.arange(150))
    table = exploration.structure(images, labels, images[:30], labels[:30], split)
    rows = table.set_index("Array")
    assert rows.loc["training (official) images", "Shape"] == "200 × 28 × 28"
    assert rows.loc["training (official) images", "Values"] == "0 to 255"
    assert rows.loc["test (official) images", "Count"] == "30"
    assert rows.loc["training (official) labels", "Count"] == "10 classes"
    assert rows.loc["validation split (of the official training set)", "Count"] == "50 images"


def test_ink_per_class_is_the_inked_pixels(digits) -> None:
    images, labels = digits
    _, mean_ink = exploration.ink_per_class(images, labels)
    assert mean_ink.to_dict() == {d: 8.0 * (d + 1) for d in range(10)}


@pytest.mark.parametrize(("name", "draw", "min_size"), [
    ("examples", lambda i, y: exploration.examples_per_class(i, y, per_class=4), (600, 1200)),
    ("balance", lambda i, y: exploration.class_balance({"training": y, "test": y[::2]}),
     (1200, 500)),
    ("means", exploration.mean_images, (1500, 200)),
    ("intensity", lambda i, y: exploration.intensity_histogram(i), (1100, 450)),
    ("ink", lambda i, y: exploration.ink_per_class(i, y)[0], (1100, 450)),
])
def test_each_figure_is_a_200_dpi_image(tmp_path: Path, digits, name, draw, min_size) -> None:
    images, labels = digits
    path = tmp_path / f"{name}.png"
    save(draw(images, labels), path)
    width, height = png_size(path)
    assert width >= min_size[0] and height >= min_size[1], (width, height)
