"""The figures of the size axis, drawn from small synthetic results."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from conftest import assert_french, figure_texts, number_ticks
from PIL import Image

from study.errors import ConfigError
from study.figures.sizes import SIZE_FIGURES, error_by_size, gain_by_size, size_figures
from study.figures.small_set import read_size_histories, small_set_curves
from study.figures.variant_style import variant_colours
from study.reporting.language import NNBSP, Language

EN, FR = Language.load("en"), Language.load("fr")

SIZES = [1000, 7000, 54000]
VARIANTS = ["none", "dropout", "augment"]
GROWN = ["mlp", "lenet5"]  # trained at every size; "convnet_bn" only at the largest


def _errors(seeds: int = 3) -> pd.DataFrame:
    """errors.csv: the error falls as a power of the size; augment helps most."""
    rows = []
    for arch, start in (("mlp", 0.10), ("lenet5", 0.06), ("convnet_bn", 0.01)):
        for n in SIZES if arch in GROWN else SIZES[-1:]:
            for variant, factor in zip(VARIANTS, (1.0, 0.95, 0.6), strict=True):
                error = start * factor * (n / 1000) ** -0.4
                se = 0.0 if seeds == 1 else 0.1 * error
                rows.append(dict(architecture=arch, regularisation=variant, train_images=n,
                                 seeds=seeds, error=error, se=se, df=seeds - 1,
                                 low=error - 2.5 * se, high=error + 2.5 * se))
    return pd.DataFrame(rows)


def _effects(errors: pd.DataFrame) -> pd.DataFrame:
    """effects.csv of `errors`: augment's changes are significant, dropout's not."""
    base = errors[errors.regularisation == "none"].set_index(["architecture", "train_images"])
    rows = []
    for row in errors[errors.regularisation != "none"].itertuples():
        none = base.loc[(row.architecture, row.train_images), "error"]
        change = row.error - none
        rows.append(dict(architecture=row.architecture, regularisation=row.regularisation,
                         train_images=row.train_images, seeds=row.seeds, baseline_error=none,
                         change=change, low=change - 0.002, high=change + 0.002, se=0.0008,
                         df=row.df, relative=change / none, relative_low=-1.0,
                         relative_high=1.0, p=0.01, p_holm=0.02,
                         verdict="helps" if row.regularisation == "augment" else "unclear",
                         detectable=0.003))
    return pd.DataFrame(rows)


def _runs(folder: Path, size: int = 1000, seeds: int = 2) -> tuple[list[Path], list[Path]]:
    """train.json and history.csv of every run at `size`: 12 epochs, validated every 3rd;
    `none`'s validation loss turns up after epoch 6."""
    summaries, histories = [], []
    epochs = np.arange(1, 13)
    for arch in GROWN:
        for variant in VARIANTS:
            for seed in range(seeds):
                run = folder / f"n{size}" / arch / variant / f"seed{seed}"
                run.mkdir(parents=True)
                train = 2.0 * np.exp(-epochs / (2 if variant == "none" else 4)) + 0.01
                val = 0.3 + np.exp(-epochs / 2) + (0.05 * np.maximum(epochs - 6, 0)
                                                   if variant == "none" else 0)
                val[epochs % 3 != 0] = np.nan
                pd.DataFrame({"epoch": epochs, "train_loss": train, "train_accuracy": 0.9,
                              "val_loss": val, "val_accuracy": 1 - val / 5, "lr": 0.001,
                              "seconds": 1.0}).to_csv(run / "history.csv", index=False)
                (run / "train.json").write_text(json.dumps(
                    {"architecture": arch, "regularisation": variant, "seed": seed,
                     "n_train": size}))
                summaries.append(run / "train.json")
                histories.append(run / "history.csv")
    return summaries, histories


def _outputs(folder: Path) -> dict[str, Path]:
    return {name: folder / f"{name}.png" for name in SIZE_FIGURES}


def _write(folder: Path, errors: pd.DataFrame, effects: pd.DataFrame) -> tuple[Path, Path]:
    errors.to_csv(folder / "errors.csv", index=False)
    effects.to_csv(folder / "effects.csv", index=False)
    return folder / "errors.csv", folder / "effects.csv"


def _check_png(path: Path) -> None:
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        assert image.format == "PNG"
        width, height = image.size
        assert 600 <= width <= 6000 and 200 <= height <= 6000, (path.name, image.size)
        assert np.asarray(image.convert("L")).std() > 0, f"{path.name} is blank"


