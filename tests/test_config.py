"""The configuration: shipped configs are valid, bad ones are refused before any job runs."""

from __future__ import annotations

import copy
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from study.config import check_config
from study.errors import ConfigError
from study.schema import schema
from study.training.engine import TrainSettings
from study.variants import architecture_options, run_settings, trial_settings

REPO = Path(__file__).resolve().parents[1]


def load(name: str) -> dict:
    return yaml.safe_load((REPO / "config" / name).read_text())


@pytest.mark.parametrize("name", ["config.yaml", "smoke.yaml", "full.yaml", "accuracy.yaml"])
def test_shipped_configs_are_valid(name: str) -> None:
    check_config(load(name))


def test_a_variant_changes_only_its_settings() -> None:
    config = load("config.yaml")
    check_config(config)
    base = run_settings(config, "none")
    assert base == config["training"]
    dropout = run_settings(config, "dropout")
    assert {k for k in base if base[k] != dropout[k]} == {"dropout"}
    assert dropout["dropout"] > 0 and base["dropout"] == 0


def test_an_architecture_changes_its_runs_settings_before_the_variants() -> None:
    config = load("config.yaml")
    check_config(config)
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
     r"^models\.mlp\.training: unknown key 'max_epoch' \(known: .*max_epochs"),
    (lambda c: c["models"].update(lenet5={"training": {"max_epochs": 0}}),
     r"^models\.lenet5\.training\.max_epochs: 0 is less than the minimum of 1"),
    (lambda c: c.update(regularisations=["none", "mixup"]), r"'mixup' not declared"),
    (lambda c: c["variants"].update(dropout={"dropout": 1.5}),
     r"^variants\.dropout\.dropout: 1\.5 is greater than or equal to the maximum"),
    (lambda c: c["variants"].update(dropout={"dropuot": 0.3}),
     r"^variants\.dropout: unknown key 'dropuot' \(known: .*dropout"),
    (lambda c: c["variants"].update(augment={"augment": "yes"}),
     r"^variants\.augment\.augment: 'yes' is not of type 'boolean'"),
    (lambda c: c["variants"].update(dropout={"dropout": "searched"}),
     r"^variants\.dropout\.dropout: 'searched' is not of type 'number'"),
])
def test_bad_variants_are_refused_with_their_name(change, message: str) -> None:
    config = copy.deepcopy(load("config.yaml"))
    check_config(config)
    change(config)
    with pytest.raises(ConfigError, match=message) as error:
        check_config(config)
    assert "\n" not in str(error.value)


def test_schema_fills_every_default() -> None:
    config: dict = {}
    check_config(config)
    assert config["training"]["max_epochs"] >= 1
    assert config["data"]["n_val"] == 6000 and config["device"] == "auto"


def test_defaults_leave_the_variants_and_models_as_given() -> None:
    """A variant or an architecture changes only the settings it names: the training
    defaults are filled in the base settings, never in theirs."""
    config = {"variants": {"none": {}, "dropout": {"dropout": 0.3}},
              "regularisations": ["none", "dropout"],
              "models": {"deotte_cnn": {"width": 16, "training": {"max_epochs": 5}}}}
    check_config(config)
    assert config["variants"] == {"none": {}, "dropout": {"dropout": 0.3}}
    assert config["models"] == {"deotte_cnn": {"width": 16, "training": {"max_epochs": 5}}}
    assert config["training"]["dropout"] == 0.0


def test_every_schema_key_is_described() -> None:
    def walk(node: dict, where: str) -> None:
        for key, child in node.get("properties", {}).items():
            assert child.get("description"), f"{where}{key} has no description"
            assert "default" in child, f"{where}{key} has no default"
            walk(child, f"{where}{key}.")

    walk(schema(), "")


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
    (lambda c: c["training"].update(max_epochs=-1),
     r"^training\.max_epochs: -1 is less than the minimum of 1"),
    (lambda c: c["training"].update(bf16="sometimes"),
     r"^training\.bf16: 'sometimes' is not one of: true, false, 'auto'; fix this value"),
    (lambda c: c["models"].update(mlp={"width": 8}),
     r"^models\.mlp\.width: mlp has a fixed size, without a width; remove it"),
    (lambda c: c["sizes"].update(architectures=["mlp", "speednet"]),
     r"^sizes\.architectures: speednet not in `architectures`; the axis' largest size is "),
    (lambda c: c["sizes"].update(train_images=[1000, 54000]),
     r"^sizes\.train_images: 54000 is not smaller than the training split \(54,000 images\)"),
    (lambda c: c["sizes"].update(train_images=[50]),
     r"^sizes\.train_images\.0: 50 is less than the minimum of 100"),
    (lambda c: c["ensemble"].update(size=61),
     r"^ensemble\.size: 61 is larger than the number of runs, 60 \(architectures x "
     r"regularisations x seeds = 5 x 6 x 2\); give at most 60\.$"),
])
def test_config_mistakes_get_one_line_naming_the_key(change, message: str) -> None:
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
    ("ensemble", {"size": 9}, "ensemble.size: 9 is larger than the number of runs, 8 "),
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


