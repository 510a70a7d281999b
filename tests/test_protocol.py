"""The protocol: the best run is chosen on validation alone, and the DAG enforces it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from study.evaluation.selection import has_convolution, select_best, select_ensemble
from study.io import read_json, save_npz, write_json

REPO = Path(__file__).resolve().parents[1]
TEST_FILE = "results/data/test.npz"


def make_runs(root: Path) -> list[Path]:
    """Run folders as the workflow leaves them. lenet5 wins on validation, mlp on test."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 500)
    summaries = []
    for arch, val, test in [("mlp", 0.980, 0.995), ("lenet5", 0.990, 0.985)]:
        for seed in (0, 1):
            folder = root / arch / "none" / f"seed{seed}"
            write_json(folder / "train.json", {
                "architecture": arch, "regularisation": "none", "seed": seed,
                "val_accuracy": val + seed * 1e-3, "val_loss": 0.1})
            predicted = np.where(rng.random(500) < test, labels, (labels + 1) % 10)
            save_npz(folder / "predictions.npz", labels=labels, predicted=predicted,
                     probabilities=np.eye(10, dtype=np.float32)[predicted])
            write_json(folder / "metrics.json", {"test_accuracy": test})
            summaries.append(folder / "train.json")
    return summaries


def test_best_is_chosen_on_validation_not_test(tmp_path: Path) -> None:
    best = select_best(make_runs(tmp_path / "runs"), tmp_path / "best.json")
    assert (best["architecture"], best["seed"]) == ("lenet5", 1)  # the better seed of it
    assert best["cnn"] == {"architecture": "lenet5", "regularisation": "none", "seed": 1}
    assert read_json(tmp_path / "best.json") == best


def test_choice_is_the_same_when_every_test_prediction_is_shuffled(tmp_path: Path) -> None:
    """Scrambling every run's test predictions and metrics changes neither choice, made by
    the functions or by the command the workflow runs."""
    summaries = make_runs(tmp_path / "runs")
    before = select_best(summaries, tmp_path / "before.json")
    members = select_ensemble(summaries, 3, tmp_path / "ensemble-before.json")
    rng = np.random.default_rng(1)
    for summary in summaries:  # scramble what every run predicted on the test images
        folder = summary.parent
        with np.load(folder / "predictions.npz") as f:
            arrays = {name: rng.permutation(f[name]) for name in f.files}
        save_npz(folder / "predictions.npz", **arrays)
        write_json(folder / "metrics.json", {"test_accuracy": float(rng.random())})
    assert select_best(summaries, tmp_path / "after.json") == before
    assert select_ensemble(summaries, 3, tmp_path / "ensemble-after.json") == members
    subprocess.run([sys.executable, "-m", "study", "select-best", "--runs", *map(str, summaries),
                    "--out", str(tmp_path / "cli.json"), "--ensemble-size", "3",
                    "--ensemble-out", str(tmp_path / "cli-ensemble.json")],
                   check=True, cwd=REPO, capture_output=True)
    assert read_json(tmp_path / "cli.json") == before
    assert read_json(tmp_path / "cli-ensemble.json") == {"size": 3, "members": members}


def test_ensemble_members_are_the_best_on_validation(tmp_path: Path) -> None:
    members = select_ensemble(make_runs(tmp_path / "runs"), 3, tmp_path / "ensemble.json")
    assert [(m["architecture"], m["seed"]) for m in members] == [
        ("lenet5", 1), ("lenet5", 0), ("mlp", 1)]  # by validation; mlp wins on test
    assert read_json(tmp_path / "ensemble.json") == {"size": 3, "members": members}


def test_ties_on_mean_validation_accuracy_go_to_the_lower_loss(tmp_path: Path) -> None:
    summaries = []
    for arch, loss in [("mlp", 0.05), ("lenet5", 0.04)]:
        path = tmp_path / arch / "train.json"
        write_json(path, {"architecture": arch, "regularisation": "none", "seed": 0,
                          "val_accuracy": 0.99, "val_loss": loss})
        summaries.append(path)
    assert select_best(summaries, tmp_path / "best.json")["architecture"] == "lenet5"


def test_filters_come_from_a_network_with_convolutions() -> None:
    assert not has_convolution("mlp")
    assert has_convolution("lenet5") and has_convolution("convnet_bn")


def dry_run_jobs(workdir: Path) -> list[dict[str, object]]:
    """Every job of the smoke study's DAG with its rule, inputs and outputs (snakemake -n)."""
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-n", "--cores", "1",
         "--configfile", str(REPO / "config" / "smoke.yaml"), "--directory", str(workdir)],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    jobs = []
    for block in re.split(r"\n(?=rule \w+:)", result.stdout):
        rule = re.match(r"rule (\w+):", block)
        if not rule:
            continue
        fields = dict(re.findall(r"^\s+(input|output): (.*)$", block, re.MULTILINE))
        jobs.append({"rule": rule.group(1),
                     **{k: [f for f in fields.get(k, "").split(", ") if f]
                        for k in ("input", "output")}})
    return jobs


def test_dag_keeps_the_test_images_out_of_training_and_selection(tmp_path: Path) -> None:
    """What the README promises: no search, training or selection rule has the test file,
    or any file computed from it, as an input."""
    jobs = dry_run_jobs(tmp_path)
    rules = {job["rule"] for job in jobs}
    assert {"search", "train", "select_best", "evaluate", "evaluate_ensemble",
            "tables"} <= rules
    # Every file computed, at any distance, from the test images.
    tainted = {TEST_FILE}
    changed = True
    while changed:
        changed = False
        for job in jobs:
            if tainted & set(job["input"]) and not set(job["output"]) <= tainted:
                tainted |= set(job["output"])
                changed = True
    for job in jobs:
        if job["rule"] in ("split_data", "search", "train", "select_best"):
            assert not tainted & set(job["input"]), (job["rule"], tainted & set(job["input"]))
    # Every run of an architecture takes the values its search chose on validation.
    for job in jobs:
        if job["rule"] == "train":
            arch = job["output"][0].split("/")[2]
            assert f"results/search/{arch}/chosen.json" in job["input"], job
    select = next(job for job in jobs if job["rule"] == "select_best")
    assert all(path.endswith("/train.json") for path in select["input"])
    # The rules that read test predictions take the choice as given.
    for job in jobs:
        if job["rule"] in ("tables", "best_model_figures"):
            assert "results/selection/best.json" in job["input"]
        if job["rule"] == "evaluate_ensemble":
            assert "results/selection/ensemble.json" in job["input"]
    assert not {"results/selection/best.json", "results/selection/ensemble.json"} & tainted
