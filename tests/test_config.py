"""The configuration: shipped configs are valid, bad ones are refused before any job runs."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from study.errors import ConfigError
from study.variants import architecture_options, check_variants, run_settings, trial_settings

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"


def load(name: str) -> dict:
    return yaml.safe_load((REPO / "config" / name).read_text())


@pytest.mark.parametrize("name", ["config.yaml", "smoke.yaml", "full.yaml", "accuracy.yaml"])
def test_shipped_configs_are_valid(name: str) -> None:
    config = load(name)
    validate(config, str(SCHEMA))
    check_variants(config)


def test_a_variant_changes_only_its_settings() -> None:
    config = load("config.yaml")
    validate(config, str(SCHEMA))
    base = run_settings(config, "none")
    assert base == config["training"]
    dropout = run_settings(config, "dropout")
    assert {k for k in base if base[k] != dropout[k]} == {"dropout"}
    assert dropout["dropout"] > 0 and base["dropout"] == 0


def test_an_architecture_changes_its_runs_settings_before_the_variants() -> None:
    config = load("config.yaml")
    validate(config, str(SCHEMA))
    config["models"]["deotte_cnn"]["training"] = {"max_epochs": 7, "dropout": 0.1}
    deotte = run_settings(config, "none", architecture="deotte_cnn")
    assert (deotte["max_epochs"], deotte["dropout"]) == (7, 0.1)
    assert run_settings(config, "dropout", architecture="deotte_cnn")["dropout"] == 0.3
    mlp = run_settings(config, "none", architecture="mlp")
    assert mlp["max_epochs"] == config["training"]["max_epochs"] != 7
    # The search keeps its own length; the model is built from the width alone.
    assert trial_settings(config, "deotte_cnn")["max_epochs"] == config["search"]["max_epochs"]
    assert trial_settings(config, "deotte_cnn")["dropout"] == 0.1
    assert architecture_options(config, "deotte_cnn") == {"width": 16}


@pytest.mark.parametrize(("change", "message"), [
    (lambda c: c["models"].update(mlp={"training": {"max_epoch": 5}}),
     r"models\.mlp\.training: Additional properties.*'max_epoch' was unexpected"),
    (lambda c: c["models"].update(lenet5={"training": {"max_epochs": 0}}),
     r"models\.lenet5\.training\.max_epochs: 0 is less than the minimum of 1"),
    (lambda c: c.update(regularisations=["none", "mixup"]), r"'mixup' not declared"),
    (lambda c: c["variants"].update(dropout={"dropout": 1.5}),
     r"variants\.dropout\.dropout: 1\.5 is greater than or equal to the maximum"),
    (lambda c: c["variants"].update(dropout={"dropuot": 0.3}),
     r"variants\.dropout: Additional properties.*'dropuot' was unexpected"),
    (lambda c: c["variants"].update(augment={"augment": "yes"}),
     r"variants\.augment\.augment: 'yes' is not of type 'boolean'"),
])
def test_bad_variants_are_refused_with_their_name(change, message: str) -> None:
    config = copy.deepcopy(load("config.yaml"))
    validate(config, str(SCHEMA))
    change(config)
    with pytest.raises(ConfigError, match=message):
        check_variants(config)


def test_schema_fills_every_default() -> None:
    config: dict = {}
    validate(config, str(SCHEMA))
    assert config["training"]["max_epochs"] >= 1
    assert config["data"]["n_val"] == 6000 and config["device"] == "auto"


def test_every_schema_key_is_described() -> None:
    def walk(node: dict, where: str) -> None:
        for key, child in node.get("properties", {}).items():
            assert child.get("description"), f"{where}{key} has no description"
            assert "default" in child, f"{where}{key} has no default"
            walk(child, f"{where}{key}.")

    walk(yaml.safe_load(SCHEMA.read_text()), "")


@pytest.mark.parametrize(("change", "message"), [
    (lambda c: c.update(architectures=["resnet999"]), "resnet999"),
    (lambda c: c["training"].update(max_epochs=-1), "-1 is less than the minimum of 1"),
    (lambda c: c.update(epochs=3), "epochs"),
    (lambda c: c["models"].update(mlp={"width": 8}), "width"),
])
def test_bad_values_are_refused(change, message: str) -> None:
    config = copy.deepcopy(load("config.yaml"))
    change(config)
    with pytest.raises(WorkflowError, match=message):
        validate(config, str(SCHEMA))


@pytest.mark.parametrize(("change", "message"), [
    (lambda c: c["training"].update(max_epoch=3),
     r"^training: unknown key 'max_epoch' \(known: .*max_epochs.*\); fix its spelling"),
    (lambda c: c["data"].update(n_vall=5), r"^data: unknown key 'n_vall'"),
    (lambda c: c.update(epochs=3), r"^the top level: unknown key 'epochs'"),
    (lambda c: c["training"].update(batch_size="big"),
     r"^training\.batch_size: 'big' is not of type 'integer'; fix this value"),
    (lambda c: c["training"].update(label_smoothing=1.5),
     r"^training\.label_smoothing: 1\.5 is greater than or equal to the maximum of 1"),
    (lambda c: c.update(seeds=[]), r"^seeds: \[\] should be non-empty"),
    (lambda c: c.update(architectures=["resnet999"]), r"^architectures\.0: 'resnet999' is not"),
])
def test_config_mistakes_get_one_line_naming_the_key(change, message: str) -> None:
    from study.config import check_config

    config = copy.deepcopy(load("config.yaml"))
    check_config(config)
    change(config)
    with pytest.raises(ConfigError, match=message) as error:
        check_config(config)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(("key", "value", "message"), [
    ("architectures", ["resnet999"], "resnet999"),
    ("regularisations", ["none", "mixup"], "'mixup' not declared in `variants`"),
    ("seeds", [], "seeds: [] should be non-empty"),
    ("training", {"max_epoch": 1}, "training: unknown key 'max_epoch'"),
])
def test_workflow_refuses_a_bad_config_before_any_job(tmp_path: Path, key: str, value: list,
                                                      message: str) -> None:
    config = load("smoke.yaml")
    config[key] = value
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(config))
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--cores", "1",
         "--configfile", str(bad), "--directory", str(tmp_path)],
        capture_output=True, text=True,
    )
    assert result.returncode != 0
    assert message in result.stdout + result.stderr
    assert not (tmp_path / "results").exists()


def test_training_defaults_match_the_schema() -> None:
    """The engine's own defaults (used by the benchmarks) are the study's defaults."""
    import dataclasses

    from study.engine import TrainSettings

    schema = yaml.safe_load(SCHEMA.read_text())["properties"]["training"]["properties"]
    defaults = {f.name: f.default for f in dataclasses.fields(TrainSettings)}
    assert set(schema) <= set(defaults)
    for key, spec in schema.items():
        assert defaults[key] == spec["default"], key


def test_idx_folder_is_preferred_to_the_wheel(tmp_path: Path) -> None:
    """With data.idx_dir set, the DAG reads those files and fetches no wheel."""
    from study.mnist import IDX_STEMS

    idx = tmp_path / "idx"
    idx.mkdir()
    for stem in IDX_STEMS.values():
        (idx / f"{stem}.gz").write_bytes(b"")
    config = load("smoke.yaml")
    config["data"]["idx_dir"] = str(idx)
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-n", "-p",
         "--cores", "1", "--configfile", str(tmp_path / "c.yaml"),
         "--directory", str(tmp_path / "wd"), "results/data/train.npz"],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "fetch_mnist_wheel" not in result.stdout
    assert f"--idx-dir {idx}" in result.stdout
