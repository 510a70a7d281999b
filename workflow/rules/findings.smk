# What the results mean, and where they come from: the findings the documents quote, and the
# reproducibility appendix (software, machine, run times, data hashes).


rule findings:
    input:
        runs=rules.tables.output.runs_csv,
        summaries=all_runs(rules.train.output.summary),
        predictions=all_runs(TESTED["predictions"]),
        best=rules.select_best.output.best,
        ensemble=rules.evaluate_ensemble.output.metrics,
        calibration=rules.calibrate.output.calibration,
        robustness=rules.robustness.output.curves,
        effects=rules.effects.output.effects,
        wording=[asset("wording", f"{code}.yml") for code in ["en", *TRANSLATED]],
    output:
        # The facts are computed once; each language words them.
        **{code: translated_path("results/findings.yml", code) for code in TRANSLATED},
        en=report(
            "results/findings.yml",
            category="5. Findings",
            caption="../report/findings.rst",
        ),
    log:
        "results/logs/findings.log",
    benchmark:
        "results/benchmarks/findings.tsv"
    conda:
        "../../environment.yml"
    resources:
        mem_mb=2000,
    params:
        regularisations=config["regularisations"],
        searched=searched_settings(config),
        outputs=lambda wildcards, output: named(output),
    shell:
        "python -m study findings --runs {input.runs} --summaries {input.summaries}"
        " --predictions {input.predictions} --best {input.best}"
        " --ensemble {input.ensemble} --calibration {input.calibration}"
        " --robustness {input.robustness} --regularisations {params.regularisations}"
        " --effects {input.effects} --searched {params.searched}"
        " --outputs {params.outputs} > {log} 2>&1"


# The configuration the jobs ran with, defaults filled in, and the command that ran it.
rule effective_config:
    output:
        **{
            f"{code}_table": translated_path("results/tables/config.md", code)
            for code in TRANSLATED
        },
        config="results/config.yaml",
        table="results/tables/config.md",
    log:
        "results/logs/effective_config.log",
    localrule: True
    conda:
        "../../environment.yml"
    resources:
        mem_mb=500,
    params:
        config=json.dumps(config),
        command=COMMAND,
        translations=" ".join(
            f"{code}={translated_path('results/tables/config.md', code)}"
            for code in TRANSLATED
        ),
    shell:
        "python -m study effective-config --config {params.config:q}"
        " --command {params.command:q} --out {output.config} --table {output.table}"
        " --translations {params.translations} > {log} 2>&1"


# Every stage whose cost the appendix reports (the documents' own rendering comes after).
BENCHMARKS = [
    rules.prepare_data.benchmark,
    rules.split_data.benchmark,
    *all_searches(rules.search.benchmark),
    *all_runs(rules.train.benchmark),
    *expand(
        rules.train_size.benchmark,
        size=config["sizes"]["train_images"],
        arch=config["sizes"]["architectures"],
    ),
    *expand(
        rules.evaluate_size.benchmark,
        size=config["sizes"]["train_images"],
        arch=config["sizes"]["architectures"],
    ),
    rules.effects.benchmark,
    *expand(rules.evaluate.benchmark, arch=config["architectures"]),
    rules.select_best.benchmark,
    rules.evaluate_ensemble.benchmark,
    rules.export_onnx.benchmark,
    rules.tables.benchmark,
    rules.calibrate.benchmark,
    rules.robustness.benchmark,
    rules.embeddings.benchmark,
    rules.look_inside.benchmark,
    rules.explore_data.benchmark,
    rules.result_figures.benchmark,
    rules.best_model_figures.benchmark,
    rules.inside_figures.benchmark,
    rules.tsne_figure.benchmark,
    rules.robustness_figure.benchmark,
    rules.size_figures.benchmark,
    rules.findings.benchmark,
]


rule reproducibility:
    input:
        BENCHMARKS,
    output:
        **translations(
            {
                name: f"results/tables/{name}.md"
                for name in ("environment", "run_times", "data_hashes")
            }
        ),
        environment="results/tables/environment.md",
        run_times=report(
            "results/tables/run_times.md",
            category="5. Findings",
            caption="../report/run_times.rst",
        ),
        data_hashes="results/tables/data_hashes.md",
    log:
        "results/logs/reproducibility.log",
    conda:
        "../../environment.yml"
    resources:
        mem_mb=1000,
    params:
        translated=TRANSLATED,
        outputs=lambda wildcards, output: named(output),
    shell:
        "python -m study reproducibility --benchmarks {input} --languages en"
        " {params.translated} --outputs {params.outputs} > {log} 2>&1"
