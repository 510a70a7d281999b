"""Benchmarks that prove the trainer's speed: `python -m study bench ...`.

- speedrun:   the study's fastest recipe to 99.0% test accuracy, over many seeds.
- throughput: training and inference images per second, and peak memory, per architecture.
- scaling:    time per epoch and peak memory against the training-set size.
- precision:  one training step of every architecture in float32 and bfloat16, each in the
              contiguous and the channels-last layout, with the mode `auto` picks marked:
              the check of the precision rule on the machine it runs on.

Speedrun recipe (hyper-parameters chosen on the validation split): see SPEEDRUN below.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from study.bench.memory import memory_mark, memory_since
from study.data.splits import load_arrays, load_training_data, to_inputs
from study.errors import DataError
from study.io import write_json
from study.models.registry import create_model, list_models
from study.provenance import code_version, cpu_model, device_name
from study.training.engine import TrainSettings, autocast, predict, sync, train
from study.training.precision import AUTO, Precision, capabilities_record, choose_precision

TARGET = 0.99
SPEEDRUN_ARCH = "speednet"
# Chosen on the validation split (54,000 / 6,000), mean of 4 seeds on the 2-core CPU: the
# fastest setting whose validation accuracy kept a margin above 99.0%. Batch 128: 99.13% in
# 2.6 s; 160: 99.18% in 2.5 s; 192: 99.11% in 2.4 s; 224: 99.08% in 2.3 s.
SPEEDRUN = TrainSettings(
    max_epochs=1, batch_size=192, lr=0.012, weight_decay=5e-4, label_smoothing=0.05,
    schedule="onecycle", patience=1, channels_last=True, bf16=AUTO,
)
STUDY = TrainSettings()  # the study's own settings, measured by throughput
SCALING = dataclasses.replace(STUDY, max_epochs=1, patience=1)
SCALING_SIZES = [1000, 2000, 5000, 10000, 20000, 54000]


def _quiet(_: str) -> None:
    pass


def environment(device: torch.device) -> dict[str, Any]:
    """What a benchmark figure depends on: code, device, CPU model and capabilities (two
    CPUs of one name can differ in them), versions, threads."""
    return {"code_version": code_version(), "device": device_name(device),
            "device_type": device.type, "cpu": cpu_model(),
            "cpu_capabilities": capabilities_record(),
            "torch": str(torch.__version__), "threads": torch.get_num_threads(),
            "python": platform.python_version()}


def speedrun_settings(device: torch.device) -> TrainSettings:
    # torch.compile pays off on CUDA only: its compile time would swamp a 2-second CPU run.
    return dataclasses.replace(SPEEDRUN, compile=device.type == "cuda")


def reinitialise(model: torch.nn.Module, seed: int) -> None:
    """The weights `create_model` would give after torch.manual_seed(seed), in place."""
    torch.manual_seed(seed)
    for module in model.modules():  # construction order, as in the constructors
        if hasattr(module, "reset_parameters"):
            module.reset_parameters()


def speedrun(train_npz: Path, split_npz: Path, test_npz: Path, seeds: int,
             device: torch.device, log: Any = print,
             settings: TrainSettings | None = None) -> dict[str, Any]:
    """`settings` replace the recipe's (a GPU's own batch size and rate, chosen on
    validation); by default, SPEEDRUN's, compiled on CUDA."""
    start = time.perf_counter()
    data, split = load_training_data(train_npz, split_npz, device)
    test_images, test_labels = load_arrays(test_npz)
    test_x = to_inputs(test_images, split.mean, split.std, device)
    test_y = torch.from_numpy(test_labels.astype(np.int64)).to(device)
    sync(device)
    setup_seconds = time.perf_counter() - start
    settings = settings or speedrun_settings(device)

    # One model, re-initialised for every seed: a compiled graph is then reused, not rebuilt.
    model = create_model(SPEEDRUN_ARCH)

    precision = choose_precision(device, settings.bf16, settings.channels_last)

    def run(seed: int) -> tuple[float, float, float]:
        reinitialise(model, seed)
        result = train(model, data, settings, seed=seed, log=_quiet)
        logits = predict(model, test_x, settings.eval_batch_size, precision.bf16)
        accuracy = (logits.argmax(1) == test_y).float().mean().item()
        return result.train_seconds, accuracy, result.history[-1]["val_accuracy"]

    warm_start = time.perf_counter()
    run(10_000)  # warm-up (and compilation on CUDA): not counted
    warmup_seconds = time.perf_counter() - warm_start
    seconds, accuracies, val_accuracies = [], [], []
    for seed in range(seeds):
        t, acc, val = run(seed)
        seconds.append(t)
        accuracies.append(acc)
        val_accuracies.append(val)
        log(f"seed {seed}: {t:.2f} s, test accuracy {100 * acc:.2f}%, "
            f"validation {100 * val:.2f}%")
    return {
        **environment(device), "architecture": SPEEDRUN_ARCH,
        "settings": dataclasses.asdict(settings), **precision.record(), "seeds": seeds,
        "n_train": len(data.train_x), "setup_seconds": setup_seconds,
        "warmup_seconds": warmup_seconds, "train_seconds": seconds,
        "test_accuracy": accuracies, "val_accuracy": val_accuracies,
        "median_train_seconds": statistics.median(seconds),
        "mean_test_accuracy": statistics.fmean(accuracies),
        "std_test_accuracy": statistics.stdev(accuracies) if seeds > 1 else 0.0,
        "fraction_at_target": sum(a >= TARGET for a in accuracies) / seeds,
        "target": TARGET,
    }


