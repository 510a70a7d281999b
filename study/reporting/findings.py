"""What the results mean, as data: the study's findings, computed from the results files.

`compute` turns the runs table, the choice of the best run, the ensemble, the calibration and
the robustness curves into facts (numbers, variant names and yes/no verdicts), written with
their sentences (`study.reporting.wording`) to findings.yml. The documents quote those
sentences; nothing in them is typed by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from study.evaluation.statistics import ALPHA, correct_on_test, mcnemar
from study.io import read_json, write_text
from study.reporting.language import load_wording
from study.reporting.run_summaries import comparisons, errors_on_known_labels
from study.reporting.run_summaries import summarise as summarise_variants
from study.reporting.wording import word
from study.run_files import RunFiles

BASELINE = "none"
# Temperature scaling "changes" the calibration only when the ECE moves by at least this
# share of its value and by at least this many points: below, the move is bin noise.
ECE_RELATIVE_CHANGE = 0.2
ECE_POINTS_CHANGE = 0.05
# The FGSM step the findings quote (the curve's ε closest to it): a tenth of the ink scale.
ROBUSTNESS_EPSILON = 0.1


def _variant(arch: str, reg: str) -> str:
    return f"{arch} + {reg}"


def summarise(runs: pd.DataFrame) -> pd.DataFrame:
    """The tables' summary of every (architecture, variant), under short names."""
    return summarise_variants(runs).rename(columns={"val_mean": "val", "test_mean": "test"})


def best_finding(runs: pd.DataFrame, summary: pd.DataFrame, best: dict[str, Any],
                 correct: Callable[[Any], np.ndarray]) -> dict[str, Any]:
    """The variant chosen on validation, its margin there, and what the test set says of it."""
    ranked = summary.sort_values("val", ascending=False, kind="stable")
    chosen = ranked[(ranked.architecture == best["architecture"])
                    & (ranked.regularisation == best["regularisation"])].iloc[0]
    others = ranked.drop(index=chosen.name)
    runner = others.iloc[0] if len(others) else None
    top_test = summary.sort_values("test", ascending=False, kind="stable").iloc[0]
    # The tables' paired tests: the best run against the same-seed run of every other variant.
    tests = comparisons(runs, best, correct)
    beaten = tests[(tests.p_holm < ALPHA) & (tests.only_best > tests.only_this)]
    closest = tests.sort_values("p", ascending=False, kind="stable").iloc[0] \
        if len(tests) else None
    return {
        "variant": _variant(chosen.architecture, chosen.regularisation),
        "architecture": str(chosen.architecture), "regularisation": str(chosen.regularisation),
        "seeds": int(chosen.seeds), "val": float(chosen.val), "test": float(chosen.test),
        "test_std": None if pd.isna(chosen.test_std) else float(chosen.test_std),
        "runner_up": None if runner is None else _variant(runner.architecture,
                                                          runner.regularisation),
        "val_margin": None if runner is None else float(100 * (chosen.val - runner.val)),
        "best_on_test": bool(top_test.name == chosen.name),
        "top_test_variant": _variant(top_test.architecture, top_test.regularisation),
        "top_test_gap": float(100 * (top_test.test - chosen.test)),
        # Within noise: smaller than twice the larger of the two variants' spreads over seeds.
        "top_test_gap_within_noise": bool(
            pd.notna(chosen.test_std) and pd.notna(top_test.test_std)
            and top_test.test - chosen.test < 2 * max(chosen.test_std, top_test.test_std)),
        "compared": len(tests), "significantly_better_than": len(beaten),
        "closest": None if closest is None else str(closest.variant),
        "closest_p": None if closest is None else float(closest.p),
        "closest_significant": bool(closest is not None and closest.p_holm < ALPHA),
    }


