"""The tables job: every markdown table, runs.csv and variables.yml, each written to the path
its rule declares.

The best run and the ensemble's members arrive already chosen, on validation alone
(`study.evaluation.selection`, before any test figure is read); test numbers are only
reported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from study.data.splits import Split, load_split
from study.evaluation.statistics import correct_on_test
from study.io import check_outputs, read_json, write_text
from study.models.registry import describe, width
from study.reporting import tables as t
from study.reporting.variables import study_variables
from study.run_files import RunFiles
from study.variants import changes


@dataclass
class StudyResults:
    """What the tables are made of: every run (test figures included), the choices made on
    validation, and the study's design."""

    runs: pd.DataFrame
    summary: pd.DataFrame
    best: dict[str, Any]
    best_metrics: dict[str, Any]
    ensemble: dict[str, Any]
    split: Split
    searches: list[dict[str, Any]]
    compared: pd.DataFrame
    effects: pd.DataFrame  # the regularisation table, every size
    errors: pd.DataFrame  # the analysis' errors.csv: every configuration's error, interval
    architectures: list[str]
    variants: dict[str, dict[str, Any]]


def load_results(files: RunFiles, best_json: Path, ensemble_json: Path,
                 architectures: list[str], variants: dict[str, dict[str, Any]],
                 split_npz: Path, errors_csv: Path, effects_csv: Path,
                 searches: list[Path]) -> StudyResults:
    """Read everything the tables show; `files` holds every run's metrics and predictions,
    `errors_csv` and `effects_csv` are the analysis' errors and comparisons at every size."""
    order = {name: i for i, name in enumerate(architectures + list(variants))}
    runs = t.collect_runs(files).sort_values(
        ["architecture", "regularisation", "seed"],
        key=lambda c: c if c.name == "seed" else c.map(order))
    best = read_json(best_json)

    def correct(run: Any) -> np.ndarray:
        return correct_on_test(files.path(run, "predictions"))

    errors = pd.read_csv(errors_csv)
    return StudyResults(
        runs=runs, summary=t.summarise(runs, errors), best=best,
        best_metrics=read_json(files.path(best, "metrics")),
        ensemble=read_json(ensemble_json), split=load_split(split_npz),
        searches=[read_json(path) for path in searches],
        compared=t.comparisons(runs, best, correct),
        effects=t.regularisation_table(pd.read_csv(effects_csv), order), errors=errors,
        architectures=architectures, variants=variants)


def run_tables(r: StudyResults) -> dict[str, str]:
    """The tables of the runs themselves and of the chosen run."""
    runs = r.runs
    return {
        "runs_csv": runs.to_csv(index=False),
        "runs": t.markdown(pd.DataFrame({
            "Architecture": runs.architecture, "Regularisation": runs.regularisation,
            "Seed": runs.seed.astype(str), "Epochs": runs.epochs.astype(str),
            "Best epoch": runs.best_epoch.astype(str),
            "Validation (%)": runs.val_accuracy.map(t.percent),
            "Test (%)": runs.test_accuracy.map(t.percent),
            "Training (s)": runs.train_seconds.map(lambda s: f"{s:.1f}"),
        })),
        "summary": t.markdown(r.summary.rename(columns={
            "architecture": "Architecture", "regularisation": "Regularisation",
            "seeds": "Seeds",
        })[["Architecture", "Regularisation", "Seeds", "Validation accuracy (%)",
            "Test accuracy (%)", "95% interval (%)", "Epochs", "Training (s)"]]),
        "per_class": t.markdown(pd.DataFrame([
            {"Digit": str(c["class"]), "Precision (%)": t.percent(c["precision"]),
             "Recall (%)": t.percent(c["recall"]), "F1 (%)": t.percent(c["f1"]),
             "Test images": str(c["support"])} for c in r.best_metrics["per_class"]])),
        "comparisons": t.markdown(r.compared.drop(columns=["p"])),
        # Empty when nothing is compared: the documents then leave out what shows them
        # (variables.yml's `shows`).
        "regularisation": t.markdown(r.effects.drop(columns=["change", "train_images"])),
        "regularisation_grid": t.markdown(t.regularisation_grid(
            r.effects, r.architectures, list(r.variants))),
        "architectures": t.markdown(t.best_per_architecture(r.summary)),
        "ensemble": t.markdown(t.ensemble_table(runs, r.ensemble)),
    }


def design_tables(r: StudyResults) -> dict[str, str]:
    """The tables of the study's design: data, models, variants, search."""
    first = r.runs.groupby("architecture", sort=False).first()
    speed = t.training_throughput(r.runs, r.variants)
    epochs = r.runs.groupby("architecture").epochs.max()  # the budget, early stopping aside
    n_test = int(r.best_metrics["n_test"])
    return {
        "models": t.markdown(pd.DataFrame([
            {"Architecture": a, "Width w": str(width(a, first.model_options[a]) or "—"),
             "Epochs": str(epochs[a]), "Parameters": f"{first.parameters[a]:,}",
             "Multiply-adds per image": f"{first.multiply_adds[a] / 1e6:.2f} M",
             "Training images/s": f"{speed[a]:,.0f}"} for a in r.architectures])),
        # What each architecture is, as a list: a table column would be too narrow for it.
        "designs": "".join(f"- **{a}**: {describe(a)}.\n" for a in r.architectures),
        "search": t.markdown(t.search_table(r.searches) if r.searches
                             else t.given_table(r.runs)),
        "variants": t.markdown(pd.DataFrame([
            {"Variant": name,
             "Settings changed from the base": changes({"variants": r.variants}, name)}
            for name in r.variants])),
        "data": t.markdown(pd.DataFrame([
            {"Split": "Training", "Images": f"{len(r.split.train_idx):,}",
             "Used for": "fitting the weights; normalisation statistics"},
            {"Split": "Validation", "Images": f"{len(r.split.val_idx):,}",
             "Used for": "early stopping, best epoch, choice of the best variant"},
            {"Split": "Test (official)", "Images": f"{n_test:,}",
             "Used for": "the final evaluation only"},
        ])),
    }


def write_tables(files: RunFiles, best_json: Path, ensemble_json: Path,
                 architectures: list[str], variants: dict[str, dict[str, Any]],
                 max_epochs: int, split_npz: Path, outputs: dict[str, Path],
                 errors_csv: Path, effects_csv: Path, axis: dict[str, Any],
                 searches: list[Path] | None = None,
                 command: str = "snakemake --cores all") -> dict[str, Any]:
    """Every table and variables.yml, each to its path in `outputs` (by name), from the runs
    (`files`: every run's train.json, metrics and predictions), the choice in `best_json`,
    the ensemble's metrics in `ensemble_json` and the searches' chosen.json files;
    `errors_csv` and `effects_csv` are the analysis' errors and comparisons at every
    training-set size, `axis` the smaller sets' seeds and epochs (`size_variables`);
    `command` is the one that runs the study again.

    `variants` maps each regularisation variant, in the tables' order, to the settings it
    changes."""
    r = load_results(files, best_json, ensemble_json, architectures, variants, split_npz,
                     errors_csv, effects_csv, searches or [])
    confused, errors = t.error_analysis(files.path(r.best, "predictions"))
    texts = {**run_tables(r), **design_tables(r), "confused_pairs": t.markdown(confused)}
    variables = study_variables(r, max_epochs, command, errors, axis)
    texts["variables"] = yaml.safe_dump(variables, sort_keys=False, allow_unicode=True)
    check_outputs(outputs, texts)
    for name, text in texts.items():
        write_text(outputs[name], text)
    return variables

