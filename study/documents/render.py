"""Render the Quarto report (PDF) and slide deck (reveal.js HTML) from generated results.

The documents are written for Quarto, which is used when `quarto` is on the PATH. Quarto
cannot be installed from the package registries, so the same `.qmd` files also render with
the engines Quarto is built on, all from registries: pandoc (PyPI `pypandoc-binary`), Typst
(PyPI `typst`) and reveal.js 5 (npm). `assets/quarto-subset.lua` teaches pandoc the part
of Quarto the documents use (shortcodes, callouts, figure/table cross-references).

A part that depends on what the study trained is fenced as
`::: {.content-visible when-var="shows.comparisons"}` (or `.content-hidden`): it is kept
only when that variable of variables.yml is true (false), before either engine runs, so a
study that leaves something out (one variant, nothing compared) still renders.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from study.documents import live_demo
from study.documents.staging import FORMATS, document_format, stage
from study.errors import RenderError
from study.io import atomic_path
from study.package_data import asset

__all__ = ["RenderError", "render"]

ASSETS = asset()
LUA_FILTER = ASSETS / "quarto-subset.lua"
TYPST_HEADER = ASSETS / "typst-header.typ"
REVEAL_CSS = ASSETS / "revealjs.css"

ENGINES = ("auto", "pandoc", "quarto")

# Anything that would make the browser fetch from the network when the deck is shown.

REMOTE = re.compile(r"""(?:\b(?:src|href|srcset|poster|data-src)\s*=\s*["']?|url\(\s*["']?)\s*"""
                    r"""((?:https?:)?//[^"'\s)>]+)""", re.IGNORECASE)


def render(document: Path, generated: Path, output: Path, *, variables: Path,
           findings: Path | None = None, model: Path | None = None,
           reveal_js: Path | None = None, engine: str = "auto",
           onnxruntime_web: Path | None = None, language: str = "en") -> None:
    """Render `document` (.qmd) with the results in `generated` into `output`.

    The document names its figures and tables by their paths in `generated`
    (`figures/*.png`, `tables/*.md`); it quotes `variables` (variables.yml) and the
    sentences of `findings` (findings.yml) as `{{< var ... >}}`. The output format follows
    the document's front matter: `typst` gives a PDF, `revealjs` one self-contained HTML
    file. `engine` is "auto" (Quarto when on the PATH, else pandoc), "pandoc" or "quarto".
    `reveal_js` is the local reveal.js 5 (default: node_modules/reveal.js). A deck with the
    live demo also embeds `model` (.onnx) and onnxruntime-web (default:
    node_modules/onnxruntime-web), and writes its words and numbers in `language` (a
    wording file's code: en, fr).
    """
    document, generated, output = Path(document), Path(generated), Path(output)
    if engine not in ENGINES:
        raise RenderError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if not document.is_file():
        raise RenderError(f"document not found: {document}")
    if not Path(variables).is_file():
        raise RenderError(f"{variables} not found: run the workflow first")
    fmt, options = document_format(document)
    if output.suffix.lower() != FORMATS[fmt]:
        raise RenderError(f"{document} renders to {fmt} ({FORMATS[fmt]}), not {output.name}")
    quarto = shutil.which("quarto")
    if engine == "quarto" and quarto is None:
        raise RenderError("engine 'quarto' asked for, but `quarto` is not on the PATH")
    use_quarto = engine == "quarto" or (engine == "auto" and quarto is not None)
    if fmt == "revealjs" and not use_quarto:
        reveal_js = check_reveal_js(reveal_js)

    with tempfile.TemporaryDirectory(prefix="study-render-") as tmp:
        build = stage(document, generated, Path(tmp) / "build", variables, findings)
        source = build / document.name
        try:
            if use_quarto:
                # Check with the filter first: it names an unknown variable, a missing include
                # or a missing figure plainly, where Quarto might only warn.
                run_pandoc([source.name, "-t", "native", "-o", os.devnull], build)
                result = render_quarto(quarto or "quarto", source, fmt)
            elif fmt == "typst":
                result = render_typst(source, options)
            else:
                result = render_revealjs(source, options, reveal_js)
            if fmt == "revealjs":
                live_demo.embed(result, model, onnxruntime_web, language=language)
                check_offline(result)
        except RenderError as err:
            # Paths in the message are those of the staged copy: say where they came from.
            raise RenderError(f"{err}\n(rendering {document} with the results in {generated}: "
                              "figures/ and tables/ come from there, _variables.yml is its "
                              "variables.yml)") from None
        publish(result, output)


def pandoc_path() -> str:
    try:
        import pypandoc
    except ImportError as err:  # pragma: no cover - a dependency of the package
        raise RenderError("pypandoc-binary is not installed (pip install pypandoc-binary)") from err
    return pypandoc.get_pandoc_path()


def run_pandoc(args: list[str], cwd: Path) -> None:
    """Run pandoc with the Quarto-subset filter on markdown input, in `cwd`."""
    cmd = [pandoc_path(), "-f", "markdown", f"--lua-filter={LUA_FILTER}", *args]
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RenderError(f"pandoc failed on {args[0]}:\n{_filter_message(proc.stderr)}")
    # citeproc only warns about a key missing from the bibliography: a citation printed as
    # "(key?)" in the PDF is an error here.
    missing = re.findall(r"Citeproc: citation (\S+) not found", proc.stderr)
    if missing:
        raise RenderError(f"{args[0]} cites {', '.join(sorted(set(missing)))}, which the "
                          "bibliography does not hold; add the entry or fix the key")


def _filter_message(stderr: str) -> str:
    # Keep the filter's own message; the Lua stack trace only hides it.
    lines = [line for line in stderr.strip().splitlines()
             if not line.startswith(("stack traceback:", "\t", "Error running filter"))]
    return "\n".join(lines) or stderr.strip()


def render_typst(source: Path, options: dict[str, Any]) -> Path:
    """pandoc -> Typst source -> PDF, with Typst's own fonts so every machine gets one PDF."""
    import typst

    typ = source.with_suffix(".typ")
    meta = {"papersize": "a4", "page-numbering": "1", **options}
    if meta.pop("number-sections", False) and "section-numbering" not in meta:
        meta["section-numbering"] = "1.1"
    flags = _pandoc_flags(meta)  # takes toc/toc-depth out of meta
    args = [source.name, "-t", "typst", "-s", f"--include-in-header={TYPST_HEADER}", *flags,
            f"--metadata-file={_write_meta(source, meta)}", "-o", typ.name]
    run_pandoc(args, source.parent)
    pdf = source.with_suffix(".pdf")
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    compile_pdf = functools.partial(
        typst.compile, str(typ), output=str(pdf), root=str(source.parent), font_paths=[],
        ignore_system_fonts=True, timestamp=int(epoch) if epoch else None)
    try:
        try:
            compile_pdf()
        except Exception as err:
            if not _tagging_bug(str(err)):
                raise
            # Typst's PDF tagging fails on some page layouts of floats (typst/typst#8487,
            # #8776): where the figures fall, not what the document says. The same PDF
            # without its accessibility tags is written instead, and the log says so.
            print(f"warning: {typ.name}: Typst could not tag this PDF for accessibility "
                  f"({str(err).splitlines()[0]}); it is written without tags", file=sys.stderr)
            compile_pdf(pdf_tags=False)
    except Exception as err:  # typst.TypstError, with the Typst diagnostics
        raise RenderError(f"typst failed on {typ.name} (from {source.name}):\n{err}") from err
    return pdf


def _tagging_bug(message: str) -> bool:
    """Whether Typst failed inside its PDF tagging (an internal error of typst-pdf's tag
    tree), not on the document."""
    return "internal error" in message and "typst-pdf" in message and "tags" in message


def render_revealjs(source: Path, options: dict[str, Any], reveal_js: Path) -> Path:
    """pandoc -> one HTML file with reveal.js, figures and fonts embedded: no network needed."""
    html = source.with_suffix(".html")
    options = dict(options)
    flags = [f"--slide-level={options.pop('slide-level', 2)}"]  # Quarto's default
    if options.pop("incremental", False):
        flags.append("--incremental")
    variables = {"theme": "white", "slideNumber": "true", "hash": "true", **{
        _camel(key): _js_value(value) for key, value in options.items()
        if isinstance(value, (str, int, float, bool)) and key not in _QUARTO_ONLY}}
    args = [source.name, "-t", "revealjs", "-s", "--embed-resources", "--mathml",
            f"--variable=revealjs-url={reveal_js}",
            f"--css={REVEAL_CSS}", *flags, *_pandoc_flags(options),
            *[f"--variable={key}={value}" for key, value in variables.items()], "-o", html.name]
    run_pandoc(args, source.parent)
    return html


# Quarto options that are no pandoc template variables (the pandoc route does these anyway).
_QUARTO_ONLY = {"embed-resources", "self-contained", "html-math-method", "toc", "toc-depth",
                "number-sections", "css", "footer", "logo", "auto-stretch", "citeproc",
                "include-before-body"}


def _camel(key: str) -> str:
    # Quarto spells reveal.js options in kebab case, pandoc's template in camel case.
    head, *rest = key.split("-")
    return head + "".join(part.capitalize() for part in rest)


def _js_value(value: str | float | bool) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _pandoc_flags(options: dict[str, Any]) -> list[str]:
    flags = []
    if options.pop("citeproc", False):  # the `bibliography` of the front matter, as Quarto
        flags.append("--citeproc")
    includes = options.pop("include-before-body", [])
    for path in [includes] if isinstance(includes, str) else includes:
        flags.append(f"--include-before-body={path}")
    if options.pop("toc", False):
        flags.append("--toc")
    if "toc-depth" in options:
        flags.append(f"--toc-depth={options.pop('toc-depth')}")
    return flags


def _write_meta(source: Path, meta: dict[str, Any]) -> str:
    # A metadata file keeps nested options (margin: {x: 2cm}) that -V cannot express.
    path = source.with_name("_format-options.yml")
    path.write_text(yaml.safe_dump(meta, sort_keys=True), encoding="utf-8")
    return path.name


def render_quarto(quarto: str, source: Path, fmt: str) -> Path:
    """`quarto render` in the staged folder; the documents' _quarto.yml set the options."""
    proc = subprocess.run([quarto, "render", source.name, "--to", fmt], cwd=source.parent,
                          capture_output=True, text=True, check=False)
    result = source.with_suffix(FORMATS[fmt])
    if proc.returncode != 0 or not result.is_file():
        raise RenderError(f"quarto render failed on {source.name}:\n{proc.stderr.strip()}")
    return result


def check_reveal_js(reveal_js: Path | None) -> Path:
    """The local reveal.js 5 to embed (reveal.js 6 moved its plugins: pandoc's deck is blank)."""
    path = Path(reveal_js) if reveal_js else Path("node_modules") / "reveal.js"
    package = path / "package.json"
    if not (path / "dist" / "reveal.js").is_file() or not package.is_file():
        raise RenderError(f"reveal.js not found at {path}: run `npm ci` in the study's folder "
                          "(package.json pins reveal.js 5.2.1) or give its path")
    version = json.loads(package.read_text(encoding="utf-8")).get("version", "?")
    if not version.startswith("5."):
        raise RenderError(f"reveal.js {version} at {path}, but pandoc's writer needs 5.x: "
                          "run `npm ci` (package.json pins 5.2.1)")
    return path.resolve()


def check_offline(html: Path) -> None:
    """The deck must show with no network: no remote src/href/url() anywhere."""
    remote = sorted(set(REMOTE.findall(html.read_text(encoding="utf-8"))))
    if remote:
        raise RenderError(f"{html.name} would load from the network: {', '.join(remote[:5])}")


def publish(result: Path, output: Path) -> None:
    """Copy `result` to `output` atomically: a crash never leaves a complete-looking file."""
    with atomic_path(output) as tmp:
        shutil.copyfile(result, tmp)
