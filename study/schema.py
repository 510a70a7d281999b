"""The schema of the study's configuration, read as package data.

study/schemas/config.schema.yaml describes every key of a config: its type, its range, its
default and what it means. It ships inside the package, so the study finds it wherever the
package lies (a checkout, an installed wheel).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

SCHEMA_FILE = "schemas/config.schema.yaml"


@functools.cache
def schema() -> dict[str, Any]:
    """The schema as a mapping, read once (shared: never change it)."""
    text = resources.files("study").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    return yaml.safe_load(text)


@contextmanager
def schema_path() -> Iterator[Path]:
    """A file system path of the schema, for tools that read it themselves."""
    with resources.as_file(resources.files("study").joinpath(SCHEMA_FILE)) as path:
        yield path
