"""Rendering of the report (PDF) and the slides (HTML) through the pandoc route, on fake results.

The fake results have the names and shapes the workflow writes, so these tests also check that
report/report.qmd and slides/slides.qmd only use figures, tables and variables that exist.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from conftest import effects_of, predictions_of, synthetic_study
from document_checks import check_deck_html, check_report
from pypdf import PdfReader

from study.documents import deck_check
from study.documents import render as rendering
from study.documents.render import RenderError, check_offline, check_reveal_js
from study.reporting import findings

REPO = Path(__file__).resolve().parent.parent
REPORT = REPO / "report" / "report.qmd"
SLIDES = REPO / "slides" / "slides.qmd"

VARIABLES = """\
shows: {comparisons: true, regularisation: true, mlp: true, ensemble: true}
study: {architectures: "mlp, lenet5, convnet_bn", regularisations: "none, dropout, augment",
        seeds: "1", seed_count: "1 seed", runs: "9", run_count: "9 training runs",
        command: "snakemake --cores all", max_epochs: "15", device: "cpu",
        code_version: "3f2a1bc", train_minutes: "11.2", threads: "1",
        precision: "every run computed in float32 with the channels-last layout, because
          training.bf16 is auto and the CPU has neither AMX nor AVX-512-BF16"}
data: {n_train: "54,000", n_val: "6,000", n_test: "10,000", pixel_mean: "0.1307",
       pixel_std: "0.3081"}
best: {variant: "convnet_bn + augment", architecture: "convnet_bn", regularisation: "augment",
       val_accuracy: "99.52%", test_accuracy: "99.41%", test_accuracy_std: "0.04",
       test_accuracy_ci: "99.31–99.51%", seed: "2", run_test_accuracy: "99.45%",
       test_errors: "55", macro_f1: "0.9940",
       params: "0.27 M"}
comparison: {closest_variant: "lenet5 + augment", closest_p: "0.23"}
regularisation: {helps: "2", hurts: "0", compared: "6",
                 helped_list: "augment on lenet5 at 1,000 images (-2.10 points of error)",
                 hurt_list: "none"}
sizes: {sizes: "1,000, 7,000 and 54,000", smallest: "1,000",
        epochs: "40 on 1,000 images and 6 on 7,000 images", seed_count: "5 seeds"}
search: {summary: "This study searched the learning rate (0.0003 to 0.01) with 6 trials per
           architecture, each of 2 epoch(s) on 10,000 images.",
         caption: "Hyper-parameter search per architecture.",
         short: "Learning rate and weight decay: Optuna search on validation, per architecture"}
ensemble: {size: "3", test_accuracy: "99.52%", test_errors: "48", gain: "+0.11"}
errors: {errors: "55", on_label_errors: "4", label_errors: "15", label_error_points: "0.15",
         top_pair: "4 taken for 9 (7 images)"}
"""

ARCHS = {"mlp": ("535,818", "Multilayer perceptron 784-512-256-10 with ReLU: the "
                            "non-convolutional baseline"),
         "lenet5": ("61,706", "LeNet-5 (LeCun et al., 1998): two 5x5 convolutions with tanh "
                              "and average pooling, fully connected 120-84"),
         "convnet_bn": ("288,554", "Modern CNN: 3x3 convolutions with batch normalisation and "
                                   "ReLU in three stages (32, 64, 128 channels), max pooling, "
                                   "global average pooling")}
REGS = ("none", "dropout", "augment")

# Figure name -> size in inches, close to what the workflow draws.
FIGURES = {"samples": (6, 7.5), "class_balance": (8, 3.2), "class_means": (10, 1.4),
           "intensity": (7, 3), "ink": (7, 3), "learning_curves": (9, 12.8),
           "learning_curves_best": (9, 3.2),
           "accuracy_by_variant": (7, 5.3), "confusion": (6.4, 5.4), "misclassified": (9, 3.2),
           "reliability": (6, 5.6),
           "filters": (7.2, 3.6), "tsne": (13.6, 4.4), "feature_maps": (8.7, 6.2),
           "attributions": (11.6, 5.0), "occlusion": (9.4, 3.4),
           "top_activations": (5.9, 4.1), "robustness": (6.4, 4),
           "error_by_size": (9, 3.4), "gain_by_size": (9, 3.4),
           "small_set_curves": (9, 7.2)}


def _table(header: list[str], rows: list[list[str]]) -> str:
    """A pipe table padded like pandas' to_markdown (tabulate), which the workflow uses."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    rule = [":" + "-" * (w - 1) for w in widths]
    lines = [header, rule, *rows]
    padded = [" | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))
              for cells in lines]
    return "".join(f"| {line} |\n" for line in padded)


def make_generated(root: Path, dpi: int = 50) -> Path:
    """Write fake figures/, tables/ and variables.yml with the workflow's names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    (root / "figures").mkdir(parents=True, exist_ok=True)
    (root / "tables").mkdir(exist_ok=True)
    for name, size in FIGURES.items():
        fig, ax = plt.subplots(figsize=size, dpi=dpi)
        ax.plot(range(10), [i * i for i in range(10)])
        ax.set_title(name)
        fig.savefig(root / "figures" / f"{name}.png")
        plt.close(fig)
    variants = [(a, r) for a in ARCHS for r in REGS]
    tables = {
        "data_structure": _table(["Array", "Shape", "Type", "Values", "Count"], [
            ["training (official) images", "60000 × 28 × 28", "uint8", "0 to 255", "60,000"],
            ["test (official) images", "10000 × 28 × 28", "uint8", "0 to 255", "10,000"]]),
        "data": _table(["Split", "Images", "Used for"], [
            ["Training", "54,000", "fitting the weights; normalisation statistics"],
            ["Validation", "6,000", "early stopping, best epoch, choice of the best variant"],
            ["Test (official)", "10,000", "the final evaluation only"]]),
        "models": _table(["Architecture", "Width w", "Epochs", "Parameters",
                          "Multiply-adds per image", "Training images/s"],
                         [[a, "16", "3", p, "21.90 M", "2,542"] for a, (p, _) in ARCHS.items()]),
        "environment": _table(["Component", "Version or value"],
                              [["Python", "3.11.7"], ["torch", "2.4.0"], ["CPU", "Xeon"]]),
        "run_times": _table(["Stage", "Jobs", "Job time (s)", "Longest job (s)",
                             "Peak memory (MB)"],
                            [["train", "9", "1,204", "180", "900"],
                             ["all stages", "30", "1,500", "180", "900"]]),
        "data_hashes": _table(["What", "File or array", "SHA-256"],
                              [["decoded array", "test labels", "`ddeff807`"]]),
        "ensemble": _table(["Model", "Validation (%)", "Test (%)", "Test errors"],
                           [["convnet_bn + augment, seed 2", "99.60", "99.45", "55"],
                            ["Ensemble of these 1 (mean of their softmax outputs)", "",
                             "99.52", "48"]]),
        "regularisation": _table(
            ["Architecture", "Variant", "Training images", "Seeds",
             "Change of the test error (points)", "Relative change (%)", "Holm p", "Verdict",
             "Detectable (points)"],
            [["lenet5", "augment", "1,000", "5", "-2.10 [-2.61, -1.59]", "-31 [-38, -24]",
              "< 0.0001", "helps", "0.74"],
             ["mlp", "dropout", "54,000", "2", "+0.02 [-0.21, +0.25]", "+1 [-12, +14]", "1",
              "unclear", "0.62"]]),
        "search": _table(["Architecture", "Trials", "Each trial", "Learning rate (range)",
                          "Best trial, validation (%)"],
                         [[a, "6 (1 pruned)", "2 epoch(s), 10,000 images",
                           "0.0031 (0.0003–0.01)", "98.20"] for a in ARCHS]),
        "architectures": _table(["Architecture", "Best variant on validation",
                                 "Validation (%)", "Test (%)"],
                                [[a, "augment", "99.10 ± 0.05", "99.00 ± 0.04"]
                                 for a in ARCHS]),
        "regularisation_grid": _table(["Architecture", "dropout", "augment"],
                                      [[a, "-0.02", "+0.41*"] for a in ARCHS]),
        "confused_pairs": _table(["True digit", "Predicted as", "Test images"],
                                 [["4", "9", "7"], ["7", "2", "5"]]),
        "variants": _table(["Variant", "Settings changed from the base"],
                           [["none", "nothing: the base settings"], ["dropout", "dropout = 0.3"],
                            ["augment", "augment = true"]]),
        "summary": _table(
            ["Architecture", "Regularisation", "Seeds", "Validation accuracy (%)",
             "Test accuracy (%)", "95% interval (%)", "Epochs", "Training (s)"],
            [[a, r, "3", "99.10 ± 0.05", "99.00 ± 0.04", "98.90 – 99.10", "12.3", "61.2"]
             for a, r in variants]),
        "runs": _table(["Architecture", "Regularisation", "Seed", "Epochs", "Best epoch",
                        "Validation (%)", "Test (%)", "Training (s)"],
                       [[a, r, str(s), "12", "9", "99.10", "99.00", "61.2"]
                        for a, r in variants for s in range(3)]),
        "per_class": _table(["Digit", "Precision (%)", "Recall (%)", "F1 (%)", "Test images"],
                            [[str(k), "99.30", "99.50", "99.40", "1,000"] for k in range(10)]),
        "comparisons": _table(["Variant", "Test accuracy (%)", "Only best right",
                               "Only this right", "McNemar p"],
                              [[f"{a} + {r}", "99.00", "40", "21", "0.021"]
                               for a, r in variants[:-1]]),
    }
    tables["config"] = ("The study ran with `snakemake --cores all`, from this configuration:"
                        "\n\n```yaml\nseeds: [0]\ntraining:\n  max_epochs: 15\n```\n")
    for name, text in tables.items():
        (root / "tables" / f"{name}.md").write_text(text)
    (root / "tables" / "designs.md").write_text(
        "".join(f"- **{a}**: {d}.\n" for a, (_, d) in ARCHS.items()))
    (root / "variables.yml").write_text(VARIABLES)
    # The findings of a small synthetic study, worded by the real templates.
    runs, best = synthetic_study(root / "runs", augment_errors=5)
    facts = findings.compute(runs, best, {"members": [best] * 2, "test_accuracy": 0.999,
                                          "test_errors": 2},
                             {"temperature": 1.1, "ece_before": 0.01, "ece_after": 0.004},
                             None, ["none", "augment"], predictions_of(runs),
                             effects_of(runs))
    (root / "findings.yml").write_text(yaml.safe_dump({"text": findings.word(facts)}))
    write_tiny_onnx(root / "model" / "best.onnx")
    return root


def write_tiny_onnx(path: Path) -> None:
    """A stand-in for the exported model (pixels -> ten logits, all zero): the deck's live
    demo embeds one."""
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("ReduceSum", ["pixels", "axes"], ["total"], keepdims=0),
         helper.make_node("Mul", ["total", "zeros"], ["zero"]),
         helper.make_node("Unsqueeze", ["zero", "axis"], ["column"]),
         helper.make_node("Expand", ["column", "shape"], ["logits"])],
        "stand_in",
        [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, ["batch", 1, 28, 28])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 10])],
        [helper.make_tensor("axes", TensorProto.INT64, [3], [1, 2, 3]),
         helper.make_tensor("axis", TensorProto.INT64, [1], [1]),
         helper.make_tensor("zeros", TensorProto.FLOAT, [], [0.0]),
         helper.make_tensor("shape", TensorProto.INT64, [2], [1, 10])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))


def render(document: Path, generated: Path, output: Path, **options: object) -> None:
    """Render as the workflow's rules do, each results file named explicitly."""
    findings_yml = generated / "findings.yml"
    rendering.render(document, generated, output, variables=generated / "variables.yml",
                     findings=findings_yml if findings_yml.is_file() else None,
                     model=generated / "model" / "best.onnx", **options)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_generated(tmp_path_factory.mktemp("results"))


def _has_reveal() -> bool:
    try:
        check_reveal_js(None)
    except RenderError:
        return False
    return True


needs_reveal = pytest.mark.skipif(not _has_reveal(), reason="reveal.js missing: run `npm ci`")


def _pdf_text(path: Path) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(path).pages)
    return re.sub(r"\s+", " ", text)


