"""The package's own files (wording, document assets, reference data), found through
`importlib.resources`, so that the package works wherever it is installed."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def asset(*parts: str) -> Path:
    """A file or folder under study/assets, as a path: pandoc and Typst are given these
    paths, and the package is installed as plain files (never zipped)."""
    return Path(str(files("study").joinpath("assets", *parts)))
