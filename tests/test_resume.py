"""A training job killed at any moment resumes from its last complete epoch and ends, on the
CPU, with the weights of an uninterrupted run of the same seed."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from conftest import NORM, digits

from study.io import save_npz
from study.models.registry import create_model
from study.training.engine import TrainSettings, train

# Dropout and augmentation draw from every random generator the state must carry.
SETTINGS = {"max_epochs": 6, "batch_size": 32, "lr": 0.003, "patience": 10, "dropout": 0.2,
            "augment": True, "bf16": False, "channels_last": False}


def _data(folder: Path) -> tuple[Path, Path]:
    images, labels = digits(1600, seed=3)
    train, split = folder / "train.npz", folder / "split.npz"
    save_npz(train, images=images, labels=labels.astype(np.uint8))
    save_npz(split, train_idx=np.arange(1300), train_order=np.arange(1300),
             val_idx=np.arange(1300, 1600),
             mean=np.float64(NORM["mean"]), std=np.float64(NORM["std"]))
    return train, split


def _command(train: Path, split: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "study", "train", "--arch", "convnet_bn", "--reg", "combined",
            "--seed", "7", "--train", str(train), "--split", str(split),
            "--settings", json.dumps(SETTINGS), "--model-options", '{"width": 8}',
            "--device", "cpu", "--threads", "1", "--model-out", str(out / "model.pt"),
            "--history-out", str(out / "history.csv"), "--summary-out", str(out / "train.json"),
            "--resume", str(out / "resume.pt")]


def _weights(run: Path) -> dict[str, torch.Tensor]:
    return torch.load(run / "model.pt", weights_only=True)["state_dict"]


def test_a_killed_training_job_resumes_to_the_same_weights(tmp_path: Path) -> None:
    train, split = _data(tmp_path)
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    subprocess.run(_command(train, split, whole), check=True, capture_output=True, env=env)
    assert not (whole / "resume.pt").exists()  # removed once the run is complete

    proc = subprocess.Popen(_command(train, split, killed), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 120
    while not (killed / "resume.pt").exists() and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(random.uniform(0.0, 0.2))  # somewhere in a later epoch
    assert proc.poll() is None, "the run ended before it could be killed: make it longer"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (killed / "resume.pt").exists() and not (killed / "model.pt").exists()

    again = subprocess.run(_command(train, split, killed), check=True, capture_output=True,
                           text=True, env=env)
    assert "resuming after epoch" in again.stdout
    whole_weights, killed_weights = _weights(whole), _weights(killed)
    assert whole_weights.keys() == killed_weights.keys()
    for name, tensor in whole_weights.items():
        assert torch.equal(tensor, killed_weights[name]), name  # bit for bit
    columns = ["epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr"]
    pd.testing.assert_frame_equal(pd.read_csv(whole / "history.csv")[columns],
                                  pd.read_csv(killed / "history.csv")[columns])
    assert not (killed / "resume.pt").exists()


def _data_on_device() -> object:
    from study.data.splits import DeviceData

    g = torch.Generator().manual_seed(0)
    x = torch.randn(96, 1, 28, 28, generator=g)
    y = torch.randint(0, 10, (96,), generator=g)
    return DeviceData(x, y, x[:32], y[:32])


def _train(resume: Path, seed: int, max_epochs: int, log: list[str]) -> torch.nn.Module:
    torch.manual_seed(seed)
    model = create_model("mlp")
    settings = TrainSettings(max_epochs=max_epochs, batch_size=32, bf16=False, patience=10,
                             channels_last=False)
    train(model, _data_on_device(), settings, seed, log=log.append, resume=resume)
    return model


def test_a_state_from_another_run_or_unreadable_starts_over(tmp_path: Path) -> None:
    resume, log = tmp_path / "resume.pt", []
    _train(resume, seed=0, max_epochs=2, log=log)
    assert resume.exists()
    log.clear()
    _train(resume, seed=1, max_epochs=2, log=log)  # another seed: not this run's state
    assert any("saved by another run" in line for line in log)
    assert not any("resuming" in line for line in log)
    resume.write_bytes(b"not a checkpoint")
    log.clear()
    _train(resume, seed=1, max_epochs=2, log=log)
    assert any("unreadable" in line for line in log)
    assert sum(line.startswith("epoch") for line in log) == 2


def test_a_run_killed_after_its_last_epoch_trains_no_more(tmp_path: Path) -> None:
    resume, log = tmp_path / "resume.pt", []
    first = _train(resume, seed=0, max_epochs=3, log=log)
    log.clear()
    second = _train(resume, seed=0, max_epochs=3, log=log)  # the state says: all 3 done
    assert not any(line.startswith("epoch") for line in log)
    for a, b in zip(first.state_dict().values(), second.state_dict().values(), strict=True):
        assert torch.equal(a, b)