def _tiny_doc(folder: Path, body: str, fmt: str = "typst") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    doc = folder / "doc.qmd"
    doc.write_text(f"---\ntitle: Tiny\nformat: {fmt}\n---\n\n{body}\n")
    return doc


# Sentences of the report that a study without comparisons, MLP or ensemble leaves out.
PARTS_SHOWN_BY_VARIABLES = ("test (McNemar 1947) counts", "How the verdicts are reached.",
                            "Multiple comparisons.", "the MLP baseline, the best CNN untrained",
                            "combined by averaging their softmax outputs")


def test_report_pdf(generated: Path, tmp_path: Path) -> None:
    out = tmp_path / "deep" / "report.pdf"  # parent folders are created
    render(REPORT, generated, out, engine="pandoc")
    assert out.read_bytes().startswith(b"%PDF")
    assert [p.name for p in out.parent.iterdir()] == ["report.pdf"]  # no temp file left
    pages = check_report(out)
    assert "This study trains 8 networks" in pages[0]  # the abstract, from findings.yml
    text = _pdf_text(out)
    for value in ("convnet_bn + augment", "99.41%", "99.45%", "seed 2", "3f2a1bc", "0.1307",
                  "54,000"):
        assert value in text
    for ref in ("Figure 1", "Figure 8", "Table 1", "Table 6", "Section"):
        assert ref in text
    assert "Convolution pays: the chosen network makes 40.0 times fewer" in text
    for part in PARTS_SHOWN_BY_VARIABLES:
        assert part in re.sub(r"\s+", " ", text), part
    # Citations resolved by citeproc from report/references.bib, listed at the end.
    assert "(He et al. 2016)" in text and "@he2016" not in text
    assert "Deep Residual Learning for Image" in text[text.rfind("References"):]


