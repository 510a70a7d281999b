"""Commands of the documents stage: render the report or the deck, and check the deck in
headless Chromium."""

from __future__ import annotations

import argparse
from pathlib import Path

from study.errors import RenderError
from study.reporting.language import languages


def _render(args: argparse.Namespace) -> None:
    from study.documents.render import render

    render(args.document, args.generated, args.output, variables=args.variables,
           findings=args.findings, model=args.model, reveal_js=args.reveal_js,
           engine=args.engine, onnxruntime_web=args.onnxruntime_web, language=args.language)


def _check_deck(args: argparse.Namespace) -> None:
    from study.documents import deck_check

    chromium = deck_check.find_chromium()
    if chromium is None:
        raise RenderError("Chromium not found: install Debian's `chromium` or set $CHROMIUM")
    slides = deck_check.measure(args.deck, chromium)
    found = deck_check.problems(slides)
    main = sum(s.main for s in slides)
    print(f"{len(slides)} slides, {main} main slides with notes on "
          f"{sum(bool(s.notes) for s in slides if s.main)}")
    if args.pdf:
        deck_check.print_pdf(args.deck, args.pdf, chromium)
        print(f"printed to {args.pdf}")
    if found:
        raise RenderError("the deck needs fixing:\n" + "\n".join(found))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("render", help="render the report or the slides")
    p.add_argument("--document", type=Path, required=True, help="report.qmd or slides.qmd")
    p.add_argument("--generated", type=Path, required=True,
                   help="the folder the document's figures/ and tables/ paths are in")
    p.add_argument("--variables", type=Path, required=True, help="variables.yml")
    p.add_argument("--findings", type=Path, help="findings.yml")
    p.add_argument("--model", type=Path, help="the .onnx the deck's live demo runs")
    p.add_argument("--output", type=Path, required=True, help="the .pdf or .html to write")
    p.add_argument("--engine", choices=["auto", "quarto", "pandoc"], default="auto",
                   help="Quarto when on the PATH (auto), or pandoc with Typst and reveal.js")
    p.add_argument("--reveal-js", type=Path,
                   help="the npm package folder of reveal.js 5 (default: "
                   "node_modules/reveal.js)")
    p.add_argument("--onnxruntime-web", type=Path,
                   help="the npm package folder for the deck's live demo "
                   "(default: node_modules/onnxruntime-web)")
    p.add_argument("--language", default="en", choices=languages(),
                   help="the language of the words and numbers the deck's live demo writes "
                   "(study/assets/wording/<language>.yml)")
    p.set_defaults(func=_render)

    p = sub.add_parser("check-deck", help="lay the deck out in headless Chromium and check it")
    p.add_argument("deck", type=Path, help="results/slides/slides.html")
    p.add_argument("--pdf", type=Path, help="also print it to this PDF, as a browser does")
    p.set_defaults(func=_check_deck)
