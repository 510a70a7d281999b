"""The benchmarks: the fast path costs no accuracy, and they measure what they claim."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from study.bench import benchmarks as bench
from study.bench import memory
from study.bench import precision_modes as precision_bench
from study.data.mnist import Mnist
from study.data.splits import DeviceData, make_split, save_split, to_inputs
from study.errors import DataError
from study.io import save_npz
from study.models.registry import create_model
from study.training.engine import autocast, predict, train


@pytest.fixture(scope="module")
def trained_speednet(real_mnist: Mnist) -> tuple[torch.nn.Module, torch.Tensor, torch.Tensor]:
    """The speedrun network after one fp32 epoch on 10,000 official training images, and
    10,000 other training images to score it on (never the test set)."""
    images, labels = real_mnist.train_images, real_mnist.train_labels.astype(np.int64)
    mean, std = images[:10000].mean() / 255, images[:10000].std() / 255
    x = to_inputs(images, mean, std, "cpu")
    y = torch.from_numpy(labels)
    data = DeviceData(x[:10000], y[:10000], x[10000:11000], y[10000:11000])
    settings = dataclasses.replace(bench.SPEEDRUN, bf16=False, channels_last=False)
    torch.manual_seed(0)
    model = create_model(bench.SPEEDRUN_ARCH)
    train(model, data, settings, seed=0, log=lambda _: None)
    return model, x[50000:], y[50000:]


def _on_path(model: torch.nn.Module, x: torch.Tensor, fast: bool
             ) -> tuple[torch.nn.Module, torch.Tensor]:
    memory_format = torch.channels_last if fast else torch.contiguous_format
    return model.to(memory_format=memory_format), x.contiguous(memory_format=memory_format)


def test_fast_path_computes_the_fp32_function(trained_speednet) -> None:
    """bf16 autocast + channels-last against plain fp32, on one fixed trained model.

    One model, two numerical paths: no seed-to-seed spread enters, only rounding. bf16 keeps
    8 significant bits (unit roundoff 2**-9, about 0.2%), accumulations stay in fp32. Measured
    on the speedrun network (Xeon with AMX, PyTorch 2.14): largest logit error 0.9% of the
    image's largest logit (mean 0.3%), 2 of 10,000 predictions changed, both on near-ties.
    The bounds leave a margin of about 4x for CPUs that round bf16 otherwise (AVX-512-bf16
    without AMX), and are far below what a wrong kernel or layout gives (tens of percent).
    """
    model, x, y = trained_speednet
    reference = predict(*_on_path(model, x, fast=False), 2000, bf16=False)
    fast = predict(*_on_path(model, x, fast=True), 2000, bf16=True)
    relative = (fast - reference).abs().amax(1) / reference.abs().amax(1)
    agreement = (fast.argmax(1) == reference.argmax(1)).float().mean().item()
    accuracy = [(logits.argmax(1) == y).float().mean().item() for logits in (reference, fast)]
    print(f"largest relative logit error {relative.max():.4f}, mean {relative.mean():.4f}; "
          f"agreement {100 * agreement:.2f}%; accuracy fp32 {100 * accuracy[0]:.2f}%, "
          f"fast {100 * accuracy[1]:.2f}%")
    assert relative.max() > 1e-4, "the two paths computed the same thing: bf16 was not used"
    assert relative.max() < 0.04 and relative.mean() < 0.01
    assert agreement >= 0.999  # at most 10 of 10,000 predictions flip
    assert abs(accuracy[1] - accuracy[0]) <= 0.001


def test_fast_path_trains_in_the_same_direction(trained_speednet) -> None:
    """The gradient of one batch of 256 on the fast path points where fp32's does.

    Measured (Xeon with AMX): cosine 0.99984, relative error of the gradient 1.8%. The
    bounds (cosine >= 0.995, error <= 10%) leave a margin of several times that for other
    CPUs; a gradient that lost a layer or a sign would fail both.
    """
    model, x, y = trained_speednet
    model = copy.deepcopy(model).train()
    gradients = []
    for fast in (False, True):
        model, batch = _on_path(model, x[:256], fast)
        model.zero_grad()
        with autocast(torch.device("cpu"), fast):
            loss = F.cross_entropy(model(batch).float(), y[:256])
        loss.backward()
        gradients.append(torch.cat([p.grad.flatten() for p in model.parameters()]))
    reference, fast_gradient = gradients
    cosine = F.cosine_similarity(reference, fast_gradient, dim=0).item()
    error = ((fast_gradient - reference).norm() / reference.norm()).item()
    print(f"gradient cosine {cosine:.5f}, relative error {error:.4f}")
    assert cosine >= 0.995 and error <= 0.10


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
    for key in ["code_version", "cpu", "device", "torch", "threads", "seeds", "train_seconds",
                "setup_seconds", "test_accuracy", "median_train_seconds", "mean_test_accuracy",
                "fraction_at_target"]:
        assert key in result, key
    assert len(result["train_seconds"]) == len(result["test_accuracy"]) == 2
    assert result["median_train_seconds"] == float(np.median(result["train_seconds"]))
    assert result["fraction_at_target"] == np.mean(np.array(result["test_accuracy"]) >= 0.99)
    json.dumps(result)  # serialisable as it is


class FakeClock:
    """time.perf_counter that advances exactly one second per reading."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def test_throughput_counts_the_timed_images_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a clock that ticks once per reading, each timed loop lasts exactly one second, so
    images/s must equal the images of the timed steps: warm-up steps are not counted, and
    inference runs on batches four times larger."""
    monkeypatch.setattr(bench.time, "perf_counter", FakeClock())
    row = bench._throughput_one("speednet", "cpu", batch_size=16, steps=3, threads=1)
    assert row["train_images_per_second"] == 3 * 16
    assert row["inference_images_per_second"] == 3 * 4 * 16


def test_precision_times_every_mode_and_marks_the_one_auto_picks(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every architecture in the four modes; with a clock that ticks once per reading each
    step lasts exactly one second; the mode `auto` picks is the rule's, bold in the table."""
    monkeypatch.setattr(bench.time, "perf_counter", FakeClock())
    monkeypatch.setattr(precision_bench, "list_models", lambda: ["mlp", "convnet_bn"])
    result = precision_bench.precision_modes(torch.device("cpu"), batch_size=8, steps=2)
    auto = precision_bench.choose_precision("cpu", "auto", bench.STUDY.channels_last)
    assert result["auto"] == auto.record()
    assert set(result["cpu_capabilities"]) >= {"avx2", "avx512", "avx512_bf16", "amx"}
    modes = ["float32 contiguous", "float32 channels_last", "bfloat16 contiguous",
             "bfloat16 channels_last"]
    assert [r["architecture"] for r in result["models"]] == ["mlp", "convnet_bn"]
    assert "width" not in result["models"][0] and result["models"][1]["width"] == 16
    for row in result["models"]:
        assert [row[m] for m in modes] == [1000.0] * 4  # milliseconds, the median step
        assert row["auto"] == f"{auto.dtype} {auto.layout}"
    table = precision_bench.precision_table(result).splitlines()
    assert table[0] == "| architecture | " + " | ".join(modes) + " |"
    for line in table[2:]:
        cells = line.strip("|").split("|")[1:]
        assert [c.strip() for c in cells].count("**1000.0**") == 1
        assert cells[modes.index(row["auto"])].strip() == "**1000.0**"


