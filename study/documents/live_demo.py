"""The deck's live demo, made self-contained: the exported model, onnxruntime-web and the
demo's script go into the rendered HTML, so that the single file runs the model offline.

The slide itself (canvas, bars, the placeholder) is in slides/slides.qmd; its behaviour is
study/assets/demo/digit_demo.js, its look digit_demo.css beside it. Only one
WebAssembly build of onnxruntime-web is embedded: the plain SIMD one, run on one thread.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from study.errors import RenderError
from study.package_data import asset

PLACEHOLDER = '<script type="application/x-digit-demo"></script>'
PAYLOAD_TYPE = "application/octet-stream"  # base64 data for the script, not shown
DEMO = asset("demo")
SCRIPT, STYLE = DEMO / "digit_demo.js", DEMO / "digit_demo.css"
# The npm package.json pins this version; the files below are the ones the demo loads.
RUNTIME_FILES = {"digit-demo-ort": "ort.wasm.bundle.min.mjs",
                 "digit-demo-wasm": "ort-wasm-simd-threaded.wasm"}


def has_demo(html: str) -> bool:
    return PLACEHOLDER in html


def runtime_dir(onnxruntime_web: Path | None = None) -> Path:
    """onnxruntime-web's dist/ folder (default: ./node_modules/onnxruntime-web), at the
    version the package.json of the project that installed it pins."""
    package_dir = Path(onnxruntime_web) if onnxruntime_web else \
        Path("node_modules") / "onnxruntime-web"
    package = package_dir / "package.json"
    if not package.is_file():
        raise RenderError(f"onnxruntime-web not found at {package_dir}: run `npm ci` in the "
                          "study's folder or give its path")
    project = package_dir.resolve().parents[1] / "package.json"  # beside node_modules/
    wanted = json.loads(project.read_text(encoding="utf-8")).get("dependencies", {}).get(
        "onnxruntime-web") if project.is_file() else None
    found = json.loads(package.read_text(encoding="utf-8")).get("version")
    if wanted is not None and found != wanted:
        raise RenderError(f"onnxruntime-web {found} at {package_dir}, but package.json pins "
                          f"{wanted}: run `npm ci`")
    dist = package_dir / "dist"
    missing = [name for name in RUNTIME_FILES.values() if not (dist / name).is_file()]
    if missing:
        raise RenderError(f"{dist} lacks {', '.join(missing)}: run `npm ci`")
    return dist


def _payload(element_id: str, data: bytes) -> str:
    # base64 never holds '<', so it cannot close the element early.
    encoded = base64.b64encode(data).decode("ascii")
    return f'<script type="{PAYLOAD_TYPE}" id="{element_id}">{encoded}</script>'


def embed(html: Path, model: Path | None, onnxruntime_web: Path | None = None) -> None:
    """Fill the demo's placeholder in `html` with `model` (.onnx), the runtime and the
    script. A deck without the placeholder is left as it is."""
    text = html.read_text(encoding="utf-8")
    if not has_demo(text):
        return
    if model is None or not Path(model).is_file():
        raise RenderError(f"{model or 'the model'} not found: the deck's live demo runs the "
                          "exported model (rule export_onnx, `snakemake "
                          "results/model/best.onnx`)")
    dist = runtime_dir(onnxruntime_web)
    parts = [_payload("digit-demo-model", Path(model).read_bytes())]
    parts += [_payload(element, (dist / name).read_bytes())
              for element, name in RUNTIME_FILES.items()]
    parts.append(f"<style>\n{STYLE.read_text(encoding='utf-8')}</style>")
    parts.append(f"<script>\n{SCRIPT.read_text(encoding='utf-8')}</script>")
    html.write_text(text.replace(PLACEHOLDER, "\n".join(parts), 1), encoding="utf-8")