def _variant_lines(ax: plt.Axes) -> list:
    """The lines of `ax` that join one variant's points across sizes (not the zero line,
    the interval caps or the lone markers)."""
    return [line for line in ax.get_lines()
            if line.get_linestyle() not in ("None", "none", "")
            and len(line.get_xdata()) > 1 and min(line.get_xdata()) > 1]


def test_size_figures_write_every_figure(tmp_path: Path) -> None:
    errors = _errors()
    errors_csv, effects_csv = _write(tmp_path, errors, _effects(errors))
    summaries, histories = _runs(tmp_path)
    outputs = _outputs(tmp_path / "figures")
    size_figures(errors_csv, effects_csv, summaries, histories, outputs, EN)
    for path in outputs.values():
        _check_png(path)
    assert not list((tmp_path / "figures").glob(".*.part"))  # written atomically


def test_the_outputs_must_be_the_ones_written(tmp_path: Path) -> None:
    errors = _errors()
    errors_csv, effects_csv = _write(tmp_path, errors, _effects(errors))
    outputs = _outputs(tmp_path)
    del outputs["gain"]
    with pytest.raises(ConfigError, match="missing gain"):
        size_figures(errors_csv, effects_csv, [], [], outputs, EN)


def test_a_history_per_run_or_a_config_error(tmp_path: Path) -> None:
    summaries, histories = _runs(tmp_path)
    with pytest.raises(ConfigError, match="history files for"):
        read_size_histories(summaries, histories[:-1])
    curves = read_size_histories(summaries, histories)
    assert len(curves) == 12 * len(summaries)
    first = curves.iloc[0]
    assert (first.architecture, first.regularisation, first.seed, first.train_images) == (
        "mlp", "none", 0, 1000)
    assert set(curves.architecture) == set(GROWN) and list(curves.seed.unique()) == [0, 1]


def test_error_by_size_is_log_log_with_a_line_per_variant() -> None:
    errors = _errors()
    fig = error_by_size(errors, EN)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    # convnet_bn, trained at one size only, has no panel.
    assert [ax.get_title() for ax in panels] == GROWN
    colours = variant_colours(VARIANTS)
    for ax in panels:
        assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
        assert list(ax.get_xticks()) == SIZES
        assert [t.get_text() for t in ax.get_xticklabels()] == ["1,000", "7,000", "54,000"]
        lines = _variant_lines(ax)
        assert [line.get_color() for line in lines] == [colours[v] for v in VARIANTS]
        # `none` stands out: black and the thickest.
        assert lines[0].get_color() == "#000000"
        assert lines[0].get_linewidth() > max(line.get_linewidth() for line in lines[1:])
    mlp_none = _variant_lines(panels[0])[0]
    expected = 100 * errors[(errors.architecture == "mlp")
                            & (errors.regularisation == "none")].error
    np.testing.assert_allclose(mlp_none.get_ydata(), expected)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == VARIANTS
    plt.close(fig)


def test_an_interval_below_zero_is_drawn_clipped_and_the_data_kept() -> None:
    errors = _errors()
    errors.loc[errors.index[0], ["error", "low"]] = [0.0, -0.001]
    kept = errors.copy()
    fig = error_by_size(errors, EN)
    pd.testing.assert_frame_equal(errors, kept)
    drawn = _variant_lines(fig.axes[0])[0].get_ydata()  # mlp + none, its first point at 0
    shown = errors[errors.architecture.isin(GROWN)][["error", "low"]].to_numpy()
    assert 0 < drawn[0] < 100 * shown[shown > 0].min()  # under every value drawn
    # ... below the axis' bottom: the line and the interval run off it, said underneath.
    assert drawn[0] < fig.axes[0].get_ylim()[0] < 100 * shown[shown > 0].min()
    assert any("runs off" in text.get_text() for text in fig.texts)
    plt.close(fig)


def test_gain_by_size_marks_the_significant_changes() -> None:
    fig = gain_by_size(_effects(_errors()), EN)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == GROWN
    colours = variant_colours(VARIANTS)
    for ax in panels:
        assert ax.get_xscale() == "log" and ax.get_yscale() == "linear"
        assert list(ax.get_xticks()) == SIZES
        assert [line.get_color() for line in _variant_lines(ax)] == [colours["dropout"],
                                                                     colours["augment"]]
        # The zero line, and below it: every change here is a fall of the error.
        assert any(list(line.get_ydata()) == [0, 0] for line in ax.get_lines())
        markers = [line for line in ax.get_lines() if line.get_marker() == "o"
                   and len(line.get_xdata())]
        filled = {line.get_markeredgecolor(): line.get_markerfacecolor() != "white"
                  for line in markers}
        assert filled == {colours["augment"]: True, colours["dropout"]: False}
    texts = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
    assert "dropout" in texts and any("Holm" in t for t in texts)
    assert "fewer errors" in panels[0].get_ylabel()
    plt.close(fig)


