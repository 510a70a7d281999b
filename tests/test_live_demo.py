"""The deck's live demo in headless Chromium: the slide's own markup with a trained model
embedded reads a digit drawn with the mouse, offline, and its JavaScript preprocessing is
`study predict`'s."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from demo_browser import file_url, open_demo
from drawn_digits import draw

from study.documents import live_demo
from study.errors import RenderError
from study.serving.digit_image import ink_map, to_mnist
from study.serving.predict import load_model, predict

REPO = Path(__file__).resolve().parents[1]


def demo_markup() -> str:
    """The raw HTML of the deck's "Draw a digit" slide, as slides.qmd has it."""
    text = (REPO / "slides" / "slides.qmd").read_text(encoding="utf-8")
    slide = text[text.index("## Draw a digit"):]
    return re.search(r"```\{=html\}\n(.*?)```", slide, re.DOTALL).group(1)


@pytest.fixture(scope="module")
def demo_page(digit_reader: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
              ) -> Path:
    page = tmp_path_factory.mktemp("demo") / "demo.html"
    page.write_text(f"<!doctype html><html><head><meta charset='utf-8'></head><body>"
                    f"{demo_markup()}</body></html>", encoding="utf-8")
    live_demo.embed(page, digit_reader["onnx"])
    return page


@pytest.mark.parametrize("digit", [7, 0])
def test_a_digit_drawn_with_the_mouse_is_read_offline(demo_page: Path, digit: int,
                                                      digit_reader: dict[str, Path],
                                                      tmp_path: Path) -> None:
    with open_demo(file_url(demo_page)) as demo:
        shown = demo.draw(digit)
        drawn = demo.canvas()
        answer = demo.page.locator(".digit-answer").inner_text()
        top_bar = demo.page.locator(".digit-bar.top .label").inner_text()
        assert demo.network(file_url(demo_page)) == []
        assert demo.problems == []
    assert shown["digit"] == digit
    assert answer.startswith(str(digit)) and top_bar == str(digit)
    # `study predict` reads the same picture the same way.
    drawn.save(tmp_path / "drawn.png")
    (prediction,), _ = predict([tmp_path / "drawn.png"], load_model(digit_reader["onnx"]))
    np.testing.assert_allclose(shown["probabilities"], prediction.probabilities, atol=1e-4)


def _pictures() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    noisy = np.asarray(draw(4, ink=40, paper=210), dtype=np.float64) / 255
    noisy = np.clip(noisy + rng.normal(0, 0.04, noisy.shape), 0, 1)
    noisy[10:13, 240:243] = 0.1  # a speck
    return {
        "drawn": np.asarray(draw(2, size=120), dtype=np.float64) / 255,
        "inverted": 1 - np.asarray(draw(3, size=90), dtype=np.float64) / 255,
        "small": np.asarray(draw(7, size=60, scale=0.2, canvas=(90, 60)), dtype=np.float64) / 255,
        "wide": np.asarray(draw(1, size=100, canvas=(300, 100), offset=(1.1, 0)),
                           dtype=np.float64) / 255,
        "noisy": noisy,
    }


def test_the_demo_preprocesses_as_predict_does(demo_page: Path) -> None:
    with open_demo(file_url(demo_page)) as demo:
        for name, gray in _pictures().items():
            expected = to_mnist(ink_map(gray))
            np.testing.assert_allclose(demo.preprocess(gray), expected, atol=1e-5,
                                       err_msg=name)


def test_clear_empties_the_pad(demo_page: Path) -> None:
    with open_demo(file_url(demo_page)) as demo:
        demo.draw(1)
        demo.page.locator(".digit-clear").click()
        pixels = np.asarray(demo.canvas().convert("L"))
        assert pixels.max() == 0
        assert demo.page.locator(".digit-answer").inner_text() == "?"
        assert demo.page.evaluate("window.digitDemo.state.last") is None


def test_embedding_needs_the_model(tmp_path: Path) -> None:
    page = tmp_path / "deck.html"
    page.write_text(f"<html><body>{live_demo.PLACEHOLDER}</body></html>")
    with pytest.raises(RenderError, match=r"best\.onnx not found"):
        live_demo.embed(page, tmp_path / "best.onnx")
    untouched = tmp_path / "other.html"
    untouched.write_text("<html><body>no demo here</body></html>")
    live_demo.embed(untouched, tmp_path / "best.onnx")  # nothing to fill in: no error
    assert untouched.read_text() == "<html><body>no demo here</body></html>"


def test_embedding_refuses_another_onnxruntime_web(tmp_path: Path) -> None:
    """The version installed must be the one the project beside node_modules/ pins."""
    (tmp_path / "package.json").write_text((REPO / "package.json").read_text())
    package = tmp_path / "node_modules" / "onnxruntime-web"
    (package / "dist").mkdir(parents=True)
    (package / "package.json").write_text('{"version": "1.0.0"}')
    with pytest.raises(RenderError, match=r"onnxruntime-web 1\.0\.0 .* package\.json pins"):
        live_demo.runtime_dir(package)
