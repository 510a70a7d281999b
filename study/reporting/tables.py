"""Tables and report variables from the results of every run.

The best run arrives already chosen, on validation alone (`study.evaluation.selection`, written to
best.json before any test figure is read); test numbers are only reported here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from study.data.mnist import known_label_errors
from study.evaluation.statistics import holm, mcnemar
from study.io import read_json
from study.reporting.reproducibility import PRECISION_COLUMNS
from study.run_files import RunFiles, run_key

# How the tables and the report name the settings a search may choose.
SETTING_NAMES = {"lr": "learning rate", "weight_decay": "weight decay"}
RUN_COLUMNS = ["architecture", "regularisation", "seed", "parameters", "multiply_adds",
               "lr", "weight_decay", "epochs", "best_epoch",
               "val_accuracy", "val_loss", "test_accuracy", "test_errors", "macro_f1",
               "train_seconds", "n_train"]


def collect_runs(files: RunFiles) -> pd.DataFrame:
    """One row per run, from its train.json and its test metrics."""
    rows = [{**summary, **read_json(files.path(summary, "metrics"))}
            for summary in files.summaries]
    return pd.DataFrame(rows)[[*RUN_COLUMNS, "model_options", "device_name", "threads",
                               *PRECISION_COLUMNS]]



def percent(x: float) -> str:
    return f"{100 * x:.2f}"


def mean_std(values: pd.Series) -> str:
    if len(values) < 2:
        return percent(values.mean())
    return f"{percent(values.mean())} ± {percent(values.std(ddof=1))}"


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
    of `errors` (the analysis' errors.csv) where it is given."""
    rows = []
    for (arch, reg), group in runs.groupby(["architecture", "regularisation"], sort=False):
        ci = accuracy_interval(errors, arch, reg, int(group.n_train.iloc[0]))
        rows.append({
            "architecture": arch, "regularisation": reg, "seeds": len(group),
            "val_mean": group["val_accuracy"].mean(),
            "test_mean": group["test_accuracy"].mean(),
            "test_std": group["test_accuracy"].std(ddof=1) if len(group) > 1 else float("nan"),
            "Validation accuracy (%)": mean_std(group["val_accuracy"]),
            "Test accuracy (%)": mean_std(group["test_accuracy"]),
            "95% interval (%)": f"{percent(ci[0])} – {percent(ci[1])}" if ci else "n/a",
            "Epochs": f"{group['epochs'].mean():.1f}",
            "Training (s)": f"{group['train_seconds'].mean():.1f}",
            "errors": group["test_errors"].mean(), "params": group["parameters"].iloc[0],
        })
    return pd.DataFrame(rows)


def p_value(p: float) -> str:
    return "< 0.0001" if p < 1e-4 else f"{p:.2g}"


def comparisons(runs: pd.DataFrame, best: dict[str, Any],
                correct: Callable[[Any], np.ndarray]) -> pd.DataFrame:
    """The best run against the same-seed run of every other variant; `correct(run)` says
    which test images a run classifies correctly."""
    reference = correct(best)
    rows = []
    others = runs[(runs.seed == best["seed"]) & ~((runs.architecture == best["architecture"])
                                                  & (runs.regularisation
                                                     == best["regularisation"]))]
    for _, other in others.iterrows():
        only_best, only_other, p = mcnemar(reference, correct(other))
        rows.append({"Variant": f"{other.architecture} + {other.regularisation}",
                     "Test accuracy (%)": percent(other.test_accuracy),
                     "Only best right": only_best, "Only this right": only_other,
                     "McNemar p": p_value(p), "p": p})
    table = pd.DataFrame(rows, columns=["Variant", "Test accuracy (%)", "Only best right",
                                        "Only this right", "McNemar p", "p"])
    table.insert(5, "Holm p", holm(table.p).map(p_value))
    return table


EFFECT_COLUMNS = ["Architecture", "Variant", "Training images", "Seeds",
                  "Change of the test error (points)", "Relative change (%)", "Holm p",
                  "Verdict", "Detectable (points)"]


def regularisation_table(effects: pd.DataFrame, order: dict[str, int]) -> pd.DataFrame:
    """Each variant against `none` of the same architecture, size and seeds (the analysis'
    effects.csv): the change of the test error in points with its 95% interval, the same
    relative to `none`'s error, Holm's p, the verdict and the smallest change the design
    detects (80% power); `change` (points) and `train_images` are kept for the views below,
    not printed."""
    def signed(x: float) -> str:
        return f"{x:+.2f}"

    rows = [{
        "Architecture": row.architecture, "Variant": row.regularisation,
        "Training images": f"{row.train_images:,}", "Seeds": str(row.seeds),
        "Change of the test error (points)":
            f"{signed(100 * row.change)} [{signed(100 * row.low)}, {signed(100 * row.high)}]",
        "Relative change (%)": "n/a" if pd.isna(row.relative) else
            f"{100 * row.relative:+.0f} [{100 * row.relative_low:+.0f}, "
            f"{100 * row.relative_high:+.0f}]",
        "Holm p": p_value(row.p_holm), "Verdict": row.verdict,
        "Detectable (points)": f"{100 * row.detectable:.2f}",
        "change": 100 * row.change, "train_images": row.train_images,
        "_order": (order[row.architecture], order[row.regularisation], row.train_images),
    } for row in effects.itertuples()]
    frame = pd.DataFrame(rows, columns=[*EFFECT_COLUMNS, "change", "train_images", "_order"])
    return frame.sort_values("_order").drop(columns="_order")


