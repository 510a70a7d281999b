"""Memory of a benchmark: a mark before the measured work, then the peak since the mark
(allocated on the GPU, resident on the CPU)."""

from __future__ import annotations

import contextlib
import resource
import sys
from pathlib import Path

import psutil
import torch


def peak_memory_mb(device: torch.device) -> float:
    """Peak memory since the last mark: allocated on the GPU, or resident for this process."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return peak_rss_mb()


def peak_rss_mb() -> float:
    """This process's peak resident size (VmHWM), which a mark resets.

    psutil reports no peak on Linux, and ru_maxrss can be neither reset nor trusted in a
    spawned child: Linux carries it over from the parent across exec.
    """
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    # No /proc (macOS, BSD): ru_maxrss, in bytes on macOS and KiB elsewhere.
    unit = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit / 2**20


def memory_mark(device: torch.device) -> float:
    """Reset the peak and return the memory in use now, the start of a measurement.

    Without the reset, the peak would include what came before the mark (importing PyTorch,
    unpickling the job in a spawned child); writing 5 to clear_refs resets VmHWM to the
    resident size now.
    """
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
        return peak_memory_mb(device)
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")
    return psutil.Process().memory_info().rss / 2**20


def memory_since(device: torch.device, start_mb: float) -> dict[str, float]:
    """The peak since `memory_mark`, and how much of it is above the memory in use then."""
    # On the CPU the process peak includes PyTorch itself (about 1 GB): the part above the
    # mark taken before the data and the model is what the measurement needed.
    peak = peak_memory_mb(device)
    return {"peak_memory_mb": peak, "memory_above_start_mb": peak - start_mb}
