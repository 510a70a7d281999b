"""Commands of the reporting stage: the tables and the documents' variables, the findings,
the reproducibility appendix and the effective configuration."""

from __future__ import annotations

import argparse
from pathlib import Path

from study.cli.options import add_outputs, add_run_files, json_object, run_files


def _tables(args: argparse.Namespace) -> None:
    from study.reporting.write_tables import write_tables

    variables = write_tables(run_files(args, "metrics", "predictions"), args.best,
                             args.ensemble, args.architectures,
                             json_object(args.variants, "--variants"), args.max_epochs,
                             args.split, dict(args.outputs), args.errors, args.effects,
                             json_object(args.sizes, "--sizes"), args.searches, args.command)
    print(f"best on validation: {variables['best']['variant']}, "
          f"mean test accuracy {variables['best']['test_accuracy']}")


def _findings(args: argparse.Namespace) -> None:
    from study.reporting.findings import write_findings

    write_findings(args.runs, run_files(args, "predictions"), args.best, args.ensemble,
                   args.calibration, args.robustness, args.regularisations, args.out,
                   args.effects, args.language, args.searched)
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


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tables", help="tables and report variables over every run")
    add_run_files(p, "metrics", "predictions")
    p.add_argument("--best", type=Path, required=True, help="best.json from select-best")
    p.add_argument("--ensemble", type=Path, required=True,
                   help="the ensemble's metrics.json from evaluate-ensemble")
    p.add_argument("--architectures", nargs="+", required=True, help="in the tables' order")
    p.add_argument("--variants", required=True,
                   help="JSON: each variant, in the tables' order, with the settings it changes")
    p.add_argument("--max-epochs", type=int, required=True,
                   help="the largest epoch budget of any run, as the documents quote it")
    p.add_argument("--split", type=Path, required=True, help="the split (npz)")
    p.add_argument("--errors", type=Path, required=True,
                   help="errors.csv of the analysis: each configuration's error and interval")
    p.add_argument("--effects", type=Path, required=True,
                   help="effects.csv of the analysis: each variant against 'none', every size")
    p.add_argument("--sizes", required=True,
                   help='JSON: the smaller training sets\' seeds and epochs, {"seeds": n, '
                   '"epochs": {size: [epochs, ...]}}')
    p.add_argument("--command", default="snakemake --cores all",
                   help="the command that runs the study again, as the documents quote it")
    p.add_argument("--searches", type=Path, nargs="*", default=[],
                   help="chosen.json of each architecture's search")
    add_outputs(p, "every table and of variables.yml")
    p.set_defaults(func=_tables)

    p = sub.add_parser("findings", help="what the results mean: findings.yml, worded")
    p.add_argument("--runs", type=Path, required=True, help="runs.csv of the tables")
    add_run_files(p, "predictions")
    p.add_argument("--best", type=Path, required=True, help="best.json from select-best")
    p.add_argument("--ensemble", type=Path, required=True, help="the ensemble's metrics.json")
    p.add_argument("--calibration", type=Path, required=True,
                   help="calibration.json of the analysis")
    p.add_argument("--robustness", type=Path,
                   help="robustness.csv of the analysis (left out if not computed)")
    p.add_argument("--regularisations", nargs="+", required=True, help="in the study's order")
    p.add_argument("--effects", type=Path, required=True,
                   help="effects.csv of the analysis: each variant against 'none', every size")
    p.add_argument("--searched", nargs="*", default=[],
                   help="the settings a search chose (none: the config gave them all)")
    p.add_argument("--language", default="en",
                   help="wording: study/assets/wording/<language>.yml")
    p.add_argument("--out", type=Path, required=True, help="findings.yml to write")
    p.set_defaults(func=_findings)

    p = sub.add_parser("reproducibility",
                       help="the appendix tables: environment, run times, data hashes")
    p.add_argument("--benchmarks", type=Path, nargs="*", default=[],
                   help="Snakemake benchmark files (.tsv)")
    add_outputs(p, "the tables environment, run_times and data_hashes")
    p.set_defaults(func=_reproducibility)

    p = sub.add_parser("effective-config",
                       help="the config the study ran with, defaults filled in, for the report")
    p.add_argument("--config", required=True, help="the validated config as JSON")
    p.add_argument("--command", required=True, help="the command that ran the study")
    p.add_argument("--out", type=Path, required=True, help="results/config.yaml")
    p.add_argument("--table", type=Path, required=True, help="its markdown for the report")
    p.set_defaults(func=_effective_config)
