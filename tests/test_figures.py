"""The training and evaluation figures, drawn from a small fake study."""

from __future__ import annotations

import json
import re
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import torch
from conftest import assert_french, figure_texts, number_ticks, png_size

from study.analysis.calibrate import calibrate
from study.evaluation.calibration import log_probabilities, reliability, reliability_of
from study.figures import results as figures
from study.figures.results import save
from study.io import save_npz
from study.numerics import softmax
from study.reporting.language import NNBSP, Language

EN, FR = Language.load("en"), Language.load("fr")


def test_result_figures_show_every_architecture_and_variant(fake_study) -> None:
    out = fake_study["out"]
    out.mkdir()
    figures.result_figures(fake_study["runs"], fake_study["best"], fake_study["files"], {
        "curves": out / "learning_curves.png", "curves_best": out / "learning_curves_best.png",
        "accuracy": out / "accuracy_by_variant.png"}, EN)
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
                                             ("confusion", "misclassified", "reliability")},
                               EN)
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
    figures.misclassified_figure(tmp_path / "predictions.npz", images, tmp_path / "m.png", EN,
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


def _curves_and_runs(fake_study) -> tuple[pd.DataFrame, pd.DataFrame, list[str], list[str]]:
    runs = pd.read_csv(fake_study["runs"])
    curves = figures.read_histories(runs, fake_study["files"])
    return (curves, runs, list(dict.fromkeys(runs.architecture)),
            list(dict.fromkeys(runs.regularisation)))


def _reliability(lang: Language) -> plt.Figure:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 500)
    probabilities = softmax(rng.normal(size=(500, 10)) + 3 * np.eye(10)[labels])
    return figures.reliability_figure(reliability(probabilities, labels),
                                      reliability(softmax(np.log(probabilities), 1.5), labels),
                                      1.5, "a title", lang)


def test_the_english_figures_keep_their_words(fake_study) -> None:
    curves, runs, architectures, variants = _curves_and_runs(fake_study)
    texts = figure_texts(figures.learning_curves(curves, architectures, variants, EN))
    assert {"epoch", "training", "validation", "error (%, log scale)",
            "deotte_cnn\ncross-entropy loss", "augment"} <= set(texts)
    texts = figure_texts(figures.accuracy_by_variant(runs, architectures, variants, EN))
    assert {"test accuracy (%)", "deotte_cnn", "mlp", "none", "augment"} <= set(texts)
    texts = figure_texts(_reliability(EN))
    assert {"perfectly calibrated", "accuracy in the bin", "test images",
            "confidence (probability of the predicted digit), 15 bins"} <= set(texts)
    assert any(t.startswith("temperature T = 1.50: ECE ") and t.endswith("%") for t in texts)
    assert "0.2" in texts  # matplotlib's own ticks, as they were
    plt.close("all")


def test_the_french_figures_speak_french_and_write_decimal_commas(fake_study) -> None:
    curves, runs, architectures, variants = _curves_and_runs(fake_study)
    fig = figures.learning_curves(curves, architectures, variants, FR)
    texts = figure_texts(fig)
    assert_french(texts, number_ticks(fig))
    assert {"époque", "entraînement", "validation", "CNN de Deotte\nperte d'entropie croisée",
            "augmentation de données"} <= set(texts)
    fig = figures.accuracy_by_variant(runs, architectures, variants, FR)
    texts = figure_texts(fig)
    assert_french(texts, number_ticks(fig))
    assert {"exactitude de test (%)", "CNN de Deotte", "sans régularisation"} <= set(texts)
    # "%.2f" ticks, with a comma: 98,50 and the like.
    assert all(re.fullmatch(r"\d+,\d\d", n) for n in number_ticks(fig))
    fig = _reliability(FR)
    texts = figure_texts(fig)
    assert_french(texts, number_ticks(fig))
    assert "0,2" in texts and "calibration parfaite" in texts
    assert any(t.startswith(f"température T = 1,50{NNBSP}: ECE ") and t.endswith(f"{NNBSP}%")
               for t in texts)
    plt.close("all")


def test_the_french_confusion_matrix_and_gallery(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                 ) -> None:
    """The cells and the mistakes' confidences with a comma, the words in French."""
    images, labels, predicted, _ = _mistakes(tmp_path)
    drawn = []
    monkeypatch.setattr(figures, "save", lambda fig, path: drawn.append(fig))
    confusion = pd.crosstab(labels, predicted).reindex(index=range(10), columns=range(10),
                                                       fill_value=0)
    confusion.to_csv(tmp_path / "confusion.csv")
    figures.confusion_figure(tmp_path / "confusion.csv", "titre", tmp_path / "c.png", FR)
    figures.misclassified_figure(tmp_path / "predictions.npz", images, tmp_path / "m.png", FR)
    for fig in drawn:
        texts = figure_texts(fig)
        assert not [t for t in texts if re.search(r"\d\.\d", t)], texts
        assert {word for t in texts for word in re.findall(r"[a-z]+", t)} & {"digit", "errors",
                                                                              "only"} == set()
    texts = figure_texts(drawn[0])
    assert {"chiffre réel", "chiffre prédit", "75,0"} <= set(texts)
    assert "1→2 (0,98)" in figure_texts(drawn[1])
    plt.close("all")
