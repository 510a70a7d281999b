"""The reproducibility appendix: the software and machine the study ran on, what each stage
cost (from Snakemake's benchmark files) and the data's pinned hashes, as markdown tables."""

from __future__ import annotations

import functools
import os
import platform
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pandas as pd
import psutil

from study.data import mnist
from study.io import check_outputs, write_text
from study.provenance import code_version, cpu_model
from study.reporting.language import Language
from study.training.precision import CpuCapabilities, cpu_capabilities

# The packages whose version can change a result or a document, in the order printed.
PACKAGES = ["torch", "numpy", "pandas", "scikit-learn", "scipy", "statsmodels",
            "optuna", "captum", "openTSNE", "torchmetrics", "matplotlib", "snakemake",
            "pypandoc-binary", "typst", "jinja2", "onnx", "onnxscript", "onnxruntime",
            "pillow"]


def package_versions() -> dict[str, str | None]:
    """The installed version of each package of PACKAGES, read now (not from a lock file);
    None for a package that is not installed."""
    versions: dict[str, str | None] = {"Python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    try:
        import pypandoc

        versions["pandoc"] = pypandoc.get_pandoc_version()
    except (ImportError, OSError):
        versions["pandoc"] = None
    return versions


@dataclass(frozen=True)
class Environment:
    """The software and the machine, read once and worded in each language; the runs table
    names the device each run trained on."""

    system: str
    cpu: str
    capabilities: CpuCapabilities
    cores: int | None
    memory_bytes: int
    gpus: list[str]
    code_version: str
    packages: dict[str, str | None]  # None: not installed


def read_environment() -> Environment:
    """This machine and the versions installed on it, read now."""
    import torch

    gpus = ([torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
            if torch.cuda.is_available() else [])
    return Environment(system=platform.platform(), cpu=cpu_model(),
                       capabilities=cpu_capabilities(), cores=os.cpu_count(),
                       memory_bytes=psutil.virtual_memory().total, gpus=gpus,
                       code_version=code_version(), packages=package_versions())


def environment_table(lang: Language, env: Environment | None = None) -> pd.DataFrame:
    """Each component and its version or value (`env`, read now when not given): the
    names and versions as they are, the words and numbers in `lang`."""
    env = env or read_environment()
    word = functools.partial(_label, lang)
    machine = {
        word("operating_system"): env.system,
        word("cpu"): env.cpu,
        word("cpu_capabilities"): env.capabilities.summary(word("present"), word("absent")),
        word("cpu_cores"): lang.label("not_available") if env.cores is None
        else lang.integer(env.cores),
        word("memory"): word("gib", lang.fixed(env.memory_bytes / 2**30, 0)),
        word("gpu"): ", ".join(env.gpus) if env.gpus else lang.label("none"),
        word("code_version"): env.code_version}
    packages = {name: word("not_installed") if version is None else version
                for name, version in env.packages.items()}
    return pd.DataFrame([{word("component"): k, word("version_or_value"): v}
                         for k, v in {**machine, **packages}.items()])


def _label(lang: Language, key: str, *args: object) -> str:
    return lang.label(f"reproducibility.{key}", *args)


def stage_of(benchmark: Path) -> str:
    """results/benchmarks/train/x.tsv -> "train"; results/benchmarks/tables.tsv -> "tables"."""
    return benchmark.parent.name if benchmark.parent.name != "benchmarks" else benchmark.stem


def run_times_table(benchmarks: list[Path], lang: Language) -> pd.DataFrame:
    """Jobs, total and longest job time and peak memory of each stage of the workflow; the
    stages keep their rule's name."""
    word = functools.partial(_label, lang)
    columns = [word(key) for key in ("stage", "jobs", "job_time", "longest_job", "peak_memory")]
    rows = []
    for path in benchmarks:
        frame = pd.read_csv(path, sep="\t")
        rows.append({"stage": stage_of(Path(path)), "s": float(frame["s"].iloc[0]),
                     "rss": pd.to_numeric(frame["max_rss"], errors="coerce").iloc[0]})
    if not rows:
        return pd.DataFrame(columns=columns)

    def whole(x: float) -> str:
        return lang.label("not_available") if pd.isna(x) else lang.integer(round(x))

    times = pd.DataFrame(rows)
    stages = times.groupby("stage", sort=False).agg(jobs=("s", "size"), total=("s", "sum"),
                                                    longest=("s", "max"), rss=("rss", "max"))
    stages = stages.sort_values("total", ascending=False)
    return pd.DataFrame(
        [[stage, lang.integer(row.jobs), whole(row.total), whole(row.longest), whole(row.rss)]
         for stage, row in stages.iterrows()]
        + [[word("all_stages"), lang.integer(stages.jobs.sum()), whole(stages.total.sum()),
            whole(stages.longest.max()), whole(stages.rss.max())]], columns=columns)


# What each run's train.json records of the precision it trained in (study.precision): the
# mode, and why in English and as a rule with its detail, to word it in any language (the
# rule and its detail are absent from runs recorded before they were: NaN).
PRECISION_COLUMNS = ["precision", "memory_layout", "precision_reason", "precision_rule",
                     "precision_detail"]
RULE_COLUMNS = ["precision_rule", "precision_detail"]


def _reason(runs: pd.DataFrame, lang: Language) -> str | None:
    """Why `runs` (all of one mode) computed as they did, in `lang`: from their rule; for
    runs recorded without one, the English reason they recorded in English, None in other
    languages."""
    reasons = lang.labels.get("precision", {}).get("reasons", {})
    for _, run in runs.iterrows():
        rule = run.get("precision_rule")
        if isinstance(rule, str) and rule in reasons:
            return lang.label(f"precision.reasons.{rule}", detail=run.get("precision_detail"))
    reason = runs.precision_reason.iloc[0]
    return reason if lang.code == "en" and isinstance(reason, str) else None


def precision_sentence(runs: pd.DataFrame, lang: Language) -> str:
    """How the runs computed and why, for the reproducibility appendix, in `lang`: one clause
    when they all agree, the count of each mode when machines of several kinds trained
    them."""
    def layout(name: str) -> str:
        return lang.label(f"precision.layouts.{name}")

    modes = runs.groupby(PRECISION_COLUMNS[:3], sort=False, dropna=False)
    if modes.ngroups == 1:
        (dtype, memory_layout, _), group = next(iter(modes))
        reason = _reason(group, lang)
        if reason is None:
            return lang.label("precision.every_unexplained", dtype=dtype,
                              layout=layout(memory_layout))
        return lang.label("precision.every", dtype=dtype, layout=layout(memory_layout),
                          reason=reason)
    counts = runs.groupby(["precision", "memory_layout"], sort=False).size()
    parts = [lang.label("precision.mode", n=lang.integer(n), dtype=dtype, layout=layout(name))
             for (dtype, name), n in counts.items()]
    return lang.label("precision.modes", modes=", ".join(parts))


def data_hashes_table(lang: Language) -> pd.DataFrame:
    """The pinned digests of the data: the file names as they are, the words in `lang`."""
    word = functools.partial(_label, lang)
    what, name, digest = word("what"), word("file_or_array"), "SHA-256"
    arrays = lang.labels.get("reproducibility", {}).get("arrays", {})
    rows = [{what: word("source_package"), name: mnist.WHEEL_NAME,
             digest: f"`{mnist.WHEEL_SHA256}`"},
            {what: word("file_in_it"), name: mnist.PICKLE_MEMBER.rsplit("/", 1)[-1],
             digest: f"`{mnist.PICKLE_SHA256}`"}]
    rows += [{what: word("decoded_array"),
              name: word(f"arrays.{key}") if key in arrays else key.replace("_", " "),
              digest: f"`{sha}`"} for key, sha in mnist.ARRAY_SHA256.items()]
    return pd.DataFrame(rows)


def write_reproducibility(benchmarks: list[Path], outputs: dict[str, Path],
                          languages: tuple[str, ...] = ("en",)) -> None:
    """The tables `environment`, `run_times` and `data_hashes` of each language of
    `languages`, each to its path in `outputs` (English's under those names, another
    language's as `<code>_<name>`: `write_tables.edition_output`). The environment is read
    once, so that every language shows the same."""
    from study.reporting.tables import markdown
    from study.reporting.write_tables import edition_output

    env = read_environment()
    texts: dict[str, str] = {}
    for code in languages:
        lang = Language.load(code)
        tables = {"environment": markdown(environment_table(lang, env)),
                  "run_times": markdown(run_times_table(benchmarks, lang)),
                  "data_hashes": markdown(data_hashes_table(lang))}
        texts.update({edition_output(name, code): text for name, text in tables.items()})
    check_outputs(outputs, texts)
    for name, text in texts.items():
        write_text(outputs[name], text)
