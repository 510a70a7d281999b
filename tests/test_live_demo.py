"""The deck's live demo in headless Chromium: the slide's own markup with a trained model
embedded reads a digit drawn with the mouse, offline, and its JavaScript preprocessing is
`study predict`'s; it writes its words and numbers in the deck's language."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from demo_browser import file_url, open_demo
from drawn_digits import draw

from study.documents import live_demo
from study.errors import RenderError
from study.reporting.language import NNBSP
from study.serving.digit_image import ink_map, to_mnist
from study.serving.predict import load_model, predict

REPO = Path(__file__).resolve().parents[1]
DECKS = {"en": REPO / "slides" / "slides.qmd", "fr": REPO / "soutenance" / "soutenance.qmd"}


def demo_markup(language: str = "en") -> str:
    """The raw HTML of the deck's "Draw a digit" slide, as the deck in `language` has it."""
    text = DECKS[language].read_text(encoding="utf-8")
    slide = text[text.index("{#draw-a-digit}"):]
    return re.search(r"```\{=html\}\n(.*?)```", slide, re.DOTALL).group(1)


def write_page(page: Path, model: Path, language: str = "en") -> Path:
    page.write_text(f"<!doctype html><html lang='{language}'><head><meta charset='utf-8'>"
                    f"</head><body>{demo_markup(language)}</body></html>", encoding="utf-8")
    live_demo.embed(page, model, language=language)
    return page


@pytest.fixture(scope="module")
def demo_page(digit_reader: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
              ) -> Path:
    return write_page(tmp_path_factory.mktemp("demo") / "demo.html", digit_reader["onnx"])


@pytest.mark.parametrize("digit", [7, 0])
def test_a_digit_drawn_with_the_mouse_is_read_offline(demo_page: Path, digit: int,
                                                      digit_reader: dict[str, Path],
                                                      tmp_path: Path) -> None:
    with open_demo(file_url(demo_page)) as demo:
        shown = demo.draw(digit)
        drawn = demo.canvas()
        answer = demo.page.locator(".digit-answer").text_content()
        top_bar = demo.page.locator(".digit-bar.top .label").inner_text()
        assert demo.network(file_url(demo_page)) == []
        assert demo.problems == []
    assert shown["digit"] == digit
    assert re.fullmatch(rf"{digit}  \(\d+\.\d%\)", answer) and top_bar == str(digit)
    # `study predict` reads the same picture the same way.
    drawn.save(tmp_path / "drawn.png")
    (prediction,), _ = predict([tmp_path / "drawn.png"], load_model(digit_reader["onnx"]))
    np.testing.assert_allclose(shown["probabilities"], prediction.probabilities[0], atol=1e-4)


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


def _embedded_words(page: Path) -> dict:
    found = re.search(r'<script type="application/json" id="digit-demo-words">(.*?)</script>',
                      page.read_text(encoding="utf-8"), re.DOTALL)
    return json.loads(found.group(1))


def test_the_page_carries_the_words_and_numbers_of_its_language(tmp_path: Path) -> None:
    """The script's words come from labels.demo of the wording files (English: the words it
    always had), and its number format from the language's."""
    model = tmp_path / "best.onnx"
    model.write_bytes(b"not read here")
    english = _embedded_words(write_page(tmp_path / "en.html", model))
    assert english == {"locale": "en", "decimal": ".", "percent": "{}%",
                       "words": {"answer": "{digit}  ({percent})", "no_answer": "?",
                                 "could_not_run": "The model could not run: {error}"}}
    french = _embedded_words(write_page(tmp_path / "fr.html", model, "fr"))
    assert (french["locale"], french["decimal"], french["percent"]) == ("fr", ",",
                                                                        "{}" + NNBSP + "%")
    assert french["words"].keys() == english["words"].keys()
    assert french["words"]["could_not_run"] == f"Le modèle n'a pas pu s'exécuter{NNBSP}: {{error}}"
    unknown = tmp_path / "xx.html"
    unknown.write_text(f"<html><body>{live_demo.PLACEHOLDER}</body></html>")
    with pytest.raises(RenderError, match="no wording for language 'xx'"):
        live_demo.embed(unknown, model, language="xx")
    assert live_demo.PLACEHOLDER in unknown.read_text()


def test_a_french_page_writes_french_words_and_numbers(tmp_path: Path) -> None:
    """In Chromium, without a model that runs: the percentages as French writes them
    (99,5 % with a narrow no-break space) and the failure said in French."""
    model = tmp_path / "best.onnx"
    model.write_bytes(b"not an ONNX model")
    page = write_page(tmp_path / "fr.html", model, "fr")
    with open_demo(file_url(page)) as demo:
        percent = demo.page.evaluate("[0.995, 0.0004, 1].map(window.digitDemo.percent)")
        assert percent == [f"99,5{NNBSP}%", f"0,0{NNBSP}%", f"100,0{NNBSP}%"]
        assert demo.page.evaluate("window.digitDemo.word('answer', {digit: 7, percent: "
                                  "window.digitDemo.percent(0.995)})") == f"7  (99,5{NNBSP}%)"
        demo.strokes(7)
        status = demo.page.locator(".digit-status")
        status.filter(has_text="Le modèle").wait_for(timeout=60_000)
        assert status.inner_text().startswith(f"Le modèle n'a pas pu s'exécuter{NNBSP}: ")
        assert demo.page.locator(".digit-answer").inner_text() == "?"
    english = write_page(tmp_path / "en.html", model)
    with open_demo(file_url(english)) as demo:
        assert demo.page.evaluate("window.digitDemo.percent(0.995)") == "99.5%"


def test_the_french_deck_reads_a_digit_in_french(digit_reader: dict[str, Path],
                                                 tmp_path: Path) -> None:
    page = write_page(tmp_path / "fr.html", digit_reader["onnx"], "fr")
    with open_demo(file_url(page)) as demo:
        shown = demo.draw(7)
        answer = demo.page.locator(".digit-answer").text_content()
        assert demo.problems == []
    assert shown["digit"] == 7
    assert re.fullmatch(rf"7  \(\d+,\d{NNBSP}%\)", answer), answer
