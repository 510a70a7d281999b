"""Checkpoints rebuild their model; anything else gets one clear line, and a bug its traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from study.cli import main
from study.errors import CheckpointError
from study.evaluation import test_set as evaluation
from study.io import save_npz
from study.models.checkpoint import load_checkpoint, save_checkpoint
from study.models.registry import create_model

REPO = Path(__file__).resolve().parents[1]


class _Hostile:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


@pytest.fixture
def checkpoint(tmp_path: Path) -> Path:
    torch.manual_seed(0)
    model = create_model("lenet5")
    path = tmp_path / "model.pt"
    save_checkpoint(path, model, architecture="lenet5", model_kwargs={"dropout": 0.0}, seed=0)
    return path


def test_checkpoint_rebuilds_the_same_model(checkpoint: Path) -> None:
    torch.manual_seed(0)
    original = create_model("lenet5").eval()
    model, meta = load_checkpoint(checkpoint)
    x = torch.randn(4, 1, 28, 28)
    assert torch.equal(model(x), original(x)) and meta["seed"] == 0 and not model.training


def _bad_checkpoints(tmp_path: Path, good: Path) -> dict[str, Path]:
    bad = {
        "text": tmp_path / "notes.pt",
        "truncated": tmp_path / "truncated.pt",
        "not a study checkpoint": tmp_path / "plain.pt",
        "other architecture": tmp_path / "other.pt",
        "missing": tmp_path / "missing.pt",
    }
    bad["text"].write_text("these are not weights\n")
    bad["truncated"].write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    torch.save({"weights": torch.zeros(3)}, bad["not a study checkpoint"])
    payload = torch.load(good, weights_only=True)
    payload["architecture"] = "convnet_bn"  # lenet5's weights under another name
    torch.save(payload, bad["other architecture"])
    return bad


@pytest.mark.parametrize("case", ["text", "truncated", "not a study checkpoint",
                                  "other architecture", "missing"])
def test_bad_checkpoint_gets_a_clear_error(case: str, checkpoint: Path, tmp_path: Path) -> None:
    path = _bad_checkpoints(tmp_path, checkpoint)[case]
    with pytest.raises(CheckpointError, match=rf"{path.name}.*python -m study train") as err:
        load_checkpoint(path)
    assert "\n" not in str(err.value)


def test_hostile_checkpoint_is_refused_before_it_runs(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "model.pt"
    torch.save({"architecture": "mlp", "model_kwargs": {}, "state_dict": _Hostile(marker)},
               path)
    with pytest.raises(CheckpointError, match="not a study checkpoint"):
        load_checkpoint(path)
    assert not marker.exists()


def test_cli_reports_a_bad_checkpoint_in_one_line(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "model.pt"
    torch.save(_Hostile(marker), path)
    save_npz(tmp_path / "test.npz", images=np.zeros((2, 28, 28), np.uint8),
             labels=np.zeros(2, np.int64))
    result = subprocess.run(
        [sys.executable, "-m", "study", "evaluate", "--checkpoint", str(path),
         "--test", str(tmp_path / "test.npz"),
         "--metrics-out", str(tmp_path / "out" / "metrics.json"),
         "--confusion-out", str(tmp_path / "out" / "confusion.csv"),
         "--predictions-out", str(tmp_path / "out" / "predictions.npz")],
        capture_output=True, text=True, cwd=REPO,
    )
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {path}: not a study checkpoint")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not marker.exists() and not (tmp_path / "out").exists()


def test_a_bug_keeps_its_traceback(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Only the study's own errors become one line: a programming error is not hidden."""

    def broken(*args: object, **kwargs: object) -> None:
        raise TypeError("unsupported operand type(s) for +: 'int' and 'str'")

    monkeypatch.setattr(evaluation, "evaluate_runs", broken)
    with pytest.raises(TypeError, match="unsupported operand"):
        main(["evaluate", "--checkpoint", str(tmp_path / "m.pt"), "--test",
              str(tmp_path / "t.npz"), "--metrics-out", str(tmp_path / "m.json"),
              "--confusion-out", str(tmp_path / "c.csv"),
              "--predictions-out", str(tmp_path / "p.npz")])