@needs_reveal
def test_the_report_and_deck_leave_out_what_a_study_does_not_show(generated: Path,
                                                                  tmp_path: Path) -> None:
    """A study with one variant: no comparison, no regularisation, no MLP, no ensemble; the
    tables that would show them are empty, and both documents still render without them."""
    import shutil

    lean = tmp_path / "lean"
    shutil.copytree(generated, lean)
    variables = yaml.safe_load((lean / "variables.yml").read_text())
    variables["shows"] = dict.fromkeys(variables["shows"], False)
    (lean / "variables.yml").write_text(yaml.safe_dump(variables))
    for table in ("comparisons", "regularisation", "regularisation_grid"):
        (lean / "tables" / f"{table}.md").write_text("\n")
    render(REPORT, lean, tmp_path / "report.pdf", engine="pandoc")
    text = re.sub(r"\s+", " ", _pdf_text(tmp_path / "report.pdf"))
    for left_out in PARTS_SHOWN_BY_VARIABLES:
        assert left_out not in text
    assert "the best CNN untrained, then trained" in text
    if _has_reveal():
        render(SLIDES, lean, tmp_path / "slides.html", engine="pandoc")
        html = (tmp_path / "slides.html").read_text()
        assert "Does regularisation help?" not in html and "From an MLP baseline" not in html


