"""Tables and report variables from the results of every run.

The best run arrives already chosen, on validation alone (`study.evaluation.selection`, written to
best.json before any test figure is read); test numbers are only reported here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from study.data.mnist import known_label_errors
from study.data.splits import load_split
from study.evaluation.statistics import (
    against_baseline,
    correct_on_test,
    holm,
    interval95,
    mcnemar,
    verdict,
)
from study.io import read_json, write_text
from study.models.registry import describe, width
from study.provenance import code_version
from study.reporting.reproducibility import PRECISION_COLUMNS, precision_sentence
from study.variants import changes

# How the tables and the report name the settings a search may choose.
SETTING_NAMES = {"lr": "learning rate", "weight_decay": "weight decay"}
RUN_COLUMNS = ["architecture", "regularisation", "seed", "parameters", "multiply_adds",
               "lr", "weight_decay", "epochs", "best_epoch",
               "val_accuracy", "val_loss", "test_accuracy", "test_errors", "macro_f1",
               "train_seconds", "n_train"]


def collect_runs(summaries: list[Path]) -> pd.DataFrame:
    """One row per run, from each run folder's train.json and metrics.json."""
    rows = []
    for summary in summaries:
        folder = Path(summary).parent
        row = {**read_json(summary), **read_json(folder / "metrics.json"), "dir": str(folder)}
        rows.append(row)
    return pd.DataFrame(rows)[[*RUN_COLUMNS, "model_options", "device_name", "threads",
                               *PRECISION_COLUMNS, "dir"]]



def percent(x: float) -> str:
    return f"{100 * x:.2f}"


def mean_std(values: pd.Series) -> str:
    if len(values) < 2:
        return percent(values.mean())
    return f"{percent(values.mean())} ± {percent(values.std(ddof=1))}"


