"""The tables job: every markdown table, runs.csv and variables.yml, each written to the path
its rule declares.

The best run and the ensemble's members arrive already chosen, on validation alone
(`study.evaluation.selection`, before any test figure is read); test numbers are only
reported here.
"""

from __future__ import annotations

import functools
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
from study.reporting import run_summaries as summaries
from study.reporting import tables as t
from study.reporting.language import Language
from study.reporting.variables import study_variables
from study.run_files import RunFiles


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
    compared: pd.DataFrame  # the best run's paired tests (run_summaries.comparisons)
    effects: pd.DataFrame  # the analysis' comparisons with `none`, every size, in order
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
    runs = summaries.collect_runs(files).sort_values(
        ["architecture", "regularisation", "seed"],
        key=lambda c: c if c.name == "seed" else c.map(order))
    best = read_json(best_json)

    def correct(run: Any) -> np.ndarray:
        return correct_on_test(files.path(run, "predictions"))

    errors = pd.read_csv(errors_csv)
    return StudyResults(
        runs=runs, summary=summaries.summarise(runs, errors), best=best,
        best_metrics=read_json(files.path(best, "metrics")),
        ensemble=read_json(ensemble_json), split=load_split(split_npz),
        searches=[read_json(path) for path in searches],
        compared=summaries.comparisons(runs, best, correct),
        effects=summaries.ordered_effects(pd.read_csv(effects_csv), order), errors=errors,
        architectures=architectures, variants=variants)


def run_tables(r: StudyResults, lang: Language) -> dict[str, str]:
    """The tables of the runs themselves and of the chosen run."""
    runs = r.runs
    c = functools.partial(t.column, lang)
    return {
        "runs": t.markdown(pd.DataFrame({
            c("architecture"): runs.architecture.map(lang.name),
            c("regularisation"): runs.regularisation.map(lang.name),
            c("seed"): runs.seed.astype(str), c("epochs"): runs.epochs.astype(str),
            c("best_epoch"): runs.best_epoch.astype(str),
            c("validation"): runs.val_accuracy.map(lang.percent),
            c("test"): runs.test_accuracy.map(lang.percent),
            c("training_seconds"): runs.train_seconds.map(lambda s: lang.fixed(s, 1)),
        })),
        "summary": t.markdown(t.summary_table(r.summary, lang)),
        "per_class": t.markdown(pd.DataFrame([
            {c("digit"): str(k["class"]), c("precision"): lang.percent(k["precision"]),
             c("recall"): lang.percent(k["recall"]), c("f1"): lang.percent(k["f1"]),
             c("test_images"): str(k["support"])} for k in r.best_metrics["per_class"]])),
        "comparisons": t.markdown(t.comparison_table(r.compared, lang)),
        # Empty when nothing is compared: the documents then leave out what shows them
        # (variables.yml's `shows`).
        "regularisation": t.markdown(t.regularisation_table(r.effects, lang)),
        "regularisation_grid": t.markdown(t.regularisation_grid(
            r.effects, r.architectures, list(r.variants), lang)),
        "architectures": t.markdown(t.best_per_architecture(r.summary, lang)),
        "ensemble": t.markdown(t.ensemble_table(runs, r.ensemble, lang)),
    }


def design_tables(r: StudyResults, lang: Language) -> dict[str, str]:
    """The tables of the study's design: data, models, variants, search."""
    first = r.runs.groupby("architecture", sort=False).first()
    speed = summaries.training_throughput(r.runs, r.variants)
    epochs = r.runs.groupby("architecture").epochs.max()  # the budget, early stopping aside
    n_test = int(r.best_metrics["n_test"])
    c = functools.partial(t.column, lang)
    splits = {"training": len(r.split.train_idx), "validation": len(r.split.val_idx),
              "test": n_test}
    return {
        "models": t.markdown(pd.DataFrame([
            {c("architecture"): lang.name(a),
             c("width"): str(width(a, first.model_options[a]) or "—"),
             c("epochs"): str(epochs[a]), c("parameters"): lang.integer(first.parameters[a]),
             c("multiply_adds"): lang.label("million",
                                            lang.fixed(first.multiply_adds[a] / 1e6)),
             c("throughput"): lang.integer(round(speed[a]))} for a in r.architectures])),
        # What each architecture is, as a list: a table column would be too narrow for it.
        "designs": "".join(f"- **{lang.name(a)}**: {design(a, lang)}.\n"
                           for a in r.architectures),
        "search": t.markdown(t.search_table(r.searches, lang) if r.searches
                             else t.given_table(r.runs, lang)),
        "variants": t.markdown(pd.DataFrame([
            {c("variant"): lang.name(name),
             c("settings_changed"): t.variant_changes(r.variants[name], lang)}
            for name in r.variants])),
        "data": t.markdown(pd.DataFrame([
            {c("split"): lang.label(f"cells.splits.{split}"), c("images"): lang.integer(n),
             c("used_for"): lang.label(f"cells.uses.{split}")}
            for split, n in splits.items()])),
    }


def design(architecture: str, lang: Language) -> str:
    """What an architecture is, in the language's words where its wording describes it,
    else as its registration does."""
    own = (lang.labels.get("designs") or {}).get(architecture)
    return lang.typography(own) if own else describe(architecture)


def write_tables(files: RunFiles, best_json: Path, ensemble_json: Path,
                 architectures: list[str], variants: dict[str, dict[str, Any]],
                 max_epochs: int, split_npz: Path, outputs: dict[str, Path],
                 errors_csv: Path, effects_csv: Path, axis: dict[str, Any],
                 searches: list[Path] | None = None,
                 command: str = "snakemake --cores all",
                 languages: tuple[str, ...] = ("en",)) -> dict[str, Any]:
    """Every table and variables.yml, each to its path in `outputs` (by name), from the runs
    (`files`: every run's train.json, metrics and predictions), the choice in `best_json`,
    the ensemble's metrics in `ensemble_json` and the searches' chosen.json files;
    `errors_csv` and `effects_csv` are the analysis' errors and comparisons at every
    training-set size, `axis` the smaller sets' seeds and epochs (`size_variables`);
    `command` is the one that runs the study again. Each language of `languages` gets its
    own tables and variables (`edition_output` names them); the results are read once.
    Returns the first language's variables.

    `variants` maps each regularisation variant, in the tables' order, to the settings it
    changes."""
    r = load_results(files, best_json, ensemble_json, architectures, variants, split_npz,
                     errors_csv, effects_csv, searches or [])
    texts = {"runs_csv": r.runs.to_csv(index=False)}
    first: dict[str, Any] = {}
    for code in languages:
        lang = Language.load(code)
        confused, errors = t.error_analysis(files.path(r.best, "predictions"), lang)
        tables = {**run_tables(r, lang), **design_tables(r, lang),
                  "confused_pairs": t.markdown(confused)}
        variables = study_variables(r, max_epochs, command, errors, axis, lang)
        tables["variables"] = yaml.safe_dump(variables, sort_keys=False, allow_unicode=True)
        texts.update({edition_output(name, code): text for name, text in tables.items()})
        first = first or variables
    check_outputs(outputs, texts)
    for name, text in texts.items():
        write_text(outputs[name], text)
    return first


def edition_output(name: str, language: str) -> str:
    """The name of an output of language `language`: the English edition's own name, the
    others' prefixed with their code (`fr_summary`)."""
    return name if language == "en" else f"{language}_{name}"
