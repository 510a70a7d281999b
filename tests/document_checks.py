"""What a rendered report and deck must satisfy, shared by the rendering tests (fake results)
and the end-to-end test (the smoke study)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pypdf import PdfReader

# Every section of the report, in order, as the assignment's steps ask for them (the
# contents list these), then sections only in the text; per edition.
REPORT_SECTIONS = {
    "en": [
        "Introduction and goal", "Data", "Preprocessing", "Architectures", "Training protocol",
        "Results", "Regularisation and augmentation",
        "Architecture comparison", "What the visualisations show", "Error analysis",
        "Conclusions", "Limitations and threats to validity", "References", "Reproducibility",
    ],
    # The French report follows the assignment's seven steps under its own headings.
    "fr": [
        "Introduction et objectif", "Prise en main du jeu de données MNIST",
        "Prétraitement des données", "Construction des modèles CNN",
        "Entraînement des modèles", "Évaluation des modèles",
        "Améliorations et expérimentations", "Présentation des résultats", "Références",
        "Reproductibilité",
    ],
}
TEXT_SECTIONS = {
    "en": ["Hyper-parameter search"],
    "fr": ["Recherche des hyperparamètres", "Analyse des erreurs",
           "Régularisation et augmentation de données", "Comparaison des architectures",
           "Conclusions", "Limites et menaces pour la validité"],
}
# The words the document's language gives its title page, contents and appendix.
DOCUMENT_WORDS = {"en": ("Abstract", "Contents", "Appendix A"),
                  "fr": ("Résumé", "Table des matières", "Annexe A")}
# Left behind by a shortcode, cross-reference or citation that did not resolve.
UNRESOLVED = ["??", "@fig-", "@tbl-", "@sec-", "{{<", ">}}", "(key?)"]
NUMBER = re.compile(r"\d+(?:[.,]\d+)*%?")


def pdf_pages(pdf: Path) -> list[str]:
    return [re.sub(r"\s+", " ", page.extract_text()) for page in PdfReader(pdf).pages]


def check_report(pdf: Path, language: str = "en") -> list[str]:
    """The report's structure: title page with abstract, contents, every section in order,
    nothing unresolved, citations formatted. Returns the pages' text."""
    pages = pdf_pages(pdf)
    text = " ".join(pages)
    abstract, contents_title, appendix = DOCUMENT_WORDS[language]
    assert abstract in pages[0], "the abstract is not on the title page"
    assert contents_title in pages[1], "no table of contents on page 2"
    contents = pages[1]
    sections = REPORT_SECTIONS[language]
    positions = [contents.find(title) for title in sections]
    missing = [t for t, p in zip(sections, positions, strict=True) if p < 0]
    assert not missing, f"sections missing from the contents: {missing}"
    assert positions == sorted(positions), "sections out of order in the contents"
    body = " ".join(pages[2:])
    for title in [*sections, *TEXT_SECTIONS[language]]:
        assert title in body, f"section {title!r} missing from the text"
    for mark in UNRESOLVED:
        assert mark not in text, f"unresolved {mark!r} in the PDF"
    assert appendix in text or f"A {sections[-1]}" in contents
    return pages


def abstract_of(pages: list[str], language: str = "en") -> str:
    first, title = pages[0], DOCUMENT_WORDS[language][0]
    return first[first.index(title) + len(title):]


def numbers_in(text: str) -> set[str]:
    return {n.rstrip(".,") for n in NUMBER.findall(text)}


def variable_numbers(variables: dict[str, Any]) -> set[str]:
    """Every number that appears in a value of the variables (recursively)."""
    found: set[str] = set()
    for value in variables.values():
        if isinstance(value, dict):
            found |= variable_numbers(value)
        else:
            found |= numbers_in(str(value))
    return found


def squeezed(text: str) -> str:
    """Text compared across typesetting: no spaces or hyphens (lines break and hyphenate
    anywhere), typographic apostrophes and quotes made plain."""
    text = text.replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"[\s\-\u00ad\u2010\u2011]", "", text)


def check_deck_html(html_text: str, main_slides: int) -> None:
    assert re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html_text, re.I) is None
    assert "data:image/png;base64" in html_text  # figures embedded: one self-contained file
    for mark in ("{{&lt;", "{{<", "@fig-", "??"):
        assert mark not in html_text, mark
    notes = re.findall(r'<aside class="notes">(.*?)</aside>', html_text, re.DOTALL)
    assert len(notes) >= main_slides, f"{len(notes)} speaker notes for {main_slides} slides"
    assert all(re.sub(r"<[^>]+>|\s", "", n) for n in notes), "an empty speaker note"
