"""Classify pictures of digits with a trained model: `python -m study predict IMAGE...`.

Each picture is made MNIST-like by `study.serving.digit_image` (a number's digits each on
their own, by `study.serving.number_image`), then read by the exported ONNX model
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
from typing import Any

import numpy as np

from study.errors import CheckpointError
from study.numerics import softmax
from study.serving import UNCERTAIN_BELOW
from study.serving.number_image import preprocess_number
from study.serving.picture_file import ImageInputError

DEFAULT_MODEL = Path("results/model/best.onnx")  # the study's best model, exported
TOP = 3

Model = Callable[[np.ndarray], np.ndarray]  # N x 1 x 28 x 28 pixels in [0, 1] -> N x 10 logits


@dataclass(frozen=True)
class Prediction:
    """What a picture was read as: one digit, or a number's digits left to right."""

    file: str
    probabilities: np.ndarray  # one row of the ten digits' probabilities per digit read
    threshold: float = UNCERTAIN_BELOW  # a digit read less surely than this is uncertain

    @property
    def digits(self) -> list[int]:
        return [int(d) for d in self.probabilities.argmax(axis=1)]

    @property
    def number(self) -> str:
        return "".join(map(str, self.digits))

    @property
    def digit(self) -> int:
        """The digit of a picture of one digit (the first of a number's)."""
        return self.digits[0]

    def uncertain(self, position: int = 0) -> bool:
        return bool(self.probabilities[position].max() < self.threshold)

    def top(self, k: int = TOP, position: int = 0) -> list[tuple[int, float]]:
        row = self.probabilities[position]
        order = np.argsort(-row, kind="stable")[:k]
        return [(int(d), float(row[d])) for d in order]

    def _digit_json(self, position: int) -> dict[str, Any]:
        return {"digit": self.digits[position],
                "probability": round(float(self.probabilities[position].max()), 6),
                "top": [{"digit": d, "probability": round(p, 6)}
                        for d, p in self.top(position=position)],
                "uncertain": self.uncertain(position)}

    def as_json(self) -> str:
        if len(self.digits) == 1:
            return json.dumps({"file": self.file, **self._digit_json(0)})
        positions = range(len(self.digits))
        return json.dumps({"file": self.file, "number": self.number,
                           "digits": [self._digit_json(i) for i in positions],
                           "uncertain": any(self.uncertain(i) for i in positions)})

    def as_text(self) -> str:
        if len(self.digits) == 1:
            top = ", ".join(f"{d} {100 * p:.1f}%" for d, p in self.top())
            return f"{self.file}: {self.digit} ({self._sureness(0)}); top {TOP}: {top}"
        each = ", ".join(f"{d} {self._sureness(i)}" for i, d in enumerate(self.digits))
        return f"{self.file}: {self.number} ({each})"

    def _sureness(self, position: int) -> str:
        text = f"{100 * self.probabilities[position].max():.1f}%"
        return f"{text}, uncertain" if self.uncertain(position) else text


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


def predict(files: Sequence[str | Path], model: Model,
            threshold: float = UNCERTAIN_BELOW) -> tuple[list[Prediction], dict[str, str]]:
    """The predictions for the files that could be read, and an error for each other one.

    A picture whose ink splits into pieces a stroke's width or more apart is a number. A
    piece cut into touching digits (at a neck), or pieces closer than that, are read so only
    when the model reads each digit more surely than what it splits as one digit: the
    split proposes, the model decides (a 4 drawn as an L and a bar stays a 4)."""
    errors: dict[str, str] = {}
    readings = []
    for file in files:
        try:
            readings.append((str(file), preprocess_number(file)))
        except ImageInputError as err:
            errors[str(file)] = str(err)
    if not readings:
        return [], errors
    # Every picture, piece and proposed digit in one call of the model.
    images = [image for _, reading in readings
              for image in (reading.whole, *(i for piece, parts in reading.pieces
                                             for i in (piece, *parts)))]
    rows = iter(softmax(model(np.stack(images)[:, None]).astype(np.float64)))
    predictions = []
    for name, reading in readings:
        whole = next(rows)
        chosen = []
        for _, parts in reading.pieces:
            piece = next(rows)
            split = [next(rows) for _ in parts]
            chosen += split if split and _surer(split, piece) else [piece]
        number = len(chosen) > 1 and ((reading.apart and len(reading.pieces) > 1)
                                      or _surer(chosen, whole))
        predictions.append(Prediction(name, np.stack(chosen if number else [whole]),
                                      threshold))
    return predictions, errors


def _surer(split: list[np.ndarray], whole: np.ndarray) -> bool:
    """Whether every digit of a split is read more surely than the whole it was cut from."""
    return min(float(p.max()) for p in split) > float(whole.max())


def run(files: Sequence[str | Path], checkpoint: str | Path | None, as_json: bool,
        threshold: float = UNCERTAIN_BELOW) -> int:
    """Print a line per file, in the order given; 1 if any file could not be classified."""
    predictions, errors = predict(files, load_model(checkpoint), threshold)
    by_file = {p.file: p for p in predictions}
    for file in map(str, files):
        if file in errors:
            print(f"error: {errors[file]}", file=sys.stderr)
            if as_json:
                print(json.dumps({"file": file, "error": errors[file]}))
        else:
            print(by_file[file].as_json() if as_json else by_file[file].as_text())
    return 1 if errors else 0
