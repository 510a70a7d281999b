"""The GPU check: what the study does on one CUDA GPU, measured in a few minutes.

    PYTHONPATH=. python scripts/gpu_check.py --data results/data --out results/gpu --minutes 8

Needs PyTorch and numpy only (no Snakemake, no Optuna), and the prepared data
(`results/data/{train,split,test}.npz`). Every part writes its JSON as soon as it is done;
a part that would run past `--minutes` is cut short and says so.

1. speedrun.json: the speedrun with the GPU's own batch size and peak learning rate, chosen
   on the validation split (eager runs, 3 seeds each), then timed compiled over 20 seeds.
2. full_timing.json: seconds per epoch of every architecture at config/full.yaml's widths,
   plain and augmented, and the full study's training time estimated from them.
3. sizing.json: validation accuracy of deotte_cnn at width 16 after 3-6 epochs, the data for
   sizing the CPU default study (validation only).
4. accuracy.json: the strongest recipe (deotte_cnn w32, every regularisation, 24 epochs)
   with and without elastic distortion, 5 seeds each on the 54,000/6,000 split; the one with
   the better mean validation accuracy is then the only one evaluated on the test set (mean
   and the ensemble of its 5 runs), and is retrained on all 60,000 training images for the
   same number of epochs over 15 seeds (last epoch kept: there is no validation left),
   ensembled the same way.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from study.bench.benchmarks import SPEEDRUN, TARGET, environment, reinitialise, speedrun
from study.data.splits import DeviceData, load_arrays, load_training_data, to_inputs
from study.models.registry import create_model
from study.training.engine import TrainSettings, predict, sync, train

START = time.monotonic()
# --quick: the same code on the CPU with a few hundred images and one epoch, to check the
# script in a minute before spending GPU time on it.
QUICK = {"on": False, "images": 2000}
FULL_WIDTHS = {"convnet_bn": 32, "resnet_small": 32, "deotte_cnn": 32}
FULL = TrainSettings(max_epochs=20, patience=20, lr=2e-3)
# config/accuracy.yaml's recipe.
RECIPE = TrainSettings(max_epochs=24, patience=24, lr=2e-3, dropout=0.3, weight_decay=5e-4,
                       augment=True, label_smoothing=0.1)
ELASTIC = dataclasses.replace(RECIPE, elastic_alpha=34.0, elastic_sigma=4.0)


def elapsed() -> float:
    return time.monotonic() - START


def write(out: Path, name: str, result: dict[str, Any]) -> None:
    path = out / name
    path.with_suffix(".tmp").write_text(json.dumps(result, indent=1))
    path.with_suffix(".tmp").replace(path)
    print(f"[{elapsed():5.0f} s] wrote {name}", flush=True)


def quiet(_: str) -> None:
    pass


# --- 1. speedrun -------------------------------------------------------------------------

def speedrun_part(data_dir: Path, out: Path, device: torch.device) -> None:
    files = [data_dir / f for f in ("train.npz", "split.npz", "test.npz")]
    data, _ = load_training_data(files[0], files[1], device, **_limit())
    model = create_model("speednet")
    candidates = []
    # Larger batches mean fewer steps, which is what a launch-bound GPU run pays for; the
    # peak rate grows with the batch. Eager runs: compilation does not change the result.
    grid = ((192, (0.012,)), (256, (0.012, 0.016)), (384, (0.016, 0.022)),
            (512, (0.02, 0.028)), (768, (0.024, 0.034)))
    for batch, lrs in grid[:2] if QUICK["on"] else grid:
        for lr in lrs:
            settings = dataclasses.replace(SPEEDRUN, batch_size=batch, lr=lr, compile=False)
            vals, secs = [], []
            for seed in (100, 101, 102):  # not the seeds timed below
                reinitialise(model, seed)
                result = train(model, data, settings, seed=seed, log=quiet)
                vals.append(result.history[-1]["val_accuracy"])
                secs.append(result.train_seconds)
            row = {"batch_size": batch, "lr": lr, "mean_val_accuracy": statistics.fmean(vals),
                   "min_val_accuracy": min(vals), "eager_seconds": statistics.median(secs)}
            candidates.append(row)
            print(f"  speedrun candidate {row}", flush=True)
    timed_speedrun(files, out, device, choose(candidates), candidates)


def choose(candidates: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest whose mean validation accuracy reaches the target; else the most
    accurate."""
    good = [c for c in candidates if c["mean_val_accuracy"] >= TARGET]
    return (min(good, key=lambda c: c["eager_seconds"]) if good
            else max(candidates, key=lambda c: c["mean_val_accuracy"]))


