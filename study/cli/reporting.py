"""Commands of the reporting stage: the tables and the documents' variables, the findings,
the reproducibility appendix and the effective configuration."""

from __future__ import annotations

import argparse
from pathlib import Path

from study.cli.options import add_outputs, add_run_files, json_object, named_path, run_files
from study.errors import ConfigError
from study.reporting.language import languages


def _tables(args: argparse.Namespace) -> None:
    from study.reporting.write_tables import write_tables

    variables = write_tables(run_files(args, "metrics", "predictions"), args.best,
                             args.ensemble, args.architectures,
                             json_object(args.variants, "--variants"), args.max_epochs,
                             args.split, dict(args.outputs), args.errors, args.effects,
                             json_object(args.sizes, "--sizes"), args.searches, args.command,
                             tuple(args.languages))
    print(f"best on validation: {variables['best']['variant']}, "
          f"mean test accuracy {variables['best']['test_accuracy']}")


def _findings(args: argparse.Namespace) -> None:
    from study.reporting.findings import write_findings

    outputs = dict(args.outputs)
    write_findings(args.runs, run_files(args, "predictions"), args.best, args.ensemble,
                   args.calibration, args.robustness, args.regularisations, outputs,
                   args.effects, args.searched)
    print(f"findings written to {', '.join(str(path) for path in outputs.values())}")


def _reproducibility(args: argparse.Namespace) -> None:
    from study.reporting.reproducibility import write_reproducibility

    write_reproducibility(args.benchmarks, dict(args.outputs), tuple(args.languages))
    print("environment, run times and data hashes written")


def _effective_config(args: argparse.Namespace) -> None:
    from study.config import write_effective_config

    translations, others = dict(args.translations), [c for c in languages() if c != "en"]
    unknown = sorted(set(translations) - set(others))
    if unknown:
        raise ConfigError(f"--translations: no translation {', '.join(unknown)}; use "
                          f"{', '.join(others)} (English is --table)")
    write_effective_config(json_object(args.config, "--config"), args.command, args.out,
                           args.table, translations)
    tables = ", ".join(str(path) for path in [args.table, *translations.values()])
    print(f"effective config written to {args.out} and {tables}")


def register(sub: argparse._SubParsersAction) -> None:
    for add in (_add_tables, _add_findings, _add_reproducibility, _add_effective_config):
        add(sub)


def _add_languages(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--languages", nargs="+", default=["en"], choices=languages(),
                   help=f"the languages to write {what} in (English's under their names, "
                   "another's as <code>_<name>)")


def _add_effects(p: argparse.ArgumentParser) -> None:
    p.add_argument("--effects", type=Path, required=True,
                   help="effects.csv of the analysis: each variant against 'none', every size")


def _add_tables(sub: argparse._SubParsersAction) -> None:
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
    _add_effects(p)
    p.add_argument("--sizes", required=True,
                   help='JSON: the smaller training sets\' seeds and epochs, {"seeds": n, '
                   '"epochs": {size: [epochs, ...]}}')
    p.add_argument("--command", default="snakemake --cores all",
                   help="the command that runs the study again, as the documents quote it")
    p.add_argument("--searches", type=Path, nargs="*", default=[],
                   help="chosen.json of each architecture's search")
    _add_languages(p, "the tables and variables")
    add_outputs(p, "every table and of variables.yml")
    p.set_defaults(func=_tables)


def _add_findings(sub: argparse._SubParsersAction) -> None:
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
    _add_effects(p)
    p.add_argument("--searched", nargs="*", default=[],
                   help="the settings a search chose (none: the config gave them all)")
    add_outputs(p, "findings.yml in each language, named by the language's code (en=PATH); "
                "the wording is study/assets/wording/<code>.yml")
    p.set_defaults(func=_findings)


def _add_reproducibility(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reproducibility",
                       help="the appendix tables: environment, run times, data hashes")
    p.add_argument("--benchmarks", type=Path, nargs="*", default=[],
                   help="Snakemake benchmark files (.tsv)")
    _add_languages(p, "the tables")
    add_outputs(p, "the tables environment, run_times and data_hashes (and <code>_<name> of "
                "each other language)")
    p.set_defaults(func=_reproducibility)


def _add_effective_config(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("effective-config",
                       help="the config the study ran with, defaults filled in, for the report")
    p.add_argument("--config", required=True, help="the validated config as JSON")
    p.add_argument("--command", required=True, help="the command that ran the study")
    p.add_argument("--out", type=Path, required=True, help="results/config.yaml")
    p.add_argument("--table", type=Path, required=True, help="its markdown for the report")
    p.add_argument("--translations", type=named_path, nargs="*", default=[],
                   metavar="CODE=PATH",
                   help="the same markdown in other languages, CODE=PATH each "
                   "(fr=results/fr/tables/config.md)")
    p.set_defaults(func=_effective_config)
