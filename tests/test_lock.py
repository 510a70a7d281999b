"""The locked environment agrees with pyproject.toml, and environment.yml with the lock."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import tomllib
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("lock", REPO / "scripts" / "lock.py")
lock = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lock)


def _requirements() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return [Requirement(r) for r in
            project["dependencies"] + project["optional-dependencies"]["test"]]


def test_every_requirement_is_locked_at_a_version_it_allows() -> None:
    for python in ("3.11", "3.12", "3.13"):
        versions = lock.locked_versions(python=python)
        for requirement in _requirements():
            name = canonicalize_name(requirement.name)
            assert name in versions, f"{name} is not in requirements.lock: run `make lock`"
            assert requirement.specifier.contains(versions[name], prereleases=True), (
                f"requirements.lock has {name}=={versions[name]}, pyproject.toml asks "
                f"{requirement}: run `make lock`")


def test_the_lock_holds_nothing_pyproject_does_not_ask_for_directly() -> None:
    asked = {canonicalize_name(r.name) for r in _requirements()}
    assert lock.direct_requirements() == asked, "run `make lock`"


def test_every_lock_entry_has_hashes() -> None:
    text = (REPO / "requirements.lock").read_text()
    entries = [line for line in text.splitlines() if lock.ENTRY.match(line)]
    assert len(entries) > 50
    assert text.count("--hash=sha256:") >= len(entries)
    assert all(line.rstrip().endswith("\\") for line in entries)  # each followed by hashes


def test_environment_yml_pins_the_locked_versions() -> None:
    versions = {lock.conda_name(n): v for n, v in lock.locked_versions().items()}
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    entries = [d for d in env["dependencies"] if isinstance(d, str)]
    entries += [d for extra in env["dependencies"] if isinstance(extra, dict)
                for d in extra.get("pip", [])]
    pinned = {}
    for entry in entries:
        if "==" in entry:
            name, version = entry.split("==")
            pinned[canonicalize_name(name)] = version
    asked = {lock.conda_name(canonicalize_name(r.name)) for r in _requirements()}
    assert set(pinned) == asked, "environment.yml and pyproject.toml list other packages"
    for name, version in pinned.items():
        assert versions[name] == version, f"environment.yml pins {name}=={version}, the " \
            f"lock {versions[name]}: run `make lock`"
    assert f"python={lock.CONDA_PYTHON}" in entries


def test_pinning_rewrites_versions_and_keeps_conda_only_tools() -> None:
    text = "dependencies:\n  - python>=3.10\n  - pytorch>=2.4\n  - quarto>=1.5\n"
    pinned = lock.pin_environment(text, {"torch": "2.14.1"})
    assert pinned == "dependencies:\n  - python=3.11\n  - pytorch==2.14.1\n  - quarto>=1.5\n"