def test_slides_html(generated: Path, tmp_path: Path) -> None:
    out = tmp_path / "slides.html"
    render(SLIDES, generated, out, engine="pandoc")
    html = out.read_text()
    check_deck_html(html, main_slides=16)
    assert "Reveal.initialize" in html
    for value in ("The best model: convnet_bn + augment", "99.45% on test", "55 test errors",
                  "3f2a1bc", "6,000",
                  "Best on validation: cnn + augment"):  # the last from findings.yml
        assert value in html
    assert html.count('class="slide') >= 8


needs_chromium = pytest.mark.skipif(deck_check.find_chromium() is None,
                                    reason="Chromium not installed (apt install chromium)")


def screenshot(html: Path, slide: int, png: Path, chromium: str) -> None:
    """Slide number `slide` (0-based, horizontal) as Chromium shows it."""
    url = html.resolve().as_uri() + f"#/{slide}"
    deck_check._chromium(chromium, "--virtual-time-budget=5000",
                         f"--screenshot={png.resolve()}", url)


@needs_reveal
@needs_chromium
def test_every_slide_fits_and_has_notes_in_a_browser(generated: Path, tmp_path: Path) -> None:
    out = tmp_path / "slides.html"
    render(SLIDES, generated, out, engine="pandoc")
    chromium = deck_check.find_chromium()
    slides = deck_check.measure(out, chromium)
    assert deck_check.problems(slides) == []
    main = [s for s in slides if s.main]
    assert 12 <= len(main) <= 20  # a 15-20 minute talk
    assert slides[-1].title and not slides[-1].main  # backup slides after the main ones
    # Printing from the browser (reveal.js ?print-pdf) gives one page per slide.
    pdf = tmp_path / "slides.pdf"
    deck_check.print_pdf(out, pdf, chromium)
    assert len(PdfReader(pdf).pages) == len(slides)
    for index in (0, 1, 5):  # the title, the first slide, the results
        png = tmp_path / f"slide{index}.png"
        screenshot(out, index, png, chromium)
        assert png.stat().st_size > 10_000  # a slide, not a blank page


