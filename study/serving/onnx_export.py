"""The chosen model as ONNX, for `study predict` and the deck's live demo.

The exported graph takes MNIST-like pixels in [0, 1] (N x 1 x 28 x 28, as
`study.serving.digit_image.preprocess` gives them) and returns the ten logits: the study's
normalisation is inside the graph, so no caller needs to know the training split's mean and
std. Before it is published, onnxruntime must give the same predictions as PyTorch on every
test image, with logits within LOGIT_TOLERANCE.

PyTorch's `torch.onnx.export(dynamo=True)` (its maintained exporter, built on onnxscript)
writes the graph; onnxruntime checks it.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from study.data.splits import load_arrays
from study.errors import StudyError
from study.io import atomic_path, write_json
from study.models.checkpoint import load_checkpoint
from study.run_files import RunFiles

INPUT, OUTPUT = "pixels", "logits"
LOGIT_TOLERANCE = 1e-3  # float32 kernels differ between runtimes by ~1e-5 on these logits
BATCH = 1000


class ExportError(StudyError):
    """The exported model does not agree with the PyTorch one."""


class Normalised(nn.Module):
    """The model with the study's normalisation in front: pixels in [0, 1] in, logits out."""

    def __init__(self, model: nn.Module, mean: float, std: float) -> None:
        super().__init__()
        self.model = model
        self.mean, self.std = float(mean), float(std)

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.model((pixels - self.mean) / self.std)


def normalised_model(checkpoint: str | Path) -> tuple[Normalised, dict[str, Any]]:
    """The checkpoint's model in evaluation mode on the CPU, taking pixels in [0, 1]."""
    model, meta = load_checkpoint(checkpoint, "cpu")
    norm = meta.get("normalisation")
    if not norm:
        raise ExportError(f"{checkpoint}: no normalisation recorded; retrain it with "
                          "`python -m study train`")
    return Normalised(model, norm["mean"], norm["std"]).eval(), meta


def export_onnx(best_json: str | Path, files: RunFiles, test_npz: str | Path, out: str | Path,
                check_out: str | Path) -> dict[str, Any]:
    """Export the best run of `best_json` (its checkpoint is in `files`, with every run's) to
    `out` (.onnx), check it against PyTorch on the test images, and write the check's
    figures to `check_out` (JSON)."""
    best = json.loads(Path(best_json).read_text(encoding="utf-8"))
    checkpoint = files.path(best, "model")
    model, meta = normalised_model(checkpoint)
    images, _ = load_arrays(test_npz)
    pixels = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    out = Path(out)
    with atomic_path(out) as tmp:
        opset = _export(model, pixels[:2], tmp, {
            "architecture": meta["architecture"], "regularisation": best["regularisation"],
            "seed": str(best["seed"]), "checkpoint": str(checkpoint),
            "code_version": str(meta.get("code_version", "")),
            "input": "pixels: N x 1 x 28 x 28 float32 in [0, 1], white digit on black, "
                     "MNIST-centred; output: logits of the digits 0-9"})
        check = compare(model, tmp, pixels)
        check.update(opset=opset, architecture=meta["architecture"],
                     regularisation=best["regularisation"], seed=best["seed"],
                     checkpoint=str(checkpoint),
                     size_bytes=tmp.stat().st_size)
        if check["disagreements"] or check["max_logit_difference"] > LOGIT_TOLERANCE:
            raise ExportError(
                f"{out}: onnxruntime disagrees with PyTorch on {check['disagreements']} of "
                f"{check['images']} test images (largest logit difference "
                f"{check['max_logit_difference']:.2e}, tolerance {LOGIT_TOLERANCE:.0e}); "
                "nothing was written")
    write_json(check_out, check)
    return check


def _export(model: nn.Module, example: torch.Tensor, path: Path,
            metadata: dict[str, str]) -> int:
    """Write the ONNX graph of `model` to `path`; its opset."""
    import onnx

    batch = torch.export.Dim("batch", min=1, max=4096)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's notes on its own internals
        program = torch.onnx.export(model, (example,), dynamo=True, input_names=[INPUT],
                                    output_names=[OUTPUT], dynamic_shapes=({0: batch},),
                                    external_data=False, verbose=False)
    proto = program.model_proto
    for key, value in metadata.items():
        proto.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(proto)
    onnx.save_model(proto, str(path))
    return next(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx"))


def compare(model: nn.Module, onnx_path: Path, pixels: torch.Tensor) -> dict[str, Any]:
    """PyTorch against onnxruntime on `pixels`: how many predictions differ and by how
    much the logits do. Both in float32 whatever precision the run trained in: the
    exported graph is float32, and so is what it is checked against. A difference between
    two nearly tied logits is not held against the export."""
    import onnxruntime

    session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    disagreements, largest = 0, 0.0
    with torch.no_grad():
        for start in range(0, len(pixels), BATCH):
            x = pixels[start:start + BATCH]
            expected = model(x).numpy()
            found = session.run([OUTPUT], {INPUT: x.numpy()})[0]
            largest = max(largest, float(np.abs(expected - found).max()))
            top2 = np.sort(expected, axis=1)[:, -2:]
            clear = (top2[:, 1] - top2[:, 0]) > 2 * LOGIT_TOLERANCE
            disagreements += int(((expected.argmax(1) != found.argmax(1)) & clear).sum())
    return {"images": len(pixels), "disagreements": disagreements,
            "max_logit_difference": largest, "tolerance": LOGIT_TOLERANCE,
            "torch": torch.__version__, "onnxruntime": onnxruntime.__version__}

