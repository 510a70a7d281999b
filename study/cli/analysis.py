"""Commands of the analysis stage: what the figures and the findings show, computed once and
written as data (calibration, robustness, embeddings, the inside of the chosen CNN)."""

from __future__ import annotations

import argparse
from pathlib import Path

from study.cli.options import add_run_files, device, device_options, missing_inputs, run_files

# What each analysis needs besides --best, --summaries, --models and --out.
ANALYSIS_INPUTS = {"calibration": ("predictions", "train", "split"),
                   "robustness": ("test",), "embeddings": ("test",),
                   "inside": ("predictions", "test")}


def _analyse(args: argparse.Namespace) -> None:
    missing_inputs(args, ANALYSIS_INPUTS[args.what], f"analyse {args.what}")
    dev = device(args)
    if args.what == "calibration":
        from study.analysis.calibrate import calibrate

        result = calibrate(args.best, run_files(args, "model", "predictions"), args.train,
                           args.split, dev, args.out)
        print(f"temperature {result['temperature']:.3f}: expected calibration error "
              f"{100 * result['ece_before']:.2f}% -> {100 * result['ece_after']:.2f}%")
    elif args.what == "robustness":
        from study.analysis.robustness import robustness

        robustness(args.best, run_files(args, "model"), args.test, args.points, dev, args.out)
    elif args.what == "embeddings":
        from study.analysis.embeddings import embeddings

        embeddings(args.best, run_files(args, "model"), args.test, args.points, dev, args.out)
    else:
        from study.analysis.look_inside import look_inside

        look_inside(args.best, run_files(args, "model", "predictions"), args.test, dev,
                    args.out)
    print(f"written to {args.out}")


def _effects(args: argparse.Namespace) -> None:
    from study.analysis.effects import analyse_effects

    effects = analyse_effects(args.summaries, args.predictions, errors_out=args.errors_out,
                              effects_out=args.effects_out)
    counts = effects.verdict.value_counts()
    print(f"{len(effects)} comparisons with the unregularised runs: "
          + ", ".join(f"{n} {verdict}" for verdict, n in counts.items()))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("effects",
                       help="each configuration's test error and each variant against "
                       "'none', at every training-set size")
    add_run_files(p, "predictions")  # every run of every size
    p.add_argument("--errors-out", type=Path, required=True,
                   help="each configuration's test error with its interval (CSV)")
    p.add_argument("--effects-out", type=Path, required=True,
                   help="each comparison with 'none' (CSV)")
    p.set_defaults(func=_effects)

    p = sub.add_parser("analyse", parents=[device_options()],
                       help="compute what the figures and the findings show")
    p.add_argument("what", choices=list(ANALYSIS_INPUTS), help="the analysis to run")
    p.add_argument("--best", type=Path, required=True, help="best.json of select_best")
    add_run_files(p, "model")
    p.add_argument("--predictions", type=Path, nargs="+",
                   help="predictions.npz of every run, as --summaries")
    p.add_argument("--train", type=Path, help="calibration: training arrays (npz)")
    p.add_argument("--split", type=Path, help="calibration: the split (its validation part)")
    p.add_argument("--test", type=Path, help="test arrays (npz)")
    p.add_argument("--points", type=int, default=2000,
                   help="robustness, embeddings: test images used (stratified)")
    p.add_argument("--out", type=Path, required=True, help="the file to write")
    p.set_defaults(func=_analyse)
