import json
import shlex
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version, update_config

min_version("8.0")

REPO = Path(workflow.basedir)
sys.path.insert(0, str(REPO))  # the study package, also when it is not installed
from study.config import check_config, command_line, typed_overrides
from study.errors import ConfigError
from study.data.mnist import WHEEL_NAME, find_idx_files
from study.documents.editions import EDITIONS, translated_path
from study.package_data import asset
from study.variants import (
    architecture_options,
    run_settings,
    searched_settings,
    size_settings,
    trial_settings,
)

# `--config` values typed as a config file would type them (Snakemake leaves the items of a
# list or mapping given there as strings).
OVERRIDES = typed_overrides(workflow.config_settings.config)
update_config(config, OVERRIDES)
# Checked against the schema shipped in the package (study/schemas/config.schema.yaml) before
# any job runs, one line per mistake, and every default of the schema filled in: the same
# check, and the same messages, as a job's `python -m study train --settings`.
try:
    check_config(config)
except ConfigError as err:
    raise WorkflowError(f"invalid config: {err}") from None

# The command that runs this study again, as the report's appendix prints it.
COMMAND = command_line(
    workflow.overwrite_configfiles,
    OVERRIDES,
    Path.cwd(),
)

RUN = "results/runs/{arch}/{reg}/seed{seed}"
# A run on a smaller training set (the size axis), and the files its evaluation writes.
SIZED = "results/sizes/n{size}/{arch}/{reg}/seed{seed}"
SIZED_TESTED = {
    "metrics": f"{SIZED}/metrics.json",
    "confusion": f"{SIZED}/confusion.csv",
    "predictions": f"{SIZED}/predictions.npz",
}
# The files the final evaluation writes for each run.
TESTED = {
    "metrics": f"{RUN}/metrics.json",
    "confusion": f"{RUN}/confusion.csv",
    "predictions": f"{RUN}/predictions.npz",
}
SEARCH = "results/search/{arch}"

# The editions of the documents. English keeps results/tables, results/figures, ...; every
# other language its own copies under results/<code>/, worded and drawn from the same
# results: only the tables, the findings' words, the figures and the documents are per
# language, never a training or an analysis.
LANGUAGES = config["render"]["languages"]
TRANSLATED = [code for code in LANGUAGES if code != "en"]


wildcard_constraints:
    arch="|".join(config["architectures"]),
    reg="|".join(config["regularisations"]),
    seed="|".join(str(s) for s in {*config["seeds"], *config["sizes"]["seeds"]}),
    size="|".join(str(n) for n in config["sizes"]["train_images"]),


def mnist_source(wildcards):
    """Inputs of prepare_data: the first MNIST source that exists, else the pinned wheel."""
    data = config["data"]
    for directory in (data["idx_dir"], data["torchvision_root"]):
        files = find_idx_files(directory)
        if files is not None:
            return [str(p) for p in files.values()]
    return [f"{data['cache_dir']}/{WHEEL_NAME}"]


def source_args(wildcards, input):
    """Command-line flags naming the source that mnist_source picked."""
    first = Path(input[0])
    if first.name == WHEEL_NAME:
        return f"--wheel {first}"
    return f"--idx-dir {first.parent}"


def training_settings(wildcards):
    """The run's training settings as JSON: the base ones, changed by its architecture's,
    then by its variant's."""
    return json.dumps(run_settings(config, wildcards.reg, architecture=wildcards.arch))


def model_options(wildcards):
    """The architecture's size (`models:`) as JSON."""
    return json.dumps(architecture_options(config, wildcards.arch))


def chosen_by_search(wildcards):
    """The search's chosen.json for the run's architecture, when a setting is `searched`."""
    if not searched_settings(config):
        return []
    return expand(rules.search.output.chosen, arch=wildcards.arch)


def chosen_flag(wildcards, input):
    return f"--chosen {input.chosen}" if input.chosen else ""


def all_searches(pattern):
    """`pattern` expanded over every architecture, when the study searches anything."""
    if not searched_settings(config):
        return []
    return expand(pattern, arch=config["architectures"])


def uses_cuda():
    if config["device"] == "auto":
        import torch  # only imported when the device is left to detection

        return torch.cuda.is_available()
    return config["device"].startswith("cuda")


def named(output):
    """Every named file of `output` as NAME=PATH, for a job that writes several."""
    return " ".join(f"{name}={shlex.quote(str(path))}" for name, path in output.items())


def all_runs(pattern):
    """`pattern` expanded over every (architecture, regularisation, seed)."""
    return expand(
        pattern,
        arch=config["architectures"],
        reg=config["regularisations"],
        seed=config["seeds"],
    )


def runs_of_architecture(pattern):
    """`pattern` expanded over every (regularisation, seed), its {arch} left a wildcard."""
    return expand(
        pattern,
        reg=config["regularisations"],
        seed=config["seeds"],
        allow_missing=True,
    )


def runs_of_group(pattern):
    """`pattern` expanded over the runs of one size-axis job, every (regularisation, seed)
    in this order, its {size} and {arch} left wildcards."""
    return expand(
        pattern,
        reg=config["regularisations"],
        seed=config["sizes"]["seeds"],
        allow_missing=True,
    )


def group_runs():
    """The runs of a size-axis job as REGULARISATION:SEED, in the order of runs_of_group."""
    return " ".join(
        f"{reg}:{seed}"
        for reg in config["regularisations"]
        for seed in config["sizes"]["seeds"]
    )


def all_sized_runs(pattern):
    """`pattern` expanded over every run of the size axis' smaller training sets."""
    sizes = config["sizes"]
    return expand(
        pattern,
        size=sizes["train_images"],
        arch=sizes["architectures"],
        reg=config["regularisations"],
        seed=sizes["seeds"],
    )


def smallest_sized_runs(pattern):
    """`pattern` expanded over the runs of the size axis' smallest training set."""
    sizes = config["sizes"]
    return expand(
        pattern,
        size=min(sizes["train_images"]),
        arch=sizes["architectures"],
        reg=config["regularisations"],
        seed=sizes["seeds"],
    )


def size_axis_summary():
    """The smaller training sets' seeds and the epochs their runs train, by size, as the
    documents quote them."""
    sizes = config["sizes"]
    epochs = {
        str(n): sorted(
            {
                size_settings(config, reg, arch, n)["max_epochs"]
                for arch in sizes["architectures"]
                for reg in config["regularisations"]
            }
        )
        for n in sizes["train_images"]
    }
    return {"seeds": len(sizes["seeds"]), "epochs": epochs}


def reveal_js():
    return config["render"]["reveal_js"] or str(REPO / "node_modules" / "reveal.js")


def document_sources(folder):
    """Every file of report/ or slides/ and of the renderer, so an edit renders again."""
    assets = [p for p in asset().rglob("*") if p.is_file()]
    renderer = [*(REPO / "study" / "documents").glob("*.py"), *assets]
    documents = [p for p in (REPO / folder).rglob("*") if p.is_file()]
    return sorted(str(p) for p in documents + renderer)


def translated(output):
    """The English edition's outputs `output`, for the edition of wildcard `lang`."""
    return {name: translated_path(str(path), "{lang}") for name, path in output.items()}


def translations(output):
    """The English edition's outputs `output` for every translated edition, each named
    <code>_<name>, for a job that words every language at once."""
    return {
        f"{code}_{name}": translated_path(str(path), code)
        for code in TRANSLATED
        for name, path in output.items()
    }
