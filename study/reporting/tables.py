"""The tables as the documents print them, in a language (`study.reporting.language`):
headers, names and numbers worded from the numbers `study.reporting.run_summaries`
computed once.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from study.reporting.language import Language
from study.reporting.run_summaries import errors_on_known_labels
from study.run_files import run_key
from study.schema import SEARCHED


def mean_std(values: pd.Series, lang: Language) -> str:
    if len(values) < 2:
        return lang.percent(values.mean())
    return f"{lang.percent(values.mean())} ± {lang.percent(values.std(ddof=1))}"


def summary_table(summary: pd.DataFrame, lang: Language) -> pd.DataFrame:
    """The summary of every (architecture, regularisation) as the documents print it."""
    c = functools.partial(column, lang)
    return pd.DataFrame({
        c("architecture"): summary.architecture.map(lang.name),
        c("regularisation"): summary.regularisation.map(lang.name),
        c("seeds"): summary.seeds.astype(str),
        c("validation_accuracy"): summary.val_accuracies.map(
            lambda v: mean_std(pd.Series(v), lang)),
        c("test_accuracy"): summary.test_accuracies.map(
            lambda v: mean_std(pd.Series(v), lang)),
        c("interval"): [lang.label("not_available") if pd.isna(low) else
                        f"{lang.percent(low)} – {lang.percent(high)}"
                        for low, high in zip(summary.ci_low, summary.ci_high, strict=True)],
        c("epochs"): summary.epochs.map(lambda e: lang.fixed(e, 1)),
        c("training_seconds"): summary.train_seconds.map(lambda e: lang.fixed(e, 1)),
    })


def column(lang: Language, key: str) -> str:
    """A table's header in `lang`: labels.columns.<key>."""
    return lang.label(f"columns.{key}")


def comparison_table(compared: pd.DataFrame, lang: Language) -> pd.DataFrame:
    """The best run's paired tests as the documents print them."""
    c = functools.partial(column, lang)
    return pd.DataFrame({
        c("variant"): compared.variant.map(lang.name),
        c("test_accuracy"): compared.test_accuracy.map(lang.percent),
        c("only_best"): compared.only_best.astype(str),
        c("only_this"): compared.only_this.astype(str),
        c("mcnemar_p"): compared.p.map(lang.p_value),
        c("holm_p"): compared.p_holm.map(lang.p_value),
    }, columns=[c(k) for k in ("variant", "test_accuracy", "only_best", "only_this",
                               "mcnemar_p", "holm_p")])


EFFECT_COLUMNS = ["architecture", "variant", "training_images", "seeds", "change", "relative",
                  "holm_p", "verdict", "detectable"]


def regularisation_table(effects: pd.DataFrame, lang: Language) -> pd.DataFrame:
    """Each variant against `none` of the same architecture, size and seeds (the analysis'
    effects.csv): the change of the test error in points with its 95% interval, the same
    relative to `none`'s error, Holm's p, the verdict and the smallest change the design
    detects (80% power)."""
    def signed(x: float, digits: int = 2) -> str:
        return lang.fixed(x, digits, sign=True)

    rows = [[
        lang.name(row.architecture), lang.name(row.regularisation),
        lang.integer(row.train_images), str(row.seeds),
        f"{signed(100 * row.change)} [{signed(100 * row.low)}, {signed(100 * row.high)}]",
        lang.label("not_available") if pd.isna(row.relative) else
        f"{signed(100 * row.relative, 0)} [{signed(100 * row.relative_low, 0)}, "
        f"{signed(100 * row.relative_high, 0)}]",
        lang.p_value(row.p_holm), lang.label(f"verdicts.{row.verdict}"),
        lang.fixed(100 * row.detectable),
    ] for row in effects.itertuples()]
    return pd.DataFrame(rows, columns=[column(lang, k) for k in EFFECT_COLUMNS])


def regularisation_grid(effects: pd.DataFrame, architectures: list[str],
                        regularisations: list[str], lang: Language) -> pd.DataFrame:
    """The regularisation table at its smallest training set, folded for a slide: one row
    per architecture, one column per variant, each cell the change of the test error
    against `none` in points, starred when significant."""
    if effects.empty:
        return pd.DataFrame()
    smallest = effects[effects.train_images == effects.train_images.min()]
    cells = {(row.architecture, row.regularisation):
             lang.fixed(100 * row.change, sign=True)
             + ("*" if row.verdict in ("helps", "hurts") else "")
             for row in smallest.itertuples()}
    variants = [r for r in regularisations if any(v == r for _, v in cells)]
    return pd.DataFrame([{column(lang, "architecture"): lang.name(a),
                          **{lang.name(v): cells.get((a, v), "") for v in variants}}
                         for a in architectures if any(k[0] == a for k in cells)])


def best_per_architecture(summary: pd.DataFrame, lang: Language) -> pd.DataFrame:
    """Each architecture's variant with the best mean validation accuracy, and its test
    accuracy: the architecture comparison at a glance."""
    best = summary.loc[summary.groupby("architecture", sort=False).val_mean.idxmax()]
    c = functools.partial(column, lang)
    return pd.DataFrame({
        c("architecture"): best.architecture.map(lang.name),
        c("best_variant"): best.regularisation.map(lang.name),
        c("validation"): best.val_accuracies.map(lambda v: mean_std(pd.Series(v), lang)),
        c("test"): best.test_accuracies.map(lambda v: mean_std(pd.Series(v), lang))})


