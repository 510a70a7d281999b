"""Driving the deck's live demo in Debian's Chromium through Playwright (no browser is
downloaded): open a page, draw strokes with the mouse, read what the demo shows, and record
every request the page makes."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from drawn_digits import STROKES
from PIL import Image

from study.documents.deck_check import find_chromium


@dataclass
class DemoPage:
    page: Any
    requests: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def draw(self, digit: int) -> dict[str, Any]:
        """Draw `digit`'s strokes on the pad with the mouse; what the demo then shows."""
        self.strokes(digit)
        self.page.wait_for_function("window.digitDemo.state.last !== null"
                                    " && !window.digitDemo.state.pending", timeout=60_000)
        return self.page.evaluate("window.digitDemo.state.last")

    def strokes(self, digit: int) -> None:
        """Draw `digit`'s strokes on the pad with the mouse, waiting for nothing."""
        pad = self.page.locator("canvas.digit-pad")
        pad.scroll_into_view_if_needed()
        box = pad.bounding_box()
        margin = 0.15  # the pen stays off the pad's edges, as a hand does

        def at(x: float, y: float) -> tuple[float, float]:
            return (box["x"] + (margin + (1 - 2 * margin) * x) * box["width"],
                    box["y"] + (margin + (1 - 2 * margin) * y) * box["height"])
        for stroke in STROKES[digit]:
            self.page.mouse.move(*at(*stroke[0]))
            self.page.mouse.down()
            for (x0, y0), (x1, y1) in pairwise(stroke):
                for t in np.linspace(0, 1, 6)[1:]:
                    self.page.mouse.move(*at(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t))
            self.page.mouse.up()

    def canvas(self) -> Image.Image:
        """The pad's pixels, as a PNG would hold them."""
        url = self.page.evaluate("document.querySelector('canvas.digit-pad').toDataURL()")
        return Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))

    def preprocess(self, gray: np.ndarray) -> np.ndarray:
        """The demo's JavaScript preprocessing of a grey-level picture."""
        h, w = gray.shape
        out = self.page.evaluate("([g, w, h]) => Array.from(window.digitDemo.preprocess(g, w, h))",
                                 [gray.ravel().tolist(), w, h])
        return np.asarray(out, dtype=np.float64).reshape(28, 28)

    def network(self, page_url: str) -> list[str]:
        """Every request but the page itself and in-page objects (blob:, data:)."""
        return [u for u in self.requests
                if u != page_url and not u.startswith(("blob:", "data:"))]


@contextmanager
def open_demo(url: str) -> Iterator[DemoPage]:
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("Chromium not installed (Debian's `chromium`; .ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium,
                                             args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            demo = DemoPage(page)
            page.on("request", lambda request: demo.requests.append(request.url))
            page.on("pageerror", lambda error: demo.problems.append(str(error)))
            page.on("console", lambda message: demo.problems.append(message.text)
                    if message.type == "error" else None)
            page.goto(url)
            page.wait_for_function("window.digitDemo !== undefined")
            yield demo
        finally:
            browser.close()


def file_url(path: Path) -> str:
    return Path(path).resolve().as_uri()
