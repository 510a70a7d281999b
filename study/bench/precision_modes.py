"""The precision benchmark: one training step of every architecture in each precision and
memory layout, to check that `bf16: auto` picks the fastest mode on this machine."""

from __future__ import annotations

import statistics
import time
from typing import Any

import torch

from study.bench.benchmarks import STUDY, _training_step, environment
from study.models.registry import create_model, list_models, width
from study.training.engine import sync
from study.training.precision import AUTO, Precision, choose_precision

# The four modes the precision benchmark times.
MODES = [Precision(bf16, channels_last, "benchmark") for bf16 in (False, True)
         for channels_last in (False, True)]
PRECISION_WIDTH = 16  # the width of the default study's models (config/config.yaml)


def precision_modes(device: torch.device, batch_size: int, steps: int) -> dict[str, Any]:
    """Milliseconds per training step (median of `steps`) of every architecture in each
    precision and layout, with the mode `auto` picks on this machine marked."""
    auto = choose_precision(device, AUTO, STUDY.channels_last)
    rows = []
    for name in list_models():
        options = {"width": PRECISION_WIDTH} if width(name, {}) is not None else {}
        row: dict[str, Any] = {"architecture": name, **options}
        for precision in MODES:
            model, _, step = _training_step(create_model(name, **options), device,
                                            batch_size, precision)
            model.train()
            for _ in range(2):  # warm-up: oneDNN picks and caches its kernels
                step()
            times = []
            for _ in range(steps):
                sync(device)
                start = time.perf_counter()
                step()
                sync(device)
                times.append(time.perf_counter() - start)
            row[_mode_name(precision)] = 1000 * statistics.median(times)
        row["auto"] = _mode_name(auto)
        row["fastest"] = min(map(_mode_name, MODES), key=row.get)
        rows.append(row)
    return {**environment(device), "batch_size": batch_size, "steps": steps,
            "auto": auto.record(), "models": rows}


def _mode_name(precision: Precision) -> str:
    return f"{precision.dtype} {precision.layout}"


def precision_table(result: dict[str, Any]) -> str:
    """The benchmark as a markdown table, the mode `auto` picks in bold."""
    modes = [_mode_name(m) for m in MODES]
    lines = ["| architecture | " + " | ".join(modes) + " |",
             "| --- |" + " ---: |" * len(modes)]
    for row in result["models"]:
        cells = [f"**{row[m]:.1f}**" if m == row["auto"] else f"{row[m]:.1f}" for m in modes]
        lines.append(f"| {row['architecture']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
