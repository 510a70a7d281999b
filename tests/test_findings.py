"""Findings: computed right from the results, and worded so that each stays true, in its
positive or its negative form, whatever the numbers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import effects_of, predictions_of, synthetic_study

from study.io import write_json
from study.reporting import findings, language
from study.reporting.language import Language
from study.run_files import RunFiles

ENSEMBLE = {"members": [{"architecture": "cnn", "regularisation": "augment"}] * 3,
            "test_accuracy": 0.999, "test_errors": 2}
CALIBRATED = {"temperature": 0.98, "ece_before": 0.00146, "ece_after": 0.00150}
CURVES = pd.DataFrame({"variant": ["none", "augment"] * 2, "epsilon": [0, 0, 0.1, 0.1],
                       "accuracy": [0.99, 0.99, 0.6, 0.4]})


def _compute(runs: pd.DataFrame, best: dict, calibration: dict = CALIBRATED) -> dict:
    return findings.compute(runs, best, ENSEMBLE, calibration, CURVES, ["none", "augment"],
                            predictions_of(runs), effects_of(runs))


def test_a_regularisation_that_fixes_errors_on_every_seed_helps(tmp_path: Path) -> None:
    facts = _compute(*synthetic_study(tmp_path, augment_errors=5))
    variant = facts["regularisation"]["variants"][0]
    assert variant["variant"] == "augment"
    assert [e["architecture"] for e in variant["helps"]] == ["cnn"]
    assert variant["helps"][0]["change"] == pytest.approx(-100 * 35 / 2000)  # fewer errors
    assert variant["helps"][0]["relative"] == pytest.approx(-100 * 35 / 40)
    assert variant["unclear"] == 1  # mlp: as many errors either way
    text = findings.word(facts)
    assert ("it lowers the error significantly for cnn on 50,000 images (-1.75 points, -88%)"
            in text["regularisation"])
    assert "1 lowers and 0 raise the test error significantly" in text["abstract"]


def test_no_significant_effect_is_worded_in_the_negative(tmp_path: Path) -> None:
    facts = _compute(*synthetic_study(tmp_path, augment_errors=39))
    assert facts["regularisation"]["helps"] == facts["regularisation"]["hurts"] == 0
    text = findings.word(facts)
    assert "None of them changes the test error significantly" in \
        text["regularisation_summary"]
    assert "none of its changes is significant" in text["regularisation"]
    assert "None of the 2 comparisons of a regularised network" in text["abstract"]
    # The best run is not distinguishable from cnn + none: the text says so.
    assert not facts["best"]["closest_significant"]
    assert "cannot tell it apart from cnn + none" in text["abstract"]


def test_best_is_chosen_on_validation_and_the_text_says_when_test_disagrees(
        tmp_path: Path) -> None:
    # cnn + augment has the best validation accuracy but more test errors than cnn + none.
    facts = _compute(*synthetic_study(tmp_path, augment_errors=60))
    best = facts["best"]
    assert best["variant"] == "cnn + augment"
    assert not best["best_on_test"] and best["top_test_variant"] == "cnn + none"
    assert best["top_test_gap"] == pytest.approx(100 * 20 / 2000)
    text = findings.word(facts)["best"]
    assert "On the test set, cnn + none scores 1.00 points higher" in text
    facts = _compute(*synthetic_study(tmp_path / "again", augment_errors=10))
    assert facts["best"]["best_on_test"]
    assert "No other variant does better on the test set" in findings.word(facts)["best"]


def test_numbers_in_the_text_are_those_of_the_tables(tmp_path: Path) -> None:
    runs, best = synthetic_study(tmp_path, augment_errors=13)
    text = findings.word(_compute(runs, best))
    chosen = runs[(runs.architecture == "cnn") & (runs.regularisation == "augment")]
    english = Language.load("en")
    assert english.pct(chosen.test_accuracy.mean()) in text["abstract"]
    assert f"{english.pct(chosen.val_accuracy.mean())} on validation" in text["abstract"]


def test_convolution_finding_in_both_directions(tmp_path: Path) -> None:
    facts = _compute(*synthetic_study(tmp_path, augment_errors=10))
    mlp = facts["architectures"]["mlp"]
    assert mlp["variant"] == "mlp + none" and mlp["error_ratio"] == pytest.approx(20.0)
    assert mlp["significant"]
    assert findings.word(facts)["convolution"].startswith("Convolution pays: the chosen "
                                                          "network makes 20.0 times fewer")
    # An MLP as good as the CNN: the negative form.
    facts = _compute(*synthetic_study(tmp_path / "weak", augment_errors=10, mlp_errors=8))
    assert "convolution does not pay" in findings.word(facts)["convolution"]


def test_calibration_change_or_none(tmp_path: Path) -> None:
    runs, best = synthetic_study(tmp_path, augment_errors=10)
    text = findings.word(_compute(runs, best))["calibration"]
    assert "no measurable change: the network was already calibrated" in text
    text = findings.word(_compute(runs, best, {"temperature": 1.6, "ece_before": 0.02,
                                               "ece_after": 0.004}))["calibration"]
    assert "reduces the expected calibration error" in text and "too high" in text


def test_one_seed_and_no_robustness_still_word_everything(tmp_path: Path) -> None:
    runs, best = synthetic_study(tmp_path, augment_errors=10, seeds=(0,))
    facts = findings.compute(runs, best, ENSEMBLE, CALIBRATED, None, ["none", "augment"],
                             predictions_of(runs), effects_of(runs))
    assert facts["best"]["test_std"] is None
    text = findings.word(facts)
    assert "1 seed each" in text["abstract"] and "standard deviation" not in text["abstract"]
    assert text["robustness"] == "The robustness curves were not computed."


def test_write_findings_keeps_facts_and_text(tmp_path: Path) -> None:
    runs, best = synthetic_study(tmp_path / "runs", augment_errors=10)
    runs.to_csv(tmp_path / "runs.csv", index=False)
    write_json(tmp_path / "best.json", best)
    write_json(tmp_path / "ensemble.json", ENSEMBLE)
    write_json(tmp_path / "calibration.json", CALIBRATED)
    CURVES.to_csv(tmp_path / "robustness.csv", index=False)
    out = tmp_path / "findings.yml"
    files = RunFiles([Path(p).with_name("train.json") for p in runs.predictions],
                     predictions=list(runs.predictions))
    effects_of(runs).to_csv(tmp_path / "effects.csv", index=False)
    findings.write_findings(tmp_path / "runs.csv", files, tmp_path / "best.json",
                            tmp_path / "ensemble.json", tmp_path / "calibration.json",
                            tmp_path / "robustness.csv", ["none", "augment"],
                            {"en": out, "fr": tmp_path / "fr" / "findings.yml"},
                            tmp_path / "effects.csv")
    written = yaml.safe_load(out.read_text())
    assert written["language"] == "en"
    assert written["facts"]["best"]["variant"] == "cnn + augment"
    assert written["text"]["abstract"].startswith("This study trains 8 networks")
    assert all("\n" not in line for line in written["text"]["notes"].values())
    french = yaml.safe_load((tmp_path / "fr" / "findings.yml").read_text())
    assert french["language"] == "fr" and french["facts"] == written["facts"]  # computed once
    assert french["text"]["abstract"].startswith("Cette étude entraîne 8 réseaux")


def test_unknown_language_and_bad_wording_are_errors(tmp_path: Path, monkeypatch) -> None:
    facts = _compute(*synthetic_study(tmp_path, augment_errors=10))
    with pytest.raises(ValueError, match=r"no wording for language 'xx'.*en"):
        findings.word(facts, "xx")
    (tmp_path / "wording").mkdir()
    number = {"decimal": ".", "thousands": ",", "minus": "-", "percent": "{}%"}
    (tmp_path / "wording" / "en.yml").write_text(yaml.safe_dump({
        "number": number, "text": {"a": 'He said "{{ best.variant }}"'}}))
    monkeypatch.setattr(language, "WORDING", tmp_path / "wording")
    with pytest.raises(ValueError, match="straight double quote"):
        findings.word(facts)
    (tmp_path / "wording" / "en.yml").write_text(yaml.safe_dump({
        "number": number, "text": {"a": "{{ best.no_such_fact }}"}}))
    with pytest.raises(Exception, match="no_such_fact"):
        findings.word(facts)


def test_a_study_of_one_variant_and_one_seed_is_worded_without_comparisons(
        tmp_path: Path) -> None:
    """One architecture, one variant, one seed, an ensemble of one: every sentence still
    reads true (no "1 networks", no comparison with nothing)."""
    runs, best = synthetic_study(tmp_path, augment_errors=5, seeds=(0,))
    runs = runs[(runs.architecture == "cnn") & (runs.regularisation == "augment")]
    ensemble = {"members": [{"architecture": "cnn", "regularisation": "augment"}],
                "test_accuracy": float(runs.test_accuracy.iloc[0]), "test_errors": 5}
    curves = CURVES[CURVES.variant == "augment"]
    facts = findings.compute(runs, best, ensemble, CALIBRATED, curves, ["augment"],
                             predictions_of(runs), effects_of(runs))
    text = findings.word(facts)
    flat = " ".join(str(v) for v in pd.json_normalize(text).iloc[0])
    for wrong in ("1 networks", "1 runs", "0 comparisons", "None of the 0", "1 candidates",
                  "every other one", "(augment) to", "by None"):
        assert wrong not in flat, wrong
    assert text["abstract"].startswith("This study trains 1 network on")
    assert "compares no regularisation" in text["regularisation_summary"]
    assert "one architecture, cnn" in text["architectures"]
    assert "one member" in text["ensemble"]
    assert "no choice to make" in text["selection"]


def test_a_chosen_mlp_is_not_worded_as_a_missing_one(tmp_path: Path) -> None:
    runs, _ = synthetic_study(tmp_path, augment_errors=10)
    facts = _compute(runs, {"architecture": "mlp", "regularisation": "none", "seed": 1})
    assert facts["architectures"]["mlp"] is None and facts["architectures"]["mlp_chosen"]
    text = findings.word(facts)
    assert text["convolution"].startswith("The MLP baseline was itself the best on validation")
    flat = " ".join(str(v) for v in pd.json_normalize(text).iloc[0]).lower()
    assert "no mlp baseline" not in flat and "the mlp was the best on validation" in flat
    cnn_only = runs[runs.architecture == "cnn"]
    facts = _compute(cnn_only, {"architecture": "cnn", "regularisation": "augment", "seed": 1})
    assert not facts["architectures"]["mlp_chosen"]
    assert findings.word(facts)["convolution"].startswith("The study has no MLP baseline")


def test_french_spacing_puts_narrow_spaces_where_french_typography_wants_them() -> None:
    nnbsp = "\u202f"
    assert language.french_spacing("Résultat : 99,47 % ; « bien » ! Sûr ?") == (
        f"Résultat{nnbsp}: 99,47{nnbsp}%{nnbsp}; «{nnbsp}bien{nnbsp}»{nnbsp}! Sûr{nnbsp}?")
    # A colon inside a time or an address is no punctuation mark of the sentence.
    assert language.french_spacing("à 12:30, https://example.org") == "à 12:30, https://example.org"
    assert language.french_spacing("fin:") == f"fin{nnbsp}:"
    assert language.french_spacing("Validation (%)") == "Validation (%)"


def test_display_names_name_keys_and_pairs_and_leave_unknown_keys_as_they_are() -> None:
    french = Language("fr", {}, {"architectures": {"lenet5": "LeNet-5"},
                                 "regularisations": {"augment": "augmentation de données"}}, {})
    assert french.name("lenet5 + augment") == "LeNet-5 + augmentation de données"
    assert french.name("augment") == "augmentation de données"
    assert french.name("my_variant") == "my_variant"
    assert Language("en", {}, {}, {}).name("lenet5 + none") == "lenet5 + none"
