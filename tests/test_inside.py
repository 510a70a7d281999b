"""Inside the networks: feature maps, attributions, occlusion, activations, FGSM, t-SNE, and
the figures drawn from them on a small fake study."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import torch
from conftest import NORM, assert_french, digits, figure_texts, number_ticks, png_size
from torch import nn

from study.analysis import embeddings, inside, look_inside, robustness
from study.figures import inside_figures
from study.figures.results import save
from study.io import write_json
from study.models.registry import create_model
from study.reporting.language import NNBSP, Language

EN, FR = Language.load("en"), Language.load("fr")


def small_cnn() -> nn.Module:
    torch.manual_seed(0)
    return create_model("deotte_cnn", width=4).eval()


def inputs(images: np.ndarray) -> torch.Tensor:
    x = torch.from_numpy(images).float().div(255).sub(NORM["mean"]).div(NORM["std"])
    return x.unsqueeze(1)


def test_feature_maps_cover_every_convolution() -> None:
    model = small_cnn()
    maps = inside.feature_maps(model, inputs(digits(3)[0]))
    assert [name for name, _ in maps] == [name for name, _ in inside.convolutions(model)]
    assert maps[0][1].shape == (3, 4, 26, 26)
    assert maps[-1][1].shape[-1] == 1


def test_cam_layer_is_the_deepest_map_of_seven_pixels_or_more() -> None:
    model = small_cnn()
    name, _ = inside.cam_layer(model, inputs(digits(1)[0]))
    sizes = {n: m.shape[-1] for n, m in inside.feature_maps(model, inputs(digits(1)[0]))}
    assert sizes[name] >= 7
    later = list(sizes)[list(sizes).index(name) + 1:]
    assert all(sizes[n] < 7 for n in later)
    with pytest.raises(ValueError, match="no convolution"):
        inside.cam_layer(model, inputs(digits(1)[0]), min_size=100)


def test_attributions_have_the_image_shape_and_are_finite() -> None:
    model = small_cnn()
    x = inputs(digits(4)[0])
    targets = torch.tensor([0, 3, 5, 9])
    result = inside.attributions(model, x, targets, background=-NORM["mean"] / NORM["std"])
    for maps in (result.integrated_gradients, result.grad_cam):
        assert maps.shape == (4, 28, 28)
        assert np.isfinite(maps).all()
    assert (result.grad_cam >= 0).all()
    assert np.abs(result.integrated_gradients).sum() > 0


def test_integrated_gradients_add_up_to_the_change_of_the_output() -> None:
    """Completeness (Sundararajan et al. 2017): the attributions sum to f(x) - f(baseline),
    up to the error of the 32-step integral (under 4% of the change for 5 random models)."""
    torch.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(),
                          nn.Linear(4 * 26 * 26, 10)).eval()
    with torch.no_grad():
        model[3].weight.mul_(10)  # outputs that move by O(1) between baseline and image
    x = inputs(digits(3)[0])
    background = -NORM["mean"] / NORM["std"]
    targets = torch.tensor([2, 4, 7])
    result = inside.attributions(model, x, targets, background)
    with torch.no_grad():
        change = (model(x) - model(torch.full_like(x, background)))[torch.arange(3), targets]
    total = torch.from_numpy(result.integrated_gradients.sum((1, 2)))
    assert change.abs().mean() > 0.3
    assert (total - change).abs().max() <= 0.05 * change.abs().mean()


def test_occlusion_finds_the_evidence() -> None:
    """A model that reads one patch only: blanking that patch, and no other, matters."""
    class Patch(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            evidence = x[:, 0, 10:14, 10:14].mean((1, 2))
            return torch.stack([evidence] + [torch.zeros_like(evidence)] * 9, 1)

    x = torch.full((1, 1, 28, 28), 3.0)
    maps = inside.occlusion(Patch(), x, torch.tensor([0]), background=0.0)
    assert maps.shape == (1, 28, 28)
    assert maps[0, 10:14, 10:14].min() > 0
    assert maps[0, :4, :4].max() == pytest.approx(0.0, abs=1e-6)


def test_top_activating_returns_valid_indices() -> None:
    model = small_cnn()
    x = inputs(digits(30)[0])
    _, layer = inside.cam_layer(model, x)
    channels, best = inside.top_activating(model, layer, x, channels=3, top=5)
    assert len(channels) == 3 and best.shape == (3, 5)
    assert ((best >= 0) & (best < 30)).all()


def test_fgsm_lowers_the_accuracy_of_a_linear_model() -> None:
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    with torch.no_grad():
        model[1].weight.zero_()
        model[1].bias.zero_()
        model[1].weight[0] = 1.0  # class 0 when the image is bright on average
        model[1].weight[1] = -1.0
    # Not too confident: a saturated softmax has no gradient for the attack to follow.
    x = torch.full((20, 1, 28, 28), 0.005)
    y = torch.zeros(20, dtype=torch.long)
    accuracy = inside.fgsm_accuracy(model, x, y, [0.0, 0.001, 0.01], std=1.0, low=-1.0,
                                    high=1.0)
    assert accuracy == [1.0, 1.0, 0.0]
    # The valid pixel range bounds the attack: clamped at 0.004, the image stays a 0.
    assert inside.fgsm_accuracy(model, x, y, [0.01], std=1.0, low=0.004, high=1.0) == [1.0]


def test_embed_2d_separates_distinct_groups() -> None:
    rng = np.random.default_rng(0)
    features = np.concatenate([rng.normal(0, 1, (100, 64)), rng.normal(8, 1, (100, 64))])
    xy = inside.embed_2d(features)
    assert xy.shape == (200, 2) and np.isfinite(xy).all()
    nearest = np.linalg.norm(xy[:, None] - xy[None], axis=2)
    np.fill_diagonal(nearest, np.inf)
    neighbour = nearest.argmin(1)
    assert ((neighbour < 100) == (np.arange(200) < 100)).mean() > 0.98


def test_chosen_digits_takes_right_and_wrong_ones() -> None:
    labels = np.array([0, 1, 2, 3, 0, 1])
    predicted = np.array([0, 1, 0, 3, 0, 2])
    assert look_inside.chosen_digits(predicted, labels, right=True, count=3).tolist() \
        == [0, 1, 3]
    assert look_inside.chosen_digits(predicted, labels, right=False, count=4).tolist() \
        == [5, 2]


INSIDE_NAMES = {"filters": "filters", "maps": "feature_maps", "attributions": "attributions",
                "occlusion": "occlusion", "top": "top_activations"}


def test_look_inside_keeps_what_the_figures_draw(fake_study, tmp_path: Path) -> None:
    analysis = tmp_path / "inside.npz"
    look_inside.look_inside(fake_study["best"], fake_study["files"], fake_study["test"],
                            torch.device("cpu"), analysis)
    with np.load(analysis) as f:
        kept = {key: f[key] for key in f.files}
    with np.load(fake_study["test"]) as f:
        images, labels = f["images"], f["labels"]
    assert kept["has_cnn"] and "name" not in kept  # keys, that the figures word
    assert (str(kept["architecture"]), str(kept["regularisation"])) == ("deotte_cnn", "augment")
    # Four digits read right, then up to four read wrong, as the predictions say.
    right = kept["predicted"][:4] == kept["labels"][:4]
    assert right.all() and (kept["predicted"][4:] != kept["labels"][4:]).all()
    for shown, label in zip(kept["shown"], kept["labels"], strict=True):
        assert any(np.array_equal(shown, image) and label == truth
                   for image, truth in zip(images, labels, strict=True))
    n = len(kept["shown"])
    assert kept["integrated_gradients"].shape == kept["grad_cam"].shape == (n, 28, 28)
    assert kept["occlusion"].shape == (min(6, n), 28, 28)
    assert kept["map_layers"].tolist() == [name for name, m in inside.feature_maps(
        small_trained(fake_study), inputs(kept["map_images"])) if m.shape[-1] > 1]
    assert kept["top_images"].shape == (len(kept["top_channels"]), 6, 28, 28)


def small_trained(fake_study) -> nn.Module:
    from study.models.checkpoint import load_checkpoint

    best = {"architecture": "deotte_cnn", "regularisation": "augment", "seed": 0}
    return load_checkpoint(fake_study["files"].path(best, "model"))[0]


def _keep_drawn(monkeypatch: pytest.MonkeyPatch, *modules: object) -> dict[str, plt.Figure]:
    """The figures the modules' `save` writes, by file stem (written as well)."""
    drawn: dict[str, plt.Figure] = {}

    def keep(fig: plt.Figure, path: Path) -> None:
        drawn[Path(path).stem] = fig
        fig.canvas.draw()  # the texts as saved
        save(fig, path)

    for module in modules:
        monkeypatch.setattr(module, "save", keep)
    return drawn


