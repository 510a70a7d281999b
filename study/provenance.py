"""Where a result comes from: the code version and the machine that computed it."""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path

import torch


def code_version() -> str:
    """The git commit of the code that ran, or the package version outside a checkout."""
    from study import __version__

    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--abbrev=10"],
            cwd=Path(__file__).parent, capture_output=True, text=True, timeout=10, check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return __version__


def cpu_model() -> str:
    """The CPU's marketing name, as Linux reports it (timings depend on it)."""
    # psutil has no CPU name and platform.processor() is empty on Linux: /proc/cpuinfo is
    # where Linux gives it; elsewhere platform's answer is the best there is.
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def device_name(device: torch.device) -> str:
    """The GPU's name on CUDA, else the CPU's."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return cpu_model()
