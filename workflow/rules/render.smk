# Everything the documents lay out: the variables, the findings, the markdown tables and
# every figure.
GENERATED = [
    *rules.tables.output,
    *rules.explore_data.output,
    *rules.result_figures.output,
    *rules.best_model_figures.output,
    *rules.inside_figures.output,
    *rules.tsne_figure.output,
    *rules.robustness_figure.output,
    *rules.size_figures.output,
    rules.findings.output.en,
    *rules.reproducibility.output,
    *rules.effective_config.output,
]


rule render_report:
    input:
        GENERATED,
        variables=rules.tables.output.variables,
        findings=rules.findings.output.en,
        sources=document_sources("report"),
    output:
        report(
            "results/report/report.pdf",
            category="6. Documents",
            caption="../report/report.rst",
        ),
    log:
        "results/logs/render_report.log",
    benchmark:
        "results/benchmarks/render_report.tsv"
    conda:
        "../../environment.yml"
    resources:
        mem_mb=2000,
    params:
        document=REPO / "report" / "report.qmd",
        engine=config["render"]["engine"],
    shell:
        "python -m study render --document {params.document:q} --generated results"
        " --variables {input.variables} --findings {input.findings}"
        " --engine {params.engine} --output {output} > {log} 2>&1"


rule render_slides:
    input:
        GENERATED,
        variables=rules.tables.output.variables,
        findings=rules.findings.output.en,
        sources=document_sources("slides"),
        reveal_js_lock=REPO / "package-lock.json",
        model=rules.export_onnx.output.model,
    output:
        report(
            "results/slides/slides.html",
            category="6. Documents",
            caption="../report/slides.rst",
        ),
    log:
        "results/logs/render_slides.log",
    benchmark:
        "results/benchmarks/render_slides.tsv"
    conda:
        "../../environment.yml"
    resources:
        mem_mb=2000,
    params:
        document=REPO / "slides" / "slides.qmd",
        engine=config["render"]["engine"],
        reveal_js=reveal_js(),
        onnxruntime_web=REPO / "node_modules" / "onnxruntime-web",
    shell:
        "python -m study render --document {params.document:q} --generated results"
        " --variables {input.variables} --findings {input.findings}"
        " --model {input.model} --engine {params.engine} --reveal-js {params.reveal_js:q}"
        " --onnxruntime-web {params.onnxruntime_web:q} --output {output} > {log} 2>&1"


# What the edition of each translated language lays out: its own tables, variables,
# findings and figures, worded and drawn from the results the English edition reads (each
# figure rule has a *_translated twin).
DRAWN = [
    rules.explore_data,
    rules.result_figures,
    rules.best_model_figures,
    rules.inside_figures,
    rules.tsne_figure,
    rules.robustness_figure,
    rules.size_figures,
]
WORDED = [*rules.tables.output.items(), *rules.reproducibility.output.items()]
EDITION_FILES = {
    code: [
        *(translated_path(str(path), code) for r in DRAWN for path in r.output),
        *(path for name, path in WORDED if name.startswith(f"{code}_")),
        getattr(rules.findings.output, code),
        translated_path(str(rules.effective_config.output.table), code),
    ]
    for code in TRANSLATED
}


# The report and the deck of every translated edition (render.languages), from that
# edition's files: results/<code>/ holds its tables/, figures/, variables.yml and findings.
for code in TRANSLATED:
    edition = EDITIONS[code]

    rule:
        name:
            f"render_report_{code}"
        input:
            EDITION_FILES[code],
            variables=getattr(rules.tables.output, f"{code}_variables"),
            findings=getattr(rules.findings.output, code),
            sources=document_sources(Path(edition.report_source).parent),
        output:
            edition.report,
        log:
            f"results/logs/render_report_{code}.log",
        benchmark:
            f"results/benchmarks/render_report_{code}.tsv"
        conda:
            "../../environment.yml"
        resources:
            mem_mb=2000,
        params:
            document=REPO / edition.report_source,
            generated=lambda wildcards, input: Path(input.variables).parent,
            engine=config["render"]["engine"],
        shell:
            "python -m study render --document {params.document:q}"
            " --generated {params.generated} --variables {input.variables}"
            " --findings {input.findings} --engine {params.engine}"
            " --output {output} > {log} 2>&1"

    rule:
        name:
            f"render_slides_{code}"
        input:
            EDITION_FILES[code],
            variables=getattr(rules.tables.output, f"{code}_variables"),
            findings=getattr(rules.findings.output, code),
            sources=document_sources(Path(edition.slides_source).parent),
            reveal_js_lock=REPO / "package-lock.json",
            model=rules.export_onnx.output.model,
        output:
            edition.slides,
        log:
            f"results/logs/render_slides_{code}.log",
        benchmark:
            f"results/benchmarks/render_slides_{code}.tsv"
        conda:
            "../../environment.yml"
        resources:
            mem_mb=2000,
        params:
            document=REPO / edition.slides_source,
            generated=lambda wildcards, input: Path(input.variables).parent,
            language=code,
            engine=config["render"]["engine"],
            reveal_js=reveal_js(),
            onnxruntime_web=REPO / "node_modules" / "onnxruntime-web",
        shell:
            "python -m study render --document {params.document:q}"
            " --generated {params.generated} --variables {input.variables}"
            " --findings {input.findings} --model {input.model} --language {params.language}"
            " --engine {params.engine} --reveal-js {params.reveal_js:q}"
            " --onnxruntime-web {params.onnxruntime_web:q} --output {output} > {log} 2>&1"
