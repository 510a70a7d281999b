"""Whether two runs of the same study computed the same results: for a change of the code that
must not change what the study finds (a reorganisation), run the smoke study before and after
it and compare the two `results/` folders.

    python scripts/compare_studies.py BEFORE/results AFTER/results

Compared exactly: every run's predictions.npz, each search's chosen.json and trials.csv, runs.csv,
findings.yml, variables.yml and the markdown tables, leaving out what measures time or names
the code version (the columns and keys listed below). Figures are not compared: they may differ
by rendering only. Prints what differs and exits 1 if anything does.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

# What differs between two runs of the same code on the same machine, or between two commits.
TIMING_COLUMNS = {"train_seconds", "seconds", "Training (s)", "Training images/s",
                  "dir"}  # runs.csv named each run's folder before its files were declared
TIMING_TABLES = {"run_times.md", "environment.md", "config.md"}
TIMING_VARIABLES = {("study", "code_version"), ("study", "train_minutes")}


def without_timing(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=[c for c in frame.columns if c.strip() in TIMING_COLUMNS])


def markdown_frame(text: str) -> pd.DataFrame | str:
    """A pipe table as a frame (cells stripped), or the text itself when it is no table."""
    lines = [line for line in text.splitlines() if line.startswith("|")]
    if len(lines) < 2:
        return text
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
    return pd.DataFrame(rows[2:], columns=rows[0])


def compare_frames(name: str, a: pd.DataFrame, b: pd.DataFrame) -> list[str]:
    a, b = without_timing(a), without_timing(b)
    if list(a.columns) != list(b.columns) or a.shape != b.shape:
        return [f"{name}: columns or shape differ ({list(a.columns)} {a.shape} against "
                f"{list(b.columns)} {b.shape})"]
    differ = ~((a == b) | (a.isna() & b.isna()))
    return [f"{name}: {int(differ.to_numpy().sum())} cell(s) differ, first in column "
            f"{a.columns[differ.any().to_numpy()][0]!r}"] if differ.to_numpy().any() else []


def compare_variables(a: dict, b: dict) -> list[str]:
    for section, key in TIMING_VARIABLES:
        for side in (a, b):
            side.get(section, {}).pop(key, None)
    keys = [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
    return [f"variables.yml differs in {', '.join(keys)}"] if keys else []


def compare(before: Path, after: Path) -> list[str]:
    problems = []
    runs_a = sorted(p.relative_to(before) for p in before.glob("runs/**/predictions.npz"))
    runs_b = sorted(p.relative_to(after) for p in after.glob("runs/**/predictions.npz"))
    if runs_a != runs_b or not runs_a:
        problems.append(f"the runs differ: {runs_a} against {runs_b}")
    for rel in runs_a:
        with np.load(before / rel) as fa, np.load(after / rel) as fb:
            if sorted(fa.files) != sorted(fb.files) or any(
                    not np.array_equal(fa[k], fb[k]) for k in fa.files):
                problems.append(f"{rel} differs")
    for chosen in sorted(before.glob("search/*/chosen.json")):
        rel = chosen.relative_to(before)
        if json.loads(chosen.read_text()) != json.loads((after / rel).read_text()):
            problems.append(f"{rel} differs")
        trials = rel.parent / "trials.csv"
        problems += compare_frames(str(trials), pd.read_csv(before / trials),
                                   pd.read_csv(after / trials))
    problems += compare_frames("tables/runs.csv", pd.read_csv(before / "tables" / "runs.csv"),
                               pd.read_csv(after / "tables" / "runs.csv"))
    for table in sorted((before / "tables").glob("*.md")):
        if table.name in TIMING_TABLES:
            continue
        a = markdown_frame(table.read_text())
        b = markdown_frame((after / "tables" / table.name).read_text())
        if isinstance(a, str) or isinstance(b, str):
            problems += [] if a == b else [f"tables/{table.name} differs"]
        else:
            problems += compare_frames(f"tables/{table.name}", a, b)
    problems += compare_variables(*(yaml.safe_load((side / "variables.yml").read_text())
                                    for side in (before, after)))
    if yaml.safe_load((before / "findings.yml").read_text()) != \
            yaml.safe_load((after / "findings.yml").read_text()):
        problems.append("findings.yml differs")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="results/ of the study before the change")
    parser.add_argument("after", type=Path, help="results/ of the study after it")
    args = parser.parse_args()
    problems = compare(args.before, args.after)
    for line in problems:
        print(line)
    print(f"{'identical' if not problems else f'{len(problems)} difference(s)'}: "
          f"{args.before} and {args.after}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