def search_table(searches: list[dict[str, Any]], lang: Language) -> pd.DataFrame:
    """One row per architecture: the search's budget and the values it chose."""
    c = functools.partial(column, lang)
    rows = []
    for chosen in searches:
        row = {c("architecture"): lang.name(chosen["architecture"]),
               c("trials"): lang.label("cells.trials",
                                       trials=chosen["trials"] + chosen["pruned"],
                                       pruned=chosen["pruned"]),
               c("each_trial"): lang.label("cells.each_trial", epochs=chosen["max_epochs"],
                                           images=lang.integer(chosen["train_images"]))}
        for key, (low, high) in chosen["space"].items():
            name = setting_name(key, lang)
            row[lang.label("columns.range", setting=name[:1].upper() + name[1:])] = (
                f"{lang.general(chosen[key])} ({lang.general(low, 6)}–{lang.general(high, 6)})")
        row[c("best_trial")] = lang.percent(chosen["val_accuracy"])
        rows.append(row)
    return pd.DataFrame(rows)


def variant_changes(settings: dict[str, Any], lang: Language) -> str:
    """A variant's settings in a few words, e.g. 'dropout = 0.3, augment = true'."""
    if not settings:
        return lang.label("cells.base_settings")

    def shown(value: Any) -> str:
        if value == SEARCHED:
            return lang.label("cells.searched")
        if isinstance(value, bool):
            return str(value).lower()
        return lang.general(value, 6) if isinstance(value, float) else str(value)

    return ", ".join(f"{key} = {shown(value)}" for key, value in settings.items())


def setting_name(key: str, lang: Language) -> str:
    """How the documents name a setting the search may choose ('learning rate')."""
    names = lang.labels.get("settings", {})
    return names.get(key, key)


def error_analysis(predictions: Path, lang: Language, top: int = 5
                   ) -> tuple[pd.DataFrame, dict[str, str]]:
    """A run's most confused (true, predicted) pairs, and how many of its errors fall on the
    test images whose label is known to be wrong, from its predictions (npz)."""
    with np.load(predictions) as f:
        labels, predicted = f["labels"], f["predicted"]
    wrong = predicted != labels
    pairs = (pd.DataFrame({"true": labels[wrong], "predicted": predicted[wrong]})
             .value_counts().rename("count").reset_index()
             .sort_values(["count", "true", "predicted"], ascending=[False, True, True]))
    c = functools.partial(column, lang)
    table = pd.DataFrame({c("true_digit"): pairs.true.astype(str),
                          c("predicted_as"): pairs.predicted.astype(str),
                          c("test_images"): pairs["count"].astype(str)}).head(top)
    errors, on_label_errors, label_errors = errors_on_known_labels(labels, predicted)
    return table, {
        "errors": str(errors),
        "on_label_errors": str(on_label_errors),
        "label_errors": str(label_errors),
        "label_error_points": lang.fixed(100 * label_errors / len(labels)),
        "top_pair": lang.label("phrases.top_pair", true=pairs.true.iloc[0],
                               predicted=pairs.predicted.iloc[0],
                               count=pairs["count"].iloc[0]) if len(pairs)
        else lang.label("none"),
    }


def markdown(frame: pd.DataFrame) -> str:
    return frame.to_markdown(index=False, disable_numparse=True) + "\n"


def ensemble_table(runs: pd.DataFrame, ensemble: dict[str, Any], lang: Language
                   ) -> pd.DataFrame:
    """The ensemble's members with their own accuracies, then the ensemble's."""
    by_run = runs.set_index(["architecture", "regularisation", "seed"])
    c = functools.partial(column, lang)
    rows = [{c("model"): lang.label("cells.member", variant=lang.name(
                 f"{m['architecture']} + {m['regularisation']}"), seed=m["seed"]),
             c("validation"): lang.percent(m["val_accuracy"]),
             c("test"): lang.percent(by_run.loc[run_key(m), "test_accuracy"]),
             c("test_errors"): str(by_run.loc[run_key(m), "test_errors"])}
            for m in ensemble["members"]]
    rows.append({c("model"): lang.label("cells.ensemble", n=len(rows)),
                 c("validation"): "", c("test"): lang.percent(ensemble["test_accuracy"]),
                 c("test_errors"): str(ensemble["test_errors"])})
    return pd.DataFrame(rows)


def given_table(runs: pd.DataFrame, lang: Language) -> pd.DataFrame:
    """One row per architecture: the learning rate and weight decays its runs took, when no
    search chose them (the config gave them)."""
    def values(column: pd.Series) -> str:
        return ", ".join(lang.general(v) for v in sorted(column.unique()))

    c = functools.partial(column, lang)
    return pd.DataFrame([{c("architecture"): lang.name(arch),
                          c("learning_rate"): values(group.lr),
                          c("weight_decay"): values(group.weight_decay)}
                         for arch, group in runs.groupby("architecture", sort=False)])