def timed_speedrun(files: list[Path], out: Path, device: torch.device,
                   chosen: dict[str, Any], candidates: list[dict[str, Any]]) -> None:
    settings = dataclasses.replace(SPEEDRUN, batch_size=chosen["batch_size"], lr=chosen["lr"],
                                   compile=True)
    if QUICK["on"]:
        settings = dataclasses.replace(settings, compile=False)
    if device.type == "cuda":
        # CUDA graphs: one launch replays a step's kernels, where the per-kernel launch cost
        # (not the arithmetic) is what a small network's step pays on a GPU.
        import torch._inductor.config as inductor_config
        inductor_config.triton.cudagraphs = True
    result = speedrun(*files, seeds=2 if QUICK["on"] else 20, device=device, settings=settings,
                      log=lambda m: print("  " + m, flush=True))
    result["candidates"] = candidates
    result["chosen_on_validation"] = chosen
    result["cuda_graphs"] = device.type == "cuda"
    write(out, "speedrun.json", result)


# --- 2. timing of the full study -----------------------------------------------------------

def timing_part(data_dir: Path, out: Path, device: torch.device) -> None:
    data, _ = load_training_data(data_dir / "train.npz", data_dir / "split.npz", device,
                                 **_limit())
    rows = []
    for arch in ("mlp", "lenet5", "convnet_bn", "resnet_small", "deotte_cnn"):
        options = {"width": FULL_WIDTHS[arch]} if arch in FULL_WIDTHS else {}
        for augment in (False, True):
            settings = dataclasses.replace(FULL, max_epochs=3, patience=3, augment=augment)
            torch.manual_seed(0)
            model = create_model(arch, **options)
            result = train(model, data, settings, seed=0, log=quiet)
            # The first epoch pays cuDNN's algorithm search: the later ones are the rate.
            per_epoch = statistics.fmean(h["seconds"] for h in result.history[1:])
            rows.append({"architecture": arch, "augment": augment, "epoch_seconds": per_epoch})
            print(f"  {arch:13s} augment={augment!s:5s} {per_epoch:.2f} s/epoch", flush=True)
    # config/full.yaml: 6 variants (augment and combined augmented) x 5 seeds x 20 epochs.
    epochs = FULL.max_epochs * 5
    per_arch = {}
    for arch in {r["architecture"] for r in rows}:
        plain, aug = (next(r["epoch_seconds"] for r in rows
                           if r["architecture"] == arch and r["augment"] is a)
                      for a in (False, True))
        per_arch[arch] = epochs * (4 * plain + 2 * aug)
    write(out, "full_timing.json", {
        **environment(device), "rows": rows, "per_architecture_seconds": per_arch,
        "training_seconds_estimate": sum(per_arch.values()),
        "how": "measured seconds per epoch (epochs 2-3 of 3) x 20 epochs x 5 seeds x "
               "(4 plain + 2 augmented variants), one run at a time, without the search"})


# --- 3 and 4: many runs, several processes sharing the GPU ----------------------------------

_CACHE: dict[str, Any] = {}


def _limit() -> dict[str, int]:
    return {"max_train": QUICK["images"], "max_val": QUICK["images"]} if QUICK["on"] else {}


def _data(data_dir: str, device: str, all_images: bool, limit: dict[str, int]
          ) -> DeviceData:
    key = f"{data_dir}:{all_images}"
    if key not in _CACHE:
        data, _ = load_training_data(Path(data_dir) / "train.npz",
                                     Path(data_dir) / "split.npz", device, **limit)
        if all_images:  # the 60,000: validation images join the training ones
            data = DeviceData(torch.cat([data.train_x, data.val_x]),
                              torch.cat([data.train_y, data.val_y]), data.val_x, data.val_y)
        _CACHE[key] = data
    return _CACHE[key]


def _worker_threads(threads: int) -> None:
    # Workers that each take every core fight over them (OpenMP spins): share them out.
    torch.set_num_threads(threads)


def one_run(job: dict[str, Any]) -> dict[str, Any]:
    if time.time() > job["deadline"]:
        return {**job, "skipped": True}
    settings = TrainSettings(**job["settings"])
    data = _data(job["data_dir"], job["device"], job.get("all_images", False), job["limit"])
    torch.manual_seed(job["seed"])
    model = create_model(job["architecture"], dropout=settings.dropout, width=job["width"])
    last: dict[str, torch.Tensor] = {}

    def keep_last(record: dict[str, float]) -> None:
        if record["epoch"] == settings.max_epochs:
            last.update({k: v.detach().cpu().clone() for k, v in model.state_dict().items()})

    start = time.time()
    result = train(model, data, settings, seed=job["seed"], log=quiet, on_epoch=keep_last)
    best = result.history[result.best_epoch - 1]
    state = last if job.get("all_images") else {k: v.cpu() for k, v in
                                                  result.best_state.items()}
    return {**job, "skipped": False, "val_accuracy": best["val_accuracy"],
            "best_epoch": result.best_epoch, "epochs": len(result.history),
            "history_val": [h["val_accuracy"] for h in result.history],
            "train_seconds": result.train_seconds, "wall_seconds": time.time() - start,
            "state": state}


