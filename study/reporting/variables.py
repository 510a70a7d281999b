"""The report's variables (variables.yml): the numbers and short phrases the documents quote
as `{{< var ... >}}`, every one from the results."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from study.provenance import code_version
from study.reporting.reproducibility import precision_sentence
from study.reporting.tables import SETTING_NAMES, accuracy_interval, percent

if TYPE_CHECKING:  # the tables job passes its results; importing it here would loop
    from study.reporting.write_tables import StudyResults


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


def regularisation_findings(effects: pd.DataFrame) -> dict[str, str]:
    """Which variant helped or hurt which architecture at which size, significantly after
    Holm's correction, as lists the report can print ('augment on lenet5 at 1,000 images
    (-2.10 points of error), ...' or 'none')."""
    def listed(verdict_name: str) -> str:
        chosen = effects[effects.Verdict == verdict_name]
        items = [f"{row.Variant} on {row.Architecture} at {row.train_images:,} images "
                 f"({row.change:+.2f} points of error)" for row in chosen.itertuples()]
        return ", ".join(items) if items else "none"

    return {"helps": str(int((effects.Verdict == "helps").sum())),
            "hurts": str(int((effects.Verdict == "hurts").sum())),
            "compared": str(len(effects)),
            "helped_list": listed("helps"), "hurt_list": listed("hurts")}

def listing(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def size_variables(axis: dict[str, Any], full_size: int) -> dict[str, str]:
    """The size axis in a few words: its sizes (the whole split last), the epochs of the
    smaller ones and their seeds; `axis` is {"seeds": n, "epochs": {size: [epochs, ...]}}."""
    smaller = sorted(int(n) for n in axis["epochs"])
    epochs = ["–".join(str(e) for e in sorted({min(axis["epochs"][str(n)]),
                                                 max(axis["epochs"][str(n)])}))
              + f" on {n:,} images" for n in smaller]
    seeds = int(axis["seeds"])
    return {"sizes": listing([f"{n:,}" for n in [*smaller, full_size]]),
            "smallest": f"{smaller[0]:,}", "epochs": listing(epochs),
            "seed_count": counted(seeds, "seed")}


def counted(n: int, noun: str) -> str:
    """'1 seed', '2 seeds'."""
    return f"{n} {noun}" + ("s" if n != 1 else "")


def run_variables(r: StudyResults, max_epochs: int, command: str) -> dict[str, str]:
    """The study's runs in a few words: what was trained, how often, where and how long."""
    runs, seeds = r.runs, r.runs.seed.nunique()
    return {
        "command": command,
        "architectures": ", ".join(r.architectures),
        "regularisations": ", ".join(r.variants),
        "seeds": str(seeds), "runs": str(len(runs)),
        "run_count": counted(len(runs), "training run"),
        "seed_count": counted(seeds, "seed"),
        "max_epochs": str(max_epochs),
        "device": str(runs.device_name.iloc[0]),
        "threads": str(int(runs.threads.max())),
        "precision": precision_sentence(runs),
        "code_version": code_version(),
        "train_minutes": f"{runs.train_seconds.sum() / 60:.1f}",
    }


def best_variables(r: StudyResults, variant: pd.Series) -> dict[str, str]:
    """The variant chosen on validation (`variant`, its row of the summary) and its best
    run, with the 95% interval of its test accuracy from the analysis."""
    best, metrics, runs = r.best, r.best_metrics, r.runs
    ci = accuracy_interval(r.errors, best["architecture"], best["regularisation"],
                           int(runs.n_train.max()))
    params = runs.groupby("architecture", sort=False).first().parameters[best["architecture"]]
    return {
        "variant": f"{best['architecture']} + {best['regularisation']}",
        "architecture": best["architecture"], "regularisation": best["regularisation"],
        "val_accuracy": f"{percent(variant.val_mean)}%",
        "test_accuracy": f"{percent(variant.test_mean)}%",
        "test_accuracy_std": "n/a (one seed)" if np.isnan(variant.test_std)
        else percent(variant.test_std),
        "test_accuracy_ci": f"{percent(ci[0])}–{percent(ci[1])}%" if ci else "n/a",
        "seed": str(best["seed"]),
        "run_test_accuracy": f"{percent(metrics['test_accuracy'])}%",
        "test_errors": str(metrics["test_errors"]),
        "macro_f1": f"{metrics['macro_f1']:.4f}",
        "params": f"{params / 1e6:.2f} M",
    }


def study_variables(r: StudyResults, max_epochs: int, command: str,
                    errors: dict[str, str], axis: dict[str, Any]) -> dict[str, Any]:
    """Every variable of variables.yml; `errors` is the chosen run's error analysis, `axis`
    the size axis' smaller sets (size_variables)."""
    best, ensemble = r.best, r.ensemble
    variant = r.summary[(r.summary.architecture == best["architecture"])
                        & (r.summary.regularisation == best["regularisation"])].iloc[0]
    closest = r.compared.sort_values("p", ascending=False).iloc[0] if len(r.compared) else None
    return {
        # What the documents have to show: a part with nothing in it is left out.
        "shows": {"comparisons": bool(len(r.compared)), "regularisation": bool(len(r.effects)),
                  "mlp": "mlp" in r.architectures,
                  "ensemble": len(ensemble["members"]) > 1},
        "study": run_variables(r, max_epochs, command),
        "data": {
            "n_train": f"{len(r.split.train_idx):,}", "n_val": f"{len(r.split.val_idx):,}",
            "n_test": f"{int(r.best_metrics['n_test']):,}",
            "pixel_mean": f"{r.split.mean:.4f}", "pixel_std": f"{r.split.std:.4f}",
        },
        "best": best_variables(r, variant),
        "errors": errors,
        "sizes": size_variables(axis, len(r.split.train_idx)),
        "regularisation": regularisation_findings(r.effects),
        "search": search_variables(r.searches),
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