def test_inside_figures_draw_every_image(fake_study, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from study.figures import results

    out, analysis = fake_study["out"], tmp_path / "inside.npz"
    look_inside.look_inside(fake_study["best"], fake_study["files"], fake_study["test"],
                            torch.device("cpu"), analysis)
    drawn = _keep_drawn(monkeypatch, inside_figures, results)
    inside_figures.inside_figures(analysis, fake_study["best"], fake_study["files"],
                                  {key: out / f"{name}.png"
                                   for key, name in INSIDE_NAMES.items()}, EN)
    for name, least in (("filters", (300, 100)), ("feature_maps", (1500, 800)),
                        ("attributions", (2000, 900)), ("occlusion", (1400, 550)),
                        ("top_activations", (900, 700))):
        width, height = png_size(out / f"{name}.png")
        assert width >= least[0] and height >= least[1], (name, width, height)
    english = {name: figure_texts(fig) for name, fig in drawn.items()}
    assert ("First-layer filters of deotte_cnn + augment (red positive, blue negative)"
            in english["filters"])
    assert {"input", "ch. 0", "Feature maps of every convolution of deotte_cnn + augment"
            } <= set(english["feature_maps"])
    assert {"image", "integrated\ngradients", "What deotte_cnn + augment looks at, for its "
            "predicted digit"} <= set(english["attributions"])
    assert "drop in probability\nwhen blanked" in english["occlusion"]
    assert "channel" in " ".join(english["top_activations"])
    # The same figures in French: French words, and the confidences with a comma.
    drawn.clear()
    inside_figures.inside_figures(analysis, fake_study["best"], fake_study["files"],
                                  {key: out / f"{name}.fr.png"
                                   for key, name in INSIDE_NAMES.items()}, FR)
    french = {name.removesuffix(".fr"): figure_texts(fig) for name, fig in drawn.items()}
    assert {"entrée", "can. 0"} <= set(french["feature_maps"])
    assert "Ce que regarde CNN de Deotte + augmentation de données pour le chiffre qu'il " \
           "prédit" in french["attributions"]
    assert "baisse de la probabilité\nquand la zone est masquée" in french["occlusion"]
    for name, texts in french.items():
        words = {word for text in texts for word in re.findall(r"[A-Za-z.]+", text)}
        assert not words & {"input", "ch.", "channel", "of", "What", "integrated"}, name
        assert not [text for text in texts if re.search(r"\d\.\d", text)], (name, texts)
    assert_french(french["occlusion"], number_ticks(drawn["occlusion.fr"]))
    plt.close("all")


def test_a_study_without_a_cnn_says_so_in_every_inside_figure(fake_study,
                                                                tmp_path: Path) -> None:
    best = tmp_path / "best.json"
    write_json(best, {"architecture": "mlp", "regularisation": "none", "seed": 0,
                      "cnn": None, "by_architecture": {}})
    analysis, out = tmp_path / "inside.npz", tmp_path / "figures"
    look_inside.look_inside(best, fake_study["files"], fake_study["test"],
                            torch.device("cpu"), analysis)
    with np.load(analysis) as f:
        assert f.files == ["has_cnn"] and not f["has_cnn"]
    inside_figures.inside_figures(analysis, best, fake_study["files"],
                                  {key: out / f"{name}.png"
                                   for key, name in INSIDE_NAMES.items()}, EN)
    assert all(png_size(out / f"{name}.png")[1] < 300 for name in INSIDE_NAMES.values())


def test_embeddings_of_the_chosen_networks_and_their_figure(
        fake_study, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    analysis, path = tmp_path / "embeddings.npz", fake_study["out"] / "tsne.png"
    embeddings.embeddings(fake_study["best"], fake_study["files"], fake_study["test"], 30,
                          torch.device("cpu"), analysis)
    with np.load(analysis) as f:
        kept = {key: f[key].tolist() for key in ("architectures", "regularisations", "trained")}
        labels, xy = f["labels"], f["xy"]
    # The MLP's best run on validation (select_best's by_architecture), the chosen CNN's
    # architecture untrained, the chosen CNN: what their titles are made of.
    assert kept == {"architectures": ["mlp", "deotte_cnn", "deotte_cnn"],
                    "regularisations": ["none", "augment", "augment"],
                    "trained": [True, False, True]}
    assert xy.shape == (3, 30, 2) and np.isfinite(xy).all()
    assert sorted(np.bincount(labels).tolist()) == [3] * 10  # stratified
    drawn = _keep_drawn(monkeypatch, inside_figures)
    inside_figures.tsne_figure(analysis, path, EN)
    width, height = png_size(path)
    assert width > 2.5 * height  # three panels side by side
    titles = [ax.get_title() for ax in drawn["tsne"].axes]
    assert titles == ["mlp + none, trained", "deotte_cnn, untrained",
                      "deotte_cnn + augment, trained"]
    inside_figures.tsne_figure(analysis, tmp_path / "tsne_fr.png", FR)
    titles = [ax.get_title() for ax in drawn["tsne_fr"].axes]
    assert titles == ["MLP + sans régularisation, entraîné", "CNN de Deotte, non entraîné",
                      "CNN de Deotte + augmentation de données, entraîné"]
    texts = figure_texts(drawn["tsne_fr"])
    assert "chiffre" in texts and "digit" not in texts
    assert any(t.startswith("t-SNE de l'avant-dernière couche") for t in texts)
    plt.close("all")


def test_robustness_attacks_every_variant_and_its_figure(
        fake_study, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table, path = tmp_path / "robustness.csv", fake_study["out"] / "robustness.png"
    robustness.robustness(fake_study["best"], fake_study["files"], fake_study["test"], 60,
                          torch.device("cpu"), table)
    frame = pd.read_csv(table)
    assert sorted(frame.variant.unique()) == ["augment", "none"]  # deotte_cnn's, not mlp's
    assert frame.epsilon.tolist()[:7] == robustness.EPSILONS
    assert frame.accuracy.between(0, 1).all() and (frame.images == 60).all()
    drawn = _keep_drawn(monkeypatch, inside_figures)
    inside_figures.robustness_figure(table, fake_study["best"], path, EN)
    assert png_size(path)[0] > 1000
    texts = figure_texts(drawn["robustness"])
    assert {"test accuracy (%)", "deotte_cnn variant", "augment", "0.10",
            "Robustness to the fast gradient sign attack, 60 test images"} <= set(texts)
    inside_figures.robustness_figure(table, fake_study["best"], tmp_path / "fr.png", FR)
    fig = drawn["fr"]
    texts = figure_texts(fig)
    assert_french(texts, number_ticks(fig))
    assert {"exactitude de test (%)", "variante de CNN de Deotte", "augmentation de données",
            "0,10", f"perturbation ε de l'attaque FGSM (en unités de pixel, pixels dans "
            f"[0{NNBSP}; 1])"} <= set(texts)
    plt.close("all")
