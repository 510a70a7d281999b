"""Commands of the evaluation stage: the choices made on validation, then the test set (one
run, the ensemble)."""

from __future__ import annotations

import argparse
from pathlib import Path

from study.cli.options import (
    add_file_lists,
    add_run_files,
    check_file_lists,
    device,
    device_options,
    run_files,
)


def _select_best(args: argparse.Namespace) -> None:
    from study.evaluation.selection import select_best, select_ensemble

    best = select_best(args.runs, args.out)
    print(f"best on validation: {best['architecture']} + {best['regularisation']} "
          f"(mean validation accuracy {100 * best['variant_val_accuracy']:.2f}%), "
          f"its best run: seed {best['seed']}")
    if args.ensemble_out:
        members = select_ensemble(args.runs, args.ensemble_size, args.ensemble_out)
        print(f"ensemble of the {len(members)} best runs on validation: "
              + ", ".join(f"{m['architecture']} + {m['regularisation']} seed {m['seed']}"
                          for m in members))


def _evaluate(args: argparse.Namespace) -> None:
    from study.evaluation.test_set import evaluate_runs

    check_file_lists(args, len(args.checkpoint), "checkpoint", "metrics_out",
                     "confusion_out", "predictions_out")
    every = evaluate_runs(args.checkpoint, args.test, metrics_out=args.metrics_out,
                          confusion_out=args.confusion_out,
                          predictions_out=args.predictions_out, device=device(args))
    for checkpoint, metrics in zip(args.checkpoint, every, strict=True):
        print(f"{checkpoint}: test accuracy {metrics['test_accuracy']:.4f} "
              f"({metrics['test_errors']} errors)")


def _evaluate_ensemble(args: argparse.Namespace) -> None:
    from study.evaluation.test_set import evaluate_ensemble

    metrics = evaluate_ensemble(args.ensemble, run_files(args, "predictions"),
                                metrics_out=args.metrics_out,
                                predictions_out=args.predictions_out)
    print(f"ensemble test accuracy {metrics['test_accuracy']:.4f} "
          f"({metrics['test_errors']} errors)")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("select-best", help="choose the best run on validation figures alone")
    p.add_argument("--runs", type=Path, nargs="+", required=True, help="train.json of each run")
    p.add_argument("--out", type=Path, required=True, help="best.json to write")
    p.add_argument("--ensemble-size", type=int, default=3,
                   help="the ensemble's members, the best runs on validation")
    p.add_argument("--ensemble-out", type=Path, help="ensemble.json to write")
    p.set_defaults(func=_select_best)

    p = sub.add_parser("evaluate", parents=[device_options()],
                       help="evaluate trained runs on the test set, in one process")
    p.add_argument("--checkpoint", type=Path, nargs="+", required=True,
                   help="each run's model.pt")
    p.add_argument("--test", type=Path, required=True, help="test arrays (npz)")
    add_file_lists(p, "checkpoint", metrics_out="metrics.json to write",
                   confusion_out="confusion matrix (CSV) to write",
                   predictions_out="test probabilities, labels and predictions (npz)")
    p.set_defaults(func=_evaluate)

    p = sub.add_parser("evaluate-ensemble",
                       help="average the test predictions of the ensemble's members")
    p.add_argument("--ensemble", type=Path, required=True, help="ensemble.json")
    add_run_files(p, "predictions")
    p.add_argument("--metrics-out", type=Path, required=True, help="metrics.json to write")
    p.add_argument("--predictions-out", type=Path, required=True,
                   help="the ensemble's test predictions (npz)")
    p.set_defaults(func=_evaluate_ensemble)