def regularisation_finding(effects: pd.DataFrame, regularisations: list[str]
                           ) -> dict[str, Any]:
    """What each regularisation does, from the analysis' comparisons with `none` (the same
    architecture, size and seed; Holm over all): changes of the test error in points
    (negative: fewer errors) and relative to `none`'s error, by training-set size."""
    effects = effects.assign(change=100 * effects.change, low=100 * effects.low,
                             high=100 * effects.high, detectable=100 * effects.detectable,
                             relative=100 * effects.relative)
    sizes = sorted(effects.train_images.unique())

    def entry(row: Any) -> dict[str, Any]:
        return {"architecture": str(row.architecture), "size": int(row.train_images),
                "change": float(row.change), "low": float(row.low), "high": float(row.high),
                "relative": float(row.relative), "p_holm": float(row.p_holm)}

    variants = []
    for reg in [r for r in regularisations if r != BASELINE]:
        own = effects[effects.regularisation == reg]
        if own.empty:
            continue
        smallest = own[own.train_images == own.train_images.min()]
        largest = own[own.train_images == own.train_images.max()]
        variants.append({
            "variant": reg,
            "helps": [entry(r) for r in own[own.verdict == "helps"].itertuples()],
            "hurts": [entry(r) for r in own[own.verdict == "hurts"].itertuples()],
            "unclear": int((own.verdict == "unclear").sum()), "compared": len(own),
            "smallest_size": int(smallest.train_images.iloc[0]),
            "change_smallest": float(smallest.change.mean()),
            "largest_size": int(largest.train_images.iloc[0]),
            "change_largest": float(largest.change.mean()),
        })
    variants.sort(key=lambda v: v["change_smallest"])  # the largest gain at the smallest size
    by_size = [{"size": int(size), "compared": len(group),
                "helps": int((group.verdict == "helps").sum()),
                "hurts": int((group.verdict == "hurts").sum()),
                "seeds": int(group.seeds.min()),
                "detectable": float(group.detectable.median())}
               for size, group in effects.groupby("train_images")]
    significant = effects[effects.verdict == "helps"]
    strongest = significant.loc[significant.change.idxmin()] if len(significant) else None
    return {"variants": variants, "compared": len(effects),
            "helps": int((effects.verdict == "helps").sum()),
            "hurts": int((effects.verdict == "hurts").sum()),
            "sizes": [int(n) for n in sizes], "by_size": by_size,
            "several_sizes": len(sizes) > 1,
            "strongest": None if strongest is None else
            {"variant": str(strongest.regularisation), **entry(strongest)},
            # The helping variants whose mean change on the largest set is smaller (less
            # negative) than on the smallest.
            "shrinks": [v["variant"] for v in variants
                        if v["helps"] and len(sizes) > 1
                        and v["change_largest"] > v["change_smallest"]]}


def architecture_finding(runs: pd.DataFrame, summary: pd.DataFrame, best: dict[str, Any],
                         correct: Callable[[Any], np.ndarray]) -> dict[str, Any]:
    """Each architecture's best variant on validation, ranked; and what convolution brings over
    the MLP: the chosen CNN against the MLP's own best variant, same seed, paired test."""
    per_arch = summary.loc[summary.groupby("architecture", sort=False).val.idxmax()]
    ranking = [{"architecture": str(r.architecture), "variant": str(r.regularisation),
                "val": float(r.val), "test": float(r.test), "params": int(r.params)}
               for r in per_arch.sort_values("val", ascending=False, kind="stable")
               .itertuples()]
    # `mlp` compares the chosen CNN with the MLP; when the MLP itself is chosen there is
    # nothing to compare, and the wording must say so rather than that there is no MLP.
    finding: dict[str, Any] = {"ranking": ranking, "mlp": None,
                               "mlp_chosen": best["architecture"] == "mlp"}
    mlp = per_arch[per_arch.architecture == "mlp"]
    if len(mlp) and best["architecture"] != "mlp":
        mlp = mlp.iloc[0]
        chosen = summary[(summary.architecture == best["architecture"])
                         & (summary.regularisation == best["regularisation"])].iloc[0]
        mlp_run = runs[(runs.architecture == "mlp") & (runs.regularisation == mlp.regularisation)
                       & (runs.seed == best["seed"])]
        p = mcnemar(correct(best), correct(mlp_run.iloc[0]))[2] if len(mlp_run) else None
        finding["mlp"] = {
            "variant": _variant("mlp", mlp.regularisation), "test": float(mlp.test),
            "errors": float(mlp.errors), "params": int(mlp.params),
            "cnn_errors": float(chosen.errors), "cnn_params": int(chosen.params),
            "gain": float(100 * (chosen.test - mlp.test)),
            "error_ratio": float(mlp.errors / chosen.errors) if chosen.errors else None,
            "params_ratio": float(mlp.params / chosen.params),
            "p": p, "significant": p is not None and p < ALPHA,
        }
    return finding


def ensemble_finding(summary: pd.DataFrame, best: dict[str, Any],
                     ensemble: dict[str, Any]) -> dict[str, Any]:
    chosen = summary[(summary.architecture == best["architecture"])
                     & (summary.regularisation == best["regularisation"])].iloc[0]
    members = ensemble["members"]
    return {"size": len(members), "test": float(ensemble["test_accuracy"]),
            "errors": int(ensemble["test_errors"]),
            "gain": float(100 * (ensemble["test_accuracy"] - chosen.test)),
            "architectures": sorted({m["architecture"] for m in members}),
            "variants": len({(m["architecture"], m["regularisation"]) for m in members})}


