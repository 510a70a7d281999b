"""The training engine shared by the study and the benchmarks.

The splits live on the device as tensors; batches are index slices of them, augmented in one
batched call. No DataLoader, no Python per image.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import operator
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from study.data.augment import random_distortion
from study.data.splits import DeviceData, one_hot
from study.errors import ConfigError
from study.schema import SEARCHED, check, training_schema
from study.training.precision import Precision, choose_precision
from study.training.resume import (
    Progress,
    load_state,
    restore,
    run_identity,
    save_state,
    state_of,
)

# The Python type of each kind of value the schema gives a setting.
PYTHON_TYPES = {"integer": int, "number": float, "boolean": bool, "string": str}


def _python_type(spec: dict[str, Any]) -> Any:
    """The type of a setting as the schema gives it: `float` for a number, `bool | str` for
    true, false or 'auto'. `searched` is left out: the search replaces it before a run."""
    kinds = [type(alt["const"]) if "const" in alt else PYTHON_TYPES[alt["type"]]
             for alt in spec.get("anyOf", [spec]) if alt.get("const") != SEARCHED]
    return functools.reduce(operator.or_, dict.fromkeys(kinds))


class _CheckedSettings:
    """What TrainSettings does besides holding the settings: each instance is checked
    against the schema when it is made, with the config's one-line messages."""

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.type is float and type(value) is int:  # `lr: 1` in a config: 1.0
                setattr(self, field.name, float(value))
        values = dataclasses.asdict(self)
        check(values, "training")
        unresolved = [key for key, value in values.items() if value == SEARCHED]
        if unresolved:
            raise ConfigError(f"training.{unresolved[0]}: '{SEARCHED}' is not a value to train "
                              "with; give the search's choice (--searched chosen.json).")

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainSettings:
        """Settings from a config mapping, the schema's defaults for the keys it leaves out;
        an unknown key, a wrong type or a value out of range gets one line naming it."""
        check(values, "training")
        return cls(**values)


# Made from the schema, so a new setting is one entry there, with its type, range, default
# and description, and the engine reads it as `settings.<name>`.
TrainSettings = dataclasses.make_dataclass(
    "TrainSettings",
    [(name, _python_type(spec), dataclasses.field(default=spec["default"]))
     for name, spec in training_schema()["properties"].items()],
    bases=(_CheckedSettings,),
    namespace={"__module__": __name__,
               "__doc__": "Every knob of a training run: one field per setting of the config's "
               "`training` block (study/schemas/config.schema.yaml), with the type and the "
               "default the schema gives it. The config gives the base settings and each "
               "regularisation variant the ones it changes."})


def pick_device(name: str) -> torch.device:
    """The device called `name` (cpu, cuda, cuda:N, or auto: a CUDA GPU when there is one);
    one that is unknown, or not on this machine, is a one-line error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ConfigError(f"unknown device {name!r}: use cpu, cuda, cuda:N or auto") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {name!r} asked for, but PyTorch sees no CUDA GPU on this "
                          "machine: set `device: cpu` (or `auto`) in the config, or run on a "
                          "machine with one")
    return device


def autocast(device: torch.device, enabled: bool) -> AbstractContextManager[Any]:
    if not enabled:
        return nullcontext()
    return torch.autocast(device.type, dtype=torch.bfloat16)


@dataclass
class TrainResult:
    history: list[dict[str, float]]
    best_state: dict[str, torch.Tensor]
    best_epoch: int
    train_seconds: float
    precision: Precision
    stopped_early: bool = False


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor, batch_size: int = 2000,
            bf16: bool = False) -> torch.Tensor:
    """Logits (float32) for every row of `x`, in evaluation mode."""
    model.eval()
    outputs = []
    for start in range(0, len(x), batch_size):
        with autocast(x.device, bf16):
            outputs.append(model(x[start:start + batch_size]).float())
    return torch.cat(outputs)


def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int,
             bf16: bool) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of `model` on (x, y)."""
    logits = predict(model, x, batch_size, bf16)
    loss = F.cross_entropy(logits, y).item()
    accuracy = (logits.argmax(1) == y).float().mean().item()
    return loss, accuracy


