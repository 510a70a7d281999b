"""The data exploration: its table and figures, from small synthetic data."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from conftest import assert_french, figure_texts, number_ticks, png_size

from study.cli import main
from study.data.splits import Split, save_split
from study.figures import exploration
from study.figures.results import save
from study.io import save_npz
from study.reporting.language import Language

EN, FR = Language.load("en"), Language.load("fr")
# Of the 200 images of `digits`: every fourth one held out, so both parts have every digit.
_HELD_OUT = np.arange(200) % 4 == 0
SPLIT = Split(np.flatnonzero(~_HELD_OUT), np.flatnonzero(_HELD_OUT), 0.1, 0.3,
              np.flatnonzero(~_HELD_OUT))


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
    table = exploration.structure(images, labels, images[:30], labels[:30], SPLIT, EN)
    rows = table.set_index("Array")
    assert rows.loc["training (official) images", "Shape"] == "200 × 28 × 28"
    assert rows.loc["training (official) images", "Values"] == "0 to 255"
    assert rows.loc["test (official) images", "Count"] == "30"
    assert rows.loc["training (official) labels", "Count"] == "10 classes"
    assert rows.loc["validation split (of the official training set)", "Count"] == "50 images"


def test_ink_per_class_is_the_inked_pixels(digits) -> None:
    images, labels = digits
    _, mean_ink = exploration.ink_per_class(images, labels, EN)
    assert mean_ink.to_dict() == {d: 8.0 * (d + 1) for d in range(10)}


@pytest.mark.parametrize(("name", "draw", "min_size"), [
    ("examples", lambda i, y: exploration.examples_per_class(i, y, EN, per_class=4),
     (600, 1200)),
    ("balance", lambda i, y: exploration.class_balance({"training": y, "test": y[::2]}, EN),
     (1200, 500)),
    ("means", exploration.mean_images, (1500, 200)),
    ("intensity", lambda i, y: exploration.intensity_histogram(i, EN), (1100, 450)),
    ("ink", lambda i, y: exploration.ink_per_class(i, y, EN)[0], (1100, 450)),
])
def test_each_figure_is_a_200_dpi_image(tmp_path: Path, digits, name, draw, min_size) -> None:
    images, labels = digits
    path = tmp_path / f"{name}.png"
    save(draw(images, labels), path)
    width, height = png_size(path)
    assert width >= min_size[0] and height >= min_size[1], (width, height)


def test_the_english_figures_keep_their_words(digits) -> None:
    images, labels = digits
    texts = figure_texts(exploration.class_balance({"training": labels, "test": labels[::2]},
                                                   EN))
    assert {"training (200 images)", "test (100 images)", "digit",
            "share of the split (%)"} <= set(texts)
    texts = figure_texts(exploration.intensity_histogram(images, EN))
    assert {"pixel value (0 = background, 255 = full ink)",
            "share of pixels (%, log scale)"} <= set(texts)
    plt.close("all")


def test_the_french_figures_and_table(digits) -> None:
    images, labels = digits
    table = exploration.structure(images, labels, images[:30], labels[:30], SPLIT, FR)
    assert list(table.columns) == ["Tableau", "Forme", "Type", "Valeurs", "Effectif"]
    rows = table.set_index("Tableau")
    assert rows.loc["images d'entraînement (officielles)", "Valeurs"] == "de 0 à 255"
    assert rows.loc["partie validation (de l'ensemble d'entraînement officiel)",
                    "Effectif"] == "50 images"
    balance = exploration.class_balance({"training": labels, "validation": labels[::2]}, FR)
    texts = figure_texts(balance)
    assert_french(texts, number_ticks(balance))
    assert {"entraînement (200 images)", "validation (100 images)", "chiffre"} <= set(texts)
    ink, _ = exploration.ink_per_class(images, labels, FR)
    assert_french(figure_texts(ink), number_ticks(ink))
    samples = exploration.examples_per_class(images, labels, FR, per_class=2)
    assert "Images d'entraînement tirées au hasard, une ligne par chiffre" in figure_texts(
        samples)
    plt.close("all")


def test_the_exploration_group_draws_the_notebook_outputs_in_french(tmp_path: Path,
                                                                   digits) -> None:
    """`study figures exploration --language fr` writes what the notebook writes, without
    the notebook."""
    images, labels = digits
    save_npz(tmp_path / "train.npz", images=images, labels=labels)
    save_npz(tmp_path / "test.npz", images=images[:30], labels=labels[:30])
    save_split(tmp_path / "split.npz", SPLIT)
    outputs = {name: tmp_path / f"{name}.png" for name in exploration.EXPLORATION_OUTPUTS}
    outputs["structure"] = tmp_path / "data_structure.md"
    main(["figures", "exploration", "--language", "fr", "--train", str(tmp_path / "train.npz"),
          "--test", str(tmp_path / "test.npz"), "--split", str(tmp_path / "split.npz"),
          "--outputs", *[f"{name}={path}" for name, path in outputs.items()]])
    for name, path in outputs.items():
        if name != "structure":
            assert png_size(path)[0] > 500, name
    table = outputs["structure"].read_text(encoding="utf-8")
    assert table.startswith("| Tableau") and "de 0 à 255" in table and "50 images" in table
