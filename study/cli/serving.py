"""Commands of the serving stage: export the chosen run to ONNX, and read pictures of
digits with it."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from study.cli.options import add_run_files, run_files
from study.serving import UNCERTAIN_BELOW


def _export_onnx(args: argparse.Namespace) -> None:
    from study.serving.onnx_export import export_onnx

    check = export_onnx(args.best, run_files(args, "model"), args.test, args.out, args.check)
    print(f"exported {check['architecture']} + {check['regularisation']} (seed "
          f"{check['seed']}) to {args.out}: onnxruntime agrees with PyTorch on "
          f"{check['images'] - check['disagreements']} of {check['images']} test images, "
          f"largest logit difference {check['max_logit_difference']:.1e}")


def _predict(args: argparse.Namespace) -> None:
    from study.serving.predict import run

    sys.exit(run(args.images, args.checkpoint, args.json, args.uncertain_below))


def _probability(text: str) -> float:
    """A probability above 0 and at most 1, or a one-line error naming the value."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a probability in (0, 1]")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export-onnx", help="the best run as ONNX, checked by onnxruntime")
    p.add_argument("--best", type=Path, required=True, help="best.json from select-best")
    add_run_files(p, "model")
    p.add_argument("--test", type=Path, required=True, help="test arrays, for the check")
    p.add_argument("--out", type=Path, required=True, help="the .onnx to write")
    p.add_argument("--check", type=Path, required=True, help="the check's figures (JSON)")
    p.set_defaults(func=_export_onnx)

    p = sub.add_parser("predict", help="classify pictures of digits (PNG, JPEG, BMP, GIF, TIFF)",
                       description="Classify pictures of handwritten digits. Each picture is "
                       "cropped to its ink, scaled into 20 x 20 and centred in 28 x 28 as MNIST "
                       "is; dark-on-light or light-on-dark is detected, and paper lit unevenly "
                       "is evened out. A number of several digits side by side is read left "
                       "to right, each digit on its own. Exit code 1 if any picture could not "
                       "be classified.")
    p.add_argument("images", nargs="+", type=Path, metavar="IMAGE", help="the pictures")
    p.add_argument("--checkpoint", type=Path,
                   help="an exported .onnx or a model.pt (default: results/model/best.onnx, "
                   "the study's best model)")
    p.add_argument("--json", action="store_true", help="one JSON object per line and image")
    p.add_argument("--uncertain-below", type=_probability, default=UNCERTAIN_BELOW,
                   metavar="P", help="mark a digit read with a probability below P as "
                   f"uncertain (default {UNCERTAIN_BELOW})")
    p.set_defaults(func=_predict)
