"""The hyper-parameter search of one architecture, with Optuna, on validation only.

Each trial trains the architecture with the base settings, every `searched` setting drawn
by Optuna's TPE sampler on a log scale, for a few epochs on a fixed sample of the training
split, and is scored by its best validation accuracy; trials far behind the median after
an epoch are pruned. The trials live in an SQLite file, so a search that was
interrupted resumes where it stopped and several processes can share one study. A study is
named after everything that defines it: a changed setting starts a new one in the same file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import optuna
import torch

from study.data.splits import DeviceData, load_training_data
from study.io import write_json, write_text
from study.models.registry import create_model
from study.schema import check
from study.training.engine import TrainSettings, train
from study.variants import SEARCHED, resolve

FINISHED = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)


def study_name(architecture: str, definition: dict[str, Any]) -> str:
    """`architecture` and a digest of what defines the search (settings, space, data...)."""
    digest = hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()
    return f"{architecture}-{digest[:12]}"


def trial_sample(data: DeviceData, n: int | None, seed: int) -> DeviceData:
    """The first `n` images of a seeded permutation of the training split (all if None)."""
    if n is None or n >= len(data.train_x):
        return data
    generator = torch.Generator().manual_seed(seed)
    idx = torch.randperm(len(data.train_x), generator=generator)[:n].to(data.train_x.device)
    return DeviceData(data.train_x[idx], data.train_y[idx], data.val_x, data.val_y)


def trials_csv(study: optuna.Study, keys: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["trial", "state", *keys, "val_accuracy", "epochs", "seconds"])
    for t in study.trials:
        seconds = (t.datetime_complete - t.datetime_start).total_seconds() \
            if t.datetime_complete and t.datetime_start else ""
        value = t.value if t.value is not None else (
            max(t.intermediate_values.values()) if t.intermediate_values else "")
        writer.writerow([t.number, t.state.name.lower(), *(t.params.get(k, "") for k in keys),
                         value, len(t.intermediate_values), seconds])
    return buffer.getvalue()


def run_search(*, architecture: str, train_npz: Path, split_npz: Path,
               settings: dict[str, Any], space: dict[str, list[float]], trials: int,
               train_images: int | None, seed: int, model_options: dict[str, Any],
               device: torch.device, storage: Path, chosen_out: Path,
               trials_out: Path) -> dict[str, Any]:
    """Run the trials still missing from the study stored in `storage` (SQLite), then write
    the best trial's values (`chosen_out`, chosen.json) and every trial (`trials_out`, CSV)."""
    check(settings, "training")  # before any data is read: a bad setting gets one line
    keys = [k for k, v in settings.items() if v == SEARCHED]
    full, split = load_training_data(train_npz, split_npz, device)
    data = trial_sample(full, train_images, seed)
    definition = {"settings": settings, "space": {k: space[k] for k in keys},
                  "train_images": train_images, "seed": seed, "model_options": model_options,
                  "split": [len(split.train_idx), len(split.val_idx), split.mean, split.std]}

    def objective(trial: optuna.Trial) -> float:
        drawn = {k: trial.suggest_float(k, *space[k], log=True) for k in keys}
        run = TrainSettings.from_dict(resolve(settings, drawn))

        def report(record: dict[str, float]) -> None:
            epoch = int(record["epoch"])
            trial.report(record["val_accuracy"], epoch)
            if epoch < run.max_epochs and trial.should_prune():
                raise optuna.TrialPruned()

        torch.manual_seed(seed)
        model = create_model(architecture, dropout=run.dropout, **model_options)
        result = train(model, data, run, seed, log=lambda line: print(f"  {line}"),
                       on_epoch=report)
        return max(r["val_accuracy"] for r in result.history)

    storage.parent.mkdir(parents=True, exist_ok=True)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        study_name=study_name(architecture, definition), direction="maximize",
        storage=f"sqlite:///{storage}", load_if_exists=True,
        sampler=optuna.samplers.TPESampler(seed=seed, n_startup_trials=max(2, trials // 2)),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=2),
    )
    done = sum(t.state in FINISHED for t in study.trials)
    print(f"{architecture}: search of {', '.join(keys)} on {len(data.train_x):,} training and "
          f"{len(data.val_x):,} validation images, {settings['max_epochs']} epoch(s) per trial; "
          f"{done} of {trials} trials already in {storage}")
    for _ in range(trials - done):
        study.optimize(objective, n_trials=1)
        last = study.trials[-1]
        print(f"trial {last.number}: {last.state.name.lower()} {last.params} -> "
              f"{last.value if last.value is not None else 'pruned'}")
    best = study.best_trial
    chosen = {"architecture": architecture, **best.params,
              "val_accuracy": best.value, "trial": best.number, "study": study.study_name,
              "trials": sum(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials),
              "pruned": sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials),
              "max_epochs": settings["max_epochs"], "train_images": len(data.train_x),
              "space": {k: space[k] for k in keys}, "device": str(device)}
    write_text(trials_out, trials_csv(study, keys))
    write_json(chosen_out, chosen)
    return chosen