def _throughput_one(name: str, device_str: str, batch_size: int, steps: int,
                    threads: int) -> dict[str, Any]:
    """Runs in a fresh process so that the CPU peak memory is this model's alone."""
    torch.set_num_threads(threads)
    device = torch.device(device_str)
    start_mb = memory_mark(device)
    precision = choose_precision(device, STUDY.bf16, STUDY.channels_last)
    model, x, step = _training_step(create_model(name), device, batch_size, precision)
    model.train()
    train_seconds = _timed(step, steps, device)
    model.eval()
    big = x.repeat(4, 1, 1, 1)  # inference batches are larger: no gradients to keep
    infer_seconds = _timed(lambda: predict(model, big, len(big), precision.bf16), steps,
                           device)
    return {"architecture": name, "batch_size": batch_size,
            "train_images_per_second": steps * batch_size / train_seconds,
            "inference_images_per_second": steps * len(big) / infer_seconds,
            **memory_since(device, start_mb)}


def _training_step(model: torch.nn.Module, device: torch.device, batch_size: int,
                   precision: Precision) -> tuple[torch.nn.Module, torch.Tensor, Any]:
    """The model and a batch on `device` in `precision`'s layout, and one AdamW step of the
    study's engine on them (autocast as `precision` says), to time."""
    torch.manual_seed(0)
    model = model.to(device=device, memory_format=precision.memory_format)
    x = torch.randn(batch_size, 1, 28, 28, device=device).contiguous(
        memory_format=precision.memory_format)
    y = torch.randint(0, 10, (batch_size,), device=device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, fused=True)

    def step() -> None:
        with autocast(device, precision.bf16):
            loss = F.cross_entropy(model(x).float(), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return model, x, step


def _timed(fn: Any, n: int, device: torch.device) -> float:
    """Seconds that `n` calls of `fn` take, after a warm-up."""
    for _ in range(max(2, n // 5)):
        fn()
    sync(device)
    start = time.perf_counter()
    for _ in range(n):
        fn()
    sync(device)
    return time.perf_counter() - start


def _in_fresh_process(fn: Any, *args: Any) -> Any:
    """Run fn(*args) in a new process: its peak memory is then that measurement's alone."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(fn, args)


def throughput(device: torch.device, batch_size: int, steps: int) -> dict[str, Any]:
    rows = [_in_fresh_process(_throughput_one, name, str(device), batch_size, steps,
                              torch.get_num_threads()) for name in list_models()]
    precision = choose_precision(device, STUDY.bf16, STUDY.channels_last)
    return {**environment(device), **precision.record(), "models": rows}


def _scaling_one(train_npz: Path, split_npz: Path, device_str: str, architecture: str,
                 size: int, threads: int) -> dict[str, Any]:
    torch.set_num_threads(threads)
    device = torch.device(device_str)
    start_mb = memory_mark(device)
    # Only `size` training images go to the device, so memory follows the size.
    data, _ = load_training_data(train_npz, split_npz, device, max_train=size, max_val=1000)
    torch.manual_seed(0)
    result = train(create_model(architecture), data, SCALING, seed=0, log=_quiet)
    n = len(data.train_x)
    return {"n_train": n, "epoch_seconds": result.train_seconds,
            "images_per_second": n / result.train_seconds, **memory_since(device, start_mb)}


def scaling(train_npz: Path, split_npz: Path, device: torch.device, architecture: str,
            sizes: list[int]) -> dict[str, Any]:
    rows = [_in_fresh_process(_scaling_one, train_npz, split_npz, str(device), architecture,
                              size, torch.get_num_threads()) for size in sizes]
    return {**environment(device), "architecture": architecture,
            "settings": dataclasses.asdict(SCALING), "sizes": rows}


def run_bench(which: str, data_dir: Path, out_dir: Path, device: torch.device,
              seeds: int) -> None:
    """Run `which` benchmark (or all) on `device` and write its JSON into `out_dir`."""
    train_npz, split_npz, test_npz = (data_dir / f for f in ("train.npz", "split.npz",
                                                             "test.npz"))
    missing = [str(p) for p in (train_npz, split_npz, test_npz) if not p.exists()]
    if missing:
        raise DataError(
            f"missing {', '.join(missing)}: prepare the data first with "
            "`snakemake --cores all results/data/split.npz results/data/test.npz`"
        )
    summary = []
    if which in ("speedrun", "all"):
        result = speedrun(train_npz, split_npz, test_npz, seeds, device)
        write_json(out_dir / "speedrun.json", result)
        summary.append(
            f"speedrun: median {result['median_train_seconds']:.2f} s, mean test accuracy "
            f"{100 * result['mean_test_accuracy']:.2f}%, "
            f"{round(result['fraction_at_target'] * seeds)}/{seeds} seeds >= 99.0%")
    if which in ("throughput", "all"):
        result = throughput(device, STUDY.batch_size, steps=30 if device.type == "cpu" else 200)
        write_json(out_dir / "throughput.json", result)
        best = max(result["models"], key=lambda r: r["train_images_per_second"])
        summary.append(f"throughput: fastest {best['architecture']} "
                       f"{best['train_images_per_second']:,.0f} img/s training")
    if which in ("precision", "all"):
        from study.bench.precision_modes import precision_modes, precision_table

        result = precision_modes(device, STUDY.batch_size,
                                 steps=10 if device.type == "cpu" else 50)
        write_json(out_dir / "precision.json", result)
        print(f"milliseconds per training step (batch {result['batch_size']}, median of "
              f"{result['steps']}; bold: what auto picks, "
              f"{result['auto']['precision_reason']}):")
        print(precision_table(result), end="")
        slower = [r["architecture"] for r in result["models"] if r["auto"] != r["fastest"]]
        summary.append(f"precision: auto picks {result['models'][0]['auto']}"
                       + (f"; another mode is faster for {', '.join(slower)}" if slower
                          else ", the fastest mode of every architecture"))
    if which in ("scaling", "all"):
        result = scaling(train_npz, split_npz, device, "convnet_bn", SCALING_SIZES)
        write_json(out_dir / "scaling.json", result)
        last = result["sizes"][-1]
        summary.append(f"scaling: convnet_bn epoch on {last['n_train']:,} images "
                       f"{last['epoch_seconds']:.1f} s")
    print(f"[{device_name(device)}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, code {code_version()}] " + "; ".join(summary))
