"""Tables and report variables from the results of every run.

The best run arrives already chosen, on validation alone (`study.selection`, written to
best.json before any test figure is read); test numbers are only reported here.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy import stats

from study.data import load_split
from study.io import read_json, write_text
from study.models import describe
from study.provenance import code_version
from study.variants import changes

RUN_COLUMNS = ["architecture", "regularisation", "seed", "parameters", "epochs", "best_epoch",
               "val_accuracy", "val_loss", "test_accuracy", "test_errors", "macro_f1",
               "train_seconds"]


def collect_runs(summaries: list[Path]) -> pd.DataFrame:
    """One row per run, from each run folder's train.json and metrics.json."""
    rows = []
    for summary in summaries:
        folder = Path(summary).parent
        row = {**read_json(summary), **read_json(folder / "metrics.json"), "dir": str(folder)}
        rows.append(row)
    return pd.DataFrame(rows)[[*RUN_COLUMNS, "device_name", "dir"]]


def percent(x: float) -> str:
    return f"{100 * x:.2f}"


def mean_std(values: pd.Series) -> str:
    if len(values) < 2:
        return percent(values.mean())
    return f"{percent(values.mean())} ± {percent(values.std(ddof=1))}"


def interval95(values: pd.Series) -> tuple[float, float] | None:
    """Student-t 95% interval of the mean over seeds (None with a single seed)."""
    n = len(values)
    if n < 2:
        return None
    half = stats.t.ppf(0.975, n - 1) * values.std(ddof=1) / math.sqrt(n)
    return values.mean() - half, values.mean() + half


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
        })
    return pd.DataFrame(rows)


def mcnemar(best_correct: np.ndarray, other_correct: np.ndarray) -> tuple[int, int, float]:
    """Exact McNemar test on paired predictions of the same test images."""
    only_best = int((best_correct & ~other_correct).sum())
    only_other = int((other_correct & ~best_correct).sum())
    n = only_best + only_other
    p = 1.0 if n == 0 else stats.binomtest(min(only_best, only_other), n, 0.5).pvalue
    return only_best, only_other, float(p)


def p_value(p: float) -> str:
    return "< 0.0001" if p < 1e-4 else f"{p:.2g}"


def correct(run_dir: str) -> np.ndarray:
    with np.load(Path(run_dir) / "predictions.npz") as f:
        return f["predicted"] == f["labels"]


def comparisons(runs: pd.DataFrame, best: dict[str, Any]) -> pd.DataFrame:
    """The best run against the same-seed run of every other variant."""
    reference = correct(best["dir"])
    rows = []
    others = runs[(runs.seed == best["seed"]) & ~((runs.architecture == best["architecture"])
                                                  & (runs.regularisation
                                                     == best["regularisation"]))]
    for _, other in others.iterrows():
        only_best, only_other, p = mcnemar(reference, correct(other.dir))
        rows.append({"Variant": f"{other.architecture} + {other.regularisation}",
                     "Test accuracy (%)": percent(other.test_accuracy),
                     "Only best right": only_best, "Only this right": only_other,
                     "McNemar p": p_value(p), "p": p})
    return pd.DataFrame(rows, columns=["Variant", "Test accuracy (%)", "Only best right",
                                       "Only this right", "McNemar p", "p"])


def markdown(frame: pd.DataFrame) -> str:
    return frame.to_markdown(index=False, disable_numparse=True) + "\n"


def write_tables(summaries: list[Path], best_json: Path, architectures: list[str],
                 variants: dict[str, dict[str, Any]], max_epochs: int, split_npz: Path,
                 out_dir: Path) -> dict[str, Any]:
    """Every table, and variables.yml, from the runs and the choice in `best_json`.

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
    params = runs.groupby("architecture", sort=False)["parameters"].first()
    write_text(tables / "models.md", markdown(pd.DataFrame([
        {"Architecture": a, "Parameters": f"{params[a]:,}", "Description": describe(a)}
        for a in architectures])))
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

    variant = summary[(summary.architecture == best["architecture"])
                      & (summary.regularisation == best["regularisation"])].iloc[0]
    ci = interval95(runs[(runs.architecture == best["architecture"])
                         & (runs.regularisation == best["regularisation"])].test_accuracy)
    closest = compared.sort_values("p", ascending=False).iloc[0] if len(compared) else None
    variables = {
        "study": {
            "architectures": ", ".join(architectures),
            "regularisations": ", ".join(regularisations),
            "seeds": str(runs.seed.nunique()), "runs": str(len(runs)),
            "max_epochs": str(max_epochs),
            "device": str(runs.device_name.iloc[0]),
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
        "comparison": {
            "closest_variant": closest["Variant"] if closest is not None else "n/a",
            "closest_p": closest["McNemar p"] if closest is not None else "n/a",
        },
    }
    write_text(out_dir / "variables.yml", yaml.safe_dump(variables, sort_keys=False,
                                                         allow_unicode=True))
    return variables