def test_accuracies(runs: list[dict[str, Any]], data_dir: Path,
                       device: torch.device) -> tuple[list[float], float]:
    """Each run's test accuracy and the accuracy of their averaged softmax outputs."""
    _, split = load_training_data(data_dir / "train.npz", data_dir / "split.npz", "cpu",
                                  max_train=1, max_val=1)  # the normalisation only
    images, labels = load_arrays(data_dir / "test.npz")
    x = to_inputs(images, split.mean, split.std, device).contiguous(
        memory_format=torch.channels_last)
    y = torch.from_numpy(labels.astype(np.int64)).to(device)
    accuracies, total = [], torch.zeros(len(y), 10, device=device)
    for run in runs:
        model = create_model(run["architecture"], dropout=0.3, width=run["width"])
        model.load_state_dict(run["state"])
        model = model.to(device, memory_format=torch.channels_last)
        probs = predict(model, x, 2000, bf16=True).softmax(1)
        accuracies.append((probs.argmax(1) == y).float().mean().item())
        total += probs
    return accuracies, (total.argmax(1) == y).float().mean().item()


def summary(values: list[float]) -> dict[str, float]:
    return {"mean": statistics.fmean(values),
            "std": statistics.stdev(values) if len(values) > 1 else 0.0, "n": len(values)}


def retrain_jobs(base: dict[str, Any], name: str, settings: TrainSettings, deadline: float
                 ) -> list[dict[str, Any]]:
    return [{**base, "part": "retrain", "recipe": name, "seed": 100 + seed, "width": 32,
             "all_images": True, "deadline": deadline,
             "settings": dataclasses.asdict(settings)}
            for seed in range(2 if QUICK["on"] else 15)]


