"""How fast the trained model answers a user: `study predict` from a cold start, and the
deck with its live demo (size, time to open, time until the model is ready to read).

    python scripts/bench_demo.py [--results results] [--repeats 5]

Run after the study (it reads results/model/best.onnx and results/slides/slides.html).
Prints the figures; the goals are under 1 s for predict, under 30 MB and 3 s for the deck.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw

from study.provenance import cpu_model

REPO = Path(__file__).resolve().parent.parent


def predict_seconds(results: Path, repeats: int) -> list[float]:
    """Wall time of `python -m study predict` on one picture, each a new process."""
    with tempfile.TemporaryDirectory() as tmp:
        picture = Path(tmp) / "seven.png"
        image = Image.new("L", (280, 280), 255)
        ImageDraw.Draw(image).line([(60, 50), (220, 50), (120, 240)], fill=0, width=24)
        image.save(picture)
        command = [sys.executable, "-m", "study", "predict", str(picture), "--checkpoint",
                   str(results / "model" / "best.onnx")]
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, env=env)
            times.append(time.perf_counter() - start)
    return times


def deck_seconds(deck: Path, repeats: int) -> list[tuple[float, float]]:
    """(seconds until reveal.js is ready, seconds until the demo's model can read), each in
    a new headless Chromium, from the start of navigation."""
    from playwright.sync_api import sync_playwright

    from study.documents.deck_check import find_chromium

    chromium = find_chromium()
    if chromium is None:
        raise SystemExit("Chromium not found: install Debian's `chromium`")
    times = []
    with sync_playwright() as playwright:
        for _ in range(repeats):
            browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(deck.resolve().as_uri() + "#/draw-a-digit")
            page.wait_for_function("window.Reveal && Reveal.isReady()")
            ready = page.evaluate("performance.now()") / 1000
            model = page.evaluate("window.digitDemo.loadModel().then(() => performance.now())")
            times.append((ready, model / 1000))
            browser.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"CPU: {cpu_model()}, {os.cpu_count()} cores")
    times = predict_seconds(args.results, args.repeats)
    print(f"study predict, one picture, cold start: median {statistics.median(times):.2f} s "
          f"(each run: {', '.join(f'{t:.2f}' for t in times)})")
    deck = args.results / "slides" / "slides.html"
    print(f"deck: {deck.stat().st_size / 1e6:.1f} MB")
    opened = deck_seconds(deck, args.repeats)
    print(f"deck opened (reveal.js ready): median {statistics.median(t for t, _ in opened):.2f} s;"
          f" demo model ready: median {statistics.median(m for _, m in opened):.2f} s")


if __name__ == "__main__":
    main()