@needs_reveal
@needs_chromium
def test_an_overflowing_or_wordy_slide_is_reported(generated: Path, tmp_path: Path) -> None:
    bullets = "\n".join(f"- point number {i}, long enough to be read aloud" for i in range(14))
    doc = _tiny_doc(tmp_path / "deck", fmt="revealjs", body=f"""\
## Too much

{bullets}

## Fine

- one line

::: {{.notes}}
Say it.
:::
""")
    out = tmp_path / "deck.html"
    render(doc, generated, out, engine="pandoc")
    found = deck_check.problems(deck_check.measure(out, deck_check.find_chromium()))
    assert any("Too much" in p and "past the bottom" in p for p in found), found
    assert any("Too much" in p and "no speaker notes" in p for p in found), found
    assert any("Too much" in p and "lines of text" in p for p in found), found
    assert not any("Fine" in p for p in found), found


def test_crossrefs_callouts_and_shortcodes(generated: Path, tmp_path: Path) -> None:
    (tmp_path / "doc").mkdir()
    (tmp_path / "doc" / "part.md").write_text("Included, best is {{< var best.test_accuracy >}}.")
    doc = _tiny_doc(tmp_path / "doc", fmt="{typst: {number-sections: true}}", body="""\
# First {#sec-first}

See @fig-b, @tbl-c and @sec-first.

{{< include part.md >}}

::: {.callout-tip}
## A tip
Tip body with {{< var data.n_test >}} images.
:::

{{< pagebreak >}}

![Bee](figures/samples.png){#fig-b width=30%}

::: {#tbl-c}
{{< include tables/data.md >}}

Split sizes.
:::
""")
    out = tmp_path / "doc.pdf"
    render(doc, generated, out, engine="pandoc")
    text = _pdf_text(out)
    for expected in ("See Figure 1, Table 1 and Section 1", "Included, best is 99.41%",
                     "A tip", "Tip body with 10,000 images", "Figure 1: Bee",
                     "Table 1: Split sizes"):
        assert expected in text


@pytest.mark.parametrize(("body", "names"), [
    ("Accuracy {{< var best.no_such_key >}}.", "best.no_such_key"),
    ("{{< include tables/no_such_table.md >}}", "no_such_table.md"),
    ("![Gone](figures/no_such_figure.png){#fig-gone}", "no_such_figure.png"),
    ("See @fig-nowhere.", "fig-nowhere"),
    ("{{< meta title >}}", "meta"),
])
def test_errors_name_the_culprit(generated: Path, tmp_path: Path, body: str,
                                 names: str) -> None:
    out = tmp_path / "out" / "doc.pdf"
    with pytest.raises(RenderError, match=re.escape(names)):
        render(_tiny_doc(tmp_path / "doc", body), generated, out, engine="pandoc")
    assert not out.parent.exists() or not any(out.parent.iterdir())  # nothing half-written


def test_an_unknown_citation_is_an_error(generated: Path, tmp_path: Path) -> None:
    folder = tmp_path / "doc"
    folder.mkdir()
    (folder / "refs.bib").write_text("@misc{known2020, title = {Known}, year = {2020}}\n")
    doc = folder / "doc.qmd"
    doc.write_text("---\ntitle: Tiny\nformat: {typst: {citeproc: true}}\n"
                   "bibliography: refs.bib\n---\n\nAs [@known2020] and [@unknown1999].\n")
    with pytest.raises(RenderError, match="unknown1999"):
        render(doc, generated, tmp_path / "doc.pdf", engine="pandoc")
    doc.write_text(doc.read_text().replace(" and [@unknown1999]", ""))
    render(doc, generated, tmp_path / "doc.pdf", engine="pandoc")
    assert "Known" in _pdf_text(tmp_path / "doc.pdf")


def test_failed_render_keeps_previous_output(generated: Path, tmp_path: Path) -> None:
    out = tmp_path / "doc.pdf"
    out.write_bytes(b"previous")
    with pytest.raises(RenderError):
        render(_tiny_doc(tmp_path / "doc", "{{< var nope >}}"), generated, out, engine="pandoc")
    assert out.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == ["doc.pdf"]


def test_missing_reveal_js_says_npm_ci(generated: Path, tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="npm ci"):
        render(SLIDES, generated, tmp_path / "s.html", reveal_js=tmp_path / "nope",
               engine="pandoc")


def test_bad_arguments(generated: Path, tmp_path: Path) -> None:
    with pytest.raises(RenderError, match=r"variables\.yml"):
        render(REPORT, tmp_path, tmp_path / "r.pdf", engine="pandoc")
    with pytest.raises(RenderError, match=r"\.pdf"):
        render(REPORT, generated, tmp_path / "r.html", engine="pandoc")
    with pytest.raises(RenderError, match="engine"):
        render(REPORT, generated, tmp_path / "r.pdf", engine="latex")


