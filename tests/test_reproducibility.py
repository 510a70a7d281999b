"""The reproducibility appendix: versions read now, run times summed from Snakemake's
benchmark files, the pinned data hashes."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pandas as pd
import pytest

from study.data import mnist
from study.reporting.language import NNBSP, Language
from study.reporting.reproducibility import (
    RULE_COLUMNS,
    Environment,
    data_hashes_table,
    environment_table,
    precision_sentence,
    run_times_table,
    stage_of,
    write_reproducibility,
)
from study.training.precision import REASONS, CpuCapabilities, Precision, decide

ENGLISH, FRENCH = Language.load("en"), Language.load("fr")
XEON_AMX = CpuCapabilities("AVX512", avx2=True, avx512=True, avx512_bf16=True, amx=True)
ZEN3_AVX2 = CpuCapabilities("AVX2", avx2=True, avx512=False, avx512_bf16=False, amx=False)

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
    table = run_times_table(files, ENGLISH).set_index("Stage")
    assert table.loc["train"].tolist() == ["2", "150", "100", "1,200"]
    assert table.loc["tables"].tolist() == ["1", "3", "3", "n/a"]
    assert table.loc["all stages"].tolist() == ["3", "154", "100", "1,200"]
    assert list(table.index)[:2] == ["train", "tables"]  # costliest first
    assert run_times_table([], ENGLISH).empty


def test_french_run_times_have_french_headers_and_numbers(tmp_path: Path) -> None:
    bench = tmp_path / "benchmarks"
    files = [_benchmark(bench / "train" / "a.tsv", 1000.0, "900"),
             _benchmark(bench / "train" / "b.tsv", 5050.5, "1200"),
             _benchmark(bench / "tables.tsv", 3.0, "-")]
    table = run_times_table(files, FRENCH)
    assert list(table.columns) == ["Étape", "Tâches", "Temps des tâches (s)",
                                   "Tâche la plus longue (s)", "Mémoire maximale (Mo)"]
    rows = table.set_index("Étape")
    assert rows.loc["train"].tolist() == ["2", f"6{NNBSP}050", f"5{NNBSP}050", f"1{NNBSP}200"]
    assert rows.loc["tables"].tolist() == ["1", "3", "3", "n.d."]  # stages keep rule names
    assert rows.loc["toutes les étapes"].tolist() == ["3", f"6{NNBSP}054", f"5{NNBSP}050",
                                                      f"1{NNBSP}200"]
    assert list(run_times_table([], FRENCH).columns) == list(table.columns)


def test_environment_reads_installed_versions() -> None:
    table = environment_table(ENGLISH).set_index("Component")["Version or value"]
    assert table["torch"] == metadata.version("torch")
    assert table["snakemake"] == metadata.version("snakemake")
    assert table["CPU"] and table["Code version"]


MACHINE = Environment(system="Linux-6.1-x86_64", cpu="Intel Xeon", capabilities=XEON_AMX,
                      cores=1024, memory_bytes=int(15.6 * 2**30), gpus=[],
                      code_version="abc1234", packages={"Python": "3.11.7", "torch": "2.6.0",
                                                        "captum": None})


def test_the_environment_is_worded_in_each_language() -> None:
    english = environment_table(ENGLISH, MACHINE)
    assert english.to_dict("records") == [
        {"Component": k, "Version or value": v} for k, v in [
            ("Operating system", "Linux-6.1-x86_64"), ("CPU", "Intel Xeon"),
            ("CPU capabilities", "AVX2 yes, AVX-512 yes, AVX-512-BF16 yes, AMX yes"),
            ("CPU cores", "1,024"), ("Memory", "16 GiB"), ("GPU", "none"),
            ("Code version", "abc1234"), ("Python", "3.11.7"), ("torch", "2.6.0"),
            ("captum", "not installed")]]
    french = environment_table(FRENCH, MACHINE)
    assert list(french.columns) == ["Composant", "Version ou valeur"]
    assert dict(french.values.tolist()) == {
        "Système d'exploitation": "Linux-6.1-x86_64", "Processeur": "Intel Xeon",
        "Capacités du processeur": "AVX2 oui, AVX-512 oui, AVX-512-BF16 oui, AMX oui",
        "Cœurs": f"1{NNBSP}024", "Mémoire": "16 Gio", "GPU": "aucun",
        "Version du code": "abc1234", "Python": "3.11.7", "torch": "2.6.0",
        "captum": "non installé"}


def test_data_hashes_are_the_pinned_ones(tmp_path: Path) -> None:
    table = data_hashes_table(ENGLISH)
    assert f"`{mnist.WHEEL_SHA256}`" in table["SHA-256"].tolist()
    for digest in mnist.ARRAY_SHA256.values():
        assert f"`{digest}`" in table["SHA-256"].tolist()
    assert table.iloc[:3, :2].values.tolist() == [
        ["source package", mnist.WHEEL_NAME], ["file in it", "mnist.pkl.gz"],
        ["decoded array", "train images"]]
    french = data_hashes_table(FRENCH)
    assert list(french.columns) == ["Quoi", "Fichier ou tableau", "SHA-256"]
    assert french.iloc[:3, :2].values.tolist() == [
        ["paquet source", mnist.WHEEL_NAME], ["fichier qu'il contient", "mnist.pkl.gz"],
        ["tableau décodé", "images d'entraînement"]]
    assert french["SHA-256"].tolist() == table["SHA-256"].tolist()


def test_each_language_gets_its_tables(tmp_path: Path) -> None:
    names = ("environment", "run_times", "data_hashes")
    outputs = {f"{prefix}{name}": tmp_path / "t" / f"{prefix}{name}.md"
               for name in names for prefix in ("", "fr_")}
    write_reproducibility([_benchmark(tmp_path / "b" / "tables.tsv", 1.0)], outputs,
                          ("en", "fr"))
    assert {p.name for p in (tmp_path / "t").iterdir()} == {f"{n}.md" for n in outputs}
    assert (tmp_path / "t" / "run_times.md").read_text().startswith("| Stage ")
    assert (tmp_path / "t" / "fr_run_times.md").read_text().startswith("| Étape ")
    assert "| Cœurs " in (tmp_path / "t" / "fr_environment.md").read_text()
    english_only = {name: tmp_path / "e" / f"{name}.md" for name in names}
    write_reproducibility([_benchmark(tmp_path / "b" / "tables.tsv", 1.0)], english_only)
    for name in names:  # English alone or beside French: the same tables
        if name != "environment":  # (whose code version may change between the calls)
            assert english_only[name].read_text() == outputs[name].read_text()


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


def _runs(*precisions: Precision, n: int = 3) -> pd.DataFrame:
    return pd.DataFrame([p.record() for p in precisions for _ in range(n)])


def test_the_precision_sentence_says_what_ran_and_why() -> None:
    amx = decide("cpu", "auto", True, cpu=CpuCapabilities(
        "AVX512", avx2=True, avx512=True, avx512_bf16=False, amx=True))
    why = "training.bf16 is auto and the CPU computes bfloat16 natively (AMX)"
    assert amx.reason == why
    assert precision_sentence(_runs(amx), ENGLISH) == (
        f"every run computed in bfloat16 with the channels-last layout, because {why}")
    mixed = pd.concat([_runs(amx, n=2), _runs(amx, decide("cpu", False, False), n=1)])
    sentence = precision_sentence(mixed, ENGLISH)
    assert "3 in bfloat16 with the channels-last layout" in sentence
    assert "1 in float32 with the contiguous (NCHW) layout" in sentence
    french = precision_sentence(mixed, FRENCH)
    assert french.startswith("les entraînements ont calculé dans plus d'un mode")
    assert "3 en bfloat16 avec la disposition channels-last" in french
    assert "1 en float32 avec la disposition contiguë (NCHW)" in french


# Every rule of the precision, as a machine decides it, with its French reason.
FRENCH_REASONS = {
    "setting": "training.bf16 vaut true",
    "gpu_bf16": "training.bf16 vaut auto et que le GPU calcule le bfloat16",
    "gpu_no_bf16": "training.bf16 vaut auto et que le GPU ne calcule pas le bfloat16",
    "other_device": "training.bf16 vaut auto et que mps n'est ni un processeur ni un GPU",
    "cpu_native": "training.bf16 vaut auto et que le processeur calcule le bfloat16 "
                  "nativement (AMX, AVX-512-BF16)",
    "cpu_emulated": f"training.bf16 vaut auto et que le processeur n'a ni AMX ni "
                    f"AVX-512-BF16{NNBSP}: le bfloat16 y serait émulé, plusieurs fois plus "
                    "lent qu'en float32",
}
DECIDED = {"setting": decide("cpu", True, True, cpu=ZEN3_AVX2),
           "gpu_bf16": decide("cuda", "auto", True, cuda_bf16=True),
           "gpu_no_bf16": decide("cuda", "auto", True, cuda_bf16=False),
           "other_device": decide("mps", "auto", True),
           "cpu_native": decide("cpu", "auto", True, cpu=XEON_AMX),
           "cpu_emulated": decide("cpu", "auto", True, cpu=ZEN3_AVX2)}


@pytest.mark.parametrize("rule", sorted(REASONS))
def test_each_rule_is_worded_in_each_language(rule: str) -> None:
    chosen = DECIDED[rule]
    assert chosen.rule == rule
    runs = _runs(chosen)
    # English reads as the reason the run recorded, as before the rules were recorded.
    assert precision_sentence(runs, ENGLISH) == (
        f"every run computed in {chosen.dtype} with the channels-last layout, because "
        f"{chosen.reason}")
    assert precision_sentence(runs, FRENCH) == (
        f"chaque entraînement a calculé en {chosen.dtype} avec la disposition channels-last, "
        f"parce que {FRENCH_REASONS[rule]}")


def test_the_english_reasons_are_the_recorded_ones() -> None:
    assert set(ENGLISH.labels["precision"]["reasons"]) == set(REASONS)
    assert ENGLISH.labels["precision"]["reasons"] == REASONS
    assert set(FRENCH.labels["precision"]["reasons"]) == set(REASONS)


@pytest.mark.parametrize("recorded", ["absent", "nan"])
def test_runs_recorded_before_the_rules_keep_their_english_reason(recorded: str) -> None:
    chosen = DECIDED["cpu_emulated"]
    runs = _runs(chosen)
    if recorded == "absent":
        runs = runs.drop(columns=RULE_COLUMNS)
    else:
        runs[RULE_COLUMNS] = float("nan")
    assert precision_sentence(runs, ENGLISH) == (
        f"every run computed in float32 with the channels-last layout, because {chosen.reason}")
    assert precision_sentence(runs, FRENCH) == (
        "chaque entraînement a calculé en float32 avec la disposition channels-last")
