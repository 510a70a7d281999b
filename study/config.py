"""The study's configuration checked against its schema, with one line per mistake.

Snakemake's own `validate` fills in the defaults but reports a mistake as a page of schema
dump; this says where the mistake is (`training.max_epoch`), what is wrong and what to do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import yaml

from study.errors import ConfigError
from study.variants import SCHEMA


def check_config(config: dict[str, Any], schema: Path = SCHEMA) -> None:
    """Raise ConfigError naming the first mistake of `config` against the schema."""
    spec = yaml.safe_load(Path(schema).read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(spec)
    error = jsonschema.exceptions.best_match(validator.iter_errors(config))
    if error is None:
        return
    where = ".".join(str(p) for p in error.absolute_path) or "the top level"
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unexpected = sorted(set(error.instance) - set(allowed))
        raise ConfigError(f"{where}: unknown key {', '.join(map(repr, unexpected))} (known: "
                          f"{', '.join(allowed)}); fix its spelling or remove it.")
    raise ConfigError(f"{where}: {error.message}; fix this value in the config "
                      "(workflow/schemas/config.schema.yaml describes every key).")