def label_error_finding(predictions: Path) -> dict[str, Any]:
    """How many of the best run's errors (`predictions`, npz) fall on test images whose label
    is known wrong."""
    with np.load(predictions) as f:
        labels, predicted = f["labels"], f["predicted"]
    errors, on_label_errors, label_errors = errors_on_known_labels(labels, predicted)
    return {"errors": errors, "on_label_errors": on_label_errors,
            "label_errors": label_errors, "n_test": len(labels),
            "points": float(100 * label_errors / len(labels))}


def calibration_finding(calibration: dict[str, Any]) -> dict[str, Any]:
    before, after = 100 * calibration["ece_before"], 100 * calibration["ece_after"]
    moved = abs(after - before)
    return {"temperature": float(calibration["temperature"]), "ece_before": before,
            "ece_after": after,
            "changed": moved >= ECE_POINTS_CHANGE and moved >= ECE_RELATIVE_CHANGE * before,
            "improved": after < before,
            "overconfident": calibration["temperature"] > 1}


def robustness_finding(curves: pd.DataFrame) -> dict[str, Any] | None:
    """Accuracy of each variant under FGSM at the ε closest to ROBUSTNESS_EPSILON."""
    attacked = curves[curves.epsilon > 0]
    if attacked.empty:
        return None
    epsilon = float(attacked.epsilon.iloc[(attacked.epsilon - ROBUSTNESS_EPSILON).abs()
                                          .argmin()])
    at = curves[np.isclose(curves.epsilon, epsilon)].sort_values("accuracy", ascending=False,
                                                                  kind="stable")
    clean = curves[curves.epsilon == 0].set_index("variant").accuracy
    return {"epsilon": epsilon,
            "most_robust": str(at.variant.iloc[0]), "most_robust_accuracy": float(
                at.accuracy.iloc[0]),
            "least_robust": str(at.variant.iloc[-1]),
            "least_robust_accuracy": float(at.accuracy.iloc[-1]),
            "clean": float(clean.mean()), "variants": len(at)}


def compute(runs: pd.DataFrame, best: dict[str, Any], ensemble: dict[str, Any],
            calibration: dict[str, Any], robustness: pd.DataFrame | None,
            regularisations: list[str], predictions: Callable[[Any], Path],
            effects: pd.DataFrame, searched: list[str] | None = None) -> dict[str, Any]:
    """Every finding of the study as plain data (accuracies as fractions, changes in points);
    `predictions(run)` is the test predictions file of a run, `searched` names the settings
    a search chose (none when the config gave them all)."""
    summary = summarise(runs)

    def correct(run: Any) -> np.ndarray:
        return correct_on_test(predictions(run))

    return {
        "study": {"runs": len(runs), "seeds": int(runs.seed.nunique()),
                  "architectures": int(runs.architecture.nunique()),
                  "variants": len(summary), "searched": list(searched or [])},
        "best": best_finding(runs, summary, best, correct),
        "regularisation": regularisation_finding(effects, regularisations),
        "architectures": architecture_finding(runs, summary, best, correct),
        "ensemble": ensemble_finding(summary, best, ensemble),
        "label_errors": label_error_finding(predictions(best)),
        "calibration": calibration_finding(calibration),
        "robustness": None if robustness is None else robustness_finding(robustness),
    }


def write_findings(runs_csv: Path, files: RunFiles, best_json: Path, ensemble_json: Path,
                   calibration_json: Path, robustness_csv: Path | None,
                   regularisations: list[str], outputs: dict[str, Path], effects_csv: Path,
                   searched: list[str] | None = None) -> None:
    """findings.yml in each language of `outputs` ({code: path}): `facts` (the numbers and
    verdicts, computed once) and `text` (the sentences in that language), from the tables'
    runs.csv, every run's test predictions (`files`) and the analysis' comparisons with
    `none` at every size (`effects_csv`)."""
    for language in outputs:
        load_wording(language)  # an unknown language is an error before anything is read
    runs = pd.read_csv(runs_csv)
    robustness = pd.read_csv(robustness_csv) if robustness_csv else None
    facts = compute(runs, read_json(best_json), read_json(ensemble_json),
                    read_json(calibration_json), robustness, regularisations,
                    lambda run: files.path(run, "predictions"), pd.read_csv(effects_csv),
                    searched)
    facts = _plain(facts)
    for language, output in outputs.items():
        document = {"language": language, "facts": facts, "text": word(facts, language)}
        write_text(output, yaml.safe_dump(document, sort_keys=False, allow_unicode=True,
                                          width=100))


def _plain(node: Any) -> Any:
    """Plain Python scalars, so findings.yml is plain YAML."""
    if isinstance(node, dict):
        return {k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, (bool, np.bool_)):
        return bool(node)
    if isinstance(node, (int, np.integer)):
        return int(node)
    if isinstance(node, (float, np.floating)):
        return float(node)  # unrounded: the text rounds it as the tables do
    return node
