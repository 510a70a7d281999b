"""The deck's live demo, made self-contained: the exported model, onnxruntime-web and the
demo's script go into the rendered HTML, so that the single file runs the model offline.

The slide itself (canvas, bars, the placeholder) is in slides/slides.qmd; its behaviour is
study/assets/demo/digit_demo.js, its look digit_demo.css beside it. Only one
WebAssembly build of onnxruntime-web is embedded: the plain SIMD one, run on one thread.

What the script writes on the slide is in the deck's language: its words (`labels.demo` of
the wording files, through study.reporting.language.Language, French typography applied)
and how it writes a number (the decimal mark, the percent format) go into the page as a
JSON object, <script type="application/json" id="digit-demo-words">, that the script reads.
"""

from __future__ import annotations

import base64
import json
import string
from pathlib import Path
from typing import Any

from study.errors import RenderError
from study.package_data import asset
from study.reporting.language import Language

PLACEHOLDER = '<script type="application/x-digit-demo"></script>'
PAYLOAD_TYPE = "application/octet-stream"  # base64 data for the script, not shown
WORDS_ID = "digit-demo-words"  # the language's words and number format, as JSON
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


def page_words(language: str = "en") -> dict[str, Any]:
    """What the script needs to write in `language`: `locale` (the language's code),
    `decimal` (its decimal mark), `percent` (its percent format, "{}" for the number, with
    the language's typography: "{}%", French "{} %" with a narrow no-break space) and
    `words`, the templates of the wording's `labels.demo`, typography applied, their
    {fields} left for the script to fill."""
    try:
        lang = Language.load(language)
    except ValueError as err:
        raise RenderError(f"the deck's live demo: {err}") from None
    templates = lang.labels.get("demo")
    if not isinstance(templates, dict):
        raise RenderError(f"the {language} wording has no labels.demo: the live demo's words")
    words = {}
    for key, template in templates.items():
        fields = {name for _, name, _, _ in string.Formatter().parse(str(template)) if name}
        words[key] = lang.label(f"demo.{key}", **{name: "{" + name + "}" for name in fields})
    return {"locale": lang.code, "decimal": lang.number["decimal"],
            "percent": lang.typography(lang.number["percent"]), "words": words}


def _words(language: str) -> str:
    data = json.dumps(page_words(language), ensure_ascii=True, sort_keys=True)
    # No '<', '>' or '&' in the element: it cannot be closed early.
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/json" id="{WORDS_ID}">{data}</script>'


def embed(html: Path, model: Path | None, onnxruntime_web: Path | None = None,
          language: str = "en") -> None:
    """Fill the demo's placeholder in `html` with `model` (.onnx), the runtime, the words
    and number format of `language` (a wording file's code) and the script. A deck without
    the placeholder is left as it is."""
    text = html.read_text(encoding="utf-8")
    if not has_demo(text):
        return
    if model is None or not Path(model).is_file():
        raise RenderError(f"{model or 'the model'} not found: the deck's live demo runs the "
                          "exported model (rule export_onnx, `snakemake "
                          "results/model/best.onnx`)")
    dist = runtime_dir(onnxruntime_web)
    words = _words(language)  # an unknown language fails before the page is touched
    parts = [_payload("digit-demo-model", Path(model).read_bytes())]
    parts += [_payload(element, (dist / name).read_bytes())
              for element, name in RUNTIME_FILES.items()]
    parts.append(words)
    parts.append(f"<style>\n{STYLE.read_text(encoding='utf-8')}</style>")
    parts.append(f"<script>\n{SCRIPT.read_text(encoding='utf-8')}</script>")
    html.write_text(text.replace(PLACEHOLDER, "\n".join(parts), 1), encoding="utf-8")
