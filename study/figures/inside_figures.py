"""The figures that look inside the networks: feature maps, attributions, occlusion, the
images that excite chosen channels, t-SNE of the embeddings, and robustness to FGSM. They
only draw: the analyses (`study.analysis`) computed every number and map beforehand."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from study.data.splits import DIGITS
from study.figures.results import PALETTE, filters_figure, save
from study.figures.style import number_ticks
from study.io import check_outputs, read_json
from study.reporting.language import Language
from study.run_files import RunFiles


def _blank(ax: plt.Axes) -> None:
    ax.set_xticks([])
    ax.set_yticks([])


def feature_maps_figure(layers: list[tuple[str, np.ndarray]], images: np.ndarray,
                        title: str, lang: Language, channels: int = 6) -> plt.Figure:
    """For each digit: the input, then `channels` maps of every convolution of `layers`
    ((name, maps of shape digits x channels x size x size)), first layer at the top."""
    n_digits = len(images)
    columns = n_digits * (channels + 1)
    fig, axes = plt.subplots(len(layers), columns, squeeze=False,
                             figsize=(columns * 0.62 + 0.6, len(layers) * 0.7 + 0.6))
    for row, (name, maps) in enumerate(layers):
        for d in range(n_digits):
            first = d * (channels + 1)
            if row == 0:
                axes[row, first].imshow(images[d], cmap="gray_r")
                axes[row, first].set_title(lang.label("figures.inside.input"), fontsize=7)
            for c in range(min(channels, maps.shape[1])):
                ax = axes[row, first + 1 + c]
                ax.imshow(maps[d, c], cmap="viridis")
                if row == 0:
                    ax.set_title(lang.label("figures.inside.channel_short", channel=c),
                                 fontsize=7)
        size = maps.shape[-1]
        axes[row, 0].set_ylabel(f"{name}\n{size}×{size}", fontsize=7, rotation=0,
                                ha="right", va="center")
    for ax in axes.flat:
        _blank(ax)
        if not ax.images:  # an empty cell: no frame either
            for spine in ax.spines.values():
                spine.set_visible(False)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def attributions_figure(images: np.ndarray, integrated_gradients: np.ndarray,
                        grad_cam: np.ndarray, cam_layer: str, titles: list[str],
                        title: str, lang: Language) -> plt.Figure:
    """One column per digit: the image, integrated gradients (red for, blue against the
    predicted class), Grad-CAM (of `cam_layer`) over the image."""
    n = len(images)
    fig, axes = plt.subplots(3, n, figsize=(1.3 * n + 1.2, 5.0), squeeze=False)
    for col, (image, ig, cam, text) in enumerate(zip(images, integrated_gradients,
                                                     grad_cam, titles, strict=True)):
        axes[0, col].imshow(image, cmap="gray_r")
        axes[0, col].set_title(text, fontsize=8)
        limit = np.abs(ig).max() or 1.0
        axes[1, col].imshow(ig, cmap="RdBu_r", vmin=-limit, vmax=limit)
        axes[2, col].imshow(image, cmap="gray_r")
        axes[2, col].imshow(cam, cmap="inferno", alpha=0.55)
    rows = [lang.label("figures.inside.image"), lang.label("figures.inside.integrated_gradients"),
            lang.label("figures.inside.grad_cam", layer=cam_layer)]
    for ax, name in zip(axes[:, 0], rows, strict=True):
        ax.set_ylabel(name, fontsize=8)
    for ax in axes.flat:
        _blank(ax)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def occlusion_figure(images: np.ndarray, maps: np.ndarray, titles: list[str], title: str,
                     lang: Language) -> plt.Figure:
    n = len(images)
    fig, axes = plt.subplots(2, n, figsize=(1.5 * n + 0.4, 3.4), squeeze=False)
    limit = np.abs(maps).max() or 1.0
    for col in range(n):
        axes[0, col].imshow(images[col], cmap="gray_r")
        axes[0, col].set_title(titles[col], fontsize=8)
        shown = axes[1, col].imshow(maps[col], cmap="RdBu_r", vmin=-limit, vmax=limit)
    for ax in axes.flat:
        _blank(ax)
    fig.colorbar(shown, ax=axes[1].tolist(), shrink=0.8,
                 label=lang.label("figures.inside.drop"))
    fig.suptitle(title, fontsize=9)
    number_ticks(fig, lang)  # the colour bar's
    return fig


def top_activations_figure(channels: list[int], top_images: np.ndarray, layer: str,
                           name: str, lang: Language) -> plt.Figure:
    """One row per channel: the test images (`top_images`: channels x top x 28 x 28) that
    excite it most in the network called `name`."""
    rows, top = top_images.shape[:2]
    fig, axes = plt.subplots(rows, top, figsize=(top * 0.85 + 0.8, rows * 0.9 + 0.5),
                             squeeze=False)
    for row, (channel, images) in enumerate(zip(channels, top_images, strict=True)):
        for ax, image in zip(axes[row], images, strict=True):
            ax.imshow(image, cmap="gray_r")
            _blank(ax)
        axes[row, 0].set_ylabel(lang.label("figures.inside.channel", channel=channel),
                                fontsize=8, rotation=0, ha="right", va="center")
    fig.suptitle(lang.label("figures.inside.top", name=name, layer=layer), fontsize=9)
    fig.tight_layout()
    return fig


INSIDE_FIGURES = ("filters", "maps", "attributions", "occlusion", "top")


def inside_figures(analysis_npz: Path, best_json: Path, files: RunFiles,
                   outputs: dict[str, Path], lang: Language) -> None:
    """Filters, feature maps, attributions, occlusion and top activations of the chosen
    convolutional network, to `outputs` by name (INSIDE_FIGURES), in `lang`, from what
    `study.analysis.look_inside` kept; the filters are read from its checkpoint in `files`."""
    check_outputs(outputs, dict.fromkeys(INSIDE_FIGURES))
    cnn = read_json(best_json)["cnn"]
    filters_figure(files.path(cnn, "model") if cnn else None, outputs["filters"], lang)
    with np.load(analysis_npz) as f:
        a = {key: f[key] for key in f.files}
    if not a["has_cnn"]:
        for name in INSIDE_FIGURES[1:]:
            filters_figure(None, outputs[name], lang)  # says there is no CNN
        return
    name = lang.name(f"{a['architecture']} + {a['regularisation']}")
    layers = [(str(layer), a[f"maps_{i}"]) for i, layer in enumerate(a["map_layers"])]
    save(feature_maps_figure(layers, a["map_images"],
                             lang.label("figures.inside.maps", name=name), lang),
         outputs["maps"])
    titles = [f"{label}→{predicted}\n({lang.fixed(confidence, 2)})" for label, predicted,
              confidence in zip(a["labels"], a["predicted"], a["confidence"], strict=True)]
    save(attributions_figure(a["shown"], a["integrated_gradients"], a["grad_cam"],
                             str(a["cam_layer"]), titles,
                             lang.label("figures.inside.attributions", name=name), lang),
         outputs["attributions"])
    save(occlusion_figure(a["shown"][:6], a["occlusion"], titles[:6],
                          lang.label("figures.inside.occlusion", name=name), lang),
         outputs["occlusion"])
    save(top_activations_figure(a["top_channels"].tolist(), a["top_images"],
                                str(a["top_layer"]), name, lang), outputs["top"])


def panel_title(architecture: str, regularisation: str, trained: bool, lang: Language) -> str:
    """'lenet5 + augment, trained', or 'lenet5, untrained': no variant has acted on an
    untrained network, so it goes by its architecture alone."""
    if trained:
        return lang.label("figures.inside.trained",
                          name=lang.name(f"{architecture} + {regularisation}"))
    return lang.label("figures.inside.untrained", name=lang.name(architecture))


def tsne_figure(embeddings_npz: Path, path: Path, lang: Language) -> None:
    """The 2-D embeddings of `study.analysis.embeddings`, one panel per network."""
    with np.load(embeddings_npz) as f:
        titles = [panel_title(str(arch), str(reg), bool(trained), lang) for arch, reg, trained
                  in zip(f["architectures"], f["regularisations"], f["trained"], strict=True)]
        labels, xy = f["labels"], f["xy"]
    fig, axes = plt.subplots(1, len(titles), figsize=(4.2 * len(titles) + 1.0, 4.4),
                             squeeze=False)
    for ax, title, points in zip(axes[0], titles, xy, strict=True):
        for digit in DIGITS:
            at = labels == digit
            ax.scatter(points[at, 0], points[at, 1], s=2, color=plt.cm.tab10(digit),
                       label=str(digit), rasterized=True)
        ax.set_title(title, fontsize=9)
        _blank(ax)
    axes[0, -1].legend(title=lang.label("figures.digit"), markerscale=5,
                       bbox_to_anchor=(1.02, 1), loc="upper left", fontsize=8)
    fig.suptitle(lang.label("figures.inside.tsne", images=lang.integer(len(labels))),
                 fontsize=10)
    fig.tight_layout()
    save(fig, path)


def robustness_figure(robustness_csv: Path, best_json: Path, path: Path, lang: Language
                      ) -> None:
    """Test accuracy under FGSM against ε, one line per variant, from
    `study.analysis.robustness`'s table."""
    frame = pd.read_csv(robustness_csv)
    images = int(frame.images.iloc[0]) if len(frame) else 0
    best = read_json(best_json)
    architecture = (best["cnn"] or best)["architecture"]
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for i, (variant, group) in enumerate(frame.groupby("variant", sort=False)):
        ax.plot(group.epsilon, 100 * group.accuracy, "o-", color=PALETTE[i % len(PALETTE)],
                label=lang.name(variant), ms=4)
    ax.set_xlabel(lang.label("figures.inside.fgsm"))
    ax.set_ylabel(lang.label("figures.test_accuracy"))
    ax.set_ylim(0, 100)
    ax.legend(fontsize=8, title=lang.label("figures.inside.variant",
                                           architecture=lang.name(architecture)))
    ax.set_title(lang.label("figures.inside.robustness", images=lang.integer(images)),
                 fontsize=9)
    number_ticks(fig, lang)
    fig.tight_layout()
    save(fig, path)
