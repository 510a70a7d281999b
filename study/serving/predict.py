"""Classify pictures of digits with a trained model: `python -m study predict IMAGE...`.

Each picture is made MNIST-like by `study.serving.digit_image`, then read by the exported ONNX model
through onnxruntime (starts in a fraction of a second, no PyTorch), or by a PyTorch
checkpoint (model.pt) when one is given. One bad file is reported and the others are still
classified.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from study.errors import CheckpointError
from study.numerics import softmax
from study.serving.digit_image import ImageInputError, preprocess

DEFAULT_MODEL = Path("results/model/best.onnx")  # the study's best model, exported
TOP = 3

Model = Callable[[np.ndarray], np.ndarray]  # N x 1 x 28 x 28 pixels in [0, 1] -> N x 10 logits


@dataclass(frozen=True)
class Prediction:
    file: str
    probabilities: np.ndarray  # the ten digits'

    @property
    def digit(self) -> int:
        return int(self.probabilities.argmax())

    def top(self, k: int = TOP) -> list[tuple[int, float]]:
        order = np.argsort(-self.probabilities, kind="stable")[:k]
        return [(int(d), float(self.probabilities[d])) for d in order]

    def as_json(self) -> str:
        return json.dumps({"file": self.file, "digit": self.digit,
                           "probability": round(float(self.probabilities.max()), 6),
                           "top": [{"digit": d, "probability": round(p, 6)}
                                   for d, p in self.top()]})

    def as_text(self) -> str:
        top = ", ".join(f"{d} {100 * p:.1f}%" for d, p in self.top())
        return f"{self.file}: {self.digit} ({100 * self.probabilities.max():.1f}%); " \
               f"top {TOP}: {top}"


def load_model(path: str | Path | None = None) -> Model:
    """The model at `path`: an exported .onnx (default: the study's best) or a model.pt."""
    path = Path(path) if path is not None else DEFAULT_MODEL
    if not path.is_file():
        hint = ("run the study first (`snakemake --cores all`) or pass --checkpoint"
                if path == DEFAULT_MODEL else "pass an .onnx exported by the study or a model.pt")
        raise CheckpointError(f"{path}: model not found; {hint}")
    if path.suffix.lower() == ".onnx":
        return _onnx_model(path)
    return _torch_model(path)


def _onnx_model(path: Path) -> Model:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # errors only: the user's terminal is not a log
    try:
        session = onnxruntime.InferenceSession(str(path), options,
                                               providers=["CPUExecutionProvider"])
    except Exception as err:  # onnxruntime raises its own types for every kind of bad file
        raise CheckpointError(f"{path}: not an ONNX model onnxruntime can run "
                              f"({str(err).splitlines()[0][:200]})") from None
    name = session.get_inputs()[0].name
    return lambda pixels: session.run(None, {name: pixels.astype(np.float32)})[0]


def _torch_model(path: Path) -> Model:
    import torch

    from study.serving.onnx_export import normalised_model

    model, _ = normalised_model(path)

    def run(pixels: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return model(torch.from_numpy(pixels.astype(np.float32))).numpy()
    return run


def predict(files: Sequence[str | Path], model: Model) -> tuple[list[Prediction],
                                                                 dict[str, str]]:
    """The predictions for the files that could be read, and an error for each other one."""
    errors: dict[str, str] = {}
    images, names = [], []
    for file in files:
        try:
            images.append(preprocess(file))
            names.append(str(file))
        except ImageInputError as err:
            errors[str(file)] = str(err)
    if not images:
        return [], errors
    probabilities = softmax(model(np.stack(images)[:, None]).astype(np.float64))
    return [Prediction(n, p) for n, p in zip(names, probabilities, strict=True)], errors


def run(files: Sequence[str | Path], checkpoint: str | Path | None, as_json: bool) -> int:
    """Print a line per file, in the order given; 1 if any file could not be classified."""
    predictions, errors = predict(files, load_model(checkpoint))
    by_file = {p.file: p for p in predictions}
    for file in map(str, files):
        if file in errors:
            print(f"error: {errors[file]}", file=sys.stderr)
            if as_json:
                print(json.dumps({"file": file, "error": errors[file]}))
        else:
            print(by_file[file].as_json() if as_json else by_file[file].as_text())
    return 1 if errors else 0
