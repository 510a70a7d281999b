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
            "seed_count": f"{seeds} seed" + ("s" if seeds > 1 else "")}


def study_variables(r: StudyResults, max_epochs: int, command: str,
                    errors: dict[str, str], axis: dict[str, Any]) -> dict[str, Any]:
    """Every variable of variables.yml; `errors` is the chosen run's error analysis, `axis`
    the size axis' smaller sets (size_variables)."""
    runs, best, best_metrics, ensemble = r.runs, r.best, r.best_metrics, r.ensemble
    variant = r.summary[(r.summary.architecture == best["architecture"])
                        & (r.summary.regularisation == best["regularisation"])].iloc[0]
    ci = accuracy_interval(r.errors, best["architecture"], best["regularisation"],
                           int(runs.n_train.max()))
    closest = r.compared.sort_values("p", ascending=False).iloc[0] if len(r.compared) else None
    seeds = runs.seed.nunique()
    params = runs.groupby("architecture", sort=False).first().parameters[best["architecture"]]
    return {
        # What the documents have to show: a part with nothing in it is left out.
        "shows": {"comparisons": bool(len(r.compared)), "regularisation": bool(len(r.effects)),
                  "mlp": "mlp" in r.architectures,
                  "ensemble": len(ensemble["members"]) > 1},
        "study": {
            "command": command,
            "architectures": ", ".join(r.architectures),
            "regularisations": ", ".join(r.variants),
            "seeds": str(seeds), "runs": str(len(runs)),
            "run_count": f"{len(runs)} training run" + ("s" if len(runs) > 1 else ""),
            "seed_count": f"{seeds} seed" + ("s" if seeds > 1 else ""),
            "max_epochs": str(max_epochs),
            "device": str(runs.device_name.iloc[0]),
            "threads": str(int(runs.threads.max())),
            "precision": precision_sentence(runs),
            "code_version": code_version(),
            "train_minutes": f"{runs.train_seconds.sum() / 60:.1f}",
        },
        "data": {
            "n_train": f"{len(r.split.train_idx):,}", "n_val": f"{len(r.split.val_idx):,}",
            "n_test": f"{int(best_metrics['n_test']):,}", "pixel_mean": f"{r.split.mean:.4f}",
            "pixel_std": f"{r.split.std:.4f}",
        },
        "best": {
            "variant": f"{best['architecture']} + {best['regularisation']}",
            "architecture": best["architecture"], "regularisation": best["regularisation"],
            "val_accuracy": f"{percent(variant.val_mean)}%",
            "test_accuracy": f"{percent(variant.test_mean)}%",
            "test_accuracy_std": "n/a (one seed)" if np.isnan(variant.test_std)
            else percent(variant.test_std),
            "test_accuracy_ci": f"{percent(ci[0])}–{percent(ci[1])}%" if ci else "n/a",
            "seed": str(best["seed"]),
            "run_test_accuracy": f"{percent(best_metrics['test_accuracy'])}%",
            "test_errors": str(best_metrics["test_errors"]),
            "macro_f1": f"{best_metrics['macro_f1']:.4f}",
            "params": f"{params / 1e6:.2f} M",
        },
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
