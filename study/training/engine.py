"""The training engine shared by the study and the benchmarks.

The splits live on the device as tensors; batches are index slices of them, augmented in one
batched call. No DataLoader, no Python per image.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
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
from study.io import atomic_path
from study.schema import SEARCHED, check, training_schema
from study.training.precision import Precision, choose_precision

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


def train(model: nn.Module, data: DeviceData, settings: TrainSettings, seed: int,
          log: Callable[[str], None] = print,
          on_epoch: Callable[[dict[str, float]], None] | None = None,
          resume: Path | None = None) -> TrainResult:
    """Train with AdamW, validate every epoch, stop early and keep the best weights.

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
    memory_format = precision.memory_format
    model = model.to(device=device, memory_format=memory_format)
    train_x = data.train_x.contiguous(memory_format=memory_format)
    val_x = data.val_x.contiguous(memory_format=memory_format)
    targets = one_hot(data.train_y)
    background = float(train_x.min())  # an empty pixel, after standardisation

    step_model = torch.compile(model) if settings.compile else model
    # The fused kernel updates every parameter in one call: fewer small ops per step.
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.lr,
                                  weight_decay=settings.weight_decay, fused=True)
    n = len(train_x)
    steps_per_epoch = (n + settings.batch_size - 1) // settings.batch_size
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None
    total_steps = settings.max_epochs * steps_per_epoch
    if settings.schedule == "onecycle" and total_steps > 2:  # too short a run to warm up
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=settings.lr, total_steps=total_steps,
            pct_start=max(0.25, 2 / total_steps),  # at least one step up
        )

    history: list[dict[str, float]] = []
    best_key = (-1.0, 0.0)
    best_state, best_epoch, waited, train_seconds = {}, 0, 0, 0.0
    identity = _run_identity(model, data, settings, seed, precision)
    state = _load_resume_state(resume, identity, log) if resume is not None else None
    first_epoch = 1
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if scheduler is not None:
            scheduler.load_state_dict(state["scheduler"])
        generator.set_state(state["generator"])
        torch.set_rng_state(state["cpu_rng"])  # dropout draws from the global generators
        if device.type == "cuda":
            torch.cuda.set_rng_state(state["cuda_rng"], device)
        history, best_state = state["history"], state["best_state"]
        best_key, best_epoch = tuple(state["best_key"]), state["best_epoch"]
        waited, train_seconds = state["waited"], state["train_seconds"]
        first_epoch = len(history) + 1
        log(f"resuming after epoch {len(history)} from {resume}")
        if waited >= settings.patience:  # killed after its last epoch: nothing left to train
            first_epoch = settings.max_epochs + 1
    for epoch in range(first_epoch, settings.max_epochs + 1):
        sync(device)
        start = time.perf_counter()
        model.train()
        order = torch.randperm(n, device=device, generator=generator)
        total_loss = torch.zeros((), device=device)
        correct = torch.zeros((), device=device, dtype=torch.long)
        lr = optimizer.param_groups[0]["lr"]
        for i in range(steps_per_epoch):
            idx = order[i * settings.batch_size:(i + 1) * settings.batch_size]
            x = train_x[idx]
            if settings.augment:
                x = random_distortion(x, generator, rotation=settings.rotation,
                                      translate=settings.translate, scale=settings.scale,
                                      elastic_alpha=settings.elastic_alpha,
                                      elastic_sigma=settings.elastic_sigma,
                                      background=background)
            with autocast(device, precision.bf16):
                logits = step_model(x)
                loss = F.cross_entropy(logits.float(), targets[idx],
                                       label_smoothing=settings.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            # Accumulated on the device: no host synchronisation inside the loop.
            total_loss += loss.detach() * len(idx)
            correct += (logits.argmax(1) == data.train_y[idx]).sum()
        sync(device)
        seconds = time.perf_counter() - start  # the optimisation steps alone
        train_seconds += seconds
        val_loss, val_accuracy = evaluate(model, val_x, data.val_y, settings.eval_batch_size,
                                          precision.bf16)
        history.append({
            "epoch": epoch, "train_loss": total_loss.item() / n,
            "train_accuracy": correct.item() / n, "val_loss": val_loss,
            "val_accuracy": val_accuracy, "lr": lr, "seconds": seconds,
        })
        log(f"epoch {epoch:3d}  train loss {history[-1]['train_loss']:.4f}  "
            f"val loss {val_loss:.4f}  val acc {val_accuracy:.4f}  {seconds:.1f}s")
        if on_epoch is not None:
            on_epoch(history[-1])
        if (val_accuracy, -val_loss) > best_key:
            best_key, best_epoch, waited = (val_accuracy, -val_loss), epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            waited += 1
        if resume is not None:
            _save_resume_state(resume, {
                "identity": identity, "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict() if scheduler is not None else None,
                "generator": generator.get_state(), "cpu_rng": torch.get_rng_state(),
                "cuda_rng": torch.cuda.get_rng_state(device) if device.type == "cuda"
                else None,
                "history": history, "best_state": best_state, "best_key": list(best_key),
                "best_epoch": best_epoch, "waited": waited, "train_seconds": train_seconds})
        if waited >= settings.patience:
            log(f"no better validation accuracy for {waited} epochs: stopping")
            break
    # Also true of a run resumed after it had stopped: read from its history, not the loop.
    stopped_early = waited >= settings.patience and len(history) < settings.max_epochs
    model.load_state_dict(best_state)
    return TrainResult(history, best_state, best_epoch, train_seconds, precision,
                       stopped_early)


def _run_identity(model: nn.Module, data: DeviceData, settings: TrainSettings,
                  seed: int, precision: Precision) -> dict[str, Any]:
    """What a saved state must match to be continued: the same run, not merely the same
    folder (another setting, seed, model, data or precision starts over)."""
    return {"settings": dataclasses.asdict(settings), "seed": seed,
            "precision": [precision.bf16, precision.channels_last],
            "model": type(model).__name__,
            "shapes": {k: list(v.shape) for k, v in model.state_dict().items()},
            "n_train": len(data.train_x), "n_val": len(data.val_x)}


def _save_resume_state(path: Path, state: dict[str, Any]) -> None:
    # Written beside and moved into place: a kill during the write leaves the previous
    # epoch's state, never half of this one.
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def _load_resume_state(path: Path, identity: dict[str, Any],
                       log: Callable[[str], None]) -> dict[str, Any] | None:
    """The saved state of this run, or None (none saved, another run's, or unreadable)."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # unreadable: the run starts over rather than fail
        log(f"ignoring {path}: unreadable ({type(err).__name__}); starting over")
        return None
    if not isinstance(state, dict) or state.get("identity") != identity:
        log(f"ignoring {path}: saved by another run (settings, seed, model or data differ); "
            "starting over")
        return None
    return state
