"""The report's variables (variables.yml): the numbers and short phrases the documents quote
as `{{< var ... >}}`, every one from the results."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from study.provenance import code_version
from study.reporting.language import Language
from study.reporting.reproducibility import precision_sentence
from study.reporting.run_summaries import accuracy_interval
from study.reporting.tables import setting_name

if TYPE_CHECKING:  # the tables job passes its results; importing it here would loop
    from study.reporting.write_tables import StudyResults


def search_variables(searches: list[dict[str, Any]], lang: Language) -> dict[str, str]:
    """The search in a few words for the report and the slides, or what the runs took
    where nothing was searched."""
    if not searches:
        return {key: lang.label(f"phrases.given_{key}")
                for key in ("summary", "caption", "short")}
    first = searches[0]
    settings = lang.listing([
        lang.label("phrases.searched_setting", setting=setting_name(k, lang),
                   low=lang.general(low, 6), high=lang.general(high, 6))
        for k, (low, high) in first["space"].items()])
    budget = lang.label("phrases.trial_budget", epochs=first["max_epochs"],
                        images=lang.integer(first["train_images"]))
    return {
        "summary": lang.label("phrases.search_summary", settings=settings, budget=budget,
                              trials=first["trials"] + first["pruned"]),
        "caption": lang.label("phrases.search_caption"),
        "short": lang.label("phrases.search_short"),
    }


def regularisation_findings(effects: pd.DataFrame, lang: Language) -> dict[str, str]:
    """Which variant helped or hurt which architecture at which size, significantly after
    Holm's correction, as lists the report can print ('augment on lenet5 at 1,000 images
    (-2.10 points of error), ...' or 'none')."""
    def listed(verdict: str) -> str:
        chosen = effects[effects.verdict == verdict]
        items = [lang.label("phrases.effect", variant=lang.name(row.regularisation),
                            architecture=lang.name(row.architecture),
                            images=lang.integer(row.train_images),
                            change=lang.fixed(100 * row.change, sign=True))
                 for row in chosen.itertuples()]
        return ", ".join(items) if items else lang.label("none")

    return {"helps": str(int((effects.verdict == "helps").sum())),
            "hurts": str(int((effects.verdict == "hurts").sum())),
            "compared": str(len(effects)),
            "helped_list": listed("helps"), "hurt_list": listed("hurts")}


def size_variables(axis: dict[str, Any], full_size: int, lang: Language) -> dict[str, str]:
    """The size axis in a few words: its sizes (the whole split last), the epochs of the
    smaller ones and their seeds; `axis` is {"seeds": n, "epochs": {size: [epochs, ...]}}."""
    smaller = sorted(int(n) for n in axis["epochs"])
    epochs = [lang.label("phrases.epochs_on", images=lang.integer(n), epochs="–".join(
        str(e) for e in sorted({min(axis["epochs"][str(n)]), max(axis["epochs"][str(n)])})))
        for n in smaller]
    seeds = int(axis["seeds"])
    return {"sizes": lang.listing([lang.integer(n) for n in [*smaller, full_size]]),
            "smallest": lang.integer(smaller[0]), "epochs": lang.listing(epochs),
            "seed_count": lang.count(seeds, lang.label("nouns.seed"))}


def run_variables(r: StudyResults, max_epochs: int, command: str, lang: Language
                  ) -> dict[str, str]:
    """The study's runs in a few words: what was trained, how often, where and how long."""
    runs, seeds = r.runs, r.runs.seed.nunique()
    return {
        "command": command,
        "architectures": ", ".join(map(lang.name, r.architectures)),
        "regularisations": ", ".join(map(lang.name, r.variants)),
        "seeds": str(seeds), "runs": str(len(runs)),
        "run_count": lang.count(len(runs), lang.label("nouns.run")),
        "seed_count": lang.count(seeds, lang.label("nouns.seed")),
        "max_epochs": str(max_epochs),
        "device": str(runs.device_name.iloc[0]),
        "threads": str(int(runs.threads.max())),
        "precision": precision_sentence(runs, lang),
        "code_version": code_version(),
        "train_minutes": lang.fixed(runs.train_seconds.sum() / 60, 1),
    }


def best_variables(r: StudyResults, variant: pd.Series, lang: Language) -> dict[str, str]:
    """The variant chosen on validation (`variant`, its row of the summary) and its best
    run, with the 95% interval of its test accuracy from the analysis."""
    best, metrics, runs = r.best, r.best_metrics, r.runs
    ci = accuracy_interval(r.errors, best["architecture"], best["regularisation"],
                           int(runs.n_train.max()))
    params = runs.groupby("architecture", sort=False).first().parameters[best["architecture"]]
    return {
        "variant": lang.name(f"{best['architecture']} + {best['regularisation']}"),
        "architecture": lang.name(best["architecture"]),
        "regularisation": lang.name(best["regularisation"]),
        "val_accuracy": lang.pct(variant.val_mean),
        "test_accuracy": lang.pct(variant.test_mean),
        "test_accuracy_std": lang.label("one_seed") if np.isnan(variant.test_std)
        else lang.percent(variant.test_std),
        "test_accuracy_ci": lang.number["percent"].format(
            lang.label("interval", low=lang.percent(ci[0]), high=lang.percent(ci[1])))
        if ci else lang.label("not_available"),
        "seed": str(best["seed"]),
        "run_test_accuracy": lang.pct(metrics["test_accuracy"]),
        "test_errors": str(metrics["test_errors"]),
        "macro_f1": lang.fixed(metrics["macro_f1"], 4),
        "params": lang.label("million", lang.fixed(params / 1e6)),
    }


def study_variables(r: StudyResults, max_epochs: int, command: str,
                    errors: dict[str, str], axis: dict[str, Any], lang: Language
                    ) -> dict[str, Any]:
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
        "study": run_variables(r, max_epochs, command, lang),
        "data": {
            "n_train": lang.integer(len(r.split.train_idx)),
            "n_val": lang.integer(len(r.split.val_idx)),
            "n_test": lang.integer(r.best_metrics["n_test"]),
            "pixel_mean": lang.fixed(r.split.mean, 4), "pixel_std": lang.fixed(r.split.std, 4),
        },
        "best": best_variables(r, variant, lang),
        "errors": errors,
        "sizes": size_variables(axis, len(r.split.train_idx), lang),
        "regularisation": regularisation_findings(r.effects, lang),
        "search": search_variables(r.searches, lang),
        "ensemble": {
            "size": str(len(ensemble["members"])),
            "test_accuracy": lang.pct(ensemble["test_accuracy"]),
            "test_errors": str(ensemble["test_errors"]),
            "gain": lang.fixed(100 * (ensemble["test_accuracy"] - variant.test_mean),
                               sign=True),
        },
        "comparison": {
            "closest_variant": lang.name(closest.variant) if closest is not None
            else lang.label("not_available"),
            "closest_p": lang.p_value(closest.p) if closest is not None
            else lang.label("not_available"),
        },
    }