def regularisation_grid(effects: pd.DataFrame, architectures: list[str],
                        regularisations: list[str]) -> pd.DataFrame:
    """The regularisation table at its smallest training set, folded for a slide: one row
    per architecture, one column per variant, each cell the change of the test error
    against `none` in points, starred when significant."""
    if effects.empty:
        return pd.DataFrame()
    smallest = effects[effects.train_images == effects.train_images.min()]
    cells = {(row.Architecture, row.Variant):
             f"{row.change:+.2f}" + ("*" if row.Verdict in ("helps", "hurts") else "")
             for row in smallest.itertuples()}
    variants = [r for r in regularisations if any(v == r for _, v in cells)]
    return pd.DataFrame([{"Architecture": a, **{v: cells.get((a, v), "") for v in variants}}
                         for a in architectures if any(k[0] == a for k in cells)])


def best_per_architecture(summary: pd.DataFrame) -> pd.DataFrame:
    """Each architecture's variant with the best mean validation accuracy, and its test
    accuracy: the architecture comparison at a glance."""
    best = summary.loc[summary.groupby("architecture", sort=False).val_mean.idxmax()]
    return pd.DataFrame({"Architecture": best.architecture,
                         "Best variant on validation": best.regularisation,
                         "Validation (%)": best["Validation accuracy (%)"],
                         "Test (%)": best["Test accuracy (%)"]})


def search_table(searches: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per architecture: the search's budget and the values it chose."""
    rows = []
    for chosen in searches:
        row = {"Architecture": chosen["architecture"],
               "Trials": f"{chosen['trials'] + chosen['pruned']} ({chosen['pruned']} pruned)",
               "Each trial": f"{chosen['max_epochs']} epoch(s), "
                             f"{chosen['train_images']:,} images"}
        for key, (low, high) in chosen["space"].items():
            name = SETTING_NAMES.get(key, key).capitalize()
            row[f"{name} (range)"] = f"{chosen[key]:.2g} ({low:g}–{high:g})"
        row["Best trial, validation (%)"] = percent(chosen["val_accuracy"])
        rows.append(row)
    return pd.DataFrame(rows)


def errors_on_known_labels(labels: np.ndarray, predicted: np.ndarray) -> tuple[int, int, int]:
    """(errors, errors on test images whose label is known to be wrong, such images)."""
    wrong = predicted != labels
    known = [i for i in known_label_errors() if i < len(labels)]
    return int(wrong.sum()), int(wrong[known].sum()), len(known)


def error_analysis(predictions: Path, top: int = 5) -> tuple[pd.DataFrame, dict[str, str]]:
    """A run's most confused (true, predicted) pairs, and how many of its errors fall on the
    test images whose label is known to be wrong, from its predictions (npz)."""
    with np.load(predictions) as f:
        labels, predicted = f["labels"], f["predicted"]
    wrong = predicted != labels
    pairs = (pd.DataFrame({"true": labels[wrong], "predicted": predicted[wrong]})
             .value_counts().rename("count").reset_index()
             .sort_values(["count", "true", "predicted"], ascending=[False, True, True]))
    table = pd.DataFrame({"True digit": pairs.true.astype(str),
                          "Predicted as": pairs.predicted.astype(str),
                          "Test images": pairs["count"].astype(str)}).head(top)
    errors, on_label_errors, label_errors = errors_on_known_labels(labels, predicted)
    return table, {
        "errors": str(errors),
        "on_label_errors": str(on_label_errors),
        "label_errors": str(label_errors),
        "label_error_points": f"{100 * label_errors / len(labels):.2f}",
        "top_pair": (f"{pairs.true.iloc[0]} taken for {pairs.predicted.iloc[0]} "
                     f"({pairs['count'].iloc[0]} images)") if len(pairs) else "none",
    }


def markdown(frame: pd.DataFrame) -> str:
    return frame.to_markdown(index=False, disable_numparse=True) + "\n"


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


def ensemble_table(runs: pd.DataFrame, ensemble: dict[str, Any]) -> pd.DataFrame:
    """The ensemble's members with their own accuracies, then the ensemble's."""
    by_run = runs.set_index(["architecture", "regularisation", "seed"])
    rows = [{"Model": f"{m['architecture']} + {m['regularisation']}, seed {m['seed']}",
             "Validation (%)": percent(m["val_accuracy"]),
             "Test (%)": percent(by_run.loc[run_key(m), "test_accuracy"]),
             "Test errors": str(by_run.loc[run_key(m), "test_errors"])}
            for m in ensemble["members"]]
    rows.append({"Model": f"Ensemble of these {len(rows)} (mean of their softmax outputs)",
                 "Validation (%)": "", "Test (%)": percent(ensemble["test_accuracy"]),
                 "Test errors": str(ensemble["test_errors"])})
    return pd.DataFrame(rows)


def given_table(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per architecture: the learning rate and weight decays its runs took, when no
    search chose them (the config gave them)."""
    def values(column: pd.Series) -> str:
        return ", ".join(f"{v:.2g}" for v in sorted(column.unique()))

    return pd.DataFrame([{"Architecture": arch, "Learning rate": values(group.lr),
                          "Weight decay": values(group.weight_decay)}
                         for arch, group in runs.groupby("architecture", sort=False)])