def sync(device: torch.device) -> None:
    """Wait for the device, so that a clock reading covers the work queued before it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _scheduler(optimizer: torch.optim.Optimizer, settings: TrainSettings,
               steps_per_epoch: int) -> torch.optim.lr_scheduler.LRScheduler | None:
    total_steps = settings.max_epochs * steps_per_epoch
    if settings.schedule == "onecycle" and total_steps > 2:  # too short a run to warm up
        return torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=settings.lr, total_steps=total_steps,
            pct_start=max(0.25, 2 / total_steps),  # at least one step up
        )
    return None


@dataclass
class _Loop:
    """Everything one epoch of optimisation steps uses."""

    model: nn.Module  # compiled or not: what the steps call
    train_x: torch.Tensor
    train_y: torch.Tensor
    targets: torch.Tensor  # one-hot labels
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler | None
    generator: torch.Generator
    precision: Precision
    background: float  # an empty pixel, after standardisation


def _epoch(loop: _Loop, settings: TrainSettings) -> tuple[float, float]:
    """One pass over the shuffled training images: (mean loss, accuracy)."""
    n, device = len(loop.train_x), loop.train_x.device
    steps = (n + settings.batch_size - 1) // settings.batch_size
    order = torch.randperm(n, device=device, generator=loop.generator)
    total_loss = torch.zeros((), device=device)
    correct = torch.zeros((), device=device, dtype=torch.long)
    for i in range(steps):
        idx = order[i * settings.batch_size:(i + 1) * settings.batch_size]
        x = loop.train_x[idx]
        if settings.augment:
            x = random_distortion(x, loop.generator, rotation=settings.rotation,
                                  translate=settings.translate, scale=settings.scale,
                                  elastic_alpha=settings.elastic_alpha,
                                  elastic_sigma=settings.elastic_sigma,
                                  background=loop.background)
        with autocast(device, loop.precision.bf16):
            logits = loop.model(x)
            loss = F.cross_entropy(logits.float(), loop.targets[idx],
                                   label_smoothing=settings.label_smoothing)
        loop.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        loop.optimizer.step()
        if loop.scheduler is not None:
            loop.scheduler.step()
        # Accumulated on the device: no host synchronisation inside the loop.
        total_loss += loss.detach() * len(idx)
        correct += (logits.argmax(1) == loop.train_y[idx]).sum()
    return total_loss.item() / n, correct.item() / n


def _make_loop(model: nn.Module, data: DeviceData, settings: TrainSettings,
               generator: torch.Generator, precision: Precision) -> _Loop:
    """The optimiser, the schedule and the training tensors of a run, on the model's
    device and in its memory format."""
    train_x = data.train_x.contiguous(memory_format=precision.memory_format)
    # The fused kernel updates every parameter in one call: fewer small ops per step.
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.lr,
                                  weight_decay=settings.weight_decay, fused=True)
    steps_per_epoch = (len(train_x) + settings.batch_size - 1) // settings.batch_size
    return _Loop(torch.compile(model) if settings.compile else model, train_x, data.train_y,
                 one_hot(data.train_y), optimizer,
                 _scheduler(optimizer, settings, steps_per_epoch), generator, precision,
                 float(train_x.min()))


def _epoch_line(record: dict[str, float]) -> str:
    """An epoch in the log; its validation figures only when it was validated."""
    validation = "" if math.isnan(record["val_loss"]) else (
        f"val loss {record['val_loss']:.4f}  val acc {record['val_accuracy']:.4f}  ")
    return (f"epoch {record['epoch']:3d}  train loss {record['train_loss']:.4f}  "
            f"{validation}{record['seconds']:.1f}s")


def _progress_so_far(resume: Path | None, identity: dict[str, Any], model: nn.Module,
                     loop: _Loop, settings: TrainSettings, log: Callable[[str], None]
                     ) -> tuple[Progress, int]:
    """The run's progress, put back from `resume` when it holds this run's state, and the
    first epoch left to train."""
    state = load_state(resume, identity, log) if resume is not None else None
    if state is None:
        return Progress(), 1
    progress = restore(state, model, loop.optimizer, loop.scheduler, loop.generator)
    log(f"resuming after epoch {len(progress.history)} from {resume}")
    if progress.waited >= settings.patience:  # killed after its last epoch: all done
        return progress, settings.max_epochs + 1
    return progress, len(progress.history) + 1


def train(model: nn.Module, data: DeviceData, settings: TrainSettings, seed: int,
          log: Callable[[str], None] = print,
          on_epoch: Callable[[dict[str, float]], None] | None = None,
          resume: Path | None = None) -> TrainResult:
    """Train with AdamW, validate every `settings.val_every` epochs (and after the last),
    stop early and keep the best weights.

    "Best" is the highest validation accuracy (ties: lower validation loss); the test set is
    never seen here. `on_epoch` receives each epoch's record (a search prunes trials there).
    With `resume`, the whole state of the run (weights, optimiser, schedule, random
    generators, history, early stopping) is written there atomically after every epoch, and
    a run that finds one from the same run continues after its last complete epoch: on the
    CPU it ends with the weights an uninterrupted run would have had.
    """
    device = data.train_x.device
    generator = torch.Generator(device=device).manual_seed(seed)
    precision = choose_precision(device, settings.bf16, settings.channels_last)
    model = model.to(device=device, memory_format=precision.memory_format)
    val_x = data.val_x.contiguous(memory_format=precision.memory_format)
    loop = _make_loop(model, data, settings, generator, precision)
    identity = run_identity(model, data, settings, seed, precision)
    progress, first_epoch = _progress_so_far(resume, identity, model, loop, settings, log)
    for epoch in range(first_epoch, settings.max_epochs + 1):
        sync(device)
        start = time.perf_counter()
        model.train()
        lr = loop.optimizer.param_groups[0]["lr"]
        train_loss, train_accuracy = _epoch(loop, settings)
        sync(device)
        seconds = time.perf_counter() - start  # the optimisation steps alone
        progress.train_seconds += seconds
        # Validated every `val_every` epochs and after the last; an epoch in between keeps
        # its training figures, its validation ones left NaN.
        validated = epoch % settings.val_every == 0 or epoch == settings.max_epochs
        val_loss, val_accuracy = evaluate(model, val_x, data.val_y, settings.eval_batch_size,
                                          precision.bf16) if validated else (math.nan,) * 2
        record = {"epoch": epoch, "train_loss": train_loss, "train_accuracy": train_accuracy,
                  "val_loss": val_loss, "val_accuracy": val_accuracy, "lr": lr,
                  "seconds": seconds}
        progress.history.append(record)
        log(_epoch_line(record))
        if validated:
            if on_epoch is not None:
                on_epoch(record)
            progress.observe(epoch, val_accuracy, val_loss, model)
        if resume is not None:
            save_state(resume, state_of(identity, model, loop.optimizer, loop.scheduler,
                                        generator, progress))
        if validated and progress.waited >= settings.patience:
            log(f"no better validation accuracy for {progress.waited} epochs: stopping")
            break
    # Also true of a run resumed after it had stopped: read from its history, not the loop.
    stopped_early = (progress.waited >= settings.patience
                     and len(progress.history) < settings.max_epochs)
    model.load_state_dict(progress.best_state)
    return TrainResult(progress.history, progress.best_state, progress.best_epoch,
                       progress.train_seconds, precision, stopped_early)
