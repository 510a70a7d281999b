"""The benchmarks: the fast path costs no accuracy, and every report has its fields."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from study import bench
from study.data import DeviceData, make_split, save_split, to_inputs
from study.engine import predict, train
from study.io import save_npz
from study.mnist import Mnist
from study.models import create_model


def accuracy_after_training(data: DeviceData, eval_x: torch.Tensor, eval_y: torch.Tensor,
                            fast: bool) -> float:
    settings = dataclasses.replace(bench.SPEEDRUN, max_epochs=3, bf16=fast, channels_last=fast)
    torch.manual_seed(0)
    model = create_model(bench.SPEEDRUN_ARCH)
    train(model, data, settings, seed=0, log=lambda _: None)
    logits = predict(model, eval_x, 2000, bf16=fast)
    return (logits.argmax(1) == eval_y).float().mean().item()


def test_fast_path_costs_no_accuracy(real_mnist: Mnist) -> None:
    """bf16 autocast + channels-last against plain fp32, on a small fixed problem: 10,000
    official training images to train on, 10,000 others to score (never the test set)."""
    images, labels = real_mnist.train_images, real_mnist.train_labels.astype(np.int64)
    mean, std = images[:10000].mean() / 255, images[:10000].std() / 255
    x = to_inputs(images, mean, std, "cpu")
    y = torch.from_numpy(labels)
    data = DeviceData(x[:10000], y[:10000], x[10000:11000], y[10000:11000])
    eval_x, eval_y = x[50000:], y[50000:]
    fast = accuracy_after_training(data, eval_x, eval_y, fast=True)
    reference = accuracy_after_training(data, eval_x, eval_y, fast=False)
    print(f"fast path {100 * fast:.2f}%, fp32 reference {100 * reference:.2f}%")
    assert fast > 0.97 and reference > 0.97
    assert abs(fast - reference) <= 0.001, f"fast {fast:.4f} vs fp32 {reference:.4f}"


@pytest.fixture
def data_dir(tmp_path: Path, tiny_images: tuple[np.ndarray, np.ndarray]) -> Path:
    images, labels = tiny_images
    save_npz(tmp_path / "train.npz", images=images, labels=labels)
    save_npz(tmp_path / "test.npz", images=images[:200], labels=labels[:200])
    save_split(tmp_path / "split.npz", make_split(images, labels, n_val=100, seed=0))
    return tmp_path


def test_speedrun_report(data_dir: Path) -> None:
    result = bench.speedrun(data_dir / "train.npz", data_dir / "split.npz",
                            data_dir / "test.npz", seeds=2, device=torch.device("cpu"),
                            log=lambda _: None)
    for key in ["device", "torch", "threads", "seeds", "train_seconds", "setup_seconds",
                "test_accuracy", "median_train_seconds", "mean_test_accuracy",
                "fraction_at_target"]:
        assert key in result, key
    assert len(result["train_seconds"]) == len(result["test_accuracy"]) == 2
    assert result["median_train_seconds"] == float(np.median(result["train_seconds"]))
    assert result["fraction_at_target"] == np.mean(np.array(result["test_accuracy"]) >= 0.99)
    json.dumps(result)  # serialisable as it is


def test_throughput_and_scaling_reports(data_dir: Path) -> None:
    row = bench._throughput_one("speednet", "cpu", batch_size=16, steps=2, threads=1)
    assert row["train_images_per_second"] > 0 and row["inference_images_per_second"] > 0
    assert row["peak_memory_mb"] > 0
    result = bench.scaling(data_dir / "train.npz", data_dir / "split.npz",
                           torch.device("cpu"), "speednet", sizes=[100, 400])
    assert [r["n_train"] for r in result["sizes"]] == [100, 400]
    assert all(r["epoch_seconds"] > 0 for r in result["sizes"])


def test_bench_refuses_missing_data(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="prepare the data first"):
        bench.run_bench("speedrun", tmp_path, tmp_path / "out", "cpu", 1, None)



def test_reinitialise_equals_a_fresh_model() -> None:
    model = create_model(bench.SPEEDRUN_ARCH)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)  # as if trained
    bench.reinitialise(model, 3)
    torch.manual_seed(3)
    fresh = create_model(bench.SPEEDRUN_ARCH)
    for (name, a), b in zip(model.state_dict().items(), fresh.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