@pytest.mark.parametrize("html", [
    '<script src="https://cdn.example.org/reveal.js"></script>',
    "<link rel=stylesheet href='http://example.org/a.css'>",
    '<img data-src="//cdn.example.org/x.png">',
    "<style>@font-face { src: url(https://fonts.example.org/f.woff) }</style>",
])
def test_check_offline_rejects_remote_resources(tmp_path: Path, html: str) -> None:
    page = tmp_path / "page.html"
    page.write_text(html)
    with pytest.raises(RenderError, match="network"):
        check_offline(page)


def test_check_offline_accepts_embedded_page(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text('<math xmlns="http://www.w3.org/1998/Math/MathML"></math>'
                    '<img src="data:image/png;base64,AAAA"><a href="#/results">x</a>'
                    '<script>var u = "http://" + host;</script>')
    check_offline(page)


def test_reveal_js_6_is_refused(tmp_path: Path) -> None:
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "reveal.js").write_text("")
    (tmp_path / "package.json").write_text('{"version": "6.0.0"}')
    with pytest.raises(RenderError, match=r"5\.x"):
        check_reveal_js(tmp_path)


CONDITIONAL_DOCUMENT = """\
Always.

::: {.content-visible when-var="shows.comparisons"}

Compared: @tbl-x.

::: {#tbl-x}
| a |
|---|
| 1 |

Caption.
:::

```
:::
```

:::

::: {.content-hidden when-var="shows.comparisons"}

Nothing to compare.

:::
"""


@pytest.mark.parametrize(("shown", "kept", "left_out"), [
    (True, ["Compared: @tbl-x.", "::: {#tbl-x}", "```\n:::\n```"], ["Nothing to compare."]),
    (False, ["Nothing to compare."], ["Compared", "tbl-x", "```"]),
])
def test_a_part_is_kept_or_left_out_by_its_variable(shown: bool, kept: list[str],
                                                    left_out: list[str]) -> None:
    from study.documents.staging import select_content

    text = select_content(CONDITIONAL_DOCUMENT, {"shows": {"comparisons": shown}})
    assert text.startswith("Always.")
    assert "content-visible" not in text and "content-hidden" not in text
    for part in kept:
        assert part in text
    for part in left_out:
        assert part not in text
    assert text.count("\n:::\n") == (2 if shown else 0)  # the table's div and the code line


@pytest.mark.parametrize(("variables", "message"), [
    ({"shows": {}}, 'unknown variable "shows.comparisons"'),
    ({"shows": {"comparisons": "yes"}}, "not true or false"),
])
def test_a_bad_condition_is_named(variables: dict, message: str) -> None:
    from study.documents.staging import select_content

    with pytest.raises(RenderError, match=message):
        select_content(CONDITIONAL_DOCUMENT, variables)
    with pytest.raises(RenderError, match="left open"):
        select_content('::: {.content-visible when-var="a"}\ntext\n', {"a": True})


def test_a_pdf_typst_cannot_tag_is_written_untagged(generated: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Typst's PDF tagging fails on some page layouts of floats (an internal error of
    typst-pdf, typst/typst#8487): the PDF is written without its tags, with a warning; any
    other Typst error still fails the render."""
    import typst

    real, calls = typst.compile, []

    def tagging_fails(*args: object, pdf_tags: bool = True, **kwargs: object) -> object:
        calls.append(pdf_tags)
        if pdf_tags:
            raise RuntimeError("internal error: parent group (occurred at /root/.cargo/"
                               "typst-pdf-0.15.1/src/tags/tree/build.rs:202:14)")
        return real(*args, pdf_tags=pdf_tags, **kwargs)

    monkeypatch.setattr(typst, "compile", tagging_fails)
    out = tmp_path / "doc.pdf"
    render(_tiny_doc(tmp_path / "doc", "Some text."), generated, out, engine="pandoc")
    assert calls == [True, False] and "Some text." in _pdf_text(out)
    assert "could not tag this PDF for accessibility" in capsys.readouterr().err

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("error: unknown variable: nope")

    monkeypatch.setattr(typst, "compile", broken)
    with pytest.raises(RenderError, match="unknown variable: nope"):
        render(_tiny_doc(tmp_path / "doc2", "Some text."), generated, tmp_path / "x.pdf",
               engine="pandoc")
