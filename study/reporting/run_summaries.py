"""The numbers the tables print, computed once for every language: one row per run, each
variant's mean and spread over seeds with its interval, the chosen run's paired tests, the
analysis' comparisons with `none` in the tables' order, training throughput, and the errors
on test images whose label is known to be wrong.

The best run arrives already chosen, on validation alone (`study.evaluation.selection`);
test numbers are only reported here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from study.data.mnist import known_label_errors
from study.evaluation.statistics import holm, mcnemar
from study.io import read_json
from study.reporting.reproducibility import PRECISION_COLUMNS, RULE_COLUMNS
from study.run_files import RunFiles

RUN_COLUMNS = ["architecture", "regularisation", "seed", "parameters", "multiply_adds",
               "lr", "weight_decay", "epochs", "best_epoch",
               "val_accuracy", "val_loss", "test_accuracy", "test_errors", "macro_f1",
               "train_seconds", "n_train"]


def collect_runs(files: RunFiles) -> pd.DataFrame:
    """One row per run, from its train.json and its test metrics."""
    rows = [{**summary, **read_json(files.path(summary, "metrics"))}
            for summary in files.summaries]
    runs = pd.DataFrame(rows)
    for column in RULE_COLUMNS:  # absent from runs recorded before the rules were
        if column not in runs:
            runs[column] = np.nan
    return runs[[*RUN_COLUMNS, "model_options", "device_name", "threads", *PRECISION_COLUMNS]]


def accuracy_interval(errors: pd.DataFrame | None, architecture: str, regularisation: str,
                      size: int) -> tuple[float, float] | None:
    """The 95% interval of a configuration's test accuracy, from the analysis' interval of
    its error (seeds and test images both counted); None where it has none."""
    if errors is None:
        return None
    row = errors[(errors.architecture == architecture)
                 & (errors.regularisation == regularisation) & (errors.train_images == size)]
    if row.empty:
        return None
    return 1 - float(row.high.iloc[0]), 1 - float(row.low.iloc[0])


def summarise(runs: pd.DataFrame, errors: pd.DataFrame | None = None) -> pd.DataFrame:
    """Mean and spread over seeds of every (architecture, regularisation), with the interval
    of `errors` (the analysis' errors.csv) where it is given (NaN where not)."""
    rows = []
    for (arch, reg), group in runs.groupby(["architecture", "regularisation"], sort=False):
        ci = accuracy_interval(errors, arch, reg, int(group.n_train.iloc[0]))
        rows.append({
            "architecture": arch, "regularisation": reg, "seeds": len(group),
            "val_mean": group["val_accuracy"].mean(),
            "test_mean": group["test_accuracy"].mean(),
            "test_std": group["test_accuracy"].std(ddof=1) if len(group) > 1 else float("nan"),
            "ci_low": ci[0] if ci else float("nan"), "ci_high": ci[1] if ci else float("nan"),
            "epochs": group["epochs"].mean(), "train_seconds": group["train_seconds"].mean(),
            "errors": group["test_errors"].mean(), "params": group["parameters"].iloc[0],
            "val_accuracies": group["val_accuracy"].tolist(),
            "test_accuracies": group["test_accuracy"].tolist(),
        })
    return pd.DataFrame(rows)


def comparisons(runs: pd.DataFrame, best: dict[str, Any],
                correct: Callable[[Any], np.ndarray]) -> pd.DataFrame:
    """The best run against the same-seed run of every other variant; `correct(run)` says
    which test images a run classifies correctly. One row per other variant: its test
    accuracy, the images only the best run or only it gets right, McNemar's p and Holm's."""
    reference = correct(best)
    rows = []
    others = runs[(runs.seed == best["seed"]) & ~((runs.architecture == best["architecture"])
                                                  & (runs.regularisation
                                                     == best["regularisation"]))]
    for _, other in others.iterrows():
        only_best, only_other, p = mcnemar(reference, correct(other))
        rows.append({"variant": f"{other.architecture} + {other.regularisation}",
                     "test_accuracy": other.test_accuracy, "only_best": only_best,
                     "only_this": only_other, "p": p})
    table = pd.DataFrame(rows, columns=["variant", "test_accuracy", "only_best", "only_this",
                                        "p"])
    table["p_holm"] = holm(table.p)
    return table


def ordered_effects(effects: pd.DataFrame, order: dict[str, int]) -> pd.DataFrame:
    """The analysis' comparisons (effects.csv) in the tables' order: architecture, variant,
    size."""
    keys = [(order[a], order[r], n) for a, r, n in zip(
        effects.architecture, effects.regularisation, effects.train_images, strict=True)]
    return effects.iloc[sorted(range(len(keys)), key=keys.__getitem__)].reset_index(drop=True)


def errors_on_known_labels(labels: np.ndarray, predicted: np.ndarray) -> tuple[int, int, int]:
    """(errors, errors on test images whose label is known to be wrong, such images)."""
    wrong = predicted != labels
    known = [i for i in known_label_errors() if i < len(labels)]
    return int(wrong.sum()), int(wrong[known].sum()), len(known)


def training_throughput(runs: pd.DataFrame, variants: dict[str, dict[str, Any]]) -> pd.Series:
    """Training images per second of each architecture, measured by the study's own runs
    (optimisation steps only): the median over its runs without augmentation, whose cost
    would be counted too, or over all its runs if every variant augments."""
    speed = runs.n_train * runs.epochs / runs.train_seconds
    plain = runs.regularisation.map(lambda reg: not variants[reg].get("augment", False))
    return pd.Series({arch: (speed[(runs.architecture == arch) & plain]
                             if (plain & (runs.architecture == arch)).any()
                             else speed[runs.architecture == arch]).median()
                      for arch in runs.architecture.unique()})
