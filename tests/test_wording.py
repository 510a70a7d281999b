"""The wording files: every language has the same keys, every template renders in every
language whatever the study found, and each language writes its own numbers."""

from __future__ import annotations

import copy
import re
import string
from pathlib import Path

import pytest
from conftest import effects_of, predictions_of, synthetic_study

from study.models.registry import list_models
from study.reporting import findings
from study.reporting.language import NNBSP, Language, languages, load_wording
from study.reporting.wording import word

ENSEMBLE = {"members": [{"architecture": "cnn", "regularisation": "augment"}] * 3,
            "test_accuracy": 0.999, "test_errors": 2}
CALIBRATIONS = [{"temperature": 0.98, "ece_before": 0.00146, "ece_after": 0.00150},
                {"temperature": 1.6, "ece_before": 0.012, "ece_after": 0.004},
                {"temperature": 0.6, "ece_before": 0.004, "ece_after": 0.012}]


def _keys(node: dict, prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for key, value in node.items():
        keys |= _keys(value, f"{prefix}{key}.") if isinstance(value, dict) else {prefix + key}
    return keys


def test_every_language_has_the_keys_of_the_english_wording() -> None:
    english = load_wording("en")
    assert "fr" in languages()
    for code in languages():
        wording = load_wording(code)
        assert _keys(wording["text"]) == _keys(english["text"]), code
        # English describes the architectures in the registry's words; another language
        # describes every one of them in its own.
        designs = wording["labels"].pop("designs")
        assert _keys(wording["labels"]) == _keys(english["labels"]) - {"designs"}, code
        if code != "en":
            assert set(designs) == set(list_models()), code
        assert set(wording["number"]) >= {"decimal", "thousands", "minus", "percent"}


def _fields(node: dict, prefix: str = "") -> dict[str, set[str]]:
    """The {fields} of every label under `node`, by dotted key."""
    fields: dict[str, set[str]] = {}
    for key, value in node.items():
        if isinstance(value, dict):
            fields |= _fields(value, f"{prefix}{key}.")
        else:
            fields[prefix + key] = {name for _, name, _, _ in string.Formatter().parse(value)
                                    if name is not None}
    return fields


def test_the_figures_labels_have_the_same_fields_in_every_language() -> None:
    """A figure fills the same {fields} whatever its language."""
    english = _fields(load_wording("en")["labels"]["figures"])
    assert english["best.run"] == {"run", "seed"}
    for code in languages():
        assert _fields(load_wording(code)["labels"]["figures"]) == english, code


def _studies(tmp_path: Path) -> list[dict]:
    """Facts of studies that take every branch of the templates: a gain and none, the best
    variant confirmed or not, calibration improved, worsened or unchanged, one seed."""
    import pandas as pd

    facts = []
    for i, (errors, calibration, seeds) in enumerate([(5, CALIBRATIONS[0], (0, 1)),
                                                      (39, CALIBRATIONS[1], (0, 1)),
                                                      (60, CALIBRATIONS[2], (0,))]):
        runs, best = synthetic_study(tmp_path / str(i), augment_errors=errors, seeds=seeds)
        curves = pd.DataFrame({"variant": ["none", "augment"] * 2,
                               "epsilon": [0, 0, 0.1, 0.1], "accuracy": [0.99, 0.99, 0.6, 0.4]})
        facts.append(findings.compute(runs, best, ENSEMBLE, calibration, curves,
                                      ["none", "augment"], predictions_of(runs),
                                      effects_of(runs)))
    lone = copy.deepcopy(facts[0])
    lone["ensemble"]["size"], lone["robustness"] = 1, None
    return [*facts, lone]


@pytest.mark.parametrize("code", ["en", "fr"])
def test_every_template_renders_whatever_the_study_found(tmp_path: Path, code: str) -> None:
    for facts in _studies(tmp_path):
        text = word(facts, code)
        sentences = [v for section in text.values()
                     for v in (section.values() if isinstance(section, dict) else [section])]
        assert all(sentence.strip() for sentence in sentences)


def test_french_sentences_write_french_numbers_and_no_english(tmp_path: Path) -> None:
    facts = _studies(tmp_path)[0]
    french = " ".join(_flat(word(facts, "fr")))
    assert not re.search(r"\d\.\d", french)  # a decimal comma, never a point
    assert re.search(r"\d,\d", french) and f"{NNBSP}%" in french
    assert "50 000" not in french and f"50{NNBSP}000" in french  # thousands: a narrow space
    english_words = {"the", "and", "of", "with", "is", "are", "which", "than"}
    assert not english_words & set(re.findall(r"\w+", french))
    english = " ".join(_flat(word(facts, "en")))
    assert not {"le", "les", "des", "avec", "est", "sur"} & set(re.findall(r"\w+", english))


def _flat(text: dict) -> list[str]:
    return [s for v in text.values() for s in (_flat(v) if isinstance(v, dict) else [v])]


def test_a_language_writes_its_numbers() -> None:
    english, french = Language.load("en"), Language.load("fr")
    assert (english.pct(0.99473), french.pct(0.99473)) == ("99.47%", f"99,47{NNBSP}%")
    assert (english.integer(10000), french.integer(10000)) == ("10,000", f"10{NNBSP}000")
    assert (english.fixed(-0.5, sign=True), french.fixed(-0.5, sign=True)) == ("-0.50",
                                                                             "−0,50")
    assert (english.p_value(1e-6), french.p_value(1e-6)) == ("< 0.0001", "< 0,0001")
    assert french.listing(["a", "b", "c"]) == "a, b et c"
    assert french.count(2, "graine") == "2 graines"
    assert french.name("deotte_cnn + weight_decay") != "deotte_cnn + weight_decay"