def test_models_take_every_registered_architecture_and_refuse_others() -> None:
    from study.models.registry import list_models, width

    assert "speednet" in list_models()
    for name in list_models():
        config: dict = {"models": {name: {"training": {"max_epochs": 2}}}}
        if width(name, {}) is not None:
            config["models"][name]["width"] = 8
        check_config(config)
        assert run_settings(config, "none", architecture=name)["max_epochs"] == 2
    with pytest.raises(ConfigError, match=r"^models: 'resnet999' is not one of \[.*'speednet'"
                       ) as error:
        check_config({"models": {"resnet999": {}}})
    assert "\n" not in str(error.value)


def test_a_variant_and_an_architecture_reach_the_runs_settings() -> None:
    config = load("config.yaml")
    check_config(config)
    config["models"]["deotte_cnn"]["training"] = {"max_epochs": 7}
    chosen = {"lr": 0.004, "weight_decay": 0.02}
    settings = TrainSettings.from_dict(run_settings(config, "combined", chosen, "deotte_cnn"))
    assert (settings.max_epochs, settings.dropout, settings.augment) == (7, 0.3, True)
    assert (settings.lr, settings.weight_decay, settings.label_smoothing) == (0.004, 0.02, 0.1)
    assert settings.batch_size == config["training"]["batch_size"]


@pytest.mark.parametrize("change", [
    {"learning_rate": 0.1}, {"max_epochs": "ten"}, {"max_epochs": 0}, {"dropout": 1.0},
    {"bf16": "sometimes"}, {"schedule": "cosine"}, {"lr": -0.1},
])
def test_the_engine_refuses_a_setting_as_the_config_does(change: dict) -> None:
    """One check and one message, whether the mistake is in the config or in the settings
    a job is given."""
    with pytest.raises(ConfigError, match=r"^training[.:]") as engine:
        TrainSettings.from_dict(change)
    config = load("smoke.yaml")
    config["training"].update(change)
    with pytest.raises(ConfigError) as study:
        check_config(config)
    assert str(engine.value) == str(study.value)
    assert "\n" not in str(engine.value)


@pytest.mark.parametrize("command", ["train", "search"])
def test_a_bad_setting_on_the_command_line_gets_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str) -> None:
    """Refused before any data is read (the data files here do not exist)."""
    from study.cli import main

    out = tmp_path / "out"
    own = {"train": ["--reg", "none", "--seed", "0", "--model-out", str(out / "model.pt"),
                     "--history-out", str(out / "history.csv"),
                     "--summary-out", str(out / "train.json"),
                     "--resume", str(out / "resume.pt")],
           "search": ["--space", "{}", "--trials", "1", "--storage", str(tmp_path / "s.db"),
                      "--chosen-out", str(out / "chosen.json"),
                      "--trials-out", str(out / "trials.csv")]}
    missing = str(tmp_path / "missing.npz")
    with pytest.raises(SystemExit) as exit_code:
        main([command, *own[command], "--arch", "mlp", "--train", missing, "--split", missing,
              "--settings", '{"max_epochs": 0}'])
    assert exit_code.value.code == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: training.max_epochs: 0 is less than the minimum of 1")


def test_the_schema_ships_in_the_package() -> None:
    """The package reads its schema as package data: pyproject.toml must ship it."""
    import fnmatch

    import tomllib

    from study.schema import SCHEMA_FILE

    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    patterns = project["tool"]["setuptools"]["package-data"]["study"]
    assert any(fnmatch.fnmatch(SCHEMA_FILE, pattern) for pattern in patterns)


def test_idx_folder_is_preferred_to_the_wheel(tmp_path: Path) -> None:
    """With data.idx_dir set, the DAG reads those files and fetches no wheel."""
    from study.data.mnist import IDX_STEMS

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


# What a config file means --------------------------------------------------------------------

def schema_defaults() -> dict:
    """The config that an empty file gives: every default of the schema."""
    config: dict = {}
    check_config(config)
    return config


