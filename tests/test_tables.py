"""Aggregation: mean, spread, intervals, paired tests and metrics are right."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from study.evaluation.statistics import mcnemar
from study.evaluation.test_set import test_metrics as compute_test_metrics
from study.reporting.language import Language
from study.reporting.run_summaries import summarise
from study.reporting.tables import summary_table

ENGLISH = Language.load("en")


def runs_frame() -> pd.DataFrame:
    rows = []
    for arch, val, test in [("mlp", 0.980, 0.995), ("lenet5", 0.990, 0.985)]:
        for seed in (0, 1):
            rows.append({"architecture": arch, "regularisation": "none", "seed": seed,
                         "val_accuracy": val + seed * 1e-3, "val_loss": 0.1,
                         "test_accuracy": test, "test_errors": round((1 - test) * 1000),
                         "parameters": 1000, "epochs": 3, "train_seconds": 1.0,
                         "n_train": 1000})
    return pd.DataFrame(rows)


def test_summary_mean_std_and_interval() -> None:
    summary = summarise(runs_frame())
    assert summary[summary.architecture == "mlp"].iloc[0].seeds == 2
    mlp = summary_table(summary, ENGLISH).iloc[0]
    assert mlp["Validation accuracy (%)"] == "98.05 ± 0.07"
    assert mlp["95% interval (%)"] == "n/a"  # no analysis given
    # The interval is the analysis' one of the error (seeds and test images counted),
    # turned into one of the accuracy, never clipped.
    errors = pd.DataFrame({"architecture": ["mlp"], "regularisation": ["none"],
                           "train_images": [1000], "low": [0.018], "high": [0.0205]})
    mlp = summary_table(summarise(runs_frame(), errors), ENGLISH).iloc[0]
    assert mlp["95% interval (%)"] == "97.95 – 98.20"


def test_mcnemar_exact() -> None:
    best = np.array([True] * 90 + [True] * 8 + [False] * 2)
    other = np.array([True] * 90 + [False] * 8 + [True] * 2)
    only_best, only_other, p = mcnemar(best, other)
    assert (only_best, only_other) == (8, 2)
    assert p == pytest.approx(0.109375)  # two-sided binomial, 10 discordant pairs
    assert mcnemar(best, best)[2] == 1.0


def test_metrics_match_a_hand_count() -> None:
    labels = np.array([0, 0, 1, 1, 2])
    probabilities = np.eye(10)[[0, 1, 1, 1, 2]] * 0.9 + 0.01
    metrics = compute_test_metrics(labels, probabilities)
    assert metrics["test_accuracy"] == 0.8 and metrics["test_errors"] == 1
    per_class = {c["class"]: c for c in metrics["per_class"]}
    assert per_class[0]["recall"] == 0.5 and per_class[0]["precision"] == 1.0
    assert per_class[1]["precision"] == pytest.approx(2 / 3)
    assert per_class[5]["support"] == 0


def test_error_analysis_counts_pairs_and_known_label_errors(tmp_path) -> None:
    from study.io import save_npz
    from study.reporting.tables import error_analysis

    labels = np.arange(10000) % 10
    predicted = labels.copy()
    predicted[[947, 1621, 5]] = 3  # two of the known label errors, one other image
    predicted[[14, 24]] = 9  # two 4s taken for 9s
    save_npz(tmp_path / "predictions.npz", labels=labels, predicted=predicted)
    table, summary = error_analysis(tmp_path / "predictions.npz", ENGLISH)
    assert summary == {"errors": "5", "on_label_errors": "2", "label_errors": "15",
                       "label_error_points": "0.15", "top_pair": "4 taken for 9 (2 images)"}
    assert table.iloc[0].tolist() == ["4", "9", "2"] and len(table) == 4


def test_ensemble_averages_the_members_probabilities(tmp_path) -> None:
    from study.evaluation.test_set import evaluate_ensemble
    from study.io import save_npz, write_json
    from study.run_files import RunFiles

    labels = np.array([0, 1, 2, 3])
    # Each member is wrong on a different image, but never with much confidence.
    a = np.eye(10)[[0, 1, 2, 3]] * 0.6 + 0.04
    a[3] = np.eye(10)[5] * 0.6 + 0.04  # member a: image 3 taken for a 5
    b = np.eye(10)[[0, 1, 2, 3]] * 0.9 + 0.01
    b[0] = np.eye(10)[7] * 0.5 + np.eye(10)[0] * 0.4 + 0.01  # member b: image 0 for a 7
    members, summaries = [], []
    for seed, probabilities in enumerate((a, b)):
        member = {"architecture": "lenet5", "regularisation": "none", "seed": seed}
        save_npz(tmp_path / str(seed) / "predictions.npz", probabilities=probabilities,
                 labels=labels, predicted=probabilities.argmax(1))
        write_json(tmp_path / str(seed) / "train.json", member)
        members.append(member)
        summaries.append(tmp_path / str(seed) / "train.json")
    write_json(tmp_path / "ensemble.json", {"size": 2, "members": members})
    files = RunFiles(summaries, predictions=[s.with_name("predictions.npz") for s in summaries])
    metrics = evaluate_ensemble(tmp_path / "ensemble.json", files,
                                metrics_out=tmp_path / "out" / "metrics.json",
                                predictions_out=tmp_path / "out" / "predictions.npz")
    assert metrics["test_errors"] == 0 and metrics["test_accuracy"] == 1.0
    with np.load(tmp_path / "out" / "predictions.npz") as f:
        np.testing.assert_allclose(f["probabilities"], (a + b) / 2, rtol=1e-6)



def test_training_throughput_leaves_augmentation_out() -> None:
    from study.reporting.run_summaries import training_throughput

    runs = pd.DataFrame({
        "architecture": ["lenet5", "lenet5", "mlp"],
        "regularisation": ["none", "augment", "augment"],
        "n_train": [1000, 1000, 1000], "epochs": [2, 2, 4], "train_seconds": [1.0, 4.0, 2.0]})
    variants = {"none": {}, "augment": {"augment": True}}
    speed = training_throughput(runs, variants)
    assert speed["lenet5"] == 2000  # the augmented run (500 images/s) is left out
    assert speed["mlp"] == 2000  # only augmented runs: those are used


def test_regularisation_grid_folds_the_table_and_stars_significant_cells() -> None:
    from study.reporting.tables import regularisation_grid

    effects = pd.DataFrame([
        {"architecture": "mlp", "regularisation": "dropout", "verdict": "helps",
         "change": -0.0020, "train_images": 1000},
        {"architecture": "mlp", "regularisation": "augment", "verdict": "unclear",
         "change": -0.0003, "train_images": 1000},
        {"architecture": "lenet5", "regularisation": "augment", "verdict": "hurts",
         "change": 0.0040, "train_images": 1000},
        {"architecture": "lenet5", "regularisation": "dropout", "verdict": "helps",
         "change": -0.001, "train_images": 54000},  # another size: not in the grid
    ])
    grid = regularisation_grid(effects, ["mlp", "lenet5", "deotte_cnn"],
                               ["none", "dropout", "augment"], ENGLISH)
    assert list(grid.columns) == ["Architecture", "dropout", "augment"]
    assert grid.values.tolist() == [["mlp", "-0.20*", "-0.03"], ["lenet5", "", "+0.40*"]]


def test_best_per_architecture_is_chosen_on_validation() -> None:
    from study.reporting.tables import best_per_architecture

    frame = runs_frame()
    frame = pd.concat([frame, frame.assign(regularisation="augment",
                                           val_accuracy=frame.val_accuracy - 0.001,
                                           test_accuracy=0.999)])
    table = best_per_architecture(summarise(frame), ENGLISH)
    # `augment` wins on test for both, `none` on validation: the table follows validation.
    assert table["Best variant on validation"].tolist() == ["none", "none"]
    assert table["Architecture"].tolist() == ["mlp", "lenet5"]


def test_search_table_gives_each_architectures_choice() -> None:
    from study.reporting.tables import search_table

    chosen = {"architecture": "mlp", "lr": 0.00312, "weight_decay": 0.0004, "trials": 5,
              "pruned": 1, "max_epochs": 2, "train_images": 10000, "val_accuracy": 0.9712,
              "space": {"lr": [0.0003, 0.01], "weight_decay": [1e-5, 0.1]}}
    row = search_table([chosen], ENGLISH).iloc[0].to_dict()
    assert row == {"Architecture": "mlp", "Trials": "6 (1 pruned)",
                   "Each trial": "2 epoch(s), 10,000 images",
                   "Learning rate (range)": "0.0031 (0.0003–0.01)",
                   "Weight decay (range)": "0.0004 (1e-05–0.1)",
                   "Best trial, validation (%)": "97.12"}



def test_runs_keep_their_precision_rule_and_older_runs_get_none(tmp_path) -> None:
    """The rule of each run's precision comes to the runs' table beside its English reason;
    a run recorded before the rules were has NaN there, and the precision sentence words it
    from its recorded reason."""
    from study.io import write_json
    from study.reporting.reproducibility import RULE_COLUMNS, precision_sentence
    from study.reporting.run_summaries import RUN_COLUMNS, collect_runs
    from study.run_files import RunFiles
    from study.training.precision import CpuCapabilities, decide

    chosen = decide("cpu", "auto", True, cpu=CpuCapabilities("AVX2", True, False, False, False))
    summaries = []
    for seed, recorded in enumerate((chosen.record(), {
            k: v for k, v in chosen.record().items() if k not in RULE_COLUMNS})):
        run = {**{column: 1 for column in RUN_COLUMNS}, "architecture": "mlp",
               "regularisation": "none", "seed": seed, "model_options": {},
               "device_name": "cpu", "threads": 2, **recorded}
        write_json(tmp_path / str(seed) / "train.json", run)
        write_json(tmp_path / str(seed) / "metrics.json", {"test_accuracy": 0.99, **recorded})
        summaries.append(tmp_path / str(seed) / "train.json")
    files = RunFiles(summaries, metrics=[s.with_name("metrics.json") for s in summaries])
    runs = collect_runs(files)
    assert runs.precision_rule.iloc[0] == "cpu_emulated"
    assert runs.precision_detail.iloc[0] == "cpu"
    assert runs[RULE_COLUMNS].iloc[1].isna().all()
    assert precision_sentence(runs, ENGLISH).endswith(f"because {chosen.reason}")
    assert precision_sentence(runs, Language.load("fr")).endswith(
        "parce que training.bf16 vaut auto et que le processeur n'a ni AMX ni "
        "AVX-512-BF16\u202f: le bfloat16 y serait émulé, plusieurs fois plus lent qu'en float32")
    old_only = collect_runs(RunFiles(summaries[1:], metrics=[summaries[1].with_name(
        "metrics.json")]))
    assert old_only[RULE_COLUMNS].isna().all().all()
    assert precision_sentence(old_only, Language.load("fr")) == (
        "chaque entraînement a calculé en float32 avec la disposition channels-last")