def retrain_part(data_dir: Path, out: Path, device: torch.device, workers: int,
                 deadline: float, recipe: str) -> None:
    """Only the retraining on all 60,000 images, of a recipe an earlier run chose."""
    base = {"data_dir": str(data_dir), "architecture": "deotte_cnn", "device": str(device),
            "limit": _limit()}
    settings = {"combined": RECIPE, "combined_elastic": ELASTIC}[recipe]
    if QUICK["on"]:
        settings = dataclasses.replace(settings, max_epochs=1, patience=1)
    threads = max(1, (multiprocessing.cpu_count() - 1) // workers)
    start = time.time()
    with multiprocessing.get_context("spawn").Pool(
            workers, initializer=_worker_threads, initargs=(threads,)) as pool:
        runs = [r for r in pool.map(one_run, retrain_jobs(base, recipe, settings, deadline),
                                    chunksize=1) if not r["skipped"]]
    wall = time.time() - start
    accuracies, ensemble = test_accuracies(runs, data_dir, device)
    write(out, "retrain.json", {
        **environment(device), "workers": workers, "pool_wall_seconds": wall,
        "recipe": recipe, "settings": dataclasses.asdict(settings),
        "all_60k": {"test_accuracy": accuracies, **summary(accuracies),
                    "ensemble_size": len(runs), "ensemble_test_accuracy": ensemble,
                    "seeds": [r["seed"] for r in runs],
                    "train_seconds": [r["train_seconds"] for r in runs]}})


def pool_part(data_dir: Path, out: Path, device: torch.device, workers: int,
              deadline: float) -> None:
    base = {"data_dir": str(data_dir), "deadline": deadline, "architecture": "deotte_cnn",
            "device": str(device), "limit": _limit()}
    recipes = {"combined": RECIPE, "combined_elastic": ELASTIC}
    if QUICK["on"]:
        recipes = {k: dataclasses.replace(v, max_epochs=1, patience=1)
                   for k, v in recipes.items()}
    seeds, epoch_counts = (2, (1,)) if QUICK["on"] else (5, (3, 4, 5, 6))
    choice_jobs = [{**base, "part": "choice", "recipe": name, "seed": seed, "width": 32,
                    "settings": dataclasses.asdict(s)}
                   for seed in range(seeds) for name, s in recipes.items()]
    sizing_jobs = [{**base, "part": "sizing", "seed": seed, "width": 16, "epochs": epochs,
                    "augment": augment,
                    "settings": dataclasses.asdict(dataclasses.replace(
                        FULL, max_epochs=epochs, patience=epochs, lr=2.5e-3, augment=augment))}
                   for epochs in epoch_counts for augment in (False, True) for seed in (0, 1)]
    context = multiprocessing.get_context("spawn")
    start = time.time()
    threads = max(1, (multiprocessing.cpu_count() - 1) // workers)
    with context.Pool(workers, initializer=_worker_threads, initargs=(threads,)) as pool:
        choice = pool.map_async(one_run, choice_jobs, chunksize=1)
        sizing = pool.map_async(one_run, sizing_jobs, chunksize=1)
        choice_runs = choice.get()
        print(f"[{elapsed():5.0f} s] recipe choice done", flush=True)
        done = [r for r in choice_runs if not r["skipped"]]
        means = {name: statistics.fmean([r["val_accuracy"] for r in done if r["recipe"] == name]
                                        or [0.0]) for name in recipes}
        chosen = max(means, key=lambda k: means[k])
        # A retraining run takes about as long as a choice run: none starts that could not
        # end before the deadline.
        took = max((r["wall_seconds"] for r in done), default=0.0)
        retrain = pool.map_async(
            one_run, retrain_jobs(base, chosen, recipes[chosen], deadline - 1.2 * took),
            chunksize=1)
        sizing_runs = sizing.get()
        write(out, "sizing.json", {**environment(device), "runs": [
            {k: v for k, v in r.items() if k not in ("state", "deadline")}
            for r in sizing_runs]})
        retrain_runs = [r for r in retrain.get() if not r["skipped"]]
    wall = time.time() - start
    chosen_runs = [r for r in done if r["recipe"] == chosen]
    accuracies, ensemble = test_accuracies(chosen_runs, data_dir, device)
    result: dict[str, Any] = {
        **environment(device), "workers": workers, "pool_wall_seconds": wall,
        "validation_means": means, "chosen_on_validation": chosen,
        "choice_runs": [{k: v for k, v in r.items() if k not in ("state", "deadline")}
                        for r in choice_runs],
        "split_54k": {"test_accuracy": accuracies, **summary(accuracies),
                      "ensemble_size": len(chosen_runs), "ensemble_test_accuracy": ensemble},
    }
    if retrain_runs:
        accuracies, ensemble = test_accuracies(retrain_runs, data_dir, device)
        result["all_60k"] = {"test_accuracy": accuracies, **summary(accuracies),
                             "ensemble_size": len(retrain_runs),
                             "ensemble_test_accuracy": ensemble,
                             "train_seconds": [r["train_seconds"] for r in retrain_runs]}
    write(out, "accuracy.json", result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("results/data"))
    parser.add_argument("--out", type=Path, default=Path("results/gpu"))
    parser.add_argument("--minutes", type=float, default=8.0)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--parts", default="speedrun,timing,pool",
                        help="any of speedrun, timing, pool, retrain")
    parser.add_argument("--candidates", type=Path,
                        help="an earlier speedrun.json: choose from its validation "
                             "candidates instead of running them again")
    parser.add_argument("--recipe", default="combined",
                        help="the recipe `retrain` trains on all images (an earlier choice)")
    parser.add_argument("--quick", action="store_true",
                        help="check the script on the CPU in a minute (tiny runs)")
    args = parser.parse_args()
    QUICK["on"] = args.quick
    if not torch.cuda.is_available() and not args.quick:
        sys.exit("gpu_check: no CUDA GPU here; this script measures a GPU (--quick: CPU)")
    args.out.mkdir(parents=True, exist_ok=True)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.backends.cudnn.benchmark = True
    deadline = time.time() + 60 * args.minutes - 45  # leaves the test evaluation its time
    print(json.dumps(environment(device)), flush=True)
    parts = args.parts.split(",")
    if "speedrun" in parts and args.candidates:
        candidates = json.loads(args.candidates.read_text())["candidates"]
        files = [args.data / f for f in ("train.npz", "split.npz", "test.npz")]
        timed_speedrun(files, args.out, device, choose(candidates), candidates)
    elif "speedrun" in parts:
        speedrun_part(args.data, args.out, device)
    if "timing" in parts:
        timing_part(args.data, args.out, device)
    sync(device)
    torch.cuda.empty_cache()
    if "pool" in parts:
        pool_part(args.data, args.out, device, args.workers, deadline)
    if "retrain" in parts:
        retrain_part(args.data, args.out, device, args.workers, deadline, args.recipe)
    print(f"[{elapsed():5.0f} s] done", flush=True)


if __name__ == "__main__":
    main()
