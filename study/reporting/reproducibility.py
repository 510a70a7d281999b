"""The reproducibility appendix: the software and machine the study ran on, what each stage
cost (from Snakemake's benchmark files) and the data's pinned hashes, as markdown tables."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path

import pandas as pd
import psutil

from study.data import mnist
from study.io import check_outputs, write_text
from study.provenance import code_version, cpu_model
from study.training.precision import cpu_capabilities

# The packages whose version can change a result or a document, in the order printed.
PACKAGES = ["torch", "numpy", "pandas", "scikit-learn", "scipy", "statsmodels",
            "optuna", "captum", "openTSNE", "torchmetrics", "matplotlib", "snakemake",
            "pypandoc-binary", "typst", "jinja2", "onnx", "onnxscript", "onnxruntime",
            "pillow"]


def package_versions() -> dict[str, str]:
    """The installed version of each package of PACKAGES, read now (not from a lock file)."""
    versions = {"Python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    try:
        import pypandoc

        versions["pandoc"] = pypandoc.get_pandoc_version()
    except (ImportError, OSError):
        versions["pandoc"] = "not installed"
    return versions


def memory_gib() -> str:
    return f"{psutil.virtual_memory().total / 2**30:.0f} GiB"


def machine() -> dict[str, str]:
    """The machine this ran on; the runs table names the device each run trained on."""
    import torch

    gpu = (", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
           if torch.cuda.is_available() else "none")
    return {"Operating system": platform.platform(), "CPU": cpu_model(),
            "CPU capabilities": cpu_capabilities().summary(),
            "CPU cores": str(os.cpu_count()), "Memory": memory_gib(), "GPU": gpu,
            "Code version": code_version()}


def environment_table() -> pd.DataFrame:
    rows = [{"Component": k, "Version or value": v}
            for k, v in {**machine(), **package_versions()}.items()]
    return pd.DataFrame(rows)


def stage_of(benchmark: Path) -> str:
    """results/benchmarks/train/x.tsv -> "train"; results/benchmarks/tables.tsv -> "tables"."""
    return benchmark.parent.name if benchmark.parent.name != "benchmarks" else benchmark.stem


def run_times_table(benchmarks: list[Path]) -> pd.DataFrame:
    """Jobs, total and longest job time and peak memory of each stage of the workflow."""
    rows = []
    for path in benchmarks:
        frame = pd.read_csv(path, sep="\t")
        rows.append({"stage": stage_of(Path(path)), "s": float(frame["s"].iloc[0]),
                     "rss": pd.to_numeric(frame["max_rss"], errors="coerce").iloc[0]})
    if not rows:
        return pd.DataFrame(columns=["Stage", "Jobs", "Job time (s)", "Longest job (s)",
                                     "Peak memory (MB)"])
    times = pd.DataFrame(rows)
    stages = times.groupby("stage", sort=False).agg(jobs=("s", "size"), total=("s", "sum"),
                                                    longest=("s", "max"), rss=("rss", "max"))
    stages = stages.sort_values("total", ascending=False)
    table = pd.DataFrame({"Stage": stages.index, "Jobs": stages.jobs.astype(str),
                          "Job time (s)": stages.total.map(lambda s: f"{s:,.0f}"),
                          "Longest job (s)": stages.longest.map(lambda s: f"{s:,.0f}"),
                          "Peak memory (MB)": stages.rss.map(
                              lambda m: "n/a" if pd.isna(m) else f"{m:,.0f}")})
    total = pd.DataFrame([{"Stage": "all stages", "Jobs": str(int(stages.jobs.sum())),
                           "Job time (s)": f"{stages.total.sum():,.0f}",
                           "Longest job (s)": f"{stages.longest.max():,.0f}",
                           "Peak memory (MB)": "n/a" if stages.rss.isna().all()
                           else f"{stages.rss.max():,.0f}"}])
    return pd.concat([table, total], ignore_index=True)


# What each run's train.json records of the precision it trained in (study.precision).
PRECISION_COLUMNS = ["precision", "memory_layout", "precision_reason"]
LAYOUT_NAMES = {"channels_last": "the channels-last layout",
                "contiguous": "the contiguous (NCHW) layout"}


def precision_sentence(runs: pd.DataFrame) -> str:
    """How the runs computed and why, for the reproducibility appendix: one clause when they
    all agree, the count of each mode when machines of several kinds trained them."""
    modes = runs.groupby(PRECISION_COLUMNS, sort=False).size()
    if len(modes) == 1:
        (dtype, layout, reason), = modes.index
        return f"every run computed in {dtype} with {LAYOUT_NAMES[layout]}, because {reason}"
    counts = runs.groupby(["precision", "memory_layout"], sort=False).size()
    parts = [f"{n} in {dtype} with {LAYOUT_NAMES[layout]}"
             for (dtype, layout), n in counts.items()]
    return ("the runs computed in more than one mode, as the machine each ran on decided ("
            + ", ".join(parts) + ")")

def data_hashes_table() -> pd.DataFrame:
    rows = [{"What": "source package", "File or array": mnist.WHEEL_NAME,
             "SHA-256": f"`{mnist.WHEEL_SHA256}`"},
            {"What": "file in it", "File or array": mnist.PICKLE_MEMBER.rsplit("/", 1)[-1],
             "SHA-256": f"`{mnist.PICKLE_SHA256}`"}]
    rows += [{"What": "decoded array", "File or array": name.replace("_", " "),
              "SHA-256": f"`{digest}`"} for name, digest in mnist.ARRAY_SHA256.items()]
    return pd.DataFrame(rows)


def write_reproducibility(benchmarks: list[Path], outputs: dict[str, Path]) -> None:
    """The tables `environment`, `run_times` and `data_hashes`, each to its path in
    `outputs`."""
    from study.reporting.tables import markdown

    texts = {"environment": markdown(environment_table()),
             "run_times": markdown(run_times_table(benchmarks)),
             "data_hashes": markdown(data_hashes_table())}
    check_outputs(outputs, texts)
    for name, text in texts.items():
        write_text(outputs[name], text)
