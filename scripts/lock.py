"""The locked environment: read requirements.lock, and pin environment.yml to the same versions.

`make lock` runs uv to write requirements.lock from pyproject.toml (exact versions and
hashes, for every platform and supported Python), then this script to copy those versions
into environment.yml, so that the pip route and the conda route install the same packages.

    python scripts/lock.py            # rewrite environment.yml's pins from requirements.lock
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from packaging.markers import Marker
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parent.parent
LOCK = REPO / "requirements.lock"
ENVIRONMENT = REPO / "environment.yml"
CONDA_PYTHON = "3.11"  # the interpreter environment.yml pins: the lock's versions for it
# PyPI name -> conda-forge name, where they differ.
CONDA_NAMES = {"torch": "pytorch", "opentsne": "opentsne"}
# Lines of the lock: `name==version` with an optional `; marker`, then its hashes.
ENTRY = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


def _environment(python: str) -> dict[str, str]:
    return {"python_version": python, "python_full_version": f"{python}.0",
            "sys_platform": "linux", "platform_system": "Linux", "os_name": "posix",
            "platform_machine": "x86_64", "implementation_name": "cpython",
            "platform_python_implementation": "CPython", "extra": ""}


def locked_versions(lock: Path = LOCK, python: str = CONDA_PYTHON) -> dict[str, str]:
    """{canonical name: version} of the lock for Linux x86-64 and `python`."""
    versions = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = ENTRY.match(line)
        if not match:
            continue
        name, version, marker = match.groups()
        if marker is None or Marker(marker).evaluate(_environment(python)):
            versions[canonicalize_name(name)] = version
    return versions


def direct_requirements(lock: Path = LOCK) -> set[str]:
    """Packages the lock holds because pyproject.toml asks for them (uv's `# via` lines)."""
    direct, current = set(), None
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = ENTRY.match(line)
        if match:
            current = canonicalize_name(match.group(1))
        elif current and re.search(r"#\s+(via\s+)?mnist-cnn-study\b", line):
            direct.add(current)
    return direct


def conda_name(pypi: str) -> str:
    return CONDA_NAMES.get(pypi, pypi)


def pin_environment(text: str, versions: dict[str, str]) -> str:
    """environment.yml with every package that the lock holds pinned to its version (`==`);
    conda-only tools (quarto, nodejs, pip) keep their ranges, python gets CONDA_PYTHON."""
    by_conda = {conda_name(name): version for name, version in versions.items()}
    out = []
    for line in text.splitlines():
        match = re.match(r"^(\s*- )([A-Za-z0-9_.\-]+)\s*(?:[<>=!~]=?.*)?$", line)
        if match:
            name = canonicalize_name(match.group(2))
            if name == "python":
                line = f"{match.group(1)}python={CONDA_PYTHON}"
            elif name in by_conda:
                line = f"{match.group(1)}{match.group(2)}=={by_conda[name]}"
        out.append(line)
    return "\n".join(out) + "\n"


def main() -> None:
    versions = locked_versions()
    ENVIRONMENT.write_text(pin_environment(ENVIRONMENT.read_text(encoding="utf-8"), versions),
                           encoding="utf-8")
    print(f"environment.yml pinned to {LOCK.name} ({len(versions)} packages for Python "
          f"{CONDA_PYTHON})", file=sys.stderr)


if __name__ == "__main__":
    main()
