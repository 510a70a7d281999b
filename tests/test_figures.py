"""The training and evaluation figures, drawn from a small fake study."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from conftest import png_size

from study.analysis.calibrate import calibrate
from study.evaluation.calibration import log_probabilities, reliability, reliability_of
from study.figures import results as figures
from study.figures.results import save
from study.io import save_npz
from study.numerics import softmax


def test_result_figures_show_every_architecture_and_variant(fake_study) -> None:
    out = fake_study["out"]
    out.mkdir()
    figures.result_figures(fake_study["runs"], fake_study["best"], fake_study["files"], {
        "curves": out / "learning_curves.png", "curves_best": out / "learning_curves_best.png",
        "accuracy": out / "accuracy_by_variant.png"})
    curves = png_size(out / "learning_curves.png")
    best = png_size(out / "learning_curves_best.png")
    assert curves[1] > 1.5 * best[1]  # one row per architecture (two here) against one
    assert png_size(out / "accuracy_by_variant.png")[0] >= 1000  # 6 in wide at least


def test_the_calibration_and_the_best_model_figures(fake_study) -> None:
    out = fake_study["out"]
    calibration = out / "calibration.json"
    result = calibrate(fake_study["best"], fake_study["files"], fake_study["train"],
                       fake_study["split"], torch.device("cpu"), calibration)
    # The numbers are those of the run's saved test predictions, scaled by the fitted T.
    assert json.loads(calibration.read_text()) == json.loads(json.dumps(result))
    run_dir = fake_study["best"].parent / "runs" / "deotte_cnn" / "augment" / "seed0"
    with np.load(run_dir / "predictions.npz") as f:
        probabilities, labels = f["probabilities"], f["labels"]
    assert result["run"] == "deotte_cnn + augment, seed 0"
    assert result["temperature"] > 0
    assert result["ece_before"] == pytest.approx(reliability(probabilities, labels).ece)
    scaled = softmax(log_probabilities(probabilities), result["temperature"])
    after = reliability(scaled, labels)
    assert result["ece_after"] == pytest.approx(after.ece)
    kept = reliability_of(result, "after")  # the bins the figure draws
    np.testing.assert_allclose(kept.confidence, after.confidence)
    np.testing.assert_array_equal(kept.count, after.count)
    figures.best_model_figures(fake_study["best"], fake_study["files"], fake_study["test"],
                               calibration, {name: out / f"{name}.png" for name in
                                             ("confusion", "misclassified", "reliability")})
    for name, least in (("confusion", (1100, 1000)), ("misclassified", (1600, 300)),
                        ("reliability", (1100, 1000))):
        width, height = png_size(out / f"{name}.png")
        assert width >= least[0] and height >= least[1], (name, width, height)


MISTAKES = [3, 7, 12, 18, 25, 31, 36]
BY_CONFIDENCE = [31, 7, 18, 36, 25, 12, 3]  # MISTAKES, the most confident first


def _mistakes(folder: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """40 test images and predictions.npz for them: seven mistakes of distinct confidence,
    every right answer more confident than any mistake. Returns the images, labels,
    predictions and each image's confidence."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(40, 28, 28), dtype=np.uint8)
    labels = np.arange(40) % 10
    predicted = labels.copy()
    predicted[MISTAKES] = (labels[MISTAKES] + 1) % 10
    confidence = np.full(40, 0.999)
    confidence[MISTAKES] = [0.41, 0.93, 0.55, 0.87, 0.62, 0.98, 0.74]
    probabilities = np.tile(((1 - confidence) / 9)[:, None], (1, 10))
    probabilities[np.arange(40), predicted] = confidence
    save_npz(folder / "predictions.npz", probabilities=probabilities.astype(np.float32),
             labels=labels.astype(np.uint8), predicted=predicted)
    return images, labels, predicted, confidence


@pytest.mark.parametrize("count", [3, 30])
def test_misclassified_gallery_lists_the_most_confident_mistakes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, count: int) -> None:
    """One panel per mistake, the most confident first, up to `count`, each titled true →
    predicted (confidence); a red frame and a note on the image whose label is wrong."""
    images, labels, predicted, confidence = _mistakes(tmp_path)
    monkeypatch.setattr(figures, "known_label_errors", lambda: {36: int(labels[36])})
    drawn = []

    def keep(fig: plt.Figure, path: Path) -> None:
        drawn.append(fig)
        save(fig, path)

    monkeypatch.setattr(figures, "save", keep)
    figures.misclassified_figure(tmp_path / "predictions.npz", images, tmp_path / "m.png",
                                 count=count)
    assert png_size(tmp_path / "m.png")[0] > 300
    shown = BY_CONFIDENCE[:count]
    panels = [ax for ax in drawn[0].axes if ax.images]
    assert [ax.get_title() for ax in panels] == [
        f"{labels[i]}→{predicted[i]} ({confidence[i]:.2f})" for i in shown]
    for ax, i in zip(panels, shown, strict=True):
        assert np.array_equal(ax.images[0].get_array(), images[i])
    framed = [i for ax, i in zip(panels, shown, strict=True) if ax.patches]
    assert framed == [i for i in shown if i == 36]
    note = any("label itself is known to be wrong" in t.get_text() for t in drawn[0].texts)
    assert note == (36 in shown)
