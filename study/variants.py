"""Regularisation variants: named sets of training settings, declared in the config.

A variant lists only the `training` settings it changes; a run's settings are the base ones
with the variant's applied. A new variant is therefore a config entry, not code. Checked
before any job runs, with the schema of `training` itself, so a misspelt key or a value of
the wrong type is refused with the variant's name.

A setting may be given as `searched` (the base `lr`, the `weight_decay` of the variants that
use it): the hyper-parameter search of each architecture then chooses it on validation, in
the range `search.space` gives, and every run of that architecture takes the chosen value.
"""

from __future__ import annotations

import math
from typing import Any

from study.errors import ConfigError
from study.schema import SEARCHED


def run_settings(config: dict[str, Any], variant: str,
                 chosen: dict[str, float] | None = None,
                 architecture: str | None = None) -> dict[str, Any]:
    """The training settings of one variant: the base ones, changed by the architecture's
    (`models.<architecture>.training`), then by the variant's; with `chosen` (the search's
    values), every `searched` setting replaced by its chosen value."""
    settings = {**config["training"], **architecture_settings(config, architecture),
                **config["variants"][variant]}
    return settings if chosen is None else resolve(settings, chosen)


def size_settings(config: dict[str, Any], variant: str, architecture: str,
                  size: int) -> dict[str, Any]:
    """The settings of a run on a smaller training set of `size` images: the full-size
    run's, trained long enough to over-fit a small set (epochs = sizes.images_seen / size,
    at least the full-size run's, at most sizes.max_epochs), patience scaled alike, and
    validated `sizes.validations` times rather than after every short epoch."""
    settings = run_settings(config, variant, architecture=architecture)
    axis = config["sizes"]
    epochs = min(axis["max_epochs"],
                 max(settings["max_epochs"], math.ceil(axis["images_seen"] / size)))
    patience = min(epochs, math.ceil(settings["patience"] * epochs / settings["max_epochs"]))
    return {**settings, "max_epochs": epochs, "patience": patience,
            "val_every": max(1, epochs // axis["validations"])}


def architecture_settings(config: dict[str, Any], architecture: str | None) -> dict[str, Any]:
    """The training settings `models.<architecture>.training` changes (none by default)."""
    if architecture is None:
        return {}
    return config.get("models", {}).get(architecture, {}).get("training", {})


def architecture_options(config: dict[str, Any], architecture: str) -> dict[str, Any]:
    """The architecture's constructor options (its `width`), without its training settings."""
    entry = config.get("models", {}).get(architecture, {})
    return {k: v for k, v in entry.items() if k != "training"}


def resolve(settings: dict[str, Any], chosen: dict[str, float] | None) -> dict[str, Any]:
    """`settings` with every `searched` value replaced by the search's choice."""
    missing = [k for k, v in settings.items() if v == SEARCHED and k not in (chosen or {})]
    if missing:
        raise ConfigError(f"{', '.join(missing)} set to '{SEARCHED}' but no search result "
                          "gives a value for it (pass the search's chosen.json)")
    return {k: chosen[k] if v == SEARCHED and chosen else v for k, v in settings.items()}


def searched_settings(config: dict[str, Any]) -> list[str]:
    """The settings the search chooses: those set to `searched` in the base settings or in
    a variant the study trains, in the order of `search.space`."""
    used = [config["training"], *(config["variants"][r] for r in config["regularisations"]),
            *(architecture_settings(config, a) for a in config.get("architectures", []))]
    keys = {k for settings in used for k, v in settings.items() if v == SEARCHED}
    space = list(config.get("search", {}).get("space", {}))
    return [k for k in space if k in keys] + sorted(keys - set(space))


def trial_settings(config: dict[str, Any], architecture: str | None = None) -> dict[str, Any]:
    """The settings of a search trial: the base ones, changed by the architecture's (no
    regularisation), with every searched setting left `searched`, for the trial to draw;
    short runs of the search's length, no early stopping."""
    search = config["search"]
    return {**config["training"], **architecture_settings(config, architecture),
            **dict.fromkeys(searched_settings(config), SEARCHED),
            "max_epochs": search["max_epochs"], "patience": search["max_epochs"]}


def check_variants(config: dict[str, Any]) -> None:
    """Raise ConfigError unless every variant in `regularisations` is declared in `variants`
    and every `searched` setting has a search range. (The schema itself checks the settings
    of every variant and architecture as those of `training`.)"""
    declared = config["variants"]
    unknown = [name for name in config["regularisations"] if name not in declared]
    if unknown:
        raise ConfigError(f"regularisations: {', '.join(map(repr, unknown))} not declared in "
                          f"`variants` (declared: {', '.join(declared)}); add an entry there "
                          "or fix the name.")
    space = config.get("search", {}).get("space", {})
    for key, bounds in space.items():
        if not 0 < bounds[0] < bounds[1]:
            raise ConfigError(f"search.space.{key}: {bounds} must be [low, high] with "
                              "0 < low < high (searched on a log scale)")
    unranged = [k for k in searched_settings(config) if k not in space]
    if unranged:
        raise ConfigError(f"{', '.join(unranged)} set to '{SEARCHED}' but search.space gives "
                          "no range for it; add one or give the setting a value.")
