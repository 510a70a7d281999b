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
    rules.findings.output,
    *rules.reproducibility.output,
    *rules.effective_config.output,
]


rule render_report:
    input:
        GENERATED,
        variables=rules.tables.output.variables,
        findings=rules.findings.output,
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
        findings=rules.findings.output,
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