def dry_run_training(workdir: Path, *args: str) -> tuple[str, list[dict]]:
    """`snakemake -n -p --forceall` in `workdir` laid out as the repository (the default
    study in config/config.yaml, where the Snakefile would find it): its output, and every
    training job's (architecture, variant, seed, settings, model options) from its command."""
    (workdir / "config").mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "config" / "config.yaml", workdir / "config" / "config.yaml")
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-n", "-p",
         "--forceall", "--cores", "1", "--directory", str(workdir), *args],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    jobs = []
    for command in re.findall(r"python -m study train .*", result.stdout):
        words = shlex.split(command.split(" > ")[0])
        option = {words[i]: words[i + 1] for i in range(len(words) - 1)
                  if words[i].startswith("--")}
        jobs.append({"arch": option["--arch"], "reg": option["--reg"],
                     "seed": int(option["--seed"]),
                     "settings": json.loads(option["--settings"]),
                     "options": json.loads(option["--model-options"])})
    return result.stdout, jobs


def expected_settings(config: dict, arch: str, reg: str) -> dict:
    """What a run's settings must be, by the README's rule: the schema's defaults, then the
    file's `training`, then its architecture's, then its variant's."""
    defaults = schema_defaults()
    variants = config.get("variants", defaults["variants"])
    model = config.get("models", {}).get(arch, {})
    return {**defaults["training"], **config.get("training", {}),
            **model.get("training", {}), **variants[reg]}


@pytest.mark.parametrize("name", ["config.yaml", "smoke.yaml", "full.yaml", "accuracy.yaml"])
def test_every_training_job_takes_what_its_file_and_the_schema_say(tmp_path: Path,
                                                                    name: str) -> None:
    """Nothing of the default study reaches another: each shipped file, given with
    --configfile, is the whole study; config/config.yaml is the study when none is given."""
    if name == "config.yaml":  # the default: no --configfile
        output, jobs = dry_run_training(tmp_path)
    else:
        output, jobs = dry_run_training(tmp_path, "--configfile", str(REPO / "config" / name))
    config = load(name)
    defaults = schema_defaults()
    runs = {(a, r, s) for a in config.get("architectures", defaults["architectures"])
            for r in config.get("regularisations", defaults["regularisations"])
            for s in config.get("seeds", defaults["seeds"])}
    assert {(j["arch"], j["reg"], j["seed"]) for j in jobs} == runs
    for job in jobs:
        assert job["settings"] == expected_settings(config, job["arch"], job["reg"]), job
        model = config.get("models", {}).get(job["arch"], {})
        assert job["options"] == {k: v for k, v in model.items() if k != "training"}
    assert re.search(r"^all\s+1$", output, re.MULTILINE), "the dry run does not reach rule all"


def test_the_accuracy_and_full_studies_train_what_their_files_say(tmp_path: Path) -> None:
    _, accuracy = dry_run_training(tmp_path / "a", "--configfile",
                                   str(REPO / "config" / "accuracy.yaml"))
    assert len(accuracy) == 5
    for job in accuracy:
        assert (job["settings"]["max_epochs"], job["settings"]["patience"]) == (24, 24)
        assert job["options"] == {}  # the published width
    _, full = dry_run_training(tmp_path / "f", "--configfile", str(REPO / "config" / "full.yaml"))
    assert len(full) == 150
    for job in full:
        assert job["settings"]["max_epochs"] == 20
        assert job["options"] in ({}, {"width": 32})
        assert job["options"] == {"width": 32} or job["arch"] in ("mlp", "lenet5")


def test_smaller_training_sets_train_longer_and_validate_less_often() -> None:
    """A run on a smaller set goes through `sizes.images_seen` images (24 epochs of 1,000),
    never fewer epochs than at full size nor more than `sizes.max_epochs`; patience scales
    alike and it validates `sizes.validations` times."""
    from study.variants import size_settings

    config = copy.deepcopy(load("config.yaml"))
    check_config(config)
    small = size_settings(config, "augment", "lenet5", 1000)
    assert (small["max_epochs"], small["patience"], small["val_every"]) == (24, 24, 4)
    assert small["augment"] and small["lr"] == "searched"  # the variant's and the base's
    assert size_settings(config, "none", "lenet5", 7000)["max_epochs"] == 4
    config["models"]["deotte_cnn"]["training"] = {"max_epochs": 5, "patience": 5}
    assert size_settings(config, "none", "deotte_cnn", 50000)["max_epochs"] == 5  # its own
    config["sizes"]["max_epochs"] = 20
    assert size_settings(config, "none", "lenet5", 1000)["max_epochs"] == 20
    config = copy.deepcopy(load("config.yaml"))
    del config["sizes"]["architectures"]
    check_config(config)  # null: every architecture of the study
    assert config["sizes"]["architectures"] == config["architectures"]


def test_config_overrides_apply_on_top_with_their_types(tmp_path: Path) -> None:
    """--config KEY=VALUE over a config file: a list or a mapping given there is typed as in
    a file (Snakemake alone would make its items strings)."""
    _, jobs = dry_run_training(tmp_path, "--configfile", str(REPO / "config" / "smoke.yaml"),
                               "--config", "seeds=[0, 1, 2]",
                               "training={max_epochs: 2, patience: 2}")
    assert {j["seed"] for j in jobs} == {0, 1, 2}
    for job in jobs:
        assert (job["settings"]["max_epochs"], job["settings"]["patience"]) == (2, 2)
        assert job["settings"]["batch_size"] == load("smoke.yaml")["training"]["batch_size"]


