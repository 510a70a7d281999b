"""The training and evaluation figures, drawn from a small fake study."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import png_size

from study.evaluation.calibration import log_probabilities, reliability
from study.figures import results as figures
from study.numerics import softmax


def test_result_figures_show_every_architecture_and_variant(fake_study) -> None:
    out = fake_study["out"]
    out.mkdir()
    figures.result_figures(fake_study["runs"], out)
    curves = png_size(out / "learning_curves.png")
    best = png_size(out / "learning_curves_best.png")
    assert curves[1] > 1.5 * best[1]  # one row per architecture (two here) against one
    assert png_size(out / "accuracy_by_variant.png")[0] >= 1000  # 6 in wide at least


def test_best_model_figures_and_the_calibration(fake_study) -> None:
    out = fake_study["out"]
    out.mkdir()
    calibration = out / "calibration.json"
    figures.best_model_figures(fake_study["best"], fake_study["train"], fake_study["split"],
                               fake_study["test"], "cpu", out, calibration)
    for name, least in (("confusion", (1100, 1000)), ("misclassified", (1600, 300)),
                        ("reliability", (1100, 1000))):
        width, height = png_size(out / f"{name}.png")
        assert width >= least[0] and height >= least[1], (name, width, height)
    # The numbers are those of the run's saved test predictions, scaled by the fitted T.
    result = json.loads(calibration.read_text())
    run_dir = fake_study["best"].parent / "runs" / "deotte_cnn" / "augment" / "seed0"
    with np.load(run_dir / "predictions.npz") as f:
        probabilities, labels = f["probabilities"], f["labels"]
    assert result["temperature"] > 0
    assert result["ece_before"] == pytest.approx(reliability(probabilities, labels).ece)
    scaled = softmax(log_probabilities(probabilities), result["temperature"])
    assert result["ece_after"] == pytest.approx(reliability(scaled, labels).ece)


@pytest.mark.parametrize("count", [3, 30])
def test_misclassified_gallery_lists_the_most_confident_mistakes(fake_study, count) -> None:
    out = fake_study["out"]
    out.mkdir()
    run_dir = fake_study["best"].parent / "runs" / "deotte_cnn" / "augment" / "seed0"
    with np.load(fake_study["test"]) as f:
        images = f["images"]
    figures.misclassified_figure(run_dir, images, out / "m.png", count=count)
    assert png_size(out / "m.png")[0] > 300
