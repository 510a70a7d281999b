"""The reproducibility appendix: versions read now, run times summed from Snakemake's
benchmark files, the pinned data hashes."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pandas as pd

from study.data import mnist
from study.reporting.reproducibility import (
    data_hashes_table,
    environment_table,
    precision_sentence,
    run_times_table,
    stage_of,
    write_reproducibility,
)

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def _benchmark(path: Path, seconds: float, rss: str = "500.0") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + f"{seconds}\t0:00:00\t{rss}\t1\t1\t1\t0\t0\t50\t1\n")
    return path


def test_stages_are_named_by_folder_or_file() -> None:
    assert stage_of(Path("results/benchmarks/train/mlp_none_seed0.tsv")) == "train"
    assert stage_of(Path("results/benchmarks/tables.tsv")) == "tables"


def test_run_times_add_up_per_stage(tmp_path: Path) -> None:
    bench = tmp_path / "benchmarks"
    files = [_benchmark(bench / "train" / "a.tsv", 100.0, "900"),
             _benchmark(bench / "train" / "b.tsv", 50.5, "1200"),
             _benchmark(bench / "tables.tsv", 3.0, "-")]  # Snakemake's "-": not measured
    table = run_times_table(files).set_index("Stage")
    assert table.loc["train"].tolist() == ["2", "150", "100", "1,200"]
    assert table.loc["tables"].tolist() == ["1", "3", "3", "n/a"]
    assert table.loc["all stages"].tolist() == ["3", "154", "100", "1,200"]
    assert list(table.index)[:2] == ["train", "tables"]  # costliest first
    assert run_times_table([]).empty


def test_environment_reads_installed_versions() -> None:
    table = environment_table().set_index("Component")["Version or value"]
    assert table["torch"] == metadata.version("torch")
    assert table["snakemake"] == metadata.version("snakemake")
    assert table["CPU"] and table["Code version"]


def test_data_hashes_are_the_pinned_ones(tmp_path: Path) -> None:
    table = data_hashes_table()
    assert f"`{mnist.WHEEL_SHA256}`" in table["SHA-256"].tolist()
    for digest in mnist.ARRAY_SHA256.values():
        assert f"`{digest}`" in table["SHA-256"].tolist()
    write_reproducibility([_benchmark(tmp_path / "b" / "tables.tsv", 1.0)],
                          {name: tmp_path / "t" / f"{name}.md"
                           for name in ("environment", "run_times", "data_hashes")})
    assert {p.name for p in (tmp_path / "t").iterdir()} == {
        "environment.md", "run_times.md", "data_hashes.md"}


def test_version_names_the_code_version(capsys) -> None:
    import pytest

    from study import __version__
    from study.cli import main
    from study.provenance import code_version

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"study {__version__}, code version " \
        f"{code_version()}"


def test_the_precision_sentence_says_what_ran_and_why() -> None:
    why = "training.bf16 is auto and the CPU computes bfloat16 natively (AMX)"
    same = pd.DataFrame({"precision": ["bfloat16"] * 3, "memory_layout": ["channels_last"] * 3,
                         "precision_reason": [why] * 3})
    assert precision_sentence(same) == ("every run computed in bfloat16 with the channels-last "
                                        f"layout, because {why}")
    mixed = pd.concat([same, pd.DataFrame({
        "precision": ["float32"], "memory_layout": ["contiguous"],
        "precision_reason": ["training.bf16 is false"]})])
    sentence = precision_sentence(mixed)
    assert "3 in bfloat16 with the channels-last layout" in sentence
    assert "1 in float32 with the contiguous (NCHW) layout" in sentence
