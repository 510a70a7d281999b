"""The editions of the documents: for each language, the sources of its report and deck and
where its results and documents are written. English keeps the study's first layout
(results/report/, results/slides/); every other language lives under results/<code>/."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Edition:
    """One language's report and deck: their sources and outputs, and its results folder
    (its tables/, figures/, variables.yml and findings.yml)."""

    language: str
    report_source: str
    slides_source: str
    results: str
    report: str
    slides: str


EDITIONS = {
    "en": Edition("en", "report/report.qmd", "slides/slides.qmd", "results",
                  "results/report/report.pdf", "results/slides/slides.html"),
    "fr": Edition("fr", "rapport/rapport.qmd", "soutenance/soutenance.qmd", "results/fr",
                  "results/fr/rapport.pdf", "results/fr/soutenance.html"),
}


def translated_path(path: str, language: str) -> str:
    """Where the edition of `language` keeps what English keeps at `path` (results/...)."""
    if language == "en":
        return path
    if not path.startswith("results/"):
        raise ValueError(f"{path} is not under results/")
    return f"results/{language}/" + path.removeprefix("results/")
