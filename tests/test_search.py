"""The hyper-parameter search: `searched` settings, Optuna trials, resuming, pruning."""

from __future__ import annotations

import copy
import csv
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from study.config import check_config
from study.data.splits import make_split, save_split
from study.errors import ConfigError
from study.io import read_json, save_npz
from study.training import search
from study.training.engine import TrainResult
from study.training.precision import Precision
from study.variants import check_variants, resolve, run_settings, searched_settings, trial_settings

REPO = Path(__file__).resolve().parents[1]
SPACE = {"lr": [1e-4, 1e-2], "weight_decay": [1e-5, 1e-1]}


def default_config() -> dict:
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    check_config(config)
    return config


def test_searched_settings_are_the_base_lr_and_the_variants_weight_decay() -> None:
    config = default_config()
    assert searched_settings(config) == ["lr", "weight_decay"]
    chosen = {"lr": 0.004, "weight_decay": 0.02}
    none = run_settings(config, "none", chosen)
    assert none["lr"] == 0.004 and none["weight_decay"] == 0.0  # `none` stays unregularised
    decayed = run_settings(config, "weight_decay", chosen)
    assert decayed["lr"] == 0.004 and decayed["weight_decay"] == 0.02
    # A trial trains the base settings, both values left for the trial to draw.
    trial = trial_settings(config)
    assert trial["lr"] == trial["weight_decay"] == "searched"
    assert trial["dropout"] == 0.0 and trial["augment"] is False
    assert trial["max_epochs"] == trial["patience"] == config["search"]["max_epochs"]


def test_nothing_is_searched_when_every_value_is_given() -> None:
    config = default_config()
    config["training"]["lr"] = 0.002
    config["variants"]["weight_decay"] = {"weight_decay": 5e-4}
    config["variants"]["combined"]["weight_decay"] = 5e-4
    assert searched_settings(config) == []
    assert run_settings(config, "weight_decay", None)["weight_decay"] == 5e-4


def test_a_searched_value_without_a_search_result_is_refused() -> None:
    with pytest.raises(ConfigError, match="lr set to 'searched' but no search result"):
        resolve({"lr": "searched", "dropout": 0.1}, None)
    with pytest.raises(ConfigError, match="weight_decay"):
        resolve({"lr": "searched", "weight_decay": "searched"}, {"lr": 0.01})


@pytest.mark.parametrize(("change", "message"), [
    (lambda c: c["search"]["space"].update(lr=[0.01, 0.001]), r"0 < low < high"),
    (lambda c: c["search"].update(space={"lr": [1e-4, 1e-2]}),
     r"weight_decay set to 'searched' but search.space gives no range"),
])
def test_bad_search_settings_are_refused(change, message: str) -> None:
    config = copy.deepcopy(default_config())
    change(config)
    with pytest.raises(ConfigError, match=message):
        check_variants(config)


@pytest.fixture
def tiny_files(tmp_path: Path, tiny_images: tuple[np.ndarray, np.ndarray]) -> tuple[Path, Path]:
    images, labels = tiny_images
    save_npz(tmp_path / "train.npz", images=images, labels=labels)
    save_split(tmp_path / "split.npz", make_split(images, labels, n_val=100, seed=0))
    return tmp_path / "train.npz", tmp_path / "split.npz"


def fake_train(model, data, settings, seed, log=print, on_epoch=None) -> TrainResult:
    """Validation accuracy rises with the learning rate, one epoch after another: no
    training, so that the search's own logic is what the tests see."""
    history = []
    for epoch in range(1, settings.max_epochs + 1):
        record = {"epoch": epoch, "val_accuracy": settings.lr * 10 + epoch / 100,
                  "val_loss": 1.0}
        history.append(record)
        if on_epoch:
            on_epoch(record)
    return TrainResult(history, {}, settings.max_epochs, 0.0, Precision(False, True, "fake"))


def run(files: tuple[Path, Path], out: Path, trials: int, **changes) -> dict:
    settings = {"lr": "searched", "weight_decay": "searched", "max_epochs": 3, "patience": 3,
                "bf16": False, **changes}
    return search.run_search(architecture="mlp", train_npz=files[0], split_npz=files[1],
                             settings=settings, space=SPACE, trials=trials, train_images=200,
                             seed=0, model_options={}, device=torch.device("cpu"),
                             storage=out / "optuna.sqlite3", chosen_out=out / "chosen.json",
                             trials_out=out / "trials.csv")


def trials_of(out: Path) -> list[dict[str, str]]:
    with open(out / "trials.csv") as f:
        return list(csv.DictReader(f))


def test_search_chooses_the_best_trial_within_the_ranges(tiny_files, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "train", fake_train)
    chosen = run(tiny_files, tmp_path / "s", trials=6)
    rows = trials_of(tmp_path / "s")
    assert len(rows) == 6 and chosen["trials"] + chosen["pruned"] == 6
    complete = [r for r in rows if r["state"] == "complete"]
    best = max(complete, key=lambda r: float(r["val_accuracy"]))
    assert chosen["lr"] == pytest.approx(float(best["lr"]))
    assert chosen["lr"] == max(float(r["lr"]) for r in complete)  # the fake's optimum
    for row in rows:
        assert SPACE["lr"][0] <= float(row["lr"]) <= SPACE["lr"][1]
        assert SPACE["weight_decay"][0] <= float(row["weight_decay"]) <= SPACE["weight_decay"][1]
    assert read_json(tmp_path / "s" / "chosen.json") == chosen


def test_trials_behind_the_median_are_pruned(tiny_files, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "train", fake_train)
    chosen = run(tiny_files, tmp_path / "s", trials=8)
    rows = trials_of(tmp_path / "s")
    pruned = [r for r in rows if r["state"] == "pruned"]
    assert chosen["pruned"] == len(pruned) > 0
    assert all(int(r["epochs"]) < 3 for r in pruned)  # stopped before their last epoch
    complete = [float(r["lr"]) for r in rows if r["state"] == "complete"]
    # A pruned trial had a lower learning rate, so a lower score, than the median before it.
    assert all(float(r["lr"]) < max(complete) for r in pruned)


def test_an_interrupted_search_resumes_and_a_changed_one_starts_anew(
        tiny_files, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "train", fake_train)
    out = tmp_path / "s"
    first = run(tiny_files, out, trials=3)
    before = trials_of(out)
    calls = []
    monkeypatch.setattr(search, "train", lambda *a, **k: calls.append(1) or fake_train(*a, **k))
    again = run(tiny_files, out, trials=5)
    after = trials_of(out)
    assert len(calls) == 2 and len(after) == 5 and after[:3] == before
    assert again["study"] == first["study"]
    changed = run(tiny_files, out, trials=2, batch_size=64)
    assert changed["study"] != first["study"] and len(trials_of(out)) == 2


def test_a_real_trial_trains_and_scores_on_validation(tiny_files, tmp_path: Path) -> None:
    chosen = run(tiny_files, tmp_path / "s", trials=1, max_epochs=1, patience=1)
    assert chosen["train_images"] == 200 and 0.0 <= chosen["val_accuracy"] <= 1.0
    assert chosen["trials"] == 1 and set(chosen["space"]) == {"lr", "weight_decay"}
