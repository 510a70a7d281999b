"""The study's configuration checked against its schema, with one line per mistake.

Snakemake's own `validate` fills in the defaults but reports a mistake as a page of schema
dump; this says where the mistake is (`training.max_epoch`), what is wrong and what to do.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from study.errors import ConfigError
from study.io import write_text
from study.schema import schema


def check_config(config: dict[str, Any]) -> None:
    """Raise ConfigError naming the first mistake of `config` against the schema."""
    validator = jsonschema.Draft202012Validator(schema())
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
                      "(study/schemas/config.schema.yaml describes every key).")


def typed_overrides(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """`--config KEY=VALUE` values read as YAML. Snakemake reads a list or a mapping given
    there with YAML's base loader, which leaves every value inside it a string
    (`seeds='[0, 1]'` gives ['0', '1']); read again, they take the types a config file
    would give them."""
    def typed(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {key: typed(item) for key, item in value.items()}
        if isinstance(value, list):
            return [typed(item) for item in value]
        if isinstance(value, str) and value:
            try:
                return yaml.safe_load(value)
            except yaml.YAMLError:
                return value
        return value

    return {key: typed(value) for key, value in overrides.items()}


def command_line(configfiles: list[Path], overrides: Mapping[str, Any],
                 workdir: Path) -> str:
    """The Snakemake command that runs this study again: its config files (relative to the
    working directory when inside it) and its `--config` overrides."""
    words = ["snakemake", "--cores", "all"]
    for path in configfiles:
        path = Path(path)
        if path.is_absolute() and path.is_relative_to(workdir):
            path = path.relative_to(workdir)
        words += ["--configfile", shlex.quote(str(path))]
    if overrides:
        words.append("--config")
        for key, value in overrides.items():
            flow = yaml.safe_dump(value, default_flow_style=True, width=1000)
            flow = flow.removesuffix("...\n").strip()  # the end mark of a lone scalar
            words.append(f"{key}={shlex.quote(flow)}")
    return " ".join(words)


def write_effective_config(config: dict[str, Any], command: str, out: Path,
                           table: Path) -> None:
    """results/config.yaml, and its markdown with the command for the report's appendix."""
    write_text(out, dump_config(config))
    write_text(table, effective_config_markdown(config, command))


def effective_config_markdown(config: dict[str, Any], command: str) -> str:
    """The command and the whole configuration it ran with, as the report prints them."""
    return (f"The study ran with `{command}`, from this configuration: the config file "
            "with the schema's defaults filled in (`results/config.yaml`).\n\n"
            f"```yaml\n{dump_config(config)}```\n")


def dump_config(config: dict[str, Any]) -> str:
    """The config as YAML in the order of the schema, each list on one line."""
    return yaml.dump(in_schema_order(config, schema()), Dumper=_ListsInline, sort_keys=False,
                     width=92, allow_unicode=True)


class _ListsInline(yaml.SafeDumper):
    """Mappings as blocks, lists in brackets: the config reads as the shipped files do."""


_ListsInline.add_representer(
    list, lambda dumper, data: dumper.represent_sequence("tag:yaml.org,2002:seq", data,
                                                         flow_style=True))


def in_schema_order(value: Any, spec: dict[str, Any]) -> Any:
    """`value` with the keys of every mapping in the order its schema lists them (keys the
    schema does not name, such as the variants' names, keep theirs, after them)."""
    if not isinstance(value, dict):
        return value
    known = list(spec.get("properties", {}))
    order = [k for k in known if k in value] + [k for k in value if k not in known]
    return {key: in_schema_order(value[key], spec.get("properties", {}).get(key, {}))
            for key in order}
