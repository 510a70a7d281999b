"""Resuming a killed training run: the whole state of a run (weights, optimiser, schedule,
random generators, history, early stopping) saved after every epoch, and put back by a run
that finds the state of the same run."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from study.io import atomic_path

if TYPE_CHECKING:  # the engine imports this module
    from study.data.splits import DeviceData
    from study.training.engine import TrainSettings
    from study.training.precision import Precision

Scheduler = torch.optim.lr_scheduler.LRScheduler


@dataclass
class Progress:
    """What a run has done so far."""

    history: list[dict[str, float]] = dataclasses.field(default_factory=list)
    best_key: tuple[float, float] = (-1.0, 0.0)  # (validation accuracy, -validation loss)
    best_state: dict[str, Any] = dataclasses.field(default_factory=dict)
    best_epoch: int = 0
    waited: int = 0  # epochs since the best validation accuracy
    train_seconds: float = 0.0

    def observe(self, epoch: int, accuracy: float, loss: float, model: nn.Module) -> None:
        """A validation after `epoch`: the best so far (highest accuracy, ties to the lower
        loss) keeps its weights; `waited` counts the epochs since the best."""
        if (accuracy, -loss) > self.best_key:
            self.best_key, self.best_epoch = (accuracy, -loss), epoch
            self.best_state = copy.deepcopy(model.state_dict())
        self.waited = epoch - self.best_epoch


def run_identity(model: nn.Module, data: DeviceData, settings: TrainSettings,
                 seed: int, precision: Precision) -> dict[str, Any]:
    """What a saved state must match to be continued: the same run, not merely the same
    folder (another setting, seed, model, data or precision starts over)."""
    return {"settings": dataclasses.asdict(settings), "seed": seed,
            "precision": [precision.bf16, precision.channels_last],
            "model": type(model).__name__,
            "shapes": {k: list(v.shape) for k, v in model.state_dict().items()},
            "n_train": len(data.train_x), "n_val": len(data.val_x)}


def state_of(identity: dict[str, Any], model: nn.Module, optimizer: torch.optim.Optimizer,
             scheduler: Scheduler | None, generator: torch.Generator,
             progress: Progress) -> dict[str, Any]:
    """The whole state of the run after an epoch, as the resume file keeps it."""
    device = generator.device
    return {
        "identity": identity, "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "generator": generator.get_state(), "cpu_rng": torch.get_rng_state(),
        "cuda_rng": torch.cuda.get_rng_state(device) if device.type == "cuda" else None,
        "history": progress.history, "best_state": progress.best_state,
        "best_key": list(progress.best_key), "best_epoch": progress.best_epoch,
        "waited": progress.waited, "train_seconds": progress.train_seconds}


def restore(state: dict[str, Any], model: nn.Module, optimizer: torch.optim.Optimizer,
            scheduler: Scheduler | None, generator: torch.Generator) -> Progress:
    """Put a saved state back: weights, optimiser, schedule and random generators."""
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None:
        scheduler.load_state_dict(state["scheduler"])
    generator.set_state(state["generator"])
    torch.set_rng_state(state["cpu_rng"])  # dropout draws from the global generators
    if generator.device.type == "cuda":
        torch.cuda.set_rng_state(state["cuda_rng"], generator.device)
    return Progress(state["history"], tuple(state["best_key"]), state["best_state"],
                    state["best_epoch"], state["waited"], state["train_seconds"])


def save_state(path: Path, state: dict[str, Any]) -> None:
    # Written beside and moved into place: a kill during the write leaves the previous
    # epoch's state, never half of this one.
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def load_state(path: Path, identity: dict[str, Any],
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
