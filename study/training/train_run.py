"""The training jobs of the study: one (architecture, regularisation, seed) on the whole
training split, or a group of runs of one architecture on a smaller nested subset of it."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from study.data.splits import DeviceData, Split, load_training_data
from study.io import write_json, write_text
from study.models.checkpoint import save_checkpoint
from study.models.registry import count_parameters, create_model, multiply_adds
from study.provenance import code_version, device_name
from study.training.engine import TrainSettings, train
from study.variants import resolve

HISTORY_FIELDS = ["epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr",
                  "seconds"]


def history_csv(history: list[dict[str, float]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=HISTORY_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(history)
    return buffer.getvalue()


def train_run(*, architecture: str, regularisation: str, seed: int, train_npz: Path,
              split_npz: Path, settings: dict[str, Any], device: torch.device,
              model_out: Path,
              history_out: Path, summary_out: Path, resume: Path,
              model_options: dict[str, Any] | None = None,
              chosen: dict[str, Any] | None = None) -> dict[str, Any]:
    """Train one run and write its checkpoint (`model_out`), its per-epoch history
    (`history_out`, CSV) and its summary (`summary_out`, train.json).

    Until they are written, `resume` holds the run's state after its last complete epoch;
    run again after a crash, the job continues from there.

    `settings` are the run's training settings, the variant's already applied to the base
    ones, `searched` ones taking the values the search `chosen` (its chosen.json);
    `regularisation` is
    the variant's name, recorded with the results; `model_options` size the architecture.
    """
    checked = TrainSettings.from_dict(resolve(settings, chosen))  # before any data is read
    data, split = load_training_data(train_npz, split_npz, device)
    run = RunSpec(regularisation, seed, settings, model_out, history_out, summary_out, resume)
    summary = train_loaded(data, split, architecture, run, checked, device, model_options)
    Path(resume).unlink(missing_ok=True)  # the run is complete: nothing left to resume
    return summary


@dataclass(frozen=True)
class RunSpec:
    """One run of a group: its variant, seed, settings and the files it writes."""

    regularisation: str
    seed: int
    settings: dict[str, Any]
    model_out: Path
    history_out: Path
    summary_out: Path
    resume: Path


def train_group(*, architecture: str, train_size: int, runs: list[RunSpec], train_npz: Path,
                split_npz: Path, device: torch.device,
                model_options: dict[str, Any] | None = None,
                chosen: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Train several runs of one architecture on the nested training subset of
    `train_size` images, in one process: the start-up and the data are paid once.

    A killed group loses no finished run: each run's `resume` file keeps its state, the
    finished ones' included, until every run of the group is written; a group run again
    puts a finished run back from it instead of training it again.
    """
    # Every run's settings checked before any data is read or any run trained.
    checked = [TrainSettings.from_dict(resolve(run.settings, chosen)) for run in runs]
    data, split = load_training_data(train_npz, split_npz, device, train_size=train_size)
    summaries = [train_loaded(data, split, architecture, run, settings, device, model_options)
                 for run, settings in zip(runs, checked, strict=True)]
    for run in runs:  # every run written: nothing left to resume
        Path(run.resume).unlink(missing_ok=True)
    return summaries


def train_loaded(data: DeviceData, split: Split, architecture: str, run: RunSpec,
                 run_settings: TrainSettings, device: torch.device,
                 model_options: dict[str, Any] | None) -> dict[str, Any]:
    """Train `run` with its checked settings on data already on the device and write its
    three files."""
    model_kwargs = {"dropout": run_settings.dropout, **(model_options or {})}
    torch.manual_seed(run.seed)  # the initial weights; shuffling and augmentation use it too
    model = create_model(architecture, **model_kwargs)
    print(f"{architecture} / {run.regularisation} / seed {run.seed} on {device}: "
          f"{count_parameters(model):,} parameters, {len(data.train_x):,} training images")
    result = train(model, data, run_settings, run.seed, resume=Path(run.resume))
    best = result.history[result.best_epoch - 1]
    summary = {
        "architecture": architecture, "regularisation": run.regularisation, "seed": run.seed,
        "parameters": count_parameters(model), "multiply_adds": multiply_adds(model),
        "model_options": model_options or {}, "lr": run_settings.lr,
        "weight_decay": run_settings.weight_decay, "epochs": len(result.history),
        "best_epoch": result.best_epoch, "val_accuracy": best["val_accuracy"],
        "val_loss": best["val_loss"], "train_seconds": result.train_seconds,
        "device": str(device), "device_name": device_name(device),
        "threads": torch.get_num_threads(),
        "n_train": len(data.train_x), "n_val": len(data.val_x),
        **result.precision.record(),
    }
    write_text(run.history_out, history_csv(result.history))
    write_json(run.summary_out, summary)
    save_checkpoint(run.model_out, model, architecture=architecture,
                    model_kwargs=model_kwargs, regularisation=run.regularisation,
                    seed=run.seed, settings=vars(run_settings),
                    normalisation={"mean": split.mean, "std": split.std},
                    best_epoch=result.best_epoch, code_version=code_version(),
                    precision=result.precision.record())
    return summary
