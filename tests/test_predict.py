"""`python -m study predict` reads digits the tests draw, in every style a user may bring,
with the exported ONNX model or a PyTorch checkpoint; the export agrees with PyTorch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from conftest import run_files
from drawn_digits import STROKES, draw, draw_number
from PIL import Image, ImageDraw

from study.errors import CheckpointError
from study.serving.onnx_export import LOGIT_TOLERANCE, normalised_model
from study.serving.predict import Prediction, load_model, predict

REPO = Path(__file__).resolve().parents[1]


def _styles(digit: int, folder: Path) -> list[Path]:
    """The digit as a user may photograph, scan or draw it."""
    rng = np.random.default_rng(digit)
    photo = np.asarray(draw(digit, ink=50, paper=200), dtype=np.float64)
    photo = np.clip(photo + rng.normal(0, 10, photo.shape), 0, 255).astype(np.uint8)
    pictures = {
        "plain.png": draw(digit),
        "inverted.png": draw(digit, ink=0, paper=255),
        "thick.bmp": draw(digit, width=0.16),
        "off_centre.gif": draw(digit, scale=0.4, offset=(0.25, -0.2), canvas=(500, 300)),
        "photo.jpg": Image.fromarray(photo),
        "large.tif": draw(digit, size=1200),
    }
    paths = []
    for name, picture in pictures.items():
        paths.append(folder / f"{digit}_{name}")
        picture.save(paths[-1])
    return paths


@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> dict[int, list[Path]]:
    folder = tmp_path_factory.mktemp("drawn")
    return {digit: _styles(digit, folder) for digit in STROKES}


def test_drawn_digits_are_read_in_every_style(digit_reader: dict[str, Path],
                                              drawn: dict[int, list[Path]]) -> None:
    model = load_model(digit_reader["onnx"])
    files = [path for paths in drawn.values() for path in paths]
    predictions, errors = predict(files, model)
    assert errors == {}
    wrong = [(p.file, p.digit) for p in predictions if p.digit != int(Path(p.file).name[0])]
    assert wrong == []
    for p in predictions:
        assert p.probabilities.shape == (1, 10) and p.probabilities.sum() == pytest.approx(1.0)
        top = p.top()
        assert top[0][0] == p.digit and len(top) == 3
        assert top[0][1] >= top[1][1] >= top[2][1]


def test_the_checkpoint_and_its_export_read_alike(digit_reader: dict[str, Path],
                                                  drawn: dict[int, list[Path]]) -> None:
    files = [paths[0] for paths in drawn.values()]
    from_onnx, _ = predict(files, load_model(digit_reader["onnx"]))
    from_torch, _ = predict(files, load_model(digit_reader["run"] / "model.pt"))
    for a, b in zip(from_onnx, from_torch, strict=True):
        np.testing.assert_allclose(a.probabilities, b.probabilities, atol=1e-4)


@pytest.mark.parametrize("gap", [30, -2], ids=["spaced", "touching"])
def test_numbers_are_read_digit_by_digit(digit_reader: dict[str, Path], tmp_path: Path,
                                         gap: int) -> None:
    files = []
    for number in ["17", "42", "307", "2014", "7431"]:
        files.append(tmp_path / f"{number}.png")
        draw_number(number, gap).save(files[-1])
    predictions, errors = predict(files, load_model(digit_reader["onnx"]))
    assert errors == {}
    assert [p.number for p in predictions] == [f.stem for f in files]
    assert [p.probabilities.shape for p in predictions] == [(len(f.stem), 10) for f in files]


def test_a_four_drawn_as_an_l_and_a_bar_stays_one_digit(digit_reader: dict[str, Path],
                                                        tmp_path: Path) -> None:
    """Its bar is a neck, as where two digits touch; the model reads the whole as a 4 more
    surely than the L and the bar as two digits, so the split is not taken."""
    picture = Image.new("L", (280, 280), 0)
    pen = ImageDraw.Draw(picture)
    for stroke in ([(75, 30), (60, 205), (235, 205)], [(185, 35), (185, 250)]):
        pen.line(stroke, fill=255, width=24, joint="curve")
    path = tmp_path / "four.png"
    picture.save(path)
    from study.serving.number_image import preprocess_number

    ((_, parts),) = preprocess_number(path).pieces
    assert len(parts) == 2  # the split is proposed
    (prediction,), _ = predict([path], load_model(digit_reader["onnx"]))
    assert prediction.number == "4"


def _sure_of(probabilities: list[float]) -> Callable[[np.ndarray], np.ndarray]:
    """A model that reads every picture with these probabilities."""
    logits = np.log(np.asarray(probabilities))
    return lambda pixels: np.tile(logits, (len(pixels), 1))


def test_a_reading_below_the_threshold_is_marked_uncertain(
        drawn: dict[int, list[Path]]) -> None:
    seven = drawn[7][0]
    unsure = [0.0, 0.35, 0.0, 0.0, 0.0, 0.0, 0.0, 0.65, 0.0, 0.0]
    unsure = [max(p, 1e-9) for p in unsure]
    (reading,), _ = predict([seven], _sure_of(unsure))
    assert reading.digit == 7 and reading.uncertain()
    assert reading.as_text().startswith(f"{seven}: 7 (65.0%, uncertain); top 3: 7 65.0%, 1 ")
    assert json.loads(reading.as_json())["uncertain"] is True
    (reading,), _ = predict([seven], _sure_of(unsure), threshold=0.6)
    assert not reading.uncertain() and "uncertain" not in reading.as_text()
    sure = [max(p, 1e-9) for p in [0.0] * 7 + [0.95, 0.05, 0.0]]
    (reading,), _ = predict([seven], _sure_of(sure))
    assert not reading.uncertain() and json.loads(reading.as_json())["uncertain"] is False


def test_a_number_says_which_digit_is_uncertain() -> None:
    rows = np.full((2, 10), 0.01)
    rows[0, 4], rows[1, 2], rows[1, 7] = 0.91, 0.5, 0.42
    reading = Prediction("n.png", rows / rows.sum(axis=1, keepdims=True))
    assert reading.number == "42"
    assert reading.as_text() == "n.png: 42 (4 91.0%, 2 50.0%, uncertain)"
    record = json.loads(reading.as_json())
    assert record["number"] == "42" and record["uncertain"] is True
    assert [d["digit"] for d in record["digits"]] == [4, 2]
    assert [d["uncertain"] for d in record["digits"]] == [False, True]
    assert record["digits"][1]["top"][1]["digit"] == 7


def test_the_export_agrees_with_pytorch_on_the_test_images(
        digit_reader: dict[str, Path]) -> None:
    check = json.loads(digit_reader["check"].read_text())
    assert check["images"] == 10_000
    assert check["disagreements"] == 0
    assert check["max_logit_difference"] <= LOGIT_TOLERANCE
    # The normalisation is inside the graph: pixels in [0, 1] go in, logits come out.
    proto = onnx.load(str(digit_reader["onnx"]))
    assert [i.name for i in proto.graph.input] == ["pixels"]
    assert [o.name for o in proto.graph.output] == ["logits"]
    meta = {p.key: p.value for p in proto.metadata_props}
    assert meta["architecture"] == "lenet5" and "[0, 1]" in meta["input"]
    # Checked here again, independently of the export's own check, on other inputs.
    import onnxruntime
    session = onnxruntime.InferenceSession(str(digit_reader["onnx"]),
                                           providers=["CPUExecutionProvider"])
    model, _ = normalised_model(digit_reader["run"] / "model.pt")
    pixels = np.random.default_rng(0).random((7, 1, 28, 28), dtype=np.float32)
    with torch.no_grad():
        expected = model(torch.from_numpy(pixels)).numpy()
    np.testing.assert_allclose(session.run(None, {"pixels": pixels})[0], expected,
                               atol=LOGIT_TOLERANCE)


def test_an_export_that_disagrees_is_not_written(digit_reader: dict[str, Path],
                                                 tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from study.serving import onnx_export

    def broken(model: torch.nn.Module, example: torch.Tensor, path: Path,
               metadata: dict[str, str]) -> None:
        """The export, with its first weights halved on the way to the file."""
        original(model, example, path, metadata)
        proto = onnx.load(str(path))
        first = proto.graph.initializer[0]
        weights = onnx.numpy_helper.to_array(first) * 0.5
        first.CopyFrom(onnx.numpy_helper.from_array(weights, first.name))
        onnx.save(proto, str(path))

    original = onnx_export._export
    monkeypatch.setattr(onnx_export, "_export", broken)
    best = tmp_path / "best.json"
    best.write_text(json.dumps({"architecture": "lenet5", "regularisation": "augment",
                                "seed": 0}))
    with pytest.raises(onnx_export.ExportError, match="disagrees with PyTorch"):
        onnx_export.export_onnx(best, run_files([digit_reader["run"]], "model"),
                                digit_reader["test"], tmp_path / "best.onnx",
                                tmp_path / "check.json")
    assert list(tmp_path.iterdir()) == [best]


def _cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "study", "predict", *args], cwd=cwd,
                          capture_output=True, text=True, env=env, check=False)


def test_predicting_does_not_start_pytorch() -> None:
    """The ONNX route answers from a new process in a fraction of a second: no torch."""
    check = ("import sys, study.cli, study.serving.predict; "
             "sys.exit('torch' in sys.modules)")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    assert subprocess.run([sys.executable, "-c", check], env=env, check=False).returncode == 0


def test_the_command_prints_a_line_per_image_and_says_which_failed(
        digit_reader: dict[str, Path], drawn: dict[int, list[Path]], tmp_path: Path) -> None:
    seven, zero = drawn[7][0], drawn[0][1]
    junk = tmp_path / "notes.png"
    junk.write_text("not a picture")
    blank = tmp_path / "blank.png"
    Image.new("L", (50, 50), 255).save(blank)
    result = _cli(str(seven), str(junk), str(zero), str(blank),
                  "--checkpoint", str(digit_reader["onnx"]))
    assert result.returncode == 1  # some failed, the others were read
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{seven}: 7 (") and "top 3: 7 " in lines[0]
    assert lines[1].startswith(f"{zero}: 0 (")
    errors = result.stderr.splitlines()
    assert errors == [f"error: {junk}: not an image Pillow can read (PNG, JPEG, BMP, GIF, "
                      "TIFF...)", f"error: {blank}: no ink: nothing stands out from the "
                      "background"]

    as_json = _cli("--json", str(seven), str(junk), "--checkpoint", str(digit_reader["onnx"]))
    records = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert records[0]["file"] == str(seven) and records[0]["digit"] == 7
    assert records[0]["top"][0]["digit"] == 7
    assert records[0]["probability"] == records[0]["top"][0]["probability"]
    assert records[1] == {"file": str(junk), "error": errors[0].removeprefix("error: ")}

    all_good = _cli(str(seven), "--checkpoint", str(digit_reader["run"] / "model.pt"))
    assert all_good.returncode == 0 and all_good.stdout.startswith(f"{seven}: 7 (")

    number = tmp_path / "2014.png"
    draw_number("2014", gap=-2).save(number)
    as_json = _cli("--json", str(number), "--checkpoint", str(digit_reader["onnx"]))
    record = json.loads(as_json.stdout)
    assert record["number"] == "2014" and len(record["digits"]) == 4
    assert isinstance(record["uncertain"], bool)
    everything_unsure = _cli(str(seven), "--uncertain-below", "1", "--checkpoint",
                             str(digit_reader["onnx"]))
    assert everything_unsure.returncode == 0 and ", uncertain)" in everything_unsure.stdout
    for bad in ("1.5", "0", "sure"):
        refused = _cli(str(seven), "--uncertain-below", bad)
        assert refused.returncode == 2
        assert f"'{bad}' is not a probability in (0, 1]" in refused.stderr


def test_the_default_model_is_the_last_studys(digit_reader: dict[str, Path],
                                              drawn: dict[int, list[Path]],
                                              tmp_path: Path) -> None:
    missing = _cli(str(drawn[1][0]), cwd=tmp_path)
    assert missing.returncode == 1
    assert missing.stderr.strip() == ("error: results/model/best.onnx: model not found; run "
                                      "the study first (`snakemake --cores all`) or pass "
                                      "--checkpoint")
    (tmp_path / "results" / "model").mkdir(parents=True)
    (tmp_path / "results" / "model" / "best.onnx").write_bytes(
        digit_reader["onnx"].read_bytes())
    found = _cli(str(drawn[1][0]), cwd=tmp_path)
    assert found.returncode == 0 and f"{drawn[1][0]}: 1 (" in found.stdout


def test_a_model_file_that_is_not_one_gets_a_clear_error(tmp_path: Path) -> None:
    fake = tmp_path / "model.onnx"
    fake.write_bytes(b"\x08\x07garbage")
    with pytest.raises(CheckpointError, match="not an ONNX model"):
        load_model(fake)
    junk = tmp_path / "model.pt"
    junk.write_bytes(b"junk")
    with pytest.raises(CheckpointError, match="not a study checkpoint"):
        load_model(junk)
