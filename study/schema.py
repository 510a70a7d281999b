"""The schema of the study's configuration, read as package data, and the one check of a
config or of training settings against it.

study/schemas/config.schema.yaml describes every key of a config: its type, its range, its
default and what it means. It ships inside the package, so the study finds it wherever the
package lies (a checkout, an installed wheel). Snakemake's own validation reports a mistake as
a page of schema dump; `check` says in one line where the mistake is (`training.max_epoch`),
what is wrong and what to do.
"""

from __future__ import annotations

import copy
import functools
import json
import sys
from importlib import resources
from typing import Any

import yaml

# jsonschema checks IRIs with rfc3987_syntax when it is installed (Jupyter brings it), and
# that module builds 38 grammars on import: 1.2 s of every job's start on a 2-core CPU.
# The schema uses no IRI format, so the module is hidden from jsonschema, never from a
# process that had already imported it.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
import jsonschema  # noqa: E402

from study.errors import ConfigError  # noqa: E402

SCHEMA_FILE = "schemas/config.schema.yaml"
# A setting the hyper-parameter search chooses, per architecture (`lr: searched`).
SEARCHED = "searched"


@functools.cache
def schema() -> dict[str, Any]:
    """The schema as a mapping, read once (shared: never change it)."""
    text = resources.files("study").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    return yaml.safe_load(text)


def training_schema() -> dict[str, Any]:
    """The schema of the `training` block: every training setting (shared: never change it)."""
    return schema()["properties"]["training"]


@functools.cache
def _validator(part: str) -> jsonschema.Draft202012Validator:
    spec = schema() if part == "" else schema()["properties"][part]
    return jsonschema.Draft202012Validator(spec)


def check(instance: Any, part: str = "") -> None:
    """Raise ConfigError naming the first mistake of `instance` against the schema, or
    against its top-level block `part` (`training`: a run's settings), in one line."""
    error = jsonschema.exceptions.best_match(_validator(part).iter_errors(instance))
    if error is not None:
        raise ConfigError(describe(error, part))


def describe(error: jsonschema.ValidationError, part: str = "") -> str:
    """One line: where the mistake is, what is wrong, what to do."""
    path = [part] if part else []
    where = ".".join(str(p) for p in [*path, *error.absolute_path]) or "the top level"
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unexpected = sorted(set(error.instance) - set(allowed))
        return (f"{where}: unknown key {', '.join(map(repr, unexpected))} (known: "
                f"{', '.join(allowed)}); fix its spelling or remove it.")
    message = error.message
    if error.validator == "anyOf":  # jsonschema says only "not valid under any of ..."
        accepted = ", ".join(_accepted(alternative) for alternative in error.validator_value)
        message = f"{error.instance!r} is not one of: {accepted}"
    return (f"{where}: {message}; fix this value in the config (study/{SCHEMA_FILE} "
            "describes every key).")


BOUNDS = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<"}
KINDS = {"boolean": "true, false", "integer": "an integer", "number": "a number",
         "string": "a string", "null": "null"}


def _accepted(alternative: dict[str, Any]) -> str:
    """What one alternative of an anyOf accepts, in a few words: `a number > 0`, `'auto'`."""
    if "const" in alternative:
        return repr(alternative["const"])
    bounds = [f"{sign} {alternative[key]}" for key, sign in BOUNDS.items() if key in alternative]
    return " ".join([KINDS.get(alternative.get("type", ""), json.dumps(alternative)), *bounds])


def fill_defaults(config: dict[str, Any], spec: dict[str, Any] | None = None) -> None:
    """Give every key the schema names (under `properties`, at any depth) and `config`
    leaves out its default, in the schema's order. The entries of a mapping of named things
    (`variants`, `models`) are left as given: they change only the settings they name."""
    spec = schema() if spec is None else spec
    for key, child in spec.get("properties", {}).items():
        if key not in config and "default" in child:
            config[key] = copy.deepcopy(child["default"])
        if isinstance(config.get(key), dict):
            fill_defaults(config[key], child)
