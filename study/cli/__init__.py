"""Command line of the study: each workflow rule calls one subcommand. One module per stage
declares its commands (data, training, evaluation, analysis, figures, reporting, documents,
serving, and the benchmarks); options shared by several are declared once in `options`."""

from __future__ import annotations

import argparse
import errno
import sys

from study.cli import (
    analysis,
    bench,
    data,
    documents,
    evaluation,
    figures,
    reporting,
    serving,
    training,
)
from study.errors import StudyError

STAGES = (data, training, evaluation, analysis, figures, reporting, documents, serving, bench)


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="study", description="Command line of the study: each workflow rule calls one "
        "subcommand; `study COMMAND --help` says what each option is.")
    parser.add_argument("--version", action=_Version, help="print the code version and exit")
    sub = parser.add_subparsers(dest="command", required=True)
    for stage in STAGES:
        stage.register(sub)
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