def _hold_memory(megabytes: int, freed_before: int) -> dict[str, float]:
    earlier = np.ones(freed_before * 2**20, dtype=np.uint8)  # a peak before the mark
    assert earlier.sum() == freed_before * 2**20
    del earlier
    start = memory.memory_mark(torch.device("cpu"))
    block = np.ones(megabytes * 2**20, dtype=np.uint8)  # written, so resident
    assert block.sum() == megabytes * 2**20
    return memory.memory_since(torch.device("cpu"), start)


def test_memory_above_start_sees_a_known_allocation() -> None:
    """A fresh process that holds 300 MB must report 300 MB above its start (in MB, not KiB
    or bytes), and not the whole process, which includes PyTorch itself. A peak of 600 MB
    freed before the mark must not count: without the mark's reset this reports 600."""
    memory = bench._in_fresh_process(_hold_memory, 300, 600)
    assert 290 <= memory["memory_above_start_mb"] <= 360
    assert memory["peak_memory_mb"] >= memory["memory_above_start_mb"] + 50


def test_scaling_trains_on_the_sizes_asked(data_dir: Path) -> None:
    result = bench.scaling(data_dir / "train.npz", data_dir / "split.npz",
                           torch.device("cpu"), "speednet", sizes=[100, 400])
    assert [r["n_train"] for r in result["sizes"]] == [100, 400]
    for row in result["sizes"]:
        assert row["images_per_second"] == pytest.approx(row["n_train"] / row["epoch_seconds"])
    assert result["settings"]["max_epochs"] == 1 and result["architecture"] == "speednet"


def test_bench_refuses_missing_data(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="prepare the data first"):
        bench.run_bench("speedrun", tmp_path, tmp_path / "out", torch.device("cpu"), 1)



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