def summarise(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean and spread over seeds of every (architecture, regularisation)."""
    rows = []
    for (arch, reg), group in runs.groupby(["architecture", "regularisation"], sort=False):
        ci = interval95(group["test_accuracy"])
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


def comparisons(runs: pd.DataFrame, best: dict[str, Any]) -> pd.DataFrame:
    """The best run against the same-seed run of every other variant."""
    reference = correct_on_test(best["dir"])
    rows = []
    others = runs[(runs.seed == best["seed"]) & ~((runs.architecture == best["architecture"])
                                                  & (runs.regularisation
                                                     == best["regularisation"]))]
    for _, other in others.iterrows():
        only_best, only_other, p = mcnemar(reference, correct_on_test(other.dir))
        rows.append({"Variant": f"{other.architecture} + {other.regularisation}",
                     "Test accuracy (%)": percent(other.test_accuracy),
                     "Only best right": only_best, "Only this right": only_other,
                     "McNemar p": p_value(p), "p": p})
    table = pd.DataFrame(rows, columns=["Variant", "Test accuracy (%)", "Only best right",
                                        "Only this right", "McNemar p", "p"])
    table.insert(5, "Holm p", holm(table.p).map(p_value))
    return table


def regularisation_table(runs: pd.DataFrame, order: dict[str, int]) -> pd.DataFrame:
    """Each variant against its architecture's `none` run of the same seed, over the seeds;
    `change` is the mean change in points, for the views below (not printed)."""
    tests = against_baseline(runs)
    rows = []
    for (arch, reg), group in tests.groupby(["architecture", "regularisation"], sort=False):
        delta = 100 * group.delta
        spread = f" ± {delta.std(ddof=1):.2f}" if len(group) > 1 else ""
        rows.append({
            "Architecture": arch, "Variant": reg,
            "Change vs none (points)": f"{delta.mean():+.2f}{spread}",
            "Significant seeds (Holm, 5%)": f"{int(group.significant.sum())} of {len(group)}",
            "Largest Holm p": p_value(group.p_holm.max()),
            "Verdict": verdict(group),
            "change": delta.mean(),
            "_order": (order[arch], order[reg]),
        })
    frame = pd.DataFrame(rows, columns=["Architecture", "Variant", "Change vs none (points)",
                                        "Significant seeds (Holm, 5%)", "Largest Holm p",
                                        "Verdict", "change", "_order"])
    return frame.sort_values("_order").drop(columns="_order")


def regularisation_grid(effects: pd.DataFrame, architectures: list[str],
                        regularisations: list[str]) -> pd.DataFrame:
    """The regularisation table folded for a slide: one row per architecture, one column per
    variant, each cell the mean change against `none` in points, starred when significant."""
    cells = {(row.Architecture, row.Variant):
             f"{row.change:+.2f}" + ("*" if row.Verdict in ("helps", "hurts") else "")
             for row in effects.itertuples()}
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


def regularisation_findings(effects: pd.DataFrame) -> dict[str, str]:
    """Which variant helped or hurt which architecture, significantly on every seed, as
    lists the report can print ('augment on convnet_bn (+0.21 points), ...' or 'none')."""
    def listed(verdict_name: str) -> str:
        chosen = effects[effects.Verdict == verdict_name]
        items = [f"{row.Variant} on {row.Architecture} ({row.change:+.2f} points)"
                 for row in chosen.itertuples()]
        return ", ".join(items) if items else "none"

    return {"helps": str(int((effects.Verdict == "helps").sum())),
            "hurts": str(int((effects.Verdict == "hurts").sum())),
            "compared": str(len(effects)),
            "helped_list": listed("helps"), "hurt_list": listed("hurts")}


def errors_on_known_labels(labels: np.ndarray, predicted: np.ndarray) -> tuple[int, int, int]:
    """(errors, errors on test images whose label is known to be wrong, such images)."""
    wrong = predicted != labels
    known = [i for i in known_label_errors() if i < len(labels)]
    return int(wrong.sum()), int(wrong[known].sum()), len(known)


def error_analysis(run_dir: str, top: int = 5) -> tuple[pd.DataFrame, dict[str, str]]:
    """The run's most confused (true, predicted) pairs, and how many of its errors fall on the
    test images whose label is known to be wrong."""
    with np.load(Path(run_dir) / "predictions.npz") as f:
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
    by_dir = runs.set_index("dir")
    rows = [{"Model": f"{m['architecture']} + {m['regularisation']}, seed {m['seed']}",
             "Validation (%)": percent(m["val_accuracy"]),
             "Test (%)": percent(by_dir.loc[m["dir"], "test_accuracy"]),
             "Test errors": str(by_dir.loc[m["dir"], "test_errors"])}
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


def search_variables(searches: list[dict[str, Any]]) -> dict[str, str]:
    """The search in a few words for the report and the slides, or what the runs took
    where nothing was searched."""
    if not searches:
        return {
            "summary": "This study searched nothing: every run took the learning rate and the "
                       "weight decay its config gives.",
            "caption": "Learning rate and weight decay of each architecture's runs, as the "
                       "config gives them (no search).",
            "short": "Learning rate and weight decay: given by the config",
        }
    first = searches[0]
    settings = " and ".join(f"{SETTING_NAMES.get(k, k)} ({low:g} to {high:g})"
                            for k, (low, high) in first["space"].items())
    trials = first["trials"] + first["pruned"]
    budget = f"{first['max_epochs']} epoch(s) on {first['train_images']:,} images"
    return {
        "summary": f"This study searched the {settings} with {trials} trials per "
                   f"architecture, each of {budget}. Every run of an architecture then takes "
                   "its learning rate; the variants that use weight decay take its weight "
                   "decay, while the others keep none.",
        "caption": "Hyper-parameter search per architecture: trials run, the budget of each, "
                   "the values chosen (with the range searched) and the best trial's "
                   "validation accuracy.",
        "short": "Learning rate and weight decay: Optuna search on validation, per "
                 "architecture",
    }


def write_tables(summaries: list[Path], best_json: Path, ensemble_json: Path,
                 architectures: list[str], variants: dict[str, dict[str, Any]],
                 max_epochs: int, split_npz: Path, out_dir: Path,
                 searches: list[Path] | None = None,
                 command: str = "snakemake --cores all") -> dict[str, Any]:
    """Every table, and variables.yml, from the runs, the choice in `best_json`, the
    ensemble's metrics in `ensemble_json` (its members chosen on validation) and the
    searches' chosen.json files; `command` is the one that runs the study again.

    `variants` maps each regularisation variant, in the tables' order, to the settings it
    changes."""
    regularisations = list(variants)
    out_dir = Path(out_dir)
    tables = out_dir / "tables"
    runs = collect_runs(summaries)
    order = {name: i for i, name in enumerate(architectures + regularisations)}
    runs = runs.sort_values(["architecture", "regularisation", "seed"],
                            key=lambda c: c if c.name == "seed" else c.map(order))
    summary = summarise(runs)
    best = read_json(best_json)
    best_metrics = read_json(Path(best["dir"]) / "metrics.json")
    compared = comparisons(runs, best)
    split = load_split(split_npz)

    write_text(tables / "runs.csv", runs.to_csv(index=False))
    write_text(tables / "runs.md", markdown(pd.DataFrame({
        "Architecture": runs.architecture, "Regularisation": runs.regularisation,
        "Seed": runs.seed.astype(str), "Epochs": runs.epochs.astype(str),
        "Best epoch": runs.best_epoch.astype(str),
        "Validation (%)": runs.val_accuracy.map(percent),
        "Test (%)": runs.test_accuracy.map(percent),
        "Training (s)": runs.train_seconds.map(lambda s: f"{s:.1f}"),
    })))
    write_text(tables / "summary.md", markdown(summary.rename(columns={
        "architecture": "Architecture", "regularisation": "Regularisation", "seeds": "Seeds",
    })[["Architecture", "Regularisation", "Seeds", "Validation accuracy (%)",
        "Test accuracy (%)", "95% interval (%)", "Epochs", "Training (s)"]]))
    write_text(tables / "per_class.md", markdown(pd.DataFrame([
        {"Digit": str(c["class"]), "Precision (%)": percent(c["precision"]),
         "Recall (%)": percent(c["recall"]), "F1 (%)": percent(c["f1"]),
         "Test images": str(c["support"])} for c in best_metrics["per_class"]])))
    first = runs.groupby("architecture", sort=False).first()
    params = first["parameters"]
    speed = training_throughput(runs, variants)
    epochs = runs.groupby("architecture").epochs.max()  # the budget, early stopping aside
    write_text(tables / "models.md", markdown(pd.DataFrame([
        {"Architecture": a, "Width w": str(width(a, first.model_options[a]) or "—"),
         "Epochs": str(epochs[a]), "Parameters": f"{params[a]:,}",
         "Multiply-adds per image": f"{first.multiply_adds[a] / 1e6:.2f} M",
         "Training images/s": f"{speed[a]:,.0f}"} for a in architectures])))
    # What each architecture is, as a list: a table column would be too narrow for it.
    write_text(tables / "designs.md", "".join(f"- **{a}**: {describe(a)}.\n"
                                              for a in architectures))
    searches = [read_json(path) for path in searches or []]
    write_text(tables / "search.md", markdown(search_table(searches) if searches
                                              else given_table(runs)))
    write_text(tables / "variants.md", markdown(pd.DataFrame([
        {"Variant": name, "Settings changed from the base": changes({"variants": variants}, name)}
        for name in regularisations])))
    n_test = int(best_metrics["n_test"])
    write_text(tables / "data.md", markdown(pd.DataFrame([
        {"Split": "Training", "Images": f"{len(split.train_idx):,}",
         "Used for": "fitting the weights; normalisation statistics"},
        {"Split": "Validation", "Images": f"{len(split.val_idx):,}",
         "Used for": "early stopping, best epoch, choice of the best variant"},
        {"Split": "Test (official)", "Images": f"{n_test:,}",
         "Used for": "the final evaluation only"},
    ])))
    write_text(tables / "comparisons.md", markdown(compared.drop(columns=["p"])))
    # Empty when nothing is compared: the documents then leave out what shows them
    # (`shows.*` below).
    effects = regularisation_table(runs, order)
    write_text(tables / "regularisation.md", markdown(effects.drop(columns="change")))
    write_text(tables / "regularisation_grid.md",
               markdown(regularisation_grid(effects, architectures, regularisations)))
    write_text(tables / "architectures.md", markdown(best_per_architecture(summary)))
    ensemble = read_json(ensemble_json)
    write_text(tables / "ensemble.md", markdown(ensemble_table(runs, ensemble)))
    confused, errors = error_analysis(best["dir"])
    write_text(tables / "confused_pairs.md", markdown(confused))

    variant = summary[(summary.architecture == best["architecture"])
                      & (summary.regularisation == best["regularisation"])].iloc[0]
    ci = interval95(runs[(runs.architecture == best["architecture"])
                         & (runs.regularisation == best["regularisation"])].test_accuracy)
    closest = compared.sort_values("p", ascending=False).iloc[0] if len(compared) else None
    variables = {
        # What the documents have to show: a part with nothing in it is left out.
        "shows": {"comparisons": bool(len(compared)), "regularisation": bool(len(effects)),
                  "mlp": "mlp" in architectures,
                  "ensemble": len(ensemble["members"]) > 1},
        "study": {
            "command": command,
            "architectures": ", ".join(architectures),
            "regularisations": ", ".join(regularisations),
            "seeds": str(runs.seed.nunique()), "runs": str(len(runs)),
            "run_count": f"{len(runs)} training run" + ("s" if len(runs) > 1 else ""),
            "seed_count": f"{runs.seed.nunique()} seed" + ("s" if runs.seed.nunique() > 1
                                                           else ""),
            "max_epochs": str(max_epochs),
            "device": str(runs.device_name.iloc[0]),
            "threads": str(int(runs.threads.max())),
            "precision": precision_sentence(runs),
            "code_version": code_version(),
            "train_minutes": f"{runs.train_seconds.sum() / 60:.1f}",
        },
        "data": {
            "n_train": f"{len(split.train_idx):,}", "n_val": f"{len(split.val_idx):,}",
            "n_test": f"{n_test:,}", "pixel_mean": f"{split.mean:.4f}",
            "pixel_std": f"{split.std:.4f}",
        },
        "best": {
            "variant": f"{best['architecture']} + {best['regularisation']}",
            "architecture": best["architecture"], "regularisation": best["regularisation"],
            "val_accuracy": f"{percent(variant.val_mean)}%",
            "test_accuracy": f"{percent(variant.test_mean)}%",
            "test_accuracy_std": "n/a (one seed)" if np.isnan(variant.test_std)
            else percent(variant.test_std),
            "test_accuracy_ci": f"{percent(ci[0])}–{percent(ci[1])}%" if ci
            else "n/a (one seed)",
            "seed": str(best["seed"]),
            "run_test_accuracy": f"{percent(best_metrics['test_accuracy'])}%",
            "test_errors": str(best_metrics["test_errors"]),
            "macro_f1": f"{best_metrics['macro_f1']:.4f}",
            "params": f"{params[best['architecture']] / 1e6:.2f} M",
        },
        "errors": errors,
        "regularisation": regularisation_findings(effects),
        "search": search_variables(searches),
        "ensemble": {
            "size": str(len(ensemble["members"])),
            "test_accuracy": f"{percent(ensemble['test_accuracy'])}%",
            "test_errors": str(ensemble["test_errors"]),
            "gain": f"{100 * (ensemble['test_accuracy'] - variant.test_mean):+.2f}",
        },
        "comparison": {
            "closest_variant": closest["Variant"] if closest is not None else "n/a",
            "closest_p": closest["McNemar p"] if closest is not None else "n/a",
        },
    }
    write_text(out_dir / "variables.yml", yaml.safe_dump(variables, sort_keys=False,
                                                         allow_unicode=True))
    return variables