def test_small_set_curves_draw_the_smallest_size_and_only_validated_epochs(tmp_path: Path
                                                                           ) -> None:
    small = _runs(tmp_path, size=1000)
    large = _runs(tmp_path, size=7000)
    curves = read_size_histories(small[0] + large[0], small[1] + large[1])
    fig = small_set_curves(curves, EN)
    assert len(fig.axes) == 2 * len(GROWN)  # a row per architecture: training, validation
    train_ax, val_ax = fig.axes[0], fig.axes[1]
    assert len(train_ax.get_lines()) == len(val_ax.get_lines()) == len(VARIANTS)
    assert list(train_ax.get_lines()[0].get_xdata()) == list(range(1, 13))
    none_val = val_ax.get_lines()[0]
    assert list(none_val.get_xdata()) == [3, 6, 9, 12]
    assert none_val.get_linestyle() == "--"
    assert none_val.get_ydata()[-1] > none_val.get_ydata()[1]  # the over-fitting shows
    assert "1,000 training images" in fig.legends[0].get_title().get_text()
    plt.close(fig)


def test_no_comparison_and_a_single_seed_still_draw(tmp_path: Path) -> None:
    errors = _errors(seeds=1)
    errors = errors[errors.regularisation != "none"]
    empty = pd.DataFrame(columns=_effects(_errors()).columns)
    errors_csv, effects_csv = _write(tmp_path, errors, empty)
    summaries, histories = _runs(tmp_path, seeds=1)
    outputs = _outputs(tmp_path / "figures")
    size_figures(errors_csv, effects_csv, summaries, histories, outputs, EN)
    for path in outputs.values():
        _check_png(path)
    fig = gain_by_size(pd.read_csv(effects_csv), EN)
    assert any("No comparison" in text.get_text() for text in fig.axes[0].texts)
    plt.close(fig)


def test_a_study_of_one_size_says_there_is_no_size_axis() -> None:
    errors = _errors()
    one_size = errors[errors.train_images == SIZES[-1]]
    for fig in (error_by_size(one_size, EN), gain_by_size(_effects(one_size), EN)):
        assert any("two sizes" in text.get_text() for text in fig.axes[0].texts)
        plt.close(fig)


def test_the_english_size_figures_keep_their_words(tmp_path: Path) -> None:
    errors = _errors()
    texts = figure_texts(error_by_size(errors, EN))
    assert {"training images (log scale)", "test error (%, log scale)", "0.5", "1,000",
            "Trained at one size only, so not shown: convnet_bn."} <= set(texts)
    texts = figure_texts(gain_by_size(_effects(errors), EN))
    assert {"test error − none's (points)\nbelow 0: fewer errors",
            "filled: significant after Holm (5%)", "hollow: unclear"} <= set(texts)
    curves = read_size_histories(*_runs(tmp_path))
    texts = figure_texts(small_set_curves(curves, EN))
    assert {"mlp\ncross-entropy loss", "training loss (log scale)", "validation loss",
            "Learning curves on 1,000 training images, mean over 2 seeds"} <= set(texts)
    plt.close("all")


def test_the_french_size_figures_speak_french_and_write_decimal_commas(tmp_path: Path
                                                                       ) -> None:
    errors = _errors()
    fig = error_by_size(errors, FR)
    texts = figure_texts(fig)
    assert_french(texts, number_ticks(fig))
    assert {"images d'entraînement (échelle log)", "0,5", f"54{NNBSP}000", "LeNet-5",
            "sans régularisation"} <= set(texts)
    assert f"Entraînées à une seule taille, donc absentes{NNBSP}: ConvNet-BN." in texts
    fig = gain_by_size(_effects(errors), FR)
    texts = figure_texts(fig)
    assert_french(texts, number_ticks(fig))
    assert f"plein{NNBSP}: significatif après correction de Holm (5{NNBSP}%)" in texts
    fig = small_set_curves(read_size_histories(*_runs(tmp_path)), FR)
    texts = figure_texts(fig)
    assert_french(texts, number_ticks(fig))
    assert (f"Courbes d'apprentissage sur 1{NNBSP}000 images d'entraînement, moyenne sur "
            "2 graines") in texts
    one_size = errors[errors.train_images == SIZES[-1]]
    for fig in (error_by_size(one_size, FR), gain_by_size(_effects(one_size), FR)):
        assert any("deux tailles" in text for text in figure_texts(fig))
    plt.close("all")
