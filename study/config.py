"""The study's configuration, checked before any job runs with one line per mistake.

`check_config` is the one check of a config: the schema's (study.schema) and then what JSON
Schema cannot say. The Snakefile runs it on the config; the engine checks a run's settings
with the same schema and the same one-line messages (study.training.engine.TrainSettings).
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from study.errors import ConfigError
from study.io import write_text
from study.reporting.language import Language
from study.schema import check, fill_defaults, schema
from study.variants import check_variants

MNIST_TRAIN_IMAGES = 60000  # the official training set, before the validation split


def check_config(config: dict[str, Any]) -> None:
    """Check `config` and fill in the schema's defaults, in place; raise ConfigError naming
    the first mistake in one line.

    The schema checks every key, type and range, the settings of each variant and each
    architecture as those of `training`; then come the rules that span keys: the variants
    the study trains are declared, a searched setting has a range, a width is given only to
    an architecture that has one, the ensemble has enough runs to choose from.
    """
    check(config)
    fill_defaults(config)
    check_variants(config)
    check_widths(config)
    check_ensemble(config)
    check_sizes(config)


def check_widths(config: dict[str, Any]) -> None:
    """Refuse a `width` for an architecture of a fixed size (its factory takes none)."""
    given = [name for name, entry in config["models"].items() if "width" in entry]
    if not given:
        return
    from study.models.registry import width  # imports PyTorch: only when a width is given

    for name in given:
        if width(name, {}) is None:
            raise ConfigError(f"models.{name}.width: {name} has a fixed size, without a "
                              "width; remove it.")


def check_ensemble(config: dict[str, Any]) -> None:
    """Refuse an ensemble larger than the study's runs (one per architecture, variant and
    seed): its members are chosen among them."""
    counts = [len(config[key]) for key in ("architectures", "regularisations", "seeds")]
    runs = counts[0] * counts[1] * counts[2]
    size = config["ensemble"]["size"]
    if size > runs:
        raise ConfigError(f"ensemble.size: {size} is larger than the number of runs, {runs} "
                          "(architectures x regularisations x seeds = "
                          f"{counts[0]} x {counts[1]} x {counts[2]}); give at most {runs}.")


def check_sizes(config: dict[str, Any]) -> None:
    """Fill in the size axis' architectures (null: every one); refuse one the main grid does
    not train (its full-size runs are the axis' largest size), and a smaller size that is
    not smaller than the training split."""
    sizes = config["sizes"]
    if sizes["architectures"] is None:
        sizes["architectures"] = list(config["architectures"])
    missing = [a for a in sizes["architectures"] if a not in config["architectures"]]
    if missing:
        raise ConfigError(f"sizes.architectures: {', '.join(missing)} not in `architectures`; "
                          "the axis' largest size is the main grid's runs, so add it there or "
                          "remove it here.")
    data = config["data"]
    split = min(data["subset"] or MNIST_TRAIN_IMAGES, MNIST_TRAIN_IMAGES) - data["n_val"]
    too_large = [n for n in sizes["train_images"] if n >= split]
    if too_large:
        raise ConfigError(f"sizes.train_images: {too_large[0]} is not smaller than the "
                          f"training split ({split:,} images); give smaller sizes.")


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


def write_effective_config(config: dict[str, Any], command: str, out: Path, table: Path,
                           translations: Mapping[str, Path] | None = None) -> None:
    """results/config.yaml, and its markdown with the command for the report's appendix: in
    English to `table`, in each other language of `translations` (code: path) to its path."""
    write_text(out, dump_config(config))
    write_text(table, effective_config_markdown(config, command))
    for code, path in (translations or {}).items():
        write_text(path, effective_config_markdown(config, command, Language.load(code)))


_COMMAND = "\ue000"  # where the command goes, after the language's typography (code is kept)


def effective_config_markdown(config: dict[str, Any], command: str,
                              lang: Language | None = None) -> str:
    """The command and the whole configuration it ran with, as the report prints them, in
    `lang` (English when not given)."""
    lang = lang or Language.load("en")
    intro = lang.label("config.ran_with", command=_COMMAND).replace(_COMMAND, command)
    return f"{intro}\n\n```yaml\n{dump_config(config)}```\n"


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