@pytest.mark.parametrize(("args", "message"), [
    (["--config", "seeds=3"], "seeds: 3 is not of type 'array'"),
    (["--config", "ensemble={size: many}"], "ensemble.size: 'many' is not of type 'integer'"),
])
def test_a_config_override_of_the_wrong_type_gets_one_line(tmp_path: Path, args: list[str],
                                                           message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-n", "--cores",
         "1", "--configfile", str(REPO / "config" / "smoke.yaml"), "--directory",
         str(tmp_path), *args], capture_output=True, text=True)
    assert result.returncode != 0
    line = next(x for x in (result.stdout + result.stderr).splitlines() if message in x)
    assert line.startswith("invalid config: ")


def test_a_config_file_that_does_not_exist_is_named(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-n", "--cores",
         "1", "--configfile", "config/no_such.yaml", "--directory", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode != 0
    last = (result.stdout + result.stderr).strip().splitlines()[-1]
    assert "No such file or directory" in last and "config/no_such.yaml" in last
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("name", ["config.yaml", "smoke.yaml", "full.yaml", "accuracy.yaml"])
def test_an_unknown_key_in_any_shipped_config_gets_one_line(name: str) -> None:
    config = load(name)
    config.setdefault("training", {})["learning_rate"] = 0.1
    with pytest.raises(ConfigError, match="training: unknown key 'learning_rate'") as error:
        check_config(config)
    assert "\n" not in str(error.value)


def test_overrides_are_read_as_yaml() -> None:
    from study.config import typed_overrides

    given = {"seeds": ["0", "1"], "device": "cpu", "ensemble": {"size": "1"}, "x": 3,
             "data": {"subset": "null", "cache_dir": "a: b"}}
    assert typed_overrides(given) == {"seeds": [0, 1], "device": "cpu", "ensemble": {"size": 1},
                                      "x": 3, "data": {"subset": None, "cache_dir": {"a": "b"}}}


def test_the_command_names_the_files_and_overrides(tmp_path: Path) -> None:
    from study.config import command_line

    assert command_line([], {}, tmp_path) == "snakemake --cores all"
    assert command_line([tmp_path / "config" / "accuracy.yaml", Path("/elsewhere/my study.yaml")],
                        {"seeds": [0, 1], "device": "cpu"}, tmp_path) == (
        "snakemake --cores all --configfile config/accuracy.yaml --configfile "
        "'/elsewhere/my study.yaml' --config seeds='[0, 1]' device=cpu")


def test_the_effective_config_is_the_schemas_order_and_reads_back(tmp_path: Path) -> None:
    from study.config import write_effective_config

    config = load("accuracy.yaml")
    check_config(config)
    write_effective_config(config, "snakemake --cores all", tmp_path / "config.yaml",
                           tmp_path / "config.md")
    text = (tmp_path / "config.yaml").read_text()
    assert yaml.safe_load(text) == config
    schema_order = list(schema()["properties"])
    assert [line.split(":")[0] for line in text.splitlines()
            if line and not line.startswith(" ")] == schema_order
    assert "seeds: [0, 1, 2, 3, 4]" in text.splitlines()
    markdown = (tmp_path / "config.md").read_text()
    assert "`snakemake --cores all`" in markdown and f"```yaml\n{text}```" in markdown


def test_the_effective_config_is_worded_in_each_language(tmp_path: Path) -> None:
    """English as it always read; French in French, its typography kept off the command."""
    from study.config import effective_config_markdown, write_effective_config
    from study.reporting.language import NNBSP, Language

    config = load("accuracy.yaml")
    check_config(config)
    command = "snakemake --cores all --config device=cpu note='a: b?'"
    write_effective_config(config, command, tmp_path / "config.yaml", tmp_path / "config.md",
                           {"fr": tmp_path / "fr_config.md"})
    text = (tmp_path / "config.yaml").read_text()
    assert (tmp_path / "config.md").read_text() == (
        f"The study ran with `{command}`, from this configuration: the config file with the "
        f"schema's defaults filled in (`results/config.yaml`).\n\n```yaml\n{text}```\n")
    french = (tmp_path / "fr_config.md").read_text()
    assert french == effective_config_markdown(config, command, Language.load("fr"))
    assert french.startswith(f"L'étude a été lancée par `{command}`, avec cette "
                             f"configuration{NNBSP}: le fichier de configuration")
    assert french.endswith(f"\n\n```yaml\n{text}```\n")
