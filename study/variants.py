"""Regularisation variants: named sets of training settings, declared in the config.

A variant lists only the `training` settings it changes; a run's settings are the base ones
with the variant's applied. A new variant is therefore a config entry, not code. Checked
before any job runs, with the schema of `training` itself, so a misspelt key or a value of
the wrong type is refused with the variant's name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import yaml

from study.errors import ConfigError

SCHEMA = Path(__file__).resolve().parent.parent / "workflow" / "schemas" / "config.schema.yaml"


def run_settings(config: dict[str, Any], variant: str) -> dict[str, Any]:
    """The training settings of one variant: the base ones, changed by the variant's."""
    return {**config["training"], **config["variants"][variant]}


def check_variants(config: dict[str, Any], schema: Path = SCHEMA) -> None:
    """Raise ConfigError unless every variant in `regularisations` is declared in `variants`
    and gives valid training settings."""
    declared = config["variants"]
    unknown = [name for name in config["regularisations"] if name not in declared]
    if unknown:
        raise ConfigError(f"regularisations: {', '.join(map(repr, unknown))} not declared in "
                          f"`variants` (declared: {', '.join(declared)}); add an entry there "
                          "or fix the name.")
    training = yaml.safe_load(Path(schema).read_text())["properties"]["training"]
    validator = jsonschema.Draft202012Validator(training)
    for name in config["regularisations"]:
        for error in validator.iter_errors(run_settings(config, name)):
            where = ".".join(str(p) for p in error.absolute_path)
            raise ConfigError(f"variants.{name}{'.' + where if where else ''}: "
                              f"{error.message}; fix this variant in the config.")


def changes(config: dict[str, Any], variant: str) -> str:
    """The variant's settings in a few words, e.g. 'dropout = 0.3, augment = true'."""
    settings = config["variants"][variant]
    if not settings:
        return "nothing: the base settings"
    return ", ".join(f"{key} = {str(value).lower() if isinstance(value, bool) else value}"
                     for key, value in settings.items())
