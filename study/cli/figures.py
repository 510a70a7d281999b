"""Commands of the figures stage: each group of figures drawn from the results and the
analyses' data, nothing computed again, in the language asked for."""

from __future__ import annotations

import argparse
from pathlib import Path

from study.cli.options import (
    RUN_FILE_OPTIONS,
    add_outputs,
    add_run_files,
    missing_inputs,
    run_files,
)
from study.reporting.language import languages

# What each group needs besides --outputs.
FIGURE_INPUTS = {"exploration": ("train", "test", "split"),
                 "results": ("runs", "best", "summaries", "histories"),
                 "best": ("best", "summaries", "predictions", "confusions", "test",
                          "calibration"),
                 "inside": ("analysis", "best", "summaries", "models"),
                 "tsne": ("analysis",),
                 "robustness": ("analysis", "best"),
                 "sizes": ("errors", "effects", "summaries", "histories")}


def _figures(args: argparse.Namespace) -> None:
    missing_inputs(args, FIGURE_INPUTS[args.group], f"figures {args.group}")
    from study.figures import inside_figures
    from study.figures import results as figures
    from study.reporting.language import Language

    outputs, lang = dict(args.outputs), Language.load(args.language)
    if args.group == "exploration":
        from study.figures.exploration import exploration_figures

        exploration_figures(args.train, args.test, args.split, outputs, lang)
    elif args.group == "results":
        figures.result_figures(args.runs, args.best, run_files(args, "history"), outputs, lang)
    elif args.group == "best":
        figures.best_model_figures(args.best, run_files(args, "predictions", "confusion"),
                                   args.test, args.calibration, outputs, lang)
    elif args.group == "inside":
        inside_figures.inside_figures(args.analysis, args.best, run_files(args, "model"),
                                      outputs, lang)
    elif args.group == "tsne":
        inside_figures.tsne_figure(args.analysis, outputs["tsne"], lang)
    elif args.group == "robustness":
        inside_figures.robustness_figure(args.analysis, args.best, outputs["figure"], lang)
    else:
        from study.figures.sizes import size_figures

        size_figures(args.errors, args.effects, args.summaries, args.histories, outputs, lang)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("figures", help="draw one group of figures from the analyses' data")
    p.add_argument("group", choices=list(FIGURE_INPUTS), help="the group of figures")
    p.add_argument("--language", default="en", choices=languages(),
                   help="the language of every word and number the figures show")
    p.add_argument("--runs", type=Path, help="runs.csv of the tables")
    add_run_files(p, *RUN_FILE_OPTIONS, required=False)
    p.add_argument("--best", type=Path, help="best.json of select_best")
    p.add_argument("--train", type=Path, help="exploration: training arrays (npz)")
    p.add_argument("--test", type=Path, help="test arrays (npz)")
    p.add_argument("--split", type=Path, help="exploration: the split (npz) of split_data")
    p.add_argument("--calibration", type=Path, help="best: calibration.json of the analysis")
    p.add_argument("--errors", type=Path, help="sizes: errors.csv of the effects analysis")
    p.add_argument("--effects", type=Path, help="sizes: effects.csv of the effects analysis")
    p.add_argument("--analysis", type=Path,
                   help="inside, tsne, robustness: the analysis' inside.npz, embeddings.npz "
                   "or robustness.csv")
    add_outputs(p, "every file the group writes (exploration: samples, balance, means, "
                "intensity, ink and the structure table)")
    p.set_defaults(func=_figures)
